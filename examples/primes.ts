/**
 * The classic `is_prime` exercise, as a task module: `concurrent-ts map examples/primes.ts#isPrime`.
 *
 * @module
 */

/** `true` if `n` is a prime number (trial division by odd numbers up to √n). */
export function isPrime(n: number): boolean {
  if (n < 2) return false;
  if (n === 2) return true;
  if (n % 2 === 0) return false;

  const sqrtN = Math.floor(Math.sqrt(n));
  for (let i = 3; i <= sqrtN; i += 2) {
    if (n % i === 0) return false;
  }
  return true;
}
