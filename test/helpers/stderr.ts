/**
 * Keeps what the program writes to stderr while a test provokes crashes on purpose (a child that
 * runs out of memory prints V8's fatal error there, and the pool passes a child's stderr through):
 * a passing test prints nothing, and the test can check what was written.
 *
 * @module
 */

/** The captured text so far; dispose (`using`) to write to stderr again. */
export interface StderrCapture extends Disposable {
  readonly text: () => string;
}

/** Captures `process.stderr.write` until disposed: `using err = captureStderr();`. */
export function captureStderr(): StderrCapture {
  const stream = process.stderr;
  const original = Object.getOwnPropertyDescriptor(stream, 'write');
  const chunks: string[] = [];
  const write = (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    const done = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    done?.();
    return true;
  };
  Object.defineProperty(stream, 'write', { value: write, configurable: true, writable: true });
  return {
    text: () => chunks.join(''),
    [Symbol.dispose]: () => {
      if (original === undefined) delete (stream as { write?: unknown }).write;
      else Object.defineProperty(stream, 'write', original);
    },
  };
}
