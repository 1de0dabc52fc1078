/**
 * The progress bar: drawn on stderr when it is a terminal, never into a pipe or under CI.
 * `script` (util-linux) gives the CLI a pseudo-terminal.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { renderBar } from '../../src/cli/progress.js';
import { cliEnv, MAIN, ROOT, runCli, TASKS } from './helpers/cli.js';

const hasScript = spawnSync('sh', ['-c', 'command -v script'], { encoding: 'utf8' }).status === 0;
const dir = mkdtempSync(join(tmpdir(), 'ct-cli-progress-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const input = join(dir, 'input.txt');
// Twelve items of 80 ms on two workers: about half a second, several frames of the bar.
writeFileSync(input, '80\n'.repeat(12));
const ARGS = ['map', `${TASKS}#block`, '--json', '--input', input, '--workers', '2', '--quiet'];

/** Runs the CLI with stdin, stdout and stderr on one pseudo-terminal; returns all it wrote there. */
async function inTerminal(env: NodeJS.ProcessEnv, extra: string[] = []): Promise<{ code: number | null; screen: string }> {
  const command = ['node', '--import', 'tsx', MAIN, ...ARGS, ...extra].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let screen = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (screen += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (screen += text));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, screen };
}

/** What the bar writes to erase itself. */
const ERASE = '\r\x1b[2K';

/** `true` if `text` holds any trace of the bar (its frame, its ETA, an escape sequence). */
function hasBar(text: string): boolean {
  return text.includes('▕') || text.includes('ETA') || text.includes('\x1b');
}

const BAR = /▕[█░]+▏ \d+% · \d+\/12 · [\d,]+\/s · (ETA \d+:\d\d|\d+:\d\d elapsed)/;

describe('progress bar', { skip: hasScript ? false : 'script (util-linux) is not installed' }, () => {
  test('on a terminal: a bar with percentage, count, rate and ETA, erased before each result and at the end', async () => {
    const { code, screen } = await inTerminal(cliEnv());
    assert.equal(code, 0, screen);
    assert.match(screen, BAR);
    assert.ok(screen.includes(ERASE), 'the bar is erased');
    const visible = screen.split(ERASE).join('\n').split(/\r?\n/).filter((l) => /^\d+$/.test(l));
    assert.equal(visible.length, 12, 'every result still prints on its own line');
    assert.ok(screen.lastIndexOf('▕') < screen.lastIndexOf(ERASE), 'the last bar drawn is erased');
  });

  test('on a terminal with CI set: no bar', async () => {
    const { code, screen } = await inTerminal(cliEnv({ CI: 'true' }));
    assert.equal(code, 0, screen);
    assert.ok(!hasBar(screen), screen);
  });

  test('with --no-progress on a terminal: no bar', async () => {
    const { code, screen } = await inTerminal(cliEnv(), ['--no-progress']);
    assert.equal(code, 0, screen);
    assert.ok(!hasBar(screen), screen);
  });

  test('into a pipe: no bar, no control characters on stderr', async () => {
    const r = await runCli(ARGS.filter((a) => a !== '--quiet'));
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!hasBar(r.stderr) && !r.stderr.includes('\r'), r.stderr);
    assert.match(r.stderr, /^concurrent-ts: 12 items in /);
  });
});

describe('progress figures', () => {
  test('failures and retries follow the ETA; --eta\'s plain line carries the same figures without the bar', () => {
    const bar = renderBar(600, 2, 1000, 100, 5000, 120, 3);
    assert.match(bar, /^▕█+░+▏ 60% · 600\/1,000 · 100\/s · ETA 0:04 · 2 failed · 3 retried$/);
    assert.equal(renderBar(600, 2, 1000, 100, 5000, 120, 3, false), '60% · 600/1,000 · 100/s · ETA 0:04 · 2 failed · 3 retried');
    assert.equal(renderBar(600, 0, undefined, 100, 5000, 120, 1), '600 done · 100/s · 0:05 elapsed · 1 retried');
  });
});
