/**
 * The client shapes `deno task bench:vs-sdk` compares on Service Bus and
 * Event Hubs: this package's managed clients, one long-lived SDK client (the
 * singleton, the SDK's own advice and our baseline), and a new SDK client
 * per send. Every shape sends the SDK's own message shapes, through the
 * methods of the SDK's names: `sendMessages({ body, messageId })` on
 * Service Bus and `sendBatch([{ body, properties }])` on Event Hubs.
 *
 * @module
 */

import {
  type EventHubClientOptions,
  EventHubProducerClient,
} from "@azure/event-hubs";
import {
  ServiceBusClient,
  type ServiceBusClientOptions,
} from "@azure/service-bus";
import { ManagedEventHubProducer } from "../../src/event_hubs/mod.ts";
import {
  ManagedServiceBus,
  ManagedServiceBusSender,
} from "../../src/service_bus/mod.ts";

/** The services whose clients speak AMQP. */
export type AmqpService = "servicebus" | "eventhubs";

/** What a shape is, for the report: the baseline, ours, or the slow antipattern. */
export type ShapeRole = "singleton" | "managed" | "per-op";

/** Where the clients send: a namespace and a queue or event hub. */
export interface AmqpTarget {
  /** The namespace's connection string (no `EntityPath`). */
  connectionString: string;
  /** The queue (Service Bus) or event hub (Event Hubs). */
  entity: string;
  /**
   * SDK client options for every client of the shape (the managed clients
   * get them as `clientOptions`); tests shorten the SDK's retries with them.
   * @default {undefined}
   */
  clientOptions?: Record<string, unknown>;
}

/** An open client shape: one operation, and its close. */
export interface OpenShape {
  /**
   * Sends one message or event carrying `id` (the Service Bus `messageId`,
   * or the event's `id` property).
   */
  send(id: string): Promise<void>;
  /** The call that sends, as the report names it. */
  readonly api: string;
  /** Closes what the shape opened; pending sends may never settle. */
  close(): Promise<void>;
}

/** One way of holding clients, for one service. */
export interface ClientShape<T> {
  /** A short id for flags and JSON (`managed-1`). */
  id: string;
  /** The row label (`ManagedServiceBusSender maxSize 1`). */
  label: string;
  /** What it is, for the report. */
  role: ShapeRole;
  /**
   * Opens the shape's long-lived clients and warms them (a managed pool to
   * its `maxSize`, then one send per connection; an SDK client by one send;
   * warm-up ids start with `warm-`).
   */
  open(target: T): Promise<OpenShape>;
}

/** Warm-up messages carry ids with this prefix; tallies skip them. */
export const WARM_PREFIX = "warm-";

type SdkSender = { sendMessages(message: unknown): Promise<unknown> };

/** Sends the SDK's message shape through a managed sender. */
function managedSbSend(
  sender: {
    sendMessages(message: { body: unknown; messageId: string }): Promise<void>;
  },
): (id: string) => Promise<void> {
  return (id) => sender.sendMessages({ body: { id }, messageId: id });
}

/**
 * Sends `count` warm-up messages one after another: the pool hands each to
 * the connection idle longest, so every warmed connection opens its link
 * (a link per entity is opened on a connection's first send to it).
 *
 * @param count The connections the pool warmed.
 * @param send The shape's send.
 */
export async function warmUp(
  count: number,
  send: (id: string) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < Math.max(1, count); i++) {
    await send(`${WARM_PREFIX}${crypto.randomUUID()}`);
  }
}

function sdkOptions<O>(target: AmqpTarget): O {
  return (target.clientOptions ?? {}) as O;
}

/**
 * A managed shape with `maxSize` (warmed to it), or with every default
 * (`maxSize` undefined: warmed to one connection, as a first send would).
 */
function managedId(maxSize: number | undefined): string {
  return maxSize === undefined ? "managed" : `managed-${maxSize}`;
}

function managedSb(maxSize?: number): ClientShape<AmqpTarget> {
  return {
    id: managedId(maxSize),
    label: maxSize === undefined
      ? "ManagedServiceBusSender (defaults)"
      : `ManagedServiceBusSender maxSize ${maxSize}`,
    role: "managed",
    async open(target) {
      const sender = new ManagedServiceBusSender({
        connectionString: target.connectionString,
        queueName: target.entity,
        ...(maxSize === undefined ? {} : { maxSize }),
        ...(target.clientOptions
          ? { clientOptions: target.clientOptions }
          : {}),
      });
      const send = managedSbSend(sender);
      await warmUp(await sender.pool.warm(maxSize ?? 1), send);
      return {
        send,
        api: "sendMessages({ body, messageId })",
        close: () => sender.close(),
      };
    },
  };
}

