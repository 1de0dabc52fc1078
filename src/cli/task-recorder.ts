/**
 * What `concurrent-ts map` learns about its tasks, through the executor's public `onTask` hook
 * (the one a user's own tracing would use): how many tasks the map sent, for the summary; with
 * `--trace`, when and on which worker each one ran and which input lines it covered.
 *
 * @module
 */
import type { Executor } from '../core/executor.js';
import type { TaskEvent, TaskInfo } from '../core/task-events.js';
import type { HeldInputs } from './held-inputs.js';
import type { TaskLines, TaskSlice } from './run-report.js';

/** Follows one executor's tasks from construction until {@link TaskRecorder.stop}. */
export class TaskRecorder {
  /** Map tasks (chunks) submitted so far. */
  tasks = 0;
  /** With `--trace`: one slice per task that ran, in the order they settled. */
  readonly slices: TaskSlice[] = [];
  readonly #held: HeldInputs | undefined;
  /** Items covered by the chunks submitted so far: the first item of the next chunk. */
  #items = 0;
  /** With `--trace`: the lines of each chunk still out. */
  readonly #lines = new Map<TaskInfo, TaskLines>();
  readonly #stop: () => void;

  /**
   * @param executor - the executor the map runs on.
   * @param held - the items between input and output, to name each chunk's lines; `undefined`
   *   without `--trace`, when only the count is wanted.
   */
  constructor(executor: Executor, held: HeldInputs | undefined) {
    this.#held = held;
    this.#stop = executor.onTask((event) => this.#on(event));
  }

  /** Stops listening. */
  stop(): void {
    this.#stop();
  }

  #on(event: TaskEvent): void {
    const task = event.task;
    // The one call is the check of the export before the map (probe()); the rest are map chunks.
    const chunk = task.kind !== 'call';
    if (event.type === 'submitted' && chunk) {
      const first = this.#items;
      this.#items += task.items;
      this.tasks++;
      const held = this.#held;
      if (held !== undefined) {
        this.#lines.set(task, { firstLine: held.lineOf(first), lastLine: held.lineOf(first + task.items - 1), items: task.items });
      }
    } else if (event.type === 'settled' && this.#held !== undefined) {
      const lines = this.#lines.get(task);
      this.#lines.delete(task);
      const run = event.run;
      if (run !== undefined) this.slices.push({ worker: workerIndex(run.worker), task: task.id, start: run.start, end: run.end, lines, check: !chunk });
    }
  }
}

/** The worker number at the end of a pool worker's name (`worker_3` → 3). */
export function workerIndex(name: string): number {
  const match = /_(\d+)$/.exec(name);
  return match === null ? 0 : Number(match[1]);
}
