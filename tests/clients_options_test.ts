import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  describeValue,
  exactlyOne,
  forbidFields,
  keysOf,
  parseConnectionString,
  rejectUnknownKeys,
  requireFunction,
  requireName,
  requireOptions,
  requireSecret,
  requireTokenCredential,
  requireUrl,
} from "../src/managed/_checks.ts";
import {
  Cosmos,
  CosmosConnector,
  ManagedCosmos,
  SimpleCosmos,
} from "../src/cosmos/mod.ts";
import {
  ManagedServiceBus,
  ManagedServiceBusSender,
  ServiceBus,
  ServiceBusSenderConnector,
} from "../src/service_bus/mod.ts";
import {
  EventHubProducer,
  EventHubProducerConnector,
  ManagedEventHubProducer,
} from "../src/event_hubs/mod.ts";
import { ManagedBlobStorage } from "../src/blob/mod.ts";
import { EventGridPublisher } from "../src/event_grid/mod.ts";
import { ConnectionPool } from "../src/pool/connection_pool.ts";

const SECRET = "c2VjcmV0LWtleS10aGF0LW11c3Qtbm90LWxlYWs=";

function messageOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TypeError, `threw ${String(error)}`);
    return error.message;
  }
  return assert.fail("did not throw");
}

describe("client option checks", () => {
  it("describes values without echoing strings", () => {
    assert.equal(
      describeValue(SECRET),
      `a string of ${SECRET.length} characters`,
    );
    assert.equal(describeValue(""), "an empty string");
    assert.equal(describeValue(-1), "-1");
    assert.equal(describeValue(null), "null");
    assert.equal(describeValue([]), "an array");
    assert.equal(describeValue({}), "an object");
    assert.equal(describeValue(() => {}), "a function");
  });

  it("requireUrl accepts the allowed protocols and names the option otherwise", () => {
    assert.equal(
      requireUrl("X", "endpoint", "https://h:1/p", ["https:"]).host,
      "h:1",
    );
    assert.match(
      messageOf(() => requireUrl("X", "endpoint", undefined, ["https:"])),
      /^Cannot create X as 'endpoint' is missing: pass an https:\/\/ URL$/,
    );
    assert.match(
      messageOf(() => requireUrl("X", "endpoint", 42, ["https:"])),
      /received 42$/,
    );
    assert.match(
      messageOf(() =>
        requireUrl("X", "endpoint", "ftp://h", ["https:", "http:"])
      ),
      /https:\/\/ or http:\/\/ URL: received a URL with protocol 'ftp:'/,
    );
    const withPassword = messageOf(() =>
      requireUrl("X", "endpoint", `https://u:${SECRET}@h`, ["https:"])
    );
    assert.match(withPassword, /must not carry a user name or password/);
    assert.ok(!withPassword.includes(SECRET));
    const swapped = messageOf(() =>
      requireUrl(
        "X",
        "endpoint",
        `Endpoint=sb://h/;SharedAccessKey=${SECRET}`,
        ["https:"],
      )
    );
    assert.match(swapped, /looks like a connection string/);
    assert.ok(!swapped.includes(SECRET));
  });

  it("exactlyOne returns the one option given and names the conflicting ones", () => {
    const names = ["credential", "key", "connectionString"] as const;
    assert.equal(exactlyOne("X", { key: SECRET }, names), "key");
    assert.equal(
      messageOf(() => exactlyOne("X", {}, names)),
      "Cannot create X as no credential was given: pass one of 'credential', 'key' or 'connectionString'",
    );
    const both = messageOf(() =>
      exactlyOne("X", { key: SECRET, connectionString: SECRET }, names)
    );
    assert.match(both, /received 'key' and 'connectionString'$/);
    assert.ok(!both.includes(SECRET));
  });

  it("parseConnectionString reads fields case-insensitively and names the missing ones only", () => {
    const fields = parseConnectionString(
      "X",
      "connectionString",
      `endpoint=sb://h/;SharedAccessKey=${SECRET}`,
      [
        "Endpoint",
        "SharedAccessKey",
      ],
    );
    assert.equal(fields.get("endpoint"), "sb://h/");
    assert.equal(fields.get("sharedaccesskey"), SECRET);
    const missing = messageOf(() =>
      parseConnectionString(
        "X",
        "connectionString",
        `SharedAccessKey=${SECRET}`,
        ["Endpoint", "SharedAccessKey"],
      )
    );
    assert.equal(
      missing,
      "Cannot create X as 'connectionString' lacks Endpoint",
    );
    assert.match(
      messageOf(() => parseConnectionString("X", "cs", "  ", [])),
      /received a blank string/,
    );
  });

  it("checks names, secrets, credentials, functions and option bags", () => {
    assert.equal(requireName("X", "dbname", "d"), "d");
    assert.match(
      messageOf(() => requireName("X", "dbname", "")),
      /'dbname' must be a non-empty string: received an empty string/,
    );
    assert.equal(requireSecret("X", "key", SECRET), SECRET);
    assert.ok(!messageOf(() => requireSecret("X", "key", 5)).includes(SECRET));
    const credential = { getToken: () => Promise.resolve(null) };
    assert.equal(
      requireTokenCredential("X", "credential", credential),
      credential,
    );
    assert.match(
      messageOf(() => requireTokenCredential("X", "credential", SECRET)),
      /TokenCredential.*received a string of/,
    );
    assert.match(
      messageOf(() => requireFunction("X", "credentialFactory", {})),
      /must be a function: received an object/,
    );
    assert.match(
      messageOf(() => requireOptions("X", null)),
      /options must be an object: received null/,
    );
  });

  it("forbidFields rejects fields the client sets itself, naming them", () => {
    forbidFields("X", "clientOptions", undefined, ["key"]);
    forbidFields("X", "clientOptions", { userAgentSuffix: "a" }, ["key"]);
    const message = messageOf(() =>
      forbidFields("X", "clientOptions", { key: SECRET, endpoint: "e" }, [
        "endpoint",
        "key",
      ])
    );
    assert.equal(
      message,
      "Cannot create X as 'clientOptions' must not set 'endpoint' or 'key': the client sets it from its own options",
    );
    assert.match(
      messageOf(() => forbidFields("X", "clientOptions", 3, [])),
      /must be an object: received 3/,
    );
  });
});

