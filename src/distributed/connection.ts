/**
 * Redis connections for the executor and the worker: URL parsing (`redis://` and `rediss://`,
 * with an ACL user and password), reconnecting with backoff after a restart, and an error that
 * says which server could not be reached, without its password.
 *
 * @module
 */
import type { ConnectionOptions as TlsOptions } from 'node:tls';
import type { RedisOptions as BullRedisOptions } from 'bullmq';
import type { Redis, RedisOptions } from 'ioredis';
import { OSError, ValueError } from '../errors.js';
import { startTimer } from '../sync/deadline.js';
import { ioredis } from './peers.js';

/** Where to reach Redis: a `redis://` or `rediss://` URL, or ioredis options. */
export type RedisConnection = string | RedisOptions;

/** Longest pause between two reconnection attempts, in ms. */
const MAX_RECONNECT_DELAY = 2000;

/**
 * ioredis options for `connection`. A URL may carry a user and password
 * (`redis://user:secret@host:6379/0`); `rediss://` turns TLS on, and `tls` adds to it (a CA).
 *
 * @throws {ValueError} for a URL that is not `redis://` or `rediss://`.
 */
export function redisOptions(connection: RedisConnection, connectTimeout: number, tls?: TlsOptions): RedisOptions {
  const base: RedisOptions = typeof connection === 'string' ? parseRedisUrl(connection) : { ...connection };
  if (tls !== undefined) base.tls = { ...(typeof base.tls === 'object' ? base.tls : {}), ...tls };
  return {
    connectTimeout,
    // Reconnect for ever, quickly at first: a restarted Redis is back in a second or two.
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 10), MAX_RECONNECT_DELAY),
    ...base,
    // BullMQ's blocking commands need this; our own commands set their limits where they are made.
    maxRetriesPerRequest: null,
  };
}

/** Parses a Redis URL into ioredis options. */
export function parseRedisUrl(url: string): RedisOptions {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ValueError(`connection must be a redis:// or rediss:// URL, got ${JSON.stringify(redact(url))}`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new ValueError(`connection must be a redis:// or rediss:// URL, got a ${parsed.protocol} URL`);
  }
  const options: RedisOptions = { host: parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1', port: parsed.port === '' ? 6379 : Number(parsed.port) };
  if (parsed.username !== '') options.username = decodeURIComponent(parsed.username);
  if (parsed.password !== '') options.password = decodeURIComponent(parsed.password);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '') {
    if (!/^\d+$/.test(db)) throw new ValueError(`the database in a Redis URL is a number, got ${JSON.stringify(db)}`);
    options.db = Number(db);
  }
  if (parsed.protocol === 'rediss:') options.tls = {};
  return options;
}

/** `redis://host:port/db` (or `rediss://`), never with the credentials: for messages and logs. */
export function describeEndpoint(options: RedisOptions): string {
  const scheme = options.tls === undefined ? 'redis' : 'rediss';
  if (options.path !== undefined) return `${scheme}+unix://${options.path}`;
  const host = options.host ?? '127.0.0.1';
  const user = options.username === undefined ? '' : `${options.username}@`;
  return `${scheme}://${user}${host.includes(':') ? `[${host}]` : host}:${options.port ?? 6379}${options.db ? `/${options.db}` : ''}`;
}

function redact(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}

/**
 * The same options for a connection BullMQ makes and owns (Queue events, Worker). BullMQ's
 * option type is a looser copy of ioredis's, which TypeScript cannot match member by member.
 */
export function forBullmq(options: RedisOptions): BullRedisOptions {
  return { ...options } as BullRedisOptions;
}

/** A client of our own (not one of BullMQ's): commands fail at once while disconnected, so nothing waits unseen. */
export function createClient(options: RedisOptions, name: string): Redis {
  return new ioredis.Redis({ ...options, connectionName: name, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
}

/** A client for SUBSCRIBE: it queues while disconnected and subscribes again after a reconnect. */
export function createSubscriber(options: RedisOptions, name: string): Redis {
  return new ioredis.Redis({ ...options, connectionName: name, enableOfflineQueue: true, autoResubscribe: true });
}

/**
 * Resolves when `client` is connected, or rejects with an {@link OSError} naming the server and
 * the last connection error once `deadline` (a `performance.now()` time) has passed.
 */
export function whenReady(client: Redis, deadline: number, endpoint: string, lastError: () => unknown): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = startTimer(() => {
      client.off('ready', onReady);
      reject(unreachable(endpoint, lastError()));
    }, deadline - performance.now());
    const onReady = (): void => {
      timer.clear();
      resolve();
    };
    client.once('ready', onReady);
  });
}

/** The error of a caller or worker that cannot reach Redis. */
export function unreachable(endpoint: string, cause: unknown): OSError {
  const reason = cause instanceof Error ? `: ${cause.message}` : '';
  return new OSError(`cannot reach Redis at ${endpoint}${reason}`, { cause });
}

/** `true` for an error of a client that is not connected (as opposed to an error Redis returned). */
export function isConnectionError(error: unknown, client: Redis): boolean {
  if (client.status !== 'ready') return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection is closed|Stream isn't writeable|max retries per request|ECONNRE|EPIPE|ETIMEDOUT|socket/i.test(message);
}
