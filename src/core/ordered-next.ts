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
 * Calls of `next()` taking turns over two steps.
 *
 * `step` answers now if it can: a result, or `undefined` for "nothing yet". It may throw (the call
 * rejects with that error), and it is called again after every `sleep()`. `sleep` resolves when
 * `step` may have an answer, and rejects to end the call with an error (a deadline). Only one
 * `sleep()` is ever pending: a call made while earlier ones are pending waits for them to settle,
 * then takes its own turn, so results and errors come out in call order.
 */
export class OrderedNext<T> {
  #waiting = 0;
  #tail: Promise<unknown> = Promise.resolve();
  readonly #step: () => IteratorResult<T> | undefined;
  readonly #sleep: () => Promise<void>;
  readonly #slow = async (): Promise<IteratorResult<T>> => {
    for (;;) {
      const answer = this.#step();
      if (answer !== undefined) return answer;
      await this.#sleep();
    }
  };
  readonly #done = (): void => {
    this.#waiting--;
  };

  constructor(step: () => IteratorResult<T> | undefined, sleep: () => Promise<void>) {
    this.#step = step;
    this.#sleep = sleep;
  }

  /** Calls that have not settled yet. An iterator may answer on its own only while this is 0. */
  get waiting(): number {
    return this.#waiting;
  }

  next(): Promise<IteratorResult<T>> {
    // Most calls find an answer ready and nobody ahead of them: no promise chain, no async frame.
    if (this.#waiting === 0) {
      let answer: IteratorResult<T> | undefined;
      try {
        answer = this.#step();
      } catch (error) {
        return Promise.reject(error);
      }
      if (answer !== undefined) return Promise.resolve(answer);
    }
    this.#waiting++;
    const result = this.#tail.then(this.#slow, this.#slow);
    this.#tail = result.then(this.#done, this.#done);
    return result;
  }
}

/** A `next()` function over {@link OrderedNext}. */
export function orderedNext<T>(
  step: () => IteratorResult<T> | undefined,
  sleep: () => Promise<void>,
): () => Promise<IteratorResult<T>> {
  const turns = new OrderedNext(step, sleep);
  return () => turns.next();
}
