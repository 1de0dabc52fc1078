/**
 * `callEach`: one function over a chunk of items, the way every runner of a `map` chunk calls it
 * (a pool worker, and an inline distributed worker): each item that throws or rejects fails
 * alone, and the chunk waits only when some item returned a promise.
 *
 * @module
 */

/** What {@link callEach} gives back. */
export interface EachOutcome {
  /** One value per item; a failed item's slot holds what `onError` made of its error. */
  readonly values: unknown[];
  /** Indexes of the failed items, ascending, or `null` when none failed. */
  readonly failed: number[] | null;
  /** Milliseconds the chunk took. */
  readonly ms: number;
}

/** A value with a `then` method, which `await` would wait for. */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function')
    && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Calls `fn(item)` (or `fn(...item)` with `star`) for each item. Synchronous when no item returns
 * a promise, so a chunk of plain calls costs no microtask.
 */
export function callEach(
  fn: (...args: unknown[]) => unknown,
  items: ArrayLike<unknown>,
  star: boolean,
  onError: (error: unknown) => unknown,
): EachOutcome | Promise<EachOutcome> {
  const t0 = performance.now();
  const values = new Array<unknown>(items.length);
  let failed: number[] | null = null;
  let pending: Array<PromiseLike<unknown>> | null = null;
  for (let i = 0; i < items.length; i++) {
    let r: unknown;
    try {
      r = star ? fn(...(items[i] as unknown[])) : fn(items[i]);
    } catch (error) {
      values[i] = onError(error);
      (failed ??= []).push(i);
      continue;
    }
    if (isThenable(r)) {
      const at = i;
      (pending ??= []).push(Promise.resolve(r).then((v) => {
        values[at] = v;
      }, (error: unknown) => {
        values[at] = onError(error);
        (failed ??= []).push(at);
      }));
    } else {
      values[i] = r;
    }
  }
  if (pending === null) return { values, failed, ms: performance.now() - t0 };
  // Promises settle in any order; failures are reported in item order.
  return Promise.all(pending).then(() => ({ values, failed: failed === null ? null : failed.sort((a, b) => a - b), ms: performance.now() - t0 }));
}
