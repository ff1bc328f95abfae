/**
 * Each entry point loads only its own Azure SDK: the root none (not even
 * `@azure/logger`), `./cosmos` only `@azure/cosmos`, and so on.
 *
 * - In Deno (sources): the module graph of each entry point (`deno info`)
 *   names the npm packages its modules import, and `deno run` of the root
 *   with no permission flag at all succeeds (an SDK that reads the
 *   environment or the OS at load time would make it fail).
 * - In Node and Bun (the compiled tests under npm/tests): a child `node`
 *   imports each entry point of the built package by name, with a module
 *   resolve hook that records every URL it resolves; the packages under
 *   `node_modules/` are what was loaded.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The Azure packages whose loading the entry points control. */
const WATCHED = [
  "@azure/cosmos",
  "@azure/event-hubs",
  "@azure/eventgrid",
  "@azure/logger",
  "@azure/service-bus",
  "@azure/storage-blob",
];

/** Each subpath and the watched packages it loads (no more, no fewer). */
const EXPECTED: Record<string, string[]> = {
  ".": [],
  "./cosmos": ["@azure/cosmos", "@azure/logger"],
  "./service-bus": ["@azure/logger", "@azure/service-bus"],
  "./event-hubs": ["@azure/event-hubs", "@azure/logger"],
  "./event-grid": ["@azure/eventgrid", "@azure/logger"],
  "./blob": ["@azure/logger", "@azure/storage-blob"],
  "./testing": [],
  // Its servers load rhea, @vercel/cosmosdb-server and azurite when they start.
  "./testing/servers": [],
};

const here = dirname(fileURLToPath(import.meta.url));
/** The directory with deno.json (sources) or the built package.json (npm/). */
const root = dirname(here);

const deno = (globalThis as { Deno?: typeof Deno }).Deno;

/**
 * Runs `deno` with `args`. (Not through node:child_process: Deno's version of
 * it grants a spawned `deno` every permission.)
 */
function runDeno(
  runtime: typeof Deno,
  args: string[],
): { status: number; stdout: string; stderr: string } {
  const out = new runtime.Command(runtime.execPath(), {
    args,
    cwd: root,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const text = new TextDecoder();
  return {
    status: out.code,
    stdout: text.decode(out.stdout),
    stderr: text.decode(out.stderr),
  };
}

/** The npm package names in `specifiers` (`npm:@scope/name@^1/x` or a node_modules path), sorted. */
function packageNames(specifiers: Iterable<string>): string[] {
  const names = new Set<string>();
  for (const specifier of specifiers) {
    const npm = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)/.exec(specifier);
    if (npm) names.add(npm[1]);
    for (
      const match of specifier.matchAll(
        /\/node_modules\/((?:@[^/]+\/)?[^/]+)/g,
      )
    ) names.add(match[1]);
  }
  return [...names].sort();
}

function watched(names: string[]): string[] {
  return names.filter((name) => WATCHED.includes(name));
}

interface InfoModule {
  specifier: string;
  dependencies?: {
    code?: { specifier?: string };
    type?: { specifier?: string };
    isDynamic?: boolean;
  }[];
}

/** The npm packages that the repository's modules reachable from `entry` import at run time. */
function denoGraph(runtime: typeof Deno, entry: string): string[] {
  const info = runDeno(runtime, ["info", "--json", entry]);
  assert.equal(info.status, 0, info.stderr);
  const { roots, modules } = JSON.parse(info.stdout) as {
    roots: string[];
    modules: InfoModule[];
  };
  const bySpecifier = new Map(modules.map((m) => [m.specifier, m]));
  const imported: string[] = [];
  // Walk only the edges that load code with the module: type-only imports are
  // erased and dynamic ones wait for their call.
  const seen = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const specifier = pending.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dependency of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (dependency.isDynamic) continue;
      const code = dependency.code?.specifier;
      if (code === undefined) continue;
      if (code.startsWith("npm:")) imported.push(code);
      else if (code.startsWith("file:")) pending.push(code);
    }
  }
  return packageNames(imported);
}

const RESOLVE_HOOKS = `
import { appendFileSync } from "node:fs";
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(log, result.url + "\\n");
  return result;
}`;

const REGISTER = `
import { register } from "node:module";
register(${
  JSON.stringify(
    `data:text/javascript,${encodeURIComponent(RESOLVE_HOOKS)}`,
  )
}, { data: { log: process.env.LOAD_LOG } });`;

/** What a child `node` resolves while importing `specifier` from the built package. */
function nodeLoads(specifier: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "entry-points-"));
  const log = join(dir, "loads.txt");
  writeFileSync(log, "");
  try {
    const node = process.versions.bun === undefined ? process.execPath : "node";
    const child = spawnSync(node, [
      "--import",
      `data:text/javascript,${encodeURIComponent(REGISTER)}`,
      "--input-type=module",
      "--eval",
      "await import(process.env.ENTRY);",
    ], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, ENTRY: specifier, LOAD_LOG: log },
    });
    assert.equal(child.status, 0, `import("${specifier}"): ${child.stderr}`);
    return readFileSync(log, "utf8").split("\n").filter(Boolean);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("entry points", () => {
  if (deno !== undefined) {
    const exports = JSON.parse(readFileSync(join(root, "deno.json"), "utf8"))
      .exports as Record<string, string>;

    it("lists the same subpaths in deno.json as this test checks", () => {
      assert.deepEqual(
        Object.keys(exports).sort(),
        Object.keys(EXPECTED).sort(),
      );
    });

    for (const [subpath, expected] of Object.entries(EXPECTED)) {
      it(`${subpath} imports only its own Azure SDK in Deno`, () => {
        const graph = denoGraph(deno, exports[subpath]);
        assert.deepEqual(watched(graph), expected, graph.join(", "));
      });
    }

    it("imports the root in Deno with no permission at all", () => {
      const run = runDeno(deno, ["run", "--no-prompt", exports["."]]);
      assert.equal(run.status, 0, run.stderr);
    });
  } else {
    const manifest = join(root, "package.json");
    const pkg = existsSync(manifest)
      ? JSON.parse(readFileSync(manifest, "utf8")) as {
        name: string;
        exports: Record<string, unknown>;
      }
      : undefined;

    it("runs against a built package", () => {
      assert.ok(pkg, `no package.json at ${manifest}: build npm/ first`);
      assert.deepEqual(
        Object.keys(pkg.exports).sort(),
        Object.keys(EXPECTED).sort(),
      );
    });

    for (const [subpath, expected] of Object.entries(EXPECTED)) {
      it(`${subpath} loads only its own Azure SDK in Node`, () => {
        assert.ok(pkg);
        const name = subpath === "."
          ? pkg.name
          : `${pkg.name}${subpath.slice(1)}`;
        const loads = nodeLoads(name);
        // The hook saw the package's own entry module: it did record.
        assert.ok(
          loads.some((url) => url.includes("/src/") || url.endsWith("/mod.js")),
          loads.join("\n"),
        );
        assert.deepEqual(watched(packageNames(loads)), expected);
      });
    }
  }
});
