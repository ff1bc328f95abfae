/**
 * The logic of `scripts/check_docs.ts`, free of any runtime API so that its
 * test runs on Deno, Node and Bun: reading markdown (fenced code blocks,
 * inline code, links, heading anchors), mapping the package's own import
 * specifiers to its entry points, finding the names a document cites that no
 * entry point exports, finding links between documents that lead nowhere,
 * and reading the diagnostics of `deno check` back to a document's lines.
 *
 * @module
 */

/** One problem found in a document, at a line of it (1-based). */
export interface Problem {
  /** The document, relative to the repository root (`docs/pool.md`). */
  file: string;
  /** The line in that document. */
  line: number;
  /** What is wrong. */
  message: string;
}

/**
 * Formats a problem as `file:line: message`.
 *
 * @param problem The problem.
 * @returns One line.
 */
export function formatProblem(problem: Problem): string {
  return `${problem.file}:${problem.line}: ${problem.message}`;
}

/** A fenced code block of a markdown document. */
export interface CodeBlock {
  /** The language, the info string's first word (`ts`), lower-cased. */
  lang: string;
  /** The info string's other words (`["ignore"]` for ```` ```ts ignore ````). */
  flags: string[];
  /** The code, without the fences. */
  code: string;
  /** The document line of the code's first line (1-based). */
  line: number;
  /** The `tests/examples/<file>` named by a marker comment just above, if any. */
  example?: string;
}

const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
const EXAMPLE_MARKER = /^<!-- (tests\/examples\/[\w.]+) -->$/;

/**
 * The fenced code blocks of a markdown document, in order.
 *
 * @param markdown The document.
 * @returns Its code blocks.
 */
export function codeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split("\n");
  const blocks: CodeBlock[] = [];
  let marker: string | undefined;
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]);
    if (open === null) {
      const text = lines[i].trim();
      const example = EXAMPLE_MARKER.exec(text);
      if (example !== null) marker = example[1];
      else if (text !== "") marker = undefined;
      continue;
    }
    const [, fence, info] = open;
    const [lang = "", ...flags] = info.trim().split(/\s+/).filter(Boolean);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(lines[j]);
      if (
        close !== null && close[1][0] === fence[0] &&
        close[1].length >= fence.length
      ) break;
      body.push(lines[j]);
    }
    blocks.push({
      lang: lang.toLowerCase(),
      flags,
      code: body.join("\n"),
      line: i + 2,
      ...(marker === undefined ? {} : { example: marker }),
    });
    marker = undefined;
    i = j;
  }
  return blocks;
}

/**
 * Whether a block is TypeScript (`ts`, `typescript`, `tsx`, `mts`).
 *
 * @param block The block.
 * @returns Whether it is.
 */
export function isTypeScript(block: CodeBlock): boolean {
  return ["ts", "typescript", "tsx", "mts"].includes(block.lang);
}

/**
 * Whether a block is marked `ignore` (it cannot compile on its own).
 *
 * @param block The block.
 * @returns Whether it is.
 */
export function isIgnored(block: CodeBlock): boolean {
  return block.flags.includes("ignore");
}

/**
 * The document with every fenced code block and HTML comment blanked out
 * (each line kept, so line numbers hold): what prose-level checks read.
 *
 * @param markdown The document.
 * @returns The prose, line for line.
 */
