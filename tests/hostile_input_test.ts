/**
 * Hostile input: every option fuzzed at construction, connectors that
 * misbehave in every way a JavaScript function can, and misuse of leases and
 * of a closed pool. After each misbehaviour the pool must still serve a
 * well-behaved caller and close every connection exactly once.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConnectionPool } from "../src/pool/connection_pool.ts";
import type { Connector } from "../src/pool/connector.ts";
import {
  ConnectionFailed,
  ConnectionsExhausted,
  PoolClosed,
} from "../src/pool/errors.ts";
import type { ConnectionPoolOptions, PoolLogger } from "../src/pool/options.ts";
import { FakeClock, flushMicrotasks } from "../src/testing/fake_clock.ts";
import { ManagedCosmos } from "../src/cosmos/mod.ts";
import { ManagedServiceBusSender } from "../src/service_bus/mod.ts";
import { ManagedEventHubProducer } from "../src/event_hubs/mod.ts";
import { track } from "./_connectors.ts";

// ---- option fuzzing ----------------------------------------------------------

type Kind =
  | "count"
  | "countOrZero"
  | "seconds"
  | "fraction"
  | "function"
  | "logger"
  | "meter"
  | "clock"
  | "name";

const OPTIONS: Record<keyof ConnectionPoolOptions, Kind> = {
  clientLimit: "count",
  maxSize: "count",
  minReady: "countOrZero",
  maxConcurrentCreates: "count",
  maxIdleSeconds: "seconds",
  maxLifespanSeconds: "seconds",
  acquireTimeoutSeconds: "seconds",
  maxWaitingCallers: "countOrZero",
  createTimeoutSeconds: "seconds",
  initialBackoffSeconds: "seconds",
  maxBackoffSeconds: "seconds",
  breakerOpenAfterSeconds: "seconds",
  breakerMinimumFailures: "count",
  breakerProbeSeconds: "seconds",
  lifespanJitter: "fraction",
  isConnectionError: "function",
  logger: "logger",
  meter: "meter",
  name: "name",
  clock: "clock",
};

const noop = () => {};
const validLogger: PoolLogger = {
  error: noop,
  warning: noop,
  info: noop,
  verbose: noop,
};

/** The hostile values, each with a label for the test name. */
const VALUES: Array<[string, unknown]> = [
  ["0", 0],
  ["-0", -0],
  ["-1", -1],
  ["NaN", NaN],
  ["Infinity", Infinity],
  ["-Infinity", -Infinity],
  ["1.5", 1.5],
  ['"10"', "10"],
  ['""', ""],
  ["null", null],
  ["true", true],
  ["1e9", 1e9],
  ["2 ** 53", 2 ** 53],
  ["Number.MAX_VALUE", Number.MAX_VALUE],
  ["10n", 10n],
  ["{}", {}],
  ["[]", []],
  ["a function", () => 1],
  ["a symbol", Symbol("x")],
];

/** Whether `value` is acceptable for an option of `kind` set alone. */
function accepts(option: string, kind: Kind, value: unknown): boolean {
  switch (kind) {
    case "count":
      return typeof value === "number" && Number.isSafeInteger(value) &&
        value >= 1 &&
        // maxConcurrentCreates may not exceed the default maxSize of 10
        (option !== "maxConcurrentCreates" || value <= 10);
    case "countOrZero":
      return typeof value === "number" && Number.isSafeInteger(value) &&
        value >= 0 &&
        // minReady may not exceed the default maxSize of 10
        (option !== "minReady" || value <= 10);
    case "seconds":
      // maxIdleSeconds: Infinity never retires a connection for idleness.
      if (option === "maxIdleSeconds" && value === Infinity) return true;
      return typeof value === "number" && Number.isFinite(value) &&
        value > 0 && value * 1000 <= 2 ** 31 - 1 &&
        // maxBackoffSeconds may not be below the default initialBackoffSeconds of 0.01
        (option !== "maxBackoffSeconds" || value >= 0.01);
    case "fraction":
      return typeof value === "number" && value >= 0 && value < 1;
    case "function":
      return typeof value === "function";
    case "name":
      return typeof value === "string" && value !== "";
    case "logger":
    case "meter":
    case "clock":
      return false; // none of the hostile values has the methods
  }
}

