// One subject × one scenario, in a process of its own (started by run.ts):
//
//   node child.js pool <subject> <scenario> [--quick]
//   node child.js lock <subject> [--quick]
//   node child.js section <subject> [--quick]      (hand-off, multiprocessing, distributed)
//
// A fresh process per cell keeps the subjects from sharing a heap, a JIT or
// leftover workers, and gives each cell a peak RSS of its own.

import { sizes as sizesFor } from './lib/config.js';
import { peakRssMiB, roundLog, treeCpuMs } from './lib/measure.js';
import { RESULT_PREFIX } from './lib/protocol.js';
import { findLockSubject, findSubject } from './lib/registry.js';
import { findSectionSubject } from './lib/sections.js';
import { NotAvailable, type CellResult, type ScenarioId, type SectionId } from './lib/types.js';
import { behind } from './scenarios/behind.js';
import { cpu } from './scenarios/cpu.js';
import { first } from './scenarios/first.js';
import { lock } from './scenarios/lock.js';
import { map, mapAuto } from './scenarios/map.js';
import { mixed } from './scenarios/mixed.js';
import { roundtrip, roundtrip1cpu } from './scenarios/roundtrip.js';
import { rss } from './scenarios/rss.js';
import type { NodeScenario, ScenarioOutput } from './scenarios/scenario.js';
import { tiny } from './scenarios/tiny.js';

type PoolScenarioId = Exclude<ScenarioId, 'lock' | SectionId>;

const POOL_RUNNERS: Record<PoolScenarioId, NodeScenario> = {
  tiny,
  map,
  'map-auto': mapAuto,
  roundtrip,
  'roundtrip-1cpu': roundtrip1cpu,
  mixed,
  behind,
  cpu,
  first,
  rss,
};

async function measure(kind: string, subjectId: string, scenarioId: string, quick: boolean): Promise<ScenarioOutput> {
  const sizes = sizesFor(quick);
  if (kind === 'lock') {
    const subject = findLockSubject(subjectId);
    if (subject === undefined) throw new Error(`unknown lock subject ${subjectId}`);
    return lock(await subject.open(), sizes);
  }
  if (kind === 'section') {
    const subject = findSectionSubject(subjectId);
    if (subject?.measure === undefined) throw new Error(`unknown Node section subject ${subjectId}`);
    return subject.measure(sizes);
  }
  const subject = findSubject(subjectId);
  if (subject?.kind !== 'node') throw new Error(`unknown Node subject ${subjectId}`);
  const runner = POOL_RUNNERS[scenarioId as PoolScenarioId] as NodeScenario | undefined;
  if (runner === undefined) throw new Error(`unknown scenario ${scenarioId}`);
  return runner(await subject.open(), sizes);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const [kind = '', subjectId = '', scenarioArg] = args.filter((a) => !a.startsWith('--'));
  const scenario = (kind === 'lock' ? 'lock' : kind === 'section' ? findSectionSubject(subjectId)?.section ?? '' : scenarioArg ?? '') as ScenarioId;
  let result: CellResult;
  try {
    const out = await measure(kind, subjectId, scenario, quick);
    result = { subject: subjectId, scenario, status: 'ok', metrics: out.metrics, samples: out.samples, rounds: out.rounds };
    if (out.note !== undefined) result.note = out.note;
  } catch (error) {
    const na = error instanceof NotAvailable;
    result = {
      subject: subjectId,
      scenario,
      status: na ? 'na' : 'error',
      metrics: {},
      reason: na ? error.message : String((error as Error).stack ?? error),
    };
  }
  result.peakRssMiB = peakRssMiB();
  result.cpuMs = treeCpuMs();
  if (roundLog.keptForeign.length > 0) {
    result.foreignCores = roundLog.keptForeign.reduce((a, b) => a + b, 0) / roundLog.keptForeign.length;
    result.discardedRounds = roundLog.discarded;
    result.noisy = roundLog.noisy;
  }
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(result)}\n`, () => {
    // Exit at once: a pool that keeps its workers referenced must not hold the run.
    process.exit(0);
  });
}

await main();