export function proseOf(markdown: string): string {
  const lines = markdown.split("\n");
  let fence: string | undefined;
  let comment = false;
  return lines.map((line) => {
    if (fence !== undefined) {
      const close = /^ {0,3}(`{3,}|~{3,})\s*$/.exec(line);
      if (
        close !== null && close[1][0] === fence[0] &&
        close[1].length >= fence.length
      ) {
        fence = undefined;
      }
      return "";
    }
    const open = FENCE.exec(line);
    if (open !== null && !comment) {
      fence = open[1];
      return "";
    }
    let out = "";
    let rest = line;
    while (rest.length > 0) {
      if (comment) {
        const end = rest.indexOf("-->");
        if (end < 0) return out;
        comment = false;
        rest = rest.slice(end + 3);
      } else {
        const start = rest.indexOf("<!--");
        if (start < 0) return out + rest;
        out += rest.slice(0, start);
        comment = true;
        rest = rest.slice(start + 4);
      }
    }
    return out;
  }).join("\n");
}

/** An inline code span of a document's prose. */
export interface InlineCode {
  /** The text between the backticks, trimmed. */
  text: string;
  /** Its line. */
  line: number;
}

/**
 * The inline code spans of a document's prose (outside code blocks and HTML
 * comments). A span does not cross a line, as this repository formats prose.
 *
 * @param markdown The document.
 * @returns Its spans.
 */
export function inlineCode(markdown: string): InlineCode[] {
  const spans: InlineCode[] = [];
  proseOf(markdown).split("\n").forEach((line, i) => {
    for (const match of line.matchAll(/(`+)(.+?)\1(?!`)/g)) {
      spans.push({ text: match[2].trim(), line: i + 1 });
    }
  });
  return spans;
}

/**
 * The name a code span cites as an export, if it cites one: a PascalCase
 * identifier (with at least one lower-case letter, so `ECONNREFUSED` and
 * `TS2304` are not names), alone or followed by a member, call or type
 * arguments (`ManagedCosmos`, `Connector.watch`, `ManagedLease<Container>`).
 *
 * @param span The span's text.
 * @returns The name, or `undefined`.
 */
export function citedName(span: string): string | undefined {
  const match = /^([A-Z][A-Za-z0-9]*)(?:[.<(\[][^`]*)?$/.exec(span);
  if (match === null || !/[a-z]/.test(match[1])) return undefined;
  return match[1];
}

/** One `import` statement of a code block. */
export interface ImportStatement {
  /** The module specifier. */
  specifier: string;
  /** The names it imports (the exported names, before any `as`). */
  names: string[];
  /** The block line it starts on (1-based). */
  line: number;
}

/**
 * The static `import` statements of a code block that import names.
 *
 * @param code The block's code.
 * @returns Its import statements.
 */
export function importStatements(code: string): ImportStatement[] {
  const statements: ImportStatement[] = [];
  const pattern =
    /^[ \t]*import\s+(?:type\s+)?(?:([\w$]+)\s*,?\s*)?(?:\{([^}]*)\})?\s*from\s*["']([^"']+)["']/gm;
  for (const match of code.matchAll(pattern)) {
    const [, , named = "", specifier] = match;
    const names = named.split(",")
      .map((part) =>
        part.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0].trim()
      )
      .filter(Boolean);
    const line = code.slice(0, match.index).split("\n").length;
    statements.push({ specifier, names, line });
  }
  return statements;
}

/**
 * Maps the package's own names for its entry points to the files: both
 * `@azure-clients/toolbox<subpath>` (JSR) and `azure-clients-toolbox<subpath>`
 * (npm), from deno.json `exports`.
 *
 * @param exports deno.json `exports`, a map from subpath to file.
 * @param names The package's names.
 * @returns From specifier (`@azure-clients/toolbox/cosmos`) to file (`./src/cosmos/mod.ts`).
 */
export function packageSpecifiers(
  exports: Record<string, string>,
  names: readonly string[] = [
    "@azure-clients/toolbox",
    "azure-clients-toolbox",
  ],
): Map<string, string> {
  const map = new Map<string, string>();
  for (const name of names) {
    for (const [subpath, file] of Object.entries(exports)) {
      map.set(`${name}${subpath.slice(1)}`, file);
    }
  }
  return map;
}

/**
 * Rewrites the module specifiers of `code` that `resolve` knows (quoted
 * imports and exports, dynamic imports), leaving every line where it was.
 *
 * @param code The code.
 * @param resolve The new specifier for a specifier, or `undefined` to keep it.
 * @returns The code with those specifiers replaced.
 */
export function mapSpecifiers(
  code: string,
  resolve: (specifier: string) => string | undefined,
): string {
  return code.replace(
    /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])([^"'\n]+)\2/g,
    (all, head: string, quote: string, specifier: string) => {
      const mapped = resolve(specifier);
      return mapped === undefined ? all : `${head}${quote}${mapped}${quote}`;
    },
  );
}

/**
 * The names a document declares as not this package's (an SDK's, the old
 * names a changelog lists): `<!-- docs-check: elsewhere A, B, C -->`.
 *
 * @param markdown The document.
 * @returns The names.
 */
export function namesFromElsewhere(markdown: string): Set<string> {
  const names = new Set<string>();
  for (
    const match of markdown.matchAll(
      /<!--\s*docs-check:\s*elsewhere\s+([\s\S]*?)-->/g,
    )
  ) {
    for (const name of match[1].split(/[\s,]+/)) if (name) names.add(name);
  }
  return names;
}

