/**
 * The CLI's own failure: a one-line message for stderr and the exit code that goes with it.
 * `main.ts` prints it as `concurrent-ts: <message>`, without a stack trace.
 *
 * @module
 */

/** Exit codes of `concurrent-ts`; `docs/cli.md` lists them. */
export const EXIT = {
  /** Every input was processed and every item succeeded. */
  ok: 0,
  /** An item failed (or, with `--keep-going`, some did), or the input could not be read. */
  failed: 1,
  /** The command line is wrong: an unknown option, a bad value, a module or export that cannot be used. */
  usage: 2,
  /** `--halt` stopped the run: that many items failed. */
  halted: 3,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  interrupted: 130,
  /** Whoever read stdout stopped reading (`| head -1`): 128 + SIGPIPE, as a Unix tool killed by it. */
  brokenPipe: 141,
} as const;

/** An error the CLI reports as one line, then exits with {@link CliError.exitCode}. */
export class CliError extends Error {
  /** The process exit code. */
  readonly exitCode: number;

  constructor(message: string, exitCode: number = EXIT.usage, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/**
 * The first line of what was thrown, as `Name: message` — what the CLI prints for a failed item.
 * A thrown non-Error value (`throw 42`) prints as `thrown: 42`.
 */
export function describeThrown(error: unknown): string {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
    const e = error as { name?: unknown; message?: unknown };
    const name = typeof e.name === 'string' && e.name !== '' ? e.name : 'Error';
    const message = firstLine(String(e.message));
    return message === '' ? name : `${name}: ${message}`;
  }
  let text: string;
  try {
    text = typeof error === 'string' ? JSON.stringify(error) : String(error);
  } catch {
    text = Object.prototype.toString.call(error);
  }
  return `thrown: ${firstLine(text)}`;
}

/** The first line of `text`, with a marker when more lines were cut. */
export function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return end < 0 ? text : `${text.slice(0, end).trimEnd()} …`;
}
