/**
 * Fails (exit 1) when jsr.json, or a built npm/package.json, has drifted
 * from deno.json. Run by `deno task check`.
 *
 * Usage: `deno run -A scripts/check_exports.ts`
 *
 * @module
 */

import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compareJsr, compareNpm } from "./_exports.ts";

const root = fileURLToPath(new URL("../", import.meta.url));
const read = (path: string) => JSON.parse(readFileSync(root + path, "utf8"));

const deno = read("deno.json");
const problems = compareJsr(deno, read("jsr.json"));
let checked = "jsr.json";
if (existsSync(root + "npm/package.json")) {
  problems.push(
    ...compareNpm(
      deno,
      read("npm/package.json"),
      (path) => existsSync(root + "npm/" + path),
    ),
  );
  checked += " and npm/package.json";
}
if (problems.length > 0) {
  console.error(`check_exports: ${checked} drifted from deno.json:`);
  for (const problem of problems) console.error(`  - ${problem}`);
  console.error(
    "deno.json is the source of truth: copy its fields over, or rebuild npm/.",
  );
  Deno.exit(1);
}
console.log(`check_exports: ${checked} match deno.json`);
