/**
 * Unknown option keys and topic names of the Event Grid publisher
 * (internal; never re-exported), with the package's "did you mean".
 *
 * @module
 */

import { didYouMean } from "../pool/_did_you_mean.ts";

export { didYouMean } from "../pool/_did_you_mean.ts";

/**
 * Checks that an options bag sets no key outside `known`.
 *
 * @param what The action that failed, for the message ("create
 * EventGridPublisher").
 * @param path How the bag is reached, for the message (`""` for the top,
 * `"topics.orders."` for a topic).
 * @param options The bag (may be `undefined`).
 * @param known The keys the bag may set.
 * @throws {TypeError} When the bag is not an object or sets an unknown key
 * (the message lists the known keys and suggests a close one).
 */
export function rejectUnknown(
  what: string,
  path: string,
  options: unknown,
  known: readonly string[],
): void {
  if (options === undefined) return;
  if (
    typeof options !== "object" || options === null || Array.isArray(options)
  ) {
    throw new TypeError(
      `Cannot ${what} as ${
        path === "" ? "its options" : `'${path.slice(0, -1)}'`
      } must be an object: received ${
        options === null ? "null" : Array.isArray(options) ? "an array" : (
          typeof options === "string" ? "a string" : typeof options
        )
      }`,
    );
  }
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    throw new TypeError(
      `Cannot ${what} as '${path}${key}' is not an option${
        didYouMean(key, known)
      }: known options are ${known.join(", ")}`,
    );
  }
}
