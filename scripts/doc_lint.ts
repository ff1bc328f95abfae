/**
 * `deno doc --lint` for the public entry points, with one allowance: a public
 * API that mentions a type of an Azure SDK (`Container`, `TokenCredential`)
 * trips `private-type-ref`, because that type is not exported from this
 * package; re-exporting the SDKs' types would publish (and lint) their whole
 * declaration trees. Such references are accepted only when the type is not
 * declared anywhere in this repository's `src/`. A second allowance: a
 * diagnostic located in a dependency's own files (outside this repository),
 * such as a missing JSDoc on the constructor of an SDK error class that an
 * entry point re-exports (`ServiceBusError`, `MessagingError`), is the SDK's
 * to fix. Every other diagnostic fails.
 *
 * Usage: `deno run -A scripts/doc_lint.ts mod.ts src/testing/mod.ts`
 *
 * @module
 */

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

const problems: string[] = [];
let accepted = 0;
const lines = text.split("\n");
for (const [i, line] of lines.entries()) {
  if (!line.startsWith("error[")) continue;
  const reference = line.match(PRIVATE_TYPE_REF);
  if (reference && !ownDeclarations.has(reference[1]!)) accepted++;
  else if (inDependency(lines.slice(i + 1, i + 3))) accepted++;
  else problems.push(line);
}

/** Whether the location under a diagnostic (`--> path:line:col`) is outside this repository. */
function inDependency(following: string[]): boolean {
  const location = following.map((l) => /^\s*--> (.+):\d+:\d+$/.exec(l))
    .find((match) => match !== null);
  if (!location) return false;
  const path = location[1]!.replace(/^file:\/\//, "");
  return !path.startsWith(`${Deno.cwd()}/`);
}
if (problems.length > 0 || (!output.success && accepted === 0)) {
  console.error(text);
  console.error(
    `doc lint: ${problems.length} problem(s)\n${problems.join("\n")}`,
  );
  Deno.exit(1);
}
console.log(
  `doc lint: ok (${accepted} references to, or diagnostics in, Azure SDK types accepted)`,
);

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else if (entry.name.endsWith(".ts")) yield path;
  }
}
