import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  compareJsr,
  compareNpm,
  type DenoConfig,
  exportMap,
  npmEntry,
  npmExports,
} from "../scripts/_exports.ts";

/**
 * The repository root: the nearest directory above this file that holds
 * deno.json. Source tests live in tests/, compiled ones in npm/tests/.
 */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "deno.json"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(`No deno.json above ${fileURLToPath(import.meta.url)}`);
    }
    dir = parent;
  }
}

const deno: DenoConfig = {
  name: "@scope/pkg",
  version: "1.2.3",
  license: "MIT",
  exports: { ".": "./mod.ts", "./testing": "./src/testing/mod.ts" },
  publish: { include: ["mod.ts", "src/"], exclude: ["src/**/*_test.ts"] },
};

const npm = {
  name: "pkg",
  version: "1.2.3",
  license: "MIT",
  main: "./mod.js",
  types: "./mod.d.ts",
  exports: {
    ".": { types: "./mod.d.ts", default: "./mod.js" },
    "./testing": {
      types: "./src/testing/mod.d.ts",
      default: "./src/testing/mod.js",
    },
  },
};

describe("exports check", () => {
  it("maps a deno.json export to the built .js and .d.ts", () => {
    assert.deepEqual(npmEntry("./src/testing/mod.ts"), {
      types: "./src/testing/mod.d.ts",
      default: "./src/testing/mod.js",
    });
    assert.deepEqual(npmEntry("./x.mts"), {
      types: "./x.d.mts",
      default: "./x.mjs",
    });
    assert.throws(() => npmEntry("mod.ts"), TypeError);
    assert.throws(() => npmEntry("./mod.js"), TypeError);
    assert.deepEqual(exportMap("./mod.ts"), { ".": "./mod.ts" });
    assert.throws(() => exportMap(["./mod.ts"]), TypeError);
    assert.deepEqual(npmExports(deno.exports), npm.exports);
  });

  it("passes when jsr.json mirrors deno.json", () => {
    assert.deepEqual(compareJsr(deno, structuredClone(deno)), []);
    assert.deepEqual(
      compareJsr({ ...deno, exports: "./mod.ts" }, {
        ...deno,
        exports: { ".": "./mod.ts" },
      }),
      [],
    );
  });

  it("reports each jsr.json field that drifted from deno.json", () => {
    const problems = compareJsr(deno, {
      ...deno,
      version: "1.2.4",
      exports: { ".": "./mod.ts" },
      publish: { include: ["mod.ts"], exclude: ["src/**/*_test.ts"] },
    });
    assert.equal(problems.length, 3, problems.join("\n"));
    assert.match(
      problems[0],
      /'version' is "1\.2\.4" but deno\.json has "1\.2\.3"/,
    );
    assert.match(problems[1], /'exports'/);
    assert.match(problems[2], /'publish\.include'/);
    assert.match(
      compareJsr(deno, { ...deno, name: "@other/pkg" })[0],
      /'name'/,
    );
    assert.match(
      compareJsr(deno, { ...deno, license: undefined })[0],
      /'license'/,
    );
  });

  it("passes when npm/package.json corresponds to deno.json", () => {
    assert.deepEqual(compareNpm(deno, npm), []);
    assert.deepEqual(compareNpm(deno, npm, () => true), []);
  });

  it("reports npm/package.json exports, main, types and version that drifted", () => {
    const missingSubpath = compareNpm(deno, {
      ...npm,
      exports: { ".": npm.exports["."] },
    });
    assert.equal(missingSubpath.length, 1, missingSubpath.join("\n"));
    assert.match(
      missingSubpath[0],
      /subpaths \["\."\] but deno\.json has \["\.","\.\/testing"\]/,
    );

    const wrongFile = compareNpm(deno, {
      ...npm,
      exports: {
        ...npm.exports,
        "./testing": { types: "./testing.d.ts", default: "./testing.js" },
      },
    });
    assert.equal(wrongFile.length, 1, wrongFile.join("\n"));
    assert.match(wrongFile[0], /exports\["\.\/testing"\]/);

    const stale = compareNpm(deno, {
      ...npm,
      version: "1.0.0",
      main: "./index.js",
      types: undefined,
    });
    assert.equal(stale.length, 3, stale.join("\n"));

    const unbuilt = compareNpm(
      deno,
      npm,
      (path) => path !== "./src/testing/mod.d.ts",
    );
    assert.deepEqual(unbuilt, [
      "npm/src/testing/mod.d.ts is missing: rebuild with deno task build:npm",
    ]);
  });

  it("finds the repository's jsr.json in step with its deno.json", () => {
    const root = repoRoot();
    const read = (path: string) =>
      JSON.parse(readFileSync(join(root, path), "utf8"));
    const config = read("deno.json");
    assert.deepEqual(compareJsr(config, read("jsr.json")), []);
    assert.deepEqual(Object.keys(exportMap(config.exports)).sort(), [
      ".",
      "./blob",
      "./cosmos",
      "./event-grid",
      "./event-hubs",
      "./service-bus",
      "./testing",
      "./testing/servers",
    ]);
    if (existsSync(join(root, "npm", "package.json"))) {
      assert.deepEqual(compareNpm(config, read("npm/package.json")), []);
    }
  });
});
