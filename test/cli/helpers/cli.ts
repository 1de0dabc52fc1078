/**
 * Runs the `concurrent-ts` CLI as a subprocess from its TypeScript source, the way a user runs
 * the bin (`node --import tsx src/cli/main.ts …`), so the tests need no build.
 *
 * @module
 */
import { spawn, type ChildProcessWithoutNullStreams, type SpawnOptionsWithoutStdio } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The CLI's entry file. */
export const MAIN = fileURLToPath(new URL('../../../src/cli/main.ts', import.meta.url));
/** `MODULE#` prefix of the test task module (relative to {@link ROOT}, where the CLI runs). */
export const TASKS = 'test/fixtures/cli/tasks.ts';

/** The course chapter's six numbers and the lines its `is_prime` exercise prints (with JS booleans). */
export const CHAPTER_LINES = [
  '112272535095293 is prime: true',
  '112582705942171 is prime: true',
  '102272535065492 is prime: false',
  '115280095190773 is prime: true',
  '115797848077099 is prime: true',
  '1099726899285419 is prime: false',
];

/** What a finished run left. */
export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The environment of a CLI child: no `CI`, no debug switches, unless `extra` sets them. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  if (!('CI' in extra)) delete env.CI;
  delete env.CONCURRENT_TS_DEBUG;
  delete env.NODE_OPTIONS;
  return env;
}

/** Starts the CLI with `args`; the caller drives its streams. */
export function startCli(args: readonly string[], options: SpawnOptionsWithoutStdio = {}): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: ROOT, env: cliEnv(), ...options });
}

/** Runs the CLI to the end with `stdin` as its input (empty by default). */
export async function runCli(args: readonly string[], stdin = '', options: SpawnOptionsWithoutStdio = {}): Promise<CliResult> {
  const child = startCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  child.stdin.on('error', () => {});
  child.stdin.end(stdin);
  const [code, signal] = (await once(child, 'close')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stdout, stderr };
}

/** The lines of `text`, without the empty string after the final newline. */
export function lines(text: string): string[] {
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  return all;
}

/** `true` if `text` looks like it holds a stack trace. */
export function hasStackTrace(text: string): boolean {
  return /^\s+at .+(:\d+:\d+\)?|<anonymous>)$/m.test(text) || /node:internal/.test(text);
}
