/**
 * The progress bar of `concurrent-ts map`, drawn on stderr when stderr is a terminal: items done,
 * rate, and (when the total is known) percentage and ETA. It redraws at most ten times a second
 * and never writes to a pipe or a file.
 *
 * @module
 */

/** Redraw interval. */
const FRAME_MS = 100;
/** The rate is measured over roughly this window, so it follows changes in speed. */
const RATE_WINDOW_MS = 5000;

/**
 * Whether to draw a bar on `stream`: only on a terminal, never when `CI` is set (to anything but
 * `false` or `0`), and not when the user said `--no-progress`.
 */
export function wantsProgress(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, enabled: boolean): boolean {
  if (!enabled || stream.isTTY !== true) return false;
  const ci = env.CI;
  return ci === undefined || ci === '' || ci === 'false' || ci === '0';
}

/** A one-line progress display; the run updates {@link ProgressBar.done} and {@link ProgressBar.failed}. */
export class ProgressBar {
  /** Items finished (successfully or not). */
  done = 0;
  /** Items that failed. */
  failed = 0;
  /** Attempts made again (`--retries`). */
  retries = 0;
  /** Total items, once known. */
  total: number | undefined = undefined;
  readonly #stream: NodeJS.WriteStream;
  readonly #started = performance.now();
  readonly #samples: Array<[number, number]> = [];
  #timer: NodeJS.Timeout | undefined;
  #shown = false;
  readonly #plainEveryMs: number | undefined;

  /**
   * @param options.plainEveryMs - no bar: a plain line (`concurrent-ts: 60% 600/1,000 · … · ETA 0:01`)
   *   this often, for a stderr that is no terminal (`--eta`). The rate and ETA are the bar's.
   */
  constructor(stream: NodeJS.WriteStream, options: { plainEveryMs?: number } = {}) {
    this.#stream = stream;
    this.#plainEveryMs = options.plainEveryMs;
  }

  /** Starts redrawing. The timer does not keep the process alive. */
  start(): void {
    const plain = this.#plainEveryMs;
    if (plain === undefined) {
      this.#timer = setInterval(() => this.draw(), FRAME_MS);
    } else {
      // The rate is sampled as often as the bar's, so that both say the same; a line goes out now and then.
      let last = performance.now();
      this.#timer = setInterval(() => {
        const now = performance.now();
        if (now - last < plain) {
          this.#sample(now);
          return;
        }
        last = now;
        this.#stream.write(`concurrent-ts: ${renderBar(this.done, this.failed, this.total, this.#sample(now), now - this.#started, 200, this.retries, false)}\n`);
      }, FRAME_MS);
    }
    this.#timer.unref();
  }

  /** Erases the bar (before other output on the same terminal); the next frame draws it again. */
  clear(): void {
    if (!this.#shown) return;
    this.#stream.write('\r\x1b[2K');
    this.#shown = false;
  }

  /** Erases the bar for good. */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.clear();
  }

  /** Draws the current state now. */
  draw(): void {
    const now = performance.now();
    const rate = this.#sample(now);
    // A terminal that reports no size (a bare pseudo-terminal) gets the classic 80 columns.
    const columns = this.#stream.columns > 0 ? this.#stream.columns : 80;
    const width = Math.max(20, columns - 1);
    this.#stream.write(`\r${renderBar(this.done, this.failed, this.total, rate, now - this.#started, width, this.retries)}\x1b[K`);
    this.#shown = true;
  }

  /** Records `done` at `now`; returns the rate (items/s) over the last few seconds. */
  #sample(now: number): number {
    this.#samples.push([now, this.done]);
    while (this.#samples.length > 2 && now - (this.#samples[0] as [number, number])[0] > RATE_WINDOW_MS) this.#samples.shift();
    const [t0, d0] = this.#samples[0] as [number, number];
    return now - t0 > 0 ? ((this.done - d0) * 1000) / (now - t0) : 0;
  }
}

/**
 * One frame of the bar, at most `width` characters:
 * `▕██████░░░░▏ 60% 600/1,000 · 1,234/s · ETA 0:01 · 2 failed` with a total,
 * `600 done · 1,234/s · 0:05 elapsed` without; `· 3 retried` once an attempt was made again.
 */
export function renderBar(done: number, failed: number, total: number | undefined, rate: number, elapsedMs: number, width: number, retries = 0,
  graphic = true): string {
  const parts: string[] = [];
  if (total !== undefined && total > 0) {
    const share = Math.min(1, done / total);
    parts.push(`${Math.floor(share * 100)}%`, `${count(done)}/${count(total)}`, `${count(Math.round(rate))}/s`);
    parts.push(rate > 0 && done < total ? `ETA ${clock(((total - done) / rate) * 1000)}` : `${clock(elapsedMs)} elapsed`);
    if (failed > 0) parts.push(`${count(failed)} failed`);
    if (retries > 0) parts.push(`${count(retries)} retried`);
    const text = parts.join(' · ');
    const room = width - text.length - 3;
    if (room < 10 || !graphic) return text.slice(0, width);
    const barWidth = Math.min(40, room);
    const filled = Math.floor(share * barWidth);
    return `▕${'█'.repeat(filled)}${'░'.repeat(barWidth - filled)}▏ ${text}`;
  }
  parts.push(`${count(done)} done`, `${count(Math.round(rate))}/s`, `${clock(elapsedMs)} elapsed`);
  if (failed > 0) parts.push(`${count(failed)} failed`);
  if (retries > 0) parts.push(`${count(retries)} retried`);
  return parts.join(' · ').slice(0, width);
}

/** `1234567` → `1,234,567`. */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Milliseconds as `m:ss` or `h:mm:ss`. */
export function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
