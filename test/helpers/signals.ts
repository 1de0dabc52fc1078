/**
 * A board of counters that tests and tasks use to order their steps: a task bumps a counter when
 * it has started, a test opens a gate by bumping another, and each side waits for the value it
 * needs. No step waits for a fixed time.
 *
 * Two kinds of board, chosen by the executor under test:
 * - `shared`: an `Int32Array` over a `SharedArrayBuffer` (threads share it; `Atomics.wait`/`notify`);
 * - `files`: one file per counter in a temporary directory, whose size is its value (processes
 *   share no memory; appends of one byte are atomic). Waits poll every 2 ms.
 *
 * A board is plain data, so it travels to a worker as an argument. This module is loaded by the
 * test and by the fixture tasks in the workers; it imports nothing from the library.
 *
 * @module
 */
import { appendFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type Board =
  | { readonly kind: 'shared'; readonly sab: SharedArrayBuffer }
  | { readonly kind: 'files'; readonly dir: string };

const SLOTS = 16;
/** How long a wait lasts before it gives up: a test that would hang fails instead. */
const DEFAULT_WAIT_MS = 30_000;
const POLL_MS = 2;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

const boardDirs: string[] = [];
let cleanupInstalled = false;

/** A new board with every counter at 0. */
export function createBoard(kind: Board['kind']): Board {
  if (kind === 'shared') return { kind, sab: new SharedArrayBuffer(SLOTS * 4) };
  const dir = mkdtempSync(join(tmpdir(), 'ct-board-'));
  boardDirs.push(dir);
  if (!cleanupInstalled) {
    cleanupInstalled = true;
    process.once('exit', () => {
      for (const d of boardDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  return { kind, dir };
}

function checkSlot(slot: number): void {
  if (!Number.isInteger(slot) || slot < 0 || slot >= SLOTS) throw new RangeError(`board slot must be 0..${SLOTS - 1}, got ${slot}`);
}

/** The current value of counter `slot`. */
export function read(board: Board, slot: number): number {
  checkSlot(slot);
  if (board.kind === 'shared') return Atomics.load(new Int32Array(board.sab), slot);
  try {
    return statSync(join(board.dir, String(slot))).size;
  } catch {
    return 0;
  }
}

/** Adds `n` to counter `slot` and wakes whoever waits on it; returns the new value (shared boards). */
export function bump(board: Board, slot: number, n = 1): number {
  checkSlot(slot);
  if (board.kind === 'shared') {
    const cells = new Int32Array(board.sab);
    const value = Atomics.add(cells, slot, n) + n;
    Atomics.notify(cells, slot);
    return value;
  }
  appendFileSync(join(board.dir, String(slot)), 'x'.repeat(n));
  return read(board, slot);
}

/**
 * Blocks the calling thread until counter `slot` is at least `atLeast` (for tasks, in workers).
 * @throws {Error} after `timeoutMs`, so that a broken test fails instead of hanging.
 */
export function waitSync(board: Board, slot: number, atLeast: number, timeoutMs = DEFAULT_WAIT_MS): void {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const value = read(board, slot);
    if (value >= atLeast) return;
    const left = end - performance.now();
    if (left <= 0) throw new Error(`board slot ${slot} did not reach ${atLeast} within ${timeoutMs} ms (it is ${value})`);
    if (board.kind === 'shared') Atomics.wait(new Int32Array(board.sab), slot, value, left);
    else Atomics.wait(sleeper, 0, 0, Math.min(POLL_MS, left));
  }
}

type WaitAsync = (cells: Int32Array, index: number, value: number, timeout?: number) =>
  { async: false; value: string } | { async: true; value: Promise<string> };

/**
 * Resolves once counter `slot` is at least `atLeast` (for the test, on the main thread).
 * @throws {Error} after `timeoutMs`.
 */
export async function waitFor(board: Board, slot: number, atLeast: number, timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const value = read(board, slot);
    if (value >= atLeast) return;
    const left = end - performance.now();
    if (left <= 0) throw new Error(`board slot ${slot} did not reach ${atLeast} within ${timeoutMs} ms (it is ${value})`);
    if (board.kind === 'shared') {
      const result = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync(new Int32Array(board.sab), slot, value, left);
      if (result.async) {
        // A pending Atomics.waitAsync does not keep Node's event loop alive: when nothing else
        // does (an idle pool unrefs its workers), the test would end with this wait unresolved.
        const alive = setTimeout(() => {}, left);
        try {
          await result.value;
        } finally {
          clearTimeout(alive);
        }
      }
    } else {
      await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
    }
  }
}
