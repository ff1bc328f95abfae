/**
 * SAS URLs of `ManagedBlobStorage` against Azurite: signed with the account
 * key (read with a plain `fetch`, refused for a write and after expiry), and
 * with user delegation keys for a `TokenCredential` (Azurite over HTTPS with
 * basic OAuth; one key per batch, reused until near its expiry, counted on
 * the server).
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import https from "node:https";
import type { AccessToken, TokenCredential } from "@azure/core-auth";
import { ManagedBlobStorage } from "../src/blob/mod.ts";
import {
  type LocalBlobStorage,
  startLocalBlobStorage,
} from "../src/testing/servers/mod.ts";

const CONTAINER = "shared";

/** Resolves once the wall clock has passed `at` (a condition, not a guess). */
async function until(at: number): Promise<void> {
  while (Date.now() <= at) {
    await new Promise((resolve) => setTimeout(resolve, at - Date.now() + 5));
  }
}

/** GETs `url` through `agent`: the status and the body. */
function get(
  url: string,
  agent: https.Agent,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    https.get(url, { agent }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (body += chunk));
      response.on(
        "end",
        () => resolve({ status: response.statusCode ?? 0, body }),
      );
    }).on("error", reject);
  });
}

describe("SAS URLs signed with the account key", () => {
  let server: LocalBlobStorage;
  let blobs: ManagedBlobStorage;
  before(async () => {
    server = await startLocalBlobStorage({ containers: [CONTAINER] });
    blobs = new ManagedBlobStorage({
      ...server.connectionOptions(),
      containerName: CONTAINER,
    });
    await blobs.uploadBlob("2026/q4 report.csv", "a,b\n", {
      contentType: "text/csv",
    });
  });
  after(async () => {
    await blobs.close();
    await server.close();
  });

  it("gives a read-only URL that a plain fetch reads, with the name escaped", async () => {
    const url = await blobs.getBlobSasUrl("2026/q4 report.csv");
    assert.match(url, /\/shared\/2026\/q4%20report\.csv\?/);
    const query = new URL(url).searchParams;
    assert.equal(query.get("sp"), "r");
    assert.ok(query.get("sig"));
    const response = await fetch(url);
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "a,b\n");
    assert.equal(response.headers.get("content-type"), "text/csv");
  });

  it("gives a URL that the service refuses for a write, unless permissions say so", async () => {
    const write = (url: string) =>
      fetch(url, {
        method: "PUT",
        headers: { "x-ms-blob-type": "BlockBlob" },
        body: "overwritten",
      });
    const readOnly = await write(
      await blobs.getBlobSasUrl("2026/q4 report.csv"),
    );
    await readOnly.body?.cancel();
    assert.equal(readOnly.status, 403);
    const writable = await write(
      await blobs.getBlobSasUrl("by-sas.txt", { permissions: "cw" }),
    );
    await writable.body?.cancel();
    assert.equal(writable.status, 201);
    assert.equal(
      new TextDecoder().decode(await blobs.downloadBlob("by-sas.txt")),
      "overwritten",
    );
  });

  it("gives a URL that stops working once its expiry has passed", async () => {
    const expiresOn = new Date(Date.now() + 2000);
    const url = await blobs.getBlobSasUrl("2026/q4 report.csv", { expiresOn });
    const fresh = await fetch(url);
    await fresh.body?.cancel();
    assert.equal(fresh.status, 200);
    // SAS times are whole seconds: wait past the second after the expiry.
    await until(expiresOn.getTime() + 1000);
    const expired = await fetch(url);
    await expired.body?.cancel();
    assert.equal(expired.status, 403);
  });

  it("signs many URLs locally: no user delegation key is asked for", async () => {
    const before = server.stats().requests;
    const urls = await blobs.getBlobSasUrls(["a.csv", "b.csv", "a.csv"]);
    assert.deepEqual([...urls.keys()], ["a.csv", "b.csv"]);
    assert.match(urls.get("b.csv")!, /\/shared\/b\.csv\?.*sig=/);
    assert.equal(server.stats().requests, before, "no request at all");
  });

  it("refuses bad terms before any I/O", async () => {
    const before = server.stats().requests;
    await assert.rejects(
      blobs.getBlobSasUrl("a.csv", { expiresOn: new Date(Date.now() - 1000) }),
      (error: Error) =>
        error instanceof RangeError &&
        /^Cannot sign a SAS URL for blob 'a\.csv' in container 'shared' as 'expiresOn' must be in the future/
          .test(error.message),
    );
    await assert.rejects(
      blobs.getBlobSasUrl("a.csv", { permissions: "rz" }),
      /TypeError: .*'permissions' must be SAS letters among racwdxytmeopi: received "rz"/,
    );
    await assert.rejects(
      blobs.getBlobSasUrl("a.csv", { expiresOn: "tomorrow" as never }),
      /'expiresOn' must be a valid Date: received string/,
    );
    await assert.rejects(
      blobs.getBlobSasUrls(["a.csv", ""]),
      /TypeError: .*'blobNames\[\]' must be a non-empty string: received an empty string/,
    );
    await assert.rejects(
      blobs.getBlobSasUrl("a.csv", { expiry: new Date() } as never),
      /'expiry' is not an option: known options are abortSignal, acquireTimeoutSeconds, expiresOn, startsOn, permissions/,
    );
    assert.equal(server.stats().requests, before);
  });
});

