/**
 * The pieces that make the managed clients fail like the pool promises, in
 * process and without timers: readiness probes run with the SDK's retries
 * off and leave the user's retry options as they were; a Cosmos client's
 * requests all stop when its open is abandoned or it is closed (the SDK's
 * account read too, which takes no signal); the twins open a client once
 * for every waiting caller, fail with `ConnectionFailed`, let each caller's
 * signal end only its own wait, and tear down an open that `close()` stops.
 * (tests/unresponsive_endpoints_test.ts proves the whole against real
 * sockets, in child processes.)
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  createPipelineRequest,
  type HttpClient,
  type PipelineRequest,
  type PipelineResponse,
} from "@azure/core-rest-pipeline";
import { CosmosConnector, isCosmosConnectionError } from "../src/cosmos/mod.ts";
import { ClosableHttpClient } from "../src/cosmos/_http_client.ts";
import { withoutRetries, withOwnRetryOptions } from "../src/managed/_amqp.ts";
import { SharedOpen } from "../src/managed/_open.ts";
import type { Connector } from "../src/pool/connector.ts";
import { ConnectionFailed } from "../src/pool/errors.ts";
import { flushMicrotasks } from "../src/testing/mod.ts";

/** A promise and its settle functions (Node 20 lacks Promise.withResolvers). */
function deferred<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection");
}

/** An HTTP client whose requests never answer; each ends when its signal aborts. */
class HangingHttpClient implements HttpClient {
  readonly requests: PipelineRequest[] = [];
  /** The signal each request was sent with. */
  readonly signals: (PipelineRequest["abortSignal"])[] = [];
  readonly #first = deferred<void>();
  /** Resolves at the first request. */
  readonly firstRequest: Promise<void> = this.#first.promise;
  sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
    this.requests.push(request);
    this.signals.push(request.abortSignal);
    this.#first.resolve();
    return new Promise((_, reject) => {
      const signal = request.abortSignal;
      const abort = () => {
        const error = new Error("The operation was aborted.");
        error.name = "AbortError";
        reject(error);
      };
      if (signal?.aborted) abort();
      else signal?.addEventListener("abort", abort);
    });
  }
}

describe("readiness probes of the AMQP clients", () => {
  it("give every SDK client its own copy of the user's retry options", () => {
    const user = { retryOptions: { maxRetries: 5, retryDelayInMs: 10 } };
    const { options, retries } = withOwnRetryOptions(user);
    assert.equal(options.retryOptions, retries);
    assert.notEqual(retries, user.retryOptions);
    assert.deepEqual(retries, { maxRetries: 5, retryDelayInMs: 10 });
    assert.deepEqual(withOwnRetryOptions({}).retries, {});
  });

  it("run with no SDK retry and leave the user's maxRetries as it was, whether the probe succeeds or fails", async () => {
    const set = { maxRetries: 5 };
    const during: unknown[] = [];
    await withoutRetries(set, () => {
      during.push(set.maxRetries);
      return Promise.resolve();
    });
    assert.deepEqual(set, { maxRetries: 5 });
    const unset: { maxRetries?: number } = {};
    const failure = new Error("refused");
    assert.equal(
      await rejectionOf(withoutRetries(unset, () => {
        during.push(unset.maxRetries);
        return Promise.reject(failure);
      })),
      failure,
    );
    assert.deepEqual(during, [0, 0]);
    // Absent stays absent: the SDK applies its own default later.
    assert.equal(Object.hasOwn(unset, "maxRetries"), false);
  });
});

describe("ClosableHttpClient", () => {
  it("aborts its requests in flight on close with an error that is not an AbortError, and refuses new ones", async () => {
    const inner = new HangingHttpClient();
    const http = new ClosableHttpClient("127.0.0.1:1", inner);
    const pending = http.sendRequest(
      createPipelineRequest({ url: "https://127.0.0.1:1/" }),
    );
    await flushMicrotasks();
    assert.equal(inner.requests.length, 1);
    const reason = new Error("the pool gave up");
    http.close(reason);
    const error = await rejectionOf(pending) as Error;
    assert.equal(inner.signals[0]?.aborted, true);
    // An AbortError would make @azure/cosmos retry it as a timeout.
    assert.notEqual(error.name, "AbortError");
    assert.match(error.message, /client was closed/);
    assert.equal(isCosmosConnectionError(error), true);
    const refused = await rejectionOf(
      http.sendRequest(createPipelineRequest({ url: "https://127.0.0.1:1/" })),
    ) as Error;
    assert.equal(refused.cause, reason);
    assert.equal(inner.requests.length, 1);
  });

  it("passes the SDK's own abort through unchanged", async () => {
    const http = new ClosableHttpClient("127.0.0.1:1", new HangingHttpClient());
    const controller = new AbortController();
    const request = createPipelineRequest({
      url: "https://127.0.0.1:1/",
      abortSignal: controller.signal,
    });
    const pending = http.sendRequest(request);
    controller.abort();
    const error = await rejectionOf(pending) as Error;
    assert.equal(error.name, "AbortError");
    assert.equal(request.abortSignal, controller.signal);
    http.close();
  });
});