const connector = (): Connector<object> => ({
  create: () => Promise.resolve({}),
  ready: () => Promise.resolve(true),
  close: () => Promise.resolve(),
});

describe("ConnectionPool option fuzzing", () => {
  for (
    const [option, kind] of Object.entries(OPTIONS) as Array<[string, Kind]>
  ) {
    for (const [label, value] of VALUES) {
      const ok = accepts(option, kind, value);
      it(`${ok ? "accepts" : "refuses"} ${option}: ${label}`, async () => {
        const build = () =>
          new ConnectionPool(connector(), {
            [option]: value,
          } as ConnectionPoolOptions);
        if (ok) {
          await build().close();
          return;
        }
        assert.throws(build, (error: Error) => {
          assert.ok(
            error instanceof RangeError || error instanceof TypeError,
            `${option}: ${label} threw ${error}`,
          );
          assert.ok(
            error.message.includes(`'${option}'`),
            `the message names the option: ${error.message}`,
          );
          return true;
        });
      });
    }
  }

  it(
    "uses TypeError for a value of the wrong type, RangeError only for a number out of range",
    () => {
      for (
        const [option, kind] of Object.entries(OPTIONS) as Array<[string, Kind]>
      ) {
        for (const [label, value] of VALUES) {
          if (accepts(option, kind, value)) continue;
          let thrown: unknown;
          try {
            new ConnectionPool(connector(), {
              [option]: value,
            } as ConnectionPoolOptions);
          } catch (error) {
            thrown = error;
          }
          const numeric = kind === "count" || kind === "countOrZero" ||
            kind === "seconds" || kind === "fraction";
          const expected = numeric && typeof value === "number"
            ? RangeError
            : TypeError;
          assert.ok(
            thrown instanceof expected,
            `${option}: ${label} should throw ${expected.name}, threw ${thrown}`,
          );
        }
      }
    },
  );

  it("accepts every option at a valid value together", async () => {
    const pool = new ConnectionPool(connector(), {
      clientLimit: 1,
      maxSize: 1,
      minReady: 1,
      maxConcurrentCreates: 1,
      maxIdleSeconds: 0.001,
      maxLifespanSeconds: 2147483,
      acquireTimeoutSeconds: 1.5,
      maxWaitingCallers: 0,
      createTimeoutSeconds: 1.5,
      initialBackoffSeconds: 0.001,
      maxBackoffSeconds: 0.001,
      breakerOpenAfterSeconds: 0.001,
      breakerMinimumFailures: 1,
      breakerProbeSeconds: 0.001,
      lifespanJitter: 0,
      isConnectionError: () => false,
      logger: validLogger,
      meter: {
        createCounter: () => ({ add: noop }),
        createUpDownCounter: () => ({ add: noop }),
        createHistogram: () => ({ record: noop }),
      },
      name: "fuzz",
      clock: new FakeClock(),
    });
    await pool.close();
  });

  it("refuses unknown keys by name, own and inherited-looking alike", () => {
    const unknown: unknown[] = [
      { maxsize: 1 },
      { clientlimit: 1 },
      { timeout: 1 },
      { acquireTimeoutMs: 1 },
      { "": 1 },
      { constructor: 1 },
      { toString: 1 },
      JSON.parse('{"__proto__": {"clientLimit": 0}}'),
    ];
    for (const options of unknown) {
      const key = Object.keys(options as object)[0];
      assert.throws(
        () => new ConnectionPool(connector(), options as ConnectionPoolOptions),
        (error: Error) =>
          error instanceof TypeError && error.message.includes(`'${key}'`),
        `key ${JSON.stringify(key)}`,
      );
    }
  });

  it("reads an inherited option and checks it like an own one", () => {
    const options = Object.create({ clientLimit: 0 });
    assert.throws(
      () => new ConnectionPool(connector(), options),
      (error: Error) =>
        error instanceof RangeError && error.message.includes("'clientLimit'"),
    );
  });

  it("refuses options that are not an object, naming 'options'", () => {
    for (const options of [null, 5, "x", true, [], () => ({})]) {
      assert.throws(
        () =>
          new ConnectionPool(
            connector(),
            options as unknown as ConnectionPoolOptions,
          ),
        (error: Error) =>
          error instanceof TypeError && error.message.includes("'options'"),
        String(options),
      );
    }
  });

  it("refuses a connector without its three methods", () => {
    const bad: unknown[] = [
      undefined,
      null,
      "connector",
      {},
      { create: noop, ready: noop },
      { create: noop, ready: noop, close: "no" },
    ];
    for (const value of bad) {
      assert.throws(
        () => new ConnectionPool(value as Connector<object>),
        (error: Error) =>
          error instanceof TypeError && error.message.includes("'connector'"),
      );
    }
  });

  it("refuses cross-field contradictions by name", () => {
    assert.throws(
      () =>
        new ConnectionPool(connector(), {
          maxSize: 2,
          maxConcurrentCreates: 3,
        }),
      (e: Error) =>
        e instanceof RangeError && e.message.includes("'maxConcurrentCreates'"),
    );
    assert.throws(
      () =>
        new ConnectionPool(connector(), {
          initialBackoffSeconds: 2,
          maxBackoffSeconds: 1,
        }),
      (e: Error) =>
        e instanceof RangeError && e.message.includes("'maxBackoffSeconds'"),
    );
  });

  it("refuses a bad acquireTimeoutSeconds or abortSignal on get, by name, as a rejection", async () => {
    const pool = new ConnectionPool(connector(), { clock: new FakeClock() });
    for (const [label, value] of VALUES) {
      if (
        typeof value === "number" && Number.isFinite(value) && value > 0 &&
        value * 1000 <= 2 ** 31 - 1
      ) continue;
      let promise: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        promise = pool.get({ acquireTimeoutSeconds: value as number });
      }, `get({ acquireTimeoutSeconds: ${label} }) must reject, not throw`);
      await assert.rejects(
        promise!,
        (e: Error) =>
          (e instanceof RangeError || e instanceof TypeError) &&
          e.message.includes("'acquireTimeoutSeconds'"),
        label,
      );
    }
    for (const signal of ["x", 5, {}, { aborted: "no" }]) {
      await assert.rejects(
        pool.get({ abortSignal: signal as unknown as AbortSignal }),
        (e: Error) =>
          e instanceof TypeError && e.message.includes("'abortSignal'"),
      );
    }
    assert.equal(
      pool.stats().connectionsCreated,
      0,
      "no bad acquire opened anything",
    );
    await pool.close();
  });

  it(
    "refuses get and use options that are not an object or have unknown keys",
    async () => {
      const pool = new ConnectionPool(connector(), { clock: new FakeClock() });
      try {
        for (const options of [null, 5, "x", { timeout: 1 }]) {
          await assert.rejects(
            pool.get(options as never).then((lease) => lease.release()),
            (e: Error) =>
              e instanceof TypeError &&
              /^Cannot acquire a connection as '(options|timeout)'/.test(
                e.message,
              ),
            JSON.stringify(options),
          );
        }
      } finally {
        await pool.close();
      }
    },
  );

  it("refuses a bad count for warm and a bad timeoutSeconds for close, as rejections", async () => {
    const pool = new ConnectionPool(connector(), { clock: new FakeClock() });
    for (const count of [-1, 1.5, NaN, Infinity, "2", null]) {
      await assert.rejects(
        pool.warm(count as number),
        (e: Error) => e instanceof RangeError && e.message.includes("'count'"),
      );
    }
    for (const timeoutSeconds of [0, -1, NaN, Infinity, "1"]) {
      await assert.rejects(
        pool.close({ timeoutSeconds: timeoutSeconds as number }),
        (e: Error) =>
          (e instanceof RangeError || e instanceof TypeError) &&
          e.message.includes("'timeoutSeconds'"),
      );
    }
    assert.equal(pool.closed, false, "a refused close() does not close");
    await pool.close();
    assert.equal(pool.closed, true);
  });
});

