// `npm run demo`: the seed's is_prime exercise on a local pool, then the speed-up over one core.
// Runs the CLI as a user would (under tsx, so the TypeScript task module works as it is).
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

const cli = ['--import', 'tsx', 'src/cli/main.ts', 'map', 'examples/primes.ts#isPrime', '--json', '--no-progress'];

/** Runs the CLI; returns the wall time of the map itself, from its summary line (start-up excluded). */
function run(args, { show }) {
  const r = spawnSync(process.execPath, [...cli, ...args], { encoding: 'utf8' });
  if (show) process.stdout.write(r.stdout);
  if (r.status !== 0) {
    process.stderr.write(r.stderr);
    process.exit(r.status ?? 1);
  }
  const summary = r.stderr.trim().split('\n').at(-1) ?? '';
  if (show) console.error(summary);
  const ms = /items? in ([\d.,]+) (ms|s)\b/.exec(summary);
  return ms === null ? NaN : Number(ms[1].replace(',', '')) / (ms[2] === 's' ? 1 : 1000);
}

console.log('$ concurrent-ts map examples/primes.ts#isPrime --json --input examples/primes.txt --format \'{input} is prime: {result}\'');
run(['--input', 'examples/primes.txt', '--format', '{input} is prime: {result}'], { show: true });

const cores = availableParallelism();
console.log(`\nThe speed-up: 16 primes near 10^15 (examples/primes-large.txt), on 1 worker, then on ${cores}.`);
const one = run(['--input', 'examples/primes-large.txt', '--workers', '1'], { show: false });
const all = run(['--input', 'examples/primes-large.txt', '--workers', String(cores)], { show: false });
console.log(`1 worker: ${one.toFixed(2)} s   ${cores} workers: ${all.toFixed(2)} s   speed-up ${(one / all).toFixed(2)}× (pool start-up included)`);
