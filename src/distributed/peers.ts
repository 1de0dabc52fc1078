/**
 * `bullmq` and `ioredis`, the optional peer dependencies of `concurrent-ts/distributed`, loaded
 * once for the whole entry point.
 *
 * A static `import { Queue } from 'bullmq'` fails at link time with Node's bare
 * `ERR_MODULE_NOT_FOUND … Cannot find package 'bullmq'`, before any code of the library runs. So
 * every value imported from the peers comes through here instead (type imports are erased and
 * stay static), and a missing peer becomes a {@link ModuleNotFoundError} that names every missing
 * package and the command that installs them, as the CLI says.
 *
 * @module
 */
import type * as BullMQ from 'bullmq';
import type * as IORedis from 'ioredis';
import { ModuleNotFoundError } from '../errors.js';

/** The peer packages, in the order the message names them. */
const PEERS = ['bullmq', 'ioredis'] as const;

type Peer = (typeof PEERS)[number];

/**
 * What `npm install` needs to fetch a version this library works with: the major version of each
 * peer range in package.json (`^6.7.0` → `bullmq@6`). A bare name could fetch a newer major,
 * which npm then refuses as a peer conflict. `test/distributed/peers.test.ts` holds the two in step.
 */
export const PEER_INSTALL: Readonly<Record<Peer, string>> = { bullmq: 'bullmq@6', ioredis: 'ioredis@5' };

/** Whether `error` says that `name` itself (not something it imports) cannot be found. */
function isMissing(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND')
    && typeof message === 'string' && message.includes(`'${name}'`);
}

/**
 * Imports every peer.
 *
 * @param load - imports one peer by name (a parameter so a test can stand in for the resolver).
 * @returns the peers' module namespaces, by name.
 * @throws {ModuleNotFoundError} naming every missing peer and the install command; any other
 * error a peer throws while loading, as it is.
 */
export async function loadPeers(load: (name: Peer) => Promise<unknown> = (name) => import(name)):
Promise<{ bullmq: typeof BullMQ; ioredis: typeof IORedis }> {
  const loaded = new Map<Peer, unknown>();
  const missing: Peer[] = [];
  let cause: unknown;
  for (const name of PEERS) {
    try {
      loaded.set(name, await load(name));
    } catch (error) {
      if (!isMissing(error, name)) throw error;
      missing.push(name);
      cause ??= error;
    }
  }
  if (missing.length > 0) {
    const names = missing.join(' and ');
    throw new ModuleNotFoundError(
      `concurrent-ts/distributed needs the package${missing.length > 1 ? 's' : ''} ${names}, not installed here; ` +
      `they are optional peer dependencies of concurrent-ts. Install ${missing.length > 1 ? 'them' : 'it'}: npm install ${missing.map((name) => PEER_INSTALL[name]).join(' ')}`,
      missing, { cause });
  }
  return { bullmq: loaded.get('bullmq') as typeof BullMQ, ioredis: loaded.get('ioredis') as typeof IORedis };
}

const peers = await loadPeers();

/** The `bullmq` module. */
export const bullmq = peers.bullmq;
/** The `ioredis` module. */
export const ioredis = peers.ioredis;
