/** Only `concurrent-ts/distributed` loads BullMQ and ioredis: the other entry points work without them. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

/** The CommonJS modules (bullmq and ioredis are CommonJS) loaded after importing `entry`. */
function loadedPackages(entry: string): string[] {
  const script = `
    import { createRequire } from 'node:module';
    await import(${JSON.stringify(new URL(entry, import.meta.url).href)});
    const Module = createRequire(import.meta.url)('node:module');
    const names = new Set(Object.keys(Module._cache).map((p) => /node_modules[\\\\/]((?:@[^\\\\/]+[\\\\/])?[^\\\\/]+)/.exec(p)?.[1]).filter(Boolean));
    console.log(JSON.stringify([...names]));`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout.trim().split('\n').pop() ?? '[]') as string[];
}

test('concurrent-ts/futures and concurrent-ts load neither bullmq nor ioredis', () => {
  for (const entry of ['../../src/futures/index.ts', '../../src/index.ts']) {
    const loaded = loadedPackages(entry);
    assert.ok(!loaded.includes('bullmq') && !loaded.includes('ioredis'), `${entry} loaded ${loaded.join(', ')}`);
  }
});

test('concurrent-ts/distributed loads them', () => {
  const loaded = loadedPackages('../../src/distributed/index.ts');
  assert.ok(loaded.includes('bullmq') && loaded.includes('ioredis'), loaded.join(', '));
});
