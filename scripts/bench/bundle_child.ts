/**
 * Bundles a bench's child script (and what it imports, the SDKs and peers
 * included) into one ES module that Node and Bun can run.
 *
 * @module
 */

import { ROOT } from "../_tools.ts";

/**
 * Runs `deno bundle` on `child` into `dir`.
 *
 * @param child The child script's path (`${ROOT}scripts/bench/micro_child.ts`).
 * @param dir A directory for the bundle (the caller removes it).
 * @returns The bundle's path: the child's name with `.mjs`.
 * @throws {Error} When `deno bundle` fails, with its output.
 */
export async function bundleChild(child: string, dir: string): Promise<string> {
  const name = child.slice(child.lastIndexOf("/") + 1).replace(/\.ts$/, "");
  const out = `${dir}/${name}.mjs`;
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["bundle", "--quiet", "--platform", "deno", "-o", out, child],
    cwd: ROOT,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `deno bundle failed:\n${new TextDecoder().decode(stderr)}`,
    );
  }
  return out;
}
