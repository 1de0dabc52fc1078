/**
 * The process-wide registry: one SharedArrayBuffer that every thread of the process sees.
 *
 * It holds a counter for primitive ids and names (`Lock-1`, `RLock-2`…), the process-wide
 * deadlock-detection switch and deadlock timeout, a table of "wait slots" where a thread that
 * waits for a lock publishes what it waits for, so that another thread can walk the wait-for
 * graph (see `wait-for-graph.ts`), and a table of threads by owner token, which says which ones
 * have ended (see `thread-table.ts`). Nothing is written here on an uncontended acquire or release.
 *
 * ```
 * Int32 header   MAGIC · LAYOUT · REGISTRY_ID · ID_COUNTER · SEQ · DETECT · GRACE · -
 * Int32 slots    SLOT_COUNT × [VERSION · OWNER · WAIT_SEQ · LOCK_ID · HOLDER_SEEN · PUB_SEQ · TLEN · LLEN]
 * Int32 threads  THREAD_COUNT × [STATE · TOKEN · ENDED_SEQ · NLEN]
 * Uint16 names   SLOT_COUNT × [thread name (NAME_MAX) · lock name (NAME_MAX)] · THREAD_COUNT × [name (NAME_MAX)]
 * ```
 *
 * The main thread creates the registry lazily; a worker entry calls {@link adoptRegistry} with
 * the main thread's {@link processRegistry} before user code runs. The reference lives on
 * `globalThis` under a registered symbol so that two copies of the library in one thread agree.
 *
 * @module
 */

import { ValueError } from '../errors.js';
import { threadIdentity, ownerToken } from './current-thread.js';
import { checkTimeout } from './deadline.js';
import { THREAD_COUNT, THREAD_INTS, findEnded, rememberEnded, rememberThread, type ThreadTable } from './thread-table.js';

const MAGIC = 0x63745267; // 'ctRg'
const LAYOUT = 2;

/** Header slot indices (Int32). */
const R_MAGIC = 0;
const R_LAYOUT = 1;
export const R_ID = 2;
const R_COUNTER = 3;
const R_SEQ = 4;
export const R_DETECT = 5;
/** The process-wide deadlock timeout in ms; -1 for Infinity. */
const R_GRACE = 6;
const HEADER_INTS = 8;

/** The default deadlock timeout: how long an await waits before it counts in the wait-for graph. */
const DEFAULT_DEADLOCK_TIMEOUT_MS = 1000;

/** Number of waits that can be edges of the wait-for graph at the same time (one per blocked thread, one per thread and lock for awaits). */
const SLOT_COUNT = 256;
/** Fields of a wait slot (Int32 offsets inside the slot). */
const S_VERSION = 0;
const S_OWNER = 1;
const S_WAIT_SEQ = 2;
const S_LOCK_ID = 3;
const S_HOLDER_SEEN = 4;
const S_PUB_SEQ = 5;
const S_THREAD_LEN = 6;
const S_LOCK_LEN = 7;
const SLOT_INTS = 8;
/** Longest thread or lock name kept in a slot; longer names are cut. */
const NAME_MAX = 64;

const THREADS_OFFSET = HEADER_INTS + SLOT_COUNT * SLOT_INTS;
const NAMES_BYTE_OFFSET = (THREADS_OFFSET + THREAD_COUNT * THREAD_INTS) * 4;
const THREAD_NAMES_OFFSET = SLOT_COUNT * 2 * NAME_MAX;
const BYTE_LENGTH = NAMES_BYTE_OFFSET + (THREAD_NAMES_OFFSET + THREAD_COUNT * NAME_MAX) * 2;

const kRegistry = Symbol.for('concurrent-ts.registry');
const kWatching = Symbol.for('concurrent-ts.watching-workers');
type Holder = { [kRegistry]?: Int32Array; [kWatching]?: true };

/**
 * The registry of this process. The main thread creates it on first use; a worker returns the
 * one it adopted, or, if its entry never called {@link adoptRegistry}, a private one (locks
 * created there then get names and detection of their own, blind to other threads).
 *
 * @returns the registry's SharedArrayBuffer, to hand to each worker thread started.
 */
export function processRegistry(): SharedArrayBuffer {
  watchWorkers();
  return registryView().buffer as SharedArrayBuffer;
}

