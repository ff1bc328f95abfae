import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { Semaphore } from "../../scripts/bench/semaphore.ts";

/** Lets every queued promise reaction run. */
async function flush(): Promise<void> {
  for (let i = 0; i < 3; i++) await Promise.resolve();
}

/** Proves `pending` is still blocked before `release` and settles after it. */
async function assertBlocksUntil(
  pending: Promise<unknown>,
  release: () => void,
): Promise<void> {
  let blocked = true;
  const settled = pending.then(() => (blocked = false));
  await flush();
  assert.equal(blocked, true, "the waiter ran before the release");
  release();
  await settled;
  assert.equal(blocked, false);
}

/** A signal whose listeners are counted: added, removed and still attached. */
function countedSignal(): {
  controller: AbortController;
  signal: AbortSignal;
  live: Set<unknown>;
  added: { listener: unknown; once: boolean }[];
} {
  const controller = new AbortController();
  const signal = controller.signal;
  const live = new Set<unknown>();
  const added: { listener: unknown; once: boolean }[] = [];
  // Loose types on purpose: Deno's and Node's `Event` declarations differ,
  // and the semaphore only ever passes plain functions.
  type Listener = (event: unknown) => void;
  const add = signal.addEventListener.bind(signal) as (
    type: string,
    listener: Listener,
    options?: AddEventListenerOptions,
  ) => void;
  const remove = signal.removeEventListener.bind(signal) as (
    type: string,
    listener: Listener,
  ) => void;
  const wrappers = new Map<Listener, Listener>();
  const addCounted = (
    type: string,
    listener: Listener,
    options?: AddEventListenerOptions,
  ) => {
    const once = options?.once === true;
    added.push({ listener, once });
    live.add(listener);
    const wrapper: Listener = (event) => {
      if (once) live.delete(listener);
      listener(event);
    };
    wrappers.set(listener, wrapper);
    add(type, wrapper, options);
  };
  const removeCounted = (type: string, listener: Listener) => {
    live.delete(listener);
    remove(type, wrappers.get(listener) ?? listener);
  };
  signal.addEventListener =
    addCounted as unknown as typeof signal.addEventListener;
  signal.removeEventListener =
    removeCounted as unknown as typeof signal.removeEventListener;
  return { controller, signal, live, added };
}

