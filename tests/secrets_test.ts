/**
 * Forces the error paths of every managed client, configured once with a key
 * and once with a connection string, and checks that no secret (the key, any
 * long piece of it, the connection string, a `SharedAccessKey=` field)
 * appears in an error's message or stack, anywhere in its cause chain, in the
 * error as `util.inspect` shows it, or in any log line written meanwhile at
 * the verbose level.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { inspect } from "node:util";
import { AzureLogger, getLogLevel, setLogLevel } from "@azure/logger";
import {
  Cosmos,
  CosmosConnector,
  ManagedCosmos,
  SimpleCosmos,
} from "../src/cosmos/mod.ts";
import {
  type CosmosTestServer,
  startCosmosServer,
} from "../src/testing/servers/cosmos_server.ts";
import { AzureNamedKeyCredential } from "@azure/core-auth";
import {
  ManagedServiceBusSender,
  ServiceBus,
  ServiceBusSenderConnector,
} from "../src/service_bus/mod.ts";
import {
  EventHubProducer,
  EventHubProducerConnector,
  ManagedEventHubProducer,
} from "../src/event_hubs/mod.ts";
import {
  type AmqpBroker,
  startAmqpBroker,
} from "../src/testing/servers/amqp_broker.ts";

/** The pool's options, which only the managed clients take. */
const POOL_KEYS = [
  "clientLimit",
  "maxSize",
  "maxIdleSeconds",
  "maxLifespanSeconds",
  "maxConcurrentCreates",
  "acquireTimeoutSeconds",
  "createTimeoutSeconds",
  "initialBackoffSeconds",
  "maxBackoffSeconds",
  "name",
  "clock",
];

/** `options` without the pool's options: what an unpooled twin accepts. */
function connectionOnly(options: unknown): never {
  if (typeof options !== "object" || options === null) return options as never;
  return Object.fromEntries(
    Object.entries(options).filter(([key]) => !POOL_KEYS.includes(key)),
  ) as never;
}

/** A base64 account key that appears nowhere else ("SecretKey-Do-Not-Leak-0123456789"). */
const COSMOS_KEY = "U2VjcmV0S2V5LURvLU5vdC1MZWFrLTAxMjM0NTY3ODk=";

/** A base64 SAS key that appears nowhere else ("SasKey-Never-Shown-9876543210"). */
const SAS_KEY = "U2FzS2V5LU5ldmVyLVNob3duLTk4NzY1NDMyMTA=";
/** Another SAS key, the wrong one for the broker ("Wrong-SasKey-Also-Secret-555"). */
const WRONG_KEY = "V3JvbmctU2FzS2V5LUFsc28tU2VjcmV0LTU1NQ==";

/** Pieces of a secret that must not appear: the whole, and 12-character windows. */
function pieces(secret: string): string[] {
  const out = new Set([secret]);
  for (let i = 0; i + 12 <= secret.length; i += 6) {
    out.add(secret.slice(i, i + 12));
  }
  return [...out];
}

/**
 * Collects the text a caller (or an operator) could see: log lines written
 * through `@azure/logger` at the verbose level, and every error a scenario
 * threw; then finds any secret in it.
 */
class SecretWatch {
  readonly lines: string[] = [];
  readonly leaks: string[] = [];
  readonly errors: string[] = [];
  #secrets: string[];
  #log: typeof AzureLogger.log | undefined;
  #level: ReturnType<typeof getLogLevel> | undefined;

  /**
   * @param keys Keys: neither they nor a 12-character piece may appear.
   * @param whole Texts that may not appear whole (connection strings).
   */
  constructor(keys: string[], whole: string[]) {
    this.#secrets = [...keys.flatMap(pieces), ...whole, "SharedAccessKey="];
  }

  start(): void {
    this.#log = AzureLogger.log;
    this.#level = getLogLevel();
    AzureLogger.log = (...args: unknown[]) => {
      this.lines.push(
        args.map((a) => typeof a === "string" ? a : inspect(a)).join(" "),
      );
    };
    setLogLevel("verbose");
  }

