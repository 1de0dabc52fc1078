// The parallel floor: two raw worker threads, each given half of the numbers in one message;
// the main thread writes the answers in input order.
//   node floor.mjs INPUT > OUTPUT
import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const WORKER = `
const { parentPort } = require('node:worker_threads');
function isPrime(n) {
  if (n < 2) return false;
  if (n === 2) return true;
  if (n % 2 === 0) return false;
  const sqrtN = Math.floor(Math.sqrt(n));
  for (let i = 3; i <= sqrtN; i += 2) if (n % i === 0) return false;
  return true;
}
parentPort.once('message', (numbers) => {
  const out = new Uint8Array(numbers.length);
  for (let i = 0; i < numbers.length; i++) out[i] = isPrime(numbers[i]) ? 1 : 0;
  parentPort.postMessage(out, [out.buffer]);
});`;

const numbers = Float64Array.from(readFileSync(process.argv[2], 'utf8').split('\n').filter((l) => l !== ''), Number);
const half = Math.ceil(numbers.length / 2);
const parts = [numbers.subarray(0, half), numbers.subarray(half)];
const answers = await Promise.all(parts.map((part) => new Promise((resolve, reject) => {
  const worker = new Worker(WORKER, { eval: true });
  worker.once('message', (out) => {
    resolve(out);
    void worker.terminate();
  });
  worker.once('error', reject);
  worker.postMessage(part.slice());
})));
let out = '';
for (const part of answers) for (const flag of part) out += flag === 1 ? 'true\n' : 'false\n';
process.stdout.write(out);
