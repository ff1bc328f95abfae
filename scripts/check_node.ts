/**
 * Type-checks the published entry points (mod.ts, src/testing/mod.ts) against
 * Node 20's library: lib es2022 + esnext.disposable and @types/node@20, with
 * TypeScript 6.0.3, using scripts/tsconfig.node_check.json. This catches a
 * `Deno.*` use or a builtin newer than Node 20 (`Promise.withResolvers`,
 * `Object.groupBy`, Set methods, …), which `deno check` cannot: Deno's own
 * types always include the esnext library.
 *
 * It first runs the npm build (so npm/node_modules holds the Azure SDK types)
 * and installs the pinned tools (for @types/node@20) if needed.
 *
 * Usage: `deno run -A scripts/check_node.ts`
 *
 * @module
 */

import ts from "typescript";
import { buildNpm } from "./build_npm.ts";
import { ensureTools, ROOT } from "./_tools.ts";

const CONFIG = `${ROOT}scripts/tsconfig.node_check.json`;

await buildNpm();
await ensureTools("@types/node/package.json");

const started = performance.now();
const read = ts.readConfigFile(CONFIG, ts.sys.readFile);
if (read.error) {
  console.error(ts.formatDiagnostic(read.error, ts.createCompilerHost({})));
  Deno.exit(1);
}
const parsed = ts.parseJsonConfigFileContent(
  read.config,
  ts.sys,
  `${ROOT}scripts`,
  undefined,
  CONFIG,
);
const program = ts.createProgram({
  rootNames: parsed.fileNames,
  options: parsed.options,
});
const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)];
const host: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => ROOT,
  getNewLine: () => "\n",
};
const elapsed = Math.round(performance.now() - started);
if (diagnostics.length > 0) {
  console.error(ts.formatDiagnostics(diagnostics, host));
  console.error(
    `check_node: ${diagnostics.length} error(s) type-checking against Node 20 (${elapsed} ms). ` +
      "src/ must use only what Node 20, Deno and Bun all provide.",
  );
  Deno.exit(1);
}
console.error(
  `check_node: mod.ts, src/testing/mod.ts and src/ (${parsed.fileNames.length} files) type-check against Node 20 (${elapsed} ms)`,
);
