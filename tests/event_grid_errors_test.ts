/**
 * Every mistake a caller of `EventGridPublisher` can make, and every way
 * the endpoint can fail, with the real SDK against `startLocalEventGrid`:
 * the error's class, code, status and message, and how many requests the
 * endpoint saw.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import https from "node:https";
import {
  AzureKeyCredential,
  generateSharedAccessSignature,
} from "@azure/eventgrid";
import {
  createHttpHeaders,
  type PipelinePolicy,
} from "@azure/core-rest-pipeline";
import {
  AuthenticationFailed,
  ConnectionFailed,
  EntityNotFound,
  EventGridPublisher,
  OperationTimeout,
  PoolClosed,
  PoolError,
  RequestFailed,
  RestError,
} from "../src/event_grid/mod.ts";
import {
  type LocalEventGrid,
  startLocalEventGrid,
} from "../src/testing/servers/mod.ts";

const ENDPOINT = "https://orders.westus2-1.eventgrid.azure.net/api/events";
const KEY = "a2V5LWZvci1vcHRpb24tdGVzdHM=";
const event = {
  eventType: "Order.Placed",
  subject: "orders/1",
  data: { id: 1 },
};
/** SDK retries in milliseconds, so that retried failures end quickly. */
const FAST_RETRIES = { retryDelayInMs: 1, maxRetryDelayInMs: 5 };

function make(options: unknown): EventGridPublisher {
  return new EventGridPublisher(options as never);
}

/** A port on 127.0.0.1 that refuses connections. */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection");
}

