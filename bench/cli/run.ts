// The CLI benchmark: `concurrent-ts map` as a whole process against hand-written floors, in
// paired runs (each round runs every command of a scenario back to back), on two workers.
//
//   npm run build && npx tsx bench/cli/run.ts [--rounds N] [--only efficiency,cheap,joblog]
//
// efficiency  200,000 11-digit numbers (from a fixed seed, ~40 µs each on average) through
//             trial-division isPrime: the CLI vs two raw worker threads given half the numbers
//             each in one message (floor.mjs), and vs a sequential loop (sequential.mjs)
// cheap       isPrime of 1..1,000,000 (~0.1 µs each): the CLI vs a sequential readline loop
// joblog      noop over 1,000,000 lines with -o FILE: without a joblog, with --joblog, and with
//             --joblog --resume (a fresh log each round): the cost of the log; and --resume of
//             a finished run (a million records read back, every line skipped, nothing written)
//
// Wall time is the process's from spawn to exit; CPU is that of the process and its threads
// (cutime + cstime of the reaped child, from /proc/self/stat). Every output is checked against
// the sequential one.

import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const here = fileURLToPath(new URL('./', import.meta.url));
const cli = join(root, 'dist/cli/main.js');
const tasks = join(here, 'tasks.mjs');

interface Sample {
  wallMs: number;
  cpuMs: number;
}

interface Command {
  readonly name: string;
  readonly args: string[];
  /** Runs before each round of this command (e.g. removes the joblog). */
  readonly before?: () => void;
  /** Where its results go: a file it writes (-o), else its stdout. */
  readonly outFile?: string;
}

function childCpuMs(): number {
  const fields = readFileSync('/proc/self/stat', 'utf8').split(') ')[1]?.split(' ') ?? [];
  // Fields 16 and 17 of stat (cutime, cstime) are at 13 and 14 after the command name.
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100;
}

