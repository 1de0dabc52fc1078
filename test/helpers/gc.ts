/**
 * Forces a full garbage collection without starting node with `--expose-gc`, to check that
 * something is no longer referenced (CPython's `test_no_stale_references` uses `gc.collect()`).
 *
 * @module
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { nextTurn } from './futures.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Resolves once `ref`'s target has been collected, or `false` after a few rounds of collection.
 * A WeakRef keeps its target alive until the current job ends, so each round yields first.
 */
export async function collected(ref: WeakRef<object>, rounds = 10): Promise<boolean> {
  for (let i = 0; i < rounds; i++) {
    await nextTurn();
    gc();
    if (ref.deref() === undefined) return true;
  }
  return false;
}
