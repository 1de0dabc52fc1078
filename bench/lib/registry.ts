// Every subject and scenario, in report order. Importing this is cheap: the
// adapters load their libraries only when a child opens them.

import { subject as ctThread } from '../subjects/concurrent-ts-thread.js';
import { subject as ctProcess } from '../subjects/concurrent-ts-process.js';
import { subject as piscina } from '../subjects/piscina.js';
import { subject as piscinaCtpw64 } from '../subjects/piscina-ctpw64.js';
import { subject as tinypool } from '../subjects/tinypool.js';
import { subject as workerpool } from '../subjects/workerpool.js';
import { subject as poolifier } from '../subjects/poolifier.js';
import { subject as pyThread } from '../subjects/python-thread.js';
import { subject as pyProcess } from '../subjects/python-process.js';
import { subject as rawThread } from '../subjects/raw-thread.js';
import { subject as rawThreadBatch } from '../subjects/raw-thread-batch.js';
import { subject as rawFork } from '../subjects/raw-fork.js';
import { subject as rawForkBatch } from '../subjects/raw-fork-batch.js';
import { lockSubject as ctLock } from '../subjects/lock-concurrent-ts.js';
import { lockSubject as asyncMutex } from '../subjects/lock-async-mutex.js';
import type { LockSubject, ScenarioId, Subject } from './types.js';

export const SUBJECTS: readonly Subject[] = [
  ctThread,
  ctProcess,
  piscina,
  piscinaCtpw64,
  tinypool,
  workerpool,
  poolifier,
  pyThread,
  pyProcess,
  rawThread,
  rawThreadBatch,
  rawFork,
  rawForkBatch,
];

export const LOCK_SUBJECTS: readonly LockSubject[] = [ctLock, asyncMutex];

/** Executor scenarios, in report order; 'lock' runs over LOCK_SUBJECTS instead. */
export const POOL_SCENARIOS: readonly ScenarioId[] = ['tiny', 'map', 'map-auto', 'roundtrip', 'roundtrip-1cpu', 'mixed', 'behind', 'cpu', 'first', 'rss'];

export const SCENARIO_TITLES: Record<ScenarioId, string> = {
  tiny: 'tiny tasks',
  map: 'map 1M, chunksize 1000',
  'map-auto': 'map 1M, automatic chunksize',
  roundtrip: 'round trip',
  'roundtrip-1cpu': 'round trip on one CPU',
  mixed: 'mixed durations',
  behind: 'tiny behind long',
  cpu: 'CPU scaling',
  first: 'first result',
  rss: 'peak RSS',
  lock: 'lock ops',
  handoff: 'lock hand-off',
  mp: 'multiprocessing',
  dist: 'distributed',
};

/** Why `subject` sits out `scenario`, or undefined when it takes part. */
export function notApplicable(subject: Subject, scenario: ScenarioId): string | undefined {
  // Only a map that chunks by itself has an "automatic" row; the others are in the map row.
  if (scenario === 'map-auto' && subject.group !== 'concurrent-ts') return 'no map with automatic chunking';
  // The pinned round trip is the same scenario on one core: same applicability.
  return subject.notApplicable?.[scenario === 'roundtrip-1cpu' ? 'roundtrip' : scenario];
}

export function findSubject(id: string): Subject | undefined {
  return SUBJECTS.find((s) => s.id === id);
}

export function findLockSubject(id: string): LockSubject | undefined {
  return LOCK_SUBJECTS.find((s) => s.id === id);
}
