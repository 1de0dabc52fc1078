// The course chapter's ProcessPoolExecutor exercise: is_prime over nums, printed in input order.
// isPrime uses only its argument and Math, so it travels as source text. True/False are Python's words.
import { ProcessPoolExecutor } from 'concurrent-ts';

const nums = [
  112272535095293,
  112582705942171,
  102272535065492,
  115280095190773,
  115797848077099,
  1099726899285419];

function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n === 2) return true;
  if (n % 2 === 0) return false;

  const sqrtN = Math.floor(Math.sqrt(n));
  for (let i = 3; i < sqrtN + 1; i += 2) {
    if (n % i === 0) return false;
  }
  return true;
}

const executor = new ProcessPoolExecutor();
try {
  let i = 0;
  for await (const prime of executor.map(isPrime, nums)) {
    console.log(`${nums[i++]} is prime: ${prime ? 'True' : 'False'}`);
  }
} finally {
  await executor.shutdown();
}
