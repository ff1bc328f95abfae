/**
 * Checks an `EventGridPublisherOptions` bag once, at construction (internal;
 * never re-exported). Messages name the option by its path
 * (`topics.orders.endpoint`) and never echo a key or token.
 *
 * @module
 */

import {
  AzureKeyCredential,
  AzureSASCredential,
  isTokenCredential,
  type KeyCredential,
  type SASCredential,
  type TokenCredential,
} from "@azure/core-auth";
import type { EventGridPublisherClientOptions } from "@azure/eventgrid";
import { describeValue } from "../managed/_checks.ts";
import { didYouMean, rejectUnknown } from "./_names.ts";
import type {
  EventGridPublisherOptions,
  EventGridSchema,
  EventGridTopicOptions,
} from "./options.ts";

const OWNER = "EventGridPublisher";
const WHAT = `create ${OWNER}`;

/** The keys of `EventGridPublisherOptions`. */
export const PUBLISHER_KEYS: readonly string[] = [
  "topics",
  "operationTimeoutSeconds",
];

/** The keys of `EventGridTopicOptions`. */
export const TOPIC_KEYS: readonly string[] = [
  "endpoint",
  "key",
  "sasToken",
  "credential",
  "schema",
  "clientOptions",
];

const CREDENTIAL_KEYS = ["key", "sasToken", "credential"] as const;
const SCHEMAS: readonly EventGridSchema[] = ["EventGrid", "CloudEvent"];

/** How a topic authenticates, for log lines (never the secret itself). */
export type AuthKind = "key" | "SAS token" | "Entra ID token";

/** One topic, checked. */
export interface ResolvedTopic {
  /** The name callers use. */
  name: string;
  /** The endpoint URL, as given. */
  endpoint: string;
  /** The endpoint's host and port, safe to log. */
  host: string;
  /** The schema the topic accepts. */
  schema: EventGridSchema;
  /** What the SDK client gets. */
  credential: KeyCredential | SASCredential | TokenCredential;
  /** What kind of credential it is. */
  auth: AuthKind;
  /** The SDK's client options, a shallow copy. */
  clientOptions: EventGridPublisherClientOptions;
}

/** The whole bag, checked. */
export interface ResolvedPublisher {
  /** The topics in the order given. */
  topics: Map<string, ResolvedTopic>;
  /** `operationTimeoutSeconds` in milliseconds (`Infinity` for none). */
  operationTimeoutMs: number;
}

function isKeyCredential(value: unknown): value is KeyCredential {
  return typeof value === "object" && value !== null &&
    typeof (value as KeyCredential).key === "string";
}

function isSasCredential(value: unknown): value is SASCredential {
  return typeof value === "object" && value !== null &&
    typeof (value as SASCredential).signature === "string";
}

function secretString(option: string, value: string): string {
  if (value.trim().length === 0) {
    throw new TypeError(
      `Cannot ${WHAT} as '${option}' must be a non-empty string: received a blank string`,
    );
  }
  return value;
}

function credentialOf(
  path: string,
  given: EventGridTopicOptions,
): { credential: ResolvedTopic["credential"]; auth: AuthKind } {
  const set = CREDENTIAL_KEYS.filter((name) => given[name] !== undefined);
  const choices = CREDENTIAL_KEYS.map((n) => `'${path}${n}'`);
  if (set.length !== 1) {
    throw new TypeError(
      set.length === 0
        ? `Cannot ${WHAT} as topic '${
          path.slice(7, -1)
        }' has no credential: pass one of ${choices.join(", ")}`
        : `Cannot ${WHAT} as only one of ${
          choices.join(", ")
        } may be given: received ${
          set.map((n) => `'${path}${n}'`).join(" and ")
        }`,
    );
  }
  const name = set[0];
  const value: unknown = given[name];
  const option = `${path}${name}`;
  if (name === "key") {
    if (typeof value === "string") {
      return {
        credential: new AzureKeyCredential(secretString(option, value)),
        auth: "key",
      };
    }
    if (isKeyCredential(value)) return { credential: value, auth: "key" };
  } else if (name === "sasToken") {
    if (typeof value === "string") {
      return {
        credential: new AzureSASCredential(secretString(option, value)),
        auth: "SAS token",
      };
    }
    if (isSasCredential(value)) {
      return { credential: value, auth: "SAS token" };
    }
  } else {
    if (isTokenCredential(value)) {
      return { credential: value, auth: "Entra ID token" };
    }
    if (isKeyCredential(value)) return { credential: value, auth: "key" };
    if (isSasCredential(value)) {
      return { credential: value, auth: "SAS token" };
    }
  }
  const expected = name === "key"
    ? "a string or an AzureKeyCredential"
    : name === "sasToken"
    ? "a string or an AzureSASCredential"
    : "a TokenCredential (an object with a getToken method), an AzureKeyCredential or an AzureSASCredential";
  throw new TypeError(
    `Cannot ${WHAT} as '${option}' must be ${expected}: received ${
      describeValue(value)
    }`,
  );
}