/** What the names check knows about the package. */
export interface ExportsIndex {
  /** From a package specifier (`@azure-clients/toolbox/cosmos`) to what that entry point exports. */
  bySpecifier: ReadonlyMap<string, ReadonlySet<string>>;
  /** Everything any entry point exports. */
  all: ReadonlySet<string>;
  /** Names cited in every document that are not the package's (JavaScript's, the Azure SDKs'). */
  elsewhere: ReadonlySet<string>;
}

/**
 * The names a document cites that no entry point exports: code spans of its
 * prose that cite a name ({@linkcode citedName}), and the names of its code
 * blocks' imports from the package (checked against that very entry point).
 *
 * @param file The document's path, for problems.
 * @param markdown The document.
 * @param index What the package exports.
 * @returns The problems.
 */
export function checkNames(
  file: string,
  markdown: string,
  index: ExportsIndex,
): Problem[] {
  const problems: Problem[] = [];
  const local = namesFromElsewhere(markdown);
  const known = (name: string) =>
    index.all.has(name) || index.elsewhere.has(name) || local.has(name);
  for (const span of inlineCode(markdown)) {
    const name = citedName(span.text);
    if (name !== undefined && !known(name)) {
      problems.push({
        file,
        line: span.line,
        message: `\`${name}\` is not exported by any entry point`,
      });
    }
  }
  for (const block of codeBlocks(markdown)) {
    if (!isTypeScript(block) && block.lang !== "js") continue;
    for (const statement of importStatements(block.code)) {
      const exported = index.bySpecifier.get(statement.specifier);
      const line = block.line + statement.line - 1;
      if (exported === undefined) {
        if (isPackageSpecifier(statement.specifier, index)) {
          problems.push({
            file,
            line,
            message:
              `"${statement.specifier}" is not an entry point of the package`,
          });
        }
        continue;
      }
      for (const name of statement.names) {
        if (!exported.has(name)) {
          problems.push({
            file,
            line,
            message: `\`${name}\` is not exported by "${statement.specifier}"`,
          });
        }
      }
    }
  }
  return problems;
}

/**
 * The exports that no document names: each public name of an entry point
 * must be described somewhere in the README or a guide (named as a word in
 * its text or code).
 *
 * @param exported Every name the entry points export.
 * @param documents The documents' texts.
 * @returns The names no document mentions, sorted.
 */
export function undescribedExports(
  exported: Iterable<string>,
  documents: readonly string[],
): string[] {
  const words = new Set<string>();
  for (const text of documents) {
    for (const word of text.match(/[A-Za-z_$][\w$]*/g) ?? []) words.add(word);
  }
  return [...exported].filter((name) => !words.has(name)).sort();
}

/** Whether `specifier` names the package (any subpath), going by the known entry points. */
function isPackageSpecifier(specifier: string, index: ExportsIndex): boolean {
  for (const known of index.bySpecifier.keys()) {
    const root = known.split("/").slice(0, known.startsWith("@") ? 2 : 1)
      .join("/");
    if (specifier === root || specifier.startsWith(`${root}/`)) return true;
  }
  return false;
}

/**
 * The anchor GitHub gives a heading: its text lower-cased, markup and
 * punctuation (but `-` and `_`) dropped, spaces made hyphens.
 *
 * @param heading The heading's text (without the `#`s).
 * @returns The anchor, without `#`.
 */
export function slug(heading: string): string {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .toLowerCase()
    .trim()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/**
 * The anchors of a document: one per heading (a repeated heading gets
 * `-1`, `-2`, ...), and each `<a id>` or `<a name>`.
 *
 * @param markdown The document.
 * @returns Its anchors.
 */
export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseOf(markdown).split("\n")) {
    const heading = /^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading !== null) {
      const base = slug(heading[1]);
      const count = seen.get(base) ?? 0;
      seen.set(base, count + 1);
      anchors.add(count === 0 ? base : `${base}-${count}`);
    }
    for (const match of line.matchAll(/<a\s+(?:id|name)=["']([^"']+)["']/g)) {
      anchors.add(match[1]);
    }
  }
  return anchors;
}

/** A link of a document's prose. */
export interface Link {
  /** Where it points, as written. */
  target: string;
  /** Its line. */
  line: number;
}

/**
 * The links of a document's prose: inline links and images
 * (`[text](target)`), and reference definitions (`[label]: target`).
 * Code spans and blocks are not read.
 *
 * @param markdown The document.
 * @returns Its links.
 */
export function linksOf(markdown: string): Link[] {
  const links: Link[] = [];
  proseOf(markdown).split("\n").forEach((raw, i) => {
    const line = raw.replace(/(`+).+?\1(?!`)/g, "");
    for (
      const match of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)
    ) {
      links.push({ target: match[1], line: i + 1 });
    }
    const reference = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/.exec(
      line,
    );
    if (reference !== null) links.push({ target: reference[1], line: i + 1 });
  });
  return links;
}