const COSMOS = {
  endpoint: "https://127.0.0.1:1",
  databaseName: "shop",
  containerName: "orders",
  key: "a2V5",
};
const SERVICE_BUS = {
  connectionString:
    "Endpoint=sb://127.0.0.1:1;SharedAccessKeyName=k;SharedAccessKey=a2V5;UseDevelopmentEmulator=true",
  queueName: "orders",
};
const EVENT_HUBS = {
  connectionString: SERVICE_BUS.connectionString,
  eventHubName: "telemetry",
};

/** Every client class, with options that construct it without I/O. */
const CLIENTS: Array<[string, (extra: object) => unknown]> = [
  ["ManagedCosmos", (extra) => new ManagedCosmos({ ...COSMOS, ...extra })],
  ["Cosmos", (extra) => new Cosmos({ ...COSMOS, ...extra })],
  ["SimpleCosmos", (extra) => new SimpleCosmos({ ...COSMOS, ...extra })],
  ["CosmosConnector", (extra) => new CosmosConnector({ ...COSMOS, ...extra })],
  [
    "ManagedServiceBusSender",
    (extra) => new ManagedServiceBusSender({ ...SERVICE_BUS, ...extra }),
  ],
  ["ServiceBus", (extra) => new ServiceBus({ ...SERVICE_BUS, ...extra })],
  [
    "ServiceBusSenderConnector",
    (extra) => new ServiceBusSenderConnector({ ...SERVICE_BUS, ...extra }),
  ],
  [
    "ManagedEventHubProducer",
    (extra) => new ManagedEventHubProducer({ ...EVENT_HUBS, ...extra }),
  ],
  [
    "EventHubProducer",
    (extra) => new EventHubProducer({ ...EVENT_HUBS, ...extra }),
  ],
  [
    "EventHubProducerConnector",
    (extra) => new EventHubProducerConnector({ ...EVENT_HUBS, ...extra }),
  ],
];

const MANAGED: Array<[string, (extra: object) => AsyncDisposable]> = [
  ["ManagedCosmos", (extra) => new ManagedCosmos({ ...COSMOS, ...extra })],
  [
    "ManagedServiceBusSender",
    (extra) => new ManagedServiceBusSender({ ...SERVICE_BUS, ...extra }),
  ],
  [
    "ManagedEventHubProducer",
    (extra) => new ManagedEventHubProducer({ ...EVENT_HUBS, ...extra }),
  ],
];

function typeErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof TypeError, `threw ${String(error)}`);
    return error.message;
  }
  return assert.fail("did not throw");
}

async function rejectionOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof TypeError, `rejected with ${String(error)}`);
    return error.message;
  }
  return assert.fail("did not reject");
}

