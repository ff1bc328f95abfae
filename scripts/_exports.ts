/**
 * Keeps deno.json (the source of truth), jsr.json and the generated
 * npm/package.json in step: the pure comparison behind
 * `scripts/check_exports.ts`, and the npm export map that
 * `scripts/build_npm.ts` writes. No runtime API here, so the test runs on
 * Deno, Node and Bun.
 *
 * @module
 */

/** The fields of deno.json (or jsr.json) that describe the package. */
export interface DenoConfig {
  /** The JSR name, `@scope/name`. */
  name?: unknown;
  /** The semver version. */
  version?: unknown;
  /** The SPDX license. */
  license?: unknown;
  /** One entry point, or a map from subpath to entry point. */
  exports?: unknown;
  /** What `deno publish` uploads. */
  publish?: { include?: unknown; exclude?: unknown };
}

/** One conditional entry of a package.json export map. */
export interface NpmExportEntry {
  /** The declaration file. */
  types: string;
  /** The ESM module. */
  default: string;
}

/** The fields of npm/package.json that must follow deno.json. */
export interface NpmPackage {
  /** The npm name. */
  name?: unknown;
  /** The semver version. */
  version?: unknown;
  /** The SPDX license. */
  license?: unknown;
  /** The export map. */
  exports?: unknown;
  /** The entry for old resolvers. */
  main?: unknown;
  /** The declarations for old resolvers. */
  types?: unknown;
}

/**
 * Normalises deno.json `exports` to a map from subpath to `./file.ts`.
 *
 * @param exports A string or a subpath map.
 * @returns The map, with `"."` for a lone string.
 * @throws {TypeError} If `exports` is missing or not a string or map of strings.
 */
export function exportMap(exports: unknown): Record<string, string> {
  if (typeof exports === "string") return { ".": exports };
  if (
    typeof exports !== "object" || exports === null || Array.isArray(exports) ||
    !Object.values(exports).every((value) => typeof value === "string")
  ) {
    throw new TypeError(
      `Cannot read 'exports': expected a string or a map of strings, received ${
        JSON.stringify(exports)
      }`,
    );
  }
  return { ...(exports as Record<string, string>) };
}

/**
 * Maps a source path (`./src/testing/mod.ts`) to its built JavaScript and
 * declaration files (`./src/testing/mod.js`, `./src/testing/mod.d.ts`).
 *
 * @param source A relative `.ts` or `.mts` path.
 * @returns The npm export entry.
 * @throws {TypeError} If the path is not a relative TypeScript file.
 */
export function npmEntry(source: string): NpmExportEntry {
  const match = /^(\.\/.+)\.(m?)ts$/.exec(source);
  if (match === null || source.endsWith(".d.ts")) {
    throw new TypeError(
      `Cannot map export to npm: expected a relative .ts file, received ${
        JSON.stringify(source)
      }`,
    );
  }
  const [, stem, m] = match;
  return { types: `${stem}.d.${m}ts`, default: `${stem}.${m}js` };
}

/**
 * The package.json export map that corresponds to deno.json `exports`.
 *
 * @param exports deno.json `exports`.
 * @returns One `{ types, default }` entry per subpath, in deno.json's order.
 */
