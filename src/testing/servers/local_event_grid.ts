/**
 * `startLocalEventGrid`: Event Grid topics on 127.0.0.1 that the real
 * `@azure/eventgrid` SDK (and `EventGridPublisher`) publishes to, over
 * HTTPS with a certificate made at start that only the clients it
 * configures trust.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import https from "node:https";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { checkOptions, describe } from "./_options.ts";
import { selfSignedCertificate } from "./_self_signed_cert.ts";

const OWNER = "startLocalEventGrid";

/** The service's limit on one request body: 1 MB. */
const MAX_REQUEST_BYTES = 1_048_576;

/** A topic's schema, with the SDK's names. */
export type LocalEventGridSchema = "EventGrid" | "CloudEvent";

/** One topic of {@linkcode startLocalEventGrid}. */
export interface LocalEventGridTopic {
  /** The name; the endpoint is `https://127.0.0.1:<port>/topics/<name>/api/events`. */
  name: string;
  /**
   * The schema it accepts.
   * @default {"EventGrid"}
   */
  schema?: LocalEventGridSchema;
  /**
   * Its access key (any string; SAS tokens are signed with it).
   * @default {a random base64 key}
   */
  key?: string;
}

/**
 * Options of {@linkcode startLocalEventGrid}.
 *
 * @example An Event Grid topic and a CloudEvents topic
 * ```ts
 * import type { LocalEventGridOptions } from "@azure-clients/toolbox/testing/servers";
 * import assert from "node:assert/strict";
 *
 * const options: LocalEventGridOptions = {
 *   topics: ["orders", { name: "audit", schema: "CloudEvent" }],
 * };
 * assert.equal(options.topics.length, 2);
 * ```
 */
export interface LocalEventGridOptions {
  /** The topics: names (Event Grid schema, random key) or full descriptions. */
  topics: readonly (string | LocalEventGridTopic)[];
}

/** How a request authenticated. */
export type LocalEventGridAuth = "key" | "sas" | "bearer" | "none";

/** A request a topic received, as {@linkcode LocalEventGrid.requests} lists it. */
export interface LocalEventGridRequest {
  /** The body's size in bytes. */
  bytes: number;
  /** The events in it (0 when it was not read as events). */
  events: number;
  /** The status answered. */
  status: number;
  /** How it authenticated (`"none"` when it carried no credential). */
  auth: LocalEventGridAuth;
  /** Its `Content-Type` header. */
  contentType: string;
}

/** An event a topic accepted, as JSON parsed from the request. */
export type LocalEventGridEvent = Record<string, unknown>;

/** What `EventGridPublisher` needs for a local topic: spread it into the topic's options. */
export interface LocalEventGridTopicOptions {
  /** `https://127.0.0.1:<port>/topics/<name>/api/events`. */
  endpoint: string;
  /** The topic's key. */
  key: string;
  /** The topic's schema. */
  schema: LocalEventGridSchema;
  /** TLS options that trust this server's certificate, for this client only. */
  clientOptions: LocalEventGridClientOptions;
}

/** Client options for a plain `EventGridPublisherClient` (its 4th argument). */
export interface LocalEventGridClientOptions {
  /** The server's certificate as the only CA. */
  tlsOptions: { ca: string };
}

/** Counts since the server started. */
export interface LocalEventGridStats {
  /** Requests answered, every topic and path. */
  requests: number;
  /** Requests answered 200. */
  accepted: number;
  /** Events accepted. */
  events: number;
  /** TCP connections accepted. */
  tcpConnections: number;
  /** TLS handshakes completed. */
  tlsConnections: number;
  /** TCP connections open now. */
  openConnections: number;
}

