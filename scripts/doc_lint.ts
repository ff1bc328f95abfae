/**
 * `deno doc --lint` for the public entry points, with two allowances. A public
 * API that mentions a type of an Azure SDK (`Container`, `TokenCredential`)
 * trips `private-type-ref`, because that type is not exported from this
 * package; re-exporting the SDKs' types would publish (and lint) their whole
 * declaration trees. Such references are accepted only when the type is not
 * declared anywhere in this repository's `src/`. Diagnostics located in an
 * SDK's own declaration files (outside this repository: the SDK error
 * classes the entry points re-export, such as `ServiceBusError`) are accepted
 * too, as they are not ours to document; every other diagnostic fails.
 *
 * Usage: `deno run -A scripts/doc_lint.ts mod.ts src/testing/mod.ts`
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const DECLARATION =
  /^(?:export\s+)?(?:declare\s+)?(?:abstract\s+)?(?:interface|type|class|function|const|enum)\s+([A-Za-z_$][\w$]*)/gm;
const PRIVATE_TYPE_REF =
  /^error\[private-type-ref\]: .* references private type '([^']+)'/;

const entryPoints = Deno.args.length > 0
  ? Deno.args
  : ["mod.ts", "src/testing/mod.ts"];
const output = await new Deno.Command(Deno.execPath(), {
  args: ["doc", "--lint", ...entryPoints],
  env: { NO_COLOR: "1" },
  stdout: "piped",
  stderr: "piped",
}).output();
const decoder = new TextDecoder();
const text = decoder.decode(output.stdout) + decoder.decode(output.stderr);

const ownDeclarations = new Set<string>();
for await (const file of walk("src")) {
  const source = await Deno.readTextFile(file);
  for (const match of source.matchAll(DECLARATION)) {
    ownDeclarations.add(match[1]!);
  }
}

const root = fileURLToPath(new URL("../", import.meta.url));
const problems: string[] = [];
let accepted = 0;
let foreign = 0;
const lines = text.split("\n");
for (const [i, line] of lines.entries()) {
  if (!line.startsWith("error[")) continue;
  const reference = line.match(PRIVATE_TYPE_REF);
  if (reference && !ownDeclarations.has(reference[1]!)) accepted++;
  else if (isForeign(where(i))) foreign++;
  else problems.push(line);
}

/** The file a diagnostic points at (its `--> path:line:col` line), if any. */
function where(errorLine: number): string | undefined {
  for (let i = errorLine + 1; i < lines.length && i <= errorLine + 3; i++) {
    const match = /^\s*--> (.+?):\d+:\d+$/.exec(lines[i]!);
    if (match !== null) return match[1];
  }
  return undefined;
}

/**
 * Whether a diagnostic is in an SDK's own declarations (an SDK error class
 * that an entry point re-exports on purpose): not ours to document.
 */
function isForeign(file: string | undefined): boolean {
  return file !== undefined && file.startsWith("/") && !file.startsWith(root);
}
if (problems.length > 0 || (!output.success && accepted === 0)) {
  console.error(text);
  console.error(
    `doc lint: ${problems.length} problem(s)\n${problems.join("\n")}`,
  );
  Deno.exit(1);
}
console.log(
  `doc lint: ok (${accepted} references to Azure SDK types accepted, ${foreign} diagnostics in SDK declarations)`,
);

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}
