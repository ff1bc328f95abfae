/**
 * The operations a managed client follows (`ManagedClient.followed`), with a
 * connector whose operations hang or whose connections die on cue, under a
 * fake clock: a hung operation ends by its deadline and gives up its place,
 * one whose connection died is given up at once and sent once more on a
 * healthy connection (or ends in `ConnectionLost`), and a service's refusal
 * reaches the caller translated.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ManagedClient, type OperationPlan } from "../src/cosmos/mod.ts";
import {
  ConnectionLost,
  EntityNotFound,
  OperationTimeout,
} from "../src/pool/errors.ts";
import { FakeClock, flushMicrotasks } from "../src/testing/fake_clock.ts";
import { ManualConnector, type TestConnection, track } from "./_connectors.ts";

/** A connector whose connections can die on their own. */
class WatchingConnector extends ManualConnector {
  readonly breakers = new Map<TestConnection, (reason: string) => void>();
  watch(connection: TestConnection, broken: (reason: string) => void) {
    this.breakers.set(connection, broken);
  }
  die(connection: TestConnection): void {
    this.breakers.get(connection)!("disconnected");
  }
}

/** A managed client over the watching connector, its operations followed. */
class Followed extends ManagedClient<TestConnection, WatchingConnector> {
  constructor(
    connector: WatchingConnector,
    clock: FakeClock,
    timeoutSeconds: number,
    pool: { clientLimit?: number; maxSize?: number } = {},
  ) {
    super("Followed", connector, { clock, ...pool }, {
      maxIdleSeconds: 300,
      maxLifespanSeconds: Infinity,
      createTimeoutSeconds: 30,
      name: "followed",
      isConnectionError: () => false,
    });
    this.followOperations(timeoutSeconds * 1000, clock);
  }

  run<T>(
    fn: (connection: TestConnection) => Promise<T>,
    plan: Partial<OperationPlan> = {},
  ): Promise<T> {
    return this.followed(fn, undefined, {
      what: "do the work on test#1",
      resend: false,
      translate: (error) => error,
      ...plan,
    });
  }
}

/** Work that hangs until the test settles it. */
function hanging<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe("ManagedClient followed operations", () => {
  it("ends a hung operation by its deadline with OperationTimeout, replaces its connection, and keeps serving", async () => {
    const clock = new FakeClock();
    const connector = new WatchingConnector();
    const client = new Followed(connector, clock, 2, {
      clientLimit: 2,
      maxSize: 1,
    });
    const hung = hanging<string>();
    // Two callers fill the only connection's places with hung work.
    const first = track(client.run(() => hung.promise));
    const second = track(client.run(() => hung.promise));
    await flushMicrotasks();
    const stuck = connector.connections[0]!;
    assert.equal(client.stats().activeCallers, 2);
    // A third waits: the pool is full.
    const third = track(client.run((c) => Promise.resolve(c.id)));
    await clock.tickAsync(1_900);
    assert.equal(first.settled, false, "not before the deadline");
    assert.equal(third.settled, false);
    await clock.tickAsync(400); // within a tick of the deadline
    assert.ok(first.error instanceof OperationTimeout, String(first.error));
    assert.ok(second.error instanceof OperationTimeout);
    assert.equal((first.error as OperationTimeout).code, "OPERATION_TIMEOUT");
    assert.match(
      (first.error as Error).message,
      /^Cannot do the work on test#1: no answer within 2 s/,
    );
    // Their places were given up and their connection replaced: the
    // waiting caller is served on a new one, the stuck one is closed.
    await clock.tickAsync(10);
    assert.equal(third.value, 2);
    assert.equal(stuck.closeCount, 1);
    assert.equal(client.stats().activeCallers, 0);
    // The SDK's late answer changes nothing.
    hung.resolve("late");
    await flushMicrotasks();
    assert.equal(await client.run((c) => Promise.resolve(c.id)), 2);
    await client.close();
  });

  it("gives up the operations on a connection that died and sends each once more on a healthy one", async () => {
    const clock = new FakeClock();
    const connector = new WatchingConnector();
    const client = new Followed(connector, clock, 30, { maxSize: 2 });
    const attempts = new Map<number, number[]>();
    const hung = hanging<never>();
    const calls = Array.from({ length: 5 }, (_, i) =>
      track(client.run((c) => {
        const seen = attempts.get(i) ?? [];
        seen.push(c.id);
        attempts.set(i, seen);
        return c.id === 1 ? hung.promise : Promise.resolve(`sent ${i}`);
      }, { resend: true })));
    await flushMicrotasks();
    assert.ok(calls.every((call) => !call.settled));
    connector.die(connector.connections[0]!);
    await clock.tickAsync(10);
    for (const [i, call] of calls.entries()) {
      assert.equal(call.value, `sent ${i}`);
      assert.deepEqual(attempts.get(i), [1, 2], "once on each, no more");
    }
    assert.equal(connector.connections[0]!.closeCount, 1);
    await client.close();
  });

  it("gives the caller ConnectionLost when resending is off", async () => {
    const clock = new FakeClock();
    const connector = new WatchingConnector();
    const client = new Followed(connector, clock, 30);
    let attempts = 0;
    const call = track(client.run(() => {
      attempts++;
      return hanging<never>().promise;
    }));
    await flushMicrotasks();
    connector.die(connector.connections[0]!);
    await flushMicrotasks();
    assert.ok(call.error instanceof ConnectionLost, String(call.error));
    assert.equal((call.error as ConnectionLost).code, "CONNECTION_LOST");
    assert.match(
      (call.error as Error).message,
      /the connection was disconnected while it was in flight; it may have reached the service/,
    );
    assert.equal(attempts, 1);
    await client.close();
  });

  it("never sends a third time: a resend whose connection dies too ends in ConnectionLost", async () => {
    const clock = new FakeClock();
    const connector = new WatchingConnector();
    const client = new Followed(connector, clock, 30, { maxSize: 2 });
    let attempts = 0;
    const call = track(client.run(() => {
      attempts++;
      return hanging<never>().promise;
    }, { resend: true }));
    await flushMicrotasks();
    connector.die(connector.connections[0]!);
    await clock.tickAsync(10);
    assert.equal(attempts, 2);
    connector.die(connector.connections[1]!);
    await clock.tickAsync(10);
    assert.ok(call.error instanceof ConnectionLost);
    assert.match(
      (call.error as Error).message,
      /and again when sent once more/,
    );
    assert.equal(attempts, 2);
    await client.close();
  });

  it("gives a service's refusal to the caller translated, once, and leaves the connection in the pool", async () => {
    const clock = new FakeClock();
    const connector = new WatchingConnector();
    const client = new Followed(connector, clock, 30);
    const answer = Object.assign(new Error("no such queue"), {
      code: "MessagingEntityNotFound",
    });
    let attempts = 0;
    await assert.rejects(
      client.run(() => {
        attempts++;
        return Promise.reject(answer);
      }, {
        resend: true,
        translate: (error) =>
          new EntityNotFound("Cannot send to queue 'q'", "q", {
            cause: error,
          }),
      }),
      (error: EntityNotFound) =>
        error instanceof EntityNotFound && error.cause === answer,
    );
    assert.equal(attempts, 1, "an answer is not resent");
    assert.equal(connector.connections[0]!.closeCount, 0);
    await client.close();
  });
});
