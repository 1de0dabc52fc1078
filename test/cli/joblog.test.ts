/**
 * `concurrent-ts map --joblog`, `--retries` and `--halt`: a record per attempt, retried items
 * that end with every result, runs that halt within the documented bound, and the usage errors.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cliEnv, lines, runCli, TASKS } from './helpers/cli.js';

const ATTEMPTS = 'test/fixtures/cli/attempts.ts';

const dir = mkdtempSync(join(tmpdir(), 'ct-joblog-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
/** A fresh path in the test's directory. */
function fresh(name: string): string {
  return join(dir, `${files++}-${name}`);
}

interface Record {
  line: number;
  start: number | null;
  ms: number | null;
  worker: string | null;
  attempt: number;
  ok: boolean;
  out?: number;
  error?: string;
  message?: string;
  retry?: true;
}

function readLog(path: string): { header: { joblog: number; fn: string }; records: Record[] } {
  const [first, ...rest] = lines(readFileSync(path, 'utf8')).map((l) => JSON.parse(l) as unknown);
  return { header: first as { joblog: number; fn: string }, records: rest as Record[] };
}

function numbers(n: number): string {
  return Array.from({ length: n }, (_, i) => String(i + 1)).join('\n') + '\n';
}

describe('concurrent-ts map --joblog', () => {
  test('one record per item: line, start, ms, worker, attempt, outcome; in input order, with the size of --output after each result', async () => {
    const input = fresh('in.txt');
    writeFileSync(input, '1\n2\n\n3\n4\n');
    const log = fresh('log');
    const out = fresh('out');
    // On the workers (a function this cheap would run on the CLI's thread, `main`: tested below).
    const r = await runCli(['map', `${TASKS}#failOnThree`, '--json', '-i', input, '--joblog', log, '-o', out, '-k', '-q', '--workers', '2', '--no-inline']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, '', 'the results go to --output');
    assert.equal(readFileSync(out, 'utf8'), '1\n2\n4\n');
    const { header, records } = readLog(log);
    assert.equal(header.joblog, 1);
    assert.equal(header.fn, `${TASKS}#failOnThree`);
    assert.deepEqual(records.map((x) => [x.line, x.ok, x.attempt]), [[1, true, 1], [2, true, 1], [4, false, 1], [5, true, 1]]);
    assert.deepEqual(records.filter((x) => x.ok).map((x) => x.out), [2, 4, 6]);
    const failed = records[2] as Record;
    assert.equal(failed.error, 'RangeError');
    assert.equal(failed.message, 'three is not allowed …');
    for (const x of records) {
      assert.equal(typeof x.start, 'number');
      assert.ok((x.ms as number) >= 0);
      assert.match(x.worker ?? '', /^worker_\d+$/);
    }
  });

  test('lines that are not ASCII: --output holds their UTF-8 bytes, and each record\'s `out` is the size up to its line', async () => {
    const texts = ['plain', 'café', 'naïve ☃', '日本語', 'e\u0301', '𝄞 clef', 'end'];
    const input = fresh('in.txt');
    writeFileSync(input, texts.join('\n') + '\n');
    const log = fresh('log');
    const out = fresh('out');
    // Run once on the CLI's thread (a cheap function) and once on the workers: both write the same bytes.
    for (const where of [[], ['--no-inline']]) {
      const r = await runCli(['map', `${TASKS}#echo`, '-i', input, '--joblog', log, '-o', out, '-q', '--workers', '2', ...where]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(readFileSync(out, 'utf8'), texts.join('\n') + '\n');
      let size = 0;
      const expected = texts.map((t) => (size += Buffer.byteLength(t) + 1));
      assert.deepEqual(readLog(log).records.map((x) => x.out), expected);
    }
  });

  test('--processes: the workers are named too', async () => {
    const log = fresh('log');
    const r = await runCli(['map', `${TASKS}#double`, '--json', '--joblog', log, '--processes', '--workers', '2', '-q'], numbers(50));
    assert.equal(r.code, 0, r.stderr);
    const { records } = readLog(log);
    assert.deepEqual(records.map((x) => x.line), Array.from({ length: 50 }, (_, i) => i + 1));
    assert.ok(records.every((x) => x.ok && typeof x.worker === 'string' && x.worker !== ''));
  });

  test('an error message with quotes, a backslash, a tab and non-ASCII is recorded as its first line (… for the rest), and --resume-failed reads it back', async () => {
    const log = fresh('log');
    const args = ['map', `${ATTEMPTS}#failQuoted`, '--json', '--joblog', log, '-k', '-q'];
    const r = await runCli(args, numbers(4));
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stdout), ['1', '3']);
    const failed = readLog(log).records.filter((x) => !x.ok);
    assert.deepEqual(failed.map((x) => [x.line, x.error, x.message]), [2, 4].map((n) => [n, 'SyntaxError', `line "${n}" \\ has\ta naïve café ☃ 𝄞 …`]));
    const again = await runCli([...args, '--resume-failed'], numbers(4));
    assert.equal(again.code, 1);
    assert.equal(again.stdout, '', 'the items that succeeded are not run again');
    assert.deepEqual(readLog(log).records.filter((x) => x.line === 4).map((x) => x.attempt), [1, 2]);
  });

  test('a malformed line is a failed record of attempt 0 (it never ran)', async () => {
    const log = fresh('log');
    const r = await runCli(['map', `${TASKS}#double`, '--json', '--joblog', log, '-k', '-q'], '1\n{oops\n3\n');
    assert.equal(r.code, 1);
    const bad = readLog(log).records.find((x) => x.line === 2);
    assert.equal(bad?.attempt, 0);
    assert.equal(bad?.ok, false);
    assert.equal(bad?.error, 'InputError');
  });
});

