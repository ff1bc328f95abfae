/**
 * Fails (exit 1) when README.md or a guide in docs/ has drifted from the
 * code. Run by `deno task check`. It prints each problem as `file:line:
 * message`:
 *
 * - a TypeScript code block that no longer type-checks: every ```` ```ts ````
 *   block not marked `ignore` is written to a temporary file, with the
 *   package's own specifiers (`@azure-clients/toolbox/<subpath>` and
 *   `azure-clients-toolbox/<subpath>`) mapped to the entry points of
 *   deno.json `exports`, and checked with `deno check` under deno.json;
 * - a name cited in backticks (a PascalCase identifier) or imported from
 *   the package that no entry point exports (the list comes from
 *   `deno doc --json` of the entry points);
 * - a relative link, or a link into this repository by its GitHub URL,
 *   whose file or heading anchor does not exist, in the documents and in
 *   the `@module` doc of each entry point.
 *
 * Usage: `deno run -A scripts/check_docs.ts [--root <dir>]`
 *
 * @module
 */

import { join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  checkLinks,
  checkNames,
  codeBlocks,
  type ExportsIndex,
  formatProblem,
  isIgnored,
  isTypeScript,
  leadingJsDoc,
  mapSpecifiers,
  NAMES_FROM_ELSEWHERE,
  packageSpecifiers,
  parseDenoCheck,
  type Problem,
  undescribedExports,
} from "./_docs_check.ts";

/**
 * Guides that other branches add; until they are merged, a link to one is a
 * note rather than a problem. None now.
 */
const EXPECTED_ELSEWHERE = new Set<string>();

/** URLs under which the repository's files are published (links to them are checked locally). */
const REPOSITORY_URLS = [
  "https://github.com/azure-clients/toolbox/blob/main/",
  "https://github.com/azure-clients/toolbox/tree/main/",
];

const rootFlag = Deno.args.indexOf("--root");
const root = rootFlag >= 0
  ? Deno.args[rootFlag + 1]
  : fileURLToPath(new URL("../", import.meta.url));

const denoJson = JSON.parse(await Deno.readTextFile(join(root, "deno.json")));
const exports: Record<string, string> = typeof denoJson.exports === "string"
  ? { ".": denoJson.exports }
  : denoJson.exports;

/** Reads a file relative to the root, or `undefined` when there is none. */
function read(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(join(root, path));
  } catch {
    return undefined;
  }
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(join(root, path)).isDirectory;
  } catch {
    return false;
  }
}

/** README.md and every markdown file under docs/, relative to the root. */
function documents(): string[] {
  const found = ["README.md"];
  const walk = (dir: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(join(root, dir))];
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".md")) found.push(path);
    }
  };
  walk("docs");
  return found.filter((path) => read(path) !== undefined);
}

async function run(
  args: string[],
): Promise<{ code: number; stdout: string; output: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  const stdout = text.decode(out.stdout);
  return { code: out.code, stdout, output: stdout + text.decode(out.stderr) };
}

/** What each entry point exports, from `deno doc --json`. */
async function exportsIndex(): Promise<ExportsIndex> {
  const files = Object.values(exports);
  const doc = await run(["doc", "--json", ...files]);
  if (doc.code !== 0) {
    throw new Error(`deno doc failed:\n${doc.output}`);
  }
  const json = JSON.parse(doc.stdout) as {
    nodes: Record<string, { symbols?: { name: string }[] }>;
  };
  const byFile = new Map<string, Set<string>>();
  for (const [url, node] of Object.entries(json.nodes)) {
    const file = `./${relative(root, fileURLToPath(url))}`;
    byFile.set(file, new Set((node.symbols ?? []).map((s) => s.name)));
  }
  const bySpecifier = new Map<string, Set<string>>();
  const all = new Set<string>();
  for (const [specifier, file] of packageSpecifiers(exports)) {
    const names = byFile.get(file) ?? new Set<string>();
    bySpecifier.set(specifier, names);
    for (const name of names) all.add(name);
  }
  const globals = Object.getOwnPropertyNames(globalThis)
    .filter((name) => /^[A-Z]/.test(name));
  return {
    bySpecifier,
    all,
    elsewhere: new Set([...NAMES_FROM_ELSEWHERE, ...globals]),
  };
}