/**
 * Whoever hands the registry to a new worker thread is the thread that starts it, and the only one
 * told when it ends (its `Worker`'s `exit` event, also after `terminate()`). From then on the
 * thread's owner token is marked ended, so that a lock it still holds reports it instead of
 * waiting for ever. Once per thread, shared by every copy of the library in it.
 */
function watchWorkers(): void {
  const holder = globalThis as Holder;
  if (holder[kWatching] === true) return;
  holder[kWatching] = true;
  process.on('worker', (worker) => {
    // Read now: a Worker's threadId reads -1 once it has exited.
    const token = worker.threadId + 1;
    worker.once('exit', () => markThreadEnded(registryView(), token));
  });
}

/**
 * Makes this thread use another thread's registry. A worker entry calls it once, at startup,
 * before any user code, with the `processRegistry()` of the thread that started it.
 *
 * @param sab - a registry from {@link processRegistry}.
 * @throws ValueError when `sab` is not a registry.
 */
export function adoptRegistry(sab: SharedArrayBuffer): void {
  const view = checkRegistry(sab);
  (globalThis as Holder)[kRegistry] = view;
  registerThread(view, ownerToken(), threadIdentity().name);
}

/**
 * Adopts `view` as this thread's registry when the thread has none yet. Reviving a primitive
 * that carries a registry calls it, so a worker that skipped {@link adoptRegistry} still joins
 * the right one as soon as it receives a lock.
 *
 * @param view - a registry view carried by a primitive.
 */
export function adoptRegistryIfUnset(view: Int32Array): void {
  const holder = globalThis as Holder;
  if (holder[kRegistry] !== undefined) return;
  holder[kRegistry] = view;
  registerThread(view, ownerToken(), threadIdentity().name);
}

/**
 * Turns deadlock detection on or off for the whole process: every thread that uses this
 * registry, including threads already running. It is on by default.
 *
 * Turn it off for code that relies on another thread releasing a plain `Lock` its last
 * acquirer waits for again (legal in Python); the wait then simply blocks.
 *
 * @param enabled - `false` to turn detection off.
 */
export function setDeadlockDetection(enabled: boolean): void {
  if (typeof enabled !== 'boolean') throw new TypeError(`setDeadlockDetection() takes true or false, got ${typeof enabled}`);
  Atomics.store(registryView(), R_DETECT, enabled ? 1 : 0);
}

/**
 * Whether deadlock detection is on for the process.
 *
 * @returns the process-wide switch set by {@link setDeadlockDetection}.
 */
export function deadlockDetection(): boolean {
  return Atomics.load(registryView(), R_DETECT) === 1;
}

/**
 * Sets, for the whole process, how long an await of a lock (`await lock.acquire()`, `hold()`,
 * `withLock()`, a Condition taking its lock back) waits before it counts in the wait-for graph.
 * Blocking waits count at once. A lock's own `deadlockTimeout` option wins over this value.
 *
 * @param ms - milliseconds, 0 or more; `Infinity`: awaits never count (blocking waits still do).
 * Default 1000.
 * @throws TypeError when `ms` is not a number; ValueError when it is negative or NaN.
 */
export function setDeadlockTimeout(ms: number): void {
  Atomics.store(registryView(), R_GRACE, encodeGrace(checkDeadlockTimeout(ms)));
}

/**
 * The process-wide deadlock timeout set by {@link setDeadlockTimeout}.
 *
 * @returns milliseconds, or `Infinity`.
 */
export function deadlockTimeout(): number {
  return decodeGrace(Atomics.load(registryView(), R_GRACE));
}

/**
 * @internal Checks a deadlock timeout option.
 * @returns the value, as milliseconds or `Infinity`.
 * @throws TypeError when it is not a number; ValueError when it is negative or NaN.
 */
export function checkDeadlockTimeout(ms: unknown): number {
  if (typeof ms !== 'number') {
    throw new TypeError(`deadlockTimeout must be a number of milliseconds (or Infinity), got ${typeof ms}`);
  }
  return checkTimeout(ms, 'deadlockTimeout') ?? Infinity;
}

