/**
 * Where the library reports errors it must not throw: a done-callback that threw, a worker that
 * died with nothing in flight. Python logs these on the `concurrent.futures` logger; here they go
 * to `console.error` unless the program installs its own reporter.
 *
 * @module
 */

/** Receives a message and the error it is about. */
export type ErrorReporter = (message: string, error: unknown) => void;

let reporter: ErrorReporter = (message, error) => {
  console.error(message, error);
};

/**
 * Replaces the reporter.
 *
 * @param next - receives each message (Python's text, such as `exception calling callback for
 *   <Future …>`) and the error it is about.
 * @returns the previous reporter, so that it can be restored.
 */
export function setErrorReporter(next: ErrorReporter): ErrorReporter {
  const previous = reporter;
  reporter = next;
  return previous;
}

/** Reports `error` without ever throwing: a reporter that throws is itself ignored. */
export function reportError(message: string, error: unknown): void {
  try {
    reporter(message, error);
  } catch {
    // Nothing sensible is left to do: reporting must never break the caller.
  }
}