// ---- managed clients' options ---------------------------------------------

const SAS =
  "Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=n;SharedAccessKey=a2V5;UseDevelopmentEmulator=true";

/** Each managed client: its constructor and options that open nothing. */
const MANAGED: Array<
  [string, new (options: never) => { close(): Promise<void> }, object]
> = [
  ["ManagedCosmos", ManagedCosmos, {
    endpoint: "https://127.0.0.1:1",
    key: "a2V5",
    databaseName: "d",
    containerName: "c",
  }],
  ["ManagedServiceBusSender", ManagedServiceBusSender, {
    connectionString: SAS,
    queueName: "q",
  }],
  ["ManagedEventHubProducer", ManagedEventHubProducer, {
    connectionString: SAS,
    eventHubName: "h",
  }],
];

/** Pool options the managed clients set themselves. */
const NOT_FORWARDED = ["isConnectionError", "logger"];

/** The pool options every managed client forwards, with their kinds. */
const MANAGED_POOL_OPTIONS: Array<[string, Kind]> = Object.entries(OPTIONS)
  .filter(([option]) => !NOT_FORWARDED.includes(option)) as Array<
    [string, Kind]
  >;

describe("managed clients' option fuzzing", () => {
  for (const [client, Client, base] of MANAGED) {
    const make = (options: unknown) => new Client(options as never);
    it(`${client} refuses every bad pool option at construction, by name, and opens nothing`, async () => {
      const refused: string[] = [];
      for (const [option, kind] of MANAGED_POOL_OPTIONS) {
        for (const [label, value] of VALUES) {
          // null has its own test below.
          if (value === null) continue;
          // The managed clients spell "no lifespan limit" as Infinity.
          const ok = accepts(option, kind, value) ||
            (option === "maxLifespanSeconds" && value === Infinity);
          let thrown: unknown;
          let made: { close(): Promise<void> } | undefined;
          try {
            made = make({ ...base, [option]: value });
          } catch (error) {
            thrown = error;
          }
          await made?.close();
          if (ok) continue;
          refused.push(`${option}: ${label}`);
          assert.ok(
            thrown instanceof RangeError || thrown instanceof TypeError,
            `${client} ${option}: ${label} threw ${String(thrown)}`,
          );
          assert.ok(
            (thrown as Error).message.startsWith(
              `Cannot create ${client} as '${option}'`,
            ),
            `${client} ${option}: ${label}: ${(thrown as Error).message}`,
          );
        }
      }
      assert.ok(refused.length > 100, `refused ${refused.length} values`);
    });

    it(
      `${client} refuses null for every pool option as ConnectionPool does`,
      async () => {
        const accepted: string[] = [];
        for (const [option] of MANAGED_POOL_OPTIONS) {
          try {
            await make({ ...base, [option]: null }).close();
            accepted.push(option);
          } catch (error) {
            assert.ok(error instanceof TypeError, String(error));
          }
        }
        assert.deepEqual(accepted, []);
      },
    );

    it(`${client} refuses options that are not an object without echoing them`, () => {
      for (const options of [undefined, null, 5, SAS]) {
        assert.throws(
          () => make(options),
          (e: Error) => e instanceof TypeError && !e.message.includes("a2V5"),
        );
      }
    });
  }
});

