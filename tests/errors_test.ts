import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ConnectionFailed,
  ConnectionsExhausted,
  PoolClosed,
  PoolError,
} from "../src/pool/errors.ts";

describe("pool errors", () => {
  it("set name, a stable code and pass cause through", () => {
    const cause = new Error("ECONNRESET");
    const failed = new ConnectionFailed("Cannot open", { cause });
    assert.equal(failed.name, "ConnectionFailed");
    assert.equal(failed.code, "CONNECTION_FAILED");
    assert.equal(failed.cause, cause);
    assert.equal(
      new ConnectionsExhausted("waited").code,
      "CONNECTIONS_EXHAUSTED",
    );
    assert.equal(
      new PoolClosed("pool#7").message,
      "Cannot acquire a connection: pool#7 is closed",
    );
  });

  it("are instances of PoolError and Error, and not of each other", () => {
    const exhausted = new ConnectionsExhausted("waited");
    assert.ok(exhausted instanceof PoolError);
    assert.ok(exhausted instanceof Error);
    assert.ok(!(exhausted instanceof ConnectionFailed));
    assert.ok(!(new Error("plain") instanceof PoolError));
  });

  it("are recognised when they come from another copy of the package", () => {
    // A second copy has its own classes but the same Symbol.for brand.
    const brand = Symbol.for("azure-clients-toolbox.PoolError");
    const foreign = Object.assign(new Error("Cannot acquire"), {
      name: "PoolClosed",
      [brand]: true,
    });
    assert.ok(foreign instanceof PoolError);
    assert.ok(foreign instanceof PoolClosed);
    assert.ok(!(foreign instanceof ConnectionFailed));
  });
});
