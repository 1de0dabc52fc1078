// The README's first command must work: `npm run demo` prints the is_prime exercise's six lines,
// then wall time, CPU time and busy cores on one worker and on every core.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('npm run demo prints the exercise in input order, then what one worker and every core measured', () => {
  const script = (JSON.parse(readFileSync(`${ROOT}package.json`, 'utf8')) as { scripts: { demo: string } }).scripts.demo;
  const args = script.split(' ').slice(1);
  assert.equal(script.split(' ')[0], 'node');
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000, env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.deepEqual(lines.filter((l) => /^\d+ is prime: /.test(l)), [
    '112272535095293 is prime: true', '112582705942171 is prime: true', '102272535065492 is prime: false',
    '115280095190773 is prime: true', '115797848077099 is prime: true', '1099726899285419 is prime: false',
  ]);
  assert.match(r.stdout, /^ +wall +CPU used +cores busy$/m);
  assert.match(r.stdout, /^1 worker +\d+\.\d\d s +\d+\.\d\d s +\d+\.\d\d of 1$/m);
  assert.match(r.stdout, /^\d+ workers? +\d+\.\d\d s +\d+\.\d\d s +\d+\.\d\d of \d+$/m);
  assert.match(r.stdout, /^speed-up \d+\.\d\d× in wall time; load average \d+\.\d on \d+ cores before the runs\.$/m);
  assert.match(r.stderr, /^concurrent-ts: 6 items in /m, 'the CLI\'s summary line');
});
