/**
 * The README's "Testing your code" examples are the files of this folder:
 * each code block that follows a `<!-- tests/examples/<file> -->` marker must
 * equal that file, once the package's own names
 * (`@azure-clients/toolbox/testing/servers`) are mapped to the relative paths
 * the files import (`../../src/testing/servers/mod.ts`). The test suite runs
 * the files on Deno, Node.js and Bun, so the README's examples cannot drift
 * from code that runs.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The nearest directory above this file that holds deno.json (from tests/ or npm/tests/). */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "deno.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("No deno.json above this test");
    dir = parent;
  }
}

const root = repoRoot();
const MARKER = /<!-- (tests\/examples\/[\w.]+) -->\n+```ts\n([\s\S]*?)\n```/g;

/** The README's examples by file, as written there. */
function readmeExamples(): Map<string, string> {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const examples = new Map<string, string>();
  for (const [, file, code] of readme.matchAll(MARKER)) {
    assert.ok(!examples.has(file), `${file} appears twice in README.md`);
    examples.set(file, code);
  }
  return examples;
}

/** Maps the package's names in `code` to the paths the files import. */
function asInTests(code: string): string {
  const exports = JSON.parse(
    readFileSync(join(root, "deno.json"), "utf8"),
  ).exports as Record<string, string>;
  let text = code;
  for (const [subpath, path] of Object.entries(exports)) {
    const name = `@azure-clients/toolbox${subpath.slice(1)}`;
    text = text.replaceAll(`"${name}"`, `"../../${path.slice(2)}"`);
  }
  return text;
}

describe("README's testing examples", () => {
  it("match the files in tests/examples/, and every example file is in the README", () => {
    const examples = readmeExamples();
    const files = readdirSync(join(root, "tests", "examples"))
      .filter((name) => name.startsWith("readme_"))
      .map((name) => `tests/examples/${name}`)
      .sort();
    assert.deepEqual([...examples.keys()].sort(), files);
    for (const [file, code] of examples) {
      const source = readFileSync(join(root, file), "utf8").trimEnd();
      assert.equal(
        asInTests(code),
        source,
        `README.md's block for ${file} differs`,
      );
    }
  });

  it("import the package by its published names only", () => {
    for (const [file, code] of readmeExamples()) {
      assert.doesNotMatch(
        code,
        /from "\.{1,2}\//,
        `${file}: a relative import a reader could not copy`,
      );
    }
  });
});
