/**
 * The executor's reader of its queue's events stream: one blocking `XREAD` after another on a
 * connection of its own, handing the entries about jobs to a sink.
 *
 * ```
 *  XREAD BLOCK … STREAMS <prefix>:<queue>:events <last id> ──▶ entries ──▶ active / completed / failed / removed / alive
 *        ▲                                                              (everything else: skipped)
 *        └── from the last id read: a reconnect resumes where it stopped, nothing read twice
 * ```
 *
 * Why not BullMQ's `QueueEvents`: it turns every entry into an object, parses every result, and
 * emits each entry twice (by event name and by `event:jobId`). A queue's stream holds four entries
 * per job ('added', 'waiting', 'active', 'completed'), so with tiny jobs that work was about a
 * tenth of the caller's CPU. Here an entry that names no job of this executor costs a lookup, and
 * a result is parsed only for a job someone waits for.
 *
 * The reader does not make the stream reliable: BullMQ trims it, and a Redis restart without
 * persistence empties it. The job tracker reads quiet jobs back from Redis for that.
 *
 * @module
 */
import type { Redis } from 'ioredis';

/** What the reader hands its entries to; each method is called only for a job the sink tracks. */
export interface JobEventSink {
  /** `true` if this job is one the sink waits for. */
  tracks(jobId: string): boolean;
  /** A worker took the job. */
  active(jobId: string): void;
  /** The job completed; `returnvalue` is its JSON text. */
  completed(jobId: string, returnvalue: string): void;
  /** The job failed for good or for this attempt. */
  failed(jobId: string, reason: string): void;
  /** Someone removed the job from the queue. */
  removed(jobId: string): void;
  /** News that is neither a start nor an end (delayed for a retry, stalled): the job lives. */
  alive(jobId: string): void;
}

/** Longest a read blocks in Redis, in ms: a bound on how long a silent connection goes unnoticed. */
const BLOCK_MS = 5000;
/** A read with no answer this long after its block time is over is stuck: reconnect. */
const STUCK_MARGIN_MS = 3000;
/** Pause after an error Redis answered (not a lost connection), so a bad key does not spin. */
const ERROR_PAUSE_MS = 1000;

type Entry = [id: string, fields: string[]];
type XReadReply = Array<[key: string, entries: Entry[]]> | null;

/** Reads a BullMQ events stream until closed. */
export class EventReader {
  readonly #client: Redis;
  readonly #key: string;
  readonly #sink: JobEventSink;
  readonly #onError: (error: unknown) => void;
  #lastId: string;
  #closing = false;
  #loop: Promise<void> | undefined;
  /** Ends a wait for the connection, when closing. */
  #wake: (() => void) | undefined;

  /**
   * @param client - a connection for this reader alone (its reads block), created with
   *   `maxRetriesPerRequest: 0` so that a read in flight fails when the connection drops.
   * @param key - the stream, `queue.keys.events`.
   * @param lastId - the id after which to start: the stream's last id when the executor started.
   * @param onError - hears errors Redis answers to a read (a lost connection is not one).
   */
  constructor(client: Redis, key: string, lastId: string, sink: JobEventSink, onError: (error: unknown) => void) {
    this.#client = client;
    this.#key = key;
    this.#lastId = lastId;
    this.#sink = sink;
    this.#onError = onError;
  }

  /** Starts reading; call once. */
  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops reading and closes the connection. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#client.disconnect();
    this.#wake?.();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (!this.#closing) {
      const status = this.#client.status;
      if (status === 'end') return;
      if (status !== 'ready') {
        await this.#untilReady();
        continue;
      }
      let reply: XReadReply;
      try {
        reply = await this.#read();
      } catch (error) {
        if (this.#closing) return;
        // A dropped connection fails the read; the loop waits for the reconnect. Anything else
        // is Redis refusing the read (a missing permission, say): say so and try again later.
        if (this.#client.status === 'ready') {
          this.#onError(error);
          await new Promise((resolve) => setTimeout(resolve, ERROR_PAUSE_MS));
        }
        continue;
      }
      if (reply !== null) this.#dispatch(reply);
    }
  }

  /** One read, abandoned (by a reconnect) if no answer comes well after its block time. */
  #read(): Promise<XReadReply> {
    const watchdog = setTimeout(() => this.#client.disconnect(true), BLOCK_MS + STUCK_MARGIN_MS);
    const read = this.#client.xread('BLOCK', BLOCK_MS, 'STREAMS', this.#key, this.#lastId) as Promise<XReadReply>;
    return read.finally(() => clearTimeout(watchdog));
  }

  #untilReady(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.#client.off('ready', done);
        this.#wake = undefined;
        resolve();
      };
      this.#wake = done;
      this.#client.on('ready', done);
    });
  }

  #dispatch(reply: NonNullable<XReadReply>): void {
    const entries = reply[0]?.[1];
    if (entries === undefined) return;
    const sink = this.#sink;
    for (const [id, fields] of entries) {
      this.#lastId = id;
      // BullMQ writes every entry as "event", <name>, then the other fields; "jobId" comes next.
      const jobId = field(fields, 'jobId');
      if (jobId === undefined || !sink.tracks(jobId)) continue;
      switch (fields[1]) {
        case 'active':
          sink.active(jobId);
          break;
        case 'completed':
          sink.completed(jobId, field(fields, 'returnvalue') ?? 'null');
          break;
        case 'failed':
          sink.failed(jobId, field(fields, 'failedReason') ?? '');
          break;
        case 'removed':
          sink.removed(jobId);
          break;
        case 'delayed':
        case 'stalled':
          sink.alive(jobId);
          break;
        default:
          // 'added', 'waiting', 'progress', … say nothing a future needs.
          break;
      }
    }
  }
}

/** The value of `name` in a stream entry's field list, which starts with the event name. */
function field(fields: readonly string[], name: string): string | undefined {
  for (let i = 2; i < fields.length - 1; i += 2) {
    if (fields[i] === name) return fields[i + 1];
  }
  return undefined;
}
