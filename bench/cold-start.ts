// Cold start: what a program pays before its first result, in a fresh process each round. It
// imports the library, creates a pool of one worker and awaits add(1, 2): the import alone, and
// import to first result, for concurrent-ts's two pool kinds beside the peers. Rounds go subject
// after subject, interleaved, so a change in the machine's load touches every subject alike.
//
//   tsx bench/cold-start.ts [--quick]        (also part of `npm run bench`)

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildDir, distSnapshot, repoRoot } from './lib/paths.js';
import { median } from './lib/stats.js';

/** One subject: a probe program that prints `{ importMs, firstMs? }` as JSON. */
interface Probe {
  readonly id: string;
  readonly label: string;
  /** The peer it is compared with. */
  readonly against?: string;
  readonly source: (lib: string) => string;
}

const OUT = 'process.stdout.write(JSON.stringify(result));';

function poolProbe(importLine: string, make: string, call: string, close: string): (lib: string) => string {
  return (lib) => `const t0 = performance.now();
${importLine.replaceAll('LIB', lib)}
const t1 = performance.now();
${make}
const r = await ${call};
const t2 = performance.now();
if (r !== 3) throw new Error('add(1, 2) = ' + r);
const result = { importMs: t1 - t0, firstMs: t2 - t0 };
await ${close};
${OUT}
`;
}

/** Imports `specifier`, or the library's root entry without one. */
function importProbe(specifier?: string): (lib: string) => string {
  return (lib) => `const t0 = performance.now();
await import(${JSON.stringify(specifier ?? lib)});
const result = { importMs: performance.now() - t0 };
${OUT}
`;
}

const PROBES: readonly Probe[] = [
  { id: 'import-ct', label: "import 'concurrent-ts'", against: 'import-piscina', source: importProbe() },
  { id: 'import-piscina', label: "import 'piscina'", source: importProbe('piscina') },
  {
    id: 'ct-thread', label: 'concurrent-ts ThreadPoolExecutor', against: 'piscina',
    source: poolProbe("const { ThreadPoolExecutor } = await import('LIB');", 'const pool = new ThreadPoolExecutor({ maxWorkers: 1 });',
      'pool.submit((a, b) => a + b, 1, 2)', 'pool.shutdown()'),
  },
  {
    id: 'ct-process', label: 'concurrent-ts ProcessPoolExecutor', against: 'piscina',
    source: poolProbe("const { ProcessPoolExecutor } = await import('LIB');", 'const pool = new ProcessPoolExecutor({ maxWorkers: 1 });',
      'pool.submit((a, b) => a + b, 1, 2)', 'pool.shutdown()'),
  },
  {
    id: 'piscina', label: 'piscina',
    source: poolProbe("const { Piscina } = await import('piscina');",
      "const pool = new Piscina({ filename: new URL('./add-task.mjs', import.meta.url).href, minThreads: 1, maxThreads: 1 });",
      "pool.run([1, 2], { name: 'add' })", 'pool.destroy()'),
  },
  {
    id: 'tinypool', label: 'tinypool',
    source: poolProbe("const { Tinypool } = await import('tinypool');",
      "const pool = new Tinypool({ filename: new URL('./add-task.mjs', import.meta.url).href, minThreads: 1, maxThreads: 1 });",
      "pool.run([1, 2], { name: 'add' })", 'pool.destroy()'),
  },
  {
    id: 'workerpool', label: 'workerpool',
    source: poolProbe("const { default: workerpool } = await import('workerpool');",
      "const pool = workerpool.pool(new URL('./workerpool-task.mjs', import.meta.url).pathname, { maxWorkers: 1, workerType: 'thread' });",
      "pool.exec('add', [1, 2])", 'pool.terminate()'),
  },
  {
    id: 'poolifier', label: 'poolifier',
    source: poolProbe("const { FixedThreadPool } = await import('poolifier');",
      "const pool = new FixedThreadPool(1, new URL('./poolifier-task.mjs', import.meta.url).pathname);",
      "pool.execute([1, 2], 'add')", 'pool.destroy()'),
  },
];

