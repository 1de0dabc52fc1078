/**
 * docs/architecture.md's layer table against the code: the same rows as the lint rules
 * (scripts/layers.mjs), every file of src/ in a layer, every import of src/ (static, `import type`,
 * and `import('…')`) pointing to its own folder or a layer below, and nothing loaded by URL but
 * worker entries and task modules that the build ships as entries.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
// @ts-expect-error scripts/ are JavaScript without declarations
import { ENTRIES } from '../../scripts/bundle-entries.mjs';
// @ts-expect-error scripts/ are JavaScript without declarations
import { WORKER_ENTRIES } from '../../scripts/bundle-workers.mjs';
// @ts-expect-error scripts/ are JavaScript without declarations
import { LAYERS, PLACED } from '../../scripts/layers.mjs';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SRC = join(ROOT, 'src');

/** The rows of the table between `<!-- layers -->` markers: the members in backticks of the first column. */
function documentedLayers(): string[][] {
  const text = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const start = text.indexOf('<!-- layers: top to bottom -->');
  const end = text.indexOf('<!-- /layers -->');
  assert.ok(start >= 0 && end > start, 'docs/architecture.md marks its layer table');
  return text.slice(start, end).split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => [...(line.split('|')[1] as string).matchAll(/`([^`]+)`/g)].map((m) => m[1] as string));
}

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

const layers = documentedLayers();
const placed = PLACED as Record<string, string>;

function memberOf(path: string): string {
  if (path in placed) return placed[path] as string;
  const slash = path.indexOf('/');
  return slash < 0 ? path : path.slice(0, slash + 1);
}

function rowOf(member: string): number {
  return layers.findIndex((row) => row.includes(member));
}

/** `[specifier, how]` of every module a file imports or loads by URL. */
function references(text: string): Array<[string, 'import' | 'url']> {
  const out: Array<[string, 'import' | 'url']> = [];
  // Comments hold examples (`new URL('./tasks.js', import.meta.url)`), not references.
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)\b[^;'"]*?\bfrom\s*'([^']+)'|(?:^|\n)\s*import\s+'([^']+)'|\bimport\(\s*'([^']+)'\s*\)/g)) {
    out.push([(m[1] ?? m[2] ?? m[3]) as string, 'import']);
  }
  for (const m of code.matchAll(/siblingUrl\(\s*'([^']+)'/g)) out.push([m[1] as string, 'url']);
  return out;
}

test('docs/architecture.md lists the layers the lint rules enforce (scripts/layers.mjs)', () => {
  assert.deepEqual(layers, LAYERS);
});

test('every module of src/ belongs to a layer of docs/architecture.md', () => {
  const missing = sources(SRC).filter((path) => rowOf(memberOf(path)) < 0);
  assert.deepEqual(missing, []);
});

test('every import of src/ points to its own folder or to a layer below (docs/architecture.md)', () => {
  const wrong: string[] = [];
  let count = 0;
  for (const path of sources(SRC)) {
    const from = memberOf(path);
    for (const [specifier, how] of references(readFileSync(join(SRC, path), 'utf8'))) {
      if (how !== 'import' || !specifier.startsWith('.')) continue;
      const target = relative(SRC, join(dirname(join(SRC, path)), specifier)).replace(/\.js$/, '.ts');
      assert.ok(existsSync(join(SRC, target)), `${path} imports ${specifier}, which does not exist`);
      count++;
      const to = memberOf(target);
      if (to !== from && rowOf(to) <= rowOf(from)) wrong.push(`${path} → ${target} (${from} is not above ${to})`);
    }
  }
  assert.ok(count > 400, `the imports were found (${count})`);
  assert.deepEqual(wrong, []);
});

test('only sibling-url.ts tells a run from the sources from a built one (the other modules ask it)', () => {
  const asking = sources(SRC).filter((path) => path !== 'sibling-url.ts' && /\.endsWith\('\.ts'\)/.test(readFileSync(join(SRC, path), 'utf8')));
  assert.deepEqual(asking, []);
});

test('nothing is loaded by URL but worker entries and task modules, each an entry of the build', () => {
  const built = new Set<string>([...WORKER_ENTRIES, ...ENTRIES].map((file: string) => file.replace(/\.js$/, '.ts')));
  const loaded: string[] = [];
  for (const path of sources(SRC)) {
    for (const [specifier, how] of references(readFileSync(join(SRC, path), 'utf8'))) {
      if (how !== 'url') continue;
      const target = relative(SRC, join(dirname(join(SRC, path)), `${specifier}.ts`));
      loaded.push(target);
      assert.ok(built.has(target), `${path} loads ${target} by URL, but the build does not ship it as an entry`);
      const worker = (WORKER_ENTRIES as string[]).includes(target.replace(/\.ts$/, '.js'));
      assert.ok(worker || /(^|\/)probe\.ts$/.test(target), `${path} loads ${target} by URL: only worker entries and task modules may be`);
    }
  }
  assert.deepEqual([...new Set(loaded)].sort(),
    ['cli/probe.ts', 'distributed/probe.ts', 'entries/process-entry.ts', 'entries/revoker-entry.ts', 'entries/sync-helper-entry.ts', 'entries/thread-entry.ts', 'worker/process-target-entry.ts']);
});