describe('concurrent-ts map --retries', () => {
  test('a task that fails 2 times out of 3 gives every result with --retries 2, and the joblog shows each attempt', async () => {
    const counters = mkdtempSync(join(dir, 'flaky-'));
    const log = fresh('log');
    const r = await runCli(['map', `${ATTEMPTS}#flakyTwice`, '--json', '--retries', '2', '--joblog', log, '--workers', '2'], numbers(40),
      { env: cliEnv({ CT_FLAKY_DIR: counters }) });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), Array.from({ length: 40 }, (_, i) => String((i + 1) * 2)), 'every result, in input order');
    assert.match(r.stderr, /; 80 retries\n$/);
    const { records } = readLog(log);
    for (let line = 1; line <= 40; line++) {
      const mine = records.filter((x) => x.line === line);
      assert.deepEqual(mine.map((x) => [x.attempt, x.ok, x.retry ?? false]), [[1, false, true], [2, false, true], [3, true, false]], `line ${line}`);
      assert.equal(mine[0]?.error, 'EvalError');
    }
  });

  test('a retry runs on another worker than the attempt that failed (thread ids and the joblog\'s worker differ)', async () => {
    const counters = mkdtempSync(join(dir, 'once-'));
    const log = fresh('log');
    // --no-inline: the first attempts run on the pool's workers too, not on the CLI's thread.
    const r = await runCli(['map', `${ATTEMPTS}#failOnceOnThread`, '--json', '--retries', '1', '--joblog', log, '--workers', '2', '-q', '--no-inline'], numbers(30),
      { env: cliEnv({ CT_FLAKY_DIR: counters }) });
    assert.equal(r.code, 0, r.stderr);
    const results = lines(r.stdout).map((x) => JSON.parse(x) as string);
    assert.equal(results.length, 30);
    const { records } = readLog(log);
    for (let line = 1; line <= 30; line++) {
      const [first, second] = records.filter((x) => x.line === line);
      assert.equal(first?.ok, false, `line ${line}`);
      assert.equal(second?.ok, true, `line ${line}`);
      const failedOn = /on thread (\d+)$/.exec(first?.message ?? '')?.[1];
      const retriedOn = (results[line - 1] ?? '').split(':')[1];
      assert.ok(failedOn !== undefined && retriedOn !== undefined, `line ${line}: ${first?.message ?? ''} / ${results[line - 1] ?? ''}`);
      assert.notEqual(retriedOn, failedOn, `line ${line}: retried on the thread it failed on`);
      assert.match(first?.worker ?? '', /^worker_\d+$/);
      assert.notEqual(second?.worker, first?.worker, `line ${line}: the joblog names the same worker for both attempts`);
    }
  });

  test('with too few retries the item fails, after its last attempt', async () => {
    const counters = mkdtempSync(join(dir, 'flaky-'));
    const log = fresh('log');
    const r = await runCli(['map', `${ATTEMPTS}#flakyTwice`, '--json', '--retries', '1', '--joblog', log, '-q'], '5\n',
      { env: cliEnv({ CT_FLAKY_DIR: counters }) });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^concurrent-ts: line 1 \(5\): EvalError: attempt 2 of 5 fails\n$/);
    assert.deepEqual(readLog(log).records.map((x) => [x.attempt, x.ok, x.retry ?? false]), [[1, false, true], [2, false, false]]);
  });
});

