/**
 * The mistakes a new user makes, through every managed class, against the
 * real SDKs and the local servers: a wrong key, a missing queue, hub,
 * database or container, a port nothing listens on, a wrong connection
 * string, and the SDK's own message shape. Each must fail the same way in
 * every class (the error's class and `code`, the SDK's error as `cause`, a
 * message that names the entity and the host), and fast: under 2 s with
 * the default options.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { MessagingError } from "@azure/event-hubs";
import { ServiceBusError } from "@azure/service-bus";
import { Cosmos, ManagedCosmos, SimpleCosmos } from "../src/cosmos/mod.ts";
import {
  EventHubProducer,
  ManagedEventHubProducer,
} from "../src/event_hubs/mod.ts";
import {
  ManagedServiceBus,
  ManagedServiceBusSender,
  ServiceBus,
} from "../src/service_bus/mod.ts";
import {
  AuthenticationFailed,
  ConnectionFailed,
  EntityNotFound,
  type PoolError,
} from "../src/pool/errors.ts";
import type { AmqpBroker } from "../src/testing/servers/amqp_broker.ts";
import {
  type LocalCosmos,
  startLocalCosmos,
} from "../src/testing/servers/mod.ts";
import { withBroker } from "./_broker.ts";

/** Under the default options, every mistake below fails within this. */
const FAST_MS = 2_000;

interface Failure {
  error: unknown;
  ms: number;
}

/** Runs `attempt`, which must fail; says how and how fast. */
async function failureOf(attempt: () => Promise<unknown>): Promise<Failure> {
  const started = performance.now();
  try {
    await attempt();
  } catch (error) {
    return { error, ms: performance.now() - started };
  }
  throw new assert.AssertionError({ message: "expected a failure" });
}

/** Closes everything that has a close(), whatever happened. */
async function closeAll(
  ...closables: { close(): Promise<unknown> }[]
): Promise<void> {
  await Promise.allSettled(closables.map((c) => c.close()));
}

/** The shape every configuration mistake must have. */
function assertNamed(
  label: string,
  { error, ms }: Failure,
  expected: {
    type: new (...args: never[]) => PoolError;
    code: string;
    cause: new (...args: never[]) => Error;
    names: RegExp[];
  },
): void {
  const e = error as PoolError;
  assert.ok(e instanceof expected.type, `${label}: ${String(error)}`);
  assert.equal(e.code, expected.code, label);
  assert.ok(
    e.cause instanceof expected.cause,
    `${label}: cause ${String(e.cause)}`,
  );
  assert.ok(e.message.trim().length > 0, `${label}: a message`);
  for (const name of expected.names) {
    assert.match(e.message, name, `${label}: ${e.message}`);
  }
  assert.ok(ms < FAST_MS, `${label}: failed after ${Math.round(ms)} ms`);
}

/** A port on 127.0.0.1 that nothing listens on. */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Every AMQP class, for one entity, as a user would send or receive. */
function amqpAttempts(
  broker: AmqpBroker,
  queue: string,
  hub: string,
): {
  label: string;
  run: () => Promise<unknown>;
  close: () => Promise<void>;
}[] {
  const connectionString = broker.connectionString();
  const attempts: {
    label: string;
    run: () => Promise<unknown>;
    close: () => Promise<void>;
  }[] = [];
  const add = <C extends { close(): Promise<unknown> }>(
    label: string,
    client: C,
    run: (client: C) => Promise<unknown>,
  ) =>
    attempts.push({
      label,
      run: () => run(client),
      close: () => closeAll(client),
    });
  add(
    "ManagedServiceBusSender.sendBody",
    new ManagedServiceBusSender({ connectionString, queueName: queue }),
    (c) => c.sendBody("x"),
  );
  add(
    "ManagedServiceBusSender.sendMessages",
    new ManagedServiceBusSender({ connectionString, queueName: queue }),
    (c) => c.sendMessages({ body: "x" }),
  );
  add(
    "ManagedServiceBus.sender().sendBody",
    new ManagedServiceBus({ connectionString }),
    (c) => c.sender(queue).sendBody("x"),
  );
  add(
    "ManagedServiceBus.receiver",
    new ManagedServiceBus({ connectionString }),
    (c) => c.receiver({ queueName: queue }),
  );
  add(
    "ServiceBus.sendBody",
    new ServiceBus({ connectionString, queueName: queue }),
    (c) => c.sendBody("x"),
  );
  add(
    "ServiceBus.receiver",
    new ServiceBus({ connectionString, queueName: queue }),
    (c) => c.receiver(),
  );
  add(
    "ManagedEventHubProducer.sendBody",
    new ManagedEventHubProducer({ connectionString, eventHubName: hub }),
    (c) => c.sendBody("x"),
  );
  add(
    "ManagedEventHubProducer.sendBatch",
    new ManagedEventHubProducer({ connectionString, eventHubName: hub }),
    (c) => c.sendBatch([{ body: "x" }]),
  );
  add(
    "EventHubProducer.sendBody",
    new EventHubProducer({ connectionString, eventHubName: hub }),
    (c) => c.sendBody("x"),
  );
  return attempts;
}