const managedBus: ClientShape<AmqpTarget> = {
  id: "bus-sender",
  label: "ManagedServiceBus.sender(queue)",
  role: "managed",
  async open(target) {
    const bus = new ManagedServiceBus({
      connectionString: target.connectionString,
      ...(target.clientOptions ? { clientOptions: target.clientOptions } : {}),
    });
    const send = managedSbSend(bus.sender(target.entity));
    await warmUp(await bus.pool.warm(1), send);
    return {
      send,
      api: "sendMessages({ body, messageId })",
      close: () => bus.close(),
    };
  },
};

const sbSingleton: ClientShape<AmqpTarget> = {
  id: "singleton",
  label: "ServiceBusClient + sender (singleton)",
  role: "singleton",
  async open(target) {
    const client = new ServiceBusClient(
      target.connectionString,
      sdkOptions<ServiceBusClientOptions>(target),
    );
    const sender = client.createSender(target.entity) as unknown as SdkSender;
    const send = async (id: string) => {
      await sender.sendMessages({ body: { id }, messageId: id });
    };
    await send(`${WARM_PREFIX}${crypto.randomUUID()}`);
    return {
      send,
      api: "sendMessages({ body, messageId })",
      close: () => client.close(),
    };
  },
};

const sbPerOp: ClientShape<AmqpTarget> = {
  id: "per-op",
  label: "new ServiceBusClient per send",
  role: "per-op",
  open(target) {
    return Promise.resolve({
      async send(id: string) {
        const client = new ServiceBusClient(
          target.connectionString,
          sdkOptions<ServiceBusClientOptions>(target),
        );
        try {
          await client.createSender(target.entity).sendMessages({
            body: { id },
            messageId: id,
          });
        } finally {
          await client.close();
        }
      },
      api: "sendMessages({ body, messageId })",
      close: () => Promise.resolve(),
    });
  },
};

function managedEh(maxSize?: number): ClientShape<AmqpTarget> {
  return {
    id: managedId(maxSize),
    label: maxSize === undefined
      ? "ManagedEventHubProducer (defaults)"
      : `ManagedEventHubProducer maxSize ${maxSize}`,
    role: "managed",
    async open(target) {
      const producer = new ManagedEventHubProducer({
        connectionString: target.connectionString,
        eventHubName: target.entity,
        ...(maxSize === undefined ? {} : { maxSize }),
        ...(target.clientOptions
          ? { clientOptions: target.clientOptions }
          : {}),
      });
      const send = (id: string) =>
        producer.sendBatch([{ body: { id }, properties: { id } }]);
      await warmUp(await producer.pool.warm(maxSize ?? 1), send);
      return {
        send,
        api: "sendBatch([{ body, properties }])",
        close: () => producer.close(),
      };
    },
  };
}

const ehSingleton: ClientShape<AmqpTarget> = {
  id: "singleton",
  label: "EventHubProducerClient (singleton)",
  role: "singleton",
  async open(target) {
    const producer = new EventHubProducerClient(
      target.connectionString,
      target.entity,
      sdkOptions<EventHubClientOptions>(target),
    );
    const send = async (id: string) => {
      await producer.sendBatch([{ body: { id }, properties: { id } }]);
    };
    await send(`${WARM_PREFIX}${crypto.randomUUID()}`);
    return {
      send,
      api: "sendBatch([{ body, properties }])",
      close: () => producer.close(),
    };
  },
};

const ehPerOp: ClientShape<AmqpTarget> = {
  id: "per-op",
  label: "new EventHubProducerClient per send",
  role: "per-op",
  open(target) {
    return Promise.resolve({
      async send(id: string) {
        const producer = new EventHubProducerClient(
          target.connectionString,
          target.entity,
          sdkOptions<EventHubClientOptions>(target),
        );
        try {
          await producer.sendBatch([{ body: { id }, properties: { id } }]);
        } finally {
          await producer.close();
        }
      },
      api: "sendBatch([{ body, properties }])",
      close: () => Promise.resolve(),
    });
  },
};

/**
 * Every shape of a service, singleton first.
 *
 * @param service The service.
 * @returns The shapes, in report order.
 *
 * @example The Service Bus shapes
 * ```ts
 * import { amqpShapes } from "./vs_sdk_clients.ts";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(
 *   amqpShapes("servicebus").map((shape) => shape.id),
 *   ["singleton", "managed", "managed-4", "bus-sender", "per-op"],
 * );
 * ```
 */
export function amqpShapes(service: AmqpService): ClientShape<AmqpTarget>[] {
  return service === "servicebus"
    ? [sbSingleton, managedSb(), managedSb(4), managedBus, sbPerOp]
    : [ehSingleton, managedEh(), managedEh(4), ehPerOp];
}
