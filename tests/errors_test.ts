import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  AuthenticationFailed,
  ConnectionFailed,
  ConnectionsExhausted,
  EntityNotFound,
  OperationTimeout,
  PoolClosed,
  PoolError,
  RequestFailed,
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

  it("give each service refusal its own code, with the status, the service's code and the entity", () => {
    const cause = new Error("404 not found");
    const missing = new EntityNotFound("Cannot send to queue 'q'", "q", {
      statusCode: 404,
      serviceCode: "MessagingEntityNotFound",
      cause,
    });
    assert.equal(missing.name, "EntityNotFound");
    assert.equal(missing.code, "ENTITY_NOT_FOUND");
    assert.equal(missing.entity, "q");
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.serviceCode, "MessagingEntityNotFound");
    assert.equal(missing.cause, cause);
    assert.ok(missing instanceof RequestFailed);
    assert.ok(!(missing instanceof AuthenticationFailed));
    assert.equal(new AuthenticationFailed("401").code, "AUTHENTICATION_FAILED");
    assert.equal(new RequestFailed("412").code, "REQUEST_FAILED");
    assert.equal(new OperationTimeout("late").code, "OPERATION_TIMEOUT");
    assert.ok(!(new OperationTimeout("late") instanceof RequestFailed));
  });

  it("recognise a subclass from another copy as an instance of its parents", () => {
    const brand = Symbol.for("azure-clients-toolbox.PoolError");
    const kinds = Symbol.for("azure-clients-toolbox.PoolError.kinds");
    const foreign = Object.assign(new Error("Cannot open"), {
      name: "AuthenticationFailed",
      [brand]: true,
      [kinds]: ["AuthenticationFailed", "RequestFailed", "PoolError"],
    });
    assert.ok(foreign instanceof AuthenticationFailed);
    assert.ok(foreign instanceof RequestFailed);
    assert.ok(foreign instanceof PoolError);
    assert.ok(!(foreign instanceof EntityNotFound));
    assert.ok(!(foreign instanceof ConnectionFailed));
  });
});
