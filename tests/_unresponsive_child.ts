/**
 * The child process of tests/unresponsive_endpoints_test.ts (and of the
 * measurements in its closing note): it points one client at a port given by
 * its parent, makes a few calls, closes the client and then must exit by
 * itself. It prints one JSON line per event on stdout:
 *
 * - `{ "call": i, "ms": …, "error": { name, message, chain } }` per call
 *   (`chain`: the names and codes along `cause` and `errors`);
 * - `{ "closing": <Date.now()> }` before `close()`;
 * - `{ "closed": <Date.now()>, "ms": … }` once `close()` resolved.
 *
 * Its input is the environment variable `UNRESPONSIVE_CHILD`, a JSON
 * {@linkcode ChildSpec}. It runs on Deno (the sources) and on Node and Bun
 * (compiled to npm/tests/).
 *
 * @module
 */

import process from "node:process";

/** What the parent asks the child to do. */
export interface ChildSpec {
  /** The class to construct. */
  client:
    | "ManagedCosmos"
    | "SimpleCosmos"
    | "Cosmos"
    | "ManagedServiceBusSender"
    | "ServiceBus"
    | "ManagedEventHubProducer"
    | "EventHubProducer";
  /** The port on 127.0.0.1 (Cosmos) or localhost (AMQP over TLS). */
  port: number;
  /** Calls made at once, then the same number again one after another. */
  calls: number;
  /** The pooled clients' acquire bound, and the twins' per-call signal. */
  acquireTimeoutSeconds: number;
  /** The pooled clients' open bound (their default when absent). */
  createTimeoutSeconds?: number;
}

/** One link of an error's `cause`/`errors` chain. */
export interface ChainLink {
  name: string;
  code?: string;
  message: string;
}

/** The names, codes and messages along `cause` and `AggregateError.errors`. */
function errorChain(error: unknown, depth = 0): ChainLink[] {
  if (typeof error !== "object" || error === null || depth > 6) return [];
  const { name, code, message, cause, errors } = error as {
    name?: unknown;
    code?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  const link: ChainLink = {
    name: String(name),
    message: String(message).slice(0, 200),
  };
  if (code !== undefined) link.code = String(code);
  const links = [link, ...errorChain(cause, depth + 1)];
  if (Array.isArray(errors)) {
    for (const inner of errors) links.push(...errorChain(inner, depth + 1));
  }
  return links;
}

const KEY = "dGVzdC1rZXktbm90LWEtc2VjcmV0";

interface Client {
  call(
    options: { acquireTimeoutSeconds?: number; abortSignal?: AbortSignal },
  ): Promise<unknown>;
  close(): Promise<void>;
  pooled: boolean;
}

async function makeClient(spec: ChildSpec): Promise<Client> {
  const pool = spec.createTimeoutSeconds === undefined
    ? {}
    : { createTimeoutSeconds: spec.createTimeoutSeconds };
  const cosmos = {
    endpoint: `https://127.0.0.1:${spec.port}/`,
    databaseName: "db",
    containerName: "c",
    key: KEY,
  };
  const amqp =
    `Endpoint=sb://localhost:${spec.port};SharedAccessKeyName=k;SharedAccessKey=${KEY}`;
  switch (spec.client) {
    case "ManagedCosmos": {
      const { ManagedCosmos } = await import("../src/cosmos/mod.ts");
      const client = new ManagedCosmos({ ...cosmos, ...pool });
      return {
        pooled: true,
        call: (options) => client.use((c) => c.read(), options),
        close: () => client.close(),
      };
    }
    case "SimpleCosmos":
    case "Cosmos": {
      const { SimpleCosmos, Cosmos } = await import("../src/cosmos/mod.ts");
      const client = spec.client === "Cosmos"
        ? new Cosmos(cosmos)
        : new SimpleCosmos(cosmos);
      return {
        pooled: false,
        call: async (options) => {
          const lease = await client.getContainerClient(options);
          try {
            return await lease.client.read({
              abortSignal: options.abortSignal,
            });
          } finally {
            lease.release();
          }
        },
        close: () => client.close(),
      };
    }
    case "ManagedServiceBusSender": {
      const { ManagedServiceBusSender } = await import(
        "../src/service_bus/mod.ts"
      );
      const client = new ManagedServiceBusSender({
        connectionString: amqp,
        queueName: "q",
        ...pool,
      });
      return {
        pooled: true,
        call: (options) => client.sendBody("x", options),
        close: () => client.close(),
      };
    }
    case "ServiceBus": {
      const { ServiceBus } = await import("../src/service_bus/mod.ts");
      const client = new ServiceBus({ connectionString: amqp, queueName: "q" });
      return {
        pooled: false,
        call: (options) => client.sendBody("x", options),
        close: () => client.close(),
      };
    }
    case "ManagedEventHubProducer": {
      const { ManagedEventHubProducer } = await import(
        "../src/event_hubs/mod.ts"
      );
      const client = new ManagedEventHubProducer({
        connectionString: amqp,
        eventHubName: "hub",
        ...pool,
      });
      return {
        pooled: true,
        call: (options) => client.sendBody("x", options),
        close: () => client.close(),
      };
    }
    case "EventHubProducer": {
      const { EventHubProducer } = await import("../src/event_hubs/mod.ts");
      const client = new EventHubProducer({
        connectionString: amqp,
        eventHubName: "hub",
      });
      return {
        pooled: false,
        call: (options) => client.sendBody("x", options),
        close: () => client.close(),
      };
    }
  }
}

function print(line: unknown): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function one(client: Client, spec: ChildSpec, i: number): Promise<void> {
  const started = performance.now();
  // The twins have no acquire to bound: they get a signal with the same time.
  const options = client.pooled
    ? { acquireTimeoutSeconds: spec.acquireTimeoutSeconds }
    : {
      acquireTimeoutSeconds: spec.acquireTimeoutSeconds,
      abortSignal: AbortSignal.timeout(spec.acquireTimeoutSeconds * 1000),
    };
  try {
    await client.call(options);
    print({ call: i, ms: performance.now() - started, error: null });
  } catch (error) {
    const chain = errorChain(error);
    print({
      call: i,
      ms: Math.round(performance.now() - started),
      error: { name: chain[0]?.name, message: chain[0]?.message, chain },
    });
  }
}

// The silent endpoint never presents a certificate; a real one would.
process.env.NODE_TLS_REJECT_UNAUTHORIZED = "0";
const spec = JSON.parse(process.env.UNRESPONSIVE_CHILD ?? "") as ChildSpec;
const client = await makeClient(spec);
await Promise.all(
  Array.from({ length: spec.calls }, (_, i) => one(client, spec, i)),
);
for (let i = spec.calls; i < 2 * spec.calls; i++) {
  await one(client, spec, i);
}
const closing = Date.now();
print({ closing });
await client.close();
print({ closed: Date.now(), ms: Date.now() - closing });
