/**
 * The documents' check (`scripts/_docs_check.ts`, run by
 * `scripts/check_docs.ts` in `deno task check`): the markdown it reads, the
 * names and links it refuses, and the `deno check` output it maps back to a
 * document's lines. On Deno, the whole script also runs against a small
 * repository made for the test, with a block that does not type-check, a
 * renamed export and a broken link, and must name each with its file and
 * line.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  anchorsOf,
  checkLinks,
  checkNames,
  citedName,
  codeBlocks,
  type ExportsIndex,
  formatProblem,
  importStatements,
  inlineCode,
  isIgnored,
  isTypeScript,
  leadingJsDoc,
  type LinkContext,
  linksOf,
  mapSpecifiers,
  namesFromElsewhere,
  packageSpecifiers,
  parseDenoCheck,
  proseOf,
  resolvePath,
  slug,
  undescribedExports,
} from "../scripts/_docs_check.ts";

const FENCE = "```";

/** A document from lines, so that line numbers are easy to read off. */
function doc(...lines: string[]): string {
  return lines.join("\n");
}

/** An index of one entry point, `@scope/pkg`, exporting `names`. */
function index(names: string[], elsewhere: string[] = []): ExportsIndex {
  const specifiers = packageSpecifiers(
    { ".": "./mod.ts", "./sub": "./sub.ts" },
    [
      "@scope/pkg",
    ],
  );
  const bySpecifier = new Map<string, ReadonlySet<string>>();
  for (const specifier of specifiers.keys()) {
    bySpecifier.set(
      specifier,
      new Set(specifier.endsWith("/sub") ? ["SubThing"] : names),
    );
  }
  return {
    bySpecifier,
    all: new Set([...names, "SubThing"]),
    elsewhere: new Set(elsewhere),
  };
}

describe("codeBlocks", () => {
  it("reads each fenced block's language, flags, code and first line", () => {
    const blocks = codeBlocks(doc(
      "# Title", // 1
      "", // 2
      `${FENCE}ts`, // 3
      "const a = 1;", // 4
      FENCE, // 5
      `${FENCE}ts ignore`, // 6
      "broken(", // 7
      FENCE, // 8
      `${FENCE}sh`, // 9
      "npm install", // 10
      FENCE, // 11
    ));
    assert.deepEqual(blocks.map((b) => [b.lang, b.flags, b.code, b.line]), [
      ["ts", [], "const a = 1;", 4],
      ["ts", ["ignore"], "broken(", 7],
      ["sh", [], "npm install", 10],
    ]);
    assert.deepEqual(blocks.map(isTypeScript), [true, true, false]);
    assert.deepEqual(blocks.map(isIgnored), [false, true, false]);
  });

  it("names the example file of a marker just above a block, and only there", () => {
    const blocks = codeBlocks(doc(
      "<!-- tests/examples/a_test.ts -->",
      "",
      `${FENCE}ts`,
      "a();",
      FENCE,
      "<!-- tests/examples/b_test.ts -->",
      "Some prose between.",
      `${FENCE}ts`,
      "b();",
      FENCE,
    ));
    assert.equal(blocks[0].example, "tests/examples/a_test.ts");
    assert.equal(blocks[1].example, undefined);
  });

  it("keeps a longer fence open across a shorter one inside it", () => {
    const blocks = codeBlocks(doc(
      "````md",
      FENCE + "ts",
      "x();",
      FENCE,
      "````",
    ));
    assert.equal(blocks.length, 1);
    assert.equal(blocks[0].code, `${FENCE}ts\nx();\n${FENCE}`);
  });
});

describe("proseOf and inlineCode", () => {
  it("blanks code blocks and HTML comments, line for line", () => {
    const text = doc(
      "a `One`", // 1
      `${FENCE}ts`, // 2
      "`Two`", // 3
      FENCE, // 4
      "<!-- `Three`", // 5
      "`Four` -->b `Five`", // 6
    );
    assert.equal(proseOf(text).split("\n").length, 6);
    assert.deepEqual(inlineCode(text), [
      { text: "One", line: 1 },
      { text: "Five", line: 6 },
    ]);
  });
});

