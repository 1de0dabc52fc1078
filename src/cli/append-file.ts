/**
 * A file the CLI appends to in large blocks: `--output FILE` and `--joblog FILE`. Writes go to
 * the thread pool one after another, so the main thread does not wait for the disk, and a write
 * may be told to start only once another file's write has ended: the joblog's records reach the
 * kernel only after the results they describe (what `--resume` relies on: see
 * docs/decisions/cli-resume.md).
 *
 * @module
 */
import { closeSync, fstatSync, ftruncateSync, openSync, write, writeSync } from 'node:fs';
import { CliError, EXIT } from './cli-error.js';

/** Characters gathered before a write. */
const BLOCK = 128 * 1024;
/** Bytes of a buffer reused from write to write: a block and the line that filled it, mostly. */
const SPARE = 2 * BLOCK;
/** A character that takes more than one byte in UTF-8. */
export const NON_ASCII = /[\u0080-\uffff]/;

/** Appends text to one file; {@link AppendFile.flush} writes what was gathered. */
export class AppendFile {
  /** Bytes the file had when opened (what was kept of it). */
  readonly kept: number;
  readonly #path: string;
  readonly #what: string;
  #fd: number;
  // Text is gathered as a string and encoded once per write: one call into the runtime per block
  // instead of one per line.
  #text = '';
  /** Whether some of the gathered text may not be ASCII (else it is encoded byte for character, which is faster). */
  #wide = false;
  /** Bytes gathered before {@link #text} (from {@link appendBytes}), in order. */
  #pieces: Uint8Array[] = [];
  #pieceBytes = 0;
  /** Buffers of ended writes, for the next ones. */
  readonly #spare: Buffer[] = [];
  /** Ends once every write started so far has ended. */
  #chain: Promise<void> = Promise.resolve();
  /** Bytes handed to writes that have not ended. */
  #inFlight = 0;
  #error: CliError | undefined;

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
      if (keep > 0 && (error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new CliError(`cannot resume: ${what} ${path} does not exist, where the joblog says ${keep} bytes were written; ` +
          'it was removed since the run (start again without --resume)', EXIT.usage);
      }
      throw new CliError(`cannot write ${what} ${path}: ${(error as Error).message}`, EXIT.usage);
    }
    this.kept = keep;
  }

  /** Gathers `text`; `ascii` says that it is plain ASCII for sure. */
  append(text: string, ascii: boolean): void {
    this.#text += text;
    if (!ascii) this.#wide = true;
  }

  /** Gathers bytes already encoded (the joblog's records); the caller leaves them alone from now on. */
  appendBytes(bytes: Uint8Array): void {
    if (this.#text !== '') this.#textToPiece();
    this.#pieceBytes += bytes.length;
    const pieces = this.#pieces;
    const last = pieces[pieces.length - 1];
    // The joblog hands its buffer on in consecutive parts: they become one write without a copy.
    if (last !== undefined && last.buffer === bytes.buffer && last.byteOffset + last.length === bytes.byteOffset) {
      pieces[pieces.length - 1] = new Uint8Array(last.buffer, last.byteOffset, last.length + bytes.length);
    } else {
      pieces.push(bytes);
    }
  }

  #textToPiece(): void {
    const bytes = Buffer.from(this.#text, this.#wide ? 'utf8' : 'latin1');
    this.#text = '';
    this.#wide = false;
    this.#pieces.push(bytes);
    this.#pieceBytes += bytes.length;
  }

  /** Characters and bytes gathered and not handed to a write yet. */
  get pending(): number {
    return this.#text.length + this.#pieceBytes;
  }

  /** `true` when enough is gathered to be worth a write. */
  get full(): boolean {
    return this.#text.length + this.#pieceBytes >= BLOCK;
  }

  /** Bytes handed to the disk and not written yet: a producer far ahead of the disk should wait. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /**
   * Starts writing what is gathered, once `after` (another file's writes) has ended; resolves
   * once it is written. The writes of one file never overlap, so they land in order.
   *
   * @throws {CliError} (exit code 1) when an earlier write failed.
   */
  flush(after?: Promise<void>): Promise<void> {
    if (this.#error !== undefined) throw this.#error;
    if (this.#fd < 0 || (this.#text === '' && this.#pieceBytes === 0)) {
      return after === undefined ? this.#chain : Promise.all([this.#chain, after]).then(() => {});
    }
    let bytes: Uint8Array;
    let reused: Buffer | undefined;
    if (this.#pieceBytes === 0) {
      const text = this.#text;
      // Into a buffer of an earlier write when it fits: fresh memory costs a page fault per page.
      if (text.length * (this.#wide ? 3 : 1) <= SPARE) {
        reused = this.#spare.pop() ?? Buffer.allocUnsafe(SPARE);
        bytes = reused.subarray(0, reused.write(text, 0, this.#wide ? 'utf8' : 'latin1'));
      } else {
        bytes = Buffer.from(text, this.#wide ? 'utf8' : 'latin1');
      }
      this.#text = '';
      this.#wide = false;
    } else {
      if (this.#text !== '') this.#textToPiece();
      bytes = this.#pieces.length === 1 ? this.#pieces[0] as Uint8Array : Buffer.concat(this.#pieces, this.#pieceBytes);
      this.#pieces = [];
      this.#pieceBytes = 0;
    }
    this.#inFlight += bytes.length;
    const fd = this.#fd;
    const before = after === undefined ? this.#chain : Promise.all([this.#chain, after]);
    this.#chain = before.then(() => writeAll(fd, bytes)).then(() => {
      this.#inFlight -= bytes.length;
      if (reused !== undefined) this.#spare.push(reused);
    }, (error: unknown) => {
      this.#inFlight -= bytes.length;
      this.#error ??= new CliError(`cannot write ${this.#what} ${this.#path}: ${(error as Error).message}`, EXIT.failed);
    });
    return this.#chain;
  }

  /** Writes the rest, waits for every write, and closes the file; calling it again does nothing. */
  async close(): Promise<void> {
    if (this.#fd < 0) return;
    try {
      await this.flush();
      await this.#chain;
      if (this.#error !== undefined) throw this.#error;
    } finally {
      if (this.#fd >= 0) closeSync(this.#fd);
      this.#fd = -1;
    }
  }

  /**
   * On the way out (Ctrl-C): writes what is gathered now, unless a write is still running (the
   * two could land out of order; what is lost is redone by `--resume`).
   */
  closeNow(): void {
    if (this.#fd < 0) return;
    try {
      if (this.#inFlight === 0) {
        for (const piece of this.#pieces) writeSync(this.#fd, piece);
        if (this.#text !== '') writeSync(this.#fd, this.#text);
      }
    } finally {
      this.#text = '';
      this.#wide = false;
      this.#pieces = [];
      this.#pieceBytes = 0;
    }
  }
}

function writeAll(fd: number, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const from = (at: number): void => {
      write(fd, bytes, at, bytes.length - at, null, (error, written) => {
        if (error !== null) reject(error);
        else if (at + written < bytes.length) from(at + written);
        else resolve();
      });
    };
    from(0);
  });
}
