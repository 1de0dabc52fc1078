/**
 * The CLI's failures: each is one line on stderr, no stack trace, and an exit code that says
 * what went wrong (2: the command line; 1: the run; 141: stdout closed early). And the help texts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { cliEnv, hasStackTrace, lines, MAIN, ROOT, runCli, startCli, TASKS } from './helpers/cli.js';

/** Asserts a one-line error on stderr matching `message`, no stack trace, and exit code `code`. */
function assertOneLineError(r: { code: number | null; stderr: string; stdout: string }, code: number, message: RegExp): void {
  assert.equal(r.code, code, `exit code (stderr: ${r.stderr})`);
  const err = lines(r.stderr);
  assert.equal(err.length, 1, `one line on stderr, got:\n${r.stderr}`);
  assert.match(err[0] ?? '', message);
  assert.ok(!hasStackTrace(r.stderr), 'no stack trace');
}

describe('concurrent-ts map: bad command lines (exit 2)', () => {
  test('a module that does not exist', async () => {
    const r = await runCli(['map', 'no/such/tasks.js#f']);
    assertOneLineError(r, 2, /^concurrent-ts: cannot find module no\/such\/tasks\.js \(looked for .*no\/such\/tasks\.js\)$/);
  });

  test('an export that does not exist: the message lists the module\'s functions', async () => {
    const r = await runCli(['map', `${TASKS}#nope`]);
    assertOneLineError(r, 2, /^concurrent-ts: test\/fixtures\/cli\/tasks\.ts#nope: no export named "nope" \(its exported functions: add, block, default, double, echo, failOnThree, spin\)$/);
  });

  test('an export that is not a function', async () => {
    const r = await runCli(['map', `${TASKS}#notAFunction`]);
    assertOneLineError(r, 2, /#notAFunction: the export "notAFunction" is a number, not a function/);
  });

  test('a module without a default export and no #EXPORT', async () => {
    const r = await runCli(['map', 'examples/primes.ts']);
    assertOneLineError(r, 2, /examples\/primes\.ts#default: no default export; name the function after # \(its exported functions: isPrime\)$/);
  });

  test('a module that throws while loading', async () => {
    const r = await runCli(['map', 'test/fixtures/cli/broken.ts#f']);
    assertOneLineError(r, 2, /^concurrent-ts: test\/fixtures\/cli\/broken\.ts#f: cannot import: Error: this module refuses to load$/);
  });

  test('an --input file that does not exist', async () => {
    const r = await runCli(['map', `${TASKS}#double`, '--input', 'no-such-input.txt']);
    assertOneLineError(r, 2, /^concurrent-ts: cannot read --input no-such-input\.txt: no such file$/);
  });

  test('a bad option value and an unknown placeholder', async () => {
    const workers = await runCli(['map', `${TASKS}#double`, '--workers', '0']);
    assert.equal(workers.code, 2);
    assert.match(workers.stderr, /option '-w, --workers <n>' argument '0' is invalid\. expected a whole number ≥ 1/);
    assert.ok(!hasStackTrace(workers.stderr));
    const format = await runCli(['map', `${TASKS}#double`, '--format', '{nope}']);
    assertOneLineError(format, 2, /^concurrent-ts: --format: unknown placeholder \{nope\}; use \{input\}, \{result\} or \{line\}/);
  });

  test('--timeout with a --chunksize above 1', async () => {
    const r = await runCli(['map', `${TASKS}#double`, '--timeout', '100', '--chunksize', '8']);
    assertOneLineError(r, 2, /--timeout is per item and needs --chunksize 1/);
  });

  test('an unknown option', async () => {
    const r = await runCli(['map', `${TASKS}#double`, '--frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown option '--frobnicate'/);
    assert.ok(!hasStackTrace(r.stderr));
  });
});

describe('concurrent-ts map: bad input lines (exit 1)', () => {
  test('a malformed JSON line stops the run with its line number; earlier results are printed', async () => {
    const r = await runCli(['map', `${TASKS}#double`, '--json'], '1\n2\n{oops\n4\n');
    assert.equal(r.stdout, '2\n4\n');
    assertOneLineError(r, 1, /^concurrent-ts: line 3 \(\{oops\): malformed JSON: /);
  });

  test('with --keep-going a malformed line is reported and skipped', async () => {
    const r = await runCli(['map', `${TASKS}#double`, '--json', '--keep-going', '-q'], '1\n{oops\n4\n');
    assert.deepEqual(lines(r.stdout), ['2', '8']);
    assertOneLineError(r, 1, /^concurrent-ts: line 2 \(\{oops\): malformed JSON: /);
  });

  test('--spread with a line that is not an array', async () => {
    const r = await runCli(['map', `${TASKS}#add`, '--spread'], '[1, 2]\n3\n');
    assertOneLineError(r, 1, /^concurrent-ts: line 2 \(3\): --spread needs a JSON array of arguments, got a number$/);
  });
});

describe('concurrent-ts: a closed stdout', () => {
  test('`map … | head -1` prints one line and ends quietly with 141 (128 + SIGPIPE), even on an endless input', async () => {
    const script = `yes 7 | node --import tsx ${JSON.stringify(MAIN)} map ${TASKS}#double --json | head -1; echo "status=\${PIPESTATUS[1]}" >&2`;
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env: cliEnv() });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    await once(child, 'close');
    assert.equal(stdout, '14\n');
    assert.equal(stderr, 'status=141\n', 'nothing but the status on stderr: no EPIPE, no stack trace');
  });

  test('a reader that goes away mid-stream: no EPIPE trace', async () => {
    const child = startCli(['map', `${TASKS}#double`, '--json']);
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    child.stdin.on('error', () => {});
    const feed = (): void => {
      if (!child.stdin.writable) return;
      if (child.stdin.write('1\n2\n3\n4\n5\n6\n7\n8\n'.repeat(512))) setImmediate(feed);
      else child.stdin.once('drain', feed);
    };
    feed();
    await once(child.stdout, 'data');
    child.stdout.destroy();
    const [code] = (await once(child, 'close')) as [number | null];
    assert.equal(code, 141);
    assert.equal(stderr, '');
  });

  test('`--help | head -1` is quiet too', async () => {
    const child = spawn('bash', ['-c', `node --import tsx ${JSON.stringify(MAIN)} map --help | head -1`], { cwd: ROOT, env: cliEnv() });
    let stderr = '';
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (t: string) => (stdout += t));
    child.stderr.setEncoding('utf8').on('data', (t: string) => (stderr += t));
    await once(child, 'close');
    assert.equal(stdout, 'Usage: concurrent-ts map [options] <MODULE#EXPORT>\n');
    assert.equal(stderr, '');
  });
});

describe('concurrent-ts --help', () => {
  test('the program help lists the commands and shows the is_prime example', async () => {
    const r = await runCli(['--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^Usage: concurrent-ts \[options\] \[command\]/);
    assert.match(r.stdout, /\n {2}map \[options\] <MODULE#EXPORT>/);
    assert.match(r.stdout, /\n {2}worker \[options\]/);
    assert.match(r.stdout, /concurrent-ts map \.\/primes\.mjs#isPrime --json/);
    assert.match(r.stdout, /112272535095293 is prime: true/);
  });

  test('map --help documents every option, the output rules, examples and exit codes', async () => {
    const r = await runCli(['map', '--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--input', '--json', '--spread', '--threads', '--processes', '--workers', '--chunksize', '--buffersize',
      '--timeout', '--format', '--unordered', '--keep-going', '--trace', '--quiet', '--no-progress', '--redis', '--queue',
      '--output', '--joblog', '--resume', '--resume-failed', '--retries', '--halt', '--eta']) {
      assert.ok(r.stdout.includes(flag), `map --help mentions ${flag}`);
    }
    assert.ok(!r.stdout.includes('--report-rss'), 'the measuring flag stays hidden');
    assert.match(r.stdout, /not\s+Python's True\/False/);
    assert.match(r.stdout, /Examples:\n/);
    assert.match(r.stdout, /Exit codes:\n {2}0 /);
    assert.match(r.stdout, /\n {2}3 {4}--halt stopped the run/);
  });

  test('worker --help and `help map` work; no command is a usage error', async () => {
    const worker = await runCli(['worker', '--help']);
    assert.equal(worker.code, 0);
    assert.match(worker.stdout, /--allow <module>/);
    const help = await runCli(['help', 'map']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: concurrent-ts map/);
    const none = await runCli([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /^Usage: concurrent-ts/);
  });

  test('--version prints the package version', async () => {
    const r = await runCli(['--version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
  });
});
