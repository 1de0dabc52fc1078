// The sequential floor: one process, a readline loop, isPrime on each line, buffered output.
//   node sequential.mjs INPUT > OUTPUT
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { isPrime } from './tasks.mjs';

const lines = createInterface({ input: createReadStream(process.argv[2]), crlfDelay: Infinity });
let out = '';
for await (const line of lines) {
  if (line === '') continue;
  out += `${isPrime(Number(line))}\n`;
  if (out.length > 65536) {
    if (!process.stdout.write(out)) await new Promise((resolve) => process.stdout.once('drain', resolve));
    out = '';
  }
}
process.stdout.write(out);
