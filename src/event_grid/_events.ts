/**
 * Events on their way to the SDK (internal; never re-exported): checked
 * before any I/O, given the `id` and time the SDK would give them, measured
 * as the SDK serializes them, and split into requests under the service's
 * limit.
 *
 * The measure follows `@azure/eventgrid` 5.x's serializer: an event becomes
 * its model (Event Grid: `id`, `topic`, `subject`, `data`, `eventType`,
 * `eventTime`, `dataVersion`; CloudEvents: `id`, `source`, `data` or
 * `data_base64`, `type`, `time`, `specversion`, `dataschema`,
 * `datacontenttype`, `subject` and the extension attributes), times become
 * ISO strings, a top-level `data` object is copied key by key (the SDK's
 * "Dictionary"), and the request body is the JSON array of the models. Key
 * order differs from the SDK's but not the length; tests compare the
 * measure with the bytes the local server received.
 *
 * @module
 */

import type {
  SendCloudEventInput,
  SendEventGridEventInput,
} from "@azure/eventgrid";
import { describeValue } from "../managed/_checks.ts";
import { didYouMean } from "./_names.ts";
import type { EventGridSchema } from "./options.ts";

/** The service's limit on one request body: 1 MB. */
export const MAX_REQUEST_BYTES = 1_048_576;

/** The default `dataVersion` of `emitEvent` (the Python toolbox's). */
export const DEFAULT_DATA_VERSION = "v1";

/** Property names CloudEvents 1.0 defines: no extension attribute may take one. */
const CLOUD_EVENT_RESERVED = [
  "specversion",
  "id",
  "source",
  "type",
  "datacontenttype",
  "dataschema",
  "subject",
  "time",
  "data",
];

/** The keys `emitEvent` takes for an Event Grid topic. */
const EMIT_EVENT_GRID_KEYS = [
  "eventType",
  "subject",
  "data",
  "dataVersion",
  "id",
  "eventTime",
  "topic",
];

/** The keys `emitEvent` takes for a CloudEvent topic. */
const EMIT_CLOUD_EVENT_KEYS = [
  "type",
  "source",
  "data",
  "id",
  "time",
  "subject",
  "datacontenttype",
  "dataschema",
  "extensionAttributes",
];

/** An event ready for the SDK, and the bytes it adds to a request body. */
export interface PreparedEvent {
  /** What the SDK's `send` gets: a copy with `id` and the time filled. */
  event: SendEventGridEventInput<unknown> | SendCloudEventInput<unknown>;
  /** Its serialized JSON, in UTF-8 bytes. */
  bytes: number;
}

/**
 * UTF-8 length of a string without encoding it (JSON.stringify never leaves
 * a lone surrogate, so a surrogate is half of a 4-byte pair).
 */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdfff) bytes += 1; // 2 units, 4 bytes
    else bytes += 2;
  }
  return bytes;
}

/** The SDK's "Dictionary" serialization of a top-level `data` object. */
function dictionary(data: object): Record<string, unknown> {
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(data)) {
    copy[key] = (data as Record<string, unknown>)[key];
  }
  return copy;
}

function base64(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text);
}

/** Why a caller's events cannot be sent, before any I/O. */
class EventCheck {
  constructor(readonly where: string) {}

  fail(message: string): never {
    throw new TypeError(`${this.where} as ${message}`);
  }

  text(event: Record<string, unknown>, at: string, key: string): string {
    const value = event[key];
    if (typeof value !== "string" || value.length === 0) {
      this.fail(
        `${at}.${key} must be a non-empty string: received ${
          describeValue(value)
        }`,
      );
    }
    return value;
  }

  optionalText(
    event: Record<string, unknown>,
    at: string,
    key: string,
    nonEmpty = false,
  ): void {
    const value = event[key];
    if (value === undefined) return;
    if (typeof value !== "string" || (nonEmpty && value.length === 0)) {
      this.fail(
        `${at}.${key} must be ${
          nonEmpty ? "a non-empty string" : "a string"
        } when given: received ${describeValue(value)}`,
      );
    }
  }

