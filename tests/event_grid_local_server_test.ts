/**
 * `startLocalEventGrid` answers as the service does: raw HTTPS requests for
 * what the SDK never sends (a wrong path, content type or event, a body over
 * 1 MB, a forged SAS token), the plain SDK client for what it does, its
 * fault controls, and its own option checks. Its certificate is trusted per
 * client only.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import https from "node:https";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  AzureKeyCredential,
  AzureSASCredential,
  EventGridPublisherClient,
  generateSharedAccessSignature,
} from "@azure/eventgrid";
import {
  type LocalEventGrid,
  startLocalEventGrid,
} from "../src/testing/servers/mod.ts";

interface Answer {
  status: number;
  body: string;
}

/** POSTs `body` to `url` with `headers`, trusting `ca` only. */
function post(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string>,
  ca: string,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = https.request(url, {
      method: "POST",
      headers,
      ca,
      agent: false,
    }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => text += chunk);
      response.on(
        "end",
        () => resolve({ status: response.statusCode ?? 0, body: text }),
      );
    });
    request.on("error", reject);
    request.end(body);
  });
}

const GRID_EVENT = {
  id: "1",
  subject: "s",
  eventType: "T",
  eventTime: "2026-01-01T00:00:00Z",
  data: {},
  dataVersion: "1",
};
const CLOUD_EVENT = { specversion: "1.0", id: "1", source: "/s", type: "T" };
const JSON_TYPE = { "content-type": "application/json" };

