/**
 * `concurrent-ts map`: the course chapter's is_prime exercise as a command, on threads and processes,
 * in order and as completed, and how failed items end (or do not end) the run.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { hasStackTrace, lines, runCli, CHAPTER_LINES, TASKS } from './helpers/cli.js';

const PRIMES = ['examples/primes.ts#isPrime', '--json', '--input', 'examples/primes.txt'];
const CHAPTER_FORMAT = ['--format', '{input} is prime: {result}'];

describe("concurrent-ts map: the course chapter's exercise", () => {
  test('threads: the six numbers print in input order with their primality, as the course chapter prints them', async () => {
    const r = await runCli(['map', ...PRIMES, ...CHAPTER_FORMAT, '--workers', '2']);
    assert.equal(r.stderr.split('\n').filter((l) => l !== '' && !l.includes('items in')).join('\n'), '');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), CHAPTER_LINES);
  });

  test('processes: the same six lines from a pool of child processes', async () => {
    const r = await runCli(['map', ...PRIMES, ...CHAPTER_FORMAT, '--processes', '--workers', '2', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.deepEqual(lines(r.stdout), CHAPTER_LINES);
  });

  test('--unordered: the same lines, as a multiset, in completion order', async () => {
    const r = await runCli(['map', ...PRIMES, ...CHAPTER_FORMAT, '--unordered', '--quiet']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout).sort(), [...CHAPTER_LINES].sort());
  });

  test('stdin: the same numbers piped in give the same lines', async () => {
    const r = await runCli(['map', 'examples/primes.ts#isPrime', '--json', ...CHAPTER_FORMAT, '-q'], readFileSync('examples/primes.txt', 'utf8'));
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), CHAPTER_LINES);
  });

  test('the summary line names items, wall time, throughput, tasks and each worker\'s busy share', async () => {
    const r = await runCli(['map', ...PRIMES, '--workers', '2']);
    assert.equal(r.code, 0, r.stderr);
    const duration = String.raw`(\d+ ms|\d+\.\d\d s)`;
    const summary = new RegExp(String.raw`^concurrent-ts: 6 items in ${duration} \([\d.]+ items/s\); \d+ tasks? on 2 threads, busy ${duration}: #0 \d+%(, #1 \d+%)?\n$`);
    assert.match(r.stderr, summary);
  });
});

describe('concurrent-ts map: inputs and outputs', () => {
  test('by default a line is passed as a string and a string result prints as it is', async () => {
    const r = await runCli(['map', `${TASKS}#echo`, '-q'], 'hello\n"quoted"\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), ['hello', '"quoted"']);
  });

  test('MODULE without #EXPORT uses the default export', async () => {
    const r = await runCli(['map', TASKS, '-q'], 'abc\nde\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), ['3', '2']);
  });

  test('--json: each line is parsed, and every result prints as JSON (strings quoted)', async () => {
    const r = await runCli(['map', `${TASKS}#echo`, '--json', '-q'], '"a"\n{"b":[1,2]}\nnull\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), ['"a"', '{"b":[1,2]}', 'null']);
  });

  test('--spread: a JSON array becomes the arguments', async () => {
    const r = await runCli(['map', `${TASKS}#add`, '--spread', '-q'], '[1, 2]\n[40, 2]\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), ['3', '42']);
  });

  test('blank lines are skipped but counted; Windows line ends and a last line without newline work', async () => {
    const r = await runCli(['map', `${TASKS}#double`, '--json', '-q', '--format', '{line}:{input}={result}'], '1\r\n\n  \n2\n3');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), ['1:1=2', '4:2=4', '5:3=6']);
  });

  test('--format: {{ and }} are literal braces', async () => {
    const r = await runCli(['map', `${TASKS}#double`, '--json', '-q', '--format', '{{"n": {input}, "twice": {result}}}'], '21\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), ['{"n": 21, "twice": 42}']);
  });

  test('--chunksize and --workers are honoured (the summary counts one task per item)', async () => {
    const r = await runCli(['map', `${TASKS}#double`, '--json', '--chunksize', '1', '--workers', '1'], '1\n2\n3\n4\n5\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), ['2', '4', '6', '8', '10']);
    assert.match(r.stderr, /5 tasks on 1 thread/);
  });

  test('an empty input prints nothing and succeeds', async () => {
    const r = await runCli(['map', `${TASKS}#double`, '--json'], '');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /0 items in/);
  });
});

describe('concurrent-ts map: failed items', () => {
  test('without --keep-going the first failure stops the run: one line naming the line, exit 1', async () => {
    const r = await runCli(['map', `${TASKS}#failOnThree`, '--json', '--workers', '1'], '1\n2\n3\n4\n5\n');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '1\n2\n', 'results before the failed line are printed, none after');
    assert.deepEqual(lines(r.stderr), ['concurrent-ts: line 3 (3): RangeError: three is not allowed …']);
    assert.ok(!hasStackTrace(r.stderr));
  });

  test('--keep-going: failed items are reported with their line number, the rest print, exit 1 at the end', async () => {
    const r = await runCli(['map', `${TASKS}#failOnThree`, '--keep-going'], '1\n3\n5\n\n3\n');
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stdout), ['1', '5']);
    // The numbers go as strings on purpose here; the note saying so is number-hint.test.ts's.
    const err = lines(r.stderr).filter((line) => !line.includes('without --json'));
    assert.deepEqual(err.slice(0, 2), [
      'concurrent-ts: line 2 (3): RangeError: three is not allowed …',
      'concurrent-ts: line 5 (3): RangeError: three is not allowed …',
    ]);
    assert.match(err[2] ?? '', /^concurrent-ts: 4 items in .*, 2 failed;/);
    assert.ok(!hasStackTrace(r.stderr));
  });

  test('--keep-going --unordered: every failure is still reported once', async () => {
    const r = await runCli(['map', `${TASKS}#failOnThree`, '--keep-going', '--unordered', '-q'], '3\n1\n3\n2\n');
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stdout).sort(), ['1', '2']);
    assert.deepEqual(lines(r.stderr).sort(), [
      'concurrent-ts: line 1 (3): RangeError: three is not allowed …',
      'concurrent-ts: line 3 (3): RangeError: three is not allowed …',
    ]);
  });

  test('--timeout: an item that runs too long fails with TimeoutError; its worker is replaced and the rest go on', async () => {
    const r = await runCli(['map', `${TASKS}#block`, '--json', '--timeout', '300', '--keep-going', '-q', '--workers', '1'], '10\n5000\n20\n');
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stdout), ['10', '20']);
    assert.match(r.stderr, /^concurrent-ts: line 2 \(5000\): TimeoutError: .*300 ms.*\n$/);
  });
});
