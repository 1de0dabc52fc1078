import { ProcessPoolExecutor } from 'concurrent-ts';

const nums = [112272535095293, 112582705942171, 102272535065492, 115280095190773, 115797848077099, 1099726899285419];

function isPrime(n) {
  if (n < 2) return false;
  if (n === 2) return true;
  if (n % 2 === 0) return false;
  const sqrtN = Math.floor(Math.sqrt(n));
  for (let i = 3; i <= sqrtN; i += 2) if (n % i === 0) return false;
  return true;
}

const executor = new ProcessPoolExecutor();
try {
  let i = 0;
  for await (const prime of executor.map(isPrime, nums)) console.log(`${nums[i++]} is prime: ${prime}`);
} finally {
  await executor.shutdown(); // what Python's `with` does at the end of the block
}
