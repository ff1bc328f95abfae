/**
 * The one runtime-specific need of the core: a timer that does not keep the
 * process alive. Feature-detected, so this file imports nothing.
 *
 * @module
 */

/**
 * Lets the process exit while `handle` is pending: `handle.unref()` on Node,
 * Bun and Deno 2 (whose timers return a Node-style `Timeout`), `Deno.unrefTimer`
 * for a numeric id on older Deno, nothing elsewhere (browsers, fake clocks).
 *
 * @param handle What `setTimeout`/`setInterval` (or a fake clock) returned.
 * @returns The same handle.
 */
export function unrefTimer<H>(handle: H): H {
  const timer = handle as { unref?: () => unknown };
  if (
    timer !== null && typeof timer === "object" &&
    typeof timer.unref === "function"
  ) {
    timer.unref();
  } else if (typeof handle === "number") {
    const deno =
      (globalThis as { Deno?: { unrefTimer?: (id: number) => void } }).Deno;
    deno?.unrefTimer?.(handle);
  }
  return handle;
}

/**
 * Lets `handle` keep the process alive (`ref`) or not (`unref`), where the
 * handle has both methods (Node, Bun, Deno 2). A numeric id is left alone:
 * it may be a fake clock's, and `Deno.refTimer` on it could hold a real timer.
 *
 * @param handle What `setTimeout` (or a fake clock) returned.
 * @param ref Whether the timer keeps the process alive.
 * @returns Whether the timer could be switched (false: cancel it instead).
 */
export function refTimer(handle: unknown, ref: boolean): boolean {
  const timer = handle as { ref?: () => unknown; unref?: () => unknown };
  if (
    timer === null || typeof timer !== "object" ||
    typeof timer.ref !== "function" || typeof timer.unref !== "function"
  ) {
    return false;
  }
  if (ref) timer.ref();
  else timer.unref();
  return true;
}
