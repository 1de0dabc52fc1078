/**
 * A task module of the CLI itself. Before reading any input, `concurrent-ts map` runs
 * {@link describeExport} on one worker to check that `MODULE#EXPORT` names a function, so that a
 * wrong name fails at once with a clear message, unless the function was found on the CLI's own
 * thread (inline-switch.ts): then it runs as the workers start, if the run goes to them. Here
 * `isMain()` is `false`, as it is for the tasks.
 *
 * @module
 */

/** The answer of {@link describeExport}: `null` when the export is a function, else why not. */
type ExportProblem = string | null;

/**
 * Imports `url` and says whether its export `name` is a function (also looked up on `default`,
 * as for a CommonJS module). Never throws: an import failure is returned as the problem.
 */
export async function describeExport(url: string, name: string): Promise<ExportProblem> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    let reason = `${e.name}: ${String(e.message).split('\n')[0] ?? ''}`;
    if (e.code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?tsx?$/.test(url)) {
      reason += ' — a TypeScript module needs a TypeScript loader: run the CLI as `NODE_OPTIONS="--import tsx" concurrent-ts …` (or `npx tsx …`)';
    }
    return `cannot import: ${reason}`;
  }
  const fallback = mod.default as Record<string, unknown> | null | undefined;
  const value = name in mod ? mod[name] : fallback !== null && typeof fallback === 'object' ? fallback[name] : undefined;
  if (typeof value === 'function') return null;
  const functions = Object.keys(mod).filter((key) => typeof mod[key] === 'function');
  const has = functions.length > 0 ? `its exported functions: ${functions.join(', ')}` : 'it exports no function';
  if (value === undefined && !(name in mod)) {
    return name === 'default' ? `no default export; name the function after # (${has})` : `no export named "${name}" (${has})`;
  }
  const kind = value === null || value === undefined ? String(value) : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
  return `the export "${name}" is ${kind}, not a function (${has})`;
}
