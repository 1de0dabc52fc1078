/**
 * `--output FILE`: the result lines, appended to a file in large synchronous writes. The file's
 * size after each line is what the joblog records for `--resume` (docs/decisions/cli-resume.md).
 *
 * @module
 */
import type { AppendFile } from './append-file.js';
import type { ResultWriter } from './output.js';

/** A {@link ResultWriter} on an {@link AppendFile}; writes at the end of each event-loop turn or when a block is full. */
export class FileLineWriter implements ResultWriter {
  readonly broken = false;
  beforeWrite: (() => void) | undefined;
  /** Runs after each write of the file (the joblog writes its records then, never before). */
  afterFlush: (() => void) | undefined;
  readonly #file: AppendFile;
  #scheduled = false;

  constructor(file: AppendFile) {
    this.#file = file;
  }

  /** The file's size, with the lines not written yet. */
  get size(): number {
    return this.#file.size;
  }

  writeLine(line: string): undefined {
    this.#file.append(line);
    this.#file.append('\n');
    if (this.#file.full) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushLater);
    }
    return undefined;
  }

  readonly #flushLater = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  flush(): void {
    this.#file.flush();
    this.afterFlush?.();
  }

  end(): Promise<void> {
    this.flush();
    return Promise.resolve();
  }

  /** Writes the rest and closes the file. */
  close(): void {
    this.#file.close();
    this.afterFlush?.();
  }
}
