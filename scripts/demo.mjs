// `npm run demo`: the classic is_prime exercise with the CLI, on a local pool, then what running
// it on every core bought: wall time, the CPU time the pool used, and how many cores were busy,
// so that a busy machine (the cores went to other programs) is told apart from a slow library.
// Runs from the TypeScript sources under tsx (`node --import tsx scripts/demo.mjs`), as a checkout
// has them: no build needed.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

const cli = ['--import', 'tsx', 'src/cli/main.ts', 'map', 'examples/primes.ts#isPrime', '--json', '--no-progress'];

console.log('$ concurrent-ts map examples/primes.ts#isPrime --json --input examples/primes.txt --format \'{input} is prime: {result}\'');
const r = spawnSync(process.execPath, [...cli, '--input', 'examples/primes.txt', '--format', '{input} is prime: {result}'], { encoding: 'utf8' });
process.stdout.write(r.stdout);
process.stderr.write(r.stderr);
if (r.status !== 0) process.exit(r.status ?? 1);

const { ThreadPoolExecutor, taskModule } = await import('../src/index.ts');
const tasks = taskModule(new URL('../examples/primes.ts', import.meta.url));
const numbers = readFileSync(new URL('../examples/primes-large.txt', import.meta.url), 'utf8').trim().split('\n').map(Number);

/** Runs isPrime over the numbers on a fresh pool; wall and CPU seconds, pool start-up included. */
async function measure(workers) {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const executor = new ThreadPoolExecutor({ maxWorkers: workers });
  try {
    await executor.map(tasks.isPrime, numbers, { chunksize: 1 }).toArray();
  } finally {
    await executor.shutdown();
  }
  const wall = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { workers, wall, cpu: (used.user + used.system) / 1e6 };
}

const cores = availableParallelism();
const load = loadavg()[0] ?? 0;
console.log(`\n${numbers.length} primes near 10^15 (examples/primes-large.txt) on 1 worker thread, then on ${cores}:`);
const runs = [await measure(1), await measure(cores)];
console.log('            wall      CPU used   cores busy');
for (const { workers, wall, cpu } of runs) {
  const label = `${workers} worker${workers === 1 ? '' : 's'}`.padEnd(12);
  console.log(`${label}${wall.toFixed(2).padStart(5)} s   ${cpu.toFixed(2).padStart(5)} s    ${(cpu / wall).toFixed(2)} of ${workers}`);
}
const [one, all] = runs;
console.log(`speed-up ${(one.wall / all.wall).toFixed(2)}× in wall time; load average ${load.toFixed(1)} on ${cores} cores before the runs.`);
const share = all.cpu / all.wall / cores;
if (share < 0.8) {
  console.log(`The ${cores} workers kept only ${Math.round(share * 100)}% of the cores busy: other programs had the rest, ` +
    'so the speed-up says more about this machine\'s load than about the library.');
}
