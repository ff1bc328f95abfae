/**
 * Pinned command-line tools (bun, publint, attw, tsc, @types/node) installed
 * on demand into the git-ignored `.tools/` prefix, so that
 * `npx -y deno@2.9.6 task test` works on a machine with only Node.js and npm.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** The repository root, with a trailing slash. */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/**
 * What `.tools/` holds. Keep in step with `.ci/run`: npm prunes what a
 * `--no-save` install does not name, so both must install the same list.
 */
export const TOOL_PACKAGES: readonly string[] = [
  "deno@2.9.6",
  "bun@1.4.5",
  "publint@0.3.25",
  "@arethetypeswrong/cli@0.18.5",
  "typescript@6.0.3",
  "@types/node@20",
];

/** The directory `.tools/node_modules`. */
export const TOOLS_MODULES: string = `${ROOT}.tools/node_modules`;

/**
 * Runs a command with inherited stdio.
 *
 * @param command The program.
 * @param args Its arguments.
 * @param cwd The working directory.
 * @returns The exit code.
 */
export async function run(
  command: string,
  args: string[],
  cwd = ROOT,
): Promise<number> {
  const { code } = await new Deno.Command(command, {
    args,
    cwd,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  return code;
}

/** Runs a command and throws if it exits non-zero. */
export async function runOrThrow(
  command: string,
  args: string[],
  cwd = ROOT,
): Promise<void> {
  const code = await run(command, args, cwd);
  if (code !== 0) {
    throw new Error(
      `Command failed with exit code ${code}: ${command} ${args.join(" ")}`,
    );
  }
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Installs the pinned tools into `.tools/` unless `probe` (a path relative to
 * `.tools/node_modules`) already exists.
 *
 * @param probe A file that shows the tools are installed.
 */
export async function ensureTools(probe: string): Promise<void> {
  if (exists(`${TOOLS_MODULES}/${probe}`)) return;
  console.error(`tools: installing ${TOOL_PACKAGES.join(" ")} into .tools/`);
  await runOrThrow("npm", [
    "install",
    "--no-save",
    "--no-package-lock",
    "--no-audit",
    "--no-fund",
    "--prefix",
    `${ROOT}.tools`,
    ...TOOL_PACKAGES,
  ]);
}

/**
 * The path of a pinned tool's executable, installing the tools if needed.
 *
 * @param name The executable in `.tools/node_modules/.bin` (bun, publint, attw, tsc).
 * @returns Its absolute path.
 */
export async function tool(name: string): Promise<string> {
  await ensureTools(`.bin/${name}`);
  return `${TOOLS_MODULES}/.bin/${name}`;
}
