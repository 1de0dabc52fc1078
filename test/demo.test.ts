// The README's first command must work: `npm run demo` prints the seed's six lines and a speed-up.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

test('npm run demo prints the seed exercise in input order and the speed-up over one core', () => {
  const r = spawnSync(process.execPath, ['scripts/demo.mjs'], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const seed = lines.filter((l) => /^\d+ is prime: /.test(l));
  assert.deepEqual(seed, [
    '112272535095293 is prime: true', '112582705942171 is prime: true', '102272535065492 is prime: false',
    '115280095190773 is prime: true', '115797848077099 is prime: true', '1099726899285419 is prime: false',
  ]);
  assert.match(r.stdout, /1 worker: \d+\.\d\d s {3}\d+ workers: \d+\.\d\d s {3}speed-up \d+\.\d\d×/);
});