/** @internal The process-wide deadlock timeout of `reg`, in ms or `Infinity`. */
export function graceOf(reg: Int32Array): number {
  return decodeGrace(Atomics.load(reg, R_GRACE));
}

// Int32 in shared memory: whole milliseconds, -1 for Infinity (anything past 2^31-2 ms is never).
function encodeGrace(ms: number): number {
  return ms >= 2 ** 31 - 1 ? -1 : Math.ceil(ms);
}

function decodeGrace(stored: number): number {
  return stored < 0 ? Infinity : stored;
}

/** @internal The Int32 view of this thread's registry, created on first use. */
export function registryView(): Int32Array {
  const holder = globalThis as Holder;
  let view = holder[kRegistry];
  if (view === undefined) {
    view = createRegistry();
    holder[kRegistry] = view;
  }
  return view;
}

/** @internal A new id, unique among the primitives of the registry (1, 2, 3…). */
export function nextId(reg: Int32Array): number {
  return Atomics.add(reg, R_COUNTER, 1) + 1;
}

/** @internal The next value of the registry's sequence counter, used to order events. */
export function nextSeq(reg: Int32Array): number {
  return Atomics.add(reg, R_SEQ, 1) + 1;
}

function createRegistry(): Int32Array {
  const view = new Int32Array(new SharedArrayBuffer(BYTE_LENGTH));
  view[R_MAGIC] = MAGIC;
  view[R_LAYOUT] = LAYOUT;
  view[R_ID] = (Math.random() * 0x7fffffff) | 1;
  view[R_DETECT] = 1;
  view[R_GRACE] = DEFAULT_DEADLOCK_TIMEOUT_MS;
  return view;
}

function checkRegistry(sab: unknown): Int32Array {
  if (!(sab instanceof SharedArrayBuffer) || sab.byteLength !== BYTE_LENGTH) {
    throw new ValueError('adoptRegistry() expects the SharedArrayBuffer returned by processRegistry()');
  }
  const view = new Int32Array(sab);
  if (view[R_MAGIC] !== MAGIC || view[R_LAYOUT] !== LAYOUT) {
    throw new ValueError('adoptRegistry() was given a SharedArrayBuffer that is not a registry of this library version');
  }
  return view;
}

// ---------------------------------------------------------------------------------------------
// Wait slots. A slot is claimed by a thread only while it is blocked on a lock (it is freed when
// the wait ends), so a thread that exits never leaks one. Each slot is a seqlock: the owner makes
// VERSION odd, writes, makes it even again; readers retry until they read one even version twice.

/** A consistent copy of a wait slot. */
interface SlotSnapshot {
  owner: number;
  waitSeq: number;
  lockId: number;
  holderSeen: number;
  pubSeq: number;
  threadName: string;
  lockName: string;
}

function base(slot: number): number {
  return HEADER_INTS + slot * SLOT_INTS;
}

function names(reg: Int32Array): Uint16Array {
  return new Uint16Array(reg.buffer, NAMES_BYTE_OFFSET, SLOT_COUNT * 2 * NAME_MAX);
}

function threadTable(reg: Int32Array): ThreadTable {
  return {
    ints: reg,
    base: THREADS_OFFSET,
    names: new Uint16Array(reg.buffer, NAMES_BYTE_OFFSET + THREAD_NAMES_OFFSET * 2, THREAD_COUNT * NAME_MAX),
    nameMax: NAME_MAX,
    seq: () => nextSeq(reg),
  };
}

/** @internal Remembers the calling thread's name under its owner token, so that others can name it once it has ended. */
export function registerThread(reg: Int32Array, token: number, name: string): void {
  rememberThread(threadTable(reg), token, name);
}

/** @internal Records that the thread whose owner token is `token` has ended. */
export function markThreadEnded(reg: Int32Array, token: number): void {
  rememberEnded(threadTable(reg), token);
}

/**
 * @internal Whether the thread whose owner token is `token` has ended.
 * @returns its name (or `thread <ident>` when it never gave one) if it has ended, else `undefined`.
 */
export function endedThread(reg: Int32Array, token: number): string | undefined {
  return findEnded(threadTable(reg), token);
}

/**
 * @internal Claims a free slot for the calling thread.
 * @returns the slot index, or -1 when every slot is taken (detection is then skipped).
 */
