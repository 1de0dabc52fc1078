// The course chapter's Lock example: five processes print under one lock, in random order. Python sleeps
// randint(0, 6) seconds; here it is tenths of a second, to keep the example quick.
import { Lock, Process } from 'concurrent-ts/multiprocessing';

async function f(lock: Lock, i: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, Math.floor(Math.random() * 7) * 100));

  await lock.acquire();
  try {
    console.log('Process #', i);
  } finally {
    lock.release();
  }
}

const lock = new Lock();

for (let i = 1; i < 6; i++) new Process({ target: f, args: [lock, i] }).start();