describe("A wrong key, through every Service Bus and Event Hubs class", () => {
  it("fails with AuthenticationFailed (401) naming the entity and the host, in under 2 s", async () => {
    await withBroker(
      { queues: ["orders"], eventHubs: { telemetry: 2 } },
      async (broker) => {
        broker.refuseTokens = true;
        const host = new RegExp(`127\\.0\\.0\\.1:${broker.port}`);
        for (const attempt of amqpAttempts(broker, "orders", "telemetry")) {
          try {
            const failure = await failureOf(attempt.run);
            assertNamed(attempt.label, failure, {
              type: AuthenticationFailed,
              code: "AUTHENTICATION_FAILED",
              cause: attempt.label.includes("EventHub")
                ? MessagingError
                : ServiceBusError,
              names: [host],
            });
            assert.equal(
              (failure.error as AuthenticationFailed).statusCode,
              401,
            );
          } finally {
            await attempt.close();
          }
        }
        assert.equal(broker.counters.messages, 0);
        assert.equal(broker.counters.events, 0);
      },
    );
  });
});

describe("A wrong key or a missing queue, for a managed processor", () => {
  it("reaches onError by name (errorSource connect) in under 2 s, and nothing is processed", async () => {
    await withBroker({ queues: ["orders"] }, async (broker) => {
      const host = new RegExp(`127\\.0\\.0\\.1:${broker.port}`);
      const bus = new ManagedServiceBus({
        connectionString: broker.connectionString(),
      });
      try {
        for (
          const [queueName, refuse, type, code] of [
            ["orders", true, AuthenticationFailed, "AUTHENTICATION_FAILED"],
            ["ordres", false, EntityNotFound, "ENTITY_NOT_FOUND"],
          ] as const
        ) {
          broker.refuseTokens = refuse;
          const started = performance.now();
          let report!: (
            first: { error: unknown; errorSource: string; ms: number },
          ) => void;
          const first = new Promise<
            { error: unknown; errorSource: string; ms: number }
          >((resolve) => (report = resolve));
          const processor = bus.processMessages(
            { queueName },
            () => assert.fail("nothing to process"),
            {
              onError: ({ error, errorSource }) =>
                report({
                  error,
                  errorSource,
                  ms: performance.now() - started,
                }),
            },
          );
          const { error, errorSource, ms } = await first;
          await processor.stop();
          assert.equal(errorSource, "connect");
          assertNamed(`processMessages ${queueName}`, { error, ms }, {
            type,
            code,
            cause: ServiceBusError,
            names: [host],
          });
        }
      } finally {
        await bus.close();
      }
    });
  });
});

describe("A missing queue or event hub, through every class", () => {
  it("fails with EntityNotFound naming the entity and the host, in under 2 s", async () => {
    await withBroker(
      { queues: ["orders"], eventHubs: { telemetry: 2 } },
      async (broker) => {
        const host = new RegExp(`127\\.0\\.0\\.1:${broker.port}`);
        for (const attempt of amqpAttempts(broker, "ordres", "telemetri")) {
          try {
            const failure = await failureOf(attempt.run);
            const entity = attempt.label.includes("EventHub")
              ? "telemetri"
              : "ordres";
            assertNamed(attempt.label, failure, {
              type: EntityNotFound,
              code: "ENTITY_NOT_FOUND",
              cause: attempt.label.includes("EventHub")
                ? MessagingError
                : ServiceBusError,
              names: [host, new RegExp(`'${entity}'`)],
            });
            assert.equal((failure.error as EntityNotFound).entity, entity);
          } finally {
            await attempt.close();
          }
        }
      },
    );
  });
});