// ---- misbehaving connectors ---------------------------------------------------

class Conn {
  closes = 0;
  constructor(readonly id: number) {}
}

interface Misbehaviour {
  /** `self` makes well-formed connections (recorded, so closes are checked). */
  create?: (signal: AbortSignal, self: HostileConnector) => unknown;
  ready?: (conn: Conn, signal: AbortSignal) => unknown;
  close?: (conn: Conn) => unknown;
}

/**
 * A connector whose first two `create`/`ready`/`close` calls misbehave as
 * given (two, because the pool of `survive()` trips its breaker after two
 * failed opens in a row); later calls behave. Records every connection it
 * made.
 */
class HostileConnector implements Connector<Conn> {
  readonly made: Conn[] = [];
  #misbehaviour: Misbehaviour;
  #left = { create: 2, ready: 2, close: 2 };
  constructor(misbehaviour: Misbehaviour) {
    this.#misbehaviour = { ...misbehaviour };
  }
  make(): Conn {
    const conn = new Conn(this.made.length + 1);
    this.made.push(conn);
    return conn;
  }
  #hostile<K extends keyof Misbehaviour>(method: K): Misbehaviour[K] {
    if (this.#left[method] === 0) return undefined;
    this.#left[method]--;
    return this.#misbehaviour[method];
  }
  create(signal: AbortSignal): Promise<Conn> {
    const hostile = this.#hostile("create");
    if (hostile !== undefined) return hostile(signal, this) as Promise<Conn>;
    return Promise.resolve(this.make());
  }
  ready(conn: Conn, signal: AbortSignal): Promise<boolean> {
    const hostile = this.#hostile("ready");
    if (hostile !== undefined) return hostile(conn, signal) as Promise<boolean>;
    return Promise.resolve(true);
  }
  close(conn: Conn): Promise<void> {
    conn.closes++;
    const hostile = this.#hostile("close");
    if (hostile !== undefined) return hostile(conn) as Promise<void>;
    return Promise.resolve();
  }
}