describe("rejectUnknownKeys", () => {
  it("lists the known keys and suggests the one a misspelt or 0.1 key meant", () => {
    rejectUnknownKeys("do X", undefined, ["a"]);
    rejectUnknownKeys("do X", { a: 1 }, ["a"]);
    assert.equal(
      typeErrorOf(() => rejectUnknownKeys("do X", { b: 1 }, ["a", "c"])),
      "Cannot do X as 'b' is not an option: known options are a, c",
    );
    assert.match(
      typeErrorOf(() => rejectUnknownKeys("do X", { maxsize: 1 }, ["maxSize"])),
      /'maxsize' is not an option \(did you mean 'maxSize'\?\)/,
    );
    assert.match(
      typeErrorOf(() =>
        rejectUnknownKeys("do X", { delay: 1 }, ["delaySeconds"])
      ),
      /\(did you mean 'delaySeconds'\?\)/,
    );
    assert.match(
      typeErrorOf(() =>
        rejectUnknownKeys("do X", { dbname: "d" }, ["databaseName"])
      ),
      /'dbname' is not an option \(it was renamed 'databaseName'\)/,
    );
    assert.match(
      typeErrorOf(() => rejectUnknownKeys("do X", 7, ["a"])),
      /its options must be an object: received 7/,
    );
  });

  it("keysOf fails to compile when a key of the options type is left out", () => {
    const all = keysOf<{ a?: number; b?: string }>()(["a", "b"]);
    assert.deepEqual(all, ["a", "b"]);
    // @ts-expect-error: 'b' is missing from the list
    keysOf<{ a?: number; b?: string }>()(["a"]);
  });
});

