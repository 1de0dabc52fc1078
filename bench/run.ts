// `npm run bench`: every scenario against every subject, one child process per
// cell, one cell at a time, then the table, the ratios, the goals and the docs.
//
//   tsx bench/run.ts [--quick] [--only <subject|scenario>[,…]]… [--docs | --no-docs] [--json <file>]
//   tsx bench/run.ts --from <file> [--docs]
//
// --quick      tiny sizes and one round: checks the harness works, in seconds
// --only       keep only these subjects and/or scenarios (ids as in the table)
// --docs       write docs/benchmarks.md and .svg even for a quick or filtered run
// --no-docs    never write them (by default only a full, unfiltered run does)
// --json FILE  also save every cell, with its per-round samples
// --from FILE  print (and with --docs, write the docs of) a run saved with --json

import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, release, setPriority, totalmem, type } from 'node:os';
import { dirname, join } from 'node:path';
import { coldStartLines, coldStartMarkdown, measureColdStart } from './cold-start.js';
import { compileHarness, snapshotDist } from './lib/compile.js';
import { sizes as sizesFor } from './lib/config.js';
import { nowMs, OWN_PIDS_ENV } from './lib/measure.js';
import { metric } from './lib/metrics.js';
import { benchDir, buildDir, repoRoot } from './lib/paths.js';
import { RESULT_PREFIX } from './lib/protocol.js';
import { PYTHON, pythonArgs } from './lib/python.js';
import { LOCK_SUBJECTS, POOL_SCENARIOS, SCENARIO_TITLES, SUBJECTS, notApplicable } from './lib/registry.js';
import { startRedis, type BenchRedis } from './lib/redis.js';
import { SECTION_IDS, SECTION_SUBJECTS, isSection } from './lib/sections.js';
import { REDIS_URL_ENV } from './scenarios/dist.js';
import {
  durationText,
  goalResults,
  lockLines,
  markdown,
  sectionLines,
  problemLines,
  ratioLine,
  reportedMetrics,
  terminalTable,
  type Machine,
  type RunReport,
} from './lib/report.js';
import { waitForQuiet } from './lib/load.js';
import { renderSvg } from './lib/svg.js';
import type { CellResult, LockSubject, ScenarioId, SectionSubject, Subject } from './lib/types.js';

interface Options {
  quick: boolean;
  only: string[];
  docs: boolean | undefined;
  json: string | undefined;
  from: string | undefined;
}

