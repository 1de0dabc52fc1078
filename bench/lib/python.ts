// The command line that runs one Python subject × scenario (bench/python/bench.py).

import { join } from 'node:path';
import { benchDir } from './paths.js';
import type { PythonSubject, ScenarioId, Sizes } from './types.js';

/** python3 by default; PYTHON=/path/to/python picks another interpreter. */
export const PYTHON = process.env.PYTHON ?? 'python3';

export function pythonArgs(subject: PythonSubject, scenario: ScenarioId, sizes: Sizes): string[] {
  return [
    join(benchDir, 'python', 'bench.py'),
    '--executor',
    subject.executor,
    '--scenario',
    scenario,
    '--subject',
    subject.id,
    '--sizes',
    JSON.stringify(sizes),
  ];
}
