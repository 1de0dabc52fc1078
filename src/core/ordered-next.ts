/**
 * The `next()` of a hand-written async iterator, made safe for calls in flight at once.
 *
 * The async-iterator protocol allows `Promise.all([it.next(), it.next()])`; an async generator
 * queues such calls and settles them in call order. An iterator that keeps one "wake me" slot
 * would let the second call overwrite the first's, and the first would never settle. Every
 * iterator of the library that waits (`map`, `asCompleted`) builds its `next()` here instead.
 *
 * @module
 */

/**
 * Builds a `next()` from two steps.
 *
 * @param step - answers now if it can: a result, or `undefined` for "nothing yet". It may throw
 * (the call rejects with that error). Called again after every `sleep()`.
 * @param sleep - resolves when `step` may have an answer; rejects to end the call with an error
 * (a deadline). Only one `sleep()` is ever pending: the calls take turns.
 * @returns `next()`: a call made while earlier ones are pending waits for them to settle, then
 * takes its own turn, so results and errors come out in call order.
 */
export function orderedNext<T>(
  step: () => IteratorResult<T> | undefined,
  sleep: () => Promise<void>,
): () => Promise<IteratorResult<T>> {
  let waiting = 0;
  let tail: Promise<unknown> = Promise.resolve();
  const slow = async (): Promise<IteratorResult<T>> => {
    for (;;) {
      const answer = step();
      if (answer !== undefined) return answer;
      await sleep();
    }
  };
  const done = (): void => {
    waiting--;
  };
  return () => {
    // Most calls find an answer ready and nobody ahead of them: no promise chain, no async frame.
    if (waiting === 0) {
      let answer: IteratorResult<T> | undefined;
      try {
        answer = step();
      } catch (error) {
        return Promise.reject(error);
      }
      if (answer !== undefined) return Promise.resolve(answer);
    }
    waiting++;
    const result = tail.then(slow, slow);
    tail = result.then(done, done);
    return result;
  };
}