describe("EventGridPublisher options", () => {
  const topic = { endpoint: ENDPOINT, key: KEY };

  it("suggests the option meant for an unknown key, at the top and in a topic", () => {
    assert.throws(
      () => make({ topics: { orders: topic }, operationTimeoutSecs: 5 }),
      {
        name: "TypeError",
        message:
          "Cannot create EventGridPublisher as 'operationTimeoutSecs' is not an option (did you mean 'operationTimeoutSeconds'?): known options are topics, operationTimeoutSeconds",
      },
    );
    assert.throws(
      () => make({ topic: { orders: topic } }),
      /'topic' is not an option \(did you mean 'topics'\?\)/,
    );
    assert.throws(
      () => make({ topics: { orders: { endpont: ENDPOINT, key: KEY } } }),
      /'topics\.orders\.endpont' is not an option \(did you mean 'endpoint'\?\): known options are endpoint, key, sasToken, credential, schema, clientOptions/,
    );
    assert.throws(
      () => make({ topics: { orders: { ...topic, Schema: "EventGrid" } } }),
      /'topics\.orders\.Schema' is not an option \(did you mean 'schema'\?\)/,
    );
  });

  it("refuses an http:// endpoint, naming the option and why", () => {
    assert.throws(
      () =>
        make({
          topics: {
            orders: {
              endpoint: "http://orders.eventgrid.azure.net/api/events",
              key: KEY,
            },
          },
        }),
      {
        name: "TypeError",
        message:
          /^Cannot create EventGridPublisher as 'topics\.orders\.endpoint' must be an https:\/\/ URL: received a URL with protocol 'http:' \(Event Grid sends the key, SAS token or bearer token in a request header, which must not travel unencrypted\)$/,
      },
    );
  });

  it("refuses an endpoint that is not a URL, or carries a password", () => {
    assert.throws(
      () => make({ topics: { orders: { endpoint: "orders", key: KEY } } }),
      /'topics\.orders\.endpoint' must be the topic's https:\/\/ URL: received a string of 6 characters that is not a URL/,
    );
    assert.throws(
      () => make({ topics: { orders: { endpoint: undefined, key: KEY } } }),
      /'topics\.orders\.endpoint' must be the topic's https:\/\/ URL: received undefined/,
    );
    assert.throws(
      () =>
        make({
          topics: {
            orders: { endpoint: "https://u:p@h/api/events", key: KEY },
          },
        }),
      /must not carry a user name or password/,
    );
  });

  it("needs exactly one credential per topic", () => {
    assert.throws(
      () => make({ topics: { orders: { endpoint: ENDPOINT } } }),
      /topic 'orders' has no credential: pass one of 'topics\.orders\.key', 'topics\.orders\.sasToken', 'topics\.orders\.credential'/,
    );
    assert.throws(
      () => make({ topics: { orders: { ...topic, sasToken: "r=a&e=b&s=c" } } }),
      /only one of .* may be given: received 'topics\.orders\.key' and 'topics\.orders\.sasToken'/,
    );
    assert.throws(
      () => make({ topics: { orders: { endpoint: ENDPOINT, key: "  " } } }),
      /'topics\.orders\.key' must be a non-empty string: received a blank string/,
    );
    assert.throws(
      () => make({ topics: { orders: { endpoint: ENDPOINT, key: 42 } } }),
      /'topics\.orders\.key' must be a string or an AzureKeyCredential: received 42/,
    );
    assert.throws(
      () =>
        make({
          topics: { orders: { endpoint: ENDPOINT, credential: "secret-ish" } },
        }),
      /'topics\.orders\.credential' must be a TokenCredential .*: received a string of 10 characters/,
    );
  });

  it("takes the SDK's schema names only", () => {
    assert.throws(
      () => make({ topics: { orders: { ...topic, schema: "cloudevent" } } }),
      /'topics\.orders\.schema' must be "EventGrid" or "CloudEvent": received "cloudevent" \(did you mean 'CloudEvent'\?\)/,
    );
    assert.throws(
      () => make({ topics: { orders: { ...topic, schema: "Custom" } } }),
      /received "Custom" \(custom schemas are not supported\)/,
    );
  });

  it("needs at least one topic, and a positive timeout", () => {
    assert.throws(
      () => make(undefined),
      /its options must be an object with 'topics'/,
    );
    assert.throws(() => make({}), /'topics' must map at least one topic name/);
    assert.throws(
      () => make({ topics: {} }),
      /received an object with no topic/,
    );
    assert.throws(() => make({ topics: [topic] }), /received an array/);
    assert.throws(
      () => make({ topics: { orders: topic }, operationTimeoutSeconds: 0 }),
      {
        name: "RangeError",
        message:
          "Cannot create EventGridPublisher as 'operationTimeoutSeconds' must be a positive number of seconds (or Infinity): received 0",
      },
    );
    assert.throws(
      () => make({ topics: { orders: topic }, operationTimeoutSeconds: NaN }),
      RangeError,
    );
    assert.throws(
      () => make({ topics: { orders: topic }, operationTimeoutSeconds: "5" }),
      /'operationTimeoutSeconds' must be a number: received a string of 1 characters/,
    );
  });
});

