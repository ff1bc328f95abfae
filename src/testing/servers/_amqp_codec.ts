/**
 * AMQP 1.0 message codec helpers for the test broker (`amqp_broker.ts`).
 *
 * A broker must not re-encode the bare message (properties, application
 * properties, body, footer: AMQP 1.0 §3.2 says it is immutable), but it does
 * rewrite the header and the message annotations on every delivery (delivery
 * count, sequence number, lock expiry). So a stored message keeps:
 *
 * ```
 *   raw transfer bytes ──split──► header fields (decoded)
 *                                 message-annotation items (typed, untouched)
 *                                 properties section (raw bytes)
 *                                 rest of the bare message (raw bytes)
 * ```
 *
 * and `encodeDelivery` writes a fresh header and annotation map in front of
 * the untouched bytes.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import rhea from "rhea";

/** A value in rhea's typed AMQP representation (`rhea.types` wrappers). */
export interface Typed {
  type?: unknown;
  value: unknown;
  descriptor?: { value: unknown };
}

interface Reader {
  position: number;
  read(): Typed;
  remaining(): number;
}

interface Writer {
  write(value: Typed): void;
  toBuffer(): Buffer;
}

/** The subset of `rhea.types` the broker uses, typed. */
export interface RheaTypes {
  Reader: new (buffer: Buffer) => Reader;
  Writer: new () => Writer;
  Map32(items: Typed[]): Typed;
  wrap(value: unknown): Typed;
  wrap_symbol(value: string): Typed;
  wrap_string(value: string): Typed;
  wrap_long(value: number | Buffer): Typed;
  wrap_ulong(value: number): Typed;
  wrap_timestamp(ms: number): Typed;
  wrap_uuid(value: Buffer): Typed;
  wrap_array(items: unknown[], code: number): Typed;
  wrap_map(
    map: Record<string, unknown>,
    keyWrapper?: (key: string) => Typed,
  ): Typed;
  described_nc(descriptor: Typed, value: Typed): Typed;
  unwrap(value: unknown, leaveDescribed?: boolean): unknown;
}

/** The subset of `rhea.message` the broker uses, typed. */
export interface RheaMessageCodec {
  encode(message: Record<string, unknown>): Buffer;
  decode(buffer: Buffer): DecodedMessage;
  header(fields: Record<string, unknown>): { described(): Typed };
  properties(fields: Record<string, unknown>): { described(): Typed };
  accepted(): { described(): Typed };
  rejected(fields: Record<string, unknown>): { described(): Typed };
}

/** A message as `rhea.message.decode` returns it (header and properties flattened). */
export interface DecodedMessage {
  [field: string]: unknown;
  message_id?: unknown;
  correlation_id?: unknown;
  content_type?: string;
  subject?: string;
  to?: string;
  reply_to?: string;
  group_id?: string;
  ttl?: number;
  delivery_count?: number;
  application_properties?: Record<string, unknown>;
  message_annotations?: Record<string, unknown>;
  body?: unknown;
}

/** rhea's type helpers. */
export const types: RheaTypes = rhea.types as unknown as RheaTypes;
/** rhea's message codec. */
export const messageCodec: RheaMessageCodec = rhea
  .message as unknown as RheaMessageCodec;

/** The message format of a batch: an envelope whose data sections are encoded messages. */
export const BATCH_FORMAT = 0x80013700;

const SECTION_CODES: Record<string, number> = {
  "amqp:header:list": 0x70,
  "amqp:delivery-annotations:map": 0x71,
  "amqp:message-annotations:map": 0x72,
  "amqp:properties:list": 0x73,
  "amqp:application-properties:map": 0x74,
  "amqp:data:binary": 0x75,
  "amqp:amqp-sequence:list": 0x76,
  "amqp:value:*": 0x77,
  "amqp:footer:map": 0x78,
};

/** One message split into what a broker rewrites and what it must keep. */
export interface SplitMessage {
  /** The whole message, decoded, for inspection. */
  decoded: DecodedMessage;
  /** Header fields as sent (durable, priority, ttl, first_acquirer). */
  header: Record<string, unknown>;
  /** Message-annotation map items as sent: key, value, key, value… (typed). */
  annotations: Typed[];
  /** The raw properties section, if any. */
  properties?: Buffer;
  /** The raw application-properties section, if any. */
  applicationProperties?: Buffer;
  /** The raw body and footer sections. */
  rest: Buffer;
}

function sectionCode(section: Typed): number {
  const value = section.descriptor?.value;
  if (typeof value === "number") return value;
  if (typeof value === "string" && value in SECTION_CODES) {
    return SECTION_CODES[value];
  }
  throw new TypeError(
    `Cannot split an AMQP message: unknown section descriptor ${String(value)}`,
  );
}