describe("CosmosConnector", () => {
  it("stops every request of a client whose readiness read is abandoned, the SDK's unsignalled account read included, through the user's httpClient", async () => {
    const inner = new HangingHttpClient();
    const connector = new CosmosConnector({
      endpoint: "https://127.0.0.1:1/",
      databaseName: "db",
      containerName: "c",
      key: "a2V5",
      clientOptions: { httpClient: inner },
    });
    const controller = new AbortController();
    const container = await connector.create(controller.signal);
    try {
      const ready = connector.ready(container, controller.signal);
      // The SDK reads the account first, without the caller's signal.
      await inner.firstRequest;
      assert.equal(inner.requests.length, 1);
      const reason = new DOMException("open took too long", "TimeoutError");
      controller.abort(reason);
      assert.equal(await rejectionOf(ready), reason);
      assert.ok(inner.signals.every((signal) => signal?.aborted));
    } finally {
      await connector.close(container);
    }
  });
});

/** A connector whose every step the test settles by hand. */
function manualConnector() {
  const log: string[] = [];
  const creates: ReturnType<typeof deferred<{ id: number }>>[] = [];
  const readies: ReturnType<typeof deferred<boolean>>[] = [];
  let next = 0;
  const connector: Connector<{ id: number }> = {
    create: () => {
      log.push("create");
      const step = deferred<{ id: number }>();
      creates.push(step);
      return step.promise;
    },
    ready: (client) => {
      log.push(`ready ${client.id}`);
      const step = deferred<boolean>();
      readies.push(step);
      return step.promise;
    },
    close: (client) => {
      log.push(`close ${client.id}`);
      return Promise.resolve();
    },
  };
  return { connector, log, creates, readies, client: () => ({ id: ++next }) };
}

describe("SharedOpen (the unpooled twins' open)", () => {
  it("opens one client for every waiting caller, and a caller's signal ends only its own wait", async () => {
    const { connector, log, creates, readies, client } = manualConnector();
    const opened: unknown[] = [];
    const open = new SharedOpen("Twin", connector, (c) => opened.push(c));
    const impatient = new AbortController();
    const first = open.join();
    const second = open.join(impatient.signal);
    const reason = new Error("caller gave up");
    impatient.abort(reason);
    assert.equal(await rejectionOf(second), reason);
    await flushMicrotasks();
    creates[0].resolve(client());
    await flushMicrotasks();
    readies[0].resolve(true);
    assert.deepEqual(await first, { id: 1 });
    assert.deepEqual(opened, [{ id: 1 }]);
    assert.deepEqual(log, ["create", "ready 1"]);
  });

  it("fails with ConnectionFailed whose cause is the SDK's error, closes what it made, and opens anew on the next call", async () => {
    const { connector, log, creates, readies, client } = manualConnector();
    const open = new SharedOpen("Twin for host:1", connector, () => {});
    const first = open.join();
    await flushMicrotasks();
    creates[0].resolve(client());
    await flushMicrotasks();
    const refused = Object.assign(new Error("connect ECONNREFUSED"), {
      code: "ECONNREFUSED",
    });
    readies[0].reject(refused);
    const error = await rejectionOf(first);
    assert.ok(error instanceof ConnectionFailed, String(error));
    assert.equal(error.cause, refused);
    assert.match(
      error.message,
      /Cannot open Twin for host:1: Error ECONNREFUSED/,
    );
    const second = open.join();
    await flushMicrotasks();
    assert.equal(creates.length, 2);
    creates[1].resolve(client());
    await flushMicrotasks();
    readies[1].resolve(true);
    assert.deepEqual(await second, { id: 2 });
    assert.deepEqual(log, [
      "create",
      "ready 1",
      "close 1",
      "create",
      "ready 2",
    ]);
  });

  it("on abort, gives waiting callers the reason, closes the client being proven, and closes one created late", async () => {
    const { connector, log, creates, readies, client } = manualConnector();
    const open = new SharedOpen("Twin", connector, () => {});
    const proving = open.join();
    await flushMicrotasks();
    creates[0].resolve(client());
    await flushMicrotasks();
    const closed = new Error("closed");
    await open.abort(closed);
    assert.equal(await rejectionOf(proving), closed);
    assert.deepEqual(log, ["create", "ready 1", "close 1"]);
    readies[0].resolve(true); // too late: nobody takes it

    const creating = open.join();
    await flushMicrotasks();
    await open.abort(closed);
    assert.equal(await rejectionOf(creating), closed);
    creates[1].resolve(client()); // delivered after the open was given up
    await flushMicrotasks();
    assert.deepEqual(log.slice(3), ["create", "close 2"]);
  });
});
