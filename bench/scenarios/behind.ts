// Tiny behind long: a warm pool of 2 workers gets one task that busy-waits 2 s, then
// tiny `add` tasks one at a time, each awaited before the next, while the long task
// runs. Measures whether a quick task waits behind a long one when another worker is
// free; median and p99 latency of the tiny tasks, to be read against the same pool's
// round trip without the long task.
//
// The long task must be running before the first tiny task is sent. Process pools
// share no memory with the caller, so every subject does the same thing: it waits
// `startDelayMs` after submitting the long task (a warm, idle pool starts a task in
// microseconds), and the long task returns the time it began (`Date.now()`, which all
// threads and processes share); a long task that began after the first tiny task was
// sent fails the cell. Tiny tasks stop `startDelayMs` before the long task is due to
// end, so every one of them is sent while it runs.

import { median, quantile } from '../lib/stats.js';
import { nowMs, runRounds } from '../lib/measure.js';
import { check, closeWithin, warmPool, type NodeScenario } from './scenario.js';

interface Round {
  p50: number;
  p99: number;
  count: number;
}

export const behind: NodeScenario = async (factory, sizes) => {
  const spec = sizes.behind;
  const pool = await warmPool(factory, sizes);
  const { spinStamped } = pool;
  if (spinStamped === undefined) throw new Error('this subject has no spinStamped task');
  const once = async (longUs: number): Promise<Round> => {
    const longMs = longUs / 1000;
    const submitted = nowMs();
    let longDone = false;
    // Settled into a value at once: a rejection must not go unhandled while the tiny tasks run.
    const long = Promise.resolve(spinStamped(longUs)).then(
      (started) => ({ started }),
      (error: unknown) => ({ error }),
    );
    void long.then(() => {
      longDone = true;
    });
    await new Promise((resolve) => setTimeout(resolve, spec.startDelayMs));
    const firstSent = Date.now();
    const deadline = submitted + longMs - spec.startDelayMs;
    const latencies: number[] = [];
    // At least one tiny task, even when a busy machine stretched the delay past the deadline.
    for (let i = 0; !longDone && (i === 0 || nowMs() < deadline); i++) {
      const start = nowMs();
      const r = await pool.call(i, 1);
      latencies.push((nowMs() - start) * 1000);
      check(r === i + 1, `add(${i}, 1) = ${r}`);
    }
    const outcome = await long;
    if ('error' in outcome) throw outcome.error;
    check(nowMs() - submitted >= longMs, `the long task returned after ${(nowMs() - submitted).toFixed(0)} ms, under its ${longMs} ms`);
    check(outcome.started <= firstSent, `the long task began ${outcome.started - firstSent} ms after the first tiny task was sent`);
    check(latencies.length > 0, 'no tiny task was sent while the long task ran');
    return { p50: median(latencies), p99: quantile(latencies, 0.99), count: latencies.length };
  };
  try {
    const rounds = await runRounds(spec, () => once(spec.warmupLongUs), () => once(spec.longUs));
    const p50s = rounds.map((r) => r.p50);
    const p99s = rounds.map((r) => r.p99);
    return {
      metrics: { behindP50: median(p50s), behindP99: median(p99s) },
      samples: { p50Us: p50s, p99Us: p99s, tinyTasks: rounds.map((r) => r.count) },
      rounds: rounds.length,
    };
  } finally {
    await closeWithin(pool);
  }
};