/**
 * Runs one hostile scenario: the first caller meets the misbehaviour, then a
 * well-behaved caller must be served (after the backoff), and close() must
 * close every connection exactly once.
 */
async function survive(
  misbehaviour: Misbehaviour,
  firstCaller: (outcome: { value?: unknown; error?: unknown }) => void,
): Promise<HostileConnector> {
  const clock = new FakeClock();
  const hostile = new HostileConnector(misbehaviour);
  const pool = new ConnectionPool(hostile, {
    clock,
    clientLimit: 1,
    maxSize: 1, // one open at a time: the first caller meets the misbehaviour
    createTimeoutSeconds: 5,
    initialBackoffSeconds: 1,
    maxBackoffSeconds: 1,
    // Two failed opens a second apart trip the breaker: the first caller gets
    // ConnectionFailed (the test's point is that the cause arrives intact).
    breakerMinimumFailures: 2,
    breakerOpenAfterSeconds: 0.5,
    acquireTimeoutSeconds: 30,
  });
  let first: { settled: boolean; value?: unknown; error?: unknown };
  assert.doesNotThrow(() => {
    first = track(pool.use((conn) => conn.id));
  }, "use() never throws synchronously");
  // Past createTimeoutSeconds (for hangs), the backoff, and the second open.
  await clock.tickAsync(5000 + 1000 + 5000);
  assert.equal(first!.settled, true, "the first caller settled");
  firstCaller(first!);
  await clock.tickAsync(1000); // past the breaker's probe
  const served = await pool.use((conn) => conn);
  assert.ok(served instanceof Conn, "a well-behaved caller is served");
  await pool.close();
  await flushMicrotasks();
  for (const conn of hostile.made) {
    assert.equal(conn.closes, 1, `conn#${conn.id} closed exactly once`);
  }
  const stats = pool.stats();
  assert.equal(stats.size, 0);
  assert.equal(stats.activeCallers, 0);
  assert.equal(stats.connectionsCreated, stats.connectionsClosed);
  return hostile;
}