describe("SAS URLs signed with a user delegation key (a TokenCredential)", () => {
  let server: LocalBlobStorage;
  let tokens = 0;
  let credential: TokenCredential;
  let blobs: ManagedBlobStorage;
  let agent: https.Agent;
  const keys = () => server.stats().requestsByComp.userdelegationkey ?? 0;
  before(async () => {
    server = await startLocalBlobStorage({
      containers: [CONTAINER],
      oauth: true,
    });
    const fake = server.tokenCredential();
    credential = {
      getToken: (scopes, options): Promise<AccessToken | null> => {
        tokens++;
        return fake.getToken(scopes, options);
      },
    };
    blobs = new ManagedBlobStorage({
      ...server.tokenConnectionOptions(credential),
      containerName: CONTAINER,
    });
    agent = server.createAgent();
    await blobs.uploadBlob("a.txt", "alpha");
    await blobs.uploadBlob("b.txt", "beta");
  });
  after(async () => {
    await blobs.close();
    await server.close();
  });

  it("asks for one key for many URLs, and every URL reads its blob", async () => {
    assert.ok(tokens > 0, "the credential was used");
    assert.equal(keys(), 0);
    const urls = await blobs.getBlobSasUrls(["a.txt", "b.txt", "c.txt"]);
    assert.equal(keys(), 1);
    assert.equal(urls.size, 3);
    assert.match(
      urls.get("a.txt")!,
      /[?&]skoid=/,
      "signed with a delegation key",
    );
    assert.deepEqual(await get(urls.get("a.txt")!, agent), {
      status: 200,
      body: "alpha",
    });
    assert.deepEqual(await get(urls.get("b.txt")!, agent), {
      status: 200,
      body: "beta",
    });
  });

  it("reuses the cached key for later URLs, and shares one request among callers at once", async () => {
    const before = keys();
    const url = await blobs.getBlobSasUrl("a.txt");
    assert.equal(keys(), before, "the key of the previous call served");
    assert.equal((await get(url, agent)).body, "alpha");
    // A longer expiry than the cached key covers: one new key, shared.
    const expiresOn = new Date(Date.now() + 2 * 24 * 3600 * 1000);
    const urls = await Promise.all(
      ["a.txt", "b.txt", "a.txt"].map((name) =>
        blobs.getBlobSasUrl(name, { expiresOn })
      ),
    );
    assert.equal(keys(), before + 1);
    assert.equal((await get(urls[1], agent)).body, "beta");
    // And that key serves the shorter ones too.
    await blobs.getBlobSasUrls(["a.txt", "b.txt"]);
    assert.equal(keys(), before + 1);
  });

  it("refuses an expiry past the 7-day limit of delegation keys before any I/O", async () => {
    const before = server.stats().requests;
    await assert.rejects(
      blobs.getBlobSasUrl("a.txt", {
        expiresOn: new Date(Date.now() + 8 * 24 * 3600 * 1000),
      }),
      (error: Error) =>
        error instanceof RangeError &&
        /'expiresOn' must be within 7 days for a SAS signed with a user delegation key/
          .test(error.message),
    );
    assert.equal(server.stats().requests, before);
  });
});
