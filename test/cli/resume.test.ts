/**
 * `concurrent-ts map --output FILE --joblog LOG --resume`: a run killed with SIGKILL at random
 * points (fixed seeds, chosen by how many records the joblog holds) and started again leaves
 * FILE byte-identical to an uninterrupted run's, and LOG with exactly one success per line. A
 * torn last joblog record is cut off and its item done again.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { lines, runCli, startCli, TASKS } from './helpers/cli.js';

const ATTEMPTS = 'test/fixtures/cli/attempts.ts';

const ITEMS = 3000;
const dir = mkdtempSync(join(tmpdir(), 'ct-resume-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const input = join(dir, 'in.txt');
writeFileSync(input, Array.from({ length: ITEMS }, (_, i) => (i % 97 === 5 ? '' : String(i + 1))).join('\n') + '\n');
const nonBlank = Array.from({ length: ITEMS }, (_, i) => i).filter((i) => i % 97 !== 5).length;

/** A small deterministic generator: the same seed, the same kill points. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Records in the joblog now (its lines, less the header), or -1 before it exists. */
function recordsIn(path: string): number {
  if (!existsSync(path)) return -1;
  const text = readFileSync(path, 'utf8');
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n - 1;
}

/** Runs the CLI and kills it (SIGKILL) once the joblog holds `records` records; resolves when it is gone. */
async function runAndKill(args: string[], log: string, records: number): Promise<void> {
  const child = startCli(args);
  child.stdin.end();
  let ended = false;
  const gone = once(child, 'close').then(() => (ended = true));
  const watch = async (): Promise<void> => {
    // Polls the file the run writes: the kill point is a count of records, not a time.
    while (!ended && recordsIn(log) < records) await new Promise((resolve) => setTimeout(resolve, 2));
    child.kill('SIGKILL');
  };
  await Promise.all([watch(), gone]);
}

function mapArgs(out: string, log: string, extra: string[] = []): string[] {
  return ['map', `${ATTEMPTS}#slowLine`, '--json', '-i', input, '-o', out, '--joblog', log, '--workers', '2', '-q', ...extra];
}

function checkLog(log: string): void {
  const records = lines(readFileSync(log, 'utf8')).slice(1).map((l) => JSON.parse(l) as { line: number; ok: boolean });
  const ok = records.filter((r) => r.ok).map((r) => r.line);
  assert.equal(ok.length, nonBlank, 'one success per item');
  assert.equal(new Set(ok).size, nonBlank, 'no item recorded twice');
}

describe('concurrent-ts map --resume after SIGKILL', () => {
  let expected: Buffer;

  before(async () => {
    const out = join(dir, 'expected.txt');
    const r = await runCli(mapArgs(out, join(dir, 'expected.log')));
    assert.equal(r.code, 0, r.stderr);
    expected = readFileSync(out);
    assert.equal(lines(expected.toString()).length, nonBlank);
  });

  for (const [seed, workers] of [[1, 'threads'], [2, 'threads'], [3, 'threads'], [4, 'processes']] as const) {
    test(`random run ${seed} (${workers}): killed three times at random points, resumed, the output is byte-identical`, async () => {
      const random = mulberry32(seed);
      const out = join(dir, `out-${seed}.txt`);
      const log = join(dir, `log-${seed}.ndjson`);
      const extra = workers === 'processes' ? ['--processes'] : [];
      // Kill points: record counts, increasing; the first one may be before any record (0).
      const points = [0, 1, 2].map(() => Math.floor(random() * nonBlank)).sort((a, b) => a - b);
      await runAndKill(mapArgs(out, log, extra), log, points[0] as number);
      for (const point of points.slice(1)) await runAndKill(mapArgs(out, log, [...extra, '--resume']), log, point);
      const r = await runCli(mapArgs(out, log, [...extra, '--resume']));
      assert.equal(r.code, 0, r.stderr);
      assert.ok(readFileSync(out).equals(expected), `the output differs from an uninterrupted run's (kills at ${points.join(', ')} records)`);
      checkLog(log);
    });
  }

  test('a torn last record (a kill in the middle of a write) is cut off and its item done again', async () => {
    const out = join(dir, 'torn.txt');
    const log = join(dir, 'torn.ndjson');
    const first = await runCli(mapArgs(out, log));
    assert.equal(first.code, 0, first.stderr);
    // Cut the log in the middle of its last 40 records; FILE keeps everything.
    const text = readFileSync(log, 'utf8');
    let cut = text.length - 1;
    for (let k = 0; k < 40; k++) cut = text.lastIndexOf('\n', cut - 1);
    truncateSync(log, Buffer.byteLength(text.slice(0, cut + 20)));
    const r = await runCli(mapArgs(out, log, ['--resume']));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(readFileSync(out).equals(expected), 'the output is the uninterrupted one');
    assert.ok(!readFileSync(log, 'utf8').includes('}{'), 'no record glued to the torn one');
    checkLog(log);
  });

  test('--resume-failed runs again the items that failed; --resume does not', async () => {
    const log = join(dir, 'failed.ndjson');
    const first = await runCli(['map', `${TASKS}#failOnThree`, '--json', '--joblog', log, '-k', '-q'], '1\n3\n5\n');
    assert.equal(first.code, 1);
    const again = await runCli(['map', `${TASKS}#failOnThree`, '--json', '--joblog', log, '-k', '-q', '--resume'], '1\n3\n5\n');
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stdout, '');
    const failed = await runCli(['map', `${TASKS}#failOnThree`, '--json', '--joblog', log, '-k', '-q', '--resume-failed'], '1\n3\n5\n');
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /^concurrent-ts: line 2 \(3\): RangeError/);
    const attempts = lines(readFileSync(log, 'utf8')).slice(1).map((l) => JSON.parse(l) as { line: number; attempt: number })
      .filter((x) => x.line === 2).map((x) => x.attempt);
    assert.deepEqual(attempts, [1, 2], 'the numbering of attempts goes on');
  });
});
