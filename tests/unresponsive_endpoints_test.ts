/**
 * The managed clients and their unpooled twins fail like the pool promises
 * (issue 11, item 5), configured as a user would (SDK defaults, a small
 * acquire bound):
 *
 * - against a refused port, every call fails with `ConnectionFailed` whose
 *   `cause` chain carries the real `ECONNREFUSED`, before a 2 s deadline (a
 *   slower failure would be `ConnectionsExhausted`, or the twins' signal's
 *   `TimeoutError`, instead);
 * - against an endpoint that accepts TCP and never answers (a TLS handshake
 *   that never completes), and one that completes the TLS handshake and
 *   never answers the protocol, every call gets its typed error by its
 *   deadline;
 * - after `close()`, the process exits by itself: abandoned opens (their
 *   sockets, AMQP connections, timers) are torn down.
 *
 * Each case runs tests/_unresponsive_child.ts in a child process of the same
 * runtime (Deno on the sources, Node or Bun on the compiled tests) against a
 * server this test starts on 127.0.0.1; a child still alive 10 s after its
 * `close()` resolved is killed and fails the test.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import net from "node:net";
import tls from "node:tls";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { ChildSpec } from "./_unresponsive_child.ts";
import {
  TEST_CERT_PEM,
  TEST_KEY_PEM,
} from "../src/testing/servers/_amqp_test_cert.ts";

const CLIENTS: { client: ChildSpec["client"]; pooled: boolean }[] = [
  { client: "ManagedCosmos", pooled: true },
  { client: "SimpleCosmos", pooled: false },
  { client: "Cosmos", pooled: false },
  { client: "ManagedServiceBusSender", pooled: true },
  { client: "ServiceBus", pooled: false },
  { client: "ManagedEventHubProducer", pooled: true },
  { client: "EventHubProducer", pooled: false },
];

/** How long a child may live after its `close()` resolved. */
const EXIT_WITHIN_MS = 10_000;
/** How long a whole child may run. */
const CHILD_LIMIT_MS = 60_000;
/** What a call may take beyond its deadline: timers and a loaded machine. */
const DEADLINE_SLACK_MS = 1_500;

const isDeno = typeof (globalThis as { Deno?: unknown }).Deno !== "undefined";
const childScript = fileURLToPath(
  new URL(
    `./_unresponsive_child.${import.meta.url.endsWith(".ts") ? "ts" : "js"}`,
    import.meta.url,
  ),
);

interface ChainLink {
  name: string;
  code?: string;
  message: string;
}

interface CallLine {
  call: number;
  ms: number;
  error: { name: string; message: string; chain: ChainLink[] } | null;
}

interface ChildRun {
  calls: CallLine[];
  closeMs: number | undefined;
  /** From `close()` resolving to the child's exit; undefined if killed. */
  exitAfterCloseMs: number | undefined;
  code: number | null;
  stderr: string;
}

/** A port on 127.0.0.1 that nothing listens on. */
async function refusedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

interface SilentServer {
  port: number;
  accepted: number;
  stop(): Promise<void>;
}

/**
 * A server on 127.0.0.1 that accepts and never writes: plain TCP (a TLS
 * client's handshake never completes), or TLS (the handshake completes, the
 * protocol is never answered).
 */
async function silentServer(secure: boolean): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  const state = { accepted: 0 };
  const hold = (socket: net.Socket) => {
    state.accepted++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  };
  const server = secure
    ? tls.createServer({ key: TEST_KEY_PEM, cert: TEST_CERT_PEM }, hold)
    : net.createServer(hold);
  if (secure) server.on("tlsClientError", () => {});
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    get accepted() {
      return state.accepted;
    },
    async stop() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Runs the child with `spec`; kills it if it outlives its close. */