describe('concurrent-ts map --halt', () => {
  // 3 fails; every other number passes.
  const input = ['1', '2', '3', '4', '3', '6', '3', ...Array.from({ length: 400 }, (_, i) => String(i + 10))].join('\n') + '\n';

  test('now,fail=2: the run ends at the second failure with exit code 3; nothing after it is written', async () => {
    const r = await runCli(['map', `${TASKS}#failOnThree`, '--json', '--halt', 'now,fail=2', '-q'], input);
    assert.equal(r.code, 3, r.stderr);
    assert.deepEqual(lines(r.stdout), ['1', '2', '4']);
    assert.match(r.stderr, /line 3 \(3\): RangeError/);
    assert.match(r.stderr, /concurrent-ts: halted: 2 items failed \(--halt now,fail=2\)\n$/);
  });

  test('soon,fail=1: no more input is read; at most --buffersize items finish after the failure', async () => {
    const big = ['1', '3', ...Array.from({ length: 5000 }, (_, i) => String(i + 10))].join('\n') + '\n';
    const r = await runCli(['map', `${TASKS}#failOnThree`, '--json', '--halt', 'soon,fail=1', '--buffersize', '8', '--chunksize', '1', '-q'], big);
    assert.equal(r.code, 3, r.stderr);
    const out = lines(r.stdout);
    assert.equal(out[0], '1');
    assert.ok(out.length - 1 <= 8, `${out.length - 1} results after the failure, more than --buffersize`);
    assert.deepEqual(out.slice(1), Array.from({ length: out.length - 1 }, (_, i) => String(i + 10)), 'the items already read, in order');
  });

  test('now,fail=P%: of all the items of --input', async () => {
    const path = fresh('in.txt');
    writeFileSync(path, input);
    // 3 of 407 fail: 1% is 5 items, so the run goes to the end; 0.5% is 3 items, so it halts at the third.
    const whole = await runCli(['map', `${TASKS}#failOnThree`, '--json', '-i', path, '--halt', 'now,fail=1%', '-q']);
    assert.equal(whole.code, 1, whole.stderr);
    assert.equal(lines(whole.stdout).length, 404);
    const halted = await runCli(['map', `${TASKS}#failOnThree`, '--json', '-i', path, '--halt', 'now,fail=0.5%', '-q']);
    assert.equal(halted.code, 3, halted.stderr);
    assert.deepEqual(lines(halted.stdout), ['1', '2', '4', '6']);
  });
});