/**
 * Splits one encoded AMQP message into its sections.
 *
 * @param raw The encoded message.
 * @returns The parts a broker rewrites and the raw bytes it keeps.
 */
export function splitMessage(raw: Buffer): SplitMessage {
  const reader = new types.Reader(raw);
  let annotations: Typed[] = [];
  let properties: Buffer | undefined;
  let applicationProperties: Buffer | undefined;
  const rest: Buffer[] = [];
  while (reader.remaining() > 0) {
    const start = reader.position;
    const section = reader.read();
    const code = sectionCode(section);
    if (code === 0x72) annotations = [...(section.value as Typed[])];
    else if (code === 0x73) properties = raw.subarray(start, reader.position);
    else if (code === 0x74) {
      applicationProperties = raw.subarray(start, reader.position);
    } else if (code > 0x74) rest.push(raw.subarray(start, reader.position));
    // 0x70 (header) is rebuilt from the decoded fields; 0x71 (delivery
    // annotations) are hop-by-hop and are not forwarded.
  }
  const decoded = messageCodec.decode(raw);
  const header: Record<string, unknown> = {};
  for (const field of ["durable", "priority", "ttl", "first_acquirer"]) {
    if (decoded[field] !== undefined) header[field] = decoded[field];
  }
  return {
    decoded,
    header,
    annotations,
    properties: properties && Buffer.from(properties),
    applicationProperties: applicationProperties &&
      Buffer.from(applicationProperties),
    rest: Buffer.concat(rest),
  };
}

/**
 * Reads the inner messages of a batch transfer (format `0x80013700`).
 *
 * @param raw The envelope as received.
 * @returns The envelope's message annotations and the encoded inner messages.
 */
export function decodeEnvelope(
  raw: Buffer,
): { annotations: Record<string, unknown>; messages: Buffer[] } {
  const envelope = messageCodec.decode(raw);
  const body = envelope.body as
    | { typecode?: number; content: Buffer | Buffer[]; multiple?: boolean }
    | undefined;
  let messages: Buffer[] = [];
  if (body && body.typecode === 0x75) {
    messages = body.multiple
      ? (body.content as Buffer[])
      : [body.content as Buffer];
  }
  return { annotations: envelope.message_annotations ?? {}, messages };
}

function annotationKey(item: Typed): string {
  return String(item.value);
}

/**
 * Encodes a stored message for one delivery: a fresh header and annotation map
 * in front of the untouched bare message.
 *
 * @param message The stored parts.
 * @param deliveryCount The header's delivery count.
 * @param annotations Annotations to add or replace, already typed.
 * @param messageId A message id to set when the sender set none.
 * @param extraProperties Application properties the broker adds (for
 * example `DeadLetterReason`); they replace the sender's of the same name.
 * @returns The encoded message.
 */
export function encodeDelivery(
  message: SplitMessage,
  deliveryCount: number,
  annotations: Record<string, Typed>,
  messageId?: string,
  extraProperties?: Record<string, string>,
): Buffer {
  const writer = new types.Writer();
  writer.write(
    messageCodec.header({ ...message.header, delivery_count: deliveryCount })
      .described(),
  );
  const items: Typed[] = [];
  for (let i = 0; i + 1 < message.annotations.length; i += 2) {
    if (!(annotationKey(message.annotations[i]) in annotations)) {
      items.push(message.annotations[i], message.annotations[i + 1]);
    }
  }
  for (const [key, value] of Object.entries(annotations)) {
    items.push(types.wrap_symbol(key), value);
  }
  writer.write(types.described_nc(types.wrap_ulong(0x72), types.Map32(items)));
  const head = writer.toBuffer();
  let properties = message.properties;
  if (message.decoded.message_id === undefined && messageId !== undefined) {
    // The service assigns a message id when the sender set none, and the SDKs
    // rely on it (lock renewal is keyed by it).
    const fields: Record<string, unknown> = {};
    for (
      const name of [
        "user_id",
        "to",
        "subject",
        "reply_to",
        "correlation_id",
        "content_type",
        "content_encoding",
        "absolute_expiry_time",
        "creation_time",
        "group_id",
        "group_sequence",
        "reply_to_group_id",
      ]
    ) {
      if (message.decoded[name] !== undefined) {
        fields[name] = message.decoded[name];
      }
    }
    const rewriter = new types.Writer();
    rewriter.write(
      messageCodec.properties({ ...fields, message_id: messageId }).described(),
    );
    properties = rewriter.toBuffer();
  }
  const sections = [head];
  if (properties) sections.push(properties);
  const applicationProperties = extraProperties === undefined
    ? message.applicationProperties
    : withProperties(message.applicationProperties, extraProperties);
  if (applicationProperties) sections.push(applicationProperties);
  sections.push(message.rest);
  return Buffer.concat(sections);
}

