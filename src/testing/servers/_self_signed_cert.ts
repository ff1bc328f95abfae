/**
 * A self-signed TLS certificate made in memory (internal): an ECDSA P-256
 * key from `node:crypto` and an X.509 v3 certificate for `localhost` and
 * 127.0.0.1, DER-encoded by hand (node:crypto reads certificates but does
 * not make them). Each local server makes its own at start, so no private
 * key is shipped and nothing else trusts it: clients pin the returned
 * certificate as their only CA. Accepted by Node's OpenSSL, Bun's BoringSSL
 * and Deno's rustls.
 *
 * @module
 */

import { createSign, generateKeyPairSync, randomBytes } from "node:crypto";

/** A certificate and its private key, PEM. */
export interface SelfSignedCertificate {
  /** The certificate: give it to clients as `ca`. */
  cert: string;
  /** Its private key: give it to the server only. */
  key: string;
}

const encoder = new TextEncoder();

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A DER length: short form below 128, else the count of bytes then the bytes. */
function length(n: number): number[] {
  if (n < 0x80) return [n];
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return [0x80 | bytes.length, ...bytes];
}

/** A DER tag-length-value. */
function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const body = concat(content);
  return concat([Uint8Array.of(tag, ...length(body.length)), body]);
}

const sequence = (...content: Uint8Array[]) => tlv(0x30, ...content);

function objectId(dotted: string): Uint8Array {
  const [first, second, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) base128.unshift(0x80 | (v & 0x7f));
    bytes.push(...base128);
  }
  return tlv(0x06, Uint8Array.from(bytes));
}

/** UTCTime, `YYMMDDHHMMSSZ` (valid for dates before 2050). */
function utcTime(date: Date): Uint8Array {
  const two = (n: number) => String(n).padStart(2, "0");
  return tlv(
    0x17,
    encoder.encode(
      `${two(date.getUTCFullYear() % 100)}${two(date.getUTCMonth() + 1)}${
        two(date.getUTCDate())
      }${two(date.getUTCHours())}${two(date.getUTCMinutes())}${
        two(date.getUTCSeconds())
      }Z`,
    ),
  );
}

function extension(id: string, critical: boolean, value: Uint8Array) {
  return sequence(
    objectId(id),
    ...(critical ? [tlv(0x01, Uint8Array.of(0xff))] : []),
    tlv(0x04, value),
  );
}

function pem(label: string, der: Uint8Array): string {
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${
    lines.join("\n")
  }\n-----END ${label}-----\n`;
}

/**
 * Makes a certificate for `localhost` and `127.0.0.1`, valid from an hour
 * ago for `days` days.
 *
 * @param days How long it is valid.
 * @returns The certificate and its key, PEM.
 */
export function selfSignedCertificate(days = 30): SelfSignedCertificate {
  const { publicKey, privateKey } = generateKeyPairSync("ec", {
    namedCurve: "P-256",
  });
  const spki = new Uint8Array(
    publicKey.export({ type: "spki", format: "der" }),
  );
  const serial = new Uint8Array(randomBytes(16));
  serial[0] = (serial[0] & 0x7f) | 0x01; // positive, no leading zero byte
  const ecdsaWithSha256 = sequence(objectId("1.2.840.10045.4.3.2"));
  const name = sequence(
    tlv(
      0x31,
      sequence(objectId("2.5.4.3"), tlv(0x0c, encoder.encode("localhost"))),
    ),
  );
  const now = Date.now();
  const subjectAltName = sequence(
    tlv(0x82, encoder.encode("localhost")),
    tlv(0x87, Uint8Array.of(127, 0, 0, 1)),
  );
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Uint8Array.of(2))), // v3
    tlv(0x02, serial),
    ecdsaWithSha256,
    name,
    sequence(
      utcTime(new Date(now - 3_600_000)),
      utcTime(new Date(now + days * 86_400_000)),
    ),
    name,
    spki,
    tlv(
      0xa3,
      sequence(
        // CA:TRUE, as `openssl req -x509` makes it: the client pins it as its CA.
        extension("2.5.29.19", true, sequence(tlv(0x01, Uint8Array.of(0xff)))),
        extension("2.5.29.17", false, subjectAltName),
      ),
    ),
  );
  const signature = createSign("sha256").update(tbs).sign(privateKey);
  const certificate = sequence(
    tbs,
    ecdsaWithSha256,
    tlv(0x03, Uint8Array.of(0), new Uint8Array(signature)),
  );
  return {
    cert: pem("CERTIFICATE", certificate),
    key: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
  };
}