function failedWith(cause: unknown) {
  return (outcome: { error?: unknown }) => {
    assert.ok(
      outcome.error instanceof ConnectionFailed,
      `expected ConnectionFailed, got ${String(outcome.error)}`,
    );
    assert.equal((outcome.error as Error).cause, cause);
  };
}

const THROWN: Array<[string, unknown]> = [
  ["a string", "boom"],
  ["a number", 42],
  ["null", null],
  ["undefined", undefined],
  ["a plain object", { message: "not an Error" }],
  ["a symbol", Symbol("boom")],
  ["an Error", new Error("boom")],
];

describe("ConnectionPool with a connector that misbehaves", () => {
  for (const [label, thrown] of THROWN) {
    it(`survives create throwing ${label} synchronously`, async () => {
      await survive({
        create: () => {
          throw thrown;
        },
      }, failedWith(thrown));
    });
    it(`survives create rejecting with ${label}`, async () => {
      await survive(
        { create: () => Promise.reject(thrown) },
        failedWith(thrown),
      );
    });
    it(`survives ready throwing ${label} synchronously, closing that connection`, async () => {
      const hostile = await survive({
        ready: () => {
          throw thrown;
        },
      }, failedWith(thrown));
      assert.equal(hostile.made.length, 3, "two refused, one served");
    });
  }

  for (const [label, value] of [["undefined", undefined], ["null", null]]) {
    it(`survives create resolving ${label}`, async () => {
      await survive({ create: () => Promise.resolve(value) }, (outcome) => {
        assert.ok(outcome.error instanceof ConnectionFailed);
        assert.ok((outcome.error as Error).cause instanceof TypeError);
      });
    });
  }

  it("accepts create returning a connection rather than a promise", async () => {
    await survive({
      create: (_signal, self) => self.make(),
    }, (outcome) => assert.equal(outcome.value, 1));
  });

  for (
    const [label, answer] of [
      ["1", 1],
      ['"true"', "true"],
      ["{}", {}],
      ["null", null],
      ["a promise of a promise of 1", Promise.resolve(Promise.resolve(1))],
    ] as Array<[string, unknown]>
  ) {
    it(`treats ready answering ${label} as a failed open and closes that connection`, async () => {
      await survive({ ready: () => Promise.resolve(answer) }, (outcome) => {
        assert.ok(outcome.error instanceof ConnectionFailed);
      });
    });
  }

  it("treats ready resolving undefined (a Promise<void>) as ready", async () => {
    await survive({ ready: () => Promise.resolve(undefined) }, (outcome) => {
      assert.equal(outcome.value, 1, "the first connection served the caller");
    });
  });

  it("counts only the first callback of a thenable that calls back twice", async () => {
    const other = new Conn(99);
    await survive({
      create: (_signal, self) => ({
        then(resolve: (c: Conn) => void, reject: (e: unknown) => void) {
          resolve(self.make());
          resolve(other);
          reject(new Error("and a rejection"));
        },
      }),
    }, (outcome) => assert.equal(outcome.value, 1));
    assert.equal(other.closes, 0, "the second value is ignored");
  });

  it("counts only the first callback of a thenable that rejects then resolves", async () => {
    const cause = new Error("first");
    const ignored = new Conn(99);
    await survive({
      create: () => ({
        then(resolve: (c: Conn) => void, reject: (e: unknown) => void) {
          reject(cause);
          resolve(ignored);
        },
      }),
    }, failedWith(cause));
    assert.equal(ignored.closes, 0, "no close for a value never taken");
  });

  it("ignores a ready that answers true twice after a false", async () => {
    await survive({
      ready: () => ({
        then(resolve: (ok: boolean) => void) {
          resolve(false);
          resolve(true);
          resolve(true);
        },
      }),
    }, (outcome) => assert.ok(outcome.error instanceof ConnectionFailed));
  });

  it("closes exactly once a connection that create delivers after its open was abandoned", async () => {
    const clock = new FakeClock();
    let deliver: () => void = () => {};
    let creates = 0;
    const hostile = new HostileConnector({
      // The first ignores its abort signal and resolves only when the test
      // says so; the next behaves.
      create: (_signal, self) =>
        ++creates === 1
          ? new Promise((resolve) => (deliver = () => resolve(self.make())))
          : Promise.resolve(self.make()),
    });
    const pool = new ConnectionPool(hostile, {
      clock,
      maxSize: 1,
      createTimeoutSeconds: 5,
    });
    const first = track(pool.use((conn) => conn.id));
    await clock.tickAsync(5000);
    assert.equal(first.settled, false, "one failed open: the caller waits");
    assert.equal(
      pool.stats().size,
      1,
      "an abandoned create still counts against maxSize: it may yet deliver",
    );
    assert.equal(creates, 1, "so no second open starts");
    deliver();
    await flushMicrotasks();
    assert.equal(hostile.made[0].closes, 1, "the late connection is closed");
    await clock.tickAsync(1000); // past the backoff: the caller's open
    assert.equal(first.value, 2);
    await pool.close();
    assert.deepEqual(hostile.made.map((c) => c.closes), [1, 1]);
    assert.equal(
      pool.stats().connectionsCreated,
      pool.stats().connectionsClosed,
    );
  });

  it("closes the pool although a create never settles", async () => {
    const clock = new FakeClock();
    const pool = new ConnectionPool(
      new HostileConnector({ create: () => new Promise(() => {}) }),
      { clock },
    );
    const caller = track(pool.get());
    await flushMicrotasks();
    const closing = track(pool.close());
    await flushMicrotasks();
    assert.equal(closing.settled, true);
    assert.ok(caller.error instanceof PoolClosed);
  });

  for (const [label, thrown] of THROWN) {
    it(`survives close throwing ${label} synchronously`, async () => {
      await survive({
        close: () => {
          throw thrown;
        },
      }, (outcome) => assert.equal(outcome.value, 1));
    });
  }

  it("survives close rejecting, and logs no secret-bearing value", async () => {
    const lines: string[] = [];
    const log = (...args: unknown[]) =>
      void lines.push(args.map(String).join(" "));
    const pool = new ConnectionPool(
      new HostileConnector({
        close: () => Promise.reject("SharedAccessKey=abc"),
      }),
      {
        clock: new FakeClock(),
        logger: { error: log, warning: log, info: log, verbose: log },
      },
    );
    await pool.use(() => {});
    await pool.close();
    assert.equal(pool.stats().connectionsClosed, 1);
    assert.ok(lines.every((line) => !line.includes("abc")), lines.join("\n"));
  });

  it(
    "fails callers fast even when the connector's error has a throwing message getter",
    async () => {
      const evil = new Error("evil");
      Object.defineProperty(evil, "message", {
        get() {
          throw new Error("gotcha");
        },
      });
      await survive({ create: () => Promise.reject(evil) }, failedWith(evil));
    },
  );

  it(
    "keeps serving and closing when the logger throws",
    async () => {
      const boom = () => {
        throw new Error("logger down");
      };
      const pool = new ConnectionPool(new HostileConnector({}), {
        clock: new FakeClock(),
        logger: { error: boom, warning: boom, info: boom, verbose: boom },
      });
      assert.equal(await pool.use((conn) => conn.id), 1);
      await pool.close();
      assert.equal(pool.stats().connectionsClosed, 1);
    },
  );

  it(
    "resolves close({ timeoutSeconds }) although a connector's close never settles",
    async () => {
      const clock = new FakeClock();
      const pool = new ConnectionPool(
        new HostileConnector({ close: () => new Promise(() => {}) }),
        { clock },
      );
      await pool.use(() => {});
      const closing = track(pool.close({ timeoutSeconds: 1 }));
      await clock.tickAsync(60_000);
      assert.equal(closing.settled, true);
    },
  );
});

