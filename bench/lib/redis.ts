// The Redis server of the distributed section. The runner (under tsx) starts it
// with the distributed tests' own helper, so there is one way to run a private
// redis-server in this repository; the children only get its URL.

import { RedisServer, redisServerPath } from '../../test/fixtures/distributed/redis-server.js';

export interface BenchRedis {
  readonly url: string;
  /** The server's process: the cells count its CPU time as their own, not as other programs'. */
  readonly pid: number | undefined;
  /** A fresh, empty server on the same port: no cell pays for the previous one's keys. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts a server on a free loopback port, or resolves undefined when redis-server is not installed. */
export async function startRedis(): Promise<BenchRedis | undefined> {
  if (redisServerPath() === null) return undefined;
  const server = await RedisServer.start();
  return {
    url: server.url,
    get pid() {
      return server.pid;
    },
    restart: () => server.restart(),
    stop: () => server.stop(),
  };
}
