/**
 * The examples of README.md and of the guides in docs/ are the files of this
 * folder: each code block that follows a `<!-- tests/examples/<file> -->`
 * marker must equal that file, once the package's own names
 * (`@azure-clients/toolbox/testing/servers`, or the npm name
 * `azure-clients-toolbox/testing/servers`) are mapped to the relative paths
 * the files import (`../../src/testing/servers/mod.ts`). The test suite runs
 * the files on Deno, Node.js and Bun (`run_examples_test.ts` runs the
 * README's programs), so the documents' examples cannot drift from code that
 * runs.
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
/** The files of this folder that are not examples: the tests that check them. */
const HARNESS = ["drift_test.ts", "run_examples_test.ts"];
/** The package's names on JSR and on npm. */
const PACKAGE_NAMES = ["@azure-clients/toolbox", "azure-clients-toolbox"];

/** README.md and the guides, relative to the root. */
function documents(): string[] {
  const docs = existsSync(join(root, "docs"))
    ? readdirSync(join(root, "docs"))
      .filter((name) => name.endsWith(".md"))
      .sort()
      .map((name) => `docs/${name}`)
    : [];
  return ["README.md", ...docs];
}

/** Every example embedded in a document, by file: where, and the code as written there. */
function embeddedExamples(): Map<string, { document: string; code: string }> {
  const examples = new Map<string, { document: string; code: string }>();
  for (const document of documents()) {
    const text = readFileSync(join(root, document), "utf8");
    for (const [, file, code] of text.matchAll(MARKER)) {
      assert.ok(
        !examples.has(file),
        `${file} appears twice (${
          examples.get(file)?.document
        } and ${document})`,
      );
      examples.set(file, { document, code });
    }
  }
  return examples;
}

/** Maps the package's names in `code` to the paths the files import. */
function asInTests(code: string): string {
  const exports = JSON.parse(
    readFileSync(join(root, "deno.json"), "utf8"),
  ).exports as Record<string, string>;
  let text = code;
  for (const name of PACKAGE_NAMES) {
    for (const [subpath, path] of Object.entries(exports)) {
      text = text.replaceAll(
        `"${name}${subpath.slice(1)}"`,
        `"../../${path.slice(2)}"`,
      );
    }
  }
  return text;
}

describe("the documents' examples", () => {
  it("match the files in tests/examples/, and every example file is in a document", () => {
    const examples = embeddedExamples();
    const files = readdirSync(join(root, "tests", "examples"))
      .filter((name) => /\.tsx?$/.test(name) && !HARNESS.includes(name))
      .map((name) => `tests/examples/${name}`)
      .sort();
    assert.deepEqual([...examples.keys()].sort(), files);
    for (const [file, { document, code }] of examples) {
      const source = readFileSync(join(root, file), "utf8").trimEnd();
      assert.equal(
        asInTests(code),
        source,
        `${document}'s block for ${file} differs`,
      );
    }
  });

  it("import the package by its published names only", () => {
    for (const [file, { document, code }] of embeddedExamples()) {
      assert.doesNotMatch(
        code,
        /from "\.{1,2}\//,
        `${document}, ${file}: a relative import a reader could not copy`,
      );
    }
  });
});