  time(event: Record<string, unknown>, at: string, key: string): Date {
    const value = event[key];
    if (value === undefined) return new Date();
    const date = value instanceof Date
      ? value
      : typeof value === "string"
      ? new Date(value)
      : undefined;
    if (date === undefined || Number.isNaN(date.getTime())) {
      this.fail(
        `${at}.${key} must be a valid Date when given: received ${
          value instanceof Date ? "an invalid Date" : describeValue(value)
        }`,
      );
    }
    return value as Date;
  }

  object(value: unknown): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      this.fail(`an event must be an object: received ${describeValue(value)}`);
    }
    return value as Record<string, unknown>;
  }

  strictKeys(event: object, at: string, known: readonly string[]): void {
    for (const key of Object.keys(event)) {
      if (!known.includes(key)) {
        this.fail(
          `'${key}' is not a field of ${at}${
            didYouMean(key, known)
          }: known fields are ${known.join(", ")}`,
        );
      }
    }
  }
}

/** Any ISO string of a year 0-9999 (`YYYY-MM-DDTHH:mm:ss.sssZ`): its length is all a measure needs. */
const ISO_LENGTH_24 = "0000-00-00T00:00:00.000Z";

/**
 * A string as long as the ISO form the SDK sends for a time; formatting the
 * real one for every event would cost more than the rest of the measure.
 */
function isoOf(value: unknown): string {
  const date = value instanceof Date ? value : new Date(value as string);
  const year = date.getUTCFullYear();
  return year >= 0 && year <= 9999 ? ISO_LENGTH_24 : date.toISOString();
}

function eventGridEvent(
  check: EventCheck,
  given: unknown,
  at: string,
  emit: boolean,
): PreparedEvent {
  const event = check.object(given);
  if (emit) check.strictKeys(event, at, EMIT_EVENT_GRID_KEYS);
  check.text(event, at, "eventType");
  if (typeof event.subject !== "string") {
    check.fail(
      `${at}.subject must be a string: received ${
        describeValue(event.subject)
      }`,
    );
  }
  if (!(emit && event.dataVersion === undefined)) {
    check.text(event, at, "dataVersion");
  }
  check.optionalText(event, at, "id", true);
  check.optionalText(event, at, "topic");
  const data = event.data;
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    check.fail(
      `${at}.data must be an object (the SDK sends it as a JSON object, key by key): received ${
        describeValue(data)
      }`,
    );
  }
  const filled = {
    ...event,
    id: event.id ?? crypto.randomUUID(),
    eventTime: check.time(event, at, "eventTime"),
    dataVersion: event.dataVersion ?? DEFAULT_DATA_VERSION,
  } as SendEventGridEventInput<unknown> & Record<string, unknown>;
  const model = {
    id: filled.id,
    topic: filled.topic,
    subject: filled.subject,
    data: dictionary(data),
    eventType: filled.eventType,
    eventTime: isoOf(filled.eventTime),
    dataVersion: filled.dataVersion,
  };
  return { event: filled, bytes: utf8Length(JSON.stringify(model)) };
}

