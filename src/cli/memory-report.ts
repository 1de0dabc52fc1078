/**
 * The hidden `--report-rss` flag: what the tests use to check that memory stays flat. At exit it
 * prints the process's peak resident set size (`getrusage`'s `ru_maxrss`: every thread counted,
 * workers and loader included) and the largest heap left right after a full (mark-compact)
 * collection of the main thread: the live data, which is what must not grow with the input. The
 * peak RSS also holds the garbage V8 had not yet collected, so it moves with GC timing.
 *
 * @module
 */
import { GCProfiler } from 'node:v8';

/** Records collections from now on; {@link MemoryReport.report} gives the line to print. */
export class MemoryReport {
  readonly #profiler = new GCProfiler();

  constructor() {
    this.#profiler.start();
  }

  /** `peak RSS 123.4 MB; live heap after full GCs at most 20.1 MB (7 full GCs)`. */
  report(): string {
    const rss = process.resourceUsage().maxRSS / 1024;
    const full = (this.#profiler.stop()?.statistics ?? []).filter((gc) => gc.gcType === 'MarkSweepCompact');
    const live = Math.max(0, ...full.map((gc) => gc.afterGC.heapStatistics.usedHeapSize)) / 1048576;
    return `peak RSS ${rss.toFixed(1)} MB; live heap after full GCs at most ${live.toFixed(1)} MB (${full.length} full GCs)`;
  }
}
