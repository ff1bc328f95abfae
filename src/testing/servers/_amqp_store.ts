/**
 * In-memory entities of the test broker (`amqp_broker.ts`): Service Bus
 * queues and topics, Event Hubs partitions, and their delivery to receiver
 * links.
 *
 * A queue's messages move between these states (sequence numbers are never
 * reused; `#available` stays sorted by sequence number so an abandoned message
 * is redelivered in order):
 *
 * ```
 *  enqueue ─► scheduled ──(time)──► available ──(credit)──► locked ──complete──► gone
 *                 │                   ▲    │                  │
 *                 └─cancel─► gone     │    └─(pre-settled)─► gone
 *                                     └──abandon / lock expiry─┘──reject / too many──► dead-letter queue
 * ```
 *
 * One unref'd timer per queue wakes it at the next scheduled enqueue time or
 * lock expiry; `close()` clears it.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { randomBytes, randomUUID } from "node:crypto";
import type { Sender } from "rhea";
import {
  attachOf,
  encodeDelivery,
  type SplitMessage,
  type Typed,
  types,
} from "./_amqp_codec.ts";

/** The broker's counters that the stores update. */
export interface StoreCounters {
  messages: number;
  deliveries: number;
  completed: number;
  abandoned: number;
  deadLettered: number;
  events: number;
}

/** Where a stored Service Bus message is in its life. */
export type MessageState = "scheduled" | "available" | "locked" | "deferred";

/** One Service Bus message held by a queue. */
export class StoredMessage {
  /** The message id the broker assigned when the sender set none. */
  readonly assignedMessageId: string | undefined;
  /** Times the message was handed to a peek-lock receiver. */
  deliveryCount = 0;
  /** Where the message is. */
  state: MessageState;
  /** The current lock token (16 bytes), while locked. */
  lockToken: Buffer | undefined;
  /** When the current lock ends (ms since the epoch). */
  lockedUntil = 0;

  /**
   * Constructs a stored message.
   *
   * @param sequenceNumber Its queue-wide sequence number.
   * @param split The message as sent.
   * @param enqueuedAt When it was accepted (ms since the epoch).
   * @param scheduledAt When it becomes visible, if scheduled.
   */
  constructor(
    readonly sequenceNumber: number,
    readonly split: SplitMessage,
    readonly enqueuedAt: number,
    readonly scheduledAt: number | undefined,
  ) {
    this.assignedMessageId = split.decoded.message_id === undefined
      ? randomUUID()
      : undefined;
    this.state = scheduledAt !== undefined ? "scheduled" : "available";
  }
}

/**
 * The key of a lock: the hex of the delivery tag the broker sent.
 *
 * @param tag The delivery tag of a delivery.
 * @returns The key.
 */
export function tagKey(tag: Uint8Array | string): string {
  return Buffer.from(tag as Uint8Array).toString("hex");
}

/**
 * The key of a lock token that a client sends to `$management`. The Service
 * Bus SDK turns a delivery tag into a lock token in .NET GUID byte order (the
 * first three groups reversed) and sends that back, so the bytes are swapped
 * back here (the swap is its own inverse).
 *
 * @param token A lock token (16 bytes, or the UUID string).
 * @returns The key.
 */
export function lockTokenKey(token: Uint8Array | string): string {
  const bytes = typeof token === "string"
    ? Buffer.from(token.replaceAll("-", ""), "hex")
    : Buffer.from(token);
  const swapped = Buffer.from(bytes);
  for (const [start, end] of [[0, 4], [4, 6], [6, 8]]) {
    for (let k = 0; k < end - start; k++) {
      swapped[start + k] = bytes[end - 1 - k];
    }
  }
  return swapped.toString("hex");
}

function insertSorted(list: StoredMessage[], message: StoredMessage): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].sequenceNumber < message.sequenceNumber) lo = mid + 1;
    else hi = mid;
  }
  list.splice(lo, 0, message);
}

/** How a receiver settled a delivery. */
export type Outcome =
  | "accepted"
  | "released"
  | "modified"
  | "deferred"
  | "rejected";