describe("EventGridPublisher mistakes in a send", () => {
  let grid: LocalEventGrid;
  let publisher: EventGridPublisher<"orders" | "audit">;

  before(async () => {
    grid = await startLocalEventGrid({
      topics: ["orders", { name: "audit", schema: "CloudEvent" }],
    });
    publisher = new EventGridPublisher({
      topics: {
        orders: grid.topicOptions("orders"),
        audit: grid.topicOptions("audit"),
      },
    });
  });

  after(async () => {
    await publisher?.close();
    // No mistake reached the endpoint.
    assert.equal(grid?.stats().requests, 0);
    await grid?.close();
  });

  it("names the known topics for an unknown one, and the one meant", async () => {
    await assert.rejects(
      publisher.emitEvent("ordres" as "orders", event),
      {
        name: "TypeError",
        message:
          "Cannot emit an event as 'ordres' is not one of this publisher's topics (did you mean 'orders'?): known topics are orders, audit",
      },
    );
    await assert.rejects(
      publisher.send("billing" as "orders", []),
      {
        name: "TypeError",
        message:
          "Cannot send events as 'billing' is not one of this publisher's topics: known topics are orders, audit",
      },
    );
    assert.throws(
      () => publisher.getClient("Audit" as "audit"),
      /'Audit' is not one of this publisher's topics \(did you mean 'audit'\?\)/,
    );
  });

  it("suggests the send option meant", async () => {
    await assert.rejects(
      publisher.emitEvent(
        "orders",
        event,
        { signal: AbortSignal.abort() } as never,
      ),
      /Cannot emit an event to Event Grid topic 'orders' on 127\.0\.0\.1:\d+ as 'signal' is not an option \(did you mean 'abortSignal'\?\): known options are abortSignal, channelName/,
    );
    await assert.rejects(
      publisher.emitEvent("orders", event, { channelName: "c" }),
      /'channelName' applies to CloudEvent topics only/,
    );
    await assert.rejects(
      publisher.emitEvent("orders", event, { abortSignal: "soon" } as never),
      /'abortSignal' must be an AbortSignal: received a string of 4 characters/,
    );
  });

  it("checks every event before the first request", async () => {
    await assert.rejects(
      publisher.send("orders", { eventType: "T" } as never),
      /'events' must be an array: received an object/,
    );
    await assert.rejects(
      publisher.send("orders", [
        { eventType: "T", subject: "s", dataVersion: "1", data: {} },
        { subject: "s", dataVersion: "1", data: {} } as never,
      ]),
      {
        name: "TypeError",
        message:
          /^Cannot send 2 events to Event Grid topic 'orders' on 127\.0\.0\.1:\d+ as events\[1\]\.eventType must be a non-empty string: received undefined$/,
      },
    );
    await assert.rejects(
      publisher.send("orders", [
        { eventType: "T", subject: "s", data: {} } as never,
      ]),
      /events\[0\]\.dataVersion must be a non-empty string: received undefined/,
    );
    await assert.rejects(
      publisher.emitEvent("orders", { ...event, data: [1, 2] }),
      /the event\.data must be an object \(the SDK sends it as a JSON object, key by key\): received an array/,
    );
    await assert.rejects(
      publisher.emitEvent("orders", { ...event, data: "text" }),
      /the event\.data must be an object .*: received a string of 4 characters/,
    );
    await assert.rejects(
      publisher.emitEvent("orders", { ...event, eventTime: new Date(NaN) }),
      /the event\.eventTime must be a valid Date when given: received an invalid Date/,
    );
    await assert.rejects(
      publisher.emitEvent(
        "orders",
        { eventtype: "T", subject: "s", data: {} } as never,
      ),
      /'eventtype' is not a field of the event \(did you mean 'eventType'\?\)/,
    );
    await assert.rejects(
      publisher.emitEvent("audit", event as never),
      /'eventType' is not a field of the event: known fields are type, source/,
    );
    await assert.rejects(
      publisher.emitEvent("audit", {
        type: "T",
        source: "/s",
        data: new Uint8Array(1),
      }),
      /the event\.data is binary: give its 'datacontenttype'/,
    );
    await assert.rejects(
      publisher.emitEvent("audit", {
        type: "T",
        source: "/s",
        extensionAttributes: { Tenant: "t" },
      }),
      /extensionAttributes has the name "Tenant": CloudEvents extension names are lower-case letters and digits/,
    );
  });

  it("refuses an event over 1 MB with a RangeError, and sends none of the list", async () => {
    const big = { ...event, data: { pad: "x".repeat(1_048_576) } };
    await assert.rejects(
      publisher.emitEvent("orders", big),
      {
        name: "RangeError",
        message:
          /^Cannot emit an event to Event Grid topic 'orders' on 127\.0\.0\.1:\d+ as the event is 1048\d{3} bytes serialized, and a request to Event Grid may carry at most 1048576 bytes \(nothing was sent\)$/,
      },
    );
    const small = { ...event, dataVersion: "1" };
    await assert.rejects(
      publisher.send("orders", [small, small, { ...big, dataVersion: "1" }]),
      /as events\[2\] is \d+ bytes serialized/,
    );
  });
});