describe("A port nothing listens on, through every Service Bus and Event Hubs class", () => {
  it("fails with ConnectionFailed naming the host, in under 2 s", async () => {
    const port = await refusedPort();
    const connectionString =
      `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true`;
    const fake = { connectionString: () => connectionString } as AmqpBroker;
    for (const attempt of amqpAttempts(fake, "orders", "telemetry")) {
      try {
        const failure = await failureOf(attempt.run);
        const error = failure.error as ConnectionFailed;
        assert.ok(
          error instanceof ConnectionFailed,
          `${attempt.label}: ${String(error)}`,
        );
        assert.equal(error.code, "CONNECTION_FAILED");
        assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        assert.match(
          String((error.cause as Error)?.message),
          /ECONNREFUSED/,
          attempt.label,
        );
        assert.ok(failure.ms < FAST_MS, `${attempt.label}: ${failure.ms} ms`);
      } finally {
        await attempt.close();
      }
    }
  });
});

describe("A wrong connection string, at construction", () => {
  const good =
    "Endpoint=sb://myns.servicebus.windows.net/;SharedAccessKeyName=send;SharedAccessKey=c2VjcmV0";
  const construct = [
    (connectionString: string) =>
      new ManagedServiceBusSender({ connectionString, queueName: "q" }),
    (connectionString: string) => new ManagedServiceBus({ connectionString }),
    (connectionString: string) =>
      new ServiceBus({ connectionString, queueName: "q" }),
    (connectionString: string) =>
      new ManagedEventHubProducer({ connectionString, eventHubName: "h" }),
    (connectionString: string) =>
      new EventHubProducer({ connectionString, eventHubName: "h" }),
  ];

  it("refuses an endpoint that is not sb://, naming the scheme and the host but not the key", () => {
    for (const make of construct) {
      assert.throws(
        () => make(good.replace("sb://", "http://")),
        (error: Error) =>
          error instanceof TypeError &&
          /Endpoint must be an sb:\/\/ address .*received http:\/\/ for host myns\.servicebus\.windows\.net/
            .test(error.message) &&
          !error.message.includes("c2VjcmV0"),
      );
    }
  });

  it("names exactly the part of the key that is missing", () => {
    for (const make of construct) {
      assert.throws(
        () => make(good.replace("SharedAccessKeyName=send;", "")),
        /lacks SharedAccessKeyName \(give/,
      );
      assert.throws(
        () => make(good.replace(";SharedAccessKey=c2VjcmV0", "")),
        /lacks SharedAccessKey \(give/,
      );
      assert.throws(
        () => make("Endpoint=sb://myns.servicebus.windows.net/;EntityPath=q"),
        /lacks SharedAccessKeyName and SharedAccessKey/,
      );
    }
  });
});

describe("The SDK's own message shapes", () => {
  it("sends a ServiceBusMessage given to sendMessages as the SDK would, through every sender", async () => {
    await withBroker({ queues: ["q"] }, async (broker) => {
      const connectionString = broker.connectionString();
      const sender = new ManagedServiceBusSender({
        connectionString,
        queueName: "q",
      });
      const bus = new ManagedServiceBus({ connectionString });
      const plain = new ServiceBus({ connectionString, queueName: "q" });
      try {
        for (
          const [label, send] of [
            ["ManagedServiceBusSender", sender],
            ["ManagedServiceBus.sender", bus.sender("q")],
            ["ServiceBus", plain],
          ] as const
        ) {
          await send.sendMessages({
            body: { id: 1 },
            messageId: `${label}-1`,
            subject: "x",
          });
          await send.sendMessages([
            { body: "a", messageId: `${label}-a` },
            { body: "b", messageId: `${label}-b`, subject: "y" },
          ]);
          await assert.rejects(
            send.sendMessages("a body" as never),
            /is not a ServiceBusMessage .*use sendBody/,
          );
        }
        const stored = broker.messages("q");
        for (
          const label of [
            "ManagedServiceBusSender",
            "ManagedServiceBus.sender",
            "ServiceBus",
          ]
        ) {
          const mine = stored.filter((m) =>
            String(m.messageId).startsWith(label + "-")
          );
          assert.deepEqual(
            mine.map((m) => [m.body, m.messageId, m.message.subject]),
            [
              [{ id: 1 }, `${label}-1`, "x"],
              ["a", `${label}-a`, undefined],
              ["b", `${label}-b`, "y"],
            ],
            label,
          );
        }
      } finally {
        await closeAll(sender, bus, plain);
      }
    });
  });

  it("sends EventData given to sendBatch as the SDK would, and refuses a bare body", async () => {
    await withBroker({ eventHubs: { h: 1 } }, async (broker) => {
      const connectionString = broker.connectionString();
      const managed = new ManagedEventHubProducer({
        connectionString,
        eventHubName: "h",
      });
      const plain = new EventHubProducer({
        connectionString,
        eventHubName: "h",
      });
      try {
        for (const producer of [managed, plain]) {
          await producer.sendBatch([
            { body: { n: 1 }, properties: { unit: "C" }, messageId: "e-1" },
          ]);
          await assert.rejects(
            producer.sendBatch({ body: 1 } as never),
            /takes a list of EventData/,
          );
          await assert.rejects(
            producer.sendBatch([{ n: 2 }] as never),
            /event #0 is not an EventData .*use sendBodies/,
          );
        }
        const events = broker.events("h");
        assert.equal(events.length, 2);
        for (const event of events) {
          assert.deepEqual(event.body, { n: 1 });
          assert.deepEqual(event.applicationProperties, { unit: "C" });
          assert.equal(event.message.message_id, "e-1");
        }
      } finally {
        await closeAll(managed, plain);
      }
    });
  });
});

describe("A wrong key, or a missing Cosmos DB database or container, through every Cosmos class", () => {
  let server: LocalCosmos;

  before(async () => {
    server = await startLocalCosmos({
      containers: [{ database: "shop", container: "orders" }],
    });
  });
  after(async () => {
    await server.close();
  });

  function attempts(databaseName: string, containerName: string) {
    const options = {
      ...server.connectionOptions(),
      databaseName,
      containerName,
    };
    const managed = new ManagedCosmos(options);
    const cosmos = new Cosmos(options);
    const simple = new SimpleCosmos(options);
    return [
      {
        label: "ManagedCosmos.use",
        run: () => managed.use((c) => c.read()),
        close: () => closeAll(managed),
      },
      {
        label: "Cosmos.getContainerClient",
        run: () => cosmos.getContainerClient(),
        close: () => closeAll(cosmos),
      },
      {
        label: "SimpleCosmos.getContainerClient",
        run: () => simple.getContainerClient(),
        close: () => closeAll(simple),
      },
    ];
  }

  it("fails with AuthenticationFailed (401, 403) for a refused key, naming the container and the host, in under 2 s", async () => {
    const host = new RegExp(`127\\.0\\.0\\.1:${server.port}`);
    for (const status of [401, 403] as const) {
      server.refuseAuth(status);
      try {
        for (const attempt of attempts("shop", "orders")) {
          try {
            const failure = await failureOf(attempt.run);
            assertNamed(`${attempt.label} ${status}`, failure, {
              type: AuthenticationFailed,
              code: "AUTHENTICATION_FAILED",
              cause: Error,
              names: [host, /container 'orders' in database 'shop'/],
            });
            assert.equal(
              (failure.error as AuthenticationFailed).statusCode,
              status,
            );
          } finally {
            await attempt.close();
          }
        }
      } finally {
        server.acceptAuth();
      }
    }
  });

  it("fails with EntityNotFound (404) naming the container, or the database when that is missing, and the host", async () => {
    const host = new RegExp(`127\\.0\\.0\\.1:${server.port}`);
    for (
      const [database, container, missing] of [
        ["shop", "ordres", "container 'ordres'"],
        ["shp", "orders", "database 'shp'"],
      ]
    ) {
      for (const attempt of attempts(database, container)) {
        try {
          const failure = await failureOf(attempt.run);
          assertNamed(`${attempt.label} ${missing}`, failure, {
            type: EntityNotFound,
            code: "ENTITY_NOT_FOUND",
            cause: Error,
            names: [host, new RegExp(`${missing} does not exist`)],
          });
          assert.equal((failure.error as EntityNotFound).statusCode, 404);
        } finally {
          await attempt.close();
        }
      }
    }
  });
});