/** A Service Bus queue (or a dead-letter queue) in memory. */
export class QueueStore {
  /** Broker-side sender links that deliver this queue's messages. */
  readonly receivers: Set<Sender> = new Set();
  #available: StoredMessage[] = [];
  #scheduled: StoredMessage[] = [];
  #locked = new Map<string, StoredMessage>();
  #deferred = new Map<number, StoredMessage>();
  #nextSequenceNumber = 1;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #timerAt = Infinity;
  #closed = false;

  /**
   * Constructs a queue.
   *
   * @param name The entity path.
   * @param counters The broker's counters.
   * @param options Lock duration, redelivery limit, dead-letter queue, capacity.
   */
  constructor(
    readonly name: string,
    readonly counters: StoreCounters,
    readonly options: {
      lockDurationMs: number;
      maxDeliveryCount: number;
      deadLetterQueue?: QueueStore;
    },
  ) {}

  /** How many messages the queue holds (scheduled, available, locked or deferred). */
  get size(): number {
    return this.#available.length + this.#scheduled.length + this.#locked.size +
      this.#deferred.size;
  }

  /**
   * Stores a message.
   *
   * @param split The message as sent.
   * @param scheduledAt When it becomes visible, if later than now.
   * @returns The stored message.
   */
  enqueue(split: SplitMessage, scheduledAt?: number): StoredMessage {
    const now = Date.now();
    const later = scheduledAt !== undefined && scheduledAt > now
      ? scheduledAt
      : undefined;
    const message = new StoredMessage(
      this.#nextSequenceNumber++,
      split,
      now,
      later,
    );
    this.counters.messages++;
    if (later !== undefined) this.#scheduled.push(message);
    else this.#available.push(message);
    this.pump();
    return message;
  }

  /**
   * Takes back a message moved here from another queue (dead-lettering).
   *
   * @param message The message, keeping its sequence number.
   */
  adopt(message: StoredMessage): void {
    message.state = "available";
    message.lockToken = undefined;
    insertSorted(this.#available, message);
    this.pump();
  }

  /**
   * Cancels scheduled messages.
   *
   * @param sequenceNumbers Their sequence numbers.
   */
  cancelScheduled(sequenceNumbers: number[]): void {
    const cancel = new Set(sequenceNumbers);
    this.#scheduled = this.#scheduled.filter((m) =>
      !cancel.has(m.sequenceNumber)
    );
  }

  /**
   * Every message the queue holds, in sequence-number order.
   *
   * @returns The messages.
   */
  messages(): StoredMessage[] {
    return [
      ...this.#available,
      ...this.#scheduled,
      ...this.#locked.values(),
      ...this.#deferred.values(),
    ].sort((a, b) => a.sequenceNumber - b.sequenceNumber);
  }

  /**
   * Delivers what can be delivered: promotes due scheduled messages, takes
   * back expired locks, then hands available messages to receivers with
   * credit, one per receiver per round.
   */
  pump(): void {
    if (this.#closed) return;
    const now = Date.now();
    if (this.#scheduled.length > 0) {
      const due = this.#scheduled.filter((m) => (m.scheduledAt ?? 0) <= now);
      if (due.length > 0) {
        this.#scheduled = this.#scheduled.filter((m) =>
          (m.scheduledAt ?? 0) > now
        );
        for (const message of due) {
          message.state = "available";
          insertSorted(this.#available, message);
        }
      }
    }
    for (const [token, message] of this.#locked) {
      if (message.lockedUntil <= now) {
        this.#locked.delete(token);
        this.#release(message, false);
      }
    }
    let progressed = true;
    while (this.#available.length > 0 && progressed) {
      progressed = false;
      for (const link of this.receivers) {
        if (this.#available.length === 0) break;
        if (link.sendable()) {
          this.#deliver(link, this.#available.shift()!);
          progressed = true;
        }
      }
    }
    this.#arm();
  }

  #deliver(link: Sender, message: StoredMessage): void {
    const preSettled = attachOf(link).local.snd_settle_mode === 1;
    const token = randomBytes(16);
    const annotations: Record<string, Typed> = {
      "x-opt-sequence-number": types.wrap_long(message.sequenceNumber),
      "x-opt-enqueued-time": types.wrap_timestamp(message.enqueuedAt),
    };
    if (!preSettled) {
      message.deliveryCount++;
      message.lockedUntil = Date.now() + this.options.lockDurationMs;
      annotations["x-opt-locked-until"] = types.wrap_timestamp(
        message.lockedUntil,
      );
    }
    const raw = encodeDelivery(
      message.split,
      preSettled ? message.deliveryCount : message.deliveryCount - 1,
      annotations,
      message.assignedMessageId,
    );
    link.send(raw, token, 0);
    this.counters.deliveries++;
    if (preSettled) {
      this.counters.completed++;
      return;
    }
    message.state = "locked";
    message.lockToken = token;
    this.#locked.set(token.toString("hex"), message);
  }

  #release(message: StoredMessage, countFailure: boolean): void {
    message.lockToken = undefined;
    if (
      countFailure && message.deliveryCount >= this.options.maxDeliveryCount
    ) {
      this.#deadLetter(message);
      return;
    }
    message.state = "available";
    insertSorted(this.#available, message);
  }

  #deadLetter(message: StoredMessage): void {
    this.counters.deadLettered++;
    if (this.options.deadLetterQueue) {
      this.options.deadLetterQueue.adopt(message);
    }
  }

