/**
 * Forces the error paths of `EventGridPublisher` with each kind of
 * credential (a key, a SAS token, a bearer token from a TokenCredential)
 * and checks that no secret (the key or any 12-character piece of it, the
 * SAS token or its signature, the bearer token) appears in an error's
 * message, stack or code, anywhere in its cause chain, in the error as
 * `util.inspect` shows it, or in any log line written meanwhile at the
 * verbose level (the package's and the SDK's). The publisher records no
 * metric, so no metric attribute can carry one.
 */

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";
import { inspect } from "node:util";
import { AzureLogger, getLogLevel, setLogLevel } from "@azure/logger";
import {
  AzureKeyCredential,
  generateSharedAccessSignature,
} from "@azure/eventgrid";
import { EventGridPublisher } from "../src/event_grid/mod.ts";
import {
  type LocalEventGrid,
  startLocalEventGrid,
} from "../src/testing/servers/mod.ts";

/** The topic's key ("EventGrid-Key-Do-Not-Leak-0123456789"). */
const KEY = "RXZlbnRHcmlkLUtleS1Eby1Ob3QtTGVhay0wMTIzNDU2Nzg5";
/** A wrong key, also secret ("Wrong-Grid-Key-Also-Secret-555"). */
const WRONG_KEY = "V3JvbmctR3JpZC1LZXktQWxzby1TZWNyZXQtNTU1";
/** A bearer token that must never be shown. */
const BEARER = "BearerToken-Never-Shown-0123456789abcdef";

/** Pieces of a secret that must not appear: the whole, and 12-character windows. */
function pieces(secret: string): string[] {
  const out = new Set([secret]);
  for (let i = 0; i + 12 <= secret.length; i += 6) {
    out.add(secret.slice(i, i + 12));
  }
  return [...out];
}

/** Collects log lines and errors, and finds any secret in them. */
class SecretWatch {
  readonly lines: string[] = [];
  readonly leaks: string[] = [];
  readonly errors: string[] = [];
  #secrets: string[] = [];
  #log: typeof AzureLogger.log | undefined;
  #level: ReturnType<typeof getLogLevel> | undefined;