export function npmExports(exports: unknown): Record<string, NpmExportEntry> {
  const result: Record<string, NpmExportEntry> = {};
  for (const [subpath, source] of Object.entries(exportMap(exports))) {
    result[subpath] = npmEntry(source);
  }
  return result;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function exportsOrProblem(
  file: string,
  exports: unknown,
  problems: string[],
): Record<string, string> | undefined {
  try {
    return exportMap(exports);
  } catch (error) {
    problems.push(`${file}: ${(error as Error).message}`);
    return undefined;
  }
}

/**
 * Lists how jsr.json differs from deno.json in name, version, license,
 * exports and publish include/exclude.
 *
 * @param deno The parsed deno.json.
 * @param jsr The parsed jsr.json.
 * @returns One message per difference; empty when they match.
 */
export function compareJsr(deno: DenoConfig, jsr: DenoConfig): string[] {
  const problems: string[] = [];
  for (const field of ["name", "version", "license"] as const) {
    if (deno[field] === undefined) {
      problems.push(`deno.json: '${field}' is missing`);
    } else if (!same(deno[field], jsr[field])) {
      problems.push(
        `jsr.json '${field}' is ${
          JSON.stringify(jsr[field])
        } but deno.json has ${JSON.stringify(deno[field])}`,
      );
    }
  }
  const denoExports = exportsOrProblem("deno.json", deno.exports, problems);
  const jsrExports = exportsOrProblem("jsr.json", jsr.exports, problems);
  if (denoExports && jsrExports && !same(denoExports, jsrExports)) {
    problems.push(
      `jsr.json 'exports' is ${JSON.stringify(jsrExports)} but deno.json has ${
        JSON.stringify(denoExports)
      }`,
    );
  }
  for (const field of ["include", "exclude"] as const) {
    const want = deno.publish?.[field];
    const got = jsr.publish?.[field];
    if (!same(want, got)) {
      problems.push(
        `jsr.json 'publish.${field}' is ${
          JSON.stringify(got)
        } but deno.json has ${JSON.stringify(want)}`,
      );
    }
  }
  return problems;
}

/**
 * Lists how a generated npm/package.json differs from what deno.json
 * implies: version, license, the export map (same subpaths, each pointing at
 * the built `.js` and `.d.ts` of deno.json's source file), and `main`/`types`
 * matching the `"."` export.
 *
 * @param deno The parsed deno.json.
 * @param pkg The parsed npm/package.json.
 * @param exists Tells whether a path relative to npm/ exists; omit to skip
 *   the file check.
 * @returns One message per difference; empty when they correspond.
 */
export function compareNpm(
  deno: DenoConfig,
  pkg: NpmPackage,
  exists?: (path: string) => boolean,
): string[] {
  const problems: string[] = [];
  for (const field of ["version", "license"] as const) {
    if (!same(deno[field], pkg[field])) {
      problems.push(
        `npm/package.json '${field}' is ${
          JSON.stringify(pkg[field])
        } but deno.json has ${JSON.stringify(deno[field])}`,
      );
    }
  }
  let want: Record<string, NpmExportEntry>;
  try {
    want = npmExports(deno.exports);
  } catch (error) {
    return [...problems, `deno.json: ${(error as Error).message}`];
  }
  const got =
    (typeof pkg.exports === "object" && pkg.exports !== null
      ? pkg.exports
      : { ".": pkg.exports }) as Record<string, unknown>;
  const wantKeys = Object.keys(want).sort();
  const gotKeys = Object.keys(got).sort();
  if (!same(wantKeys, gotKeys)) {
    problems.push(
      `npm/package.json exports subpaths ${
        JSON.stringify(gotKeys)
      } but deno.json has ${JSON.stringify(wantKeys)}`,
    );
  }
  for (const key of wantKeys) {
    if (!(key in got)) continue;
    const entry = got[key] as Partial<NpmExportEntry> | undefined;
    if (
      entry?.types !== want[key].types || entry?.default !== want[key].default
    ) {
      problems.push(
        `npm/package.json exports[${JSON.stringify(key)}] is ${
          JSON.stringify(entry)
        } but ${JSON.stringify(exportMap(deno.exports)[key])} builds to ${
          JSON.stringify(want[key])
        }`,
      );
    }
  }
  const root = want["."];
  if (root !== undefined) {
    if (pkg.main !== root.default) {
      problems.push(
        `npm/package.json 'main' is ${JSON.stringify(pkg.main)}, expected ${
          JSON.stringify(root.default)
        }`,
      );
    }
    if (pkg.types !== root.types) {
      problems.push(
        `npm/package.json 'types' is ${JSON.stringify(pkg.types)}, expected ${
          JSON.stringify(root.types)
        }`,
      );
    }
  }
  if (exists !== undefined) {
    for (const entry of Object.values(want)) {
      for (const file of [entry.default, entry.types]) {
        if (!exists(file)) {
          problems.push(
            `npm/${file.slice(2)} is missing: rebuild with deno task build:npm`,
          );
        }
      }
    }
  }
  return problems;
}
