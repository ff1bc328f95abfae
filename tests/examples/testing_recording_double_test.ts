import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  RecordingServiceBusSender,
  type ServiceBusMessageSender,
} from "../../src/testing/mod.ts";

// The code under test: retries a failed send once.
async function publishWithRetry(
  sender: ServiceBusMessageSender,
  body: unknown,
): Promise<void> {
  try {
    await sender.sendBody(body);
  } catch {
    await sender.sendBody(body);
  }
}

describe("publishWithRetry", () => {
  it("sends again after one failure", async () => {
    const sender = new RecordingServiceBusSender();
    sender.failNext(1, new Error("server busy"));
    await publishWithRetry(sender, { id: 1 });
    assert.equal(sender.calls.length, 2);
    assert.deepEqual(sender.messages.map((m) => m.body), [{ id: 1 }]);
  });

  it("gives up after a second failure", async () => {
    const sender = new RecordingServiceBusSender();
    sender.failNext(2, new Error("server busy"));
    await assert.rejects(publishWithRetry(sender, { id: 1 }), /server busy/);
    assert.deepEqual(sender.messages, []);
  });
});
