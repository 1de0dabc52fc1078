/**
 * `concurrent-ts map` streams: a result is printed before the input has ended, and a million
 * lines pass through in memory that does not grow with the input.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildForTest } from './helpers/build.js';
import { cliEnv, ROOT, startCli, TASKS } from './helpers/cli.js';

test('stdin: each result is printed while the input is still open', async () => {
  const child = startCli(['map', `${TASKS}#double`, '--json', '-q']);
  let seen = '';
  let wake: (() => void) | undefined;
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    seen += text;
    wake?.();
  });
  const waitFor = async (expected: string): Promise<void> => {
    while (!seen.endsWith(expected)) await new Promise<void>((resolve) => (wake = resolve));
  };
  // Each line is written only once the previous result has come out: ordered by events, not sleeps.
  for (const n of [1, 2, 3]) {
    child.stdin.write(`${n}\n`);
    await waitFor(`${n * 2}\n`);
    assert.ok(child.stdin.writable, 'stdin is still open');
  }
  assert.equal(seen, '2\n4\n6\n');
  child.stdin.end('4\n');
  const [code] = (await once(child, 'close')) as [number | null];
  assert.equal(code, 0);
  assert.equal(seen, '2\n4\n6\n8\n');
});

/** The peak resident set size of `pid` in MB, from /proc (Linux), or `undefined`. */
function peakRssOf(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]) / 1024;
  } catch {
    return undefined;
  }
}

const MILLION = 1_000_000;

/** What a million-line run left: exit code, lines out, last lines, and memory figures. */
interface MillionRun {
  code: number | null;
  count: number;
  tail: string;
  stderr: string;
  seconds: number;
  /** Peak RSS in MB from /proc (VmHWM), sampled while the CLI ran. */
  procPeak: number;
  /** Peak RSS in MB as the CLI reported it (`getrusage`). */
  cliPeak: number;
  /** Largest heap left after a full GC, in MB, as the CLI reported it. */
  live: number;
  /** Full (mark-compact) collections the CLI's main thread went through. */
  fullGcs: number;
}

/** Feeds 1..1e6 to the CLI's stdin as fast as it takes them (backpressure respected). */
async function millionLines(child: ChildProcessWithoutNullStreams): Promise<MillionRun> {
  const run: MillionRun = { code: null, count: 0, tail: '', stderr: '', seconds: 0, procPeak: 0, cliPeak: NaN, live: NaN, fullGcs: NaN };
  const pid = child.pid as number;
  const sampler = setInterval(() => {
    run.procPeak = Math.max(run.procPeak, peakRssOf(pid) ?? 0);
  }, 50);
  child.stdout.on('data', (chunk: Buffer) => {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) run.count++;
    run.tail = (run.tail + chunk.toString('latin1')).slice(-32);
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => (run.stderr += text));
  const started = performance.now();
  let next = 1;
  const feed = (): void => {
    while (next <= MILLION) {
      let block = '';
      const end = Math.min(MILLION, next + 8191);
      for (; next <= end; next++) block += `${next}\n`;
      if (!child.stdin.write(block)) {
        child.stdin.once('drain', feed);
        return;
      }
    }
    child.stdin.end();
  };
  feed();
  [run.code] = (await once(child, 'close')) as [number | null];
  clearInterval(sampler);
  run.seconds = (performance.now() - started) / 1000;
  run.cliPeak = Number(/peak RSS ([\d.]+) MB/.exec(run.stderr)?.[1]);
  run.live = Number(/live heap after full GCs at most ([\d.]+) MB/.exec(run.stderr)?.[1]);
  run.fullGcs = Number(/\((\d+) full GCs\)/.exec(run.stderr)?.[1]);
  return run;
}

function describeRun(run: MillionRun): string {
  return `${run.seconds.toFixed(2)} s, ${Math.round(MILLION / run.seconds)} lines/s; peak RSS ${run.cliPeak} MB by the CLI, ` +
    `${run.procPeak.toFixed(1)} MB by /proc (VmHWM); live heap after full GCs at most ${run.live} MB`;
}

/** Every line came out, in order, and what survives a full collection stayed small. */
function assertFlat(run: MillionRun): void {
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.count, MILLION);
  assert.ok(run.tail.endsWith('\n1999998\n2000000\n'), `last lines: ${JSON.stringify(run.tail)}`);
  // Keeping every line would take more than 100 MB (about 130 bytes a line); the bounded window
  // of items in flight takes a few. The heap after a full collection is what the run holds. A
  // run whose old generation never grew enough to need a full collection (a cheap function run on
  // the main thread makes little that lives long) held even less.
  assert.ok(run.fullGcs >= 0, `no GC report: ${run.stderr}`);
  if (run.fullGcs > 0) assert.ok(run.live > 0 && run.live < 48, `live heap after full GCs: ${run.live} MB`);
}

describe('1,000,000 lines through stdin, from source (node --import tsx src/cli/main.ts)', () => {
  let run: MillionRun;
  before(async () => {
    run = await millionLines(startCli(['map', `${TASKS}#double`, '--json', '--workers', '1', '--report-rss']));
  });

  test('every line comes out, in order, and the live heap stays flat', (t) => {
    t.diagnostic(describeRun(run));
    assertFlat(run);
  });
});

describe('1,000,000 lines through stdin, as shipped (node dist/cli/main.js, transpiled here)', () => {
  let run: MillionRun;
  let out: string;
  after(() => rmSync(out, { recursive: true, force: true }));
  before(async () => {
    out = buildForTest('streaming');
    // The task module in plain JavaScript, since no TypeScript loader runs here.
    writeFileSync(join(out, 'double.mjs'), 'export function double(n) { return n * 2; }\n');
    const child = spawn(process.execPath, [join(out, 'cli', 'main.js'), 'map', `${join(out, 'double.mjs')}#double`, '--json', '--workers', '1', '--report-rss'],
      { cwd: ROOT, env: cliEnv() });
    run = await millionLines(child);
  });

  test('every line comes out, in order, and the live heap stays flat', (t) => {
    t.diagnostic(describeRun(run));
    assertFlat(run);
  });

  test('peak RSS stays under 150 MB', () => {
    assert.ok(run.cliPeak < 150, `peak RSS ${run.cliPeak} MB`);
  });
});
