/**
 * The registry's table of threads, by owner token (ident + 1): which ones have ended, and what
 * they were called. A lock's holder token names a thread; once that thread has ended it will never
 * release what it holds, and the next acquirer is told so (a robust mutex's "owner died").
 *
 * A thread enters the table when it adopts the registry (its name is known then); the thread that
 * started it marks it ended from its `Worker`'s `exit` event. Thread ids are never reused within a
 * process, so an ended entry stays true. When the table is full, the entry of the thread that
 * ended longest ago is reused: a lock held by so old a thread then simply waits, as in Python.
 *
 * ```
 * entry   STATE · TOKEN · ENDED_SEQ · NAME_LEN        STATE: 0 free · 1 running · 2 ended · 3 being written
 * ```
 *
 * A reader trusts an entry only if it reads STATE 2 before and after reading the rest; a writer
 * takes an entry by compare-exchange into state 3, so two writers never share one.
 *
 * @module
 */

/** How many threads the table remembers. */
export const THREAD_COUNT = 512;
/** Int32 fields per entry. */
export const THREAD_INTS = 4;

const T_STATE = 0;
const T_TOKEN = 1;
const T_ENDED_SEQ = 2;
const T_NAME_LEN = 3;

const FREE = 0;
const RUNNING = 1;
const ENDED = 2;
const WRITING = 3;

/** Where the table lives in the registry. */
export interface ThreadTable {
  readonly ints: Int32Array;
  /** Int32 index of the first entry. */
  readonly base: number;
  /** THREAD_COUNT names of `nameMax` UTF-16 units. */
  readonly names: Uint16Array;
  readonly nameMax: number;
  /** The registry's sequence counter (orders the endings, oldest first). */
  seq(): number;
}

const at = (table: ThreadTable, entry: number, field: number): number => table.base + entry * THREAD_INTS + field;

/**
 * Records a running thread and its name (again: only the name changes).
 *
 * @param table - the registry's table.
 * @param token - the thread's owner token.
 * @param name - its name, as deadlock reports show it.
 */
export function rememberThread(table: ThreadTable, token: number, name: string): void {
  const known = find(table, token, RUNNING);
  if (known >= 0) {
    writeName(table, known, name);
    return;
  }
  const entry = claim(table);
  if (entry < 0) return;
  fill(table, entry, token, name, RUNNING);
}

/**
 * Records that a thread has ended. A thread that never entered the table enters it now, unnamed.
 *
 * @param table - the registry's table.
 * @param token - the thread's owner token.
 */
export function rememberEnded(table: ThreadTable, token: number): void {
  const { ints } = table;
  const known = find(table, token, RUNNING);
  if (known >= 0 && Atomics.compareExchange(ints, at(table, known, T_STATE), RUNNING, WRITING) === RUNNING) {
    Atomics.store(ints, at(table, known, T_ENDED_SEQ), table.seq());
    Atomics.store(ints, at(table, known, T_STATE), ENDED);
    return;
  }
  if (find(table, token, ENDED) >= 0) return;
  const entry = claim(table);
  if (entry < 0) return;
  Atomics.store(ints, at(table, entry, T_ENDED_SEQ), table.seq());
  fill(table, entry, token, '', ENDED);
}

/**
 * Whether the thread whose owner token is `token` has ended.
 *
 * @param table - the registry's table.
 * @param token - an owner token.
 * @returns its name if it has ended (`thread <ident>` if it had none), else `undefined`.
 */
export function findEnded(table: ThreadTable, token: number): string | undefined {
  const { ints } = table;
  for (let entry = 0; entry < THREAD_COUNT; entry++) {
    if (Atomics.load(ints, at(table, entry, T_STATE)) !== ENDED) continue;
    if (Atomics.load(ints, at(table, entry, T_TOKEN)) !== token) continue;
    const name = readName(table, entry);
    if (Atomics.load(ints, at(table, entry, T_STATE)) !== ENDED || Atomics.load(ints, at(table, entry, T_TOKEN)) !== token) continue;
    return name === '' ? `thread ${token - 1}` : name;
  }
  return undefined;
}

function find(table: ThreadTable, token: number, state: number): number {
  const { ints } = table;
  for (let entry = 0; entry < THREAD_COUNT; entry++) {
    if (Atomics.load(ints, at(table, entry, T_TOKEN)) === token && Atomics.load(ints, at(table, entry, T_STATE)) === state) return entry;
  }
  return -1;
}

/** A free entry, else the one of the thread that ended longest ago; taken in state WRITING. */
function claim(table: ThreadTable): number {
  const { ints } = table;
  for (let entry = 0; entry < THREAD_COUNT; entry++) {
    if (Atomics.compareExchange(ints, at(table, entry, T_STATE), FREE, WRITING) === FREE) return entry;
  }
  for (let attempt = 0; attempt < 4; attempt++) {
    let oldest = -1;
    let oldestSeq = Infinity;
    for (let entry = 0; entry < THREAD_COUNT; entry++) {
      if (Atomics.load(ints, at(table, entry, T_STATE)) !== ENDED) continue;
      const seq = Atomics.load(ints, at(table, entry, T_ENDED_SEQ));
      if (seq < oldestSeq) {
        oldestSeq = seq;
        oldest = entry;
      }
    }
    if (oldest < 0) return -1;
    if (Atomics.compareExchange(ints, at(table, oldest, T_STATE), ENDED, WRITING) === ENDED) return oldest;
  }
  return -1;
}

function fill(table: ThreadTable, entry: number, token: number, name: string, state: number): void {
  Atomics.store(table.ints, at(table, entry, T_TOKEN), token);
  writeName(table, entry, name);
  Atomics.store(table.ints, at(table, entry, T_STATE), state);
}

function writeName(table: ThreadTable, entry: number, name: string): void {
  const length = Math.min(name.length, table.nameMax);
  const start = entry * table.nameMax;
  for (let i = 0; i < length; i++) table.names[start + i] = name.charCodeAt(i);
  Atomics.store(table.ints, at(table, entry, T_NAME_LEN), length);
}

function readName(table: ThreadTable, entry: number): string {
  const length = Math.min(Atomics.load(table.ints, at(table, entry, T_NAME_LEN)), table.nameMax);
  const start = entry * table.nameMax;
  return String.fromCharCode(...table.names.subarray(start, start + length));
}