export function claimSlot(reg: Int32Array, owner: number): number {
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    if (Atomics.compareExchange(reg, base(slot) + S_OWNER, 0, owner) === 0) return slot;
  }
  return -1;
}

/** @internal Frees a slot claimed by {@link claimSlot}. */
export function freeSlot(reg: Int32Array, slot: number): void {
  const b = base(slot);
  Atomics.add(reg, b + S_VERSION, 1);
  Atomics.store(reg, b + S_LOCK_ID, 0);
  Atomics.add(reg, b + S_VERSION, 1);
  Atomics.store(reg, b + S_OWNER, 0);
}

/**
 * @internal Publishes what the slot's thread waits for. `threadName`/`lockName` are written only
 * when given (at the start of a wait); later calls refresh the holder seen and its sequence.
 */
export function publishSlot(
  reg: Int32Array,
  slot: number,
  fields: { waitSeq?: number; lockId?: number; holderSeen: number; pubSeq: number; threadName?: string; lockName?: string },
): void {
  const b = base(slot);
  Atomics.add(reg, b + S_VERSION, 1); // odd: readers retry
  if (fields.waitSeq !== undefined) Atomics.store(reg, b + S_WAIT_SEQ, fields.waitSeq);
  if (fields.lockId !== undefined) Atomics.store(reg, b + S_LOCK_ID, fields.lockId);
  Atomics.store(reg, b + S_HOLDER_SEEN, fields.holderSeen);
  Atomics.store(reg, b + S_PUB_SEQ, fields.pubSeq);
  if (fields.threadName !== undefined) writeName(reg, slot, 0, b + S_THREAD_LEN, fields.threadName);
  if (fields.lockName !== undefined) writeName(reg, slot, 1, b + S_LOCK_LEN, fields.lockName);
  Atomics.add(reg, b + S_VERSION, 1); // even: consistent again
}

/**
 * @internal Reads a slot consistently.
 * @returns the snapshot, or `undefined` when the slot is free or keeps changing.
 */
export function readSlot(reg: Int32Array, slot: number): SlotSnapshot | undefined {
  const b = base(slot);
  for (let attempt = 0; attempt < 1000; attempt++) {
    const before = Atomics.load(reg, b + S_VERSION);
    if ((before & 1) === 1) continue;
    const snapshot: SlotSnapshot = {
      owner: Atomics.load(reg, b + S_OWNER),
      waitSeq: Atomics.load(reg, b + S_WAIT_SEQ),
      lockId: Atomics.load(reg, b + S_LOCK_ID),
      holderSeen: Atomics.load(reg, b + S_HOLDER_SEEN),
      pubSeq: Atomics.load(reg, b + S_PUB_SEQ),
      threadName: readName(reg, slot, 0, b + S_THREAD_LEN),
      lockName: readName(reg, slot, 1, b + S_LOCK_LEN),
    };
    if (Atomics.load(reg, b + S_VERSION) === before) return snapshot.owner === 0 ? undefined : snapshot;
  }
  return undefined;
}

/**
 * @internal The slots claimed by the thread whose owner token is `owner`: one per lock it waits
 * for (several when its async tasks wait for different locks).
 * @returns the slot indices, empty when that thread waits for no lock.
 */
export function slotsOf(reg: Int32Array, owner: number): number[] {
  const found: number[] = [];
  for (let slot = 0; slot < SLOT_COUNT; slot++) {
    if (Atomics.load(reg, base(slot) + S_OWNER) === owner) found.push(slot);
  }
  return found;
}

function writeName(reg: Int32Array, slot: number, which: 0 | 1, lenIndex: number, name: string): void {
  const chars = names(reg);
  const start = (slot * 2 + which) * NAME_MAX;
  const length = Math.min(name.length, NAME_MAX);
  for (let i = 0; i < length; i++) chars[start + i] = name.charCodeAt(i);
  Atomics.store(reg, lenIndex, length);
}

function readName(reg: Int32Array, slot: number, which: 0 | 1, lenIndex: number): string {
  const chars = names(reg);
  const start = (slot * 2 + which) * NAME_MAX;
  const length = Math.min(Atomics.load(reg, lenIndex), NAME_MAX);
  return String.fromCharCode(...chars.subarray(start, start + length));
}