describe("citedName", () => {
  it("takes a PascalCase identifier, alone or with a member, call or type arguments", () => {
    assert.equal(citedName("ManagedCosmos"), "ManagedCosmos");
    assert.equal(citedName("Connector.watch"), "Connector");
    assert.equal(citedName("ManagedLease<Container>"), "ManagedLease");
    assert.equal(citedName("ManagedCosmos({ databaseName })"), "ManagedCosmos");
  });

  it("leaves codes, commands, messages and lower-case names alone", () => {
    for (
      const span of [
        "ECONNREFUSED",
        "TS2304: Cannot find name 'AsyncDisposable'",
        "Cannot create ManagedCosmos as 'maxsize' is not an option",
        "DEBUG=azure:azure-clients-toolbox*",
        "sendBody",
        "npm install azure-clients-toolbox",
        "README.md",
      ]
    ) assert.equal(citedName(span), undefined, span);
  });
});

describe("importStatements", () => {
  it("reads named, type-only, aliased and multi-line imports with their lines", () => {
    const code = doc(
      'import assert from "node:assert/strict";', // 1
      'import { A, type B, C as D } from "@scope/pkg";', // 2
      "import type { E } from '@scope/pkg/sub';", // 3
      "import {", // 4
      "  F,", // 5
      "  G,", // 6
      '} from "@scope/pkg";', // 7
      'import "./side_effect.ts";', // 8
    );
    assert.deepEqual(importStatements(code), [
      { specifier: "node:assert/strict", names: [], line: 1 },
      { specifier: "@scope/pkg", names: ["A", "B", "C"], line: 2 },
      { specifier: "@scope/pkg/sub", names: ["E"], line: 3 },
      { specifier: "@scope/pkg", names: ["F", "G"], line: 4 },
    ]);
  });
});

describe("packageSpecifiers and mapSpecifiers", () => {
  it("maps the JSR and npm names of every entry point to its file", () => {
    const map = packageSpecifiers({
      ".": "./mod.ts",
      "./cosmos": "./src/cosmos/mod.ts",
    });
    assert.equal(map.get("@azure-clients/toolbox"), "./mod.ts");
    assert.equal(
      map.get("azure-clients-toolbox/cosmos"),
      "./src/cosmos/mod.ts",
    );
    assert.equal(map.size, 4);
  });

  it("rewrites known specifiers in imports, exports and dynamic imports, and nothing else", () => {
    const code = doc(
      'import { A } from "@scope/pkg";',
      "export { B } from '@scope/pkg/sub';",
      'const c = await import("@scope/pkg");',
      'import d from "node:fs";',
      'const text = "@scope/pkg";',
    );
    const mapped = mapSpecifiers(
      code,
      (s) =>
        s.startsWith("@scope/pkg") ? `file:///x/${s.length}.ts` : undefined,
    );
    assert.equal(
      mapped,
      doc(
        'import { A } from "file:///x/10.ts";',
        "export { B } from 'file:///x/14.ts';",
        'const c = await import("file:///x/10.ts");',
        'import d from "node:fs";',
        'const text = "@scope/pkg";',
      ),
    );
  });
});

