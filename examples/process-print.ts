// The course chapter's Process example: console.log travels by name, as Python's print does.
import { Process } from 'concurrent-ts/multiprocessing';

const p = new Process({ target: console.log, args: ['text'] });
p.start();
await p.join();