  /**
   * Settles a locked message by its lock token.
   *
   * @param key The lock's key ({@linkcode tagKey} or {@linkcode lockTokenKey}).
   * @param outcome What the receiver decided.
   * @returns Whether the token named a locked message.
   */
  settle(key: string, outcome: Outcome): boolean {
    const message = this.#locked.get(key);
    if (!message) return false;
    this.#locked.delete(key);
    switch (outcome) {
      case "accepted":
        this.counters.completed++;
        break;
      case "released":
      case "modified":
        this.counters.abandoned++;
        this.#release(message, outcome === "modified");
        break;
      case "deferred":
        message.state = "deferred";
        message.lockToken = undefined;
        this.#deferred.set(message.sequenceNumber, message);
        break;
      case "rejected":
        this.#deadLetter(message);
        break;
    }
    this.pump();
    return true;
  }

  /**
   * Extends a lock.
   *
   * @param key The lock's key ({@linkcode lockTokenKey}).
   * @returns The new expiry (ms since the epoch), or `undefined` if the lock was lost.
   */
  renew(key: string): number | undefined {
    const message = this.#locked.get(key);
    if (!message) return undefined;
    message.lockedUntil = Date.now() + this.options.lockDurationMs;
    this.#arm();
    return message.lockedUntil;
  }

  #arm(): void {
    let next = Infinity;
    for (const message of this.#scheduled) {
      next = Math.min(next, message.scheduledAt ?? Infinity);
    }
    for (const message of this.#locked.values()) {
      next = Math.min(next, message.lockedUntil);
    }
    if (next === this.#timerAt) return;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = next;
    if (next === Infinity) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#timerAt = Infinity;
      this.pump();
    }, Math.max(0, next - Date.now()));
    // A test broker must never keep the process alive on its own.
    (this.#timer as { unref?: () => void }).unref?.();
  }

  /** Stops the queue's timer; the queue delivers nothing more. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

/**
 * A Service Bus topic as plain fan-out: every message sent (or scheduled) to
 * it is enqueued on each subscription, a {@linkcode QueueStore} named
 * `<topic>/Subscriptions/<name>`. No rules or filters.
 */
export class TopicStore {
  /** The subscriptions' queues. */
  readonly subscriptions: Set<QueueStore> = new Set();
  #nextSequenceNumber = 1;

  /**
   * Constructs a topic without subscriptions.
   *
   * @param name The entity path.
   */
  constructor(readonly name: string) {}

  /** The most messages any subscription holds (the quota applies to each). */
  get size(): number {
    let size = 0;
    for (const subscription of this.subscriptions) {
      size = Math.max(size, subscription.size);
    }
    return size;
  }

