// `npx tsx bench/transfer.ts` (after `npm run build` and `npm --prefix bench install`): a 64 MiB
// ArrayBuffer to a thread worker and back, moved (`transfer()`) and copied, on concurrent-ts's
// ThreadPoolExecutor and on piscina (`Piscina.move()`), one worker each, in one run. Prints the
// median round trip of each and the ratios; docs/transfer.md quotes a run.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { importPeer } from './lib/peer.js';
import { buildDir } from './lib/paths.js';

/** piscina's tasks, as plain JavaScript: its workers load their file without the TypeScript loader. */
const PISCINA_TASKS = `import { move } from 'piscina';
function touch(buffer) {
  const bytes = new Uint8Array(buffer);
  bytes[0]++;
  bytes[bytes.length - 1]++;
  return buffer;
}
export function touchMoved(buffer) { return move(touch(buffer)); }
export function touchCopied(buffer) { return touch(buffer); }
`;

const SIZE = 64 << 20;
const ROUNDS = 9;

interface Pool {
  submit(fn: unknown, ...args: unknown[]): PromiseLike<unknown>;
  shutdown(): Promise<void>;
}
interface ConcurrentTs {
  ThreadPoolExecutor: new (options: { maxWorkers: number }) => Pool;
  taskModule(url: URL): Record<string, unknown>;
  transfer(value: unknown): unknown;
}
interface PiscinaPool {
  run(task: unknown, options: { name: string; transferList?: ArrayBuffer[] }): Promise<unknown>;
  destroy(): Promise<void>;
}
interface PiscinaModule {
  Piscina: new (options: { filename: string; minThreads: number; maxThreads: number }) => PiscinaPool;
  move(this: void, value: ArrayBuffer): unknown;
}

/** Median of the rounds after a warm-up one, in ms; each round sends a fresh buffer. */
async function measure(name: string, roundTrip: (buffer: ArrayBuffer) => PromiseLike<unknown>): Promise<number> {
  const times: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const buffer = new ArrayBuffer(SIZE);
    const start = performance.now();
    const back = await roundTrip(buffer);
    const ms = performance.now() - start;
    if (!(back instanceof ArrayBuffer) || back.byteLength !== SIZE || new Uint8Array(back)[0] !== 1) throw new Error(`${name}: the buffer did not come back whole`);
    if (round > 0) times.push(ms);
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  console.log(`${name.padEnd(34)} ${median.toFixed(2).padStart(8)} ms`);
  return median;
}

const ct = await importPeer<ConcurrentTs>(new URL('../dist/index.js', import.meta.url).href);
const { Piscina, move } = await importPeer<PiscinaModule>('piscina');
const tasksUrl = new URL('./transfer-tasks.ts', import.meta.url);
const tasks = ct.taskModule(tasksUrl);
const pool = new ct.ThreadPoolExecutor({ maxWorkers: 1 });
mkdirSync(buildDir, { recursive: true });
const piscinaTasks = join(buildDir, 'transfer-piscina-tasks.mjs');
writeFileSync(piscinaTasks, PISCINA_TASKS);
const piscina = new Piscina({ filename: pathToFileURL(piscinaTasks).href, minThreads: 1, maxThreads: 1 });

console.log(`64 MiB ArrayBuffer, to one worker thread and back (median of ${ROUNDS} rounds)`);
const ctMoved = await measure('concurrent-ts transfer()', (b) => pool.submit(tasks.touchMoved, ct.transfer(b)));
const ctCopied = await measure('concurrent-ts copy', (b) => pool.submit(tasks.touchCopied, b));
const piMoved = await measure('piscina move()', (b) => piscina.run(move(b), { name: 'touchMoved' }));
const piCopied = await measure('piscina copy', (b) => piscina.run(b, { name: 'touchCopied' }));
console.log(`concurrent-ts: transfer is ${(ctCopied / ctMoved).toFixed(1)}× faster than copying`);
console.log(`piscina: move() is ${(piCopied / piMoved).toFixed(1)}× faster than copying`);
console.log(`concurrent-ts transfer() vs piscina move(): ${(piMoved / ctMoved).toFixed(2)}× (above 1: concurrent-ts is faster)`);
await pool.shutdown();
await piscina.destroy();
