/**
 * Whether two of the CLI's file options name one file: `-i data.txt -o data.txt` would empty the
 * input before it is read, and a joblog written into the results' file would corrupt both.
 *
 * @module
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { CliError } from './cli-error.js';

/** A file's identity, or `undefined` when it does not exist yet; `null` when it is not a regular file. */
function identity(path: string): { dev: number; ino: number } | null | undefined {
  try {
    const stats = statSync(path);
    return stats.isFile() ? { dev: stats.dev, ino: stats.ino } : null;
  } catch {
    return undefined;
  }
}

/**
 * Whether `a` and `b` are one regular file (or will be: the same path, not created yet). Devices,
 * pipes and terminals are never "the same file": `-o /dev/null --joblog /dev/null` is fine.
 */
function sameFile(a: string, b: string): boolean {
  const x = identity(a);
  const y = identity(b);
  if (x === null || y === null) return false;
  if (resolve(a) === resolve(b)) return true;
  return x !== undefined && y !== undefined && x.dev === y.dev && x.ino === y.ino;
}

/**
 * @param files - each option's name (`--output`) and the path it was given, `undefined` when absent.
 * @throws {CliError} (usage) when two options name one file.
 */
export function checkDistinctFiles(files: ReadonlyArray<readonly [string, string | undefined]>): void {
  const given = files.filter((entry): entry is readonly [string, string] => entry[1] !== undefined);
  for (let i = 0; i < given.length; i++) {
    for (let j = i + 1; j < given.length; j++) {
      const [nameA, pathA] = given[i] as readonly [string, string];
      const [nameB, pathB] = given[j] as readonly [string, string];
      if (sameFile(pathA, pathB)) {
        throw new CliError(`${nameA} ${pathA} and ${nameB} ${pathB} are the same file; writing one would destroy the other (give each its own file)`);
      }
    }
  }
}
