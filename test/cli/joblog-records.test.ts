/**
 * The joblog's records as bytes: what the writer puts together (without JSON.stringify for a
 * success) is what JSON.parse reads, for every kind of number and text; and the reader of
 * `--resume` (which scans successes without JSON.parse) agrees with JSON.parse, cuts a torn last
 * record off, refuses a damaged one, and reads records across its blocks.
 */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AppendFile } from '../../src/cli/append-file.js';
import { CliError } from '../../src/cli/cli-error.js';
import { JobLog } from '../../src/cli/joblog.js';
import { readJobLog } from '../../src/cli/joblog-reader.js';
import type { RunInfo } from '../../src/cli/task-runs.js';

const dir = mkdtempSync(join(tmpdir(), 'ct-joblog-records-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function fresh(): string {
  return join(dir, `${files++}.ndjson`);
}

function run(worker: string | null, start: number, ms: number, items: number): RunInfo {
  return { worker, start, end: start + ms * items, items, okTail: undefined, okOutTail: undefined };
}

const HEADER = { joblog: 1, fn: './t.js#f', mode: 'json', format: null, output: true, started: 1765110000000.125 } as const;
const NASTY = 'he said "stop" \\ then\ttabbed, naïve café ☃ 𝄞 \u0001 \u2028 end';

/** Writes a log with `write`, closes it, and returns its lines parsed. */
async function writeLog(path: string, write: (log: JobLog) => void): Promise<Record<string, unknown>[]> {
  const log = new JobLog(new AppendFile(path, 0, '--joblog'), undefined);
  log.header(HEADER);
  write(log);
  await log.close();
  const text = readFileSync(path, 'utf8');
  assert.ok(text.endsWith('\n'));
  return text.slice(0, -1).split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('joblog records', () => {
  test('successes put together in bytes parse as the numbers given: digit counts 1 to 16, above 2^31, one chunk and another', async () => {
    const path = fresh();
    const numbers = [0, 1, 9, 10, 99, 100, 999, 1000, 65535, 99_999, 100_000, 999_999, 1_000_000, 2 ** 31 - 1, 2 ** 31, 2 ** 32 + 7, 10 ** 15, 2 ** 53 - 1];
    const chunk = run('worker_1', 1765110000012.5, 0.021, numbers.length);
    const other = run('main', 1765110000100.25, 0.0001, numbers.length);
    const records = await writeLog(path, (log) => {
      numbers.forEach((n, i) => log.ok(n, i % 2 === 0 ? chunk : other, 1, numbers[numbers.length - 1 - i]));
      log.ok(5, chunk, 1, undefined);
    });
    assert.deepEqual(records[0], HEADER);
    assert.deepEqual(records.slice(1, -1), numbers.map((n, i) => ({
      line: n, start: i % 2 === 0 ? 1765110000012.5 : 1765110000100.25, ms: i % 2 === 0 ? 0.021 : 0.0001,
      worker: i % 2 === 0 ? 'worker_1' : 'main', attempt: 1, ok: true, out: numbers[numbers.length - 1 - i],
    })));
    assert.deepEqual(records.at(-1), { line: 5, start: 1765110000012.5, ms: 0.021, worker: 'worker_1', attempt: 1, ok: true });
  });

  test('a failure\'s class and message with quotes, a backslash, control characters and non-ASCII parse back as given; so does a retry\'s success and a record without a run', async () => {
    const path = fresh();
    const chunk = run('worker "0"', 1765110000012.5, 0.5, 2);
    const records = await writeLog(path, (log) => {
      log.failed(7, chunk, 1, 'Custom"Error', NASTY, true);
      log.ok(7, run(null, 1765110000020, 3.25, 1), 2, 42);
      log.failed(8, undefined, 0, 'InputError', 'malformed JSON: Unexpected token ü', false);
      log.ok(9, chunk, 1, 50);
    });
    assert.deepEqual(records.slice(1), [
      { line: 7, start: 1765110000012.5, ms: 0.5, worker: 'worker "0"', attempt: 1, ok: false, error: 'Custom"Error', message: NASTY, retry: true },
      { line: 7, start: 1765110000020, ms: 3.25, worker: null, attempt: 2, ok: true, out: 42 },
      { line: 8, start: null, ms: null, worker: null, attempt: 0, ok: false, error: 'InputError', message: 'malformed JSON: Unexpected token ü' },
      { line: 9, start: 1765110000012.5, ms: 0.5, worker: 'worker "0"', attempt: 1, ok: true, out: 50 },
    ]);
    const state = readJobLog(path, false);
    assert.deepEqual(state.header, HEADER);
    assert.ok(state.done(7) && state.done(8) && state.done(9));
    assert.equal(state.outBytes, 50);
    assert.equal(state.logBytes, statSync(path).size);
    const failedToo = readJobLog(path, true);
    assert.ok(!failedToo.done(8), '--resume-failed runs the failed line again');
    assert.equal(failedToo.attempts(8), 0);
  });
});

describe('reading a joblog back for --resume', () => {
  const header = `${JSON.stringify(HEADER)}\n`;

  test('records of other layouts (spaces, escapes, null, keys in another order) are read as JSON.parse reads them', () => {
    const path = fresh();
    writeFileSync(path, header + [
      '{"line":1,"start":1.5,"ms":0,"worker":"w\\"1","attempt":1,"ok":true,"out":10}',
      '{ "line": 2, "start": null, "ms": null, "worker": null, "attempt": 1, "ok": true, "out": 20 }',
      '{"ok":true,"line":3,"out":30,"attempt":1}',
      '{"line":4,"start":-1.5e3,"ms":1E-7,"worker":"ünï","attempt":1,"ok":true,"out":40}',
      '{"line":5,"start":1,"ms":1,"worker":"w","attempt":1,"ok":true,"out":50,"ok":false}',
      '{"line":6,"start":1,"ms":1,"worker":"w","attempt":2,"ok":false,"error":"E","message":"m","retry":true}',
    ].join('\n') + '\n');
    const state = readJobLog(path, false);
    assert.deepEqual([1, 2, 3, 4, 5, 6].map((l) => state.done(l)), [true, true, true, true, true, false]);
    assert.equal(state.attempts(6), 2);
    // Line 5 repeats a key: JSON.parse keeps the last (a failure for good), so its `out` is not the output's size.
    assert.equal(state.outBytes, 40);
    assert.equal(state.doneCount, 5);
  });

  test('a damaged record before the last is an error that names its line; a number with leading zeros is one too', () => {
    for (const bad of ['{"line":1,"start":1,"ms":1,"worker":"w","attempt":1,"ok":tru,"out":10}', '{"line":01,"start":1,"ms":1,"worker":"w","attempt":1,"ok":true,"out":10}']) {
      const path = fresh();
      writeFileSync(path, `${header}${bad}\n{"line":2,"start":1,"ms":1,"worker":"w","attempt":1,"ok":true,"out":20}\n`);
      assert.throws(() => readJobLog(path, false), (error: unknown) => error instanceof CliError && /line 2 of --joblog/.test(error.message));
    }
  });

  test('a log cut anywhere in its last record (a SIGKILL in the middle of a write) resumes from the record before', async () => {
    const path = fresh();
    const chunk = run('main', 1765110000012.5, 0.001, 3);
    await writeLog(path, (log) => {
      log.ok(1, chunk, 1, 10);
      log.ok(2, chunk, 1, 25);
      log.failed(3, chunk, 1, 'RangeError', NASTY, false);
    });
    const whole = readFileSync(path);
    const lastTwo = whole.lastIndexOf(0x0a, whole.lastIndexOf(0x0a, whole.length - 2) - 1) - 40;
    // Every cut from inside the second record to the whole log (the failure's record is the last).
    for (let end = lastTwo; end <= whole.length; end++) {
      writeFileSync(path, whole.subarray(0, end));
      const state = readJobLog(path, false);
      const kept = whole.lastIndexOf(0x0a, end - 1) + 1;
      assert.equal(state.logBytes, kept, `cut at ${end}`);
      const records = whole.subarray(0, kept).toString().split('\n').length - 2;
      assert.equal(state.doneCount, records, `cut at ${end}`);
      assert.equal(state.outBytes, [0, 10][records] ?? 25, `cut at ${end}`);
    }
  });

  test('a log of several blocks, with a record longer than a block, is read whole', async () => {
    const path = fresh();
    const chunk = run('worker_0', 1765110000012.5, 0.021, 1024);
    const long = `${'x'.repeat(1_500_000)} ☃`;
    const items = 40_000;
    await writeLog(path, (log) => {
      for (let line = 1; line <= items; line++) {
        if (line === 20_000) log.failed(line, chunk, 1, 'Error', long, false);
        else log.ok(line, chunk, 1, line * 3);
      }
    });
    appendFileSync(path, '{"line":40001,"start":1,"ms":');
    const state = readJobLog(path, false);
    assert.equal(state.doneCount, items);
    assert.equal(state.outBytes, items * 3);
    assert.equal(state.logBytes, statSync(path).size - '{"line":40001,"start":1,"ms":'.length);
  });
});
