/**
 * Tests of the recording doubles exported from `./testing`
 * (src/testing/recording_service_bus_sender.ts,
 * src/testing/recording_event_hub_producer.ts): what they record, scripted
 * failures, closing and cancellation, that code typed against the managed
 * clients' interfaces takes them, and that `./testing` loads no Azure SDK and
 * no server package at run time.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { PoolClosed } from "../mod.ts";
import { ManagedEventHubProducer } from "../src/event_hubs/mod.ts";
import { ManagedServiceBusSender } from "../src/service_bus/mod.ts";
import {
  type EventHubEventProducer,
  RecordingEventHubProducer,
  RecordingServiceBusSender,
  type ServiceBusMessageSender,
} from "../src/testing/mod.ts";

const CONNECTION_STRING =
  "Endpoint=sb://127.0.0.1:5672;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true";

describe("RecordingServiceBusSender", () => {
  it("records every message in the SDK's shape, in call order", async () => {
    const sender = new RecordingServiceBusSender();
    const options = { messageId: "m-1", subject: "s" };
    await sender.sendBody({ n: 1 }, options);
    options.subject = "changed later";
    await sender.sendBodies([2, 3], { contentType: "x" });
    await sender.sendBodies([]);
    await sender.sendMessages([{ body: 4, messageId: "m-4" }, { body: 5 }]);
    await sender.sendMessages({ body: 6, sessionId: "s-6" });
    assert.deepEqual(sender.messages, [
      { body: { n: 1 }, messageId: "m-1", subject: "s" },
      { body: 2, contentType: "x" },
      { body: 3, contentType: "x" },
      { body: 4, messageId: "m-4" },
      { body: 5 },
      { body: 6, sessionId: "s-6" },
    ]);
    assert.deepEqual(
      sender.calls.map((c) => [c.method, c.messages.map((m) => m.body)]),
      [
        ["sendBody", [{ n: 1 }]],
        ["sendBodies", [2, 3]],
        ["sendBodies", []],
        ["sendMessages", [4, 5]],
        ["sendMessages", [6]],
      ],
    );
  });

  it("refuses a body given where a ServiceBusMessage belongs, as the managed sender does", async () => {
    const sender = new RecordingServiceBusSender();
    await assert.rejects(
      sender.sendMessages("hello" as never),
      /is not a ServiceBusMessage .*use sendBody/,
    );
    await assert.rejects(
      sender.sendMessages([{ body: 1 }, { id: 2 }] as never),
      /message #1 is not a ServiceBusMessage/,
    );
    assert.deepEqual(sender.messages, []);
  });

  it("fails the next N calls with the scripted errors, in order, then records again", async () => {
    const sender = new RecordingServiceBusSender();
    const busy = new Error("busy");
    const lost = new Error("lost");
    assert.equal(sender.failNext(2, busy).failNext(1, lost), sender);
    await assert.rejects(sender.sendBody("a"), (e) => e === busy);
    await assert.rejects(sender.sendBodies(["b"]), (e) => e === busy);
    await assert.rejects(sender.sendBody("c"), (e) => e === lost);
    await sender.sendBody("d");
    assert.deepEqual(sender.messages.map((m) => m.body), ["d"]);
    assert.deepEqual(sender.calls.map((c) => c.error), [
      busy,
      busy,
      lost,
      undefined,
    ]);
    for (const count of [0, -1, 1.5, NaN]) {
      assert.throws(
        () => sender.failNext(count, busy),
        (error: Error) =>
          error instanceof RangeError &&
          error.message.includes(`'count' must be a positive integer`) &&
          error.message.includes(String(count)),
      );
    }
  });

  it("rejects with PoolClosed after close(), an aborted signal's reason, and a TypeError for a non-array", async () => {
    const sender = new RecordingServiceBusSender();
    const controller = new AbortController();
    controller.abort(new Error("caller gave up"));
    await assert.rejects(
      sender.sendBody("x", { abortSignal: controller.signal }),
      /caller gave up/,
    );
    await assert.rejects(sender.sendBodies("x" as never), TypeError);
    assert.equal(sender.closed, false);
    await sender.close();
    assert.equal(sender.closed, true);
    await assert.rejects(sender.sendBody("x"), PoolClosed);
    await assert.rejects(sender.sendBodies(["x"]), PoolClosed);
    assert.deepEqual(sender.messages, []);
  });

  it("stands in wherever code takes a ServiceBusMessageSender, as the managed sender does", async () => {
    // Type-checked: both must satisfy the interface.
    const notify = (sender: ServiceBusMessageSender, id: string) =>
      sender.sendBody({ id }, { messageId: id });
    const double = new RecordingServiceBusSender();
    await notify(double, "u-1");
    assert.equal(double.messages[0].messageId, "u-1");
    const managed: ServiceBusMessageSender = new ManagedServiceBusSender({
      connectionString: CONNECTION_STRING,
      queueName: "q",
    });
    await managed.close();
  });
});

describe("RecordingEventHubProducer", () => {
  it("records events from all three send methods, with their options, in call order", async () => {
    const producer = new RecordingEventHubProducer();
    await producer.sendBody({ n: 1 }, { partitionKey: "k", messageId: "e" });
    await producer.sendBodies([2, 3], { partitionId: "1" });
    const data = { body: 4, properties: { source: "edge" } };
    await producer.sendBatch([data]);
    await producer.sendBatch([{ body: 5 }, { body: 6 }]);
    await producer.sendBodies([]);
    assert.deepEqual(producer.events.map((e) => [e.body, e.options]), [
      [{ n: 1 }, { partitionKey: "k", messageId: "e" }],
      [2, { partitionId: "1" }],
      [3, { partitionId: "1" }],
      [4, undefined],
      [5, undefined],
      [6, undefined],
    ]);
    assert.deepEqual(producer.events[3].event, data);
    assert.deepEqual(producer.events[0].event, {
      body: { n: 1 },
      messageId: "e",
    });
    assert.deepEqual(producer.calls.map((c) => c.method), [
      "sendBody",
      "sendBodies",
      "sendBatch",
      "sendBatch",
      "sendBodies",
    ]);
  });

  it("fails the next N calls with the scripted error, and checks what the managed producer checks", async () => {
    const producer = new RecordingEventHubProducer();
    const throttled = new Error("throttled");
    producer.failNext(2, throttled);
    await assert.rejects(producer.sendBody(1), (e) => e === throttled);
    await assert.rejects(
      producer.sendBatch([{ body: 2 }]),
      (e) => e === throttled,
    );
    await producer.sendBody(3);
    assert.deepEqual(producer.events.map((e) => e.body), [3]);
    assert.equal(producer.calls[1].error, throttled);

    await assert.rejects(
      producer.sendBody(4, { partitionKey: "k", partitionId: "0" }),
      (error: Error) =>
        error instanceof TypeError && /'partitionKey' and 'partitionId'/.test(
          error.message,
        ),
    );
    await assert.rejects(producer.sendBodies("x" as never), TypeError);
    await assert.rejects(producer.sendBatch([4] as never), TypeError);
    const controller = new AbortController();
    controller.abort(new Error("gave up"));
    await assert.rejects(
      producer.sendBodies([4], { abortSignal: controller.signal }),
      /gave up/,
    );
    await producer.close();
    await assert.rejects(producer.sendBody(4), PoolClosed);
    assert.deepEqual(producer.events.map((e) => e.body), [3]);
  });

  it("stands in wherever code takes an EventHubEventProducer, as the managed producer does", async () => {
    const report = (producer: EventHubEventProducer, celsius: number) =>
      producer.sendBody({ celsius }, { partitionKey: "device-7" });
    const double = new RecordingEventHubProducer();
    await report(double, 21.5);
    assert.deepEqual(double.events[0].body, { celsius: 21.5 });
    const managed: EventHubEventProducer = new ManagedEventHubProducer({
      connectionString: CONNECTION_STRING,
      eventHubName: "h",
    });
    await managed.close();
  });
});

/**
 * The bare specifiers that `entry` and the local modules it reaches load at
 * run time: static `import`/`export … from` statements only, skipping
 * type-only ones (`import type`, or braces holding only `type` names) and
 * comments. Works on the TypeScript sources and on the compiled JavaScript
 * (where type-only imports are gone).
 */