describe("EventGridPublisher failures of the endpoint", () => {
  let grid: LocalEventGrid;

  before(async () => {
    grid = await startLocalEventGrid({
      topics: ["orders", "audit", "flaky", "slow", "split", "entra"],
    });
  });

  after(async () => {
    await grid?.close();
  });

  it("fails a wrong key at once with AuthenticationFailed 401, in one request", async () => {
    await using publisher = new EventGridPublisher({
      topics: {
        orders: { ...grid.topicOptions("orders"), key: "V3Jvbmcta2V5LTAwMDA=" },
      },
    });
    const started = performance.now();
    const error = await rejection(publisher.emitEvent("orders", event));
    const elapsed = performance.now() - started;
    assert.ok(error instanceof AuthenticationFailed);
    assert.ok(error instanceof RequestFailed);
    assert.ok(error instanceof PoolError);
    assert.equal(error.code, "AUTHENTICATION_FAILED");
    assert.equal(error.statusCode, 401);
    assert.equal(error.serviceCode, "Unauthorized");
    assert.ok(error.cause instanceof RestError);
    assert.match(
      error.message,
      /^Cannot emit an event to Event Grid topic 'orders' on 127\.0\.0\.1:\d+: the credential was refused \(401 Unauthorized\)$/,
    );
    assert.ok(elapsed < 2000, `took ${elapsed} ms`);
    assert.deepEqual(grid.requests("orders").map((r) => r.status), [401]);
  });

  it("fails an expired SAS token and a refused bearer token with AuthenticationFailed", async () => {
    const { key, ...rest } = grid.topicOptions("audit");
    const expired = await generateSharedAccessSignature(
      rest.endpoint,
      new AzureKeyCredential(key),
      new Date(Date.now() - 60_000),
    );
    await using signed = new EventGridPublisher({
      topics: { audit: { ...rest, sasToken: expired } },
    });
    const sas = await rejection(signed.emitEvent("audit", event));
    assert.ok(sas instanceof AuthenticationFailed);
    assert.equal(sas.statusCode, 401);

    const { key: _key, ...entraRest } = grid.topicOptions("entra");
    await using entra = new EventGridPublisher({
      topics: {
        entra: {
          ...entraRest,
          credential: {
            getToken: () =>
              Promise.resolve({
                token: "refused-bearer-token",
                expiresOnTimestamp: Date.now() + 3_600_000,
              }),
          },
        },
      },
    });
    grid.refuse();
    try {
      const bearer = await rejection(entra.emitEvent("entra", event));
      assert.ok(bearer instanceof AuthenticationFailed);
    } finally {
      grid.accept();
    }
    await entra.emitEvent("entra", event);
  });

  it("tells a 403 as AuthenticationFailed and a 413 or 400 as RequestFailed with the status", async () => {
    await using publisher = new EventGridPublisher({
      topics: { orders: grid.topicOptions("orders") },
    });
    grid.failNext(1, 403);
    const forbidden = await rejection(publisher.emitEvent("orders", event));
    assert.ok(forbidden instanceof AuthenticationFailed);
    assert.equal(forbidden.statusCode, 403);

    grid.failNext(1, 413);
    const tooLarge = await rejection(publisher.emitEvent("orders", event));
    assert.ok(tooLarge instanceof RequestFailed);
    assert.ok(!(tooLarge instanceof AuthenticationFailed));
    assert.equal(tooLarge.code, "REQUEST_FAILED");
    assert.equal(tooLarge.statusCode, 413);
    assert.match(tooLarge.message, /: 413 InjectedFailure$/);

    // A topic configured as CloudEvents whose endpoint takes Event Grid events.
    await using wrongSchema = new EventGridPublisher({
      topics: {
        orders: { ...grid.topicOptions("orders"), schema: "CloudEvent" },
      },
    });
    const badRequest = await rejection(
      wrongSchema.emitEvent("orders", { type: "T", source: "/s" }),
    );
    assert.ok(badRequest instanceof RequestFailed);
    assert.equal(badRequest.statusCode, 400);
    assert.equal(badRequest.serviceCode, "BadRequest");
  });

  it("names the topic in EntityNotFound when no topic answers at the endpoint", async () => {
    const options = grid.topicOptions("orders");
    await using publisher = new EventGridPublisher({
      topics: {
        ghost: {
          ...options,
          endpoint: options.endpoint.replace("/orders/", "/ghost/"),
        },
      },
    });
    const error = await rejection(publisher.emitEvent("ghost", event));
    assert.ok(error instanceof EntityNotFound);
    assert.equal(error.entity, "ghost");
    assert.equal(error.statusCode, 404);
    assert.equal(error.code, "ENTITY_NOT_FOUND");
    assert.match(
      error.message,
      /topic 'ghost' on 127\.0\.0\.1:\d+: no topic answers at this endpoint \(404 NotFound\)/,
    );
  });

  it("fails a refused port with ConnectionFailed", async () => {
    const port = await refusedPort();
    await using publisher = new EventGridPublisher({
      topics: {
        orders: {
          endpoint: `https://127.0.0.1:${port}/api/events`,
          key: KEY,
          clientOptions: { retryOptions: FAST_RETRIES },
        },
      },
    });
    const error = await rejection(publisher.emitEvent("orders", event));
    assert.ok(error instanceof ConnectionFailed, String(error));
    assert.equal(error.code, "CONNECTION_FAILED");
    assert.match(
      error.message,
      new RegExp(
        `^Cannot emit an event to Event Grid topic 'orders' on 127\\.0\\.0\\.1:${port}: no answer \\(ECONNREFUSED\\) after the SDK's retries$`,
      ),
    );
    assert.ok(error.cause instanceof RestError);
  });

  it("rides out a server that fails twice then recovers, in three requests", async () => {
    await using publisher = new EventGridPublisher({
      topics: {
        flaky: {
          ...grid.topicOptions("flaky"),
          clientOptions: {
            ...grid.topicOptions("flaky").clientOptions,
            retryOptions: FAST_RETRIES,
          },
        },
      },
    });
    grid.failNext(2, 503);
    await publisher.emitEvent("flaky", event);
    assert.deepEqual(grid.requests("flaky").map((r) => r.status), [
      503,
      503,
      200,
    ]);
    assert.equal(grid.events("flaky").length, 1);
  });

  it("fails with ConnectionFailed when the server fails past the SDK's retries, then recovers", async () => {
    const options = grid.topicOptions("flaky");
    await using publisher = new EventGridPublisher({
      topics: {
        flaky: {
          ...options,
          clientOptions: {
            ...options.clientOptions,
            retryOptions: { ...FAST_RETRIES, maxRetries: 3 },
          },
        },
      },
    });
    const before = grid.requests("flaky").length;
    grid.failNext(4, 500);
    const error = await rejection(publisher.emitEvent("flaky", event));
    assert.ok(error instanceof ConnectionFailed);
    assert.match(
      error.message,
      /the service failed \(500 InjectedFailure\) after the SDK's retries$/,
    );
    await publisher.emitEvent("flaky", event);
    assert.deepEqual(
      grid.requests("flaky").slice(before).map((r) => r.status),
      [500, 500, 500, 500, 200],
    );
  });

  it("gives up on a silent endpoint after operationTimeoutSeconds with OperationTimeout", async () => {
    await using publisher = new EventGridPublisher({
      topics: { slow: grid.topicOptions("slow") },
      operationTimeoutSeconds: 0.2,
    });
    grid.delay(30);
    try {
      const error = await rejection(publisher.emitEvent("slow", event));
      assert.ok(error instanceof OperationTimeout, String(error));
      assert.equal(error.code, "OPERATION_TIMEOUT");
      assert.match(
        error.message,
        /topic 'slow' on 127\.0\.0\.1:\d+: no answer within 0\.2 s \(operationTimeoutSeconds\)$/,
      );
    } finally {
      grid.delay(0);
    }
  });

  it("says how much of a split send was accepted when a later request fails", async () => {
    let requests = 0;
    const failSecond: PipelinePolicy = {
      name: "failSecond",
      sendRequest(request, next) {
        requests++;
        if (requests !== 2) return next(request);
        return Promise.resolve({
          status: 400,
          headers: createHttpHeaders({ "content-type": "application/json" }),
          request,
          bodyAsText: '{"error":{"code":"BadRequest","message":"no"}}',
        });
      },
    };
    const options = grid.topicOptions("split");
    await using publisher = new EventGridPublisher({
      topics: {
        split: {
          ...options,
          clientOptions: {
            ...options.clientOptions,
            additionalPolicies: [{ policy: failSecond, position: "perRetry" }],
          },
        },
      },
    });
    const events = Array.from({ length: 300 }, (_, i) => ({
      eventType: "T",
      subject: `s/${i}`,
      dataVersion: "1",
      data: { i, pad: "x".repeat(10_000) },
    }));
    const error = await rejection(publisher.send("split", events));
    assert.ok(error instanceof RequestFailed);
    assert.match(
      error.message,
      /^Cannot send 300 events to Event Grid topic 'split' on 127\.0\.0\.1:\d+: 400 BadRequest; 1 of 3 requests \(\d+ of 300 events\) had been accepted$/,
    );
    assert.equal(requests, 2);
    assert.equal(grid.requests("split").length, 1);
  });
});