describe("managed clients' strictness", () => {
  for (const [name, make] of CLIENTS) {
    it(`${name} refuses an unknown option, naming it and the known ones`, () => {
      const message = typeErrorOf(() => make({ queue: "q" }));
      assert.match(
        message,
        new RegExp(
          `^Cannot create ${name} as 'queue' is not an option.*: known options are `,
        ),
      );
      assert.match(message, /\bcredentialFactory\b/);
    });
  }

  it("suggests the option a typo of two swapped letters meant, in the pool and every class", () => {
    const blob = {
      connectionString:
        `DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=${SECRET};EndpointSuffix=core.windows.net`,
      containerName: "reports",
    };
    const grid = {
      topics: {
        orders: {
          endpoint: "https://orders.westus2-1.eventgrid.azure.net/api/events",
          key: SECRET,
        },
      },
    };
    const cases: Array<[string, () => unknown, string, string]> = [
      [
        "ConnectionPool",
        () =>
          new ConnectionPool({
            create: () => Promise.resolve({}),
            ready: () => Promise.resolve(),
            close: () => Promise.resolve(),
          }, { maxSzie: 2 } as never),
        "maxSzie",
        "maxSize",
      ],
      [
        "ManagedCosmos",
        () =>
          new ManagedCosmos(
            { ...COSMOS, databseName: "shop" } as never,
          ),
        "databseName",
        "databaseName",
      ],
      [
        "ManagedServiceBusSender",
        () =>
          new ManagedServiceBusSender(
            { ...SERVICE_BUS, queueNmae: "q" } as never,
          ),
        "queueNmae",
        "queueName",
      ],
      [
        "ManagedServiceBus",
        () =>
          new ManagedServiceBus({
            connectionString: SERVICE_BUS.connectionString,
            operationTimeoutSecnods: 5,
          } as never),
        "operationTimeoutSecnods",
        "operationTimeoutSeconds",
      ],
      [
        "ManagedEventHubProducer",
        () =>
          new ManagedEventHubProducer(
            { ...EVENT_HUBS, evnetHubName: "h" } as never,
          ),
        "evnetHubName",
        "eventHubName",
      ],
      [
        "ManagedBlobStorage",
        () =>
          new ManagedBlobStorage(
            { ...blob, containerNmae: "reports" } as never,
          ),
        "containerNmae",
        "containerName",
      ],
      [
        "EventGridPublisher",
        () =>
          new EventGridPublisher(
            { ...grid, operationTimoutSeconds: 5 } as never,
          ),
        "operationTimoutSeconds",
        "operationTimeoutSeconds",
      ],
    ];
    for (const [name, make, typo, meant] of cases) {
      const message = typeErrorOf(make);
      assert.ok(
        message.includes(
          `'${typo}' is not an option (did you mean '${meant}'?)`,
        ),
        `${name}: ${message}`,
      );
      assert.ok(!message.includes(SECRET), name);
    }
  });

  it("refuses 'maxsize' on ManagedCosmos and 'dbname' on every Cosmos client", () => {
    assert.match(
      typeErrorOf(() => new ManagedCosmos({ ...COSMOS, maxsize: 5 } as never)),
      /Cannot create ManagedCosmos as 'maxsize' is not an option \(did you mean 'maxSize'\?\): known options are endpoint, databaseName, containerName, .*maxSize/,
    );
    const { databaseName: _, ...old } = COSMOS;
    for (const make of [ManagedCosmos, Cosmos, SimpleCosmos]) {
      assert.match(
        typeErrorOf(() => new make({ ...old, dbname: "shop" } as never)),
        /'dbname' is not an option \(it was renamed 'databaseName'\)/,
      );
    }
  });

  for (const [name, make] of MANAGED) {
    it(`${name} names itself, not ConnectionPool, in a pool option's error`, () => {
      for (
        const [option, value, kind] of [
          ["clientLimit", 0, RangeError],
          ["maxSize", 1.5, RangeError],
          ["acquireTimeoutSeconds", "60", TypeError],
          ["maxLifespanSeconds", null, TypeError],
        ] as const
      ) {
        assert.throws(
          () => make({ [option]: value }),
          (error: unknown) => {
            assert.ok(error instanceof kind, `${option}: ${String(error)}`);
            assert.match(
              (error as Error).message,
              new RegExp(`^Cannot create ${name} as '${option}' must be `),
            );
            return true;
          },
        );
      }
    });

    it(`${name} takes Infinity as maxLifespanSeconds for no limit`, async () => {
      await using client = make({ maxLifespanSeconds: Infinity });
      assert.ok(client);
    });

    it(`${name} rejects an unknown per-call option of use() and its lease getter`, async () => {
      await using client = make({});
      const managed = client as unknown as {
        use(fn: () => unknown, options: object): Promise<unknown>;
      };
      assert.match(
        await rejectionOf(managed.use(() => 1, { queue: "q" })),
        new RegExp(
          `^Cannot use ${name} as 'queue' is not an option: known options are abortSignal, acquireTimeoutSeconds$`,
        ),
      );
      assert.match(
        await rejectionOf(managed.use(() => 1, { timeoutSeconds: 1 })),
        /'timeoutSeconds' is not an option \(it was renamed 'acquireTimeoutSeconds'\)/,
      );
      const getter = name === "ManagedCosmos"
        ? "getContainerClient"
        : name === "ManagedServiceBusSender"
        ? "getSender"
        : "getProducer";
      const get =
        (client as unknown as Record<string, (o: object) => Promise<unknown>>)[
          getter
        ];
      assert.match(
        await rejectionOf(get.call(client, { signal: AbortSignal.abort() })),
        /'signal' is not an option \(it was renamed 'abortSignal'\)/,
      );
    });
  }

  it("rejects an unknown per-call option of every send method before sending", async () => {
    await using sender = new ManagedServiceBusSender(SERVICE_BUS);
    assert.match(
      await rejectionOf(sender.sendBody("x", { delay: 30000 } as never)),
      /^Cannot send a message as 'delay' is not an option \(did you mean 'delaySeconds'\?\): known options are delaySeconds, messageId, /,
    );
    assert.match(
      await rejectionOf(
        sender.sendBodies(["x"], { messageId: "m" } as never),
      ),
      /^Cannot send messages as 'messageId' is not an option/,
    );
    await using bus = new ServiceBus(SERVICE_BUS);
    assert.match(
      await rejectionOf(bus.sendBody("x", { delay: 1 } as never)),
      /^Cannot send a message as 'delay' is not an option/,
    );
    assert.match(
      await rejectionOf(bus.receiver({ maxMessage: 5 } as never)),
      /^Cannot open a receiver as 'maxMessage' is not an option \(did you mean 'maxMessages'\?\)/,
    );
    await using hub = new ManagedEventHubProducer(EVENT_HUBS);
    assert.match(
      await rejectionOf(hub.sendBody("x", { partition: "1" } as never)),
      /^Cannot send an event as 'partition' is not an option \(did you mean 'partitionKey'\?\)/,
    );
    assert.match(
      await rejectionOf(hub.sendBodies(["x"], { properties: {} } as never)),
      /^Cannot send events as 'properties' is not an option/,
    );
    assert.match(
      await rejectionOf(hub.sendBatch([{ body: 1 }], { key: "k" } as never)),
      /^Cannot send a batch as 'key' is not an option/,
    );
    assert.match(
      await rejectionOf(
        sender.sendMessages({ body: "x" }, { messageId: "m" } as never),
      ),
      /^Cannot send messages as 'messageId' is not an option/,
    );
    await using producer = new EventHubProducer(EVENT_HUBS);
    assert.match(
      await rejectionOf(producer.sendBody("x", { partition: "1" } as never)),
      /^Cannot send an event as 'partition' is not an option/,
    );
    await using cosmos = new Cosmos(COSMOS);
    assert.match(
      await rejectionOf(cosmos.getContainerClient({ queue: "q" } as never)),
      /^Cannot use Cosmos as 'queue' is not an option/,
    );
    await using simple = new SimpleCosmos(COSMOS);
    assert.match(
      await rejectionOf(simple.getContainerClient({ queue: "q" } as never)),
      /^Cannot use SimpleCosmos as 'queue' is not an option/,
    );
    // Nothing was opened: no client reached a backend.
    assert.equal(sender.stats().connectionsCreated, 0);
    assert.equal(hub.stats().connectionsCreated, 0);
  });
});
