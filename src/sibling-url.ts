/**
 * The URL of a module of the library next to the caller's own file, for what is loaded by URL
 * (worker entries, task modules): with `.ts` while the library runs from its sources (tests,
 * `tsx`), `.js` once built.
 *
 * @module
 */

/**
 * @param path - the module's path relative to the caller, without extension (`'../entries/thread-entry'`).
 * @param base - the caller's `import.meta.url`.
 * @returns the module's URL, with the caller's extension.
 */
export function siblingUrl(path: string, base: string): URL {
  return new URL(`${path}${base.endsWith('.ts') ? '.ts' : '.js'}`, base);
}
