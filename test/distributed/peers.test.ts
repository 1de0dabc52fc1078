/**
 * `concurrent-ts/distributed` without its optional peers: importing it says which packages are
 * missing and how to install them, instead of Node's bare `Cannot find package 'bullmq'`.
 *
 * The end-to-end cases run the built package (`dist/`, as `npm test` builds it) from a directory
 * where the peers cannot be resolved, with plain Node.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ModuleNotFoundError } from '../../src/errors.js';
import { PEER_INSTALL, loadPeers } from '../../src/distributed/peers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function notFound(name: string): Error {
  return Object.assign(new Error(`Cannot find package '${name}' imported from /app/x.js`), { code: 'ERR_MODULE_NOT_FOUND' });
}

test('loadPeers names every missing peer and the npm command that installs a version that works', async () => {
  await assert.rejects(loadPeers((name) => Promise.reject(notFound(name))), (e: unknown) => {
    assert.ok(e instanceof ModuleNotFoundError);
    assert.equal(e.name, 'ModuleNotFoundError');
    assert.equal(e.code, 'ERR_MODULE_NOT_FOUND');
    assert.deepEqual(e.packages, ['bullmq', 'ioredis']);
    assert.equal(e.message, 'concurrent-ts/distributed needs the packages bullmq and ioredis, not installed here; ' +
      'they are optional peer dependencies of concurrent-ts. Install them: npm install bullmq@6 ioredis@5');
    assert.match(String((e.cause as Error).message), /Cannot find package 'bullmq'/);
    return true;
  });
  await assert.rejects(loadPeers((name) => (name === 'bullmq' ? Promise.reject(notFound(name)) : Promise.resolve({}))), (e: unknown) =>
    e instanceof ModuleNotFoundError && /needs the package bullmq, not installed here;.* Install it: npm install bullmq@6$/.test(e.message));
});

test('loadPeers lets any other failure through as it is: a peer that is installed but cannot load its own dependency', async () => {
  const broken = notFound('msgpackr');
  await assert.rejects(loadPeers((name) => (name === 'bullmq' ? Promise.reject(broken) : Promise.resolve({}))), (e: unknown) => e === broken);
});

test('the install command asks for the major versions package.json\'s peerDependencies allow', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { peerDependencies: Record<string, string> };
  // The distributed executor's peers; @opentelemetry/api is the pools' own (docs/metrics.md).
  assert.deepEqual(Object.keys(PEER_INSTALL).sort(), ['bullmq', 'ioredis']);
  for (const [name, range] of Object.entries(pkg.peerDependencies).filter(([peer]) => peer in PEER_INSTALL)) {
    const major = /^\^(\d+)\./.exec(range)?.[1];
    assert.ok(major !== undefined, `${name}: a caret range, got ${range}`);
    assert.equal(PEER_INSTALL[name as keyof typeof PEER_INSTALL], `${name}@${major}`);
  }
});

const scratch = mkdtempSync(join(tmpdir(), 'ct-peers-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** An app directory with concurrent-ts installed from `dist/` and only the given peers beside it. */
function appWith(name: string, peers: readonly string[]): string {
  const app = join(scratch, name);
  const pkg = join(app, 'node_modules', 'concurrent-ts');
  mkdirSync(pkg, { recursive: true });
  cpSync(join(ROOT, 'dist'), join(pkg, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(pkg, 'package.json'));
  for (const peer of peers) symlinkSync(join(ROOT, 'node_modules', peer), join(app, 'node_modules', peer), 'dir');
  return app;
}

function importDistributed(app: string): { name: string; message: string } {
  const script = `import('concurrent-ts/distributed').then(() => console.log(JSON.stringify({ name: 'loaded', message: '' })), ` +
    '(e) => console.log(JSON.stringify({ name: e.name, message: e.message })));';
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: app, encoding: 'utf8', timeout: 30_000, env: { ...process.env, NODE_OPTIONS: '' } });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { name: string; message: string };
}

test('importing concurrent-ts/distributed without bullmq and ioredis names both and the install command', () => {
  const out = importDistributed(appWith('none', []));
  assert.equal(out.name, 'ModuleNotFoundError');
  assert.match(out.message, /needs the packages bullmq and ioredis, not installed here; .* npm install bullmq@6 ioredis@5$/);
});

test('importing concurrent-ts/distributed with ioredis but not bullmq names bullmq alone; with both it loads', () => {
  const out = importDistributed(appWith('ioredis-only', ['ioredis']));
  assert.equal(out.name, 'ModuleNotFoundError');
  assert.match(out.message, /needs the package bullmq, not installed here; .* npm install bullmq@6$/);
  // bullmq's own dependencies sit in the project's node_modules, which the symlinked package resolves from.
  assert.deepEqual(importDistributed(appWith('both', ['bullmq', 'ioredis'])), { name: 'loaded', message: '' });
});