describe("checkNames", () => {
  it("names, with file and line, a cited name that no entry point exports (a renamed export)", () => {
    const problems = checkNames(
      "docs/guide.md",
      doc(
        "Use `Widget` and `Widget.spin()`.", // 1
        "", // 2
        "The old `Gizmo` is gone; `TypeError` is JavaScript's.", // 3
      ),
      index(["Widget"], ["TypeError"]),
    );
    assert.deepEqual(problems.map(formatProblem), [
      "docs/guide.md:3: `Gizmo` is not exported by any entry point",
    ]);
  });

  it("accepts names a document declares as from elsewhere", () => {
    const text = doc(
      "<!-- docs-check: elsewhere Gizmo, Doohickey -->",
      "The Python `Gizmo` and `Doohickey`.",
    );
    assert.deepEqual([...namesFromElsewhere(text)], ["Gizmo", "Doohickey"]);
    assert.deepEqual(checkNames("a.md", text, index([])), []);
  });

  it("checks a block's imports against the very entry point they name, ignored blocks too", () => {
    const problems = checkNames(
      "README.md",
      doc(
        `${FENCE}ts ignore`, // 1
        'import { Widget, SubThing } from "@scope/pkg";', // 2
        'import { SubThing as S } from "@scope/pkg/sub";', // 3
        'import { X } from "@scope/pkg/nope";', // 4
        'import { Y } from "other";', // 5
        FENCE,
      ),
      index(["Widget"]),
    );
    assert.deepEqual(problems.map(formatProblem), [
      'README.md:2: `SubThing` is not exported by "@scope/pkg"',
      'README.md:4: "@scope/pkg/nope" is not an entry point of the package',
    ]);
  });
});

describe("slug and anchorsOf", () => {
  it("makes GitHub's anchors: lower case, markup and punctuation dropped, repeats numbered", () => {
    assert.equal(
      slug("Tuning with `deno task bench`"),
      "tuning-with-deno-task-bench",
    );
    assert.equal(
      slug("Cosmos DB: `startLocalCosmos`"),
      "cosmos-db-startlocalcosmos",
    );
    assert.equal(
      slug("The pool: `minReady`, and [more](x.md)!"),
      "the-pool-minready-and-more",
    );
    assert.equal(slug("snake_case stays"), "snake_case-stays");
    const anchors = anchorsOf(doc(
      "# Errors",
      "## Errors",
      `${FENCE}sh`,
      "# not a heading",
      FENCE,
      '<a id="custom"></a>',
    ));
    assert.deepEqual([...anchors].sort(), ["custom", "errors", "errors-1"]);
  });
});

describe("linksOf", () => {
  it("reads inline links, images and reference definitions, not code", () => {
    const links = linksOf(doc(
      "See [the pool](pool.md#waiting) and ![chart](../a.svg).", // 1
      "`[not](a-link.md)`", // 2
      `${FENCE}md`, // 3
      "[not](either.md)", // 4
      FENCE, // 5
      "[ref]: errors.md", // 6
      '[t](https://example.com "title")', // 7
    ));
    assert.deepEqual(links, [
      { target: "pool.md#waiting", line: 1 },
      { target: "../a.svg", line: 1 },
      { target: "errors.md", line: 6 },
      { target: "https://example.com", line: 7 },
    ]);
  });
});

describe("checkLinks", () => {
  const files: Record<string, string> = {
    "README.md": "# Top\n",
    "docs/pool.md": "# Pool\n## Waiting\n",
    "scripts/bench/sample.svg": "<svg/>",
  };
  const context: LinkContext = {
    read: (path) => files[path],
    isDirectory: (path) => path === "docs" || path === "scripts",
    expectedElsewhere: new Set(["docs/blob.md"]),
    repositoryUrls: ["https://github.com/o/r/blob/main/"],
  };

  it("accepts links to files, headings and directories that exist", () => {
    const report = checkLinks(
      "docs/guide.md",
      doc(
        "[a](pool.md) [b](pool.md#waiting) [c](../README.md#top)",
        "[d](#here) [e](../scripts/bench/sample.svg) [f](../docs)",
        "[g](https://github.com/o/r/blob/main/docs/pool.md#pool)",
        "[h](https://example.com/missing.md) [i](mailto:a@b.c)",
        "## Here",
      ),
      context,
    );
    assert.deepEqual(report, { problems: [], notes: [] });
  });

  it("names, with file and line, a missing file, a missing heading and a link above the root", () => {
    const report = checkLinks(
      "docs/guide.md",
      doc(
        "[a](pool.md#sharing)", // 1
        "[b](missing.md)", // 2
        "[c](#nowhere)", // 3
        "[d](../../outside.md)", // 4
        "[e](https://github.com/o/r/blob/main/docs/gone.md)", // 5
      ),
      context,
    );
    assert.deepEqual(report.problems.map(formatProblem), [
      "docs/guide.md:1: link pool.md#sharing: docs/pool.md has no heading for #sharing",
      "docs/guide.md:2: link missing.md: no file docs/missing.md",
      "docs/guide.md:3: link #nowhere: docs/guide.md has no heading for #nowhere",
      "docs/guide.md:4: link ../../outside.md leads above the repository",
      "docs/guide.md:5: link https://github.com/o/r/blob/main/docs/gone.md: no file docs/gone.md",
    ]);
  });

  it("notes, and does not fail on, a missing file another branch adds", () => {
    const report = checkLinks("README.md", "[blob](docs/blob.md)", context);
    assert.deepEqual(report.problems, []);
    assert.deepEqual(report.notes.map(formatProblem), [
      "README.md:1: link docs/blob.md: docs/blob.md is expected from another branch",
    ]);
  });

  it("resolves paths against the linking file's directory", () => {
    assert.equal(resolvePath("docs", "../README.md"), "README.md");
    assert.equal(resolvePath("", "docs/./pool.md"), "docs/pool.md");
    assert.equal(resolvePath("docs", "../../x"), undefined);
  });
});

