/**
 * A JavaScript copy of `src/`, transpiled file by file (no type check) and bundled as the build
 * does, for the one test that
 * measures the CLI as it ships: `node dist/cli/main.js`, without a TypeScript loader in every
 * thread. It goes under `node_modules/.cache/`, where `commander` and the other dependencies
 * resolve as they do for the real `dist/`.
 *
 * @module
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { ROOT } from './cli.js';

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Transpiles `src/**\/*.ts` into a fresh directory and returns it; `cli/main.js` is the bin. */
export function buildForTest(name: string): string {
  const out = join(ROOT, 'node_modules', '.cache', 'concurrent-ts-test', name);
  rmSync(out, { recursive: true, force: true });
  const src = join(ROOT, 'src');
  for (const file of sources(src)) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const target = join(out, relative(src, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, outputText);
  }
  // Inside node_modules the nearest package.json decides the module type; say ESM, as ours does.
  writeFileSync(join(out, 'package.json'), '{ "type": "module" }\n');
  // Worker entries and entry points as `npm run build` ships them: bundled.
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle-workers.mjs'), out], { stdio: 'inherit' });
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'bundle-entries.mjs'), out], { stdio: 'inherit' });
  return out;
}
