/**
 * The note for numbers passed as strings: without `--json`, `isPrime("2")` is `false`, a wrong
 * answer with no error, so the CLI says once on stderr when the inputs are all numbers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NumberLinesHint, SAMPLE_LINES, numberNote } from '../../src/cli/number-hint.js';
import { lines, runCli, TASKS } from './helpers/cli.js';

function watch(inputs: readonly string[], ended = true): string[] {
  const notes: string[] = [];
  const hint = new NumberLinesHint((note) => notes.push(note));
  for (const text of inputs) hint.line(text);
  if (ended) hint.end();
  return notes;
}

describe('NumberLinesHint', () => {
  test('numbers of every JSON form give one note, naming the first line', () => {
    assert.deepEqual(watch(['2', '-3', '4.5', '1e3', ' 7 ']), [numberNote('2')]);
    assert.match(numberNote('2'), /without --json each line is passed as a string \("2", not 2\); add --json/);
  });

  test('one line that is not a number among the first ones: no note', () => {
    assert.deepEqual(watch(['2', '3', 'four', '5']), []);
    assert.deepEqual(watch(['0x10']), [], 'not JSON');
    assert.deepEqual(watch(['007']), [], 'not JSON either');
    assert.deepEqual(watch(['"2"']), [], 'a JSON string is not a number');
  });

  test('the note comes once the sample is full, without waiting for the end of the input', () => {
    const sample = Array.from({ length: SAMPLE_LINES }, (_, i) => String(i));
    assert.equal(watch(sample, false).length, 1);
    assert.equal(watch(sample.slice(1), false).length, 0, 'not before');
    assert.equal(watch([...sample, 'text', ...sample]).length, 1, 'and only once');
  });

  test('a text line after the sample changes nothing; an empty input says nothing', () => {
    assert.deepEqual(watch([]), []);
    const sample = Array.from({ length: SAMPLE_LINES }, () => '1');
    assert.equal(watch([...sample, 'x']).length, 1);
  });
});

describe('concurrent-ts map without --json on numbers', () => {
  const isPrime = 'examples/primes.ts#isPrime';

  test('says once on stderr that the numbers go as strings, and still runs as asked', async () => {
    const r = await runCli(['map', isPrime], '2\n3\n4\n');
    assert.equal(r.code, 0, r.stderr);
    // isPrime("2") is false ("2" === 2 fails, "2" % 2 is 0): the wrong answer the note warns of.
    assert.deepEqual(lines(r.stdout), ['false', 'true', 'false']);
    const notes = lines(r.stderr).filter((l) => l.includes('--json'));
    assert.deepEqual(notes, [`concurrent-ts: ${numberNote('2')}`]);
  });

  test('no note with --json, with -q, or when the lines are text', async () => {
    const json = await runCli(['map', isPrime, '--json'], '2\n3\n4\n');
    assert.deepEqual(lines(json.stdout), ['true', 'true', 'false']);
    assert.doesNotMatch(json.stderr, /--json/);
    const quiet = await runCli(['map', isPrime, '-q'], '2\n3\n');
    assert.equal(quiet.stderr, '');
    const text = await runCli(['map', `${TASKS}#echo`], 'a\n2\n');
    assert.doesNotMatch(text.stderr, /--json/);
  });
});
