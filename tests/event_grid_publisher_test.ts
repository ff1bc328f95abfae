/**
 * `EventGridPublisher` with the real `@azure/eventgrid` SDK against
 * `startLocalEventGrid`: topics kept apart, both schemas, the 1 MB split,
 * and the three kinds of credential.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AzureKeyCredential,
  AzureSASCredential,
  generateSharedAccessSignature,
  type SendCloudEventInput,
  type SendEventGridEventInput,
} from "@azure/eventgrid";
import type { AccessToken, GetTokenOptions } from "@azure/core-auth";
import { EventGridPublisher } from "../src/event_grid/mod.ts";
import {
  MAX_REQUEST_BYTES,
  prepareEvents,
  requestBytes,
  splitRequests,
} from "../src/event_grid/_events.ts";
import {
  type LocalEventGrid,
  startLocalEventGrid,
} from "../src/testing/servers/mod.ts";

/** A TokenCredential that counts its calls and the scopes asked for. */
class CountingCredential {
  readonly scopes: string[][] = [];
  constructor(readonly token = "fake-bearer-token-for-event-grid") {}
  getToken(
    scopes: string | string[],
    _options?: GetTokenOptions,
  ): Promise<AccessToken> {
    this.scopes.push(Array.isArray(scopes) ? scopes : [scopes]);
    return Promise.resolve({
      token: this.token,
      expiresOnTimestamp: Date.now() + 3_600_000,
    });
  }
}

function orderEvent(i: number, pad = 0): SendEventGridEventInput<unknown> {
  return {
    eventType: "Order.Placed",
    subject: `orders/${i}`,
    dataVersion: "1",
    data: { i, pad: "x".repeat(pad) },
  };
}