function runtimeImports(entry: URL): Set<string> {
  const bare = new Set<string>();
  const seen = new Set<string>();
  const statement =
    /^\s*(?:import|export)\s+(type\s+)?(?:([\w$*\s,]*?)(\{[^}]*\})?\s*from\s*)?["']([^"']+)["']/gm;
  const visit = (url: URL) => {
    if (seen.has(url.href)) return;
    seen.add(url.href);
    const source = readFileSync(fileURLToPath(url), "utf8")
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/^\s*\/\/.*$/gm, "");
    for (const match of source.matchAll(statement)) {
      const [, typeOnly, head, braces, specifier] = match;
      if (typeOnly) continue;
      const names = (braces ?? "").slice(1, -1).split(",").map((n) => n.trim())
        .filter((n) => n.length > 0);
      const onlyTypes = !head?.trim() && names.length > 0 &&
        names.every((n) => n.startsWith("type "));
      if (onlyTypes) continue;
      if (specifier.startsWith(".")) visit(new URL(specifier, url));
      else bare.add(specifier);
    }
  };
  visit(entry);
  return bare;
}

const extension = import.meta.url.endsWith(".ts") ? "ts" : "js";
const heavy = /^(npm:)?(@azure\/|rhea|@vercel\/)/;

describe("./testing at run time", () => {
  it("loads no Azure SDK, rhea or server package (its SDK imports are type-only)", () => {
    const imports = runtimeImports(
      new URL(`../src/testing/mod.${extension}`, import.meta.url),
    );
    assert.deepEqual([...imports].filter((s) => heavy.test(s)), []);
    // The check sees what it should: the broker does load rhea.
    const broker = runtimeImports(
      new URL(
        `../src/testing/servers/amqp_broker.${extension}`,
        import.meta.url,
      ),
    );
    assert.ok(broker.has("rhea") || broker.has("npm:rhea@3.0.5"));
    assert.ok(
      runtimeImports(
        new URL(`../src/service_bus/mod.${extension}`, import.meta.url),
      )
        .has("@azure/service-bus"),
    );
  });

  it("./testing/servers loads rhea and @vercel/cosmosdb-server only when a server starts", () => {
    const imports = runtimeImports(
      new URL(`../src/testing/servers/mod.${extension}`, import.meta.url),
    );
    assert.deepEqual([...imports].filter((s) => heavy.test(s)), []);
  });
});
