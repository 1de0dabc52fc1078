/**
 * TypeScript loaders in workers. On Node 20 a `--import tsx` inherited by a worker thread does not
 * apply to the modules the worker loads (node#47747), so a `.ts` task module would fail there
 * with "Unknown file extension". When the program runs under tsx, each worker thread registers
 * tsx itself, through tsx's API, before loading anything else.
 *
 * @module
 */

let cached: string | null | undefined;

/** The URL of tsx's ESM API when the program runs under tsx, else `null`. */
export function tsxApiUrl(): string | null {
  if (cached !== undefined) return cached;
  cached = null;
  const flags = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
  const loader = flags.find((flag) => /(^|[/\\@=])tsx([/\\]|$)/.test(flag) || flag === 'tsx');
  if (loader === undefined) return cached;
  try {
    cached = import.meta.resolve('tsx/esm/api');
  } catch {
    // tsx is not resolvable from here (a global install): derive the API from the loader's own path.
    const match = /^(.*[/\\]tsx[/\\])dist[/\\]/.exec(loader.replace(/^file:\/\//, ''));
    cached = match === null ? null : new URL(`${match[1] ?? ''}dist/esm/api/index.mjs`, 'file://').href;
  }
  return cached;
}

/** Source of a worker that registers tsx, then imports `entry`. */
export function bootstrapSource(entry: URL, tsxApi: string): string {
  return `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); });`;
}
