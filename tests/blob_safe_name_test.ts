/**
 * `safeBlobName`: each rule of its documentation, one case per rule, and
 * names that are safe already come back unchanged.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { safeBlobName } from "../src/blob/mod.ts";

describe("safeBlobName", () => {
  it("returns a safe name unchanged, Unicode, case, inner spaces and URL-reserved characters included", () => {
    for (
      const name of [
        "2026/q4.csv",
        "Reports/Été 2026/résumé (final).pdf",
        "a+b=c&d%20e;f,g@h$i!j'k",
        "日本語/ファイル.txt",
        ".hidden",
        "😀/x",
      ]
    ) assert.equal(safeBlobName(name), name);
  });

  it("trims surrounding whitespace", () => {
    assert.equal(safeBlobName("  a.txt \n"), "a.txt");
  });

  it("removes control characters, U+FFFE, U+FFFF, '#' and '?'", () => {
    assert.equal(safeBlobName("a\u0000b\u001fc\u007fd\u0085e"), "abcde");
    assert.equal(safeBlobName("a\ufffeb\uffffc"), "abc");
    assert.equal(safeBlobName("q4#1?.csv"), "q41.csv");
  });

  it("turns backslashes into slashes", () => {
    assert.equal(safeBlobName("C:\\reports\\q4.csv"), "C:/reports/q4.csv");
  });

  it("drops empty, '.' and '..' segments and trailing dots of a segment", () => {
    assert.equal(safeBlobName("/a//b/"), "a/b");
    assert.equal(safeBlobName("a/./b/../c"), "a/b/c");
    assert.equal(safeBlobName("dir./file..."), "dir/file");
    assert.equal(safeBlobName("a/.../b"), "a/b");
  });

  it("joins segments past the 254th with '_'", () => {
    const letter = (i: number) => String.fromCharCode(97 + (i % 26));
    const name = Array.from({ length: 300 }, (_, i) => letter(i)).join("/");
    const segments = safeBlobName(name).split("/");
    assert.equal(segments.length, 254);
    assert.equal(segments[252], letter(252));
    assert.equal(
      segments[253],
      Array.from({ length: 47 }, (_, i) => letter(253 + i)).join("_"),
    );
  });

  it("cuts at 1,024 characters, never inside a surrogate pair, then trims dots and slashes again", () => {
    assert.equal(safeBlobName("a".repeat(2000)).length, 1024);
    const paired = safeBlobName(`${"a".repeat(1023)}😀tail`);
    assert.equal(paired, "a".repeat(1023));
    const dotted = safeBlobName(`${"a".repeat(1020)}/b..c/more`);
    assert.equal(dotted, `${"a".repeat(1020)}/b`);
  });

  it("refuses what is not a string, and a name with nothing usable left", () => {
    assert.throws(
      () => safeBlobName(42 as never),
      /^TypeError: Cannot make a safe blob name as 'name' must be a string: received 42$/,
    );
    for (const empty of ["", "   ", "../", "#?", "/./"]) {
      assert.throws(
        () => safeBlobName(empty),
        RangeError,
        JSON.stringify(empty),
      );
    }
  });

  it("is idempotent", () => {
    for (const name of ["  x\\y/../z.#", "a/./b../c/", "😀".repeat(600)]) {
      const once = safeBlobName(name);
      assert.equal(safeBlobName(once), once);
    }
  });
});
