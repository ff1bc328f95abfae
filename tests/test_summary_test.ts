import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  bunParser,
  denoJunitCounts,
  denoJunitFailures,
  failureLines,
  LineSplitter,
  MAX_NAMED_FAILURES,
  nodeTapParser,
  summaryLine,
  type SummaryParser,
} from "../scripts/_test_summary.ts";

// What deno 2.9.6 writes with --junit-path for a file holding: describe
// "outer" { it passes, it fails, it.skip, it.todo, describe "inner" { it } },
// describe "hook fails" { before throws; it }, test "top level", a skipped
// test and a skipped describe.
const DENO_JUNIT = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="11" failures="3" errors="0" time="0.022">
    <testsuite name="./a_test.ts" tests="5" disabled="2" errors="0" failures="2">
        <testcase name="outer" classname="./a_test.ts" time="0.009" line="3" col="1">
            <failure message="1 test step failed">1 test step failed.</failure>
        </testcase>
        <testcase name="hook fails" classname="./a_test.ts" time="0.001" line="12" col="1">
            <failure message="Uncaught Error: hook">Error: hook</failure>
        </testcase>
        <testcase name="top level" classname="./a_test.ts" time="0.000" line="16" col="1">
        </testcase>
        <testcase name="top skip" classname="./a_test.ts" time="0.000" line="17" col="1">
            <skipped/>
        </testcase>
        <testcase name="skipped suite" classname="./a_test.ts" time="0.000" line="18" col="10">
            <skipped/>
        </testcase>
    </testsuite>
    <testsuite name="ext:deno_node/testing.ts" tests="6" disabled="2" errors="0" failures="1">
        <testcase name="outer &gt; passes" classname="ext:deno_node/testing.ts" time="0.000" line="1" col="1">
        </testcase>
        <testcase name="outer &gt; fails" classname="ext:deno_node/testing.ts" time="0.003" line="1" col="1">
            <failure message="Uncaught AssertionError">AssertionError: 1 !== 2</failure>
        </testcase>
        <testcase name="outer &gt; skipped" classname="ext:deno_node/testing.ts" time="0.000" line="1" col="1">
            <skipped/>
        </testcase>
        <testcase name="outer &gt; todo" classname="ext:deno_node/testing.ts" time="0.000" line="1" col="1">
            <skipped/>
        </testcase>
        <testcase name="outer &gt; inner" classname="ext:deno_node/testing.ts" time="0.000" line="1" col="1">
        </testcase>
        <testcase name="outer &gt; inner &gt; deep pass" classname="ext:deno_node/testing.ts" time="0.000" line="1" col="1">
        </testcase>
    </testsuite>