describe('concurrent-ts map: a cheap function moves to the main thread', () => {
  test('20,000 cheap items run on `main` from the first, with no worker started; --no-inline keeps them on the workers', async () => {
    const log = fresh('log');
    const r = await runCli(['map', `${TASKS}#double`, '--json', '--joblog', log, '--workers', '2'], numbers(20_000));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, Array.from({ length: 20_000 }, (_, i) => `${(i + 1) * 2}\n`).join(''));
    const records = readLog(log).records;
    assert.ok(records.every((x) => x.worker === 'main'), 'every item ran on the main thread');
    assert.match(r.stderr, /; 0 tasks on /, 'no task went to the pool');

    const pinned = fresh('log');
    const p = await runCli(['map', `${TASKS}#double`, '--json', '--joblog', pinned, '-q', '--workers', '2', '--no-inline'], numbers(20_000));
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.stdout, r.stdout);
    assert.ok(readLog(pinned).records.every((x) => x.worker !== 'main'));
  });

  test('an expensive function goes to the workers after a trial of a few items on `main`, in order', async () => {
    const log = fresh('log');
    const r = await runCli(['map', `${ATTEMPTS}#slowLine`, '--json', '--joblog', log, '-q', '--workers', '2'], numbers(400));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), Array.from({ length: 400 }, (_, i) => JSON.stringify(`${i + 1}:${((i + 1) * 7919) % 10007}`)));
    const workers = readLog(log).records.map((x) => x.worker);
    assert.equal(workers[0], 'main', 'the trial runs on the main thread');
    const firstWorker = workers.findIndex((w) => w !== 'main');
    assert.ok(firstWorker > 0 && firstWorker < 200, `the trial took ${firstWorker} items of ~0.2 ms (it has 20 ms)`);
    assert.ok(workers.slice(firstWorker).every((w) => /^worker_\d+$/.test(w ?? '')), 'once on the workers, they stay');
  });

  test('items that turn expensive go back to the workers, in order', async () => {
    const log = fresh('log');
    const r = await runCli(['map', `${ATTEMPTS}#cheapThenSlow`, '--json', '--joblog', log, '-q', '--workers', '2'], numbers(60_000));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, Array.from({ length: 60_000 }, (_, i) => `${(i + 1) * 2}\n`).join(''));
    const workers = readLog(log).records.map((x) => x.worker);
    assert.ok(workers.includes('main'), 'the cheap part ran on the main thread');
    assert.match(workers.at(-1) ?? '', /^worker_\d+$/, 'the expensive part on the workers');
  });
});

describe('concurrent-ts map: usage errors of the joblog options (exit 2)', () => {
  test('--resume without --joblog', async () => {
    const r = await runCli(['map', `${TASKS}#double`, '--resume']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--resume needs --joblog FILE/);
  });

  test('--halt with a bad value', async () => {
    const r = await runCli(['map', `${TASKS}#double`, '--halt', 'later']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /expected now,fail=N, soon,fail=N or now,fail=P%/);
  });

  test('--halt with a percentage and no --input', async () => {
    const r = await runCli(['map', `${TASKS}#double`, '--halt', 'now,fail=5%']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /a percentage is of all the items, which needs --input FILE/);
  });

  test('--resume with another function than the joblog\'s run', async () => {
    const log = fresh('log');
    const first = await runCli(['map', `${TASKS}#double`, '--json', '--joblog', log, '-q'], '1\n');
    assert.equal(first.code, 0, first.stderr);
    const r = await runCli(['map', `${TASKS}#echo`, '--json', '--joblog', log, '--resume', '-q'], '1\n');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot resume: the joblog .* is of a run with another function/);
  });

  test('--input and --output naming one file: a usage error, and the input is left whole', async () => {
    const data = fresh('data.txt');
    writeFileSync(data, '1\n2\n3\n');
    const r = await runCli(['map', `${TASKS}#double`, '--json', '-i', data, '-o', data, '-q']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--input .* and --output .* are the same file/);
    assert.equal(readFileSync(data, 'utf8'), '1\n2\n3\n');
  });

  test('--output and --joblog naming one file: a usage error', async () => {
    const both = fresh('both.txt');
    const r = await runCli(['map', `${TASKS}#double`, '--json', '-o', both, '--joblog', both, '-q'], '1\n');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--output .* and --joblog .* are the same file/);
  });

  test('a device is not "the same file": -o /dev/null --joblog /dev/null runs', async () => {
    const r = await runCli(['map', `${TASKS}#double`, '--json', '-o', '/dev/null', '--joblog', '/dev/null', '-q'], '1\n2\n');
    assert.equal(r.code, 0, r.stderr);
  });

  test('--resume after the output file was removed says so', async () => {
    const log = fresh('log');
    const out = fresh('removed-out');
    const first = await runCli(['map', `${TASKS}#double`, '--json', '--joblog', log, '-o', out, '-q'], '1\n2\n');
    assert.equal(first.code, 0, first.stderr);
    rmSync(out);
    const r = await runCli(['map', `${TASKS}#double`, '--json', '--joblog', log, '-o', out, '--resume', '-q'], '1\n2\n');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot resume: --output .* does not exist, where the joblog says 4 bytes were written; it was removed since the run/);
  });
});