  stop(): void {
    AzureLogger.log = this.#log!;
    setLogLevel(this.#level);
  }

  /** Every text of an error: message, stack, code, then its causes and inner errors. */
  #texts(error: unknown, depth = 0): string[] {
    if (depth > 8) return [];
    if (typeof error !== "object" || error === null) return [String(error)];
    const e = error as {
      message?: unknown;
      stack?: unknown;
      code?: unknown;
      cause?: unknown;
      errors?: unknown;
    };
    const texts = [String(e.message), String(e.stack), String(e.code)];
    if (e.cause !== undefined) texts.push(...this.#texts(e.cause, depth + 1));
    if (Array.isArray(e.errors)) {
      for (const inner of e.errors) {
        texts.push(...this.#texts(inner, depth + 1));
      }
    }
    return texts;
  }

  /** Checks what a scenario threw (or `undefined` if it did not throw). */
  error(scenario: string, error: unknown): void {
    if (error === undefined) return;
    this.errors.push(
      `${scenario}: ${
        error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error)
      }`,
    );
    for (const text of this.#texts(error)) {
      this.#find(`${scenario} (message/cause)`, text);
    }
    this.#find(`${scenario} (inspect)`, inspect(error, { depth: 6 }));
  }

  /** Checks the log lines written so far. */
  logs(): void {
    for (const line of this.lines) this.#find("log line", line);
  }

  #find(where: string, text: string): void {
    for (const secret of this.#secrets) {
      if (text.includes(secret)) {
        const at = text.indexOf(secret);
        this.leaks.push(
          `${where}: contains ${JSON.stringify(secret.slice(0, 4))}…: ${
            text.slice(Math.max(0, at - 60), at).replace(/\s+/g, " ")
          }<secret>`,
        );
        return;
      }
    }
  }
}

/** Runs `fn` and reports what it threw (never rethrows). */
async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
    return undefined;
  } catch (error) {
    return error;
  }
}

/** A TCP server on 127.0.0.1 that accepts connections and never answers. */
async function silentServer(): Promise<
  { port: number; close(): Promise<void> }
> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port on 127.0.0.1 where nothing listens. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("SecretWatch", () => {
  it("finds a key in a nested cause, in an error's properties, in a log line, and a SharedAccessKey field", () => {
    const key = "c2VjcmV0LWZvci10aGUtd2F0Y2g=";
    const watch = new SecretWatch([key], []);
    watch.error(
      "cause",
      new Error("outer", { cause: new Error(`inner ${key}`) }),
    );
    watch.error("piece", new Error(`only part: ${key.slice(6, 20)}`));
    watch.error(
      "property",
      Object.assign(new Error("plain"), {
        request: { headers: { auth: key } },
      }),
    );
    watch.error(
      "aggregate",
      new AggregateError([new Error("Endpoint=x;SharedAccessKey=y")], "many"),
    );
    watch.error("clean", new Error("nothing here"));
    watch.lines.push(`a log line with ${key}`);
    watch.logs();
    const scenarios = new Set(
      watch.leaks.map((leak) => leak.split(/ \(|:/)[0]),
    );
    assert.deepEqual([...scenarios], [
      "cause",
      "piece",
      "property",
      "aggregate",
      "log line",
    ]);
  });
});

describe("secrets never reach errors or logs: Cosmos", () => {
  let server: CosmosTestServer;
  before(async () => {
    server = await startCosmosServer();
    await server.ensureContainer("sec", "items");
  });
  after(async () => {
    await server.close();
  });

  const connectionString = (endpoint: string) =>
    `AccountEndpoint=${endpoint}/;AccountKey=${COSMOS_KEY};`;

  for (const auth of ["key", "connectionString"] as const) {
    it(`keeps the account key out of every error and log line (auth by ${auth})`, async () => {
      const watch = new SecretWatch([COSMOS_KEY], [
        connectionString(server.endpoint),
      ]);
      const silent = await silentServer();
      const refused = await closedPort();
      const credentials = (endpoint: string) =>
        auth === "key"
          ? { endpoint, key: COSMOS_KEY }
          : { connectionString: connectionString(endpoint) };
      const base = (
        endpoint: string,
        options: Record<string, unknown> = {},
      ) => ({
        ...credentials(endpoint),
        databaseName: "sec",
        containerName: "items",
        clientOptions: {
          connectionPolicy: {
            enableEndpointDiscovery: false,
            requestTimeout: 500,
            retryOptions: { maxRetryAttemptCount: 0 },
          },
        },
        agentFactory: () => server.createAgent(),
        ...options,
      });
      const local = `https://127.0.0.1:${server.port}`;
      watch.start();
      try {
        // Construction: every kind of bad option, with the secret present.
        const constructors: Array<[string, (o: unknown) => unknown]> = [
          ["ManagedCosmos", (o) => new ManagedCosmos(o as never)],
          ["Cosmos", (o) => new Cosmos(connectionOnly(o))],
          ["SimpleCosmos", (o) => new SimpleCosmos(connectionOnly(o))],
          ["CosmosConnector", (o) => new CosmosConnector(o as never)],
        ];
        const bad: Array<[string, Record<string, unknown>]> = [
          ["key and connectionString", {
            ...base(local),
            key: COSMOS_KEY,
            connectionString: connectionString(local),
          }],
          ["a connection string in endpoint", {
            databaseName: "sec",
            containerName: "items",
            endpoint: connectionString(local),
            key: COSMOS_KEY,
          }],
          ["the key in endpoint", {
            databaseName: "sec",
            containerName: "items",
            endpoint: COSMOS_KEY,
            key: COSMOS_KEY,
          }],
          ["the key in the endpoint's password", {
            databaseName: "sec",
            containerName: "items",
            endpoint: `https://u:${encodeURIComponent(COSMOS_KEY)}@127.0.0.1:1`,
            key: COSMOS_KEY,
          }],
          ["a connection string without AccountKey", {
            databaseName: "sec",
            containerName: "items",
            connectionString:
              `AccountEndpoint=${local}/;AccountKye=${COSMOS_KEY};`,
          }],
          ["a connection string without AccountEndpoint", {
            databaseName: "sec",
            containerName: "items",
            connectionString: `AccountKey=${COSMOS_KEY};`,
          }],
          ["a connection string that is only the key", {
            databaseName: "sec",
            containerName: "items",
            connectionString: COSMOS_KEY,
          }],
          ["a number as databaseName", { ...base(local), databaseName: 5 }],
          ["the key in clientOptions", {
            ...base(local),
            clientOptions: { key: COSMOS_KEY },
          }],
          ["a bad pool option", {
            ...base(local),
            clientLimit: 0,
            maxSize: -1,
          }],
          ["a bad credential", {
            databaseName: "sec",
            containerName: "items",
            endpoint: local,
            credential: COSMOS_KEY,
          }],
        ];
        for (const [name, make] of constructors) {
          for (const [what, options] of bad) {
            const error = await thrown(() => make(options));
            if (what !== "a bad pool option" || name === "ManagedCosmos") {
              assert.ok(error instanceof Error, `${name} with ${what} threw`);
            }
            watch.error(`${name} with ${what}`, error);
          }
        }

        // Opens that fail: refused, timed out, untrusted TLS, no such container.
        const failing: Array<[string, Record<string, unknown>]> = [
          ["a refused connection", base(`https://127.0.0.1:${refused}`)],
          [
            "a server that never answers",
            base(`https://127.0.0.1:${silent.port}`, {
              createTimeoutSeconds: 0.3,
            }),
          ],
          [
            "an untrusted certificate",
            base(local, { agentFactory: undefined }),
          ],
          ["a missing container", base(local, { containerName: "missing" })],
        ];
        for (const [what, options] of failing) {
          const managed = new ManagedCosmos({
            ...options,
            initialBackoffSeconds: 0.01,
            maxBackoffSeconds: 0.01,
          } as never);
          watch.error(
            `ManagedCosmos.use with ${what}`,
            await thrown(() => managed.use((c) => c.read())),
          );
          watch.error(
            `ManagedCosmos.getContainerClient with ${what}`,
            await thrown(() => managed.getContainerClient()),
          );
          await managed.close();
          const cosmos = new Cosmos(connectionOnly(options));
          watch.error(
            `Cosmos.use with ${what}`,
            await thrown(() =>
              cosmos.use((c) =>
                c.read({ abortSignal: AbortSignal.timeout(2000) })
              )
            ),
          );
          await cosmos.close();
          const simple = new SimpleCosmos(connectionOnly(options));
          watch.error(
            `SimpleCosmos with ${what}`,
            await thrown(async () => {
              const c = await simple.getContainerClient();
              await c.client.read({ abortSignal: AbortSignal.timeout(2000) });
            }),
          );
          await simple.close();
        }

        // Errors of working clients: answers, exhaustion, aborts, a closed pool.
        const managed = new ManagedCosmos(
          { ...base(local), clientLimit: 1, maxSize: 1 } as never,
        );
        watch.error(
          "404 delete",
          await thrown(() =>
            managed.use((c) => c.item("nope", "nope").delete())
          ),
        );
        watch.error(
          "409 create",
          await thrown(async () => {
            await managed.use((c) => c.items.upsert({ id: "dup", pk: "p" }));
            await managed.use((c) => c.items.create({ id: "dup", pk: "p" }));
          }),
        );
        watch.error(
          "bad query",
          await thrown(() =>
            managed.use((c) => c.items.query("SELEKT nonsense").fetchAll())
          ),
        );
        const held = await managed.getContainerClient();
        watch.error(
          "ConnectionsExhausted",
          await thrown(() =>
            managed.use(() => {}, { acquireTimeoutSeconds: 0.05 })
          ),
        );
        watch.error(
          "aborted",
          await thrown(() =>
            managed.use(() => {}, {
              abortSignal: AbortSignal.abort(new Error("caller gave up")),
            })
          ),
        );
        held.release();
        await server.stop();
        watch.error(
          "server stopped mid-use",
          await thrown(() => managed.use((c) => c.read())),
        );
        await server.restart();
        await managed.close();
        watch.error("PoolClosed", await thrown(() => managed.use(() => {})));
      } finally {
        watch.stop();
        await silent.close();
      }
      watch.logs();
      assert.ok(
        watch.errors.length >= 50,
        `forced ${watch.errors.length} errors`,
      );
      assert.ok(watch.lines.length > 0, "verbose logging captured lines");
      assert.deepEqual(watch.leaks, [], "no secret in any error or log line");
    });
  }
});

/** A SAS connection string for a plain-AMQP broker endpoint. */
function sasConnectionString(port: number, key = SAS_KEY, entity?: string) {
  return `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=Root;SharedAccessKey=${key};UseDevelopmentEmulator=true;` +
    (entity === undefined ? "" : `EntityPath=${entity};`);
}

interface AmqpClientKind {
  service: string;
  entityOption: "queueName" | "eventHubName";
  entity: string;
  managed: (options: Record<string, unknown>) => {
    send(body: unknown, options?: Record<string, unknown>): Promise<unknown>;
    hold(): Promise<{ release(): void }>;
    close(): Promise<void>;
  };
  unpooled: (options: Record<string, unknown>) => {
    send(
      body: unknown,
      options?: { abortSignal?: AbortSignal },
    ): Promise<unknown>;
    close(): Promise<void>;
  };
  constructors: Array<[string, (options: unknown) => unknown]>;
}

const AMQP_KINDS: AmqpClientKind[] = [
  {
    service: "Service Bus",
    entityOption: "queueName",
    entity: "q",
    managed: (options) => {
      const sender = new ManagedServiceBusSender(options as never);
      return {
        send: (body, o) => sender.sendBody(body, o),
        hold: () => sender.getSender(),
        close: () => sender.close(),
      };
    },
    unpooled: (options) => {
      const bus = new ServiceBus(connectionOnly(options));
      return {
        send: (body, o) => bus.sendBody(body, o),
        close: () => bus.close(),
      };
    },
    constructors: [
      [
        "ManagedServiceBusSender",
        (o) => new ManagedServiceBusSender(o as never),
      ],
      ["ServiceBus", (o) => new ServiceBus(connectionOnly(o))],
      [
        "ServiceBusSenderConnector",
        (o) => new ServiceBusSenderConnector(o as never),
      ],
    ],
  },
  {
    service: "Event Hubs",
    entityOption: "eventHubName",
    entity: "hub",
    managed: (options) => {
      const producer = new ManagedEventHubProducer(options as never);
      return {
        send: (body, o) => producer.sendBody(body, o),
        hold: () => producer.getProducer(),
        close: () => producer.close(),
      };
    },
    unpooled: (options) => {
      const hub = new EventHubProducer(connectionOnly(options));
      return {
        send: (body, o) => hub.sendBody(body, o),
        close: () => hub.close(),
      };
    },
    constructors: [
      [
        "ManagedEventHubProducer",
        (o) => new ManagedEventHubProducer(o as never),
      ],
      ["EventHubProducer", (o) => new EventHubProducer(connectionOnly(o))],
      [
        "EventHubProducerConnector",
        (o) => new EventHubProducerConnector(o as never),
      ],
    ],
  },
];

for (const kind of AMQP_KINDS) {
  describe(`secrets never reach errors or logs: ${kind.service}`, () => {
    let broker: AmqpBroker;
    before(async () => {
      broker = await startAmqpBroker({
        keyName: "Root",
        key: SAS_KEY,
        queues: ["q"],
        eventHubs: { hub: 2 },
        maxMessageSizeBytes: 4096,
      });
    });
    after(async () => {
      await broker.stop();
    });

    for (const auth of ["connectionString", "key"] as const) {
      it(`keeps the SAS key out of every error and log line (auth by ${auth})`, async () => {
        const watch = new SecretWatch([SAS_KEY, WRONG_KEY], [
          sasConnectionString(broker.port),
        ]);
        const silent = await silentServer();
        const refused = await closedPort();
        const { entityOption, entity } = kind;
        // A key reaches the SDK as a named key credential (always TLS, so it
        // fails against the plain broker: an error path too).
        const credentials = (port: number, key = SAS_KEY) =>
          auth === "connectionString"
            ? { connectionString: sasConnectionString(port, key) }
            : {
              namespace: `127.0.0.1:${port}`,
              credential: new AzureNamedKeyCredential("Root", key),
            };
        const options = (
          port: number,
          extra: Record<string, unknown> = {},
        ) => ({
          ...credentials(port),
          [entityOption]: entity,
          clientOptions: { retryOptions: { maxRetries: 0, timeoutInMs: 1500 } },
          closeTimeoutSeconds: 1,
          createTimeoutSeconds: 2,
          initialBackoffSeconds: 0.01,
          maxBackoffSeconds: 0.01,
          ...extra,
        });
        watch.start();
        try {
          // Construction with every kind of bad option, the secret present.
          const bad: Array<[string, Record<string, unknown>]> = [
            ["a connection string and a credential", {
              ...options(broker.port),
              connectionString: sasConnectionString(broker.port),
              credential: new AzureNamedKeyCredential("Root", SAS_KEY),
            }],
            ["a connection string and a namespace", {
              connectionString: sasConnectionString(broker.port),
              namespace: "127.0.0.1",
              [entityOption]: entity,
            }],
            ["a connection string as the namespace", {
              namespace: sasConnectionString(broker.port),
              credential: new AzureNamedKeyCredential("Root", SAS_KEY),
              [entityOption]: entity,
            }],
            ["a connection string without SharedAccessKey", {
              connectionString:
                `Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=Root;SharedAccesKey=${SAS_KEY}`,
              [entityOption]: entity,
            }],
            ["a connection string without Endpoint", {
              connectionString:
                `SharedAccessKeyName=Root;SharedAccessKey=${SAS_KEY}`,
              [entityOption]: entity,
            }],
            ["a connection string that is only the key", {
              connectionString: SAS_KEY,
              [entityOption]: entity,
            }],
            ["an EntityPath that differs", {
              connectionString: sasConnectionString(
                broker.port,
                SAS_KEY,
                "other",
              ),
              [entityOption]: entity,
            }],
            ["no entity", {
              connectionString: sasConnectionString(broker.port),
            }],
            ["the key as a credential", {
              namespace: "127.0.0.1",
              credential: SAS_KEY,
              [entityOption]: entity,
            }],
            ["bad clientOptions", {
              ...options(broker.port),
              clientOptions: SAS_KEY,
            }],
            ["a bad pool option", {
              ...options(broker.port),
              clientLimit: 0,
              maxSize: -1,
            }],
            ["a bad closeTimeoutSeconds", {
              ...options(broker.port),
              closeTimeoutSeconds: -1,
            }],
          ];
          for (const [name, make] of kind.constructors) {
            for (const [what, given] of bad) {
              watch.error(
                `${name} with ${what}`,
                await thrown(() => make(given)),
              );
            }
          }

          // Opens that fail: refused, never answered, the wrong key, a missing entity.
          const failing: Array<[string, Record<string, unknown>]> = [
            ["a refused connection", options(refused)],
            [
              "a server that never answers",
              options(silent.port, { createTimeoutSeconds: 0.5 }),
            ],
            ["the wrong key", {
              ...options(broker.port),
              ...credentials(broker.port, WRONG_KEY),
            }],
            [
              "a missing entity",
              options(broker.port, { [entityOption]: "missing" }),
            ],
          ];
          for (const [what, given] of failing) {
            const managed = kind.managed(given);
            watch.error(
              `managed send with ${what}`,
              await thrown(() => managed.send({ n: 1 })),
            );
            watch.error(
              `managed hold with ${what}`,
              await thrown(() => managed.hold()),
            );
            await managed.close();
            const unpooled = kind.unpooled(given);
            watch.error(
              `unpooled send with ${what}`,
              await thrown(() =>
                // The unpooled EventHubProducer ignores retryOptions.timeoutInMs while
                // connecting to a silent server (60 s): bound it by a signal.
                unpooled.send({ n: 1 }, {
                  abortSignal: AbortSignal.timeout(2000),
                })
              ),
            );
            await unpooled.close();
          }

          // A working client's errors (with a connection string: the key path cannot connect here).
          const working = kind.managed({
            ...options(broker.port),
            connectionString: sasConnectionString(broker.port),
            namespace: undefined,
            credential: undefined,
            clientLimit: 1,
            maxSize: 1,
          });
          watch.error(
            "too large",
            await thrown(() => working.send("x".repeat(10_000))),
          );
          watch.error(
            "bad send option",
            await thrown(() =>
              working.send(1, { delaySeconds: -1, partitionKey: 1 })
            ),
          );
          const held = await working.hold();
          watch.error(
            "ConnectionsExhausted",
            await thrown(() =>
              working.send(1, { acquireTimeoutSeconds: 0.05 })
            ),
          );
          watch.error(
            "aborted",
            await thrown(() =>
              working.send(1, {
                abortSignal: AbortSignal.abort(new Error("caller gave up")),
              })
            ),
          );
          held.release();
          broker.refuseTokens = true;
          broker.dropConnections();
          watch.error(
            "dropped, then refused",
            await thrown(() => working.send(1)),
          );
          watch.error("refused again", await thrown(() => working.send(1)));
          broker.refuseTokens = false;
          await working.close();
          watch.error("PoolClosed", await thrown(() => working.send(1)));
        } finally {
          broker.refuseTokens = false;
          watch.stop();
          await silent.close();
        }
        watch.logs();
        assert.ok(
          watch.errors.length >= 40,
          `forced ${watch.errors.length} errors`,
        );
        assert.ok(watch.lines.length > 0, "verbose logging captured lines");
        assert.deepEqual(watch.leaks, [], "no secret in any error or log line");
      });
    }
  });
}