function run(command: Command, out: string): Sample {
  command.before?.();
  const fd = openSync(out, 'w');
  const cpu0 = childCpuMs();
  const t0 = performance.now();
  const r = spawnSync(process.execPath, command.args, { stdio: ['ignore', fd, 'inherit'], env: { ...process.env, CI: '1' } });
  const wallMs = performance.now() - t0;
  const cpuMs = childCpuMs() - cpu0;
  closeSync(fd);
  if (r.status !== 0) throw new Error(`${command.name} exited with ${r.status}`);
  return { wallMs, cpuMs };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function scenario(title: string, commands: Command[], rounds: number, dir: string): Map<string, Sample> {
  const samples = new Map<string, Sample[]>(commands.map((c) => [c.name, []]));
  const outputs = new Map<string, string>();
  for (let round = 0; round <= rounds; round++) {
    // Round 0 warms the disk cache and is not counted; the order alternates so neither side always goes first.
    const order = round % 2 === 0 ? commands : [...commands].reverse();
    for (const command of order) {
      const out = join(dir, `${command.name}.out`);
      const sample = run(command, out);
      if (round > 0) samples.get(command.name)?.push(sample);
      outputs.set(command.name, readFileSync(command.outFile ?? out, 'utf8'));
    }
  }
  const reference = outputs.get((commands.at(-1) as Command).name);
  for (const [name, text] of outputs) if (text !== reference) throw new Error(`${title}: ${name}'s output differs from ${(commands.at(-1) as Command).name}'s`);
  const result = new Map<string, Sample>();
  console.log(`\n${title} (median of ${rounds} paired rounds)`);
  for (const command of commands) {
    const list = samples.get(command.name) as Sample[];
    const s = { wallMs: median(list.map((x) => x.wallMs)), cpuMs: median(list.map((x) => x.cpuMs)) };
    result.set(command.name, s);
    console.log(`  ${command.name.padEnd(28)} ${(s.wallMs / 1000).toFixed(3).padStart(7)} s wall  ${(s.cpuMs / 1000).toFixed(2).padStart(6)} s CPU`);
  }
  return result;
}

function ratio(a: Sample | undefined, b: Sample | undefined, what: 'wallMs' | 'cpuMs'): string {
  return a === undefined || b === undefined ? '?' : (a[what] / b[what]).toFixed(2);
}

function main(): void {
  const argv = process.argv.slice(2);
  const rounds = Number(argv[argv.indexOf('--rounds') + 1] ?? 3) || 3;
  const onlyAt = argv.indexOf('--only');
  const only = onlyAt >= 0 ? (argv[onlyAt + 1] ?? '').split(',') : ['efficiency', 'cheap', 'joblog'];
  const dir = mkdtempSync(join(tmpdir(), 'ct-cli-bench-'));
  try {
    const cliArgs = (fn: string, input: string, extra: string[] = []): string[] =>
      [cli, 'map', `${tasks}#${fn}`, '--json', '-i', input, '--workers', '2', '-q', '--no-progress', ...extra];

    if (only.includes('efficiency')) {
      const input = join(dir, 'eleven-digits.txt');
      writeFileSync(input, elevenDigits(200_000).join('\n') + '\n');
      const r = scenario('efficiency: isPrime of 200,000 11-digit numbers', [
        { name: 'concurrent-ts map', args: cliArgs('isPrime', input) },
        { name: 'floor: 2 raw worker threads', args: [join(here, 'floor.mjs'), input] },
        { name: 'sequential loop', args: [join(here, 'sequential.mjs'), input] },
      ], rounds, dir);
      const ct = r.get('concurrent-ts map');
      const floor = r.get('floor: 2 raw worker threads');
      const seq = r.get('sequential loop');
      console.log(`  speed vs the floor: ${ratio(floor, ct, 'wallMs')}× (goal ≥ 0.95); CPU vs the floor: ${ratio(ct, floor, 'cpuMs')}×; ` +
        `sequential/CLI: ${ratio(seq, ct, 'wallMs')}×, sequential/floor: ${ratio(seq, floor, 'wallMs')}×`);
    }
    if (only.includes('cheap')) {
      const input = join(dir, 'seq.txt');
      writeFileSync(input, Array.from({ length: 1_000_000 }, (_, i) => String(i + 1)).join('\n') + '\n');
      const r = scenario('cheap: isPrime of 1..1,000,000', [
        { name: 'concurrent-ts map', args: cliArgs('isPrime', input) },
        { name: 'sequential readline loop', args: [join(here, 'sequential.mjs'), input] },
      ], rounds, dir);
      console.log(`  CLI/sequential wall: ${ratio(r.get('concurrent-ts map'), r.get('sequential readline loop'), 'wallMs')}× (goal ≤ 1.1)`);
    }
    if (only.includes('joblog')) {
      const input = join(dir, 'seq.txt');
      writeFileSync(input, Array.from({ length: 1_000_000 }, (_, i) => String(i + 1)).join('\n') + '\n');
      const out = (name: string): string => join(dir, `${name}.txt`);
      const log = join(dir, 'joblog.ndjson');
      const fresh = (): void => rmSync(log, { force: true });
      const finished = join(dir, 'finished.ndjson');
      const r = scenario('joblog: noop over 1,000,000 lines, -o FILE', [
        { name: 'no joblog', args: cliArgs('noop', input, ['-o', out('plain')]), outFile: out('plain') },
        { name: '--joblog', args: cliArgs('noop', input, ['-o', out('log'), '--joblog', log]), before: fresh, outFile: out('log') },
        { name: '--joblog --resume', args: cliArgs('noop', input, ['-o', out('resume'), '--joblog', log, '--resume']), before: fresh, outFile: out('resume') },
        // In either order of a round, the run before this one that wrote the log was --joblog --resume.
        {
          name: '--resume, run finished', args: cliArgs('noop', input, ['-o', out('finished'), '--joblog', finished, '--resume']), outFile: out('finished'),
          before: () => {
            copyFileSync(log, finished);
            copyFileSync(out('resume'), out('finished'));
          },
        },
      ], rounds, dir);
      const base = r.get('no joblog');
      console.log(`  throughput with --joblog: ${ratio(base, r.get('--joblog'), 'wallMs')}×, with --joblog --resume: ${ratio(base, r.get('--joblog --resume'), 'wallMs')}× of without (goal ≥ 0.90); ` +
        `--resume of a finished run: ${ratio(r.get('--resume, run finished'), base, 'wallMs')}× the time of a run without the log`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `count` 11-digit numbers from a fixed seed: about 1 in 23 is prime and costs ~0.7 ms; the mean is some 40 µs. */
function elevenDigits(count: number): number[] {
  let state = 0x2545f491;
  const next = (): number => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  return Array.from({ length: count }, () => 10_000_000_000 + Math.floor(next() * 89_999_999_999));
}

main();
