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
