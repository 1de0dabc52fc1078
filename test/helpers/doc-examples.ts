/**
 * Keeps a Markdown document's code honest: every ```ts and ```js block is a file in examples/,
 * and what the document says it prints is what it prints, on plain Node.
 *
 * The convention, in the document:
 *
 * ````md
 * <!-- examples/guide-futures.ts -->
 * ```ts
 * …the whole file, exactly…
 * ```
 *
 * ```text
 * …what it prints on stdout: exactly examples/guide-futures.out…
 * ```
 *
 * ```text stderr
 * …what it prints on stderr, without the stack frames (optional; without it stderr must be empty)…
 * ```
 * ````
 *
 * A ```js block is an `examples/*.mjs` file and runs as it is, with `node`. A ```ts block runs as
 * the JavaScript it becomes once its types are removed and nothing else changes (what `tsc` emits
 * for `target: esnext`), with `node`: so an example that only a TypeScript toolchain can run on
 * the oldest Node the package supports (`await using` on Node 20) fails here.
 *
 * Only blank lines may stand between the code, the stdout block and the stderr block. The marker
 * may add options after `;`, for output that differs from run to run or for a toolchain:
 *
 * - `module`: a module other examples import; it is not run and has no output.
 * - `tsx`: a TypeScript example shown for a TypeScript toolchain; it runs under tsx, as the
 *   document says to run it, instead of as plain JavaScript.
 * - `any order`: the lines are compared as a sorted list (processes or threads print in any order).
 * - `mask /REGEX/`: every match (flags `gm`) becomes `…` in the expected and the actual output
 *   before comparing (a timing, a thread that varies). The regex may not contain `;`.
 *
 * Stack frames (lines starting with spaces and `at `) are dropped from stderr: they hold paths
 * and line numbers of the library's sources.
 *
 * @module
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { transform } from 'esbuild';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A code block tied to a file, with the output the document shows for it. */
export interface TiedBlock {
  /** The file, relative to the repository root: `examples/guide-futures.ts` (or `.mjs`). */
  readonly file: string;
  /** 1-based line of the marker in the document. */
  readonly line: number;
  readonly code: string;
  readonly stdout: string | undefined;
  readonly stderr: string | undefined;
  readonly module: boolean;
  readonly tsx: boolean;
  readonly anyOrder: boolean;
  readonly masks: readonly RegExp[];
}

const MARKER = /^<!-- (examples\/[\w.-]+\.(?:ts|mjs))((?:;[^;]*?)*) -->$/;
/** The fence a file's block opens with. */
const LANGUAGE: Record<string, string> = { ts: 'ts', mjs: 'js' };
const FENCE = '```';

/** The fenced block opening at `lines[start]`: its info string, text (with a final newline) and the line after it. */
function fenceAt(lines: readonly string[], start: number): { info: string; text: string; next: number } | undefined {
  const open = lines[start];
  if (open?.startsWith(FENCE) !== true) return undefined;
  const end = lines.indexOf(FENCE, start + 1);
  if (end < 0) throw new Error(`line ${start + 1}: the block is never closed`);
  const body = lines.slice(start + 1, end);
  return { info: open.slice(FENCE.length).trim(), text: body.length === 0 ? '' : `${body.join('\n')}\n`, next: end + 1 };
}

function skipBlank(lines: readonly string[], i: number): number {
  while (i < lines.length && lines[i]?.trim() === '') i++;
  return i;
}

function parseOptions(raw: string, where: string): Pick<TiedBlock, 'module' | 'tsx' | 'anyOrder' | 'masks'> {
  let module = false;
  let tsx = false;
  let anyOrder = false;
  const masks: RegExp[] = [];
  for (const option of raw.split(';').map((s) => s.trim()).filter((s) => s !== '')) {
    const mask = /^mask \/(.+)\/$/.exec(option);
    if (option === 'module') module = true;
    else if (option === 'tsx') tsx = true;
    else if (option === 'any order') anyOrder = true;
    else if (mask !== null) masks.push(new RegExp(mask[1] as string, 'gm'));
    else throw new Error(`${where}: unknown marker option "${option}"`);
  }
  return { module, tsx, anyOrder, masks };
}

/** The tied blocks of a document, in order. Throws on a marker that is not followed by a block of its file's language. */
export function tiedBlocks(markdown: string, docName: string): TiedBlock[] {
  const lines = markdown.split('\n');
  const blocks: TiedBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = MARKER.exec(lines[i] ?? '');
    if (m === null) continue;
    const where = `${docName}:${i + 1}`;
    const language = LANGUAGE[(m[1] as string).split('.').pop() as string] as string;
    const code = fenceAt(lines, i + 1);
    if (code?.info !== language) throw new Error(`${where}: the marker must be followed at once by a \`\`\`${language} block`);
    let stdout: string | undefined;
    let stderr: string | undefined;
    const out = fenceAt(lines, skipBlank(lines, code.next));
    if (out?.info === 'text') {
      stdout = out.text;
      const err = fenceAt(lines, skipBlank(lines, out.next));
      if (err?.info === 'text stderr') stderr = err.text;
    }
    blocks.push({ file: m[1] as string, line: i + 1, code: code.text, stdout, stderr, ...parseOptions(m[2] ?? '', where) });
  }
  return blocks;
}