</testsuites>
`;

// What node 20's TAP reporter prints for: describe "outer" { it "fine",
// it "bad one" (assert.strictEqual(1, 2, "one is not two")), describe "inner"
// { it "bad two" (throws "boom\nsecond line") } } (stacks shortened).
const NODE_TAP_FAILURES = `TAP version 13
# Subtest: outer
    # Subtest: fine
    ok 1 - fine
      ---
      duration_ms: 0.5654
      ...
    # Subtest: bad one
    not ok 2 - bad one
      ---
      duration_ms: 0.953456
      location: '/tmp/a.test.mjs:5:3'
      failureType: 'testCodeFailure'
      error: |-
        one is not two
        
        1 !== 2
        
      code: 'ERR_ASSERTION'
      name: 'AssertionError'
      stack: |-
        TestContext.<anonymous> (file:///tmp/a.test.mjs:5:32)
      ...
    # Subtest: inner
        # Subtest: bad two
        not ok 1 - bad two
          ---
          duration_ms: 0.132987
          location: '/tmp/a.test.mjs:6:29'
          failureType: 'testCodeFailure'
          error: |-
            boom
            second line
          code: 'ERR_TEST_FAILURE'
          ...
        1..1
    not ok 3 - inner
      ---
      duration_ms: 0.293877
      type: 'suite'
      location: '/tmp/a.test.mjs:6:3'
      failureType: 'subtestsFailed'
      error: '1 subtest failed'
      code: 'ERR_TEST_FAILURE'
      ...
    1..3
not ok 1 - outer
  ---
  duration_ms: 2.779528
  type: 'suite'
  location: '/tmp/a.test.mjs:3:1'
  failureType: 'subtestsFailed'
  error: '2 subtests failed'
  code: 'ERR_TEST_FAILURE'
  ...
# Subtest: /tmp/b.test.mjs
not ok 2 - /tmp/b.test.mjs
  ---
  duration_ms: 40.1
  location: '/tmp/b.test.mjs:1:1'
  failureType: 'testCodeFailure'
  error: 'test failed'
  ...
1..2
# tests 4
# pass 1
# fail 3
`;

function feed(parser: SummaryParser, output: string): SummaryParser {
  for (const line of output.split("\n")) parser.line(line);
  return parser;
}

describe("test summary", () => {
  it("counts Deno's leaf tests, not the describe blocks around them", () => {
    assert.deepEqual(denoJunitCounts(DENO_JUNIT), {
      passed: 3,
      failed: 2,
      skipped: 4,
    });
  });

  it("counts a Deno parent that failed on its own, but not one whose child failed", () => {
    const xml = DENO_JUNIT.replace(
      `<testcase name="outer &gt; fails" classname="ext:deno_node/testing.ts" time="0.003" line="1" col="1">
            <failure message="Uncaught AssertionError">AssertionError: 1 !== 2</failure>`,
      `<testcase name="outer &gt; fails" classname="ext:deno_node/testing.ts" time="0.003" line="1" col="1">`,
    );
    // "outer" still reports a failure of its own (an after hook, say).
    assert.deepEqual(denoJunitCounts(xml), {
      passed: 4,
      failed: 2,
      skipped: 4,
    });
  });

  it("finds no test in an empty or missing Deno report", () => {
    assert.deepEqual(denoJunitCounts(""), { passed: 0, failed: 0, skipped: 0 });
  });

  it("reads Node's TAP summary and counts cancelled tests as failed", () => {
    const parser = feed(
      nodeTapParser(),
      [
        "TAP version 13",
        "# Subtest: outer",
        "    # pass 99",
        "ok 1 - outer",
        "# tests 8",
        "# suites 4",
        "# pass 3",
        "# fail 1",
        "# cancelled 1",
        "# skipped 2",
        "# todo 1",
        "# duration_ms 236.2",
      ].join("\n"),
    );
    assert.deepEqual(parser.counts(), { passed: 3, failed: 2, skipped: 3 });
  });

  it("names Node's failed tests with location and first error line, not the suites around them", () => {
    assert.deepEqual(feed(nodeTapParser(), NODE_TAP_FAILURES).failures(), [
      "bad one (/tmp/a.test.mjs:5:3): one is not two",
      "bad two (/tmp/a.test.mjs:6:29): boom",
      "/tmp/b.test.mjs (/tmp/b.test.mjs:1:1): test failed",
    ]);
    assert.deepEqual(feed(nodeTapParser(), "ok 1 - fine\n").failures(), []);
    // A failing todo is counted under todo, not named as a failure.
    assert.deepEqual(
      feed(
        nodeTapParser(),
        "not ok 1 - later # TODO\n  ---\n  error: 'x'\n  ...\n",
      ).failures(),
      [],
    );
  });

  it("names Bun's failed tests", () => {
    const parser = feed(
      bunParser(),
      "(pass) outer > passes [0.10ms]\n(fail) outer > fails [1.20ms]\n(fail) lone\n 1 pass\n 2 fail\n",
    );
    assert.deepEqual(parser.failures(), ["outer > fails", "lone"]);
  });

  it("names Deno's failed leaves with their messages", () => {
    assert.deepEqual(denoJunitFailures(DENO_JUNIT), [
      "hook fails: Uncaught Error: hook",
      "outer > fails: Uncaught AssertionError",
    ]);
    assert.deepEqual(denoJunitFailures(""), []);
  });

  it("prints at most the first failures by name, then how many more", () => {
    assert.deepEqual(failureLines([]), []);
    assert.deepEqual(failureLines(["a", "b"]), ["failed: a", "failed: b"]);
    const many = Array.from(
      { length: MAX_NAMED_FAILURES + 3 },
      (_, i) => `t${i}`,
    );
    const lines = failureLines(many);
    assert.equal(lines.length, MAX_NAMED_FAILURES + 1);
    assert.equal(lines[0], "failed: t0");
    assert.equal(lines.at(-1), "failed: ... and 3 more");
  });

  it("reads Bun's closing lines", () => {
    const parser = feed(
      bunParser(),
      "(pass) outer > passes\n\n 4 pass\n 2 skip\n 1 todo\n 1 fail\n 1 error\nRan 8 tests across 1 file. [50.00ms]\n",
    );
    assert.deepEqual(parser.counts(), { passed: 4, failed: 1, skipped: 3 });
  });

  it("prints skipped tests only when there are some", () => {
    assert.equal(
      summaryLine("deno", { passed: 6, failed: 0, skipped: 0 }),
      "deno: 6 passed, 0 failed",
    );
    assert.equal(
      summaryLine("node", { passed: 6, failed: 1, skipped: 2 }),
      "node: 6 passed, 1 failed, 2 skipped",
    );
  });

  it("splits chunks into lines, holding a partial line until it ends", () => {
    const lines: string[] = [];
    const splitter = new LineSplitter();
    splitter.push("# pa", (line) => lines.push(line));
    splitter.push("ss 3\r\n# fail 0\n# can", (line) => lines.push(line));
    assert.deepEqual(lines, ["# pass 3", "# fail 0"]);
    splitter.end((line) => lines.push(line));
    assert.deepEqual(lines, ["# pass 3", "# fail 0", "# can"]);
  });
});
