/**
 * Packing a burst of `submit`s into shared jobs (see `pack-future.ts` and
 * docs/decisions/distributed-submit-packing.md): which calls may share a job, how many, and how
 * the callers' futures settle from, or leave, a pack.
 *
 * @module
 */
import type { RingQueue } from '../core/ring-queue.js';
import type { JobFuture, JobOwner } from './job-future.js';
import { PackFuture } from './pack-future.js';
import { KIND_CALL, KIND_STARCHUNK, WIRE_VERSION, type JobData } from './wire.js';

/** Most calls in one pack. */
const MAX_PACK = 256;
/** Most calls in one pack of a function whose calls were never timed. */
const UNTIMED_PACK = 4;
/** Weight of the newest pack in a function's time per call. */
const NEWEST = 0.3;

/** What the packer needs from its executor. */
export interface PackerHost extends JobOwner {
  /** A new job id. */
  nextId(): string;
  /** Tasks went back to the local queue: send them. */
  requeued(): void;
}

/** Packs and unpacks the calls of one executor. */
export class Packer {
  readonly #host: PackerHost;
  readonly #local: RingQueue<JobFuture>;
  readonly #enabled: boolean;
  readonly #targetMs: number;
  /** Milliseconds per call on a worker, by job name, measured on packs: sizes the next packs. */
  readonly #callMs = new Map<string, number>();

  /**
   * @param local - the executor's local queue: packs take calls from its front, and calls of a
   *   pack given up go back there.
   */
  constructor(host: PackerHost, local: RingQueue<JobFuture>, enabled: boolean, targetMs: number) {
    this.#host = host;
    this.#local = local;
    this.#enabled = enabled;
    this.#targetMs = targetMs;
  }

  /** A plain call (no options of its own), in an executor that packs. */
  packable(future: JobFuture): boolean {
    const data = future.data as JobData;
    return this.#enabled && data.k === KIND_CALL && data.t === undefined && future.overrides === undefined && future.signal === undefined;
  }

  /**
   * `first` and the packable calls of the same function right behind it in the local queue, as
   * one pack sized so that the backlog fits the `free` slots in Redis, and each pack stays within
   * about the target time of work (a few calls until the function has been timed). `first` alone
   * when nothing else fits.
   */
  pack(first: JobFuture, free: number): JobFuture {
    const backlog = this.#local.size + 1;
    const callMs = this.#callMs.get(first.name);
    const cap = callMs === undefined ? UNTIMED_PACK : Math.min(MAX_PACK, Math.floor(this.#targetMs / Math.max(callMs, 0.001)));
    const size = Math.min(cap, Math.ceil(backlog / Math.max(free, 1)));
    const members = [first];
    while (members.length < size) {
      const next = this.#local.peek();
      if (next === undefined || next.done() || next.name !== first.name || next.data === undefined || !this.packable(next)) break;
      members.push(this.#local.shift() as JobFuture);
    }
    if (members.length === 1) return first;
    const { m, f } = first.data as JobData;
    const data: JobData = { v: WIRE_VERSION, m, f, k: KIND_STARCHUNK, a: members.map((member) => (member.data as JobData).a) };
    const pack = new PackFuture(this.#host, this.#host.nextId(), first.name, data, members);
    for (const member of members) {
      member.stage = 'PACKED';
      member.pack = pack;
    }
    return pack;
  }

  /**
   * A member of a pack is being cancelled: the pack is given up (removed from Redis, or stopped
   * where it runs), and its other unsettled members go back to the front of the local queue.
   */
  dissolve(leaving: JobFuture): void {
    const pack = leaving.pack as PackFuture;
    leaving.pack = undefined;
    pack.dissolved = true;
    const now = performance.now();
    const back = pack.members.filter((member) => member !== leaving && !member.done());
    for (let i = back.length - 1; i >= 0; i--) {
      const member = back[i] as JobFuture;
      member.pack = undefined;
      member.stage = 'LOCAL';
      member.waitingSince = now;
      this.#local.unshift(member);
    }
    if (pack.state === 'PENDING') pack.cancel();
    else pack.cancel({ force: true });
    this.#host.requeued();
  }

  /** Settles the members of a pack that settled, and times the function for the next packs. */
  unpack(pack: PackFuture): void {
    if (pack.dissolved) return;
    const outcome = pack._outcome();
    if (!outcome.ok) {
      this.#failMembers(pack, outcome.error);
      return;
    }
    const { values, bools, errors, ms } = outcome.value;
    const count = pack.members.length;
    if (values.length !== count) {
      this.#failMembers(pack, new TypeError(`the job ${pack.id} (${pack.name}) completed with ${values.length} results for ` +
        `${count} tasks; is a worker of another version running?`));
      return;
    }
    const sample = ms / count;
    const before = this.#callMs.get(pack.name);
    this.#callMs.set(pack.name, before === undefined ? sample : (1 - NEWEST) * before + NEWEST * sample);
    for (let i = 0; i < count; i++) {
      const member = pack.members[i] as JobFuture;
      if (member.done()) continue;
      member.pack = undefined;
      member.stage = 'DONE';
      if (errors?.has(i) === true) member.setException(errors.get(i));
      else member.setResult(bools === true ? values[i] === 1 : values[i]);
    }
  }

  /** The pack was cancelled (its tasks are too) or failed as a whole (its tasks fail with its error). */
  #failMembers(pack: PackFuture, error: unknown): void {
    for (const member of pack.members) {
      if (member.done()) continue;
      member.pack = undefined;
      member.stage = 'DONE';
      if (!pack.cancelled() || !member.cancel()) member.setException(error);
    }
  }
}
