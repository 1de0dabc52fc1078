/**
 * No orphans: when the program is killed by SIGKILL, or Ctrl-C reaches its process group, every
 * child it started (pool workers and Process children, daemonic or not) ends within 2 seconds.
 * A zombie (state Z) counts as ended.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { describe, test } from 'node:test';
import { allEnded } from '../fixtures/multiprocessing/support.js';

const SCRIPT = new URL('../fixtures/multiprocessing/orphan-script.ts', import.meta.url).pathname;

/** Starts the script (in its own process group) and resolves with it and its children's pids. */
function start(): Promise<{ child: ChildProcess; pids: number[] }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
    stdio: ['ignore', 'pipe', 'inherit'],
    detached: true,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
      const match = /^pids ([\d ]+)$/m.exec(out);
      if (match !== null) resolve({ child, pids: (match[1] as string).split(' ').map(Number) });
    });
    child.once('exit', (code, signal) => reject(new Error(`the script ended early (${code ?? signal}): ${out}`)));
  });
}

describe('no orphans', () => {
  test('the program is killed by SIGKILL: its 2 pool workers and 2 Process children end within 2 seconds', async () => {
    const { child, pids } = await start();
    assert.equal(pids.length, 4);
    child.kill('SIGKILL');
    await allEnded(pids, 2000);
  });

  test('Ctrl-C (SIGINT to the process group) ends the whole tree', async () => {
    const { child, pids } = await start();
    process.kill(-(child.pid as number), 'SIGINT');
    await allEnded([child.pid as number, ...pids], 2000);
  });
});
