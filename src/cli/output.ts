/**
 * What `concurrent-ts map` prints for each result, and the stdout writer: lines are batched into
 * large writes, the writer waits when the reader is slow, and a reader that goes away
 * (`| head -1`) ends the run quietly instead of with an EPIPE stack trace.
 *
 * @module
 */
import { inspect } from 'node:util';
import { CliError } from './cli-error.js';
/** Turns one finished item (its input line, line number and result) into its output line, without the newline. */
export type Formatter = (text: string, line: number, result: unknown) => string;

const PLACEHOLDERS = ['input', 'result', 'line'] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

/**
 * Renders a result: a string as it is (unless `json`), anything else as JSON. `undefined` prints
 * as `undefined`, or `null` with `json` so that every line stays valid JSON. A bigint prints as
 * its digits.
 */
export function renderResult(result: unknown, json: boolean): string {
  // The common results first, without JSON.stringify's replacer (most of a cheap map's time).
  if (typeof result === 'number') return Number.isFinite(result) ? String(result) : 'null';
  if (typeof result === 'boolean') return result ? 'true' : 'false';
  if (typeof result === 'string') return json ? JSON.stringify(result) : result;
  if (typeof result === 'bigint') return result.toString();
  if (result === undefined) return json ? 'null' : 'undefined';
  try {
    return JSON.stringify(result, jsonReplacer) ?? 'null';
  } catch {
    // A cycle: structured clone keeps them, JSON cannot. Print it as Node would, on one line.
    return inspect(result, { breakLength: Infinity, depth: 4 });
  }
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) return Object.fromEntries(value);
  if (value instanceof Set) return [...value];
  return value;
}

/**
 * Compiles `--format`: `{input}` is the input line as read, `{result}` the result as it would
 * print alone, `{line}` the line number. `{{` and `}}` are literal braces. Without a template
 * the line is `{result}`.
 *
 * @throws {CliError} (exit code 2) for an unknown placeholder or an unmatched brace.
 */
export function compileFormat(format: string | undefined, json: boolean): Formatter {
  if (format === undefined) return (_text, _line, result) => renderResult(result, json);
  const literals: string[] = [];
  const keys: Placeholder[] = [];
  let literal = '';
  for (let i = 0; i < format.length; i++) {
    const c = format[i];
    const next = format[i + 1];
    if ((c === '{' && next === '{') || (c === '}' && next === '}')) {
      literal += c;
      i++;
    } else if (c === '{') {
      const end = format.indexOf('}', i);
      const key = end < 0 ? '' : format.slice(i + 1, end);
      if (!(PLACEHOLDERS as readonly string[]).includes(key)) {
        const shown = end < 0 ? format.slice(i) : `{${key}}`;
        throw new CliError(`--format: unknown placeholder ${shown}; use {input}, {result} or {line} (and {{ or }} for a brace)`);
      }
      literals.push(literal);
      keys.push(key as Placeholder);
      literal = '';
      i = end;
    } else if (c === '}') {
      throw new CliError('--format: a lone } (write }} for a literal brace)');
    } else {
      literal += c;
    }
  }
  literals.push(literal);
  return (text, line, result) => {
    let out = literals[0] as string;
    for (let k = 0; k < keys.length; k++) {
      const key = keys[k];
      out += key === 'result' ? renderResult(result, json) : key === 'input' ? text : String(line);
      out += literals[k + 1] as string;
    }
    return out;
  };
}

/** Where the result lines go: stdout ({@link LineWriter}) or `--output FILE` (`FileLineWriter`). */
export interface ResultWriter {
  /** Queues `line` and a newline; a promise means "wait before producing more". */
  writeLine(line: string): Promise<void> | undefined;
  /** Writes what is queued now. */
  flush(): void;
  /** Flushes and resolves once everything written so far has left the process. */
  end(): Promise<void>;
  /** `true` once the reader has gone away. */
  readonly broken: boolean;
  /** Runs before each write that reaches a terminal (the progress bar clears its line). */
  beforeWrite: (() => void) | undefined;
}

/** Writes more than this in one call. */
const FLUSH_BYTES = 64 * 1024;

/**
 * Batches lines into large writes to a stream. Lines written in one burst go out together at the
 * end of the event-loop turn, so the first result of a slow stream is not held back.
 */
export class LineWriter implements ResultWriter {
  readonly #stream: NodeJS.WritableStream;
  #buffer = '';
  #scheduled = false;
  #drain: Promise<void> | undefined;
  #broken = false;
  /** Runs before each write that reaches the stream (the progress bar clears its line). */
  beforeWrite: (() => void) | undefined;

  /**
   * @param onBrokenPipe - called once when the reader has gone away (EPIPE); later lines are dropped.
   * @param onError - called for any other write error.
   */
  constructor(stream: NodeJS.WritableStream, onBrokenPipe: () => void, onError: (error: Error) => void) {
    this.#stream = stream;
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (this.#broken) return;
      this.#broken = true;
      this.#buffer = '';
      if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') onBrokenPipe();
      else onError(error);
    });
  }

  /** `true` once the reader has gone away. */
  get broken(): boolean {
    return this.#broken;
  }

  /**
   * Queues `line` and a newline. Returns a promise when the stream is full: await it before
   * producing more, so memory stays flat when the reader is slow.
   */
  writeLine(line: string): Promise<void> | undefined {
    if (this.#broken) return undefined;
    this.#buffer += line;
    this.#buffer += '\n';
    if (this.#buffer.length >= FLUSH_BYTES) this.flush();
    else if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(this.#flushLater);
    }
    return this.#drain;
  }

  readonly #flushLater = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  /** Writes what is queued now. */
  flush(): void {
    if (this.#buffer === '' || this.#broken) return;
    const text = this.#buffer;
    this.#buffer = '';
    this.beforeWrite?.();
    if (!this.#stream.write(text) && this.#drain === undefined) {
      this.#drain = new Promise<void>((resolve) => {
        const done = (): void => {
          this.#stream.off('drain', done);
          this.#stream.off('error', done);
          this.#drain = undefined;
          resolve();
        };
        this.#stream.on('drain', done);
        this.#stream.on('error', done);
      });
    }
  }

  /** Flushes and resolves once everything written so far has left the process. */
  async end(): Promise<void> {
    this.flush();
    while (this.#drain !== undefined && !this.#broken) await this.#drain;
  }
}
