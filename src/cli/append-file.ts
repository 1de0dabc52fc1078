/**
 * A file the CLI appends to in large blocks with synchronous writes: `--output FILE` and
 * `--joblog FILE`. Synchronous, so that the order of writes to two files is the order on disk
 * once each call returns (what `--resume` relies on: see docs/decisions/cli-resume.md), and so
 * that a run that stops, however it stops, has written everything up to its last flush.
 *
 * @module
 */
import { closeSync, fstatSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { CliError, EXIT } from './cli-error.js';

/** Bytes gathered before a write. */
const BLOCK = 256 * 1024;

/** Appends text to one file; {@link AppendFile.flush} writes what was gathered. */
export class AppendFile {
  /** Bytes in the file, counting the ones gathered and not yet written. */
  size: number;
  readonly #path: string;
  readonly #what: string;
  #fd: number;
  #buffer = Buffer.allocUnsafe(BLOCK);
  #used = 0;

  /**
   * Opens `path` for appending after its first `keep` bytes (the rest is cut off), or empties it
   * when `keep` is 0. `what` names the option in messages (`--output`).
   *
   * @throws {CliError} (exit code 2) when the file cannot be opened.
   */
  constructor(path: string, keep: number, what: string) {
    this.#path = path;
    this.#what = what;
    try {
      this.#fd = openSync(path, keep > 0 ? 'r+' : 'w');
      if (keep > 0) {
        const actual = fstatSync(this.#fd).size;
        if (actual < keep) {
          closeSync(this.#fd);
          throw new CliError(`cannot resume: ${what} ${path} has ${actual} bytes where the joblog says ${keep} were written; ` +
            'it was changed since the run (start again without --resume)', EXIT.usage);
        }
        ftruncateSync(this.#fd, keep);
        closeSync(this.#fd);
        this.#fd = openSync(path, 'a');
      }
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(`cannot write ${what} ${path}: ${(error as Error).message}`, EXIT.usage);
    }
    this.size = keep;
  }

  /** Gathers `text`; returns the file's size once it is written. */
  append(text: string): number {
    if (this.#used + text.length * 3 > this.#buffer.length) {
      this.flush();
      if (text.length * 3 > this.#buffer.length) this.#buffer = Buffer.allocUnsafe(text.length * 3);
    }
    const n = this.#buffer.write(text, this.#used);
    this.#used += n;
    this.size += n;
    return this.size;
  }

  /** `true` when enough is gathered to be worth a write. */
  get full(): boolean {
    return this.#used >= BLOCK / 2;
  }

  /** Writes what is gathered. */
  flush(): void {
    if (this.#fd < 0) return;
    let at = 0;
    try {
      while (at < this.#used) at += writeSync(this.#fd, this.#buffer, at, this.#used - at);
    } catch (error) {
      this.#used = 0;
      throw new CliError(`cannot write ${this.#what} ${this.#path}: ${(error as Error).message}`, EXIT.failed);
    }
    this.#used = 0;
  }

  /** Writes what is gathered and closes the file; calling it again does nothing. */
  close(): void {
    if (this.#fd < 0) return;
    try {
      this.flush();
    } finally {
      closeSync(this.#fd);
      this.#fd = -1;
    }
  }
}
