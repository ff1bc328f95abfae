/**
 * The bookkeeping of `pool.recycle()`: which connections belong to an older
 * generation, which of them still take callers and wait for a replacement,
 * and who waits for them all to close. The pool decides when to open and
 * retire (`connection_pool.ts`); this file only remembers.
 *
 * ```
 * recycle() ──▶ every slot held now is old
 *   old and ready ──(a new connection is ready)──▶ retired: drains, closes ──▶ gone
 *   old and opening ──(becomes ready)──▶ old and ready
 *   the last old slot of a call gone ──▶ that call's promise resolves
 * ```
 *
 * @module
 */

interface Generation<S> {
  /** Its slots not gone yet. */
  readonly left: Set<S>;
  readonly resolve: () => void;
}

/** The old generations of one pool while a `recycle()` is under way. */
export class Recycling<S> {
  /** Old slots that take callers: each waits for a replacement, then drains. */
  readonly toReplace: Set<S> = new Set<S>();
  /** Every old slot not gone yet, of all calls. */
  readonly #old = new Set<S>();
  readonly #generations: Generation<S>[] = [];

  /** Whether every old slot is gone. */
  get done(): boolean {
    return this.#old.size === 0;
  }

  /**
   * Marks `slots` old.
   *
   * @param slots Every slot the pool holds now.
   * @param isReady Whether a slot takes callers now.
   * @returns When every one of them is gone.
   */
  add(slots: Iterable<S>, isReady: (slot: S) => boolean): Promise<void> {
    const left = new Set<S>();
    for (const slot of slots) {
      left.add(slot);
      this.#old.add(slot);
      if (isReady(slot)) this.toReplace.add(slot);
    }
    if (left.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#generations.push({ left, resolve });
    });
  }

  /** Whether `slot` belongs to an old generation. */
  isOld(slot: S): boolean {
    return this.#old.has(slot);
  }

  /** The old slot in `toReplace` with the fewest callers, to drain next. */
  next(callers: (slot: S) => number): S | undefined {
    let best: S | undefined;
    for (const slot of this.toReplace) {
      if (best === undefined || callers(slot) < callers(best)) best = slot;
    }
    return best;
  }

  /** `slot` left the pool; resolves the calls it was the last of. */
  gone(slot: S): void {
    if (!this.#old.delete(slot)) return;
    this.toReplace.delete(slot);
    for (let i = this.#generations.length - 1; i >= 0; i--) {
      const generation = this.#generations[i]!;
      generation.left.delete(slot);
      if (generation.left.size === 0) {
        this.#generations.splice(i, 1);
        generation.resolve();
      }
    }
  }
}