/** What the link check may read of the repository. */
export interface LinkContext {
  /** The text of a file (relative to the root), or `undefined` if there is no such file. */
  read(path: string): string | undefined;
  /** Whether a path (relative to the root) is a directory. */
  isDirectory(path: string): boolean;
  /**
   * Files that other branches add: a link to one that is missing here is
   * a note, not a problem (once the file exists, it is checked as any other).
   */
  expectedElsewhere: ReadonlySet<string>;
  /**
   * URLs that stand for the repository's root (`https://github.com/o/r/blob/main/`):
   * a link under one is checked as a link to that file.
   */
  repositoryUrls: readonly string[];
}

/** The outcome of a link check. */
export interface LinkReport {
  /** Broken links. */
  problems: Problem[];
  /** Links to files another branch adds, missing here. */
  notes: Problem[];
}

/**
 * The normalised path of `target` relative to the root, seen from `from`.
 *
 * @param from The directory of the linking file, relative to the root (`""` for the root).
 * @param target A relative path.
 * @returns The path, or `undefined` when it climbs above the root.
 */
export function resolvePath(from: string, target: string): string | undefined {
  const parts = from === "" ? [] : from.split("/");
  for (const part of target.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (parts.length === 0) return undefined;
      parts.pop();
    } else parts.push(part);
  }
  return parts.join("/");
}

/**
 * The links of a document that lead nowhere: a relative link to a file that
 * does not exist, or to an anchor that its markdown target lacks; a link into
 * the repository by its URL is checked the same way. Links to other sites
 * are not followed.
 *
 * @param file The document's path relative to the root.
 * @param markdown The document (or a JSDoc comment's text, line for line).
 * @param context What the check may read.
 * @returns The problems, and notes for files other branches add.
 */
export function checkLinks(
  file: string,
  markdown: string,
  context: LinkContext,
): LinkReport {
  const report: LinkReport = { problems: [], notes: [] };
  const dir = file.includes("/") ? file.slice(0, file.lastIndexOf("/")) : "";
  for (const { target, line } of linksOf(markdown)) {
    let base = dir;
    let relative = target;
    const repository = context.repositoryUrls.find((url) =>
      target.startsWith(url)
    );
    if (repository !== undefined) {
      base = "";
      relative = target.slice(repository.length);
    } else if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith("//")) {
      continue; // another site: not followed
    }
    const hash = relative.indexOf("#");
    const pathPart = decodeURIComponent(
      hash < 0 ? relative : relative.slice(0, hash),
    );
    const anchor = hash < 0
      ? undefined
      : decodeURIComponent(relative.slice(hash + 1));
    const path = pathPart === "" ? file : resolvePath(base, pathPart);
    if (path === undefined) {
      report.problems.push({
        file,
        line,
        message: `link ${target} leads above the repository`,
      });
      continue;
    }
    const text = path === file ? markdown : context.read(path);
    if (text === undefined && !context.isDirectory(path)) {
      if (context.expectedElsewhere.has(path)) {
        report.notes.push({
          file,
          line,
          message: `link ${target}: ${path} is expected from another branch`,
        });
      } else {
        report.problems.push({
          file,
          line,
          message: `link ${target}: no file ${path}`,
        });
      }
      continue;
    }
    if (
      anchor !== undefined && anchor !== "" && text !== undefined &&
      path.endsWith(".md")
    ) {
      if (!anchorsOf(text).has(anchor)) {
        report.problems.push({
          file,
          line,
          message: `link ${target}: ${path} has no heading for #${anchor}`,
        });
      }
    }
  }
  return report;
}

/**
 * The text of the leading JSDoc comment of a source file (its `@module`
 * doc), with the comment's markup removed and every line kept in place, so
 * that its links can be checked as markdown with the file's line numbers.
 *
 * @param source The source file.
 * @returns The comment's text, line for line from the top of the file.
 */
export function leadingJsDoc(source: string): string {
  const start = source.indexOf("/**");
  if (start < 0 || source.slice(0, start).trim() !== "") return "";
  const end = source.indexOf("*/", start);
  if (end < 0) return "";
  return source.slice(0, end).split("\n")
    .map((line) => line.replace(/^\s*\/?\*+ ?/, ""))
    .join("\n");
}