// ---- misuse ------------------------------------------------------------------

describe("ConnectionPool misuse is safe", () => {
  const newPool = (options: ConnectionPoolOptions = {}) => {
    const hostile = new HostileConnector({});
    const pool = new ConnectionPool(hostile, {
      clock: new FakeClock(),
      clientLimit: 1,
      maxSize: 1,
      ...options,
    });
    return { pool, hostile };
  };

  it("frees one place however often a lease is released, invalidated or disposed", async () => {
    const { pool } = newPool();
    const lease = await pool.get();
    lease.release();
    lease.release();
    lease.invalidate();
    await lease[Symbol.asyncDispose]();
    assert.equal(lease.released, true);
    assert.equal(pool.stats().activeCallers, 0);
    const a = await pool.get();
    const b = track(pool.get());
    await flushMicrotasks();
    assert.equal(b.settled, false, "clientLimit 1 still holds: no extra place");
    a.release();
    await flushMicrotasks();
    assert.equal(b.settled, true);
    (b.value as { release(): void }).release();
    await pool.close();
  });

  it("does not close a connection again when invalidate follows release", async () => {
    const { pool, hostile } = newPool();
    const lease = await pool.get();
    lease.invalidate();
    lease.invalidate();
    lease.release();
    await flushMicrotasks();
    assert.equal(hostile.made[0].closes, 1);
    await pool.close();
    assert.equal(hostile.made[0].closes, 1);
  });

  it("refuses use, get and warm after close with PoolClosed, without calling fn", async () => {
    const { pool } = newPool();
    await pool.close();
    let called = false;
    await assert.rejects(pool.use(() => (called = true)), PoolClosed);
    await assert.rejects(pool.get(), PoolClosed);
    await assert.rejects(pool.warm(1), PoolClosed);
    assert.equal(called, false);
  });

  it("returns the same promise from close twice, and from asyncDispose", async () => {
    const { pool, hostile } = newPool();
    await pool.use(() => {});
    const first = pool.close();
    assert.equal(pool.close(), first);
    assert.equal(pool.close({ timeoutSeconds: 1 }), first);
    await pool[Symbol.asyncDispose]();
    await first;
    assert.equal(hostile.made[0].closes, 1);
  });

  it("lets a caller release a lease whose connection close() took from under it", async () => {
    const clock = new FakeClock();
    const { pool, hostile } = newPool({ clock });
    const lease = await pool.get();
    const closing = track(pool.close({ timeoutSeconds: 1 }));
    await clock.tickAsync(1000);
    assert.equal(closing.settled, true);
    assert.equal(hostile.made[0].closes, 1);
    lease.release();
    lease.invalidate();
    await flushMicrotasks();
    assert.equal(hostile.made[0].closes, 1, "no second close");
    const stats = pool.stats();
    assert.equal(stats.activeCallers, 0);
    assert.equal(stats.size, 0);
  });

  it("rejects use with a non-function fn as a TypeError and releases the lease", async () => {
    const { pool } = newPool();
    await assert.rejects(pool.use(5 as never), TypeError);
    assert.equal(pool.stats().activeCallers, 0);
    await pool.close();
  });

  it("re-throws non-Error values from fn unchanged and keeps the connection", async () => {
    const { pool, hostile } = newPool({
      isConnectionError: () => {
        throw new Error("classifier down");
      },
    });
    for (const thrown of ["x", 0, null, undefined]) {
      await assert.rejects(
        pool.use(() => {
          throw thrown;
        }),
        (e: unknown) => e === thrown,
      );
    }
    assert.equal(
      hostile.made.length,
      1,
      "a throwing classifier means 'not broken'",
    );
    await pool.close();
  });

  it("gives a caller ConnectionsExhausted, not a hang, when every place is held", async () => {
    const clock = new FakeClock();
    const { pool } = newPool({ clock, acquireTimeoutSeconds: 2 });
    const held = await pool.get();
    const waiter = track(pool.get());
    await clock.tickAsync(2000);
    assert.ok(waiter.error instanceof ConnectionsExhausted);
    held.release();
    await pool.close();
  });
});
