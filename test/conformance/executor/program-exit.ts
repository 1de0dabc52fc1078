/**
 * Behaviours that only show when the program ends (CPython's `assert_python_ok` rows): each test
 * runs test/fixtures/futures/exit-script.ts in a fresh node and checks its exit code and output.
 *
 * @module
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runScript } from '../../helpers/node-script.js';
import type { SuiteContext } from './context.js';

const SCRIPT = new URL('../../fixtures/futures/exit-script.ts', import.meta.url);

export function programExitTests({ name }: SuiteContext): void {
  describe('program exit', () => {
    test('EXE-11 a program that never calls shutdown runs its queued work (console.log by name included) and exits 0', async () => {
      const { code, stdout, stderr } = await runScript(SCRIPT, [name, 'forget-shutdown']);
      assert.equal(stderr, '');
      assert.equal(code, 0);
      const lines = stdout.split('\n');
      assert.ok(lines.includes('apple from a worker'), `console.log ran in a worker: ${JSON.stringify(stdout)}`);
      assert.ok(lines.includes('97 is prime: true'));
      assert.ok(lines.includes('squares: 1 4 9'));
    });

    test('EXE-11 idle workers do not keep the program alive', async () => {
      const { code, stdout, stderr } = await runScript(SCRIPT, [name, 'idle-pool']);
      assert.deepEqual({ code, stdout, stderr }, { code: 0, stdout: 'sum: 5\n', stderr: '' });
    });

    test('EXE-10 await using at the top level of a program waits for shutdown, and the program goes on after the block', async () => {
      const { code, stdout, stderr } = await runScript(SCRIPT, [name, 'await-using']);
      assert.deepEqual({ code, stdout, stderr }, { code: 0, stdout: 'in the block: 3\nafter the block\n', stderr: '' });
    });

    test('EXE-07 shutdown({ wait: false, cancelFutures: true }) neither hangs at exit nor prints errors', async () => {
      const { code, stdout, stderr } = await runScript(SCRIPT, [name, 'cancel-no-wait']);
      // A task sent and not started yet is cancelled too: either outcome, but nothing else runs.
      assert.ok(['first ran\n', 'first cancelled before it started\n'].includes(stdout), stdout);
      assert.deepEqual({ code, stderr }, { code: 0, stderr: '' });
    });

    test('a worker that dies while a process it started holds its stderr open fails its task before the program ends', async () => {
      const { code, stdout } = await runScript(SCRIPT, [name, 'dies-holding-stderr']);
      assert.deepEqual({ code, stdout }, { code: 0, stdout: 'failed: true\n' });
    });

    test('EXE-03 submit from an exit hook throws RuntimeError("cannot schedule new futures after interpreter shutdown")', async () => {
      const { code, stdout, stderr } = await runScript(SCRIPT, [name, 'submit-at-exit']);
      assert.deepEqual({ code, stdout, stderr }, {
        code: 0,
        stdout: 'before exit: 2\nRuntimeError: cannot schedule new futures after interpreter shutdown\n',
        stderr: '',
      });
    });
  });
}
