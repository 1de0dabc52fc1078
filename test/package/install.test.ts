// The package as a user gets it. The tracked files are copied as a fresh clone would have them,
// `npm pack` builds and packs them (its `prepack`), and the tarball is installed into a scratch
// project under the system's temp directory. There, as a user would: a TypeScript program is
// compiled by tsc under `strict` with `skipLibCheck: false`, so every shipped .d.ts is checked,
// and run; plain JavaScript runs as ESM and as CommonJS; TypeScript runs under tsx with a
// TypeScript task module; and the `concurrent-ts` bin maps a function over a file.
//
// The scratch project gets typescript, tsx, @types/node and the optional peers (bullmq, ioredis)
// as links to this checkout's node_modules, and the package's own dependencies from npm (its
// cache first), as `npm install` would give them.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIXTURES = fileURLToPath(new URL('../fixtures/package/', import.meta.url));
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

interface PackResult {
  readonly filename: string;
  readonly files: ReadonlyArray<{ readonly path: string }>;
}

// No TypeScript loader and no test-runner state leak into what a user would run.
const USER_ENV: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
delete USER_ENV.NODE_TEST_CONTEXT;

let scratch = '';
let app = '';
let packed: PackResult;

/** Runs a command; fails the test with its output when it exits non-zero. */
function run(command: string, args: readonly string[], cwd: string, timeout = 120_000): SpawnSyncReturns<string> {
  const r = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: USER_ENV,
  });
  assert.equal(r.status, 0, `${command} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The files a fresh clone has: tracked, plus new ones not yet committed (but never ignored ones). */
function cloneFiles(): string[] {
  const list = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  return list.split('\0').filter((file) => file !== '' && existsSync(join(ROOT, file)));
}

function link(target: string, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  rmSync(path, { recursive: true, force: true });
  symlinkSync(target, path, 'dir');
}

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'concurrent-ts-package-'));
  const clone = join(scratch, 'clone');
  for (const file of cloneFiles()) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    cpSync(join(ROOT, file), join(clone, file));
  }
  // The build tools, as `npm ci` would install them.
  link(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
  const json = run(NPM, ['pack', '--json', '--pack-destination', scratch, '--loglevel=error'], clone, 300_000).stdout;
  packed = (JSON.parse(json) as PackResult[])[0] as PackResult;

  app = join(scratch, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), `${JSON.stringify({ name: 'app', private: true, type: 'module' }, null, 2)}\n`);
  run(NPM, ['install', join(scratch, packed.filename), '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], app, 300_000);
  for (const name of ['typescript', 'tsx', '@types/node', 'bullmq', 'ioredis']) {
    link(join(ROOT, 'node_modules', name), join(app, 'node_modules', name));
  }
  for (const file of readdirSync(FIXTURES)) cpSync(join(FIXTURES, file), join(app, file));
});

after(() => {
  if (scratch !== '') rmSync(scratch, { recursive: true, force: true });
});

describe('the packed tarball', { timeout: 600_000 }, () => {
  test('holds the build, the README, the LICENSE, the docs and examples its links lead to, and no source maps', () => {
    const files = packed.files.map((f) => f.path);
    for (const needed of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js']) {
      assert.ok(files.includes(needed), `${needed} is missing from the tarball`);
    }
    assert.deepEqual(files.filter((f) => f.endsWith('.map')), [], 'source maps would point at src/, which is not shipped');
    assert.deepEqual(files.filter((f) => !/^(dist|docs|examples|cjs)\//.test(f) && !['LICENSE', 'README.md', 'package.json', 'bench/README.md'].includes(f)), []);
  });

  test('every file package.json points at is in it', () => {
    const installed = join(app, 'node_modules', 'concurrent-ts');
    const pkg = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as {
      exports: Record<string, string | Record<string, string>>;
      bin: Record<string, string>;
    };
    const targets = [
      ...Object.values(pkg.exports).flatMap((target) => (typeof target === 'string' ? [target] : Object.values(target))),
      ...Object.values(pkg.bin),
    ];
    for (const target of targets) assert.ok(existsSync(join(installed, target)), `${target} is not shipped`);
  });

  test('every relative link of the shipped README and docs leads to a shipped file', () => {
    const installed = join(app, 'node_modules', 'concurrent-ts');
    const broken: string[] = [];
    const pages = ['README.md', ...readdirSync(join(installed, 'docs'), { recursive: true }).map(String).filter((f) => f.endsWith('.md')).map((f) => join('docs', f))];
    for (const page of pages) {
      const text = readFileSync(join(installed, page), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        if (target === undefined || /^[a-z]+:/i.test(target)) continue;
        if (!existsSync(join(installed, page, '..', target))) broken.push(`${page} → ${target}`);
      }
    }
    assert.deepEqual(broken, []);
  });

  test('no shipped file names a file that is not shipped (docs/, examples/, src/)', () => {
    const root = join(app, 'node_modules', 'concurrent-ts');
    const offenders: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.js')) {
          const text = readFileSync(path, 'utf8');
          // Source maps point at src/, which is not shipped; docs and examples are, so a comment
          // naming one of them is fine as long as the file is really in the package.
          if (text.includes('sourceMappingURL')) offenders.push(`${path}: sourceMappingURL`);
          for (const [name] of text.matchAll(/\b(?:docs|examples)\/[\w/-]+\.(?:md|ts)\b/g)) {
            if (!existsSync(join(root, name))) offenders.push(`${path}: ${name}`);
          }
        }
      }
    };
    walk(join(root, 'dist'));
    assert.deepEqual(offenders, []);
  });
});

describe('installed in a scratch project', { timeout: 600_000 }, () => {
  test('a TypeScript program compiles under strict with skipLibCheck false, and runs on plain Node', () => {
    run(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
    const r = run(process.execPath, ['out/consumer.js'], app);
    assert.equal(r.stdout, [
      'threads: true ba7816bf 1,4,9 2 done',
      'one Future class: true',
      'processes: 144',
      'lock held: true',
      'event: true',
      'through a queue',
      'TimeoutError: late',
      'distributed types: undefined',
      '',
    ].join('\n'));
    assert.equal(r.stderr, '');
  });

  test('plain JavaScript (ESM) runs on plain Node', () => {
    const r = run(process.execPath, ['consumer.mjs'], app);
    assert.equal(r.stdout, 'source: true false false true\nreference: true\nbarrier: 0,1\npool: 2,8,3\n');
    assert.equal(r.stderr, '');
  });

  test('CommonJS can load it', () => {
    const r = run(process.execPath, ['consumer.cjs'], app);
    assert.equal(r.stdout, 'distributed: ESM-only, said so\ncjs: 5\n');
    assert.equal(r.stderr, '');
  });

  test('TypeScript under tsx, with a TypeScript task module on threads and processes', () => {
    const r = run(process.execPath, ['--import', 'tsx', 'under-tsx.ts'], app);
    assert.equal(r.stdout, 'tsx: true ba7816bf\n');
    assert.equal(r.stderr, '');
  });

  test('the concurrent-ts bin maps a function over a file, and its help names only what ships', () => {
    const bin = join(app, 'node_modules', '.bin', 'concurrent-ts');
    const r = run(bin, ['map', 'tasks.mjs#isPrime', '--json', '--input', 'nums.txt', '-q'], app);
    assert.equal(r.stdout, 'true\ntrue\nfalse\ntrue\nfalse\n');
    const version = run(bin, ['--version'], app).stdout.trim();
    assert.equal(version, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    for (const command of [['--help'], ['map', '--help'], ['worker', '--help']]) {
      const help = run(bin, command, app).stdout;
      assert.doesNotMatch(help, /\b(?:docs|examples|src)\/[\w./-]+/, `concurrent-ts ${command.join(' ')} names a file the package does not ship`);
    }
  });
});