describe("leadingJsDoc", () => {
  it("gives the module doc's text with its lines in place, and nothing without one", () => {
    const source = doc(
      "/**",
      " * Guide: [pool](https://github.com/o/r/blob/main/docs/pool.md).",
      " *",
      " * @module",
      " */",
      'export * from "./x.ts";',
    );
    const text = leadingJsDoc(source);
    assert.equal(
      text.split("\n")[1],
      "Guide: [pool](https://github.com/o/r/blob/main/docs/pool.md).",
    );
    assert.deepEqual(linksOf(text).map((l) => l.line), [2]);
    assert.equal(leadingJsDoc('import "./x.ts";\n/** late */'), "");
  });
});

describe("parseDenoCheck", () => {
  it("reads each diagnostic's code, message and own location, not its related ones", () => {
    const output = doc(
      "Check file:///tmp/d/README_md_L85.ts",
      "TS2551 [ERROR]: Property 'sendMessage' does not exist on type 'ServiceBusEntitySender'. Did you mean 'sendMessages'?",
      'await bus.sender("x").sendMessage({ id: 1 });',
      "                      ~~~~~~~~~~~",
      "    at file:///tmp/d/README_md_L85.ts:5:23",
      "",
      "    'sendMessages' is declared here.",
      "      sendMessages(",
      "      ~~~~~~~~~~~~",
      "        at file:///repo/src/service_bus/entity_sender.ts:122:3",
      "",
      "TS2322 [ERROR]: Type 'string' is not assignable to type 'number'.",
      'const x: number = "s";',
      "      ^",
      "    at file:///tmp/d/docs_pool_md_L12.ts:2:7",
      "",
      "Found 2 errors.",
    );
    assert.deepEqual(parseDenoCheck(output), [
      {
        url: "file:///tmp/d/README_md_L85.ts",
        line: 5,
        column: 23,
        message:
          "TS2551: Property 'sendMessage' does not exist on type 'ServiceBusEntitySender'. Did you mean 'sendMessages'?",
      },
      {
        url: "file:///tmp/d/docs_pool_md_L12.ts",
        line: 2,
        column: 7,
        message: "TS2322: Type 'string' is not assignable to type 'number'.",
      },
    ]);
  });
});

const deno = (globalThis as { Deno?: typeof Deno }).Deno;
const script = join(
  dirname(dirname(fileURLToPath(import.meta.url))),
  "scripts",
  "check_docs.ts",
);