describe("EventGridPublisher against the local Event Grid", () => {
  let grid: LocalEventGrid;
  let publisher: EventGridPublisher<"orders" | "audit" | "billing">;

  before(async () => {
    grid = await startLocalEventGrid({
      topics: ["orders", "billing", { name: "audit", schema: "CloudEvent" }],
    });
    publisher = new EventGridPublisher({
      topics: {
        orders: grid.topicOptions("orders"),
        billing: grid.topicOptions("billing"),
        audit: grid.topicOptions("audit"),
      },
    });
  });

  after(async () => {
    await publisher?.close();
    await grid?.close();
  });

  it("sends each topic only its own events, to its own endpoint", async () => {
    await publisher.emitEvent("orders", {
      eventType: "Order.Placed",
      subject: "orders/1",
      data: { id: 1 },
    });
    await publisher.emitEvent("billing", {
      eventType: "Invoice.Sent",
      subject: "invoices/9",
      data: { id: 9 },
    });
    await publisher.emitEvent("orders", {
      eventType: "Order.Shipped",
      subject: "orders/1",
      data: { id: 1 },
    });
    assert.deepEqual(
      grid.events("orders").map((e) => e.eventType),
      ["Order.Placed", "Order.Shipped"],
    );
    assert.deepEqual(
      grid.events("billing").map((e) => e.eventType),
      ["Invoice.Sent"],
    );
    assert.deepEqual(grid.events("audit"), []);
    assert.deepEqual(publisher.topics, ["orders", "billing", "audit"]);
  });

  it("fills id, eventTime and dataVersion in emitEvent, and keeps those given", async () => {
    const before = Date.now();
    await publisher.emitEvent("billing", {
      eventType: "Invoice.Paid",
      subject: "invoices/1",
      data: { amount: 10 },
    });
    await publisher.emitEvent("billing", {
      eventType: "Invoice.Paid",
      subject: "invoices/2",
      data: { amount: 20 },
      id: "given-id",
      eventTime: new Date("2026-01-02T03:04:05.000Z"),
      dataVersion: "2.0",
    });
    const [filled, given] = grid.events("billing").slice(-2);
    assert.match(
      String(filled.id),
      /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    assert.ok(Date.parse(String(filled.eventTime)) >= before - 1000);
    assert.equal(filled.dataVersion, "v1");
    assert.deepEqual(filled.data, { amount: 10 });
    assert.equal(given.id, "given-id");
    assert.equal(given.eventTime, "2026-01-02T03:04:05.000Z");
    assert.equal(given.dataVersion, "2.0");
  });

  it("publishes CloudEvents to a CloudEvent topic, with the SDK's shape", async () => {
    const events: SendCloudEventInput<unknown>[] = [
      { type: "Audit.Read", source: "/app", subject: "doc/1", data: { by: 1 } },
      {
        type: "Audit.Blob",
        source: "/app",
        data: new Uint8Array([1, 2, 3]),
        datacontenttype: "application/octet-stream",
        extensionAttributes: { tenant: "t1" },
      },
    ];
    await publisher.send("audit", events);
    await publisher.emitEvent("audit", { type: "Audit.Write", source: "/app" });
    const received = grid.events("audit");
    assert.deepEqual(received.map((e) => e.type), [
      "Audit.Read",
      "Audit.Blob",
      "Audit.Write",
    ]);
    assert.ok(received.every((e) => e.specversion === "1.0"));
    assert.ok(received.every((e) => typeof e.id === "string"));
    assert.equal(received[1].data_base64, "AQID");
    assert.equal(received[1].tenant, "t1");
    const request = grid.requests("audit")[0];
    assert.match(request.contentType, /^application\/cloudevents-batch\+json/);
  });

  it("splits a 3 MB send into requests under 1 MB, each event received once and in order", async () => {
    const events = Array.from({ length: 300 }, (_, i) => orderEvent(i, 10_000));
    const before = grid.requests("orders").length;
    await publisher.send("orders", events);
    const requests = grid.requests("orders").slice(before);
    const total = requests.reduce((sum, r) => sum + r.bytes, 0);
    assert.ok(total > 3_000_000, `sent ${total} bytes`);
    assert.equal(requests.length, 3);
    for (const request of requests) {
      assert.equal(request.status, 200);
      assert.ok(request.bytes <= MAX_REQUEST_BYTES, `${request.bytes} bytes`);
    }
    assert.equal(requests.reduce((sum, r) => sum + r.events, 0), 300);
    const received = grid.events("orders").slice(-300);
    assert.deepEqual(
      received.map((e) => (e.data as { i: number }).i),
      events.map((_, i) => i),
    );
  });

  it("fills a request up to exactly 1,048,576 bytes, and one byte more makes two", async () => {
    // Two events whose request body ("[" + a + "," + b + "]") is exactly the limit.
    const probe = prepareEvents("", "EventGrid", [orderEvent(0)], false)[0];
    const fixed = { id: "same-length-id", eventTime: new Date(0) };
    const unpadded = probe.bytes - probe.event.id!.length + fixed.id.length;
    const halves = [524_286, 524_287]; // 1,048,576 - 3
    const exact = halves.map((bytes, i) => ({
      ...orderEvent(i, bytes - unpadded),
      ...fixed,
    }));
    const measured = prepareEvents("", "EventGrid", exact, false);
    assert.equal(
      requestBytes(measured.map((e) => e.bytes)),
      MAX_REQUEST_BYTES,
    );
    let before = grid.requests("billing").length;
    await publisher.send("billing", exact);
    assert.deepEqual(
      grid.requests("billing").slice(before).map((r) => [r.bytes, r.events]),
      [[MAX_REQUEST_BYTES, 2]],
    );
    const over = [exact[0], { ...exact[1], subject: `${exact[1].subject}!` }];
    before = grid.requests("billing").length;
    await publisher.send("billing", over);
    assert.deepEqual(
      grid.requests("billing").slice(before).map((r) => r.events),
      [1, 1],
    );
  });

  it("measures every request as the SDK serializes it", async () => {
    const time = new Date("2026-05-06T07:08:09.123Z");
    const shapes: SendEventGridEventInput<unknown>[] = [
      orderEvent(1),
      {
        eventType: "Ünïcödé.€",
        subject: "😀/ß",
        dataVersion: "1",
        topic: "custom-topic",
        id: "id-1",
        eventTime: time,
        data: {
          nested: [1, undefined, "x", { d: new Date(0) }],
          skip: undefined,
          quote: '"\\\n\t\u0001',
          n: null,
        },
      },
      {
        eventType: "T",
        subject: "",
        dataVersion: "1",
        eventTime: "2026-01-01T00:00:00+02:00" as unknown as Date,
        data: Object.assign(Object.create({ inherited: 1 }), { own: 2 }),
      },
    ];
    for (const event of shapes) {
      const before = grid.requests("orders").length;
      await publisher.send("orders", [event]);
      const [request] = grid.requests("orders").slice(before);
      const [measured] = prepareEvents("", "EventGrid", [event], false);
      assert.equal(request.bytes, requestBytes([measured.bytes]));
    }
    const clouds: SendCloudEventInput<unknown>[] = [
      { type: "A", source: "/s", data: null, time },
      { type: "B", source: "/s", data: { list: [1, undefined, 2] } },
      {
        type: "C",
        source: "/s",
        data: new Uint8Array(1000).fill(255),
        datacontenttype: "application/octet-stream",
        dataschema: "https://schema",
        subject: "ü",
        extensionAttributes: { ext1: new Date(0), ext2: { a: "€" }, ext3: 5 },
      },
    ];
    for (const event of clouds) {
      const before = grid.requests("audit").length;
      await publisher.send("audit", [event]);
      const [request] = grid.requests("audit").slice(before);
      const [measured] = prepareEvents("", "CloudEvent", [event], false);
      assert.equal(request.bytes, requestBytes([measured.bytes]));
    }
  });

  it("sends nothing for an empty list", async () => {
    const before = grid.stats().requests;
    await publisher.send("orders", []);
    assert.equal(grid.stats().requests, before);
  });

  it("rejects with the signal's reason when aborted, and sends nothing", async () => {
    const reason = new Error("caller gave up");
    const controller = new AbortController();
    controller.abort(reason);
    const before = grid.stats().requests;
    await assert.rejects(
      publisher.send("orders", [orderEvent(1)], {
        abortSignal: controller.signal,
      }),
      (error) => error === reason,
    );
    assert.equal(grid.stats().requests, before);
  });

  it("rejects with the signal's reason when aborted while a request waits", async () => {
    const reason = new Error("caller gave up");
    const controller = new AbortController();
    grid.delay(10);
    try {
      const sending = publisher.emitEvent("orders", {
        eventType: "T",
        subject: "s",
        data: {},
      }, { abortSignal: controller.signal });
      controller.abort(reason);
      await assert.rejects(sending, (error) => error === reason);
    } finally {
      grid.delay(0);
    }
  });

  it("reuses its keep-alive connections across sends", async () => {
    const before = grid.stats().tlsConnections;
    for (let i = 0; i < 5; i++) {
      await publisher.emitEvent("billing", {
        eventType: "T",
        subject: "s",
        data: {},
      });
    }
    assert.ok(grid.stats().tlsConnections - before <= 1);
  });
});

describe("splitting events into requests", () => {
  const sized = (...bytes: number[]) =>
    bytes.map((b, i) => ({ event: { id: String(i) } as never, bytes: b }));
  const ids = (requests: ReturnType<typeof splitRequests>) =>
    requests.map((r) => r.map((e) => e.event.id));

  it("packs events in order, each request's body within the limit", () => {
    // A body is the sizes, the commas between them and two brackets.
    assert.equal(requestBytes([3, 4]), 10);
    assert.deepEqual(ids(splitRequests("", sized(3, 4, 2), 10)), [["0", "1"], [
      "2",
    ]]);
    assert.deepEqual(ids(splitRequests("", sized(3, 2, 1), 10)), [[
      "0",
      "1",
      "2",
    ]]);
    assert.deepEqual(ids(splitRequests("", sized(8, 8, 8), 10)), [["0"], [
      "1",
    ], ["2"]]);
    assert.deepEqual(splitRequests("", [], 10), []);
  });

  it("refuses one event that no request could carry, naming it", () => {
    assert.throws(
      () => splitRequests("Cannot send 2 events", sized(1, 9), 10),
      {
        name: "RangeError",
        message:
          "Cannot send 2 events as events[1] is 9 bytes serialized, and a request to Event Grid may carry at most 10 bytes (nothing was sent)",
      },
    );
  });
});

describe("EventGridPublisher credentials", () => {
  let grid: LocalEventGrid;

  before(async () => {
    grid = await startLocalEventGrid({
      topics: ["keyed", "signed", "entra", "rotated"],
    });
  });

  after(async () => {
    await grid?.close();
  });

  const event = { eventType: "T", subject: "s", data: { ok: true } };

  it("sends with a key string and with an AzureKeyCredential", async () => {
    const { key, ...rest } = grid.topicOptions("keyed");
    await using publisher = new EventGridPublisher({
      topics: {
        plain: { ...rest, key },
        wrapped: { ...rest, key: new AzureKeyCredential(key) },
        asCredential: { ...rest, credential: new AzureKeyCredential(key) },
      },
    });
    await publisher.emitEvent("plain", event);
    await publisher.emitEvent("wrapped", event);
    await publisher.emitEvent("asCredential", event);
    assert.deepEqual(
      grid.requests("keyed").map((r) => [r.auth, r.status]),
      [["key", 200], ["key", 200], ["key", 200]],
    );
  });

  it("sends with a SAS token string and an AzureSASCredential", async () => {
    const { key, ...rest } = grid.topicOptions("signed");
    const sasToken = await generateSharedAccessSignature(
      rest.endpoint,
      new AzureKeyCredential(key),
      new Date(Date.now() + 600_000),
    );
    await using publisher = new EventGridPublisher({
      topics: {
        token: { ...rest, sasToken },
        wrapped: { ...rest, sasToken: new AzureSASCredential(sasToken) },
      },
    });
    await publisher.emitEvent("token", event);
    await publisher.emitEvent("wrapped", event);
    assert.deepEqual(
      grid.requests("signed").map((r) => [r.auth, r.status]),
      [["sas", 200], ["sas", 200]],
    );
  });

  it("sends with a TokenCredential, asking it for a token once for many sends", async () => {
    const { key: _key, ...rest } = grid.topicOptions("entra");
    const credential = new CountingCredential();
    await using publisher = new EventGridPublisher({
      topics: { entra: { ...rest, credential } },
    });
    for (let i = 0; i < 3; i++) await publisher.emitEvent("entra", event);
    assert.deepEqual(credential.scopes, [[
      "https://eventgrid.azure.net/.default",
    ]]);
    assert.deepEqual(
      grid.requests("entra").map((r) => [r.auth, r.status]),
      [["bearer", 200], ["bearer", 200], ["bearer", 200]],
    );
  });

  it("sends with a rotated AzureKeyCredential's new key", async () => {
    const { key, ...rest } = grid.topicOptions("rotated");
    const credential = new AzureKeyCredential("d3Jvbmcta2V5");
    await using publisher = new EventGridPublisher({
      topics: { rotated: { ...rest, key: credential } },
    });
    await assert.rejects(publisher.emitEvent("rotated", event));
    credential.update(key);
    await publisher.emitEvent("rotated", event);
    assert.deepEqual(
      grid.requests("rotated").map((r) => r.status),
      [401, 200],
    );
  });
});