/** One diagnostic of `deno check`. */
export interface Diagnostic {
  /** The file URL it points at. */
  url: string;
  /** The line in that file (1-based). */
  line: number;
  /** The column. */
  column: number;
  /** `TS2551: Property 'x' does not exist ...`. */
  message: string;
}

/**
 * Reads the diagnostics of `deno check` output (with `NO_COLOR`): each
 * `TSnnnn [ERROR]: message` and the first `    at file:///...:line:col` after
 * it (the location; related locations are indented further).
 *
 * @param output What `deno check` printed.
 * @returns The diagnostics, in order.
 */
export function parseDenoCheck(output: string): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  let pending: string | undefined;
  for (const line of output.split("\n")) {
    const header = /^(TS\d+) \[ERROR\]: (.*)$/.exec(line);
    if (header !== null) {
      pending = `${header[1]}: ${header[2]}`;
      continue;
    }
    const at = /^ {4}at (\S+):(\d+):(\d+)$/.exec(line);
    if (at !== null && pending !== undefined) {
      diagnostics.push({
        url: at[1],
        line: Number(at[2]),
        column: Number(at[3]),
        message: pending,
      });
      pending = undefined;
    }
  }
  return diagnostics;
}

/**
 * Names cited by the documents that no entry point exports on purpose:
 * JavaScript's and TypeScript's own, the Azure SDKs' classes, types and
 * error codes, OpenTelemetry's, and the Python toolbox's (in the migration
 * tables). A document may add its own with
 * `<!-- docs-check: elsewhere ... -->`.
 */
export const NAMES_FROM_ELSEWHERE: ReadonlySet<string> = new Set([
  // TypeScript's library types (not values on globalThis)
  "AsyncDisposable",
  "AsyncIterable",
  "Awaited",
  "Omit",
  "Partial",
  "Pick",
  "PromiseLike",
  "Readonly",
  "Record",
  // Errors of the runtimes
  "AbortError",
  "TimeoutError",
  // @azure/core-auth, @azure/identity, @azure/logger
  "AzureKeyCredential",
  "AzureLogger",
  "AzureNamedKeyCredential",
  "AzureSASCredential",
  "DefaultAzureCredential",
  "ManagedIdentityCredential",
  "NamedKeyCredential",
  "SASCredential",
  "TokenCredential",
  "RestError",
  // @azure/cosmos
  "Container",
  "CosmosClient",
  "CosmosClientOptions",
  "Database",
  "PatchOperation",
  // @azure/service-bus
  "ServiceBusClient",
  "ServiceBusClientOptions",
  "ServiceBusMessage",
  "ServiceBusMessageBatch",
  "ServiceBusReceivedMessage",
  "ServiceBusReceiver",
  "ServiceBusSender",
  "ServiceBusSessionReceiver",
  // @azure/event-hubs
  "EventData",
  "EventDataBatch",
  "EventHubClientOptions",
  "EventHubConsumerClient",
  "EventHubProducerClient",
  // @azure/storage-blob
  "BlobItem",
  "BlobServiceClient",
  "ContainerClient",
  "StoragePipelineOptions",
  "StorageSharedKeyCredential",
  "StorageStreamDownloader",
  // @azure/eventgrid, and its schema names
  "CloudEvent",
  "EventGrid",
  "EventGridPublisherClient",
  "SendCloudEventInput",
  "SendEventGridEventInput",
  // Node.js
  "Readable",
  // The SDKs' error codes
  "AuthorizationPermissionMismatch",
  "BlobAlreadyExists",
  "BlobNotFound",
  "ContainerNotFound",
  "GeneralError",
  "MessageLockLost",
  "MessageNotFound",
  "MessageSizeExceeded",
  "MessageTooLargeError",
  "MessagingEntityNotFound",
  "MessagingEntityNotFoundError",
  "QuotaExceeded",
  "ServiceTimeout",
  "SessionCannotBeLocked",
  "SessionLockLost",
  "UnauthorizedAccess",
  "UnauthorizedError",
  // Connection-string fields
  "SharedAccessSignature",
  // OpenTelemetry
  "Meter",
  "MeterProvider",
  // The Python toolbox's (aio-azure-clients-toolbox), in the migration tables
  "AbstractConnection",
  "AzureBlobError",
  "AzureBlobStorageClient",
  "AzureServiceBus",
  "ContainerProxy",
  "CredentialFactory",
  "EventGridClient",
  "EventGridConfig",
  "EventGridTopicConfig",
  "Eventhub",
  "False",
  "HttpResponseError",
  "ManagedAzureEventhubProducer",
  "ManagedAzureServiceBusSender",
]);
