// The task module of the CLI benchmark (plain JavaScript, so the built CLI loads it without a loader).

/** The course chapter's trial division: odd divisors up to the square root. */
export function isPrime(n) {
  if (n < 2) return false;
  if (n === 2) return true;
  if (n % 2 === 0) return false;
  const sqrtN = Math.floor(Math.sqrt(n));
  for (let i = 3; i <= sqrtN; i += 2) {
    if (n % i === 0) return false;
  }
  return true;
}

/** The tiny task of the 1M-line map. */
export function noop(x) {
  return x;
}
