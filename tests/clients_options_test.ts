import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  describeValue,
  exactlyOne,
  forbidFields,
  parseConnectionString,
  requireFunction,
  requireName,
  requireOptions,
  requireSecret,
  requireTokenCredential,
  requireUrl,
} from "../src/managed/_checks.ts";

const SECRET = "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs=";

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TypeError, `threw ${String(error)}`);
    return error.message;
  }
  return assert.fail("did not throw");
}

describe("client option checks", () => {
  it("describes values without echoing strings", () => {
    assert.equal(
      describeValue(SECRET),
      `a string of ${SECRET.length} characters`,
    );
    assert.equal(describeValue(""), "an empty string");
    assert.equal(describeValue(-1), "-1");
    assert.equal(describeValue(null), "null");
    assert.equal(describeValue([]), "an array");
    assert.equal(describeValue({}), "an object");
    assert.equal(describeValue(() => {}), "a function");
  });

  it("requireUrl accepts the allowed protocols and names the option otherwise", () => {
    assert.equal(
      requireUrl("X", "endpoint", "https://h:1/p", ["https:"]).host,
      "h:1",
    );
    assert.match(
      messageOf(() => requireUrl("X", "endpoint", undefined, ["https:"])),
      /^Cannot create X as 'endpoint' is missing: pass an https:\/\/ URL$/,
    );
    assert.match(
      messageOf(() => requireUrl("X", "endpoint", 42, ["https:"])),
      /received 42$/,
    );
    assert.match(
      messageOf(() =>
        requireUrl("X", "endpoint", "ftp://h", ["https:", "http:"])
      ),
      /https:\/\/ or http:\/\/ URL: received a URL with protocol 'ftp:'/,
    );
    const withPassword = messageOf(() =>
      requireUrl("X", "endpoint", `https://u:${SECRET}@h`, ["https:"])
    );
    assert.match(withPassword, /must not carry a user name or password/);
    assert.ok(!withPassword.includes(SECRET));
    const swapped = messageOf(() =>
      requireUrl(
        "X",
        "endpoint",
        `Endpoint=sb://h/;SharedAccessKey=${SECRET}`,
        ["https:"],
      )
    );
    assert.match(swapped, /looks like a connection string/);
    assert.ok(!swapped.includes(SECRET));
  });

  it("exactlyOne returns the one option given and names the conflicting ones", () => {
    const names = ["credential", "key", "connectionString"] as const;
    assert.equal(exactlyOne("X", { key: SECRET }, names), "key");
    assert.equal(
      messageOf(() => exactlyOne("X", {}, names)),
      "Cannot create X as no credential was given: pass one of 'credential', 'key' or 'connectionString'",
    );
    const both = messageOf(() =>
      exactlyOne("X", { key: SECRET, connectionString: SECRET }, names)
    );
    assert.match(both, /received 'key' and 'connectionString'$/);
    assert.ok(!both.includes(SECRET));
  });

  it("parseConnectionString reads fields case-insensitively and names the missing ones only", () => {
    const fields = parseConnectionString(
      "X",
      "connectionString",
      `endpoint=sb://h/;SharedAccessKey=${SECRET}`,
      [
        "Endpoint",
        "SharedAccessKey",
      ],
    );
    assert.equal(fields.get("endpoint"), "sb://h/");
    assert.equal(fields.get("sharedaccesskey"), SECRET);
    const missing = messageOf(() =>
      parseConnectionString(
        "X",
        "connectionString",
        `SharedAccessKey=${SECRET}`,
        ["Endpoint", "SharedAccessKey"],
      )
    );
    assert.equal(
      missing,
      "Cannot create X as 'connectionString' lacks Endpoint",
    );
    assert.match(
      messageOf(() => parseConnectionString("X", "cs", "  ", [])),
      /received a blank string/,
    );
  });

  it("checks names, secrets, credentials, functions and option bags", () => {
    assert.equal(requireName("X", "dbname", "d"), "d");
    assert.match(
      messageOf(() => requireName("X", "dbname", "")),
      /'dbname' must be a non-empty string: received an empty string/,
    );
    assert.equal(requireSecret("X", "key", SECRET), SECRET);
    assert.ok(!messageOf(() => requireSecret("X", "key", 5)).includes(SECRET));
    const credential = { getToken: () => Promise.resolve(null) };
    assert.equal(
      requireTokenCredential("X", "credential", credential),
      credential,
    );
    assert.match(
      messageOf(() => requireTokenCredential("X", "credential", SECRET)),
      /TokenCredential.*received a string of/,
    );
    assert.match(
      messageOf(() => requireFunction("X", "credentialFactory", {})),
      /must be a function: received an object/,
    );
    assert.match(
      messageOf(() => requireOptions("X", null)),
      /options must be an object: received null/,
    );
  });

  it("forbidFields rejects fields the client sets itself, naming them", () => {
    forbidFields("X", "clientOptions", undefined, ["key"]);
    forbidFields("X", "clientOptions", { userAgentSuffix: "a" }, ["key"]);
    const message = messageOf(() =>
      forbidFields("X", "clientOptions", { key: SECRET, endpoint: "e" }, [
        "endpoint",
        "key",
      ])
    );
    assert.equal(
      message,
      "Cannot create X as 'clientOptions' must not set 'endpoint' or 'key': the client sets it from its own options",
    );
    assert.match(
      messageOf(() => forbidFields("X", "clientOptions", 3, [])),
      /must be an object: received 3/,
    );
  });
});
