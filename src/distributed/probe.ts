/**
 * Runs inside the worker's pool (a thread or child process), never in the worker's main thread:
 * imports an allowed module and lists its exported functions. The worker does this once per
 * allowed module at start-up, so a module that cannot load stops the worker at once, and a job
 * naming an export the module does not have is refused before anything runs.
 *
 * Importing in the pool and not in the worker's main thread matters: there `isMain()` is false,
 * so a task module that is also a program (`if (isMain()) …`) does not start that program.
 *
 * @module
 */

/** The names of the functions `url` exports (and, for a CommonJS module, the functions of `module.exports`). */
export async function exportedFunctions(url: string): Promise<string[]> {
  const mod = await import(url) as Record<string, unknown>;
  const names = new Set<string>();
  for (const key of Object.keys(mod)) {
    if (typeof mod[key] === 'function') names.add(key);
  }
  const fallback = mod.default;
  if (fallback !== null && typeof fallback === 'object') {
    for (const key of Object.keys(fallback)) {
      if (typeof (fallback as Record<string, unknown>)[key] === 'function') names.add(key);
    }
  }
  return [...names];
}
