// Compiles the harness to plain JavaScript before any child runs.
//
// The children run under plain `node`, not under tsx: a loader would be inherited
// by every worker thread and forked process of every pool, slowing their start-up
// and their module loading, and the peers cannot load .ts task files on Node 20
// anyway. Type-stripping per file (transpileModule) is enough: `tsc` checks the
// types of the same sources as part of the repository's typecheck.

import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import ts from 'typescript';
import { benchDir, buildDir, distSnapshot, repoRoot } from './paths.js';

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.') || entry.name === 'node_modules' || entry.name === 'python') continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sources(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Writes bench/**\/*.ts as ES2022 modules under buildDir; returns how many files. */
export function compileHarness(): number {
  rmSync(buildDir, { recursive: true, force: true });
  const files = sources(benchDir);
  for (const file of files) {
    const { outputText } = ts.transpileModule(readFileSync(file, 'utf8'), {
      fileName: file,
      compilerOptions: {
        module: ts.ModuleKind.ESNext,
        target: ts.ScriptTarget.ES2022,
        verbatimModuleSyntax: true,
      },
    });
    const out = join(buildDir, relative(benchDir, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, outputText);
  }
  // Node stops looking for a package scope at a node_modules folder, so the
  // compiled tree declares itself ESM here.
  writeFileSync(join(buildDir, 'package.json'), '{ "type": "module", "private": true }\n');
  return files.length;
}

/**
 * Copies the library's dist/ next to the compiled harness; false when there is
 * no build. Bare imports from the copy still resolve to the repository's
 * node_modules, the copy being inside the repository.
 */
export function snapshotDist(): boolean {
  const dist = join(repoRoot, 'dist');
  if (!existsSync(join(dist, 'futures', 'index.js'))) return false;
  cpSync(dist, distSnapshot, { recursive: true, filter: (source) => !source.endsWith('.map') });
  return true;
}