  add(keys: string[], whole: string[] = []): void {
    this.#secrets.push(...keys.flatMap(pieces), ...whole);
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

  #texts(error: unknown, depth = 0): string[] {
    if (depth > 8) return [];
    if (typeof error !== "object" || error === null) return [String(error)];
    const e = error as {
      message?: unknown;
      stack?: unknown;
      code?: unknown;
      cause?: unknown;
    };
    const texts = [String(e.message), String(e.stack), String(e.code)];
    if (e.cause !== undefined) texts.push(...this.#texts(e.cause, depth + 1));
    return texts;
  }

  error(scenario: string, error: unknown): void {
    this.errors.push(
      `${scenario}: ${
        error === NOT_THROWN
          ? "(did not throw)"
          : error instanceof Error
          ? error.name
          : String(error)
      }`,
    );
    for (const text of this.#texts(error)) this.#find(scenario, text);
    this.#find(`${scenario} (inspect)`, inspect(error, { depth: 6 }));
  }

  logs(): void {
    for (const line of this.lines) this.#find("log line", line);
  }

  #find(where: string, text: string): void {
    for (const secret of this.#secrets) {
      if (text.includes(secret)) {
        const at = text.indexOf(secret);
        this.leaks.push(
          `${where}: ${text.slice(Math.max(0, at - 60), at)}<secret>`,
        );
        return;
      }
    }
  }
}

const NOT_THROWN = Symbol("did not throw");

async function thrown(fn: () => unknown): Promise<unknown> {
  try {
    await fn();
  } catch (error) {
    return error;
  }
  return NOT_THROWN;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("secrets never reach errors or logs: Event Grid", () => {
  let grid: LocalEventGrid;

  before(async () => {
    grid = await startLocalEventGrid({
      topics: [{ name: "orders", key: KEY }],
    });
  });

  after(async () => {
    await grid?.close();
  });

  it("finds a planted secret, so that a clean run means something", () => {
    const watch = new SecretWatch();
    watch.add([KEY]);
    watch.error(
      "planted",
      new Error("x", { cause: new Error(KEY.slice(3, 20)) }),
    );
    watch.lines.push(`line ${BEARER}`);
    watch.add([BEARER]);
    watch.logs();
    assert.deepEqual(
      [...new Set(watch.leaks.map((leak) => leak.split(/[ :]/)[0]))],
      ["planted", "log"],
    );
  });

  it("keeps the key, the SAS token and the bearer token out of every error and log line", async () => {
    const { key: _key, ...local } = grid.topicOptions("orders");
    const endpoint = local.endpoint;
    const sasToken = await generateSharedAccessSignature(
      endpoint,
      new AzureKeyCredential(KEY),
      new Date(Date.now() + 600_000),
    );
    const expiredSas = await generateSharedAccessSignature(
      endpoint,
      new AzureKeyCredential(KEY),
      new Date(Date.now() - 600_000),
    );
    const signature = (token: string) =>
      decodeURIComponent(/(?:^|&)s=([^&]+)/.exec(token)![1]);
    const watch = new SecretWatch();
    watch.add([
      KEY,
      WRONG_KEY,
      BEARER,
      signature(sasToken),
      signature(expiredSas),
    ], [
      sasToken,
      expiredSas,
    ]);
    const credential = {
      getToken: () =>
        Promise.resolve({
          token: BEARER,
          expiresOnTimestamp: Date.now() + 3_600_000,
        }),
    };
    const refused = await closedPort();
    const fast = { retryDelayInMs: 1, maxRetryDelayInMs: 5 };
    const auths: Record<string, Record<string, unknown>> = {
      key: { key: KEY },
      sas: { sasToken },
      bearer: { credential },
    };
    const event = { eventType: "T", subject: "s", data: { ok: 1 } };
    watch.start();
    try {
      // Construction mistakes with a secret in the wrong place.
      const bad: Array<[string, unknown]> = [
        ["the key in endpoint", { topics: { o: { endpoint: KEY, key: KEY } } }],
        ["a SAS token in endpoint", {
          topics: { o: { endpoint: sasToken, key: KEY } },
        }],
        ["an http endpoint", {
          topics: {
            o: { endpoint: endpoint.replace("https", "http"), key: KEY },
          },
        }],
        ["the key in the endpoint's password", {
          topics: {
            o: {
              endpoint: `https://u:${encodeURIComponent(KEY)}@h/api/events`,
              key: KEY,
            },
          },
        }],
        ["the key as credential", {
          topics: { o: { endpoint, credential: KEY } },
        }],
        ["key and sasToken", {
          topics: { o: { endpoint, key: KEY, sasToken } },
        }],
        ["a misspelt key option", { topics: { o: { endpoint, sasKey: KEY } } }],
        ["the key as a topic", { topics: { o: KEY } }],
        ["the key as options", KEY],
        ["a blank key", { topics: { o: { endpoint, key: " " } } }],
      ];
      for (const [scenario, options] of bad) {
        watch.error(
          scenario,
          await thrown(() => new EventGridPublisher(options as never)),
        );
      }

      for (const [name, auth] of Object.entries(auths)) {
        const publisher = new EventGridPublisher({
          topics: {
            ok: {
              ...local,
              ...auth,
              clientOptions: { ...local.clientOptions, retryOptions: fast },
            },
            ghost: {
              ...local,
              ...auth,
              endpoint: endpoint.replace("/orders/", "/ghost/"),
            },
            down: {
              endpoint: `https://127.0.0.1:${refused}/api/events`,
              ...auth,
              clientOptions: { retryOptions: fast },
            },
            untrusted: {
              endpoint,
              ...auth,
              clientOptions: { retryOptions: { maxRetries: 0 } },
            },
          },
          operationTimeoutSeconds: 0.2,
        });
        try {
          await publisher.emitEvent("ok", event);
          grid.refuse();
          watch.error(
            `${name}: refused`,
            await thrown(() => publisher.emitEvent("ok", event)),
          );
          grid.accept();
          for (const status of [403, 413, 400, 500]) {
            grid.failNext(status === 500 ? 4 : 1, status);
            watch.error(
              `${name}: ${status}`,
              await thrown(() => publisher.emitEvent("ok", event)),
            );
          }
          grid.delay(5);
          watch.error(
            `${name}: timeout`,
            await thrown(() => publisher.emitEvent("ok", event)),
          );
          grid.delay(0);
          watch.error(
            `${name}: 404`,
            await thrown(() => publisher.emitEvent("ghost", event)),
          );
          watch.error(
            `${name}: refused port`,
            await thrown(() => publisher.emitEvent("down", event)),
          );
          watch.error(
            `${name}: untrusted certificate`,
            await thrown(() => publisher.emitEvent("untrusted", event)),
          );
          watch.error(
            `${name}: bad event`,
            await thrown(() =>
              publisher.send("ok", [{ ...event, data: KEY } as never])
            ),
          );
          watch.error(
            `${name}: unknown topic`,
            await thrown(() => publisher.emitEvent(KEY as "ok", event)),
          );
        } finally {
          grid.accept();
          grid.delay(0);
          await publisher.close();
        }
      }
      // The wrong credentials of each kind.
      const wrong: Array<[string, Record<string, unknown>]> = [
        ["wrong key", { key: WRONG_KEY }],
        ["expired SAS", { sasToken: expiredSas }],
      ];
      for (const [scenario, auth] of wrong) {
        await using publisher = new EventGridPublisher({
          topics: { orders: { ...local, ...auth } },
        });
        watch.error(
          scenario,
          await thrown(() => publisher.emitEvent("orders", event)),
        );
      }
    } finally {
      grid.accept();
      grid.delay(0);
      watch.stop();
    }
    watch.logs();
    assert.ok(watch.errors.length >= 40, watch.errors.join("\n"));
    assert.ok(
      watch.errors.every((e) => !e.endsWith("(did not throw)")),
      watch.errors.join("\n"),
    );
    // The SDK and the publisher did log at verbose: the check had lines to read.
    assert.ok(watch.lines.length > 20, `${watch.lines.length} log lines`);
    assert.deepEqual(watch.leaks, []);
  });
});
