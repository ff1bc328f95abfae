/**
 * A bounded soak of the pool against a faulty connector (the long form is
 * `deno task soak`). SOAK_SECONDS sets phase 1's length (default 20 s on
 * Deno, 5 s on Node and Bun, where the suite runs compiled on a 2-core CI
 * machine), SOAK_CALLERS the concurrent callers (10,000), SOAK_SEED the seed
 * (random, printed).
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { ConnectionPool } from "../src/pool/connection_pool.ts";
import type { GetOptions } from "../src/pool/options.ts";
import type { Lease } from "../src/pool/lease.ts";
import {
  formatProfileReport,
  formatSoakReport,
  type ProfileConfig,
  type ProfileName,
  runProfile,
  runSoak,
} from "../scripts/soak/soak.ts";

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be a positive number: received ${raw}`);
  }
  return value;
}

const isDeno = "Deno" in globalThis;
const seconds = envNumber("SOAK_SECONDS", isDeno ? 20 : 5);
const callers = envNumber("SOAK_CALLERS", 10_000);
const seed = envNumber("SOAK_SEED", Math.floor(Math.random() * 2 ** 31));

describe("pool soak", () => {
  it(
    `keeps every promise through ${seconds} s of ${callers} callers against a faulty connector`,
    { timeout: (seconds + 90) * 1000 },
    async () => {
      const report = await runSoak({ seconds, callers, seed });
      console.log(formatSoakReport(report));
      assert.deepEqual(report.violations, [], `seed ${seed}`);
      assert.equal(report.settled, report.calls);
      assert.ok(report.calls > callers, "every caller made at least one call");
      // Some callers are served, unless every open the pool may have running
      // at once (twice maxConcurrentCreates, hedged ones included) hung
      // before the first success: then the pool waits for one to end, and
      // every caller of a short run gets a typed error by its deadline.
      if ((report.outcomes.ok ?? 0) === 0) {
        assert.equal(report.statsAfterClose?.connectionsCreated, 0);
        assert.ok(
          report.faults.hangs >= 2,
          `nobody served, ${report.faults.hangs} hung opens (seed ${seed})`,
        );
      }
      assert.ok(report.faults.total > 0, "faults were injected");
      const closed = report.statsAfterClose!;
      assert.equal(closed.connectionsCreated, closed.connectionsClosed);
      assert.equal(report.connector.open, 0);
      assert.ok(report.maxOpen <= report.config.maxSize);
      assert.ok(report.maxCallersOnOne <= report.config.clientLimit);
    },
  );

  // Short runs of the fault profiles of `deno task soak --profile`: nothing
  // lost (the served shares and timings are for the long runs to report).
  const short: Record<ProfileName, Partial<ProfileConfig>> = {
    flaky: { callers: 300, overSeconds: 0.3 },
    hung: { callers: 300, overSeconds: 0.5 },
    chaos: { callers: 300, overSeconds: 0.3 },
    outage: {
      callers: 600,
      overSeconds: 0.6,
      downAtSeconds: 0.1,
      upAtSeconds: 0.3,
    },
  };
  for (const [profile, overrides] of Object.entries(short)) {
    it(`keeps every promise in a short run of the ${profile} profile`, async () => {
      const report = await runProfile(profile as ProfileName, {
        ...overrides,
        seed,
      });
      console.log(formatProfileReport(report));
      assert.deepEqual(report.violations, [], `seed ${seed}`);
      const settled = Object.values(report.outcomes).reduce((a, b) => a + b);
      assert.equal(settled, report.config.callers);
      // Some callers are served, unless every open the pool may have running
      // at once (twice maxConcurrentCreates, hedged ones included) hung
      // before the first success: then the pool waits for one to end, and
      // every caller of a short run gets a typed error by its deadline.
      if ((report.outcomes.ok ?? 0) === 0) {
        assert.equal(report.statsAfterClose?.connectionsCreated, 0);
        assert.ok(
          report.faults.hangs >= 2,
          `nobody served, ${report.faults.hangs} hung opens (seed ${seed})`,
        );
      }
      assert.equal(report.connector.open, 0);
      assert.equal(
        report.statsAfterClose?.connectionsCreated,
        report.statsAfterClose?.connectionsClosed,
      );
    });
  }

  // The checks must be able to fail: each broken pool below breaks one promise.
  const broken: Array<[string, typeof ConnectionPool, RegExp]> = [
    [
      "a pool whose close() leaves connections open",
      class<C> extends ConnectionPool<C> {
        override close(): Promise<void> {
          return Promise.resolve();
        }
      },
      /created \d+ but closed \d+/,
    ],
    [
      "a pool that rejects some callers with an untyped error",
      class<C> extends ConnectionPool<C> {
        #n = 0;
        override get(options?: GetOptions): Promise<Lease<C>> {
          if (++this.#n % 100 === 0) {
            return Promise.reject(new Error("oops"));
          }
          return super.get(options);
        }
      },
      /untyped error: Error: oops/,
    ],
  ];
  for (const [what, poolClass, expected] of broken) {
    it(`catches ${what}`, async () => {
      const report = await runSoak(
        { seconds: 0.5, callers: 300, closeCallers: 200, seed: 7 },
        { poolClass },
      );
      assert.ok(
        report.violations.some((v) => expected.test(v)),
        formatSoakReport(report),
      );
    });
  }
});