function parseOptions(argv: string[]): Options {
  const options: Options = { quick: false, only: [], docs: undefined, json: undefined, from: undefined };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') options.quick = true;
    else if (arg === '--docs') options.docs = true;
    else if (arg === '--no-docs') options.docs = false;
    else if (arg === '--only' || arg === '--json' || arg === '--from') {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${arg} needs a value`);
      if (arg === '--only') options.only.push(...value.split(',').filter(Boolean));
      else if (arg === '--json') options.json = value;
      else options.from = value;
    } else if (arg.startsWith('--only=')) options.only.push(...arg.slice(7).split(',').filter(Boolean));
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: tsx bench/run.ts [--quick] [--only <subject|scenario>[,...]] [--docs | --no-docs] [--json <file>] | --from <file> [--docs]');
      process.exit(0);
    } else throw new Error(`unknown option ${arg} (try --help)`);
  }
  const known = new Set<string>([...SUBJECTS.map((s) => s.id), ...LOCK_SUBJECTS.map((s) => s.id), ...SECTION_SUBJECTS.map((s) => s.id), ...POOL_SCENARIOS, 'lock', ...SECTION_IDS]);
  for (const name of options.only) if (!known.has(name)) throw new Error(`--only ${name}: not a subject or scenario id (${[...known].join(', ')})`);
  return options;
}

/** Keeps a subject/scenario pair when --only names it, its scenario, or nothing of its kind. */
function selected(only: readonly string[], subject: string, scenario: string, allSubjects: readonly string[]): boolean {
  if (only.length === 0) return true;
  const scenarios = only.filter((o) => POOL_SCENARIOS.includes(o as ScenarioId) || o === 'lock' || isSection(o));
  const subjects = only.filter((o) => allSubjects.includes(o));
  return (scenarios.length === 0 || scenarios.includes(scenario)) && (subjects.length === 0 || subjects.includes(subject));
}

/** The library's commit, and whether src/ had uncommitted changes when dist/ was copied. */
function libraryVersion(): string {
  const git = (...args: string[]) => spawnSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8' });
  const head = git('log', '-1', '--format=%h');
  if (head.status !== 0) return 'unknown commit';
  const dirty = git('status', '--porcelain', '--', 'src').stdout.trim() !== '';
  return `commit ${head.stdout.trim()}${dirty ? ' + uncommitted changes in src/' : ''}`;
}

function machine(): Machine {
  const python = spawnSync(PYTHON, ['--version'], { encoding: 'utf8' });
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    cpuCount: availableParallelism(),
    node: process.version,
    python: python.status === 0 ? (python.stdout || python.stderr).trim() : 'Python not found',
    os: `${type()} ${release()}`,
    memoryGiB: totalmem() / 2 ** 30,
  };
}

/** Runs one child to completion and reads its result line; never throws. */
function runChild(command: string, args: string[], base: Pick<CellResult, 'subject' | 'scenario'>, timeoutMs: number, extraEnv: Record<string, string> = {}): Promise<CellResult> {
  const start = nowMs();
  return new Promise((resolve) => {
    const child = spawn(command, args, {
      cwd: benchDir,
      // No loader for the children: plain node on the compiled harness (lib/compile.ts).
      env: { ...process.env, BENCH_DIR: benchDir, NODE_OPTIONS: '', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      resolve({ ...base, status: 'error', metrics: {}, reason: error.message, wallMs: nowMs() - start });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const wallMs = nowMs() - start;
      const line = stdout.split('\n').find((l) => l.startsWith(RESULT_PREFIX));
      if (line !== undefined) {
        resolve({ ...(JSON.parse(line.slice(RESULT_PREFIX.length)) as CellResult), wallMs });
        return;
      }
      const reason = timedOut ? `no result after ${timeoutMs / 1000} s` : `exited with ${signal ?? code}: ${stderr.trim().split('\n').slice(-3).join(' / ')}`;
      resolve({ ...base, status: timedOut ? 'timeout' : 'error', metrics: {}, reason, wallMs });
    });
  });
}

/** taskset pins a process (and every thread and child it starts) to one CPU. */
const HAS_TASKSET = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;

/** The command line of one cell: Node child or Python, pinned to CPU 0 for the one-CPU round trip. */
function commandFor(subject: Subject | LockSubject | SectionSubject, scenario: ScenarioId, options: Options): [string, string[]] {
  const quick = options.quick ? ['--quick'] : [];
  let command: [string, string[]];
  if ('section' in subject) {
    // bench.py wants an executor flag; its mp scenario ignores it.
    const python = { kind: 'python', executor: 'process', id: subject.id, label: subject.label, short: subject.short, group: subject.group } as const;
    command = subject.kind === 'python'
      ? [PYTHON, pythonArgs(python, scenario, sizesFor(options.quick))]
      : [process.execPath, [join(buildDir, 'child.js'), 'section', subject.id, ...quick]];
  } else if ('kind' in subject && subject.kind === 'python') command = [PYTHON, pythonArgs(subject, scenario, sizesFor(options.quick))];
  else if (scenario === 'lock') command = [process.execPath, [join(buildDir, 'child.js'), 'lock', subject.id, ...quick]];
  else command = [process.execPath, [join(buildDir, 'child.js'), 'pool', subject.id, scenario, ...quick]];
  return scenario === 'roundtrip-1cpu' ? ['taskset', ['-c', '0', command[0], ...command[1]]] : command;
}

/** Waiting for a quiet machine stops once other programs use less than this many cores. */
const QUIET_CORES = 0.15;

function crashed(cell: CellResult): boolean {
  return cell.status === 'error' && (cell.reason ?? '').startsWith('exited with');
}

/** A cell that had to set rounds aside: the machine was busy, so let it settle before the next. */
function disturbed(cell: CellResult): boolean {
  return (cell.discardedRounds ?? 0) > 0 || cell.noisy === true;
}

/**
 * Waiting for other programs to finish, within a budget for the whole run: on a
 * machine that never gets quiet the run must still end in reasonable time.
 */
class QuietWaiter {
  #leftMs: number;

  constructor(budgetMs: number) {
    this.#leftMs = budgetMs;
  }

  get exhausted(): boolean {
    return this.#leftMs <= 0;
  }

  /** Waits until other programs use under QUIET_CORES cores, or the budget runs out. */
  async settle(log: (text: string) => void): Promise<void> {
    if (this.exhausted) return;
    const start = Date.now();
    const load = await waitForQuiet(QUIET_CORES, Math.min(15_000, this.#leftMs));
    const waited = Date.now() - start;
    this.#leftMs -= waited;
    if (waited > 1500) log(`  waited ${(waited / 1000).toFixed(0)} s for other programs (now ${load?.toFixed(2) ?? '?'} cores)${this.exhausted ? '; waiting budget spent, no more waits' : ''}`);
  }
}

/**
 * Runs a cell, once more after a crash. Disturbed rounds are handled inside the
 * child (lib/measure.ts runRounds), which is far cheaper than rerunning the cell.
 */
async function runCell(subject: Subject | LockSubject | SectionSubject, scenario: ScenarioId, options: Options, timeoutMs: number, log: (text: string) => void, env: Record<string, string> = {}): Promise<CellResult> {
  const base = { subject: subject.id, scenario };
  if (scenario === 'roundtrip-1cpu' && !HAS_TASKSET) return { ...base, status: 'na', metrics: {}, reason: 'taskset not available' };
  const [command, args] = commandFor(subject, scenario, options);
  let cell = await runChild(command, args, base, timeoutMs, env);
  let attempts = 1;
  if (crashed(cell)) {
    const reason = (cell.reason ?? '').split('\n')[0]!.slice(0, 160);
    log(`  crashed, once more: ${reason}`);
    cell = await runChild(command, args, base, timeoutMs, env);
    attempts++;
    cell.note = [cell.note, `rerun after a crash (${reason})`].filter(Boolean).join('; ');
  }
  if (cell.noisy === true) {
    cell.note = [cell.note, `machine busy with other programs: least disturbed rounds kept (others ${(cell.foreignCores ?? 0).toFixed(2)} cores)`].filter(Boolean).join('; ');
  }
  cell.attempts = attempts;
  return cell;
}

/** "1.23M tasks/s (5 rounds)" or the reason there is no number. */
function summary(cell: CellResult): string {
  if (cell.status !== 'ok') return `${cell.status}${cell.reason ? `: ${cell.reason.split('\n')[0]}` : ''}`;
  const values = Object.entries(cell.metrics).map(([id, value]) => {
    const m = metric(id as keyof typeof cell.metrics);
    return `${m.format(value)} ${m.unit}`;
  });
  const load = cell.foreignCores === undefined ? '' : `, others ${cell.foreignCores.toFixed(2)} cores`;
  const discarded = cell.discardedRounds ? `, ${cell.discardedRounds} disturbed set aside` : '';
  return `${values.join(', ')} (${cell.rounds ?? 1} round${cell.rounds === 1 ? '' : 's'}${discarded}${load}${cell.noisy ? ', NOISY' : ''})`;
}

function writeDocs(report: RunReport): void {
  writeFileSync(join(repoRoot, 'docs', 'benchmarks.md'), markdown(report));
  writeFileSync(join(repoRoot, 'docs', 'benchmarks.svg'), renderSvg(report));
  console.log('\nbench: wrote docs/benchmarks.md and docs/benchmarks.svg');
}

/**
 * One Redis server for the distributed cells, started on first use and made
 * fresh (restarted, empty) for each cell; undefined URLs when it is not installed.
 */
class RedisForCells {
  #server: Promise<BenchRedis | undefined> | undefined;

  /** A running, empty server for the next cell, or undefined without redis-server. */
  async fresh(): Promise<BenchRedis | undefined> {
    if (this.#server === undefined) {
      this.#server = startRedis();
      return this.#server;
    }
    const server = await this.#server;
    await server?.restart();
    return server;
  }

  async stop(): Promise<void> {
    await (await this.#server)?.stop();
  }
}

/** The priority the cells run at: raised when allowed, see raisePriority. */
const BENCH_NICE = -15;

/**
 * Raises this process's priority, which every child, worker thread and worker
 * process then inherits (Linux keeps a nice value per thread and copies it to
 * each new thread and process). On a machine shared with builds and tests, the
 * cells then get the CPUs they ask for, all subjects alike. Needs root or
 * CAP_SYS_NICE; without it the run goes on at normal priority and says so.
 */
function raisePriority(): string {
  try {
    setPriority(BENCH_NICE);
    return `nice ${BENCH_NICE} (raised so other programs disturb less)`;
  } catch {
    return 'nice 0 (normal; raising it needs root)';
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options.from !== undefined) {
    // A saved run, shown again; its subjects lost their functions in JSON, which the report never calls.
    const saved = JSON.parse(readFileSync(options.from, 'utf8')) as Partial<RunReport>;
    const report = { ...saved, priority: saved.priority ?? 'unknown' } as RunReport;
    print(report);
    if (options.docs === true) writeDocs(report);
    return;
  }
  const started = nowMs();
  const date = new Date().toISOString().slice(0, 10);
  const priority = options.quick ? 'nice 0 (--quick)' : raisePriority();
  const files = compileHarness();
  const built = snapshotDist();
  const library = built ? libraryVersion() : 'not built';
  console.log(`bench: compiled ${files} files to ${buildDir}; concurrent-ts ${built ? `dist/ copied (${library})` : 'not built: its columns will read n/a'}`);
  const timeoutMs = options.quick ? 60_000 : 180_000;

  const subjectIds = [...SUBJECTS.map((s) => s.id), ...LOCK_SUBJECTS.map((s) => s.id), ...SECTION_SUBJECTS.map((s) => s.id)];
  const plan: { subject: Subject; scenario: ScenarioId }[] = [];
  for (const scenario of POOL_SCENARIOS) {
    for (const subject of SUBJECTS) if (selected(options.only, subject.id, scenario, subjectIds)) plan.push({ subject, scenario });
  }
  const lockPlan = LOCK_SUBJECTS.filter((s) => selected(options.only, s.id, 'lock', subjectIds));
  const sectionPlan = SECTION_SUBJECTS.filter((s) => selected(options.only, s.id, s.section, subjectIds));
  const total = plan.length + lockPlan.length + sectionPlan.length;

  // --quick checks the harness, not the numbers: no waiting for a quiet machine.
  const quiet = new QuietWaiter(options.quick ? 0 : 120_000);
  let previousDisturbed = !options.quick;
  const cells: CellResult[] = [];
  let index = 0;
  for (const { subject, scenario } of plan) {
    index++;
    const prefix = `[${String(index).padStart(String(total).length)}/${total}] ${SCENARIO_TITLES[scenario]} · ${subject.short}`;
    const skip = notApplicable(subject, scenario);
    if (skip !== undefined) {
      cells.push({ subject: subject.id, scenario, status: 'skip', metrics: {}, reason: skip });
      console.log(`${prefix}: — (${skip})`);
      continue;
    }
    if (previousDisturbed) await quiet.settle(console.log);
    const cell = await runCell(subject, scenario, options, timeoutMs, console.log);
    previousDisturbed = disturbed(cell);
    cells.push(cell);
    console.log(`${prefix}: ${summary(cell)} [${((cell.wallMs ?? 0) / 1000).toFixed(1)} s]`);
  }
  const lockCells: CellResult[] = [];
  for (const subject of lockPlan) {
    index++;
    if (previousDisturbed) await quiet.settle(console.log);
    const cell = await runCell(subject, 'lock', options, timeoutMs, console.log);
    previousDisturbed = disturbed(cell);
    lockCells.push(cell);
    console.log(`[${index}/${total}] lock ops · ${subject.short}: ${summary(cell)} [${((cell.wallMs ?? 0) / 1000).toFixed(1)} s]`);
  }
  const sectionCells: CellResult[] = [];
  const redis = new RedisForCells();
  try {
    for (const subject of sectionPlan) {
      index++;
      const prefix = `[${index}/${total}] ${SCENARIO_TITLES[subject.section]} · ${subject.short}`;
      let env: Record<string, string> = {};
      if (subject.section === 'dist') {
        const server = await redis.fresh();
        if (server === undefined) {
          sectionCells.push({ subject: subject.id, scenario: 'dist', status: 'na', metrics: {}, reason: 'redis-server not installed' });
          console.log(`${prefix}: n/a (redis-server not installed)`);
          continue;
        }
        // Redis works for the cell: its CPU time is the cell's, not another program's.
        env = { [REDIS_URL_ENV]: server.url, [OWN_PIDS_ENV]: String(server.pid ?? '') };
      }
      if (previousDisturbed) await quiet.settle(console.log);
      const cell = await runCell(subject, subject.section, options, timeoutMs, console.log, env);
      previousDisturbed = disturbed(cell);
      sectionCells.push(cell);
      console.log(`${prefix}: ${summary(cell)} [${((cell.wallMs ?? 0) / 1000).toFixed(1)} s]`);
    }
  } finally {
    await redis.stop();
  }

  const report: RunReport = {
    machine: machine(),
    quick: options.quick,
    library,
    priority,
    date,
    durationMs: nowMs() - started,
    subjects: SUBJECTS.filter((s) => cells.some((c) => c.subject === s.id)),
    cells,
    lockSubjects: lockPlan,
    lockCells,
    sectionCells,
  };
  print(report);
  // Cold start, beside the peers: fresh processes, so outside the cells (bench/cold-start.ts).
  const coldStart = options.only.length === 0 ? measureColdStart(options.quick ? 3 : 20) : undefined;
  if (coldStart !== undefined) console.log(`\ncold start (median of ${coldStart.rounds} fresh processes)\n${coldStartLines(coldStart).map((l) => `  ${l}`).join('\n')}`);

  if (options.json !== undefined) {
    mkdirSync(dirname(options.json), { recursive: true });
    writeFileSync(options.json, `${JSON.stringify(report, null, 2)}\n`);
    console.log(`\nbench: results saved to ${options.json}`);
  }
  if (options.docs ?? (!options.quick && options.only.length === 0)) {
    writeDocs(report);
    if (coldStart !== undefined) appendFileSync(join(repoRoot, 'docs', 'benchmarks.md'), coldStartMarkdown(coldStart));
  }
  console.log(`\nbench: done in ${durationText(nowMs() - started)}`);
}

function print(report: RunReport): void {
  const m = report.machine;
  console.log(`\n${m.cpuCount} × ${m.cpuModel} · Node ${m.node} · ${m.python} · ${m.os} · ${report.date}${report.quick ? ' · --quick (sizes too small to mean anything)' : ''}\n`);
  if (report.cells.length > 0) console.log(terminalTable(report));
  for (const subject of report.subjects.filter((s) => s.group === 'concurrent-ts')) {
    const lines = reportedMetrics(report)
      .map((metricInfo) => ratioLine(report, subject, metricInfo))
      .filter((l): l is string => l !== undefined);
    console.log(`\n${subject.label}${lines.length === 0 ? ': n/a' : ''}`);
    for (const line of lines) console.log(`  ${line}`);
  }
  const locks = lockLines(report);
  if (locks.length > 0) {
    console.log('\nlock ops (uncontended acquire + release)');
    for (const line of locks) console.log(`  ${line}`);
  }
  for (const section of SECTION_IDS) {
    const lines = sectionLines(report, section);
    if (lines.length === 0) continue;
    console.log(`\n${SCENARIO_TITLES[section]}`);
    for (const line of lines) console.log(`  ${line}`);
  }
  if (report.cells.length > 0 || (report.sectionCells ?? []).length > 0) {
    console.log('\ngoals (targets, not assertions)');
    for (const g of goalResults(report)) console.log(`  ${g.status.padEnd(4)}  ${g.goal}: ${g.measured}`);
  }
  const problems = problemLines(report);
  if (problems.length > 0) {
    console.log('\nnotes');
    for (const p of problems) console.log(`  ${p}`);
  }
}

await main();
