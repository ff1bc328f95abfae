/**
 * `deno task bench:micro`: the pool's hot path against its floor and its
 * peers. Each iteration runs a fixed batch of 20,000 cycles (acquire, one
 * `await`, release) spread over 1, 100 or 10,000 loops at once, through:
 * a bare semaphore of 1,000 permits (the baseline of each group),
 * `ConnectionPool` at 10 connections x 100 callers (`use()` and `get()`),
 * and `generic-pool` and `tarn` with 1,000 pre-created resources, so that
 * total capacity is equal. Setting up and closing each subject is outside
 * the timed part. `deno task bench --micro` prints the same comparison as
 * ratios to the semaphore, with the goals checked.
 *
 * @module
 */

import { BATCH_OPS, CONCURRENCIES, runBatch, SUBJECTS } from "./micro.ts";

for (const concurrency of CONCURRENCIES) {
  for (const [index, subject] of SUBJECTS.entries()) {
    Deno.bench({
      name: subject.name,
      group: `concurrency ${concurrency}`,
      baseline: index === 0,
      // Fixed counts keep the whole task under two minutes on a 2-core machine.
      n: concurrency === 10_000
        ? Math.ceil(subject.iterations / 2)
        : subject.iterations,
      warmup: 2,
      async fn(b) {
        const open = await subject.open();
        try {
          b.start();
          await runBatch(open.cycle, concurrency, BATCH_OPS);
          b.end();
        } finally {
          await open.close();
        }
      },
    });
  }
}
