/**
 * `safeBlobName`: a name the Blob service and URL tools both handle.
 *
 * @module
 */

import { describeValue } from "../managed/_checks.ts";

/** The service's limit on a blob name's length, in characters. */
const MAX_LENGTH = 1024;
/** The service's limit on path segments (accounts without a hierarchical namespace). */
const MAX_SEGMENTS = 254;

/**
 * Characters removed: C0 and C1 control characters, DEL, the noncharacters
 * U+FFFE and U+FFFF, and `#` and `?`, which end a URL's path.
 */
// deno-lint-ignore no-control-regex
const REMOVED = /[\u0000-\u001f\u007f-\u009f\ufffe\uffff#?]/g;

/**
 * Makes `name` a blob name that follows the service's naming rules and
 * survives being put in a URL by any tool. It changes, in this order:
 *
 * 1. leading and trailing whitespace: removed;
 * 2. control characters (U+0000-U+001F, U+007F-U+009F), U+FFFE, U+FFFF,
 *    `#` and `?`: removed (the service refuses the first; the last two end
 *    a URL's path when a tool forgets to escape them);
 * 3. backslashes: replaced by `/` (a Windows path becomes virtual
 *    directories, as in the portal);
 * 4. path segments (between slashes): empty ones (leading, trailing or
 *    doubled slashes), `.` and `..` (which URL parsers resolve away) are
 *    dropped, and trailing dots of a segment removed (the service advises
 *    against a segment ending in a dot);
 * 5. more than 254 segments: the ones from the 254th on are joined with
 *    `_` into the last one;
 * 6. more than 1,024 characters: cut at 1,024 (never inside a surrogate
 *    pair), then trailing dots and slashes removed again.
 *
 * Everything else is kept as given: case, spaces inside the name, Unicode,
 * and URL-reserved characters such as `%`, `&`, `+` and `=`, which the SDK
 * escapes. A name that is already safe is returned unchanged.
 *
 * @param name The name to clean.
 * @returns The safe name, at least one character long.
 * @throws {TypeError} When `name` is not a string.
 * @throws {RangeError} When nothing usable remains (for example `"../"`).
 *
 * @example What changes, and what does not
 * ```ts
 * import { safeBlobName } from "@azure-clients/toolbox/blob";
 * import assert from "node:assert/strict";
 *
 * assert.equal(safeBlobName("2026/q4.csv"), "2026/q4.csv");
 * assert.equal(safeBlobName("  reports\\2026\\q4 #1.csv. "), "reports/2026/q4 1.csv");
 * assert.equal(safeBlobName("/a//./b../../c/"), "a/b/c");
 * assert.throws(() => safeBlobName("../"), RangeError);
 * ```
 */
export function safeBlobName(name: string): string {
  if (typeof name !== "string") {
    throw new TypeError(
      `Cannot make a safe blob name as 'name' must be a string: received ${
        describeValue(name)
      }`,
    );
  }
  const cleaned = name.trim().replace(REMOVED, "").replace(/\\/g, "/");
  let segments = cleaned.split("/")
    .map((segment) => segment.replace(/\.+$/, ""))
    .filter((segment) => segment !== "");
  if (segments.length > MAX_SEGMENTS) {
    segments = [
      ...segments.slice(0, MAX_SEGMENTS - 1),
      segments.slice(MAX_SEGMENTS - 1).join("_"),
    ];
  }
  let safe = segments.join("/");
  if (safe.length > MAX_LENGTH) {
    let end = MAX_LENGTH;
    const last = safe.charCodeAt(end - 1);
    if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate: keep the pair whole
    safe = safe.slice(0, end).replace(/[./]+$/, "");
  }
  if (safe === "") {
    throw new RangeError(
      `Cannot make a safe blob name from ${
        describeValue(name)
      }: nothing remains once control characters, '#', '?', dots and slashes are removed`,
    );
  }
  return safe;
}