function endpointOf(option: string, value: unknown): URL {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(
      `Cannot ${WHAT} as '${option}' must be the topic's https:// URL: received ${
        describeValue(value)
      }`,
    );
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new TypeError(
      `Cannot ${WHAT} as '${option}' must be the topic's https:// URL: received a string of ${value.length} characters that is not a URL`,
    );
  }
  if (url.protocol !== "https:") {
    throw new TypeError(
      `Cannot ${WHAT} as '${option}' must be an https:// URL: received a URL with protocol '${url.protocol}' (Event Grid sends the key, SAS token or bearer token in a request header, which must not travel unencrypted)`,
    );
  }
  if (url.username !== "" || url.password !== "") {
    throw new TypeError(
      `Cannot ${WHAT} as '${option}' must not carry a user name or password`,
    );
  }
  return url;
}

function schemaOf(option: string, value: unknown): EventGridSchema {
  if (value === undefined) return "EventGrid";
  if (SCHEMAS.includes(value as EventGridSchema)) {
    return value as EventGridSchema;
  }
  const hint = typeof value === "string"
    ? (value === "Custom"
      ? " (custom schemas are not supported)"
      : didYouMean(value, SCHEMAS))
    : "";
  throw new TypeError(
    `Cannot ${WHAT} as '${option}' must be "EventGrid" or "CloudEvent": received ${
      typeof value === "string" ? JSON.stringify(value) : describeValue(value)
    }${hint}`,
  );
}

function timeoutOf(value: unknown): number {
  if (value === undefined) return 30_000;
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot ${WHAT} as 'operationTimeoutSeconds' must be a number: received ${
        describeValue(value)
      }`,
    );
  }
  if (!(value > 0)) {
    throw new RangeError(
      `Cannot ${WHAT} as 'operationTimeoutSeconds' must be a positive number of seconds (or Infinity): received ${value}`,
    );
  }
  return value * 1000;
}

function topicOf(name: string, given: unknown): ResolvedTopic {
  const path = `topics.${name}.`;
  rejectUnknown(WHAT, path, given, TOPIC_KEYS);
  if (given === undefined) {
    throw new TypeError(
      `Cannot ${WHAT} as 'topics.${name}' must be an object: received undefined`,
    );
  }
  const options = given as EventGridTopicOptions;
  const url = endpointOf(`${path}endpoint`, options.endpoint);
  const schema = schemaOf(`${path}schema`, options.schema);
  const { credential, auth } = credentialOf(path, options);
  const clientOptions = options.clientOptions;
  if (
    clientOptions !== undefined &&
    (typeof clientOptions !== "object" || clientOptions === null ||
      Array.isArray(clientOptions))
  ) {
    throw new TypeError(
      `Cannot ${WHAT} as '${path}clientOptions' must be an object: received ${
        describeValue(clientOptions)
      }`,
    );
  }
  return {
    name,
    endpoint: options.endpoint,
    host: url.host,
    schema,
    credential,
    auth,
    clientOptions: { ...clientOptions },
  };
}

/**
 * Checks the whole options bag.
 *
 * @param options What the caller passed.
 * @returns The checked topics and timeout.
 * @throws {TypeError} For an unknown key, a missing or malformed option, a
 * non-https endpoint, no or two credentials.
 * @throws {RangeError} For an `operationTimeoutSeconds` out of range.
 */
export function resolvePublisher(options: unknown): ResolvedPublisher {
  if (typeof options !== "object" || options === null) {
    throw new TypeError(
      `Cannot ${WHAT} as its options must be an object with 'topics': received ${
        describeValue(options)
      }`,
    );
  }
  rejectUnknown(WHAT, "", options, PUBLISHER_KEYS);
  const given = options as EventGridPublisherOptions;
  const topicsGiven: unknown = given.topics;
  if (
    typeof topicsGiven !== "object" || topicsGiven === null ||
    Array.isArray(topicsGiven) || Object.keys(topicsGiven).length === 0
  ) {
    throw new TypeError(
      `Cannot ${WHAT} as 'topics' must map at least one topic name to its options: received ${
        describeValue(topicsGiven)
      }${
        typeof topicsGiven === "object" && topicsGiven !== null &&
          !Array.isArray(topicsGiven)
          ? " with no topic"
          : ""
      }`,
    );
  }
  const topics = new Map<string, ResolvedTopic>();
  for (const [name, topic] of Object.entries(topicsGiven)) {
    if (name.trim().length === 0) {
      throw new TypeError(
        `Cannot ${WHAT} as a topic name must be a non-empty string: received ${
          JSON.stringify(name)
        }`,
      );
    }
    topics.set(name, topicOf(name, topic));
  }
  return {
    topics,
    operationTimeoutMs: timeoutOf(given.operationTimeoutSeconds),
  };
}