  /**
   * Copies a message to every subscription.
   *
   * @param split The message as sent.
   * @param scheduledAt When it becomes visible, if later than now.
   * @returns The topic-wide sequence number (each copy gets its
   * subscription's own).
   */
  enqueue(
    split: SplitMessage,
    scheduledAt?: number,
  ): { sequenceNumber: number } {
    for (const subscription of this.subscriptions) {
      subscription.enqueue(split, scheduledAt);
    }
    return { sequenceNumber: this.#nextSequenceNumber++ };
  }
}

/** One event held by an Event Hubs partition. */
export interface StoredEvent {
  /** Its partition-wide sequence number, from 0. */
  readonly sequenceNumber: number;
  /** Its offset (the broker uses the sequence number). */
  readonly offset: number;
  /** When it was accepted (ms since the epoch). */
  readonly enqueuedAt: number;
  /** The partition key it was sent with. */
  readonly partitionKey: string | undefined;
  /** The event as sent. */
  readonly split: SplitMessage;
}

/** Where a consumer link starts reading, parsed from its selector filter. */
export type StartPosition =
  | { kind: "offset"; value: number; inclusive: boolean }
  | { kind: "sequence"; value: number; inclusive: boolean }
  | { kind: "time"; value: number; inclusive: boolean }
  | { kind: "latest" };

/** One partition of an event hub. */
export class PartitionStore {
  /** The events, in order. */
  readonly events: StoredEvent[] = [];
  /** Broker-side sender links reading this partition, with their next index. */
  readonly consumers: Map<Sender, { next: number }> = new Map();

  /**
   * Constructs a partition.
   *
   * @param id The partition id ("0", "1", …).
   * @param counters The broker's counters.
   */
  constructor(readonly id: string, readonly counters: StoreCounters) {}

  /**
   * Appends an event.
   *
   * @param split The event as sent.
   * @param partitionKey The partition key it was sent with.
   * @returns The stored event.
   */
  append(split: SplitMessage, partitionKey: string | undefined): StoredEvent {
    const event: StoredEvent = {
      sequenceNumber: this.events.length,
      offset: this.events.length,
      enqueuedAt: Date.now(),
      partitionKey,
      split,
    };
    this.events.push(event);
    this.counters.events++;
    this.pump();
    return event;
  }

  /**
   * Registers a consumer link.
   *
   * @param link The broker-side sender.
   * @param start Where it starts reading.
   */
  addConsumer(link: Sender, start: StartPosition): void {
    let next = this.events.length;
    if (start.kind !== "latest") {
      next = this.events.findIndex((e) => {
        const value = start.kind === "time"
          ? e.enqueuedAt
          : start.kind === "offset"
          ? e.offset
          : e.sequenceNumber;
        return start.inclusive ? value >= start.value : value > start.value;
      });
      if (next < 0) next = this.events.length;
    }
    this.consumers.set(link, { next });
    this.pump();
  }

  /** Sends waiting events to consumers with credit. */
  pump(): void {
    for (const [link, cursor] of this.consumers) {
      while (cursor.next < this.events.length && link.sendable()) {
        const event = this.events[cursor.next++];
        const annotations: Record<string, Typed> = {
          "x-opt-sequence-number": types.wrap_long(event.sequenceNumber),
          "x-opt-offset": types.wrap_string(String(event.offset)),
          "x-opt-enqueued-time": types.wrap_timestamp(event.enqueuedAt),
        };
        if (event.partitionKey !== undefined) {
          annotations["x-opt-partition-key"] = types.wrap_string(
            event.partitionKey,
          );
        }
        link.send(
          encodeDelivery(event.split, 0, annotations),
          randomBytes(16),
          0,
        );
        this.counters.deliveries++;
      }
    }
  }
}

/** An event hub: a name, a creation time and its partitions. */
export class EventHubStore {
  /** When the hub was created (ms since the epoch). */
  readonly createdAt: number = Date.now();
  /** The partitions, by index. */
  readonly partitions: PartitionStore[];
  #roundRobin = 0;

  /**
   * Constructs an event hub.
   *
   * @param name The hub name.
   * @param partitionCount How many partitions.
   * @param counters The broker's counters.
   */
  constructor(
    readonly name: string,
    partitionCount: number,
    counters: StoreCounters,
  ) {
    this.partitions = Array.from(
      { length: partitionCount },
      (_, i) => new PartitionStore(String(i), counters),
    );
  }

  /**
   * Picks the partition for a gateway send: by a hash of the partition key,
   * or round-robin without one.
   *
   * @param partitionKey The partition key.
   * @returns The partition.
   */
  route(partitionKey: string | undefined): PartitionStore {
    if (partitionKey === undefined) {
      return this.partitions[this.#roundRobin++ % this.partitions.length];
    }
    let hash = 0;
    for (const byte of Buffer.from(partitionKey, "utf8")) {
      hash = (hash * 31 + byte) >>> 0;
    }
    return this.partitions[hash % this.partitions.length];
  }
}
