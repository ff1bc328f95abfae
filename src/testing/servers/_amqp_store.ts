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
 *                 │                   ▲    │                  │ │
 *                 └─cancel─► gone     │    └─(pre-settled)─► gone └─defer─► deferred
 *                                     └──abandon / lock expiry─┘──reject / too many──► dead-letter queue
 *  deferred ──receive by sequence number──► locked (abandon / expiry: back to deferred)
 * ```
 *
 * Sessions: a message with a session id (AMQP `group-id`) goes only to the
 * receiver link that holds its session's lock, in sequence-number order; a
 * message without one goes only to links without a session. A session's lock
 * is taken by a link's attach (a named session, or the next one with
 * available messages) and released when that link closes; the messages it
 * had locked become available again.
 *
 * One unref'd timer per queue wakes it at the next scheduled enqueue time,
 * message lock expiry or session lock expiry; `close()` clears it.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { randomBytes, randomUUID } from "node:crypto";
import type { Sender } from "rhea";
import {
  attachOf,
  creditOf,
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
  deferred: number;
  /** Settlements and renewals refused because the lock was gone. */
  lockLost: number;
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
  /** The session it belongs to (AMQP `group-id`). */
  readonly sessionId: string | undefined;
  /** The link that holds its lock (undefined: locked through `$management`). */
  lockedBy: Sender | undefined;
  /** Whether it was deferred: an abandon or a lost lock defers it again. */
  wasDeferred = false;
  /** Application properties the broker set (`DeadLetterReason`, …). */
  extraProperties: Record<string, string> | undefined;

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
    const group = split.decoded.group_id;
    this.sessionId = typeof group === "string" ? group : undefined;
  }
}

/** What a dead-lettering receiver said about the message. */
export interface DeadLetterDetails {
  /** Recorded as the `DeadLetterReason` application property. */
  reason?: string;
  /** Recorded as the `DeadLetterErrorDescription` application property. */
  description?: string;
}

/** One settlement a queue accepted. */
export interface Settlement {
  /** The message's sequence number. */
  sequenceNumber: number;
  /** The message id (the sender's, or the one the broker assigned). */
  messageId: unknown;
  /** What the receiver decided. */
  outcome: "completed" | "abandoned" | "deferred" | "deadLettered";
}

/** A session of a queue: who holds its lock, until when, and its state. */
interface SessionEntry {
  holder: Sender | undefined;
  lockedUntil: number;
  state: Uint8Array | undefined;
}

/** Why a link could not take a session's lock. */
export interface SessionRefusal {
  /** The AMQP error condition. */
  condition: string;
  /** The description. */
  description: string;
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
  /** Every settlement accepted, in order (tests prove "exactly once" with it). */
  readonly settlements: Settlement[] = [];
  #available: StoredMessage[] = [];
  #scheduled: StoredMessage[] = [];
  #locked = new Map<string, StoredMessage>();
  #deferred = new Map<number, StoredMessage>();
  #sessions = new Map<string, SessionEntry>();
  #linkSessions = new Map<Sender, string>();
  #settlementWaiters = new Set<() => void>();
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
    message.lockedBy = undefined;
    message.wasDeferred = false;
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
   * Gives a receiver link a session's lock: the named one, or (with
   * `undefined`) the session of the oldest available message that no link
   * holds.
   *
   * @param link The broker-side sender of the receiver link.
   * @param requested The session id the client asked for, or `undefined` for
   * the next available session.
   * @returns The session id granted, or why none was.
   */
  acceptSession(
    link: Sender,
    requested: string | undefined,
  ): string | SessionRefusal {
    let sessionId = requested;
    if (sessionId === undefined) {
      const free = this.#available.find((m) =>
        m.sessionId !== undefined &&
        this.#sessions.get(m.sessionId)?.holder === undefined
      );
      if (!free) {
        return {
          condition: "com.microsoft:timeout",
          description:
            `No unlocked session with available messages in '${this.name}'`,
        };
      }
      sessionId = free.sessionId!;
    }
    const entry = this.#sessions.get(sessionId) ??
      { holder: undefined, lockedUntil: 0, state: undefined };
    if (entry.holder !== undefined) {
      return {
        condition: "com.microsoft:session-cannot-be-locked",
        description:
          `The session '${sessionId}' is locked by another receiver of '${this.name}'`,
      };
    }
    entry.holder = link;
    entry.lockedUntil = Date.now() + this.options.lockDurationMs;
    this.#sessions.set(sessionId, entry);
    this.#linkSessions.set(link, sessionId);
    this.receivers.add(link);
    this.#arm();
    return sessionId;
  }

  /**
   * When the session `link` holds is locked until.
   *
   * @param link A session receiver link.
   * @returns The expiry (ms since the epoch), or `undefined` without a session.
   */
  sessionLockedUntil(link: Sender): number | undefined {
    const sessionId = this.#linkSessions.get(link);
    return sessionId === undefined
      ? undefined
      : this.#sessions.get(sessionId)?.lockedUntil;
  }

  /**
   * Extends a session's lock.
   *
   * @param sessionId The session.
   * @returns The new expiry, or `undefined` when no link holds it.
   */
  renewSession(sessionId: string): number | undefined {
    const entry = this.#sessions.get(sessionId);
    if (entry?.holder === undefined) return undefined;
    entry.lockedUntil = Date.now() + this.options.lockDurationMs;
    this.#arm();
    return entry.lockedUntil;
  }

  /**
   * A session's state.
   *
   * @param sessionId The session.
   * @returns The state set last, or `undefined`.
   */
  sessionState(sessionId: string): Uint8Array | undefined {
    return this.#sessions.get(sessionId)?.state;
  }

  /**
   * Sets a session's state.
   *
   * @param sessionId The session.
   * @param state The state (`undefined` clears it).
   */
  setSessionState(sessionId: string, state: Uint8Array | undefined): void {
    const entry = this.#sessions.get(sessionId) ??
      { holder: undefined, lockedUntil: 0, state: undefined };
    entry.state = state;
    this.#sessions.set(sessionId, entry);
  }

  /**
   * Forgets a receiver link: its session's lock is released and the messages
   * it held locked in that session become available again.
   *
   * @param link The broker-side sender.
   */
  removeReceiver(link: Sender): void {
    this.receivers.delete(link);
    const sessionId = this.#linkSessions.get(link);
    if (sessionId === undefined) return;
    this.#linkSessions.delete(link);
    const entry = this.#sessions.get(sessionId);
    if (entry?.holder === link) entry.holder = undefined;
    for (const [key, message] of this.#locked) {
      if (message.lockedBy === link) {
        this.#locked.delete(key);
        this.#release(message, false);
      }
    }
    this.pump();
  }

  /**
   * Delivers what can be delivered: promotes due scheduled messages, takes
   * back expired locks, ends expired session locks, then hands available
   * messages to receivers with credit, one per receiver per round.
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
    for (const [sessionId, entry] of this.#sessions) {
      if (entry.holder !== undefined && entry.lockedUntil <= now) {
        const holder = entry.holder;
        this.removeReceiver(holder);
        // What the service does: the link goes, the client sees the loss.
        holder.close({
          condition: "com.microsoft:session-lock-lost",
          description: `The session lock of '${sessionId}' has expired`,
        });
      }
    }
    let progressed = true;
    while (this.#available.length > 0 && progressed) {
      progressed = false;
      for (const link of this.receivers) {
        if (this.#available.length === 0) break;
        if (creditOf(link) <= 0) continue;
        const sessionId = this.#linkSessions.get(link);
        const index = this.#available.findIndex((m) =>
          m.sessionId === sessionId
        );
        if (index < 0) continue;
        const [message] = this.#available.splice(index, 1);
        this.#deliver(link, message);
        progressed = true;
      }
    }
    this.#arm();
  }

  #annotations(message: StoredMessage, locked: boolean): Record<string, Typed> {
    const annotations: Record<string, Typed> = {
      "x-opt-sequence-number": types.wrap_long(message.sequenceNumber),
      "x-opt-enqueued-time": types.wrap_timestamp(message.enqueuedAt),
    };
    if (locked) {
      annotations["x-opt-locked-until"] = types.wrap_timestamp(
        message.lockedUntil,
      );
    }
    return annotations;
  }

  #encode(message: StoredMessage, preSettled: boolean): Buffer {
    if (!preSettled) {
      message.deliveryCount++;
      message.lockedUntil = Date.now() + this.options.lockDurationMs;
    }
    return encodeDelivery(
      message.split,
      preSettled ? message.deliveryCount : message.deliveryCount - 1,
      this.#annotations(message, !preSettled),
      message.assignedMessageId,
      message.extraProperties,
    );
  }

  #deliver(link: Sender, message: StoredMessage): void {
    const preSettled = attachOf(link).local.snd_settle_mode === 1;
    const token = randomBytes(16);
    link.send(this.#encode(message, preSettled), token, 0);
    this.counters.deliveries++;
    if (preSettled) {
      this.counters.completed++;
      this.#record(message, "completed");
      return;
    }
    message.state = "locked";
    message.lockToken = token;
    message.lockedBy = link;
    this.#locked.set(token.toString("hex"), message);
  }

  /**
   * Reads messages without locking or removing them
   * (`com.microsoft:peek-message`): those the queue holds from
   * `fromSequenceNumber` on, in order, as the service peeks (scheduled ones
   * included; the delivery count unchanged).
   *
   * @param fromSequenceNumber The first sequence number to read.
   * @param count How many at most.
   * @returns Each message, encoded.
   */
  peek(fromSequenceNumber: number, count: number): Buffer[] {
    return this.messages()
      .filter((message) => message.sequenceNumber >= fromSequenceNumber)
      .slice(0, Math.max(0, count))
      .map((message) =>
        encodeDelivery(
          message.split,
          message.deliveryCount,
          this.#annotations(message, false),
          message.assignedMessageId,
          message.extraProperties,
        )
      );
  }

  /**
   * Receives deferred messages by sequence number
   * (`com.microsoft:receive-by-sequence-number`): each is locked again (or,
   * pre-settled, removed). The SDK does not reorder these lock tokens, so
   * each lock is keyed as `$management` will send it back.
   *
   * @param sequenceNumbers The messages to receive.
   * @param preSettled Receive-and-delete instead of peek-lock.
   * @returns Each message with its lock token, or the missing sequence number.
   */
  receiveDeferred(
    sequenceNumbers: number[],
    preSettled: boolean,
  ): { token: Buffer; raw: Buffer }[] | { missing: number } {
    const missing = sequenceNumbers.find((n) => !this.#deferred.has(n));
    if (missing !== undefined) return { missing };
    return sequenceNumbers.map((sequenceNumber) => {
      const message = this.#deferred.get(sequenceNumber)!;
      this.#deferred.delete(sequenceNumber);
      const token = randomBytes(16);
      const raw = this.#encode(message, preSettled);
      this.counters.deliveries++;
      if (preSettled) {
        this.counters.completed++;
        this.#record(message, "completed");
      } else {
        message.state = "locked";
        message.lockToken = token;
        message.lockedBy = undefined;
        message.wasDeferred = true;
        this.#locked.set(lockTokenKey(token), message);
        this.#arm();
      }
      return { token, raw };
    });
  }

  #release(message: StoredMessage, countFailure: boolean): void {
    message.lockToken = undefined;
    message.lockedBy = undefined;
    if (
      countFailure && message.deliveryCount >= this.options.maxDeliveryCount
    ) {
      this.#deadLetter(message, {
        reason: "MaxDeliveryCountExceeded",
        description:
          `Message could not be consumed after ${this.options.maxDeliveryCount} delivery attempts.`,
      });
      return;
    }
    if (message.wasDeferred) {
      message.state = "deferred";
      this.#deferred.set(message.sequenceNumber, message);
      return;
    }
    message.state = "available";
    insertSorted(this.#available, message);
  }

  #deadLetter(message: StoredMessage, details: DeadLetterDetails): void {
    this.counters.deadLettered++;
    const extra: Record<string, string> = { ...message.extraProperties };
    if (details.reason !== undefined) extra.DeadLetterReason = details.reason;
    if (details.description !== undefined) {
      extra.DeadLetterErrorDescription = details.description;
    }
    message.extraProperties = extra;
    if (this.options.deadLetterQueue) {
      this.options.deadLetterQueue.adopt(message);
    }
  }

  #record(message: StoredMessage, outcome: Settlement["outcome"]): void {
    this.settlements.push({
      sequenceNumber: message.sequenceNumber,
      messageId: message.split.decoded.message_id ?? message.assignedMessageId,
      outcome,
    });
    for (const waiter of [...this.#settlementWaiters]) waiter();
  }

  /**
   * Resolves once `count` settlements were accepted (at once if they were).
   *
   * @param count How many settlements to wait for.
   * @param timeoutMs Reject after this long, saying how many there are.
   * @returns When `settlements.length >= count`.
   */
  settled(count: number, timeoutMs: number): Promise<void> {
    if (this.settlements.length >= count) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#settlementWaiters.delete(check);
        reject(
          new Error(
            `Queue '${this.name}' has ${this.settlements.length} of ${count} settlements after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      (timer as { unref?: () => void }).unref?.();
      const check = () => {
        if (this.settlements.length < count) return;
        clearTimeout(timer);
        this.#settlementWaiters.delete(check);
        resolve();
      };
      this.#settlementWaiters.add(check);
    });
  }

  /**
   * Settles a locked message by its lock token.
   *
   * @param key The lock's key ({@linkcode tagKey} or {@linkcode lockTokenKey}).
   * @param outcome What the receiver decided.
   * @param details The reason and description of a dead-lettering.
   * @returns Whether the token named a locked message.
   */
  settle(key: string, outcome: Outcome, details?: DeadLetterDetails): boolean {
    const message = this.#locked.get(key);
    if (!message) {
      this.counters.lockLost++;
      return false;
    }
    this.#locked.delete(key);
    switch (outcome) {
      case "accepted":
        this.counters.completed++;
        this.#record(message, "completed");
        break;
      case "released":
      case "modified":
        this.counters.abandoned++;
        this.#record(message, "abandoned");
        this.#release(message, outcome === "modified");
        break;
      case "deferred":
        this.counters.deferred++;
        this.#record(message, "deferred");
        message.state = "deferred";
        message.lockToken = undefined;
        message.lockedBy = undefined;
        message.wasDeferred = true;
        this.#deferred.set(message.sequenceNumber, message);
        break;
      case "rejected":
        this.#record(message, "deadLettered");
        this.#deadLetter(message, details ?? {});
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
    if (!message) {
      this.counters.lockLost++;
      return undefined;
    }
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
    for (const entry of this.#sessions.values()) {
      if (entry.holder !== undefined) next = Math.min(next, entry.lockedUntil);
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
