/**
 * A progress line on stderr, rewritten in place, shown only on a terminal
 * (a pipe or a CI log gets nothing).
 *
 * @module
 */

const encoder = new TextEncoder();

/**
 * One line of progress on stderr, overwritten by each `show`.
 *
 * @example Showing and clearing
 * ```ts
 * import { ProgressLine } from "./progress_line.ts";
 *
 * const progress = new ProgressLine();
 * progress.show("bench: 3 of 10 cells");
 * progress.clear();
 * ```
 */
export class ProgressLine {
  #enabled = Deno.stderr.isTerminal();
  #width = 0;

  /** Replaces the line with `text`. */
  show(text: string): void {
    if (!this.#enabled) return;
    const padded = text.padEnd(this.#width);
    this.#width = text.length;
    Deno.stderr.writeSync(encoder.encode(`\r${padded}`));
  }

  /** Blanks the line, so that what is printed next starts clean. */
  clear(): void {
    if (!this.#enabled || this.#width === 0) return;
    Deno.stderr.writeSync(encoder.encode(`\r${" ".repeat(this.#width)}\r`));
    this.#width = 0;
  }
}
