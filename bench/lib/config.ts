// Sizes of a full run and of a --quick run. Everything a child or the Python
// script measures comes from here, so both sides always agree.

import type { RoundSpec, Sizes } from './types.js';

/**
 * 32 consecutive primes above 4e14. Trial division costs about the same for each
 * (sqrt(n)/2 ≈ 1e7 odd divisors, ~80 ms in V8 here), so the batch is balanced and
 * takes ~2.6 s single-threaded. Long enough that starting the workers weighs what it
 * does in real work: a fresh worker thread takes ~22 ms to run its first task here
 * however it is written, which alone capped a 1.3 s batch (16 primes) near 1.89×.
 */
const NODE_PRIMES = [
  400000000000063, 400000000000129, 400000000000147, 400000000000187, 400000000000201, 400000000000231,
  400000000000241, 400000000000247, 400000000000253, 400000000000261, 400000000000339, 400000000000357,
  400000000000361, 400000000000399, 400000000000507, 400000000000547, 400000000000591, 400000000000669,
  400000000000687, 400000000000691, 400000000000693, 400000000000763, 400000000000789, 400000000000793,
  400000000000831, 400000000000873, 400000000000879, 400000000000919, 400000000000999, 400000000001011,
  400000000001027, 400000000001029,
];

/**
 * CPython runs the same loop ~3.5× slower, so its balanced batch uses 32 primes
 * above 3e13: ~80 ms each, ~2.6 s single-threaded, the same cost per task as the
 * Node batch. Speedup is a ratio against each language's own single-threaded run.
 */
const PYTHON_PRIMES = [
  30000000000011, 30000000000013, 30000000000017, 30000000000073, 30000000000079, 30000000000109,
  30000000000161, 30000000000163, 30000000000181, 30000000000253, 30000000000263, 30000000000319,
  30000000000329, 30000000000413, 30000000000419, 30000000000457, 30000000000463, 30000000000533,
  30000000000571, 30000000000611, 30000000000637, 30000000000713, 30000000000727, 30000000000743,
  30000000000767, 30000000000863, 30000000000907, 30000000000913, 30000000000917, 30000000000941,
  30000000000973, 30000000001003,
];

/** The course chapter's exercise numbers, in its order (four primes, one even, one composite). */
export const COURSE_NUMBERS = [
  112272535095293, 112582705942171, 102272535065492, 115280095190773, 115797848077099, 1099726899285419,
];

/**
 * Where the long tasks of the mixed scenario sit: one in every block of `every`
 * consecutive tasks, at a place drawn from a fixed linear congruential sequence (the
 * high bits, which are the well-mixed ones). A fixed count keeps the ideal exact; a
 * drawn place keeps the long tasks from all landing on one parity, which would make a
 * round-robin split look worse (or, shifted by one, better) than chance would.
 */
export function longPositions(n: number, every: number): number[] {
  const out: number[] = [];
  let state = 0x2545f491;
  for (let block = 0; block < n; block += every) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const offset = Math.floor((state / 2 ** 32) * Math.min(every, n - block));
    out.push(block + offset);
  }
  return out;
}

/**
 * The mixed scenario: 1 task in 100 busy-waits 20 ms, the others 10 µs. 20,000 tasks
 * are 4 s + 0.2 s of work, so a perfect pool of 2 workers takes 2.1 s.
 */
function mixedSizes(n: number, warmupN: number, round: RoundSpec): Sizes['mixed'] {
  return { ...round, n, warmupN, shortUs: 10, longUs: 20_000, longAt: longPositions(n, 100) };
}

export function sizes(quick: boolean): Sizes {
  if (quick) {
    // Just enough work to prove every path runs: one round, no budget games.
    const once = { rounds: 1, minRounds: 1, budgetMs: 0, extraRounds: 0 };
    return {
      quick,
      workers: 2,
      tiny: { ...once, n: 2_000, warmupN: 200 },
      map: { ...once, n: 20_000, warmupN: 2_000, chunksize: 1000 },
      roundtrip: { ...once, n: 200, warmupN: 20 },
      mixed: mixedSizes(2_000, 200, once),
      behind: { ...once, longUs: 500_000, warmupLongUs: 300_000, startDelayMs: 100 },
      // A few ms of work each: the speedups are meaningless, the code paths are not.
      cpu: { ...once, node: [10_000_000_000_037, 10_000_000_000_051], python: [1_000_000_000_039, 1_000_000_000_061], course: COURSE_NUMBERS.slice(0, 2) },
      first: once,
      rss: { n: 2_000 },
      lock: { ...once, syncOps: 10_000, asyncOps: 10_000 },
      handoff: { ...once, n: 500, warmupN: 50 },
      mp: { ...once, messages: 2_000, roundTrips: 200, bigBytes: 1024 * 1024 },
      dist: { ...once, jobs: 500, items: 20_000, chunksize: 1000, processes: 2, concurrency: 16 },
    };
  }
  return {
    quick,
    workers: 2,
    // Slow pools need ~13 s per round here; the budget stops them after three.
    tiny: { rounds: 5, minRounds: 3, budgetMs: 15_000, n: 100_000, warmupN: 10_000 },
    map: { rounds: 5, minRounds: 3, budgetMs: 15_000, n: 1_000_000, warmupN: 100_000, chunksize: 1000 },
    roundtrip: { rounds: 5, minRounds: 3, budgetMs: 10_000, n: 2_000, warmupN: 200 },
    // ~2.1-3 s a round: three rounds, and at most two more to replace disturbed ones.
    mixed: mixedSizes(20_000, 2_000, { rounds: 3, minRounds: 3, budgetMs: 0, extraRounds: 2 }),
    // ~2 s a round (the long task's length), likewise; tiny tasks run for the middle 1.6 s.
    behind: { rounds: 3, minRounds: 3, budgetMs: 0, extraRounds: 2, longUs: 2_000_000, warmupLongUs: 500_000, startDelayMs: 200 },
    // Each round pairs a single-threaded run with a pool run; the pool runs depend on
    // where the scheduler puts fresh workers, so every round is kept (no time budget).
    cpu: {
      rounds: 5,
      minRounds: 5,
      budgetMs: 0,
      node: NODE_PRIMES,
      python: PYTHON_PRIMES,
      course: COURSE_NUMBERS,
    },
    first: { rounds: 5, minRounds: 5, budgetMs: 0 },
    rss: { n: 100_000 },
    lock: { rounds: 5, minRounds: 3, budgetMs: 10_000, syncOps: 2_000_000, asyncOps: 500_000 },
    // ~20k round trips take 0.3-2.5 s depending on where the scheduler puts the two threads.
    handoff: { rounds: 5, minRounds: 3, budgetMs: 15_000, n: 20_000, warmupN: 1_000 },
    // ~40k messages/s through a Queue here: about a second per one-way run. The large item is
    // the 64 MiB of the course's "a big object through a queue" worry, there and back.
    mp: { rounds: 5, minRounds: 3, budgetMs: 30_000, messages: 50_000, roundTrips: 5_000, bigBytes: 64 * 1024 * 1024 },
    // Two worker processes of concurrency 16 each, the same for every subject.
    dist: { rounds: 5, minRounds: 3, budgetMs: 40_000, jobs: 20_000, items: 1_000_000, chunksize: 1000, processes: 2, concurrency: 16 },
  };
}