function cloudEvent(
  check: EventCheck,
  given: unknown,
  at: string,
  emit: boolean,
): PreparedEvent {
  const event = check.object(given);
  if (emit) check.strictKeys(event, at, EMIT_CLOUD_EVENT_KEYS);
  check.text(event, at, "type");
  check.text(event, at, "source");
  check.optionalText(event, at, "id", true);
  for (const key of ["subject", "dataschema", "datacontenttype"]) {
    check.optionalText(event, at, key);
  }
  const extensions = event.extensionAttributes;
  if (extensions !== undefined) {
    if (
      typeof extensions !== "object" || extensions === null ||
      Array.isArray(extensions)
    ) {
      check.fail(
        `${at}.extensionAttributes must be an object: received ${
          describeValue(extensions)
        }`,
      );
    }
    for (const name of Object.keys(extensions)) {
      if (!/^[a-z0-9]+$/.test(name) || CLOUD_EVENT_RESERVED.includes(name)) {
        check.fail(
          `${at}.extensionAttributes has the name ${
            JSON.stringify(name)
          }: CloudEvents extension names are lower-case letters and digits, and not one of ${
            CLOUD_EVENT_RESERVED.join(", ")
          }`,
        );
      }
    }
  }
  const data = event.data;
  const binary = data instanceof Uint8Array;
  if (binary && event.datacontenttype === undefined) {
    check.fail(
      `${at}.data is binary: give its 'datacontenttype' (for example "application/octet-stream")`,
    );
  }
  if (
    !binary && data !== undefined && data !== null &&
    (typeof data !== "object" || Array.isArray(data))
  ) {
    check.fail(
      `${at}.data must be an object, a Uint8Array, null or undefined (the SDK sends an object key by key): received ${
        describeValue(data)
      }`,
    );
  }
  const filled = {
    ...event,
    id: event.id ?? crypto.randomUUID(),
    time: check.time(event, at, "time"),
  } as SendCloudEventInput<unknown> & Record<string, unknown>;
  const model: Record<string, unknown> = {
    id: filled.id,
    source: filled.source,
    type: filled.type,
    time: isoOf(filled.time),
    specversion: "1.0",
    dataschema: filled.dataschema,
    subject: filled.subject,
    ...(extensions as Record<string, unknown> | undefined),
  };
  if (binary) {
    model.datacontenttype = filled.datacontenttype;
    model.data_base64 = base64(data);
  } else {
    model.datacontenttype = filled.datacontenttype ?? "application/json";
    model.data = data === undefined || data === null ? data : dictionary(data);
  }
  return { event: filled, bytes: utf8Length(JSON.stringify(model)) };
}

/**
 * Checks events for a topic's schema, fills what the SDK would fill, and
 * measures each.
 *
 * @param where The start of an error message ("Cannot send 3 events to
 * Event Grid topic 'orders'").
 * @param schema The topic's schema.
 * @param events What the caller passed.
 * @param emit Whether `emitEvent` called (strict fields, default `dataVersion`).
 * @returns The events, ready.
 * @throws {TypeError} When an event lacks a field or has one of the wrong
 * type (the message names the index and the field, never a value).
 */
export function prepareEvents(
  where: string,
  schema: EventGridSchema,
  events: readonly unknown[],
  emit: boolean,
): PreparedEvent[] {
  const check = new EventCheck(where);
  const prepare = schema === "EventGrid" ? eventGridEvent : cloudEvent;
  return events.map((event, i) =>
    prepare(check, event, emit ? "the event" : `events[${i}]`, emit)
  );
}

/** The body size of a request with events of these sizes: `[a,b,c]`. */
export function requestBytes(sizes: readonly number[]): number {
  return sizes.reduce((sum, bytes) => sum + bytes, 0) + sizes.length + 1;
}

/**
 * Splits events, in order, into requests whose body stays within `limit`.
 *
 * @param where The start of an error message.
 * @param events The prepared events.
 * @param limit The largest body, in bytes.
 * @returns The events of each request, in order.
 * @throws {RangeError} When one event alone makes a body over `limit`
 * (nothing is sent then).
 */
export function splitRequests(
  where: string,
  events: readonly PreparedEvent[],
  limit: number = MAX_REQUEST_BYTES,
): PreparedEvent[][] {
  const requests: PreparedEvent[][] = [];
  let current: PreparedEvent[] = [];
  let size = 1; // "[" and, with events, "]" plus the commas between them
  for (const [i, prepared] of events.entries()) {
    if (prepared.bytes + 2 > limit) {
      throw new RangeError(
        `${where} as ${
          events.length === 1 ? "the event" : `events[${i}]`
        } is ${prepared.bytes} bytes serialized, and a request to Event Grid may carry at most ${limit} bytes (nothing was sent)`,
      );
    }
    if (current.length > 0 && size + prepared.bytes + 1 > limit) {
      requests.push(current);
      current = [];
      size = 1;
    }
    current.push(prepared);
    size += prepared.bytes + 1;
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