/** How many blocks `typeCheck` checked. */
let blocksChecked = 0;

/** Type-checks every TypeScript block not marked `ignore`. */
async function typeCheck(docs: string[]): Promise<Problem[]> {
  const specifiers = packageSpecifiers(exports);
  const dir = await Deno.makeTempDir({ prefix: "check_docs_" });
  const origin = new Map<string, { file: string; line: number }>();
  try {
    for (const file of docs) {
      for (const block of codeBlocks(read(file)!)) {
        if (!isTypeScript(block) || isIgnored(block)) continue;
        const name = `${file.replace(/[^\w]/g, "_")}_L${block.line}.${
          block.lang === "tsx" ? "tsx" : "ts"
        }`;
        const code = mapSpecifiers(block.code, (specifier) => {
          const target = specifiers.get(specifier);
          return target === undefined
            ? undefined
            : pathToFileURL(join(root, target)).href;
        });
        await Deno.writeTextFile(join(dir, name), `${code}\n`);
        origin.set(pathToFileURL(join(dir, name)).href, {
          file,
          line: block.line,
        });
      }
    }
    blocksChecked = origin.size;
    if (origin.size === 0) return [];
    const checked = await run([
      "check",
      "--config",
      join(root, "deno.json"),
      ...[...origin.keys()].map((url) => fileURLToPath(url)),
    ]);
    if (checked.code === 0) return [];
    const problems: Problem[] = [];
    for (const diagnostic of parseDenoCheck(checked.output)) {
      const from = origin.get(diagnostic.url);
      if (from === undefined) {
        problems.push({
          file: relative(root, fileURLToPath(diagnostic.url)),
          line: diagnostic.line,
          message: `(reached from a code block) ${diagnostic.message}`,
        });
      } else {
        problems.push({
          file: from.file,
          line: from.line + diagnostic.line - 1,
          message: `this block does not type-check: ${diagnostic.message}`,
        });
      }
    }
    if (problems.length === 0) {
      problems.push({
        file: docs[0],
        line: 1,
        message:
          `deno check failed without a diagnostic to place:\n${checked.output}`,
      });
    }
    return problems;
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const docs = documents();
const index = await exportsIndex();
const problems: Problem[] = [];
const notes: Problem[] = [];
const context = {
  read,
  isDirectory,
  expectedElsewhere: EXPECTED_ELSEWHERE,
  repositoryUrls: REPOSITORY_URLS,
};
for (const file of docs) {
  const text = read(file)!;
  problems.push(...checkNames(file, text, index));
  const links = checkLinks(file, text, context);
  problems.push(...links.problems);
  notes.push(...links.notes);
}
for (const entry of Object.values(exports)) {
  const file = entry.replace(/^\.\//, "");
  const links = checkLinks(file, leadingJsDoc(read(file) ?? ""), context);
  problems.push(...links.problems);
  notes.push(...links.notes);
}
for (const name of undescribedExports(index.all, docs.map((f) => read(f)!))) {
  problems.push({
    file: "docs/",
    line: 1,
    message:
      `\`${name}\` is exported but no guide (or the README) describes it`,
  });
}
problems.push(...await typeCheck(docs));

problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
for (const note of notes) console.log(`note: ${formatProblem(note)}`);
if (problems.length > 0) {
  for (const problem of problems) console.error(formatProblem(problem));
  if (problems.some((problem) => problem.message.includes("is not exported"))) {
    console.error(
      "A name that is not this package's (an SDK's, a runtime's) goes in NAMES_FROM_ELSEWHERE " +
        "(scripts/_docs_check.ts) or in the document, in a comment `<!-- docs-check: elsewhere Name -->`.",
    );
  }
  console.error(
    `check_docs: ${problems.length} problem${
      problems.length === 1 ? "" : "s"
    } in ${docs.length} documents`,
  );
  Deno.exit(1);
}
console.log(
  `check_docs: ${docs.length} documents: ${blocksChecked} TypeScript blocks type-check, cited names are exported, every export is described, links lead somewhere`,
);
