/**
 * What the distributed executor and its workers exchange through Redis, in one place.
 *
 * ```
 *  caller (DistributedExecutor)                 Redis (BullMQ queue)                 worker (runWorker)
 *  ────────────────────────────                 ────────────────────                 ──────────────────
 *  addBulk(name "tasks#isPrime",  ────────────▶ wait list ─────────────────────────▶ allow-list lookup of
 *          data JobData, jobId)                                                      "tasks" + "isPrime",
 *                                                                                    then the local pool
 *  XREAD events: completed ◀────────────────── returnvalue: CallResult | ChunkResult ◀─ result
 *                failed   ◀─────────────────── failedReason: "<Name>: <message>"   ◀─ exception
 *                                              + FAILURE_MARK + error record
 *  HMGET <job> (reconcile) ──────────────────▶ the job hash, for events that were lost
 *  PUBLISH <cancel channel> jobId ───────────▶ pub/sub ────────────────────────────▶ stop the pool task
 *  SET <cancel key> (for late subscribers)
 * ```
 *
 * A job never carries code: it names a module by a *logical name* and an export. The caller
 * derives the logical name from its module's file name (`…/dist/tasks.js` and `…/src/tasks.ts`
 * are both `tasks`) unless told otherwise; the worker maps each logical name to a module it was
 * told to allow. The names are checked against strict patterns on both sides.
 *
 * @module
 */
import { isWireThrown, type WireThrown } from '../error-codec.js';
import type { TaskKind } from '../core/backend.js';
import { decodeValue, encodeValue } from './codec.js';

/** Version of the job data format; a worker refuses other versions. */
export const WIRE_VERSION = 1;

/** Job kinds in {@link JobData.k}. */
export const KIND_CALL = 0;
/** `a` is a list of items: `fn(item)` for each. */
const KIND_CHUNK = 1;
/** `a` is a list of argument lists: `fn(...args)` for each. */
export const KIND_STARCHUNK = 2;

/** The data of one job. */
export interface JobData {
  /** {@link WIRE_VERSION}. */
  readonly v: number;
  /** Logical module name. */
  readonly m: string;
  /** Export name. */
  readonly f: string;
  /** {@link KIND_CALL}, {@link KIND_CHUNK} or {@link KIND_STARCHUNK}. */
  readonly k: number;
  /** Arguments (a call) or items (a chunk), encoded by the codec. */
  readonly a: unknown[];
  /** Milliseconds the task may run once started. */
  readonly t?: number;
}

/** What a call job returns: the encoded value. */
export interface CallResult {
  readonly r: unknown;
}

/** What a chunk job returns: one encoded value per item, the failed items' error records, and its time. */
export interface ChunkResult {
  readonly c: unknown[];
  /** Set when `c` holds 0/1 for `false`/`true` (every item a boolean, none failed). */
  readonly b?: 1;
  /** `[index, error record]` pairs, or `null`. */
  readonly e: Array<[number, unknown]> | null;
  /** Milliseconds the chunk took on the worker's pool. */
  readonly ms: number;
}

/** Between the readable first line of a failure reason and its encoded error record. */
const FAILURE_MARK = '\n@concurrent-ts:error ';

/** Logical module names: a file's base name without extension (`tasks`, `image-ops`, `v2.tasks`). */
const MODULE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
/** Export names: JavaScript identifiers. */
const EXPORT_NAME = /^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/;
/** Names that are identifiers but never a task, whatever a module exports. */
const FORBIDDEN_EXPORTS = new Set(['__proto__', 'constructor', 'prototype', 'then', 'toString', 'valueOf', 'hasOwnProperty']);
const EXTENSIONS = /\.(?:[cm]?[jt]s|[jt]sx)$/;

/** `true` for a well-formed logical module name (no path, no `..`, no URL). */
export function isModuleName(name: unknown): name is string {
  return typeof name === 'string' && MODULE_NAME.test(name) && !name.includes('..');
}

/** `true` for an export name a job may call. */
export function isExportName(name: unknown): boolean {
  return typeof name === 'string' && EXPORT_NAME.test(name) && !FORBIDDEN_EXPORTS.has(name);
}

/**
 * The logical name of a module: its file's base name without the extension, so that the
 * caller's `src/tasks.ts` and a worker's `dist/tasks.js` agree.
 *
 * @returns `undefined` when the base name is not a valid logical name.
 */
export function moduleNameOf(url: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(new URL(url).pathname);
  } catch {
    path = url;
  }
  const base = path.slice(path.lastIndexOf('/') + 1).replace(EXTENSIONS, '');
  return isModuleName(base) ? base : undefined;
}

/** The `TaskKind` of the core as a wire kind. */
export function kindCode(kind: TaskKind): number {
  return kind === 'call' ? KIND_CALL : kind === 'chunk' ? KIND_CHUNK : KIND_STARCHUNK;
}

/**
 * Checks the shape of job data read from Redis. Only the shape: whether the module and export
 * are allowed is the allow-list's business.
 *
 * @throws {TypeError} naming what is wrong.
 */
export function checkJobData(raw: unknown): JobData {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new TypeError('malformed job: its data is not an object');
  const d = raw as Record<string, unknown>;
  if (d.v !== WIRE_VERSION) {
    throw new TypeError(`job data version ${JSON.stringify(d.v) ?? 'undefined'} is not supported by this worker (it speaks version ${WIRE_VERSION}); ` +
      'run the same concurrent-ts version on callers and workers');
  }
  if (typeof d.m !== 'string' || typeof d.f !== 'string') throw new TypeError('malformed job: the module and export names must be strings');
  if (d.k !== KIND_CALL && d.k !== KIND_CHUNK && d.k !== KIND_STARCHUNK) throw new TypeError('malformed job: unknown kind');
  if (!Array.isArray(d.a)) throw new TypeError('malformed job: the arguments are not a list');
  if (d.t !== undefined && (typeof d.t !== 'number' || !(d.t >= 0))) throw new TypeError('malformed job: bad timeout');
  if (d.k === KIND_STARCHUNK && !d.a.every(Array.isArray)) throw new TypeError('malformed job: a starmap item is not an argument list');
  return d as unknown as JobData;
}

/**
 * The failure reason stored by BullMQ for a task's exception: a readable first line (what
 * dashboards and `failedReason` show) followed by the full error record (class name, message,
 * worker-side stack, properties, cause).
 */
export function formatFailure(thrown: WireThrown): string {
  const headline = 'error' in thrown ? `${thrown.error.name}: ${thrown.error.message.split('\n', 1)[0] ?? ''}` : `thrown: ${safeJson(thrown.value)}`;
  return headline + FAILURE_MARK + JSON.stringify(encodeValue(thrown, 'error'));
}

/** The error record in a failure reason, or `undefined` if BullMQ (not a task) failed the job. */
export function parseFailure(reason: unknown): WireThrown | undefined {
  if (typeof reason !== 'string') return undefined;
  const at = reason.lastIndexOf(FAILURE_MARK);
  if (at < 0) return undefined;
  try {
    const record = decodeValue(JSON.parse(reason.slice(at + FAILURE_MARK.length)));
    return isWireThrown(record) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** Pub/sub channel on which callers ask workers to stop a running job. */
export function cancelChannel(prefix: string, queue: string): string {
  return `${prefix}:${queue}:ct-cancel`;
}

/** Key that records a cancel request for workers that missed the message (reconnecting). */
export function cancelKey(prefix: string, queue: string, jobId: string): string {
  return `${prefix}:${queue}:ct-cancel:${jobId}`;
}

/** How long a cancel request is remembered, in ms. */
export const CANCEL_TTL = 3_600_000;

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
