/**
 * Results both ways: the worker turns what its pool produced into a job's return value or failure,
 * and the caller turns what Redis says about a finished job into a future's result or exception.
 *
 * @module
 */
import { BrokenExecutor, RuntimeError } from '../errors.js';
import { decodeThrown, encodeThrown, isWireThrown, type WireThrown } from '../error-codec.js';
import type { ChunkOutcome } from '../core/backend.js';
import { decodeValue, encodeList, encodeValue } from './codec.js';
import type { JobFuture } from './job-future.js';
import { formatFailure, parseFailure, type CallResult, type ChunkResult } from './wire.js';

/**
 * Settles `future` with a completed job's return value, the JSON text BullMQ stored.
 */
export function settleCompletedText(future: JobFuture, returnvalue: string): void {
  if (future.done()) return;
  try {
    const parsed: unknown = JSON.parse(returnvalue);
    if (future.isChunk) {
      future.setResult(decodeChunk(parsed));
    } else {
      if (typeof parsed !== 'object' || parsed === null || !('r' in parsed)) {
        throw new TypeError(`the job ${future.id} completed with a result this executor cannot read; is a worker of another version running?`);
      }
      future.setResult(decodeValue((parsed as CallResult).r));
    }
  } catch (error) {
    if (!future.done()) future.setException(error);
  }
}

function decodeChunk(returnvalue: unknown): ChunkOutcome {
  const r = returnvalue as Partial<ChunkResult> | null;
  if (r === null || typeof r !== 'object' || !Array.isArray(r.c)) {
    throw new TypeError('a map chunk completed with a result this executor cannot read; is a worker of another version running?');
  }
  const values = decodeValue(r.c) as unknown[];
  let errors: Map<number, unknown> | null = null;
  if (Array.isArray(r.e)) {
    for (const pair of r.e) {
      if (!Array.isArray(pair) || typeof pair[0] !== 'number') continue;
      const record = decodeValue(pair[1]);
      (errors ??= new Map()).set(pair[0], isWireThrown(record) ? decodeThrown(record) : record);
    }
  }
  const ms = typeof r.ms === 'number' ? r.ms : 0;
  return r.b === 1 ? { values, bools: true, errors, ms } : { values, errors, ms };
}

/**
 * Settles `future` with a failed job's reason: the task's own exception when a worker recorded
 * one, else an error describing what BullMQ reported (a worker lost too often, a lock lost…).
 */
export function settleFailed(future: JobFuture, reason: unknown): void {
  if (future.done()) return;
  const record = parseFailure(reason);
  if (record !== undefined) {
    future.setException(decodeThrown(record));
    return;
  }
  const text = typeof reason === 'string' ? reason : String(reason);
  if (/stalled more than allowable limit|started more than allowable limit/.test(text)) {
    future.setException(new BrokenExecutor(
      `the worker running ${future.name} (job ${future.id}) was lost more times than the queue allows (${text}); ` +
      'a worker died or stopped renewing its lock while running it'));
    return;
  }
  future.setException(new RuntimeError(`the job ${future.id} (${future.name}) failed: ${text}`));
}

/** A map chunk's outcome as a job's return value; an item whose value cannot travel fails alone, as on a local pool. */
export function encodeChunk(outcome: ChunkOutcome, path = 'result'): ChunkResult {
  // The pool packs all-boolean results as 0/1 bytes; they stay 0/1 here, which is also shorter JSON.
  if (outcome.bools === true && outcome.errors === null) return { c: Array.from(outcome.values), b: 1, e: null, ms: outcome.ms };
  const values = outcome.bools === true ? Array.from(outcome.values, (v) => v === 1) : Array.from(outcome.values);
  let errors: Array<[number, unknown]> | null = null;
  if (outcome.errors !== null) {
    for (const [at, error] of outcome.errors) {
      values[at] = null;
      (errors ??= []).push([at, encodeValue(encodeThrown(error), `${path}[${at}]`)]);
    }
  }
  const encoded = encodeItems(values, path, errors);
  return { c: encoded.values, e: encoded.errors, ms: outcome.ms };
}

function encodeItems(values: unknown[], path: string, errors: Array<[number, unknown]> | null): { values: unknown[]; errors: Array<[number, unknown]> | null } {
  try {
    return { values: encodeList(values, path), errors };
  } catch {
    const out = values.slice();
    for (let i = 0; i < out.length; i++) {
      try {
        out[i] = encodeValue(out[i], `${path}[${i}]`);
      } catch (error) {
        out[i] = null;
        (errors ??= []).push([i, encodeValue(encodeThrown(error), `${path}[${i}]`)]);
      }
    }
    return { values: out, errors };
  }
}

/** The Error a worker's processor throws so that BullMQ records `wire` (and retries unless `final`). */
export function failureError(wire: WireThrown, final: boolean): Error {
  const error = new Error(formatFailure(wire));
  // BullMQ skips the remaining attempts for an error named UnrecoverableError.
  if (final) error.name = 'UnrecoverableError';
  error.stack = 'error' in wire && wire.error.stack !== undefined ? wire.error.stack : error.message;
  return error;
}
