/**
 * Cosmos DB patch helpers: named operations and their conversion to the
 * SDK's patch operations.
 *
 * @module
 */

import type { PatchOperation } from "@azure/cosmos";

/**
 * The Cosmos patch operation names, as in the Python original's `PatchOp`.
 * `set` adds a property that does not exist, while `replace` fails on one
 * that does not; `incr` adds a number; `move` moves a value from one path to
 * another.
 *
 * @example Naming an operation
 * ```ts
 * import { PatchOp } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * assert.equal(PatchOp.Incr, "incr");
 * ```
 */
export const PatchOp = {
  Add: "add",
  Remove: "remove",
  Replace: "replace",
  Set: "set",
  Incr: "incr",
  Move: "move",
} as const;

/** One of the {@linkcode PatchOp} names. */
export type PatchOp = (typeof PatchOp)[keyof typeof PatchOp];

/**
 * One patch instruction. For `move`, `from` is the source path; for `remove`
 * there is no value; `incr` takes a number.
 *
 * @example A list of operations
 * ```ts
 * import { type Operation, PatchOp } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const ops: Operation[] = [
 *   { op: PatchOp.Set, path: "/status", value: "paid" },
 *   { op: PatchOp.Incr, path: "/total", value: 5 },
 *   { op: PatchOp.Move, from: "/freight", path: "/shipping" },
 * ];
 * assert.equal(ops.length, 3);
 * ```
 */
export type Operation =
  | { op: "add" | "replace" | "set"; path: string; value: unknown }
  | { op: "incr"; path: string; value: number }
  | { op: "remove"; path: string }
  | { op: "move"; from: string; path: string };

function checkPath(index: number, field: string, path: unknown): string {
  if (typeof path !== "string" || !path.startsWith("/")) {
    throw new TypeError(
      `Cannot make patch operation #${index} as '${field}' must be a JSON pointer starting with '/': received ${
        typeof path === "string" ? JSON.stringify(path) : typeof path
      }`,
    );
  }
  return path;
}

/**
 * Turns {@linkcode Operation}s into the SDK's patch operations, for
 * `container.item(id, pk).patch(...)`. (The SDK's `PatchOperation` type does
 * not list `move`, which the service accepts; it is passed through as is.)
 *
 * @param operations The operations, at most 10 per request by the service.
 * @returns The SDK's patch operations.
 * @throws {TypeError} For an unknown op, a path that is not a JSON pointer, a
 * missing value, or a non-numeric `incr` value.
 *
 * @example Patching an item
 * ```ts
 * import { PatchOp, toPatchOperations } from "@azure-clients/toolbox/cosmos";
 * import assert from "node:assert/strict";
 *
 * const ops = toPatchOperations([
 *   { op: PatchOp.Incr, path: "/total", value: 5 },
 *   { op: PatchOp.Move, from: "/freight", path: "/shipping" },
 * ]);
 * assert.deepEqual(ops, [
 *   { op: "incr", path: "/total", value: 5 },
 *   { op: "move", from: "/freight", path: "/shipping" },
 * ]);
 * ```
 */
export function toPatchOperations(
  operations: readonly Operation[],
): PatchOperation[] {
  return operations.map((operation, index): PatchOperation => {
    const { op } = operation;
    const path = checkPath(index, "path", operation.path);
    switch (op) {
      case "remove":
        return { op, path };
      case "move":
        return {
          op,
          from: checkPath(index, "from", operation.from),
          path,
        } as unknown as PatchOperation;
      case "incr":
        if (
          typeof operation.value !== "number" ||
          !Number.isFinite(operation.value)
        ) {
          throw new TypeError(
            `Cannot make patch operation #${index} as 'incr' needs a finite number: received ${typeof operation
              .value}`,
          );
        }
        return { op, path, value: operation.value };
      case "add":
      case "replace":
      case "set":
        if (!("value" in operation) || operation.value === undefined) {
          throw new TypeError(
            `Cannot make patch operation #${index} as '${op}' needs a value`,
          );
        }
        return { op, path, value: operation.value };
      default:
        throw new TypeError(
          `Cannot make patch operation #${index} as its op must be one of ${
            Object.values(PatchOp).join(", ")
          }: received ${JSON.stringify(op)}`,
        );
    }
  });
}