/** mulberry32: a small seeded generator, so a failing run can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("Semaphore", () => {
  it("rejects a max that is not a positive integer, naming the option and value", () => {
    for (const max of [0, -1, 1.5, NaN, Infinity, "2"]) {
      assert.throws(
        () => new Semaphore(max as number),
        (error: unknown) => {
          assert.ok(error instanceof RangeError);
          assert.match(error.message, /'max'/);
          assert.ok(
            error.message.endsWith(`received ${String(max)}`),
            error.message,
          );
          return true;
        },
      );
    }
  });

  it("starts with max permits available and no waiters", () => {
    const semaphore = new Semaphore(3);
    assert.equal(semaphore.max, 3);
    assert.equal(semaphore.available, 3);
    assert.equal(semaphore.waiting, 0);
    assert.equal(new Semaphore().max, 1);
  });

  it("hands out permits without waiting while some are available", async () => {
    const semaphore = new Semaphore(2);
    await semaphore.acquire();
    await semaphore.acquire();
    assert.equal(semaphore.available, 0);
    assert.equal(semaphore.waiting, 0);
  });

  it("keeps a waiter blocked until a permit is released, then runs it", async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    const waiter = semaphore.acquire();
    assert.equal(semaphore.waiting, 1);
    await assertBlocksUntil(waiter, () => semaphore.release());
    assert.equal(semaphore.waiting, 0);
    assert.equal(semaphore.available, 0);
  });

  it("wakes waiters in the order they arrived", async () => {
    const semaphore = new Semaphore(2);
    await semaphore.acquire();
    await semaphore.acquire();
    const order: number[] = [];
    const waiters = Array.from(
      { length: 20 },
      (_, i) => semaphore.acquire().then(() => order.push(i)),
    );
    assert.equal(semaphore.waiting, 20);
    for (let i = 0; i < 20; i++) {
      semaphore.release();
      await flush();
      assert.deepEqual(order, Array.from({ length: i + 1 }, (_, j) => j));
    }
    await Promise.all(waiters);
    assert.equal(semaphore.available, 0);
  });

  it("lets tryAcquire take a free permit and refuse when none is free", () => {
    const semaphore = new Semaphore(2);
    assert.equal(semaphore.tryAcquire(), true);
    assert.equal(semaphore.tryAcquire(), true);
    assert.equal(semaphore.tryAcquire(), false);
    assert.equal(semaphore.available, 0);
    semaphore.release();
    assert.equal(semaphore.tryAcquire(), true);
  });

  it("never lets tryAcquire overtake a waiter", async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    let woken = false;
    const waiter = semaphore.acquire().then(() => (woken = true));
    semaphore.release();
    assert.equal(semaphore.tryAcquire(), false);
    await waiter;
    assert.equal(woken, true);
  });

  it("throws a RangeError on a release without a matching acquire and stays usable", async () => {
    const semaphore = new Semaphore(2);
    assert.throws(() => semaphore.release(), {
      name: "RangeError",
      message: "Cannot release Semaphore: all 2 permits are already available",
    });
    assert.equal(semaphore.available, 2);
    await semaphore.acquire();
    semaphore.release();
    assert.throws(() => semaphore.release(), RangeError);
    assert.equal(semaphore.available, 2);
  });

  it("rejects with the reason of an already aborted signal and takes no permit", async () => {
    const semaphore = new Semaphore(1);
    const reason = new Error("stop");
    await assert.rejects(
      semaphore.acquire({ signal: AbortSignal.abort(reason) }),
      (error) => error === reason,
    );
    assert.equal(semaphore.available, 1);
  });

  it("removes an aborted waiter from the queue without leaking a permit", async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    const first = countedSignal();
    const aborted = semaphore.acquire({ signal: first.signal });
    const order: string[] = [];
    const second = semaphore.acquire().then(() => order.push("second"));
    assert.equal(semaphore.waiting, 2);
    const reason = new DOMException("gave up", "AbortError");
    first.controller.abort(reason);
    await assert.rejects(aborted, (error) => error === reason);
    assert.equal(semaphore.waiting, 1);
    assert.deepEqual(first.added.map((entry) => entry.once), [true]);
    assert.equal(first.live.size, 0, "the abort listener is still attached");

    await assertBlocksUntil(second, () => semaphore.release());
    assert.deepEqual(order, ["second"]);
    semaphore.release();
    assert.equal(semaphore.available, 1);
    assert.throws(() => semaphore.release(), RangeError);
  });

  it("removes its abort listener when a waiter gets its permit", async () => {
    const semaphore = new Semaphore(1);
    await semaphore.acquire();
    const counted = countedSignal();
    const waiter = semaphore.acquire({ signal: counted.signal });
    assert.equal(counted.live.size, 1);
    semaphore.release();
    await waiter;
    assert.equal(counted.live.size, 0, "the abort listener is still attached");
    counted.controller.abort();
    assert.equal(
      semaphore.available,
      0,
      "a late abort changed the permit count",
    );
    semaphore.release();
    assert.equal(semaphore.available, 1);
  });

  it("adds no listener when a permit is free", async () => {
    const semaphore = new Semaphore(1);
    const counted = countedSignal();
    await semaphore.acquire({ signal: counted.signal });
    assert.equal(counted.added.length, 0);
  });

  it("keeps permits and waiters consistent under random acquires, aborts and releases", async () => {
    const seeds = [1, 2, 3, (Date.now() ^ 0x5bd1e995) >>> 0];
    for (const seed of seeds) {
      try {
        await randomRun(seed);
      } catch (error) {
        // The seed makes the failing interleaving reproducible.
        console.error(`Semaphore random run failed with seed ${seed}`);
        throw error;
      }
    }
  });
});

type State = "pending" | "resolved" | "rejected";

interface Call {
  id: number;
  state: State;
  controller: AbortController;
  counted: ReturnType<typeof countedSignal>;
}

async function randomRun(seed: number): Promise<void> {
  const next = random(seed);
  const max = 1 + Math.floor(next() * 4);
  const semaphore = new Semaphore(max);
  let held = 0; // permits granted and not yet released (the model)
  const queue: Call[] = []; // waiting calls, oldest first (the model)
  const granted: Call[] = [];
  const aborted: Call[] = [];
  let ids = 0;

  const check = async (step: number) => {
    const where = `seed ${seed}, step ${step}`;
    assert.equal(semaphore.available, max - held, `available at ${where}`);
    assert.equal(semaphore.waiting, queue.length, `waiting at ${where}`);
    assert.ok(
      queue.length === 0 || semaphore.available === 0,
      `waiters beside a free permit at ${where}`,
    );
    await flush();
    for (const call of queue) {
      assert.equal(call.state, "pending", `queued #${call.id} at ${where}`);
    }
    for (const call of granted) {
      assert.equal(call.state, "resolved", `granted #${call.id} at ${where}`);
      assert.equal(
        call.counted.live.size,
        0,
        `listener left on #${call.id} at ${where}`,
      );
    }
    for (const call of aborted) {
      assert.equal(call.state, "rejected", `aborted #${call.id} at ${where}`);
      assert.equal(
        call.counted.live.size,
        0,
        `listener left on #${call.id} at ${where}`,
      );
    }
  };

  for (let step = 0; step < 400; step++) {
    const roll = next();
    if (roll < 0.4) {
      const counted = countedSignal();
      const call: Call = {
        id: ids++,
        state: "pending",
        controller: counted.controller,
        counted,
      };
      semaphore.acquire({ signal: counted.signal }).then(
        () => (call.state = "resolved"),
        () => (call.state = "rejected"),
      );
      if (held < max) {
        held++;
        granted.push(call);
      } else {
        queue.push(call);
      }
    } else if (roll < 0.55) {
      if (semaphore.tryAcquire()) held++;
      else {assert.equal(
          held,
          max,
          `tryAcquire refused a free permit (seed ${seed}, step ${step})`,
        );}
    } else if (roll < 0.75) {
      if (queue.length > 0) {
        const [call] = queue.splice(Math.floor(next() * queue.length), 1);
        call.controller.abort(new Error(`abort #${call.id}`));
        aborted.push(call);
      }
    } else if (held > 0) {
      semaphore.release();
      const woken = queue.shift();
      if (woken === undefined) held--;
      else granted.push(woken);
    }
    await check(step);
  }

  for (const call of queue.splice(0)) {
    call.controller.abort();
    aborted.push(call);
  }
  while (held > 0) {
    semaphore.release();
    held--;
  }
  await check(-1);
  assert.equal(semaphore.available, max);
}
