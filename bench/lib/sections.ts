// The sections outside the pool table: each has subjects of its own and one
// cell per subject (the cell measures every metric of the section).

import { handoffSubject as ctHandoff } from '../subjects/handoff-concurrent-ts.js';
import { handoffSubject as asyncMutexHandoff } from '../subjects/handoff-async-mutex.js';
import { handoffSubject as rawHandoff } from '../subjects/handoff-raw.js';
import { mpSubject as ctMp } from '../subjects/mp-concurrent-ts.js';
import { mpSubject as pyMp } from '../subjects/mp-python.js';
import { mpSubject as rawMp } from '../subjects/mp-raw.js';
import { distInlineSubject as ctDistInline, distOneJobSubject as ctDistOneJob, distSubject as ctDist } from '../subjects/dist-concurrent-ts.js';
import { distSandboxedSubject as bullmqThreads, distSubject as bullmq } from '../subjects/dist-bullmq.js';
import type { SectionId, SectionSubject } from './types.js';

/** In report order: concurrent-ts first, then the peer, then the floor. */
export const SECTION_SUBJECTS: readonly SectionSubject[] = [ctHandoff, asyncMutexHandoff, rawHandoff, ctMp, pyMp, rawMp, ctDist, ctDistInline, ctDistOneJob, bullmq, bullmqThreads];

export const SECTION_IDS: readonly SectionId[] = ['handoff', 'mp', 'dist'];

export const SECTION_TITLES: Record<SectionId, string> = {
  handoff: 'Contended lock hand-off between two threads',
  mp: 'multiprocessing Queue and Pipe',
  dist: 'Distributed executor on one machine',
};

export function isSection(scenario: string): scenario is SectionId {
  return (SECTION_IDS as readonly string[]).includes(scenario);
}

export function findSectionSubject(id: string): SectionSubject | undefined {
  return SECTION_SUBJECTS.find((s) => s.id === id);
}