function runChild(spec: ChildSpec): Promise<ChildRun> {
  const args = isDeno
    ? ["run", "-A", "--no-check", childScript]
    : [childScript];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, UNRESPONSIVE_CHILD: JSON.stringify(spec) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const run: ChildRun = {
    calls: [],
    closeMs: undefined,
    exitAfterCloseMs: undefined,
    code: null,
    stderr: "",
  };
  let closedAt: number | undefined;
  let killer: ReturnType<typeof setTimeout> | undefined;
  const kill = (after: number) => {
    if (killer !== undefined) clearTimeout(killer);
    killer = setTimeout(() => child.kill("SIGKILL"), after);
  };
  kill(CHILD_LIMIT_MS);
  let buffer = "";
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (chunk: string) => {
    buffer += chunk;
    for (let end = buffer.indexOf("\n"); end >= 0; end = buffer.indexOf("\n")) {
      const line = JSON.parse(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
      if ("call" in line) run.calls.push(line as CallLine);
      if ("closed" in line) {
        closedAt = Date.now();
        run.closeMs = line.ms;
        kill(EXIT_WITHIN_MS);
      }
    }
  });
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (chunk: string) => (run.stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(killer);
      run.code = code;
      if (closedAt !== undefined && code !== null) {
        run.exitAfterCloseMs = Date.now() - closedAt;
      }
      resolve(run);
    });
  });
}

/** Whether a link is the refused connect: its code, or (Service Bus) the code the SDK keeps as the message's prefix. */
function isRefused(link: ChainLink): boolean {
  return link.code === "ECONNREFUSED" ||
    /^ECONNREFUSED\b/.test(link.message);
}

function describeRun(run: ChildRun): string {
  return JSON.stringify({ ...run, stderr: run.stderr.slice(-2000) }, null, 1);
}

function assertExited(run: ChildRun): void {
  assert.notEqual(
    run.closeMs,
    undefined,
    `close() never resolved: ${describeRun(run)}`,
  );
  assert.equal(
    run.code,
    0,
    `the child was still alive ${EXIT_WITHIN_MS} ms after close() (or failed): ${
      describeRun(run)
    }`,
  );
}

describe("managed clients and their twins against a refused port", () => {
  for (const { client } of CLIENTS) {
    it(`${client} fails every call with ConnectionFailed carrying ECONNREFUSED before a 2 s deadline, and its process exits after close()`, async () => {
      // ConnectionFailed (not ConnectionsExhausted at the deadline) proves the
      // pool failed the callers fast: its breaker opens after 0.5 s of failed
      // opens; the deadline leaves room for a loaded machine.
      const run = await runChild({
        client,
        port: await refusedPort(),
        calls: 2,
        acquireTimeoutSeconds: 2,
      });
      assert.equal(run.calls.length, 4, describeRun(run));
      for (const call of run.calls) {
        assert.equal(call.error?.name, "ConnectionFailed", describeRun(run));
        assert.ok(
          call.error.chain.slice(1).some(isRefused),
          `no ECONNREFUSED along the cause: ${describeRun(run)}`,
        );
      }
      assertExited(run);
      console.log(
        `${client} refused: ${
          run.calls.map((call) => `${Math.round(call.ms)} ms`).join(", ")
        }; exit ${run.exitAfterCloseMs} ms after close()`,
      );
    });
  }
});

for (const secure of [false, true]) {
  const kind = secure
    ? "completes the TLS handshake and never answers"
    : "accepts TCP and never answers the TLS handshake";
  describe(`managed clients and their twins against an endpoint that ${kind}`, () => {
    for (const { client, pooled } of CLIENTS) {
      it(`${client} fails every call by its deadline with its typed error, and its process exits after close()`, async () => {
        const server = await silentServer(secure);
        try {
          const acquireTimeoutSeconds = 0.5;
          const run = await runChild({
            client,
            port: server.port,
            calls: 2,
            acquireTimeoutSeconds,
            // Pooled opens time out before close() too: both ways of
            // abandoning an open are torn down.
            createTimeoutSeconds: pooled ? 0.3 : undefined,
          });
          assert.equal(run.calls.length, 4, describeRun(run));
          assert.ok(server.accepted >= 1, "the client never connected");
          for (const call of run.calls) {
            const name = call.error?.name;
            if (pooled) {
              assert.ok(
                name === "ConnectionsExhausted" || name === "ConnectionFailed",
                describeRun(run),
              );
            } else {
              // A twin's caller bounds its own wait with its signal.
              assert.equal(name, "TimeoutError", describeRun(run));
            }
            assert.ok(
              call.ms <= acquireTimeoutSeconds * 1000 + DEADLINE_SLACK_MS,
              `a call took ${call.ms} ms: ${describeRun(run)}`,
            );
          }
          assertExited(run);
          console.log(
            `${client} silent${secure ? " (TLS)" : ""}: ${
              run.calls.map((call) => `${Math.round(call.ms)} ms`).join(", ")
            }; exit ${run.exitAfterCloseMs} ms after close()`,
          );
        } finally {
          await server.stop();
        }
      });
    }
  });
}