describe("startLocalEventGrid", () => {
  let grid: LocalEventGrid;
  let send: (
    topic: string,
    body: unknown,
    headers?: Record<string, string>,
    path?: string,
  ) => Promise<Answer>;

  before(async () => {
    grid = await startLocalEventGrid({
      topics: [
        "orders",
        { name: "audit", schema: "CloudEvent", key: "YXVkaXQta2V5" },
      ],
    });
    send = (topic, body, headers = {}, path) =>
      post(
        path ?? `${grid.endpoint(topic)}?api-version=2018-01-01`,
        typeof body === "string" ? body : JSON.stringify(body),
        {
          ...(topic === "audit"
            ? { "content-type": "application/cloudevents-batch+json" }
            : JSON_TYPE),
          "aeg-sas-key": grid.key(topic),
          ...headers,
        },
        grid.certificate,
      );
  });

  after(async () => {
    await grid?.close();
  });

  it("hands out endpoints, keys and options per topic", () => {
    assert.equal(
      grid.endpoint("orders"),
      `https://127.0.0.1:${grid.port}/topics/orders/api/events`,
    );
    assert.equal(grid.key("audit"), "YXVkaXQta2V5");
    assert.match(grid.key("orders"), /^[A-Za-z0-9+/]{43}=$/);
    assert.deepEqual(grid.topicOptions("audit"), {
      endpoint: grid.endpoint("audit"),
      key: "YXVkaXQta2V5",
      schema: "CloudEvent",
      clientOptions: { tlsOptions: { ca: grid.certificate } },
    });
    assert.match(grid.certificate, /^-----BEGIN CERTIFICATE-----\n/);
    assert.throws(
      () => grid.events("ordres"),
      /Cannot find local Event Grid topic "ordres": known topics are orders, audit/,
    );
  });

  it("accepts events of each topic's schema and records them", async () => {
    assert.equal((await send("orders", [GRID_EVENT, GRID_EVENT])).status, 200);
    assert.equal((await send("audit", [CLOUD_EVENT])).status, 200);
    assert.equal(grid.events("orders").length, 2);
    assert.deepEqual(grid.events("audit"), [CLOUD_EVENT]);
    const [request] = grid.requests("audit");
    assert.deepEqual(request, {
      bytes: JSON.stringify([CLOUD_EVENT]).length,
      events: 1,
      status: 200,
      auth: "key",
      contentType: "application/cloudevents-batch+json",
    });
  });

  it("answers 400 for a wrong content type, a malformed body or event, and no api-version", async () => {
    const cases: Array<[string, unknown, Record<string, string>?]> = [
      ["orders", [CLOUD_EVENT]],
      ["orders", [{ ...GRID_EVENT, eventTime: "yesterday" }]],
      ["orders", [{ ...GRID_EVENT, data: undefined }]],
      ["orders", [GRID_EVENT], {
        "content-type": "application/cloudevents-batch+json",
      }],
      ["audit", [GRID_EVENT]],
      ["audit", [{ ...CLOUD_EVENT, specversion: "0.3" }]],
      ["audit", [CLOUD_EVENT], JSON_TYPE],
      ["orders", "[not json"],
      ["orders", []],
      ["orders", GRID_EVENT],
    ];
    for (const [topic, body, headers] of cases) {
      const answer = await send(topic, body, headers);
      assert.equal(
        answer.status,
        400,
        `${JSON.stringify(body)}: ${answer.body}`,
      );
      assert.equal(JSON.parse(answer.body).error.code, "BadRequest");
    }
    const noVersion = await send(
      "orders",
      [GRID_EVENT],
      {},
      grid.endpoint("orders"),
    );
    assert.equal(noVersion.status, 400);
  });

  it("answers 404 for a path that is no topic's", async () => {
    const answer = await send(
      "orders",
      [GRID_EVENT],
      {},
      `https://127.0.0.1:${grid.port}/topics/ghost/api/events?api-version=1`,
    );
    assert.equal(answer.status, 404);
    assert.equal(JSON.parse(answer.body).error.code, "NotFound");
  });

  it("answers 413 for a body over 1,048,576 bytes, and takes one of exactly that size", async () => {
    const event = (pad: number) => ({
      ...GRID_EVENT,
      data: { pad: "x".repeat(pad) },
    });
    const base = JSON.stringify([event(0)]).length;
    const exact = JSON.stringify([event(1_048_576 - base)]);
    assert.equal(exact.length, 1_048_576);
    assert.equal((await send("orders", exact)).status, 200);
    const over = JSON.stringify([event(1_048_577 - base)]);
    const answer = await send("orders", over);
    assert.equal(answer.status, 413);
    assert.equal(JSON.parse(answer.body).error.code, "RequestEntityTooLarge");
    assert.deepEqual(
      grid.requests("orders").slice(-2).map((r) => [r.bytes, r.status]),
      [
        [1_048_576, 200],
        [1_048_577, 413],
      ],
    );
  });

  it("checks the key, SAS tokens and bearer tokens, and answers 401 otherwise", async () => {
    const endpoint = grid.endpoint("orders");
    const key = new AzureKeyCredential(grid.key("orders"));
    const later = new Date(Date.now() + 600_000);
    const sas = await generateSharedAccessSignature(endpoint, key, later);
    const tampered = sas.replace(/s=[^&]+$/, "s=AAAA");
    const otherTopic = await generateSharedAccessSignature(
      grid.endpoint("audit"),
      key,
      later,
    );
    const otherKey = await generateSharedAccessSignature(
      endpoint,
      new AzureKeyCredential("b3RoZXI="),
      later,
    );
    const expired = await generateSharedAccessSignature(
      endpoint,
      key,
      new Date(Date.now() - 1000),
    );
    const only = (headers: Record<string, string>) =>
      post(`${endpoint}?api-version=2018-01-01`, JSON.stringify([GRID_EVENT]), {
        ...JSON_TYPE,
        ...headers,
      }, grid.certificate);
    const statuses: Array<[string, Record<string, string>, number]> = [
      ["key", { "aeg-sas-key": grid.key("orders") }, 200],
      ["wrong key", { "aeg-sas-key": "d3Jvbmc=" }, 401],
      ["an empty key beside a SAS token", {
        "aeg-sas-key": "",
        "aeg-sas-token": sas,
      }, 401],
      ["sas", { "aeg-sas-token": sas }, 200],
      ["bearer", { authorization: "Bearer abc" }, 200],
      ["empty bearer", { authorization: "Bearer " }, 401],
      ["basic", { authorization: "Basic abc" }, 401],
    ];
    for (const [what, headers, status] of statuses) {
      assert.equal((await only(headers)).status, status, what);
    }
    for (const bad of [tampered, otherTopic, otherKey, expired, "garbage"]) {
      assert.equal((await only({ "aeg-sas-token": bad })).status, 401, bad);
    }
    assert.deepEqual(
      grid.requests("orders").slice(-12).map((r) => r.auth),
      [
        "key",
        "key",
        "key",
        "sas",
        "bearer",
        "bearer",
        "bearer",
        "sas",
        "sas",
        "sas",
        "sas",
        "sas",
      ],
    );
    const none = await post(
      `${endpoint}?api-version=2018-01-01`,
      JSON.stringify([GRID_EVENT]),
      JSON_TYPE,
      grid.certificate,
    );
    assert.equal(none.status, 401);
    assert.equal(grid.requests("orders").at(-1)?.auth, "none");
  });

  it("serves a plain SDK client given clientOptions(), with each credential", async () => {
    const endpoint = grid.endpoint("audit");
    const key = new AzureKeyCredential(grid.key("audit"));
    const sas = await generateSharedAccessSignature(
      endpoint,
      key,
      new Date(Date.now() + 600_000),
    );
    const clients = [
      new EventGridPublisherClient(
        endpoint,
        "CloudEvent",
        key,
        grid.clientOptions(),
      ),
      new EventGridPublisherClient(
        endpoint,
        "CloudEvent",
        new AzureSASCredential(sas),
        grid.clientOptions(),
      ),
      new EventGridPublisherClient(endpoint, "CloudEvent", {
        getToken: () =>
          Promise.resolve({
            token: "t",
            expiresOnTimestamp: Date.now() + 60_000,
          }),
      }, grid.clientOptions()),
    ];
    const before = grid.requests("audit").length;
    for (const client of clients) {
      await client.send([{ type: "T", source: "/s", data: { n: 1 } }]);
    }
    assert.deepEqual(
      grid.requests("audit").slice(before).map((r) => [r.auth, r.status]),
      [["key", 200], ["sas", 200], ["bearer", 200]],
    );
  });

  it("is trusted by no client that was not given its certificate", async () => {
    const client = new EventGridPublisherClient(
      grid.endpoint("orders"),
      "EventGrid",
      new AzureKeyCredential(grid.key("orders")),
      { retryOptions: { maxRetries: 0 } },
    );
    await assert.rejects(
      client.send([{
        eventType: "T",
        subject: "s",
        dataVersion: "1",
        data: {},
      }]),
      (error: { code?: string }) =>
        /CERT|certificate/i.test(String(error.code) + String(error)),
    );
  });

  it("refuses every credential after refuse(), and checks them again after accept()", async () => {
    grid.refuse();
    assert.equal((await send("orders", [GRID_EVENT])).status, 401);
    grid.accept();
    assert.equal((await send("orders", [GRID_EVENT])).status, 200);
  });

  it("fails the next requests with failNext(count, status), then serves", async () => {
    grid.failNext(2, 503);
    grid.failNext(1, 429);
    const statuses = [];
    for (let i = 0; i < 4; i++) {
      statuses.push((await send("orders", [GRID_EVENT])).status);
    }
    assert.deepEqual(statuses, [503, 503, 429, 200]);
    assert.throws(() => grid.failNext(0, 503), RangeError);
    assert.throws(
      () => grid.failNext(1, 200),
      /'status' must be an HTTP error status \(400-599\): received 200/,
    );
  });

  it("answers after delay(seconds), and at once again after delay(0)", async () => {
    grid.delay(0.05);
    const started = performance.now();
    await send("orders", [GRID_EVENT]);
    assert.ok(performance.now() - started >= 45);
    grid.delay(0);
    assert.throws(() => grid.delay(-1), RangeError);
  });

  it("counts requests, events and connections", () => {
    const stats = grid.stats();
    assert.ok(stats.requests >= stats.accepted);
    assert.equal(
      stats.events,
      grid.events("orders").length + grid.events("audit").length,
    );
    assert.ok(
      stats.tlsConnections >= 1 && stats.tcpConnections >= stats.tlsConnections,
    );
  });

  it("checks its own options", async () => {
    await assert.rejects(startLocalEventGrid(undefined as never), /'topics'/);
    await assert.rejects(
      startLocalEventGrid({ topic: ["a"] } as never),
      /unknown option 'topic' \(known: topics\)/,
    );
    await assert.rejects(
      startLocalEventGrid({ topics: [] }),
      /'topics' must be a non-empty array/,
    );
    await assert.rejects(
      startLocalEventGrid(
        { topics: [{ name: "a", schema: "Custom" }] } as never,
      ),
      TypeError,
    );
    await assert.rejects(
      startLocalEventGrid({ topics: ["a", "a"] }),
      /names a topic twice/,
    );
  });
});

describe("startLocalEventGrid in a process of its own", () => {
  it("serves a publisher, closes, and lets the process exit by itself", () => {
    const isDeno =
      typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
    const extension = import.meta.url.endsWith(".ts") ? "ts" : "js";
    const child = fileURLToPath(
      new URL(`./_event_grid_exit_child.${extension}`, import.meta.url),
    );
    const args = isDeno ? ["run", "-A", "--no-check", child] : [child];
    const result = spawnSync(process.execPath, args, {
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(
      result.signal,
      null,
      `the child was killed after 20 s: a handle kept it alive\n${result.stdout}\n${result.stderr}`,
    );
    assert.equal(result.status, 0, result.stderr);
    assert.match(
      result.stdout,
      /orders: 3 event\(s\), open connections after the publisher closed: 0/,
    );
    assert.match(result.stdout, /all closed/);
  });
});