describe("EventGridPublisher.close", () => {
  let grid: LocalEventGrid;

  before(async () => {
    grid = await startLocalEventGrid({ topics: ["orders"] });
  });

  after(async () => {
    await grid?.close();
  });

  /** Waits (bounded) until the server sees no open connection. */
  async function connectionsDrop(): Promise<number> {
    for (let i = 0; i < 200 && grid.stats().openConnections > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return grid.stats().openConnections;
  }

  it("waits for sends in flight, then refuses new ones with PoolClosed", async () => {
    const publisher = new EventGridPublisher({
      topics: { orders: grid.topicOptions("orders") },
    });
    grid.delay(0.2);
    let sent = false;
    const sending = publisher.emitEvent("orders", event).then(() => {
      sent = true;
    });
    try {
      await publisher.close();
      assert.equal(sent, true);
    } finally {
      grid.delay(0);
    }
    await sending;
    assert.equal(publisher.closed, true);
    const error = await rejection(publisher.emitEvent("orders", event));
    assert.ok(error instanceof PoolClosed);
    assert.equal(publisher.close(), publisher.close());
  });

  it("ends the keep-alive connections of the agents it made", async () => {
    const publisher = new EventGridPublisher({
      topics: { orders: grid.topicOptions("orders") },
    });
    await publisher.emitEvent("orders", event);
    assert.equal(grid.stats().openConnections, 1);
    await publisher.close();
    assert.equal(await connectionsDrop(), 0);
  });

  it("leaves an agent given in clientOptions to its owner", async () => {
    const agent = new https.Agent({ keepAlive: true, ca: grid.certificate });
    const publisher = new EventGridPublisher({
      topics: {
        orders: { ...grid.topicOptions("orders"), clientOptions: { agent } },
      },
    });
    try {
      await publisher.emitEvent("orders", event);
      await publisher.close();
      assert.equal(grid.stats().openConnections, 1);
    } finally {
      agent.destroy();
    }
    assert.equal(await connectionsDrop(), 0);
  });
});
