/**
 * Makes a worker thread's `process.stdout`/`process.stderr` write straight to the process's file
 * descriptors. By default Node forwards a worker's output through the main thread asynchronously,
 * so a line printed by a task could appear after the main thread has already printed the task's
 * result. Python's threads print directly; with this, so do ours, in real time order.
 *
 * @module
 */
import { writeSync } from 'node:fs';

const pause = new Int32Array(new SharedArrayBuffer(4));

function writeAll(fd: number, data: Uint8Array): void {
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += writeSync(fd, data, offset);
    } catch (error) {
      // The descriptor may be non-blocking (a pipe the main thread opened); wait for room.
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 1);
    }
  }
}

function redirect(stream: NodeJS.WriteStream, fd: number): void {
  const write = (chunk: unknown, encoding?: unknown, callback?: unknown): boolean => {
    const cb = typeof encoding === 'function' ? encoding : callback;
    let error: Error | null = null;
    try {
      const data = typeof chunk === 'string'
        ? Buffer.from(chunk, typeof encoding === 'string' ? encoding as BufferEncoding : 'utf8')
        : chunk instanceof Uint8Array ? chunk : Buffer.from(String(chunk));
      writeAll(fd, data);
    } catch (e) {
      error = e as Error;
    }
    if (typeof cb === 'function') (cb as (e: Error | null) => void)(error);
    return true;
  };
  Object.defineProperty(stream, 'write', { value: write, configurable: true, writable: true });
}

/** Redirects both streams of the current worker thread. */
export function useDirectStdio(): void {
  redirect(process.stdout, 1);
  redirect(process.stderr, 2);
}