/** 1-based lines of ```ts and ```js blocks that no marker ties to a file. */
export function untiedCodeBlocks(markdown: string): number[] {
  const lines = markdown.split('\n');
  const untied: number[] = [];
  let inside = false;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (inside) {
      if (line.trim() === FENCE) inside = false;
    } else if (line.startsWith(FENCE)) {
      inside = true;
      if (['```ts', '```js'].includes(line.trim()) && !MARKER.test(lines[i - 1] ?? '')) untied.push(i + 1);
    }
  }
  return untied;
}

/** Applies a block's masks and ordering rule, so that two runs that differ only where allowed compare equal. */
export function normalize(text: string, block: Pick<TiedBlock, 'anyOrder' | 'masks'>): string {
  let out = text;
  for (const mask of block.masks) out = out.replace(mask, '…');
  if (!block.anyOrder) return out;
  return `${out.trimEnd().split('\n').sort().join('\n')}\n`;
}

/** stderr without stack frames. */
export function withoutFrames(stderr: string): string {
  return stderr.split('\n').filter((line) => !/^\s+at /.test(line)).join('\n');
}

function read(file: string): string {
  return readFileSync(new URL(file, `file://${ROOT}`), 'utf8');
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node [...execArgv] file` in `cwd` with no loader from the environment; kills it after `timeoutMs`. */
function runNode(execArgv: readonly string[], file: string, cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, file], { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${file} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Writes every examples/*.ts as the JavaScript it is without its types (esbuild, `target:
 * esnext`: nothing is lowered) into `dir`/examples/, beside copies of the other examples, and
 * returns that folder. `dir` is inside the repository, so `import 'concurrent-ts'` resolves to
 * dist/ as it does from examples/.
 */
async function plainExamples(dir: string): Promise<string> {
  const out = join(dir, 'examples');
  mkdirSync(out, { recursive: true });
  const examples = join(ROOT, 'examples');
  for (const name of readdirSync(examples)) {
    const source = readFileSync(join(examples, name), 'utf8');
    if (!name.endsWith('.ts')) {
      writeFileSync(join(out, name), source);
      continue;
    }
    const { code } = await transform(source, { loader: 'ts', format: 'esm', target: 'esnext', sourcefile: name });
    writeFileSync(join(out, name.replace(/\.ts$/, '.js')), code);
  }
  return out;
}

/**
 * Registers the tests of one document: each tied block equals its file, its output block equals
 * the file's `.out`, and the program prints that (stdout and stderr) when run with plain `node`
 * (a TypeScript example without its types; under tsx with the `tsx` option). The examples import
 * the package by name, which resolves to dist/: build first.
 */
export function testDocExamples(docName: string): void {
  const markdown = read(docName);
  const blocks = tiedBlocks(markdown, docName);

  describe(`${docName}: code blocks are files of examples/`, () => {
    test('every ```ts and ```js block is tied to a file', () => {
      assert.deepEqual(untiedCodeBlocks(markdown).map((line) => `${docName}:${line}`), []);
      assert.ok(blocks.length > 0, 'the document ties no block');
    });

    for (const block of blocks) {
      test(`${docName}:${block.line} is ${block.file}`, () => {
        assert.ok(existsSync(`${ROOT}${block.file}`), `${block.file} does not exist`);
        assert.equal(block.code, read(block.file), `the block at ${docName}:${block.line} drifted from ${block.file}`);
        const outFile = block.file.replace(/\.(?:ts|mjs)$/, '.out');
        if (block.module) {
          assert.equal(block.stdout, undefined, `${block.file} is a module: it shows no output`);
          return;
        }
        assert.notEqual(block.stdout, undefined, `${docName}:${block.line}: no \`\`\`text block with the output follows`);
        assert.equal(block.stdout, read(outFile), `the output block at ${docName}:${block.line} differs from ${outFile}`);
      });
    }
  });

  describe(`${docName}: the examples print what the document shows, on plain Node`, () => {
    // Inside the repository (scratch/ is ignored by git), one folder per test process.
    const scratch = join(ROOT, 'scratch', `doc-examples-${process.pid}`);
    let plain = '';
    before(async () => {
      plain = await plainExamples(scratch);
    });
    after(() => rmSync(scratch, { recursive: true, force: true }));

    for (const block of blocks.filter((b) => !b.module)) {
      const how = block.tsx ? 'under tsx' : block.file.endsWith('.ts') ? 'without its types, with node' : 'with node';
      test(`${block.file}, ${how}`, async () => {
        const name = block.file.replace(/^examples\//, '');
        const r = block.tsx
          ? await runNode(['--import', 'tsx'], name, join(ROOT, 'examples'), 120_000)
          : await runNode([], name.replace(/\.ts$/, '.js'), plain, 120_000);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(normalize(r.stdout, block), normalize(block.stdout ?? '', block), 'stdout');
        assert.equal(normalize(withoutFrames(r.stderr), block), normalize(block.stderr ?? '', block), 'stderr (stack frames dropped)');
      });
    }
  });
}
