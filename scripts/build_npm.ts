/**
 * Builds the npm package into `npm/` (our replacement for dnt).
 *
 * 1. Reads name, version, license and exports from deno.json.
 * 2. Finds the npm packages that the published entry points import
 *    (`dependencies`) and those only the tests import (`devDependencies`)
 *    from `deno info --json`, with the ranges of the import map. A `jsr:` or
 *    remote import fails the build: npm users could not resolve it. The Azure
 *    SDKs (each loaded by one subpath only) become optional
 *    `peerDependencies`, so that a Cosmos-only user installs `@azure/cosmos`
 *    alone; they stay `devDependencies` for the tests.
 * 3. Compiles the entry points and every `tests/**.ts` with TypeScript 6.0.3
 *    (the one deno bundles) to ES2022 `.js`, `.d.ts` and maps, rewriting
 *    relative `.ts` specifiers to `.js`, in `.d.ts` files too.
 * 4. Writes npm/package.json, copies README.md and LICENSE, and runs
 *    `npm install` in npm/ (skipped when the dependencies did not change) so
 *    Node and Bun can run the compiled tests.
 *
 * Usage: `deno run -A scripts/build_npm.ts [--check] [--force]`. `--check`
 * then runs publint and `attw --pack . --profile esm-only` on the package.
 * The build is skipped when no input (deno.json, mod.ts, README.md, LICENSE,
 * src/, tests/, scripts/) changed in size or mtime since the last one;
 * `--force` rebuilds anyway. The npm name
 * defaults to azure-clients-toolbox; set NPM_NAME to override it.
 *
 * @module
 */

import ts from "typescript";
import { npmExports } from "./_exports.ts";
import { ROOT, runOrThrow, tool } from "./_tools.ts";

const OUT = `${ROOT}npm/`;
const NPM_NAME = Deno.env.get("NPM_NAME") ?? "azure-clients-toolbox";
const DESCRIPTION =
  "Pooled Azure SDK clients (Cosmos DB, Service Bus, Event Hubs) with a runtime-agnostic connection pool";
/**
 * Where the source lives (an assumption until the repository is public; set
 * NPM_REPOSITORY to `owner/name` on GitHub to override).
 */
const REPOSITORY = Deno.env.get("NPM_REPOSITORY") ?? "azure-clients/toolbox";
const KEYWORDS = [
  "azure",
  "connection-pool",
  "pool",
  "cosmos",
  "cosmosdb",
  "service-bus",
  "event-hubs",
  "event-grid",
  "eventgrid",
  "blob-storage",
  "azurite",
  "amqp",
  "deno",
  "bun",
];
/**
 * The SDKs that one subpath each loads (`./cosmos`, `./service-bus`,
 * `./event-hubs`, `./event-grid`, `./blob`), and the servers behind
 * `./testing/servers` (`rhea`, `@vercel/cosmosdb-server`, `azurite`):
 * optional peers, installed by the user who imports that subpath.
 */
const OPTIONAL_PEERS = new Set([
  "@azure/cosmos",
  "@azure/event-hubs",
  "@azure/eventgrid",
  "@azure/service-bus",
  "@azure/storage-blob",
  "@vercel/cosmosdb-server",
  "azurite",
  "rhea",
]);
const STAMP = `${OUT}node_modules/.azure-clients-toolbox-deps.json`;
const BUILD_STAMP = `${OUT}node_modules/.azure-clients-toolbox-build.txt`;
/** What the build reads: a change to any of these (size or mtime) rebuilds. */
const INPUTS = [
  "deno.json",
  "mod.ts",
  "README.md",
  "docs",
  "LICENSE",
  "src",
  "tests",
  "scripts",
];

interface DenoJson {
  name: string;
  version: string;
  license: string;
  exports: string | Record<string, string>;
  imports?: Record<string, string>;
  publish?: { include?: string[]; exclude?: string[] };
}

interface InfoModule {
  kind: string;
  specifier: string;
  local?: string;
  error?: string;
  dependencies?: {
    specifier: string;
    code?: { specifier?: string; error?: string };
    type?: { specifier?: string; error?: string };
  }[];
}

