#!/usr/bin/env node
/**
 * The `concurrent-ts` command: `map` (apply an exported function to every input line, in
 * parallel, in order) and `worker` (serve a distributed executor's queue). This file builds the
 * command line with commander and turns every failure into one line on stderr and an exit code;
 * the work is in `map-command.ts` and `worker-command.ts`.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { CliError, describeThrown, EXIT } from './cli-error.js';
import { parseHalt } from './halt-policy.js';
import { runMap, type CommandIO, type MapCommandOptions } from './map-command.js';
import { parseTaskSpec } from './task-spec.js';
import { runWorkerCommand, type WorkerCommandOptions } from './worker-command.js';

const PROGRAM_HELP = `
Examples:
  # The classic is_prime exercise: primes.mjs exports isPrime(n), nums.txt
  # holds one number per line; they are checked in parallel on every core
  # and printed in input order (--json passes 97, not "97")
  $ concurrent-ts map ./primes.mjs#isPrime --json \\
      --input nums.txt --format '{input} is prime: {result}'
  112272535095293 is prime: true
  112582705942171 is prime: true
  102272535065492 is prime: false
  ...

  # Any exported function; inputs from a pipe; results as they complete
  $ seq 1000 | concurrent-ts map ./tasks.js#square --json --unordered

All the options of map: concurrent-ts map --help`;

const MAP_HELP = `
MODULE#EXPORT names the function. MODULE is a path, relative to the current
directory, to an ES module or CommonJS file; EXPORT is one of its exported
functions (default: the default export). The function runs in a worker, once
per input line: fn(line) with the line as a string, fn(value) with --json,
fn(...array) with --spread. TypeScript modules need a loader:
  NODE_OPTIONS="--import tsx" concurrent-ts map tasks.ts#f

Results print one per line, in input order (on stdout, or in -o FILE): a
string as it is, anything else as JSON (true, 42, {"a":1}); with --json every
result is JSON. Booleans print as JavaScript's true/false,
not Python's True/False. In --format, {input} is the line, {result} the result
and {line} the line number; {{ and }} are braces.

--joblog FILE records each attempt of each item as a JSON line. Run the same
command with --resume after a kill (even SIGKILL): done items are skipped and
-o FILE ends as one uninterrupted run writes it ("Long runs" in the CLI docs).

Examples:
  $ concurrent-ts map ./primes.mjs#isPrime --json \\
      --input nums.txt --format '{input} is prime: {result}'
  $ seq 1000000 | concurrent-ts map ./tasks.js#square --json > squares.txt
  $ concurrent-ts map ./fetch.js#title --input urls.txt --unordered \\
      --timeout 10000 --keep-going
  $ echo '[2, 10]' | concurrent-ts map ./tasks.js#power --spread
  $ concurrent-ts map ./tasks.js#slow --input big.txt --trace run.json
  # a long run that can be killed and started again where it stopped:
  $ concurrent-ts map ./tasks.js#slow --input big.txt -o out.txt \\
      --joblog run.log --resume --retries 2 --halt soon,fail=1%

Exit codes:
  0    every item succeeded
  1    an item failed (after its --retries): the first failure stops the run
       (unless --keep-going or --halt) and stderr names its line
  2    bad command line, module or export
  3    --halt stopped the run
  130  interrupted (Ctrl-C)
  141  stdout was closed early (| head)`;

const WORKER_HELP = `
Example:
  $ concurrent-ts worker --redis redis://localhost:6379 --queue primes \\
      --allow ./tasks.js --concurrency 4
  # elsewhere, naming the same module path:
  $ concurrent-ts map ./tasks.js#isPrime --json \\
      --redis redis://localhost:6379 --queue primes < nums.txt`;

/** Builds the `concurrent-ts` command line; `io` is where commands read and write. */
function buildProgram(io: CommandIO): Command {
  const program = new Command('concurrent-ts')
    .description("Python's concurrent.futures for Node.js, as a command: apply an exported function to every " +
      'input line on all cores, and print the results in input order.')
    .version(readVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand('help [command]', 'show help for a command')
    .addHelpText('after', PROGRAM_HELP)
    .showHelpAfterError('(concurrent-ts --help shows usage)')
    .exitOverride();

  const map = program.command('map')
    .summary('apply a function to every input line, in parallel; results in input order')
    .description('Apply MODULE#EXPORT to every input line, in parallel on a pool of workers, and print one ' +
      'result per line, in input order.')
    .argument('<MODULE#EXPORT>', 'the function to apply, e.g. ./primes.mjs#isPrime')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(concurrent-ts map --help shows usage)')
    .exitOverride()
    .addOption(new Option('-i, --input <file>', 'read inputs from FILE, one per line (default: stdin)').helpGroup('Input:'))
    .addOption(new Option('--json', 'each line is a JSON value, passed as the argument; results print as JSON').helpGroup('Input:'))
    .addOption(new Option('--spread', 'each line is a JSON array, spread as the arguments: fn(...array)').helpGroup('Input:'))
    .addOption(new Option('--threads', 'run on worker threads (the default)').conflicts('processes').helpGroup('Workers:'))
    .addOption(new Option('--processes', 'run on child processes (isolation: a crash or process.exit ends one worker)').helpGroup('Workers:'))
    .addOption(new Option('-w, --workers <n>', `how many workers (default: ${availableParallelism()}, the CPU count)`).argParser(positiveInt).helpGroup('Workers:'))
    .addOption(new Option('--chunksize <n>', 'inputs sent to a worker per message (default: adaptive, from 1 up)').argParser(positiveInt).helpGroup('Workers:'))
    .addOption(new Option('--buffersize <n>', 'inputs read ahead of the output, at most (default: 16384, or 2048 per worker if more)').argParser(positiveInt).helpGroup('Workers:'))
    .addOption(new Option('--no-inline', 'never run the function on the main thread (by default a function that measures ' +
      'under 1 µs an item moves there, since sending it to workers would cost more)').helpGroup('Workers:'))
    .addOption(new Option('-t, --timeout <ms>', 'fail an item that runs longer than MS milliseconds (its worker is replaced)').argParser(positiveInt).helpGroup('Workers:'))
    .addOption(new Option('-f, --format <template>', "output line, e.g. '{input} is prime: {result}' (default: '{result}')").helpGroup('Output:'))
    .addOption(new Option('-u, --unordered', 'print results as they complete, not in input order').helpGroup('Output:'))
    .addOption(new Option('-o, --output <file>', 'write the results to FILE instead of stdout').helpGroup('Output:'))
    .addOption(new Option('-k, --keep-going', 'report failed items on stderr and go on; exit 1 at the end').helpGroup('Failures:'))
    .addOption(new Option('--retries <n>', 'try a failed item up to N more times').argParser(positiveInt).helpGroup('Failures:'))
    .addOption(new Option('--halt <when,fail=N>', 'go on after failures until N items failed (or P% of --input), then stop: ' +
      'now (at once) or soon (the items already read finish); exit 3').argParser(parseHalt).helpGroup('Failures:'))
    .addOption(new Option('--joblog <file>', 'append one JSON line per attempt of an item to FILE (line, start, ms, worker, attempt, outcome)').helpGroup('Failures:'))
    .addOption(new Option('--resume', 'with --joblog: skip the items a killed run already did, append to its --output').helpGroup('Failures:'))
    .addOption(new Option('--resume-failed', 'as --resume, and run the items that failed again').helpGroup('Failures:'))
    .addOption(new Option('--trace <file>', 'write a Chrome trace of the run to FILE (open it in ui.perfetto.dev)').helpGroup('Output:'))
    .addOption(new Option('-q, --quiet', 'no summary line on stderr at the end').helpGroup('Output:'))
    .addOption(new Option('--eta', 'count the items of --input first and show the ETA on the bar, or every 10 s on stderr when it is not a terminal').helpGroup('Output:'))
    .addOption(new Option('--no-progress', 'no progress bar (it shows only when stderr is a terminal and CI is unset)').helpGroup('Output:'))
    .addOption(new Option('--redis <url>', 'run on the workers of a Redis queue (see: concurrent-ts worker --help)').helpGroup('Distributed:'))
    .addOption(new Option('--queue <name>', 'the queue for --redis').default('concurrent-ts').helpGroup('Distributed:'))
    .addOption(new Option('--report-rss', 'print the peak resident set size at exit').hideHelp())
    .addHelpText('after', MAP_HELP)
    .action(async (target: string, options: MapCommandOptions) => {
      const spec = parseTaskSpec(target, io.cwd);
      process.exitCode = await runMap(spec, options, io);
    });
  map.configureOutput({ outputError: (text, write) => write(text) });

  program.command('worker')
    .summary('serve tasks from a Redis queue (a distributed executor\'s worker)')
    .description('Take tasks from a Redis queue and run them on a local pool: the other side of ' +
      '`concurrent-ts map --redis` and of DistributedExecutor. Only functions of --allow modules run.')
    .helpOption('-h, --help', 'show help')
    .showHelpAfterError('(concurrent-ts worker --help shows usage)')
    .exitOverride()
    .requiredOption('--redis <url>', 'the Redis server, e.g. redis://localhost:6379')
    .option('--queue <name>', 'the queue to serve', 'concurrent-ts')
    .option('--allow <module>', 'a module whose exported functions may run: a path, or name=path (repeatable)', collect, [] as string[])
    .option('-c, --concurrency <n>', 'jobs taken from the queue at once (default: twice the pool size)', positiveInt)
    .option('-w, --workers <n>', 'threads or processes in the local pool (default: the CPU count)', positiveInt)
    .option('--processes', 'run tasks on child processes instead of threads')
    .addOption(new Option('--inline', 'run tasks on the worker\'s main thread, no pool: faster for tiny or I/O-bound tasks; ' +
      'a running task cannot be stopped, and a long synchronous one delays the renewal of its job\'s lock').conflicts(['processes', 'workers']))
    .addHelpText('after', WORKER_HELP)
    .action(async (options: WorkerCommandOptions) => {
      process.exitCode = await runWorkerCommand(options);
    });

  return program;
}

/**
 * Runs the command line `argv` (as `process.argv`) and resolves with the exit code. Prints
 * errors as one line, `concurrent-ts: <message>`; a stack trace only with `CONCURRENT_TS_DEBUG=1`.
 */
async function main(argv: readonly string[], io: CommandIO): Promise<number> {
  const program = buildProgram(io);
  try {
    process.exitCode = 0;
    await program.parseAsync(argv);
    return Number(process.exitCode);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed its message (or the help) already.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof CliError) {
      io.stderr.write(`concurrent-ts: ${error.message}\n`);
      return error.exitCode;
    }
    io.stderr.write(`concurrent-ts: ${describeThrown(error)}\n`);
    if (io.env.CONCURRENT_TS_DEBUG === '1' && error instanceof Error) io.stderr.write(`${error.stack ?? ''}\n`);
    return EXIT.failed;
  }
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!/^\s*\d+\s*$/.test(value) || !Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(`expected a whole number ≥ 1, got "${value}".`);
  }
  return n;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** Waits until what was written to `stream` has left the process. */
function flushed(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || stream.writableEnded) resolve();
    else stream.write('', () => resolve());
  });
}

const io: CommandIO = {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  cwd: process.cwd(),
  exit: (code) => process.exit(code),
};

// A reader that stops early (`concurrent-ts --help | head -1`) is not an error worth a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.brokenPipe);
});

const code = await main(process.argv, io);
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
