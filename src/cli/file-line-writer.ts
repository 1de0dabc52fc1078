/**
 * `--output FILE`: the result lines, appended to a file in large writes. The file's size after
 * each line is what the joblog records for `--resume` (docs/decisions/cli-resume.md).
 *
 * @module
 */
import { NON_ASCII, type AppendFile } from './append-file.js';
import type { ResultWriter } from './output.js';

/** Bytes on their way to the disk beyond which the run waits for it. */
const MAX_IN_FLIGHT = 8 * 1024 * 1024;

/** A {@link ResultWriter} on an {@link AppendFile}; writes at the end of each event-loop turn or when a block is full. */
export class FileLineWriter implements ResultWriter {
  readonly broken = false;
  beforeWrite: (() => void) | undefined;
  /** Runs after each flush with the promise of its write (the joblog writes its records after it, never before). */
  afterFlush: ((written: Promise<void>) => void) | undefined;
  /** The file's size in bytes, with the lines not written yet. */
  size: number;
  readonly #file: AppendFile;
  #scheduled = false;

  constructor(file: AppendFile) {
    this.#file = file;
    this.size = file.kept;
  }

  writeLine(line: string): Promise<void> | undefined {
    const wide = NON_ASCII.test(line);
    this.#file.append(line, !wide);
    this.#file.append('\n', true);
    this.size += (wide ? Buffer.byteLength(line) : line.length) + 1;
    if (this.#file.full) {
      const written = this.#flush();
      if (this.#file.inFlight > MAX_IN_FLIGHT) return written;
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushLater);
    }
    return undefined;
  }

  readonly #flushLater = (): void => {
    this.#scheduled = false;
    void this.#flush();
  };

  flush(): void {
    void this.#flush();
  }

  /** `true` while a write of the file has not ended. */
  get writing(): boolean {
    return this.#file.inFlight > 0;
  }

  #flush(): Promise<void> {
    const written = this.#file.flush();
    this.afterFlush?.(written);
    return written;
  }

  end(): Promise<void> {
    return this.#flush();
  }

  /** Writes the rest and closes the file. */
  async close(): Promise<void> {
    this.afterFlush?.(this.#file.flush());
    await this.#file.close();
  }

  /** On the way out (Ctrl-C): what can be written now without overtaking a running write. */
  closeNow(): void {
    this.#file.closeNow();
  }
}
