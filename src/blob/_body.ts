/**
 * Blob bodies both ways (internal; never re-exported): what `uploadBlob`
 * was given, as bytes or a Node.js stream for the SDK; and the SDK's Node.js
 * download stream as a web `ReadableStream` that reads only on demand.
 *
 * @module
 */

import { Readable } from "node:stream";
import { Buffer } from "node:buffer";
import { describeValue } from "../managed/_checks.ts";

/** An upload body the SDK takes: bytes in one request, or a stream in blocks. */
export type UploadBody =
  | { kind: "bytes"; bytes: Uint8Array; contentType: string | undefined }
  | { kind: "stream"; stream: Readable; contentType: string | undefined };

function isNodeReadable(value: object): value is Readable {
  const stream = value as Record<string, unknown>;
  return typeof stream.pipe === "function" &&
    typeof stream.read === "function" && typeof stream.on === "function";
}

/**
 * The chunks of a stream as `Buffer`s (the SDK's block scheduler calls
 * `Buffer` methods on them: a plain `Uint8Array` chunk throws inside its
 * event handler, where nothing catches it), read one at a time as the SDK
 * asks for more.
 */
async function* buffers(
  source: AsyncIterable<unknown>,
): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    if (typeof chunk === "string") yield Buffer.from(chunk, "utf8");
    else if (chunk instanceof Uint8Array) {
      yield Buffer.isBuffer(chunk)
        ? chunk
        : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    } else {
      throw new TypeError(
        `Cannot upload a stream chunk that is ${
          describeValue(chunk)
        }: chunks must be Uint8Arrays or strings`,
      );
    }
  }
}

function streamed(
  source: AsyncIterable<unknown>,
  contentType: string | undefined,
): UploadBody {
  return {
    kind: "stream",
    stream: Readable.from(buffers(source), { objectMode: false }),
    contentType,
  };
}

/**
 * Sorts an upload body: strings (UTF-8) and bytes go in one request; a
 * `Blob`, a web stream or a Node.js stream is streamed.
 *
 * @param what The action, for the message.
 * @param data What the caller gave.
 * @returns The body, with the content type it implies.
 * @throws {TypeError} For anything else.
 */
export function uploadBody(what: string, data: unknown): UploadBody {
  if (typeof data === "string") {
    return {
      kind: "bytes",
      bytes: new TextEncoder().encode(data),
      contentType: "text/plain; charset=utf-8",
    };
  }
  if (data instanceof Uint8Array) {
    return { kind: "bytes", bytes: data, contentType: undefined };
  }
  if (data instanceof ArrayBuffer) {
    return {
      kind: "bytes",
      bytes: new Uint8Array(data),
      contentType: undefined,
    };
  }
  if (ArrayBuffer.isView(data)) {
    return {
      kind: "bytes",
      bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      contentType: undefined,
    };
  }
  if (typeof Blob !== "undefined" && data instanceof Blob) {
    return streamed(
      webIterable(data.stream()),
      data.type === "" ? undefined : data.type,
    );
  }
  if (typeof data === "object" && data !== null) {
    if (typeof (data as ReadableStream).getReader === "function") {
      return streamed(webIterable(data as ReadableStream<unknown>), undefined);
    }
    if (isNodeReadable(data)) {
      return streamed(data as AsyncIterable<unknown>, undefined);
    }
  }
  throw new TypeError(
    `Cannot ${what} as 'data' must be a string, a Uint8Array, an ArrayBuffer, a Blob, a ReadableStream or a Node.js Readable: received ${
      describeValue(data)
    }`,
  );
}

/** A web stream's chunks, through its reader (not every runtime's web stream is async iterable). */
async function* webIterable(
  stream: ReadableStream<unknown>,
): AsyncGenerator<unknown> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** How a download stream ended, for whoever holds its lease. */
export type StreamEnd = (error?: unknown) => void;

/**
 * Wraps the SDK's Node.js body in a web `ReadableStream` that pulls one
 * chunk per read: nothing is read ahead of the consumer beyond the Node.js
 * stream's own buffer (16 KiB), so a slow reader holds the socket back
 * instead of filling memory.
 *
 * @param body The SDK's `readableStreamBody`.
 * @param end Called once: when the body ended, failed or was cancelled.
 * @param failure Maps a read failure to what the reader gets.
 * @returns The web stream.
 */
export function webStreamOf(
  body: NodeJS.ReadableStream,
  end: StreamEnd,
  failure: (error: unknown) => unknown,
): ReadableStream<Uint8Array> {
  // The iterator listens for errors only while a read is pending: a body
  // that fails between reads (a reset socket) must not be an unhandled
  // 'error' event; the next read rejects with it.
  (body as Readable).on?.("error", () => {});
  const chunks = body[Symbol.asyncIterator]() as AsyncIterator<
    Uint8Array | string
  >;
  let ended = false;
  const finish = (error?: unknown) => {
    if (ended) return;
    ended = true;
    end(error);
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await chunks.next();
        if (done) {
          controller.close();
          finish();
        } else {
          controller.enqueue(
            typeof value === "string" ? new TextEncoder().encode(value) : value,
          );
        }
      } catch (error) {
        controller.error(failure(error));
        finish(error);
      }
    },
    async cancel() {
      finish();
      // Stops the download: the socket is closed, not drained.
      (body as Readable).destroy?.();
      await chunks.return?.().catch(() => {});
    },
  }, { highWaterMark: 0 });
}

/**
 * Reads the SDK's Node.js body to its end into one array: straight into an
 * array of `length` bytes when the length is known (one copy of the blob in
 * memory, not chunks plus a copy), else gathering chunks.
 *
 * @param body The SDK's `readableStreamBody`.
 * @param length The `Content-Length`, when known.
 * @returns The bytes.
 */
export async function readAll(
  body: NodeJS.ReadableStream,
  length: number | undefined,
): Promise<Uint8Array> {
  let out = new Uint8Array(length ?? 0);
  let at = 0;
  const chunks: Uint8Array[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
    const bytes = typeof chunk === "string"
      ? new TextEncoder().encode(chunk)
      : chunk;
    if (length !== undefined && at + bytes.byteLength <= length) {
      out.set(bytes, at);
    } else {
      if (chunks.length === 0 && at > 0) chunks.push(out.subarray(0, at));
      chunks.push(bytes);
    }
    at += bytes.byteLength;
  }
  if (chunks.length === 0) {
    return at === out.byteLength ? out : out.subarray(0, at);
  }
  // More bytes than announced (or no length): gather them.
  out = new Uint8Array(at);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