/** Runs scripts/check_docs.ts on `root` (Deno only). */
function runCheck(
  runtime: typeof Deno,
  root: string,
): { code: number; stdout: string; stderr: string } {
  const out = new runtime.Command(runtime.execPath(), {
    args: ["run", "-A", script, "--root", root],
    env: { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const text = new TextDecoder();
  return {
    code: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

/** A small repository: one entry point exporting `Widget`, and its documents. */
function makeRepository(readme: string): string {
  const root = mkdtempSync(join(tmpdir(), "check_docs_test_"));
  writeFileSync(
    join(root, "deno.json"),
    JSON.stringify({
      name: "@azure-clients/toolbox",
      version: "0.0.0",
      exports: { ".": "./mod.ts" },
    }),
  );
  writeFileSync(
    join(root, "mod.ts"),
    doc(
      "/**",
      " * Widgets. Guide: [widgets](https://github.com/azure-clients/toolbox/blob/main/docs/widgets.md).",
      " *",
      " * @module",
      " */",
      "",
      "/** A widget. */",
      "export class Widget {",
      "  /** Spins it. @returns The turns. */",
      "  spin(): number {",
      "    return 1;",
      "  }",
      "}",
      "",
    ),
  );
  mkdirSync(join(root, "docs"));
  writeFileSync(join(root, "docs", "widgets.md"), "# Widgets\n\n## Spinning\n");
  writeFileSync(join(root, "README.md"), readme);
  return root;
}

describe("scripts/check_docs.ts, on a repository made for the test", () => {
  const sound = doc(
    "# Widgets", // 1
    "", // 2
    "`Widget` spins ([how](docs/widgets.md#spinning)).", // 3
    "", // 4
    `${FENCE}ts`, // 5
    'import { Widget } from "azure-clients-toolbox";', // 6
    "const turns: number = new Widget().spin();", // 7
    "console.log(turns);", // 8
    FENCE, // 9
    "",
  );

  it(
    "passes documents that match the code",
    { skip: deno === undefined },
    () => {
      const root = makeRepository(sound);
      try {
        const result = runCheck(deno!, root);
        assert.equal(result.code, 0, result.stderr);
        assert.match(result.stdout, /1 TypeScript blocks type-check/);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );

  it(
    "fails on a block that no longer type-checks, a renamed export and a broken link, naming each file and line",
    {
      skip: deno === undefined,
    },
    () => {
      const root = makeRepository(doc(
        "# Widgets", // 1
        "", // 2
        "`Gadget` spins ([how](docs/widgets.md#twirling)).", // 3
        "", // 4
        `${FENCE}ts`, // 5
        'import { Widget } from "@azure-clients/toolbox";', // 6
        "const turns: string = new Widget().spin();", // 7
        "console.log(turns);", // 8
        FENCE, // 9
        "",
      ));
      try {
        const result = runCheck(deno!, root);
        assert.equal(result.code, 1);
        const lines = result.stderr.split("\n");
        assert.ok(
          lines.includes(
            "README.md:3: `Gadget` is not exported by any entry point",
          ),
          result.stderr,
        );
        assert.ok(
          lines.includes(
            "README.md:3: link docs/widgets.md#twirling: docs/widgets.md has no heading for #twirling",
          ),
          result.stderr,
        );
        assert.ok(
          lines.some((line) =>
            line.startsWith(
              "README.md:7: this block does not type-check: TS2322:",
            )
          ),
          result.stderr,
        );
        assert.match(result.stderr, /check_docs: 3 problems in 2 documents/);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    },
  );

  it("fails on a module doc's link to a guide that is gone", {
    skip: deno === undefined,
  }, () => {
    const root = makeRepository(sound);
    try {
      rmSync(join(root, "docs", "widgets.md"));
      writeFileSync(join(root, "docs", "other.md"), "# Other\n");
      const result = runCheck(deno!, root);
      assert.equal(result.code, 1);
      assert.match(
        result.stderr,
        /^mod\.ts:2: link https:\/\/github\.com\/azure-clients\/toolbox\/blob\/main\/docs\/widgets\.md: no file docs\/widgets\.md$/m,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe("undescribedExports", () => {
  it("names the exports that no document mentions as a word, and only those", () => {
    assert.deepEqual(
      undescribedExports(["Pool", "PoolStats", "flush", "Lease"], [
        "The `Pool` shares connections.",
        "```ts\nconst stats: PoolStatsView = pool.stats(); // Leases\n```",
      ]),
      ["Lease", "PoolStats", "flush"],
    );
  });
});