/** A running local Event Grid; see {@linkcode startLocalEventGrid}. */
export interface LocalEventGrid extends AsyncDisposable {
  /** The port on 127.0.0.1. */
  readonly port: number;
  /** The server's certificate, PEM (made at start; trust it per client). */
  readonly certificate: string;
  /**
   * A topic's endpoint.
   *
   * @param topic The topic's name.
   * @returns `https://127.0.0.1:<port>/topics/<name>/api/events`.
   * @throws {TypeError} For a topic the server does not have.
   */
  endpoint(topic: string): string;
  /**
   * A topic's access key.
   *
   * @param topic The topic's name.
   * @returns The key.
   * @throws {TypeError} For a topic the server does not have.
   */
  key(topic: string): string;
  /**
   * The options of a topic of `EventGridPublisher`: endpoint, key, schema
   * and TLS trust. For a SAS token or an Entra ID credential, replace
   * `key` (`{ ...grid.topicOptions("a"), key: undefined, sasToken }`).
   *
   * @param topic The topic's name.
   * @returns `{ endpoint, key, schema, clientOptions }`.
   * @throws {TypeError} For a topic the server does not have.
   */
  topicOptions(topic: string): LocalEventGridTopicOptions;
  /**
   * Client options of a plain `EventGridPublisherClient` that trust this
   * server (and nothing else, for that client).
   *
   * @returns `{ tlsOptions: { ca } }`.
   */
  clientOptions(): LocalEventGridClientOptions;
  /**
   * The events a topic accepted, in the order received.
   *
   * @param topic The topic's name.
   * @returns A copy of the list.
   * @throws {TypeError} For a topic the server does not have.
   */
  events(topic: string): LocalEventGridEvent[];
  /**
   * The requests a topic answered, in order, accepted or not.
   *
   * @param topic The topic's name.
   * @returns A copy of the list.
   * @throws {TypeError} For a topic the server does not have.
   */
  requests(topic: string): LocalEventGridRequest[];
  /**
   * Counts since the server started.
   *
   * @returns A fresh snapshot.
   */
  stats(): LocalEventGridStats;
  /** Answers every request 401 from now on, whatever its credential. */
  refuse(): void;
  /** Checks credentials again (undoes `refuse()`). */
  accept(): void;
  /**
   * Waits this long before answering each request from now on (0 to stop).
   *
   * @param seconds The delay.
   * @throws {RangeError} When `seconds` is negative or not a number.
   */
  delay(seconds: number): void;
  /**
   * Answers the next `count` requests with `status` and an error body,
   * before checking them.
   *
   * @param count How many requests.
   * @param status The status.
   * @throws {RangeError} When `count` is not a positive integer or `status`
   * is not 400-599.
   */
  failNext(count: number, status?: number): void;
  /**
   * Stops the server and ends every connection. Calling it again does
   * nothing.
   *
   * @returns When the listener is closed.
   */
  close(): Promise<void>;
}

interface TopicState {
  name: string;
  schema: LocalEventGridSchema;
  key: string;
  endpoint: string;
  events: LocalEventGridEvent[];
  requests: LocalEventGridRequest[];
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function checkTopics(value: unknown): LocalEventGridTopic[] {
  const valid = Array.isArray(value) && value.length > 0 &&
    value.every((spec) =>
      (typeof spec === "string" && /^[A-Za-z0-9-]+$/.test(spec)) ||
      (typeof spec === "object" && spec !== null &&
        typeof spec.name === "string" && /^[A-Za-z0-9-]+$/.test(spec.name) &&
        Object.keys(spec).every((k) => ["name", "schema", "key"].includes(k)) &&
        (spec.schema === undefined || spec.schema === "EventGrid" ||
          spec.schema === "CloudEvent") &&
        (spec.key === undefined ||
          (typeof spec.key === "string" && spec.key.length > 0)))
    );
  if (!valid) {
    throw new TypeError(
      `Cannot start ${OWNER} as 'topics' must be a non-empty array of names (letters, digits, '-') or { name, schema?: "EventGrid" | "CloudEvent", key? }: received ${
        describe(value)
      }`,
    );
  }
  const topics = (value as (string | LocalEventGridTopic)[]).map((spec) =>
    typeof spec === "string" ? { name: spec } : spec
  );
  const names = new Set(topics.map((t) => t.name));
  if (names.size !== topics.length) {
    throw new TypeError(
      `Cannot start ${OWNER} as 'topics' names a topic twice`,
    );
  }
  return topics;
}

/** The service's time format in a SAS token: `M/d/yyyy h:mm:ss AM`, UTC. */
function parseServiceTime(text: string): number {
  const match =
    /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2}) (AM|PM)$/
      .exec(text);
  if (!match) return NaN;
  const [, month, day, year, hour, minute, second, half] = match;
  const h = Number(hour) % 12 + (half === "PM" ? 12 : 0);
  return Date.UTC(
    Number(year),
    Number(month) - 1,
    Number(day),
    h,
    Number(minute),
    Number(second),
  );
}