const TASK_FILES: Record<string, string> = {
  'add-task.mjs': 'export function add([a, b]) { return a + b; }\n',
  'workerpool-task.mjs': "import workerpool from 'workerpool';\nworkerpool.worker({ add: (a, b) => a + b });\n",
  'poolifier-task.mjs': "import { ThreadWorker } from 'poolifier';\nexport default new ThreadWorker({ add: ([a, b]) => a + b });\n",
};

/** Medians over the rounds, per subject; `undefined` where the subject could not run. */
export interface ColdStartResult {
  readonly rounds: number;
  readonly subjects: ReadonlyArray<{ id: string; label: string; against?: string; importMs?: number; firstMs?: number; error?: string }>;
}

/** Runs every probe `rounds` times in fresh processes. */
export function measureColdStart(rounds: number): ColdStartResult {
  // The probes live beside the peers (bench/node_modules), which they import by name.
  const dir = join(buildDir, 'cold-start');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(TASK_FILES)) writeFileSync(join(dir, name), text);
  const dist = existsSync(join(distSnapshot, 'index.js')) ? distSnapshot : join(repoRoot, 'dist');
  const lib = pathToFileURL(join(dist, 'index.js')).href;
  for (const probe of PROBES) writeFileSync(join(dir, `${probe.id}.mjs`), probe.source(lib));

  const samples = new Map<string, { importMs: number[]; firstMs: number[]; error?: string }>(PROBES.map((p) => [p.id, { importMs: [], firstMs: [] }]));
  for (let round = 0; round < rounds; round++) {
    for (const probe of PROBES) {
      const sample = samples.get(probe.id)!;
      if (sample.error !== undefined) continue;
      const r = spawnSync(process.execPath, [join(dir, `${probe.id}.mjs`)], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } });
      if (r.status !== 0) {
        sample.error = (r.stderr || `exit ${r.status ?? r.signal}`).trim().split('\n')[0] ?? '';
        continue;
      }
      const { importMs, firstMs } = JSON.parse(r.stdout) as { importMs: number; firstMs?: number };
      sample.importMs.push(importMs);
      if (firstMs !== undefined) sample.firstMs.push(firstMs);
    }
  }
  return {
    rounds,
    subjects: PROBES.map((p) => {
      const s = samples.get(p.id)!;
      if (s.error !== undefined) return { id: p.id, label: p.label, error: s.error };
      return {
        id: p.id, label: p.label, ...(p.against === undefined ? {} : { against: p.against }),
        importMs: median(s.importMs), ...(s.firstMs.length === 0 ? {} : { firstMs: median(s.firstMs) }),
      };
    }),
  };
}

/** The section's lines, for the terminal and (indented as a list) for docs/benchmarks.md. */
export function coldStartLines(result: ColdStartResult): string[] {
  const byId = new Map(result.subjects.map((s) => [s.id, s]));
  return result.subjects.map((s) => {
    if (s.error !== undefined) return `${s.label}: n/a (${s.error})`;
    const peer = s.against === undefined ? undefined : byId.get(s.against);
    const value = s.firstMs ?? s.importMs ?? Number.NaN;
    const peerValue = peer?.firstMs ?? peer?.importMs;
    const what = s.firstMs === undefined ? 'import' : `import to first result ${s.firstMs.toFixed(1)} ms (import ${(s.importMs ?? Number.NaN).toFixed(1)} ms)`;
    const head = s.firstMs === undefined ? `${s.label}: ${value.toFixed(1)} ms` : `${s.label}: ${what}`;
    const ratio = peer === undefined || peerValue === undefined ? '' : `, ${(value / peerValue).toFixed(2)}× ${peer.label}`;
    return `${head}${ratio}`;
  });
}

/** Markdown for docs/benchmarks.md. */
export function coldStartMarkdown(result: ColdStartResult): string {
  return `\n## Cold start\n\nA fresh process per round: import the library, create a pool of one worker, await add(1, 2); ` +
    `median of ${result.rounds} rounds, subjects interleaved (\`bench/cold-start.ts\`).\n\n` +
    `${coldStartLines(result).map((line) => `- ${line}`).join('\n')}\n`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const result = measureColdStart(quick ? 3 : 20);
  console.log(`Cold start (median of ${result.rounds} fresh processes)`);
  for (const line of coldStartLines(result)) console.log(`  ${line}`);
}