/**
 * Re-encodes an application-properties section with `extra` set (the
 * broker's own properties, such as a dead-letter reason); the sender's other
 * entries keep their AMQP types.
 */
function withProperties(
  section: Buffer | undefined,
  extra: Record<string, string>,
): Buffer {
  const items: Typed[] = [];
  if (section) {
    const map = new types.Reader(section).read().value as Typed[];
    for (let i = 0; i + 1 < map.length; i += 2) {
      if (!(String(map[i].value) in extra)) items.push(map[i], map[i + 1]);
    }
  }
  for (const [key, value] of Object.entries(extra)) {
    items.push(types.wrap_string(key), types.wrap_string(value));
  }
  const writer = new types.Writer();
  writer.write(types.described_nc(types.wrap_ulong(0x74), types.Map32(items)));
  return writer.toBuffer();
}

/**
 * Decodes a message body the way a test wants to read it: a data section
 * holding JSON (what the Azure SDKs send by default) becomes the parsed value,
 * other data sections stay bytes, an AMQP value section is its value.
 *
 * @param decoded The decoded message.
 * @returns The body.
 */
export function decodeBody(decoded: DecodedMessage): unknown {
  const body = decoded.body as
    | { typecode?: number; content?: unknown; multiple?: boolean }
    | undefined;
  if (
    body && typeof body === "object" && body.typecode === 0x75 && !body.multiple
  ) {
    const bytes = Buffer.from(body.content as Uint8Array);
    try {
      return JSON.parse(bytes.toString("utf8"));
    } catch {
      return bytes;
    }
  }
  if (
    body && typeof body === "object" && body.typecode !== undefined &&
    "content" in body
  ) {
    return body.content;
  }
  return body;
}

/**
 * Encodes a number as the 8-byte big-endian form AMQP longs take inside arrays.
 *
 * @param value A safe integer.
 * @returns 8 bytes.
 */
export function longBytes(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigInt64BE(BigInt(value));
  return bytes;
}

/**
 * Reads an AMQP long that rhea may hand over as a number, a Buffer or a Long-like object.
 *
 * @param value The unwrapped value.
 * @returns The number.
 */
export function readLong(value: unknown): number {
  if (typeof value === "number") return value;
  if (typeof value === "bigint") return Number(value);
  if (value instanceof Uint8Array && value.length === 8) {
    return Number(Buffer.from(value).readBigInt64BE());
  }
  if (value && typeof value === "object" && "toNumber" in value) {
    return (value as { toNumber(): number }).toNumber();
  }
  return Number(value);
}

/** The attach frames of a rhea link (rhea keeps them on fields its typings omit). */
export interface LinkAttach {
  /** What the broker sends in its attach. */
  local: Record<string, unknown>;
  /** What the client sent in its attach. */
  remote: Record<string, unknown>;
}

/**
 * Reads the local and remote attach frames of a rhea link.
 *
 * @param link A rhea sender or receiver.
 * @returns Its attach frames (the remote one empty before it arrived).
 */
export function attachOf(link: object): LinkAttach {
  const state = link as {
    local: { attach: Record<string, unknown> };
    remote: { attach?: Record<string, unknown> };
  };
  return { local: state.local.attach, remote: state.remote.attach ?? {} };
}

/**
 * The credit a broker-side sender can still use now. rhea takes credit only
 * when its session writes a delivery out, so a loop that checks
 * `sendable()` after each `send()` would queue more deliveries than the
 * receiver granted (and lock messages it never gets until new credit
 * comes); deliveries queued on the link and not yet written are subtracted
 * here.
 *
 * @param link A rhea sender.
 * @returns The credit left (0 when the session cannot send).
 */
export function creditOf(link: object): number {
  const sender = link as {
    credit?: number;
    sendable(): boolean;
    session?: {
      outgoing?: {
        next_pending_delivery: number;
        next_delivery_id: number;
        deliveries: { by_id(id: number): { link?: unknown } | undefined };
      };
    };
  };
  if (!sender.sendable()) return 0;
  let pending = 0;
  const outgoing = sender.session?.outgoing;
  if (outgoing) {
    for (
      let id = outgoing.next_pending_delivery;
      id < outgoing.next_delivery_id;
      id++
    ) {
      if (outgoing.deliveries.by_id(id)?.link === link) pending++;
    }
  }
  return (sender.credit ?? 0) - pending;
}
