/**
 * Checks where a receiver or processor takes messages from (internal; never
 * re-exported).
 *
 * @module
 */

import type {
  ServiceBusClient,
  ServiceBusReceiver,
  ServiceBusReceiverOptions,
  ServiceBusSessionReceiver,
  ServiceBusSessionReceiverOptions,
} from "@azure/service-bus";
import {
  describeValue,
  keysOf,
  rejectUnknownKeys,
} from "../managed/_checks.ts";
import type { QueueSource, SubscriptionSource } from "./receiver_options.ts";

const SOURCE_KEYS = keysOf<QueueSource & SubscriptionSource>()([
  "queueName",
  "topicName",
  "subscriptionName",
]);

/** A checked source. */
export interface ResolvedSource {
  /** The queue, or the topic. */
  entity: string;
  /** The subscription, for a topic. */
  subscriptionName: string | undefined;
  /** The entity path: `<queue>` or `<topic>/Subscriptions/<name>`. */
  entityPath: string;
}

function name(what: string, option: string, value: unknown): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new TypeError(
      `Cannot ${what} as '${option}' must be a non-empty string: received ${
        describeValue(value)
      }`,
    );
  }
  return value;
}

/**
 * Checks a {@linkcode MessageSource}: exactly one of `queueName` or
 * `topicName`, and `subscriptionName` with (and only with) a topic.
 *
 * @param what The action, for messages ("open a receiver").
 * @param source The value received.
 * @returns The source.
 * @throws {TypeError} When it is not such an object.
 */
export function resolveSource(what: string, source: unknown): ResolvedSource {
  if (typeof source !== "object" || source === null || Array.isArray(source)) {
    throw new TypeError(
      `Cannot ${what} as its source must be { queueName } or { topicName, subscriptionName }: received ${
        describeValue(source)
      }`,
    );
  }
  rejectUnknownKeys(what, source, SOURCE_KEYS);
  const given = source as Record<string, unknown>;
  const queue = given.queueName !== undefined;
  const topic = given.topicName !== undefined;
  if (queue === topic) {
    throw new TypeError(
      queue
        ? `Cannot ${what} as 'queueName' and 'topicName' are both given: give exactly one`
        : `Cannot ${what} as neither 'queueName' nor 'topicName' is given: give exactly one`,
    );
  }
  if (queue) {
    if (given.subscriptionName !== undefined) {
      throw new TypeError(
        `Cannot ${what} as 'subscriptionName' goes with 'topicName', not 'queueName'`,
      );
    }
    const entity = name(what, "queueName", given.queueName);
    return { entity, subscriptionName: undefined, entityPath: entity };
  }
  const entity = name(what, "topicName", given.topicName);
  const subscriptionName = name(
    what,
    "subscriptionName",
    given.subscriptionName,
  );
  return {
    entity,
    subscriptionName,
    entityPath: `${entity}/Subscriptions/${subscriptionName}`,
  };
}

/**
 * Makes the SDK receiver for a source.
 *
 * @param client The client.
 * @param source The source.
 * @param options The SDK's receiver options.
 * @returns The receiver (its link opens on first receive).
 */
export function createReceiverFor(
  client: ServiceBusClient,
  source: ResolvedSource,
  options: ServiceBusReceiverOptions,
): ServiceBusReceiver {
  return source.subscriptionName === undefined
    ? client.createReceiver(source.entity, options)
    : client.createReceiver(source.entity, source.subscriptionName, options);
}

/**
 * Accepts a session of a source: the named one, or the next available.
 *
 * @param client The client.
 * @param source The source.
 * @param sessionId The session, or `undefined` for the next one.
 * @param options The SDK's session receiver options.
 * @returns The session receiver, holding the session's lock.
 */
export function acceptSessionFor(
  client: ServiceBusClient,
  source: ResolvedSource,
  sessionId: string | undefined,
  options: ServiceBusSessionReceiverOptions,
): Promise<ServiceBusSessionReceiver> {
  const { entity, subscriptionName } = source;
  if (sessionId === undefined) {
    return subscriptionName === undefined
      ? client.acceptNextSession(entity, options)
      : client.acceptNextSession(entity, subscriptionName, options);
  }
  return subscriptionName === undefined
    ? client.acceptSession(entity, sessionId, options)
    : client.acceptSession(entity, subscriptionName, sessionId, options);
}
