/**
 * Runs a TypeScript script in a fresh `node --import tsx` and reports how it ended, like
 * CPython's `assert_python_ok`: for the behaviours that only show at program exit.
 *
 * @module
 */
import { spawn } from 'node:child_process';

export interface ScriptResult {
  /** Exit code, or the negated signal number (−9 for SIGKILL). */
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/**
 * Runs `script` with `args`; kills it and rejects if it has not ended after `timeoutMs`
 * (a program that hangs at exit is exactly what these tests look for).
 */
export function runScript(script: URL, args: readonly string[] = [], timeoutMs = 30_000): Promise<ScriptResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script.pathname, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script.pathname} did not exit within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const signals: Record<string, number> = { SIGKILL: 9, SIGTERM: 15, SIGINT: 2, SIGABRT: 6, SIGSEGV: 11 };
      resolve({ code: code ?? -(signals[signal ?? ''] ?? 1), stdout, stderr, ms: performance.now() - started });
    });
  });
}