/** Checks a SAS token as the service does: resource, expiry, signature. */
function sasValid(token: string, topic: TopicState): boolean {
  const fields = new Map<string, string>();
  for (const part of token.split("&")) {
    const at = part.indexOf("=");
    if (at <= 0) return false;
    try {
      fields.set(part.slice(0, at), decodeURIComponent(part.slice(at + 1)));
    } catch {
      return false;
    }
  }
  const resource = fields.get("r");
  const expiry = fields.get("e");
  const signature = fields.get("s");
  if (!resource || !expiry || !signature) return false;
  if (!resource.toLowerCase().startsWith(topic.endpoint.toLowerCase())) {
    return false;
  }
  if (!(parseServiceTime(expiry) > Date.now())) return false;
  const expected = createHmac("sha256", Buffer.from(topic.key, "base64"))
    .update(`r=${encodeURIComponent(resource)}&e=${encodeURIComponent(expiry)}`)
    .digest();
  const given = Buffer.from(signature, "base64");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function secretEqual(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const EVENT_GRID_STRINGS = ["id", "subject", "eventType", "dataVersion"];
const CLOUD_EVENT_STRINGS = ["id", "source", "type"];

/** Checks one event as the service does; returns what is wrong, if anything. */
function eventProblem(
  schema: LocalEventGridSchema,
  event: unknown,
  at: string,
): string | undefined {
  if (typeof event !== "object" || event === null || Array.isArray(event)) {
    return `${at} is not an object`;
  }
  const fields = event as Record<string, unknown>;
  const strings = schema === "EventGrid"
    ? EVENT_GRID_STRINGS
    : CLOUD_EVENT_STRINGS;
  for (const name of strings) {
    if (typeof fields[name] !== "string") {
      return `${at}.${name} is required and must be a string`;
    }
  }
  for (const name of ["id", "eventType", "type", "source"]) {
    if (fields[name] === "") return `${at}.${name} must not be empty`;
  }
  if (schema === "EventGrid") {
    if (!("data" in fields)) return `${at}.data is required`;
    if (
      typeof fields.eventTime !== "string" ||
      Number.isNaN(Date.parse(fields.eventTime))
    ) {
      return `${at}.eventTime is required and must be an ISO 8601 time`;
    }
  } else {
    if (fields.specversion !== "1.0") {
      return `${at}.specversion must be "1.0"`;
    }
    if (
      fields.time !== undefined &&
      (typeof fields.time !== "string" || Number.isNaN(Date.parse(fields.time)))
    ) {
      return `${at}.time must be an RFC 3339 time`;
    }
  }
  return undefined;
}

/**
 * Starts Event Grid topics on 127.0.0.1 and an ephemeral port, in this
 * process, on Deno, Node.js and Bun, with nothing but `node:https`. The
 * real `@azure/eventgrid` SDK publishes to them as to the service: each
 * topic has an endpoint (`https://127.0.0.1:<port>/topics/<name>/api/events`),
 * a key, and a schema. The server checks what the service checks: the
 * credential (the `aeg-sas-key` header, an `aeg-sas-token` signed with the
 * key for this endpoint and not expired, or a bearer token, which it takes
 * on trust as it has no identity provider), the body's size (over 1,048,576
 * bytes: 413), the content type and the events of the topic's schema
 * (`application/json` Event Grid events with `id`, `subject`, `eventType`,
 * `eventTime`, `data`, `dataVersion`; `application/cloudevents-batch+json`
 * CloudEvents with `specversion` 1.0, `id`, `source`, `type`: else 400),
 * and answers 404 for any other path. It records what each topic received,
 * and has fault controls: `refuse()`/`accept()`, `delay(seconds)`,
 * `failNext(count, status)`.
 *
 * TLS: a certificate for 127.0.0.1 and localhost is made at start and
 * trusted only by the clients given {@linkcode LocalEventGrid.topicOptions}
 * or {@linkcode LocalEventGrid.clientOptions}; nothing process-wide
 * changes. (The SDK refuses `http://` endpoints for keys.)
 *
 * @param options The topics.
 * @returns The running server; `close()` it when the test ends.
 * @throws {TypeError} When an option is unknown or malformed.
 *
 * @example A plain SDK client against a local topic
 * ```ts
 * import { startLocalEventGrid } from "@azure-clients/toolbox/testing/servers";
 * import { AzureKeyCredential, EventGridPublisherClient } from "@azure/eventgrid";
 * import assert from "node:assert/strict";
 *
 * const grid = await startLocalEventGrid({ topics: ["orders"] });
 * try {
 *   const client = new EventGridPublisherClient(
 *     grid.endpoint("orders"),
 *     "EventGrid",
 *     new AzureKeyCredential(grid.key("orders")),
 *     grid.clientOptions(),
 *   );
 *   await client.send([{ eventType: "Order.Placed", subject: "orders/1", dataVersion: "1", data: { id: 1 } }]);
 *   assert.equal(grid.events("orders").length, 1);
 *   assert.equal(grid.requests("orders")[0].auth, "key");
 * } finally {
 *   await grid.close();
 * }
 * ```
 *
 * @example A wrong key, and a server that fails once
 * ```ts
 * import { startLocalEventGrid } from "@azure-clients/toolbox/testing/servers";
 * import { AuthenticationFailed, EventGridPublisher } from "@azure-clients/toolbox/event-grid";
 * import assert from "node:assert/strict";
 *
 * const grid = await startLocalEventGrid({ topics: ["orders"] });
 * const good = new EventGridPublisher({ topics: { orders: grid.topicOptions("orders") } });
 * const bad = new EventGridPublisher({
 *   topics: { orders: { ...grid.topicOptions("orders"), key: "d3Jvbmc=" } },
 * });
 * const event = { eventType: "T", subject: "s", data: {} };
 * try {
 *   await assert.rejects(bad.emitEvent("orders", event), AuthenticationFailed);
 *   grid.failNext(1, 503); // the SDK retries a 503
 *   await good.emitEvent("orders", event);
 *   assert.deepEqual(grid.requests("orders").map((r) => r.status), [401, 503, 200]);
 * } finally {
 *   await good.close();
 *   await bad.close();
 *   await grid.close();
 * }
 * ```
 */
export async function startLocalEventGrid(
  options: LocalEventGridOptions,
): Promise<LocalEventGrid> {
  if (options === undefined) {
    throw new TypeError(
      `Cannot start ${OWNER} as its options must be an object with 'topics': received undefined`,
    );
  }
  const given = checkOptions<LocalEventGridOptions>(OWNER, options, ["topics"]);
  const specs = checkTopics(given.topics);
  const { cert, key } = selfSignedCertificate();
  const topics = new Map<string, TopicState>();
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const counts = { requests: 0, accepted: 0, events: 0, tcp: 0, tls: 0 };
  const faults = { refused: false, delayMs: 0, failures: [] as number[] };
  let closed: Promise<void> | undefined;

  const wait = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, ms);
      timers.add(timer);
    });

  const answer = (
    response: ServerResponse,
    status: number,
    code?: string,
    message?: string,
  ) => {
    counts.requests++;
    if (status === 200) counts.accepted++;
    if (code === undefined) {
      response.writeHead(status, { "content-length": "0" }).end();
      return;
    }
    const body = JSON.stringify({ error: { code, message } });
    response.writeHead(status, {
      "content-type": "application/json; charset=utf-8",
      "content-length": String(Buffer.byteLength(body)),
    }).end(body);
  };

  const authOf = (
    request: IncomingMessage,
    topic: TopicState,
  ): { auth: LocalEventGridAuth; valid: boolean } => {
    const sasKey = request.headers["aeg-sas-key"];
    const sasToken = request.headers["aeg-sas-token"];
    const bearer = request.headers.authorization;
    if (typeof sasKey === "string") {
      return { auth: "key", valid: secretEqual(sasKey, topic.key) };
    }
    if (typeof sasToken === "string") {
      return { auth: "sas", valid: sasValid(sasToken, topic) };
    }
    if (typeof bearer === "string") {
      return {
        auth: "bearer",
        valid: /^Bearer \S+$/.test(bearer),
      };
    }
    return { auth: "none", valid: false };
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? "/", "https://127.0.0.1");
    const match = /^\/topics\/([^/]+)\/api\/events$/.exec(url.pathname);
    const topic = match ? topics.get(decodeURIComponent(match[1])) : undefined;
    // Read the whole body (counting it) before answering, as the service
    // does: answering mid-upload would reset the client's socket.
    const chunks: Buffer[] = [];
    let bytes = 0;
    for await (const chunk of request as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes <= MAX_REQUEST_BYTES) chunks.push(chunk);
    }
    if (faults.delayMs > 0) await wait(faults.delayMs);
    if (closed !== undefined) return;
    if (topic === undefined || request.method !== "POST") {
      answer(
        response,
        404,
        "NotFound",
        `No topic at ${url.pathname} (known: ${[...topics.keys()].join(", ")})`,
      );
      return;
    }
    const contentType = String(request.headers["content-type"] ?? "");
    const { auth, valid } = authOf(request, topic);
    const record = (status: number, events = 0) =>
      topic.requests.push({ bytes, events, status, auth, contentType });
    const failure = faults.failures.shift();
    try {
      if (failure !== undefined) {
        throw new Refusal(failure, "InjectedFailure", "failNext");
      }
      if (faults.refused || !valid) {
        throw new Refusal(
          401,
          "Unauthorized",
          auth === "none"
            ? "The request carries no aeg-sas-key, aeg-sas-token or Authorization header"
            : `The ${auth} credential was refused`,
        );
      }
      if (bytes > MAX_REQUEST_BYTES) {
        throw new Refusal(
          413,
          "RequestEntityTooLarge",
          `The request body is ${bytes} bytes; the limit is ${MAX_REQUEST_BYTES}`,
        );
      }
      if (!url.searchParams.get("api-version")) {
        throw new Refusal(400, "BadRequest", "api-version is required");
      }
      const mediaType = contentType.split(";")[0].trim().toLowerCase();
      const expected = topic.schema === "EventGrid"
        ? "application/json"
        : "application/cloudevents-batch+json";
      if (mediaType !== expected) {
        throw new Refusal(
          400,
          "BadRequest",
          `This topic takes the ${topic.schema} schema (${expected}): received ${
            mediaType || "no content type"
          }`,
        );
      }
      let events: unknown;
      try {
        events = JSON.parse(Buffer.concat(chunks).toString("utf8"));
      } catch {
        throw new Refusal(400, "BadRequest", "The body is not JSON");
      }
      if (!Array.isArray(events) || events.length === 0) {
        throw new Refusal(
          400,
          "BadRequest",
          "The body must be a non-empty JSON array of events",
        );
      }
      for (const [i, event] of events.entries()) {
        const problem = eventProblem(topic.schema, event, `events[${i}]`);
        if (problem !== undefined) {
          throw new Refusal(400, "BadRequest", problem);
        }
      }
      topic.events.push(...(events as LocalEventGridEvent[]));
      counts.events += events.length;
      record(200, events.length);
      answer(response, 200);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      record(error.status);
      answer(response, error.status, error.code, error.message);
    }
  };

  const server = https.createServer(
    { cert, key, keepAlive: true },
    (request, response) => {
      handle(request, response).catch(() => {
        if (!response.headersSent) answer(response, 500, "InternalError", "");
        else response.destroy();
      });
    },
  );
  server.on("connection", (socket: Socket) => {
    counts.tcp++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("secureConnection", () => counts.tls++);
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  for (const spec of specs) {
    topics.set(spec.name, {
      name: spec.name,
      schema: spec.schema ?? "EventGrid",
      key: spec.key ?? randomBytes(32).toString("base64"),
      endpoint: `https://127.0.0.1:${port}/topics/${spec.name}/api/events`,
      events: [],
      requests: [],
    });
  }

  const topicOf = (name: string): TopicState => {
    const topic = topics.get(name);
    if (topic === undefined) {
      throw new TypeError(
        `Cannot find local Event Grid topic ${
          describe(name)
        }: known topics are ${[...topics.keys()].join(", ")}`,
      );
    }
    return topic;
  };
  const clientOptions = (): LocalEventGridClientOptions => ({
    tlsOptions: { ca: cert },
  });
  const close = (): Promise<void> => {
    closed ??= new Promise<void>((resolve) => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
    return closed;
  };

  return {
    port,
    certificate: cert,
    endpoint: (name) => topicOf(name).endpoint,
    key: (name) => topicOf(name).key,
    topicOptions: (name) => {
      const topic = topicOf(name);
      return {
        endpoint: topic.endpoint,
        key: topic.key,
        schema: topic.schema,
        clientOptions: clientOptions(),
      };
    },
    clientOptions,
    events: (name) => [...topicOf(name).events],
    requests: (name) => topicOf(name).requests.map((r) => ({ ...r })),
    stats: () => ({
      requests: counts.requests,
      accepted: counts.accepted,
      events: counts.events,
      tcpConnections: counts.tcp,
      tlsConnections: counts.tls,
      openConnections: sockets.size,
    }),
    refuse: () => {
      faults.refused = true;
    },
    accept: () => {
      faults.refused = false;
    },
    delay: (seconds) => {
      if (typeof seconds !== "number" || !(seconds >= 0)) {
        throw new RangeError(
          `Cannot delay local Event Grid as 'seconds' must be a number of seconds, 0 or more: received ${
            describe(seconds)
          }`,
        );
      }
      faults.delayMs = seconds * 1000;
    },
    failNext: (count, status = 503) => {
      if (!Number.isInteger(count) || count < 1) {
        throw new RangeError(
          `Cannot script failures of local Event Grid as 'count' must be a positive integer: received ${
            describe(count)
          }`,
        );
      }
      if (!Number.isInteger(status) || status < 400 || status > 599) {
        throw new RangeError(
          `Cannot script failures of local Event Grid as 'status' must be an HTTP error status (400-599): received ${
            describe(status)
          }`,
        );
      }
      for (let i = 0; i < count; i++) faults.failures.push(status);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
