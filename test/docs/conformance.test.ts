// docs/conformance.md lists every behaviour of the Python conformance checklist, each with the
// test files that check it: this test holds the page to that. Every id of every family appears
// once; a row marked tested or differs names files that exist and hold a test whose name carries
// the id; a row marked not tested names none and says why.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ROOT } from '../helpers/doc-examples.js';

/** The checklist's families and how many rows each has (§1–8 of the checklist, 219 in all). */
const FAMILIES: ReadonlyArray<[string, number]> = [
  ['FUT', 17], ['WAIT', 10], ['ASC', 5], ['EXE', 13], ['MAP', 8], ['TPE', 6], ['PPE', 17], ['INIT', 3],
  ['LOCK', 8], ['RLOCK', 5], ['COND', 7], ['SEM', 7], ['EVT', 5], ['BAR', 11], ['THR', 10], ['TMR', 4],
  ['PROC', 15], ['MQ', 9], ['JQ', 3], ['PIPE', 9], ['MPS', 9], ['VAL', 3], ['ARR', 3], ['POOL', 23], ['MGR', 9],
];

interface Row {
  readonly id: string;
  readonly status: string;
  readonly files: readonly string[];
  readonly notes: string;
}

function rows(): Row[] {
  const page = readFileSync(join(ROOT, 'docs/conformance.md'), 'utf8');
  const out: Row[] = [];
  for (const line of page.split('\n')) {
    const m = /^\| ([A-Z]+-\d{2}) \| ([a-z ]+) \| (.*?) \| (.*?) ?\|$/.exec(line);
    if (m === null) continue;
    const [, id, status, where, notes] = m as unknown as [string, string, string, string, string];
    out.push({ id, status, files: [...where.matchAll(/`([^`]+)`/g)].map((f) => f[1] as string), notes: notes.trim() });
  }
  return out;
}

/** The test names in a file that carry `id` (`MPS-01/02` carries MPS-01 and MPS-02). */
function testsNamed(file: string, id: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const [family, number] = id.split('-') as [string, string];
  const names = [...source.matchAll(/\b(?:test|it)\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)].map((m) => m[2] as string);
  return names.filter((name) => [...name.matchAll(new RegExp(`\\b${family}-(\\d{2}(?:/\\d{2})*)`, 'g'))]
    .some((m) => (m[1] as string).split('/').includes(number)));
}

test('docs/conformance.md lists each of the 219 checklist behaviours exactly once', () => {
  const listed = rows().map((row) => row.id);
  const expected = FAMILIES.flatMap(([family, count]) => Array.from({ length: count }, (_, i) => `${family}-${String(i + 1).padStart(2, '0')}`));
  assert.equal(expected.length, 219);
  assert.deepEqual([...listed].sort(), [...expected].sort());
  assert.equal(new Set(listed).size, listed.length, 'an id is listed twice');
});

test('each row that says it is tested names test files holding a test named after its id; the others say why not', () => {
  for (const row of rows()) {
    assert.ok(['tested', 'differs', 'not tested'].includes(row.status), `${row.id}: unknown status ${row.status}`);
    if (row.status === 'not tested') {
      assert.deepEqual(row.files.filter((f) => f.startsWith('test/')), [], `${row.id}: a row without a test names none`);
      assert.ok(row.notes.length > 20, `${row.id}: a row without a test must say why`);
      continue;
    }
    const files = row.files.filter((f) => f.startsWith('test/'));
    assert.ok(files.length > 0, `${row.id}: no test file named`);
    for (const file of files) {
      assert.ok(existsSync(join(ROOT, file)), `${row.id}: ${file} does not exist`);
      assert.ok(testsNamed(file, row.id).length > 0, `${row.id}: ${file} has no test named after it`);
    }
  }
});
