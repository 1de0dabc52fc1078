/**
 * Captures what the library reports through `setErrorReporter` (a throwing done-callback, a
 * worker that died idle, a failing initializer) and restores the previous reporter afterwards.
 *
 * @module
 */
import { setErrorReporter, type ErrorReporter } from '../../src/futures/index.js';

/** One captured report. */
export interface Report {
  readonly message: string;
  readonly error: unknown;
}

/** Reports captured since {@link captureReports}; dispose (or call `restore`) to put the old reporter back. */
export interface ReportCapture extends Disposable {
  readonly reports: Report[];
  /** Resolves with the first report whose message matches (already captured or future). */
  next(match?: RegExp): Promise<Report>;
  restore(): void;
}

/**
 * Replaces the error reporter until the capture is disposed:
 * `using capture = captureReports();`.
 */
export function captureReports(): ReportCapture {
  const reports: Report[] = [];
  const waiters: Array<{ match: RegExp | undefined; resolve: (r: Report) => void }> = [];
  let previous: ErrorReporter | undefined = setErrorReporter((message, error) => {
    const report = { message, error };
    reports.push(report);
    for (const w of waiters.splice(0)) {
      if (w.match === undefined || w.match.test(message)) w.resolve(report);
      else waiters.push(w);
    }
  });
  const restore = (): void => {
    if (previous === undefined) return;
    setErrorReporter(previous);
    previous = undefined;
  };
  return {
    reports,
    next(match) {
      const found = reports.find((r) => match === undefined || match.test(r.message));
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
    restore,
    [Symbol.dispose]: restore,
  };
}
