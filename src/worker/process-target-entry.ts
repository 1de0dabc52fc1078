/**
 * The file every `Process` child starts with. It receives one message (what to run), runs the
 * target, and then behaves like any Node program: it ends when nothing is left to do, with exit
 * code 0, or 1 after an uncaught error (printed to stderr with the target's stack, as Python
 * prints `Process Process-1:` and the traceback), or `n` after `process.exit(n)`.
 *
 * It ends at once when its parent goes away: the IPC channel closes (a parent that exits), or the
 * watchdog sees the parent pid change (a parent killed by SIGKILL).
 *
 * A worker entry, of the top layer as the files of `src/entries/` are (it loads the reviver
 * registry); it stays at this path, where `multiprocessing/process.ts` starts it.
 *
 * @module
 */
import { decodeValue } from '../error-codec.js';
import { TASK_ERRORS, TASK_SHARED } from '../protocol.js';
import { setContext } from '../sync/current-thread.js';
import { watchParent } from './parent-watchdog.js';
import { PROCESS_START_VERSION, type ProcessIdentity, type ProcessStartMessage } from './process-start.js';
import { TaskLoader } from './task-loader.js';

const exit = process.exit.bind(process);
if (typeof process.send !== 'function') {
  console.error('process-target-entry must run in a child process started by concurrent-ts');
  exit(1);
}
watchParent();
process.on('disconnect', () => exit(process.exitCode === undefined ? 0 : Number(process.exitCode)));

async function loadReviver(): Promise<(value: unknown) => unknown> {
  return (await import('../entries/revivers.js')).reviveHandles;
}

function report(name: string, error: unknown): void {
  let text = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
  // The frames of this file say nothing about the user's code.
  text = text.split('\n').filter((line) => !/[/\\]worker[/\\]process-target-entry\./.test(line)).join('\n');
  process.stderr.write(`Process ${name}:\n${text}\n`);
  process.exitCode = 1;
}

process.once('message', (start: ProcessStartMessage) => {
  if (start.op !== 'start' || start.version !== PROCESS_START_VERSION) {
    console.error(`protocol mismatch: expected a start message of version ${PROCESS_START_VERSION}`);
    exit(1);
  }
  const data: ProcessIdentity = { identity: start.identity, daemon: start.daemon, parentName: start.parentName, parentPid: start.parentPid };
  setContext({ kind: 'process', name: start.name, ident: process.pid, data: { ...data } });
  // From here on the channel only tells us when the parent is gone; it must not keep us alive.
  (process.channel as { unref?: () => void } | undefined)?.unref?.();
  if (start.target === null) return;
  const target = start.target;
  void (async () => {
    try {
      const fn = await new TaskLoader().load(target);
      let args = start.args;
      if ((start.flags & TASK_ERRORS) !== 0) args = decodeValue(args) as unknown[];
      if ((start.flags & TASK_SHARED) !== 0) args = (await loadReviver())(args) as unknown[];
      await fn(...args);
    } catch (error) {
      report(start.name, error);
    }
  })();
});
