/**
 * `MODULE#EXPORT` on the command line: which function `concurrent-ts map` applies. `MODULE` is a
 * path, relative to the current directory, or a `file:` URL; `#EXPORT` defaults to `default`.
 *
 * @module
 */
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CliError, EXIT } from './cli-error.js';

/** A parsed `MODULE#EXPORT`. */
interface TaskSpec {
  /** The module's `file:` URL, as workers import it. */
  readonly url: string;
  /** The export name. */
  readonly name: string;
  /** What the user wrote, for messages. */
  readonly shown: string;
}

/**
 * Parses and resolves `MODULE#EXPORT` against `cwd`, and checks that the file exists.
 *
 * @throws {CliError} (exit code 2) for an empty export name or a module file that does not exist.
 */
export function parseTaskSpec(spec: string, cwd: string): TaskSpec {
  const hash = spec.lastIndexOf('#');
  const modulePart = hash < 0 ? spec : spec.slice(0, hash);
  const name = hash < 0 ? 'default' : spec.slice(hash + 1);
  if (modulePart === '') throw new CliError(`"${spec}" names no module; write MODULE#EXPORT, e.g. ./tasks.js#isPrime`);
  if (name === '') throw new CliError(`"${spec}" names no export after #; write MODULE#EXPORT, e.g. ./tasks.js#isPrime`);
  let path: string;
  if (modulePart.startsWith('file:')) {
    try {
      path = fileURLToPath(modulePart);
    } catch {
      throw new CliError(`"${modulePart}" is not a valid file: URL`);
    }
  } else {
    path = isAbsolute(modulePart) ? modulePart : resolve(cwd, modulePart);
  }
  if (!existsSync(path)) {
    throw new CliError(`cannot find module ${modulePart} (looked for ${path})`, EXIT.usage);
  }
  if (statSync(path).isDirectory()) {
    throw new CliError(`module ${modulePart} is a directory; name a file, e.g. ${modulePart.replace(/\/$/, '')}/index.js`, EXIT.usage);
  }
  return { url: pathToFileURL(path).href, name, shown: modulePart };
}