/** Splits `npm:@scope/name@^1.2.0/sub` into name and range. */
export function parseNpmSpecifier(
  specifier: string,
): { name: string; range: string } {
  const match = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)(?:@([^/]+))?(?:\/.*)?$/.exec(
    specifier,
  );
  if (match === null) {
    throw new Error(`Cannot parse npm specifier ${specifier}`);
  }
  return { name: match[1], range: match[2] ?? "*" };
}

async function denoInfo(file: string): Promise<InfoModule[]> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", file],
    cwd: ROOT,
    stdin: "null",
  }).output();
  if (code !== 0) {
    throw new Error(
      `deno info ${file} failed:\n${new TextDecoder().decode(stderr)}`,
    );
  }
  return JSON.parse(new TextDecoder().decode(stdout)).modules as InfoModule[];
}

/** The npm packages that local modules reachable from `files` import, with their ranges. */
async function npmImports(files: string[]): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const problems: string[] = [];
  const graphs = await Promise.all(files.map(denoInfo));
  for (const modules of graphs) {
    for (const module of modules) {
      if (module.error) problems.push(`${module.specifier}: ${module.error}`);
      if (module.local === undefined || !module.specifier.startsWith("file:")) {
        continue;
      }
      for (const dependency of module.dependencies ?? []) {
        for (
          const resolved of [
            dependency.code?.specifier,
            dependency.type?.specifier,
          ]
        ) {
          if (
            resolved === undefined || resolved.startsWith("file:") ||
            resolved.startsWith("node:")
          ) {
            continue;
          }
          const where = `${
            module.specifier.slice(`file://${ROOT}`.length)
          } imports "${dependency.specifier}"`;
          if (!resolved.startsWith("npm:")) {
            problems.push(
              `${where} (${resolved}): only npm: and node: imports can be published to npm`,
            );
            continue;
          }
          const { name, range } = parseNpmSpecifier(resolved);
          const seen = found.get(name);
          if (seen !== undefined && seen !== range) {
            problems.push(
              `${where}: ${name} is imported with both ${seen} and ${range}`,
            );
          }
          found.set(name, range);
        }
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(`Cannot build npm package:\n  ${problems.join("\n  ")}`);
  }
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)));
}

function walkTs(dir: string): string[] {
  const files: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return files;
    throw error;
  }
  for (const entry of entries) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) files.push(...walkTs(path));
    else if (/\.m?ts$/.test(entry.name) && !entry.name.endsWith(".d.ts")) {
      files.push(path);
    }
  }
  return files.sort();
}

/** Relative `./x.ts` specifiers in emitted `.d.ts` stay `.ts` (TS 6 rewrites `.js` only). */
export function fixDeclarationSpecifiers(text: string): string {
  return text.replace(
    /((?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["'])(\.\.?\/[^"'\n]*?)\.(m?)ts(["'])/g,
    (_all, head: string, path: string, m: string, quote: string) =>
      `${head}${path}.${m}js${quote}`,
  );
}

/** Compiles `roots` into npm/, returning the error messages. */
function compile(roots: string[]): string[] {
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.ESNext,
    moduleResolution: ts.ModuleResolutionKind.Bundler,
    lib: ["lib.es2022.d.ts", "lib.esnext.disposable.d.ts", "lib.dom.d.ts"],
    types: [],
    strict: true,
    declaration: true,
    isolatedDeclarations: true,
    sourceMap: true,
    inlineSources: true,
    rewriteRelativeImportExtensions: true,
    allowImportingTsExtensions: true,
    // deno check type-checks with the same TypeScript; here npm packages live
    // in Deno's cache, not in node_modules, so a full check cannot resolve them.
    noCheck: true,
    skipLibCheck: true,
    rootDir: ROOT,
    outDir: OUT,
    newLine: ts.NewLineKind.LineFeed,
  };
  const host = ts.createCompilerHost(options);
  const program = ts.createProgram({ rootNames: roots, options, host });
  const result = program.emit(
    undefined,
    (fileName, text, writeBOM, onError, sources, data) => {
      const out = fileName.endsWith(".d.ts") || fileName.endsWith(".d.mts")
        ? fixDeclarationSpecifiers(text)
        : text;
      host.writeFile(fileName, out, writeBOM, onError, sources, data);
    },
  );
  const format = (diagnostic: ts.Diagnostic) =>
    ts.formatDiagnostic(diagnostic, {
      getCanonicalFileName: (f) => f,
      getCurrentDirectory: () => ROOT,
      getNewLine: () => "\n",
    }).trimEnd();
  const errors = program.getSyntacticDiagnostics().map(format);
  for (const diagnostic of result.diagnostics) {
    if (
      diagnostic.category !== ts.DiagnosticCategory.Error ||
      diagnostic.code === 2307
    ) continue;
    // Declarations matter only for what npm users import; tests and scripts need none.
    const file = diagnostic.file?.fileName ?? "";
    if (
      file.startsWith(`${ROOT}tests/`) || file.startsWith(`${ROOT}scripts/`)
    ) continue;
    errors.push(format(diagnostic));
  }
  return errors;
}

/** The `files` of package.json, from deno.json `publish.include`. */
function npmFiles(include: string[]): string[] {
  const files: string[] = [];
  for (const entry of include) {
    const match = /^(?:\.\/)?(.+)\.(m?)ts$/.exec(entry);
    if (match === null) files.push(entry);
    else {
      const [, stem, m] = match;
      files.push(`${stem}.${m}js`, `${stem}.d.${m}ts`, `${stem}.${m}js.map`);
    }
  }
  return files;
}

function emptyOut(): void {
  Deno.mkdirSync(OUT, { recursive: true });
  for (const entry of Deno.readDirSync(OUT)) {
    if (entry.name !== "node_modules") {
      Deno.removeSync(`${OUT}${entry.name}`, { recursive: true });
    }
  }
}

/** Size and mtime of every input file, plus the settings that shape the output. */
function fingerprint(): string {
  const lines = [`NPM_NAME=${NPM_NAME}`, `NPM_REPOSITORY=${REPOSITORY}`];
  const visit = (path: string) => {
    let info: Deno.FileInfo;
    try {
      info = Deno.statSync(path);
    } catch {
      return;
    }
    if (info.isDirectory) {
      const names = [...Deno.readDirSync(path)].map((entry) => entry.name)
        .sort();
      for (const name of names) visit(`${path}/${name}`);
    } else {
      lines.push(
        `${path.slice(ROOT.length)} ${info.size} ${info.mtime?.getTime()}`,
      );
    }
  };
  for (const input of INPUTS) visit(`${ROOT}${input}`);
  return lines.join("\n");
}

function readText(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

function readJson(path: string): unknown {
  try {
    return JSON.parse(Deno.readTextFileSync(path));
  } catch {
    return undefined;
  }
}

/** Derives package.json, compiles into npm/ and installs its dependencies. */
async function build(): Promise<void> {
  const started = performance.now();
  const deno = JSON.parse(
    Deno.readTextFileSync(`${ROOT}deno.json`),
  ) as DenoJson;
  const exports = npmExports(deno.exports);
  const entries = Object.values(
    typeof deno.exports === "string" ? { ".": deno.exports } : deno.exports,
  ).map((path) => `${ROOT}${path.replace(/^\.\//, "")}`);
  const tests = walkTs(`${ROOT}tests`);

  const [imported, testImports] = await Promise.all([
    npmImports(entries),
    npmImports(tests),
  ]);
  const peerDependencies = new Map(
    [...imported].filter(([name]) => OPTIONAL_PEERS.has(name)),
  );
  const dependencies = new Map(
    [...imported].filter(([name]) => !OPTIONAL_PEERS.has(name)),
  );
  const devDependencies = new Map(
    [...testImports, ...peerDependencies].filter(([name]) =>
      !dependencies.has(name)
    ).sort(([a], [b]) => a.localeCompare(b)),
  );

  emptyOut();
  const errors = compile([...entries, ...tests]);
  if (errors.length > 0) {
    throw new Error(`Cannot build npm package:\n${errors.join("\n")}`);
  }

  const pkg = {
    name: NPM_NAME,
    version: deno.version,
    description: DESCRIPTION,
    keywords: KEYWORDS,
    license: deno.license,
    repository: {
      type: "git",
      url: `git+https://github.com/${REPOSITORY}.git`,
    },
    homepage: `https://github.com/${REPOSITORY}#readme`,
    bugs: { url: `https://github.com/${REPOSITORY}/issues` },
    type: "module",
    main: exports["."]?.default,
    types: exports["."]?.types,
    exports,
    files: npmFiles(
      deno.publish?.include ??
        ["mod.ts", "src/", "README.md", "docs/", "LICENSE"],
    ),
    // Only the channel binding runs on load (it registers with
    // node:diagnostics_channel); bundlers may drop every other unused module.
    sideEffects: ["./src/runtime/diagnostics_channel.js"],
    engines: { node: ">=20" },
    dependencies: Object.fromEntries(dependencies),
    peerDependencies: Object.fromEntries(peerDependencies),
    peerDependenciesMeta: Object.fromEntries(
      [...peerDependencies.keys()].map((name) => [name, { optional: true }]),
    ),
    devDependencies: Object.fromEntries(devDependencies),
  };
  Deno.writeTextFileSync(
    `${OUT}package.json`,
    JSON.stringify(pkg, null, 2) + "\n",
  );
  for (const file of ["README.md", "LICENSE"]) {
    Deno.copyFileSync(`${ROOT}${file}`, `${OUT}${file}`);
  }
  // The guides the README links to travel with it.
  Deno.mkdirSync(`${OUT}docs`, { recursive: true });
  for (const entry of Deno.readDirSync(`${ROOT}docs`)) {
    if (entry.isFile && entry.name.endsWith(".md")) {
      Deno.copyFileSync(
        `${ROOT}docs/${entry.name}`,
        `${OUT}docs/${entry.name}`,
      );
    }
  }
  const built = performance.now();
  console.error(
    `build_npm: compiled ${entries.length} entry points and ${tests.length} test files into npm/ in ${
      Math.round(built - started)
    } ms`,
  );

  const wanted = {
    dependencies: pkg.dependencies,
    devDependencies: pkg.devDependencies,
  };
  if (JSON.stringify(readJson(STAMP)) !== JSON.stringify(wanted)) {
    await runOrThrow("npm", [
      "install",
      "--no-package-lock",
      "--ignore-scripts",
      "--no-audit",
      "--no-fund",
    ], OUT);
    Deno.mkdirSync(`${OUT}node_modules`, { recursive: true });
    Deno.writeTextFileSync(STAMP, JSON.stringify(wanted));
    console.error(
      `build_npm: npm install in npm/ took ${
        Math.round(performance.now() - built)
      } ms`,
    );
  }
}

/**
 * Builds npm/ as described in the module doc, unless no input changed since
 * the last build.
 *
 * @param options `check` runs publint and attw afterwards; `force` rebuilds
 *   even if no input changed.
 */
export async function buildNpm(
  options: { check?: boolean; force?: boolean } = {},
): Promise<void> {
  const inputs = fingerprint();
  if (
    !options.force && readText(BUILD_STAMP) === inputs &&
    readText(`${OUT}package.json`) !== undefined
  ) {
    console.error(
      "build_npm: npm/ is up to date (no input changed; --force rebuilds)",
    );
  } else {
    await build();
    Deno.writeTextFileSync(BUILD_STAMP, inputs);
  }
  if (options.check) {
    await runOrThrow(await tool("publint"), ["--strict"], OUT);
    await runOrThrow(await tool("attw"), [
      "--pack",
      ".",
      "--profile",
      "esm-only",
      "--no-color",
    ], OUT);
  }
}

if (import.meta.main) {
  try {
    await buildNpm({
      check: Deno.args.includes("--check"),
      force: Deno.args.includes("--force"),
    });
  } catch (error) {
    console.error((error as Error).message);
    Deno.exit(1);
  }
}
