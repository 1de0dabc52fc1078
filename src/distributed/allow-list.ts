/**
 * The worker's allow-list: the only modules a job may name. Each entry is a path (relative to the
 * working directory) or a `file:` URL, optionally with an explicit logical name:
 *
 * ```
 * --allow ./dist/tasks.js           → "tasks"  (the file name without extension)
 * --allow img=./lib/image-tasks.js  → "img"
 * ```
 *
 * Jobs name modules by logical name only. A name is looked up in this map and nowhere else, so a
 * path with `..`, a `data:` or `http:` URL, or `__proto__` in a job matches nothing, and nothing is
 * imported for it.
 *
 * @module
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ValueError } from '../errors.js';
import { taskRef, type TaskRef } from '../task-ref/task-module.js';
import { isExportName, isModuleName, moduleNameOf } from './wire.js';

/** One allowed module. */
export interface AllowedModule {
  /** The logical name jobs use. */
  readonly name: string;
  /** The module's `file:` URL on this machine. */
  readonly url: string;
  /** Its exported functions, once the pool has loaded it. */
  exports: ReadonlySet<string>;
  /** Task references, made once per export. */
  readonly refs: Map<string, TaskRef>;
}

/**
 * Parses `--allow` entries into logical name → module.
 *
 * @throws {ValueError} for an entry that is not a path or `file:` URL, a file that does not exist,
 * a name that is not a valid logical name, or two modules with the same name.
 */
export function parseAllowList(entries: readonly string[], cwd: string = process.cwd()): Map<string, AllowedModule> {
  if (!Array.isArray(entries) || entries.length === 0) {
    throw new ValueError('a worker needs at least one allowed task module (--allow ./tasks.js)');
  }
  const modules = new Map<string, AllowedModule>();
  for (const entry of entries) {
    if (typeof entry !== 'string' || entry === '') throw new ValueError(`an --allow entry must be a path or a file: URL, got ${JSON.stringify(entry)}`);
    let name: string | undefined;
    let spec = entry;
    const eq = entry.indexOf('=');
    if (eq > 0 && isModuleName(entry.slice(0, eq))) {
      name = entry.slice(0, eq);
      spec = entry.slice(eq + 1);
    }
    const url = toFileUrl(spec, cwd);
    const path = fileURLToPath(url);
    let isFile = false;
    try {
      isFile = statSync(path).isFile();
    } catch {
      isFile = false;
    }
    if (!isFile) throw new ValueError(`--allow ${entry}: no such file ${path}`);
    name ??= moduleNameOf(url);
    if (name === undefined) {
      throw new ValueError(`--allow ${entry}: the file name does not make a valid module name; name it explicitly: --allow tasks=${spec}`);
    }
    const clash = modules.get(name);
    if (clash !== undefined) {
      if (clash.url === url) continue;
      throw new ValueError(`two allowed modules are named "${name}" (${fileURLToPath(clash.url)} and ${path}); ` +
        `name one explicitly: --allow other=${spec}`);
    }
    modules.set(name, { name, url, exports: new Set(), refs: new Map() });
  }
  return modules;
}

function toFileUrl(spec: string, cwd: string): string {
  if (/^[a-z][a-z0-9+.-]*:/i.test(spec) && !/^[a-z]:[\\/]/i.test(spec)) {
    if (!spec.startsWith('file:')) {
      throw new ValueError(`--allow ${spec}: only local files (a path or a file: URL) can be allowed`);
    }
    try {
      return pathToFileURL(fileURLToPath(spec)).href;
    } catch {
      throw new ValueError(`--allow ${spec}: not a valid file: URL`);
    }
  }
  return pathToFileURL(resolve(cwd, spec)).href;
}

/** The reference a job resolves to, or `undefined` when the export is not a function of the module. */
export function allowedRef(module: AllowedModule, name: string): TaskRef | undefined {
  // A name with a reference passed the checks below once: a Map lookup per job, not a pattern test.
  const known = module.refs.get(name);
  if (known !== undefined) return known;
  if (!isExportName(name) || !module.exports.has(name)) return undefined;
  const ref = taskRef(module.url, name);
  module.refs.set(name, ref);
  return ref;
}
