/**
 * One BullMQ job carrying several `submit` calls of the same function: under a backlog, the
 * executor packs consecutive plain calls into a starmap chunk, so that a burst of tiny tasks costs
 * Redis and the workers one job per pack instead of one per call.
 *
 * ```
 *  submit ×N ─▶ local queue (more than fit in Redis) ─▶ PackFuture (k: starchunk, a: [args₁ … argsₙ])
 *                                                            │ active ──▶ every member RUNNING
 *                                                            │ outcome ─▶ member i: values[i] or errors[i]
 *  member.cancel()               ──▶ the pack is removed, the other members go back to the local queue
 *  member.cancel({ force: true }) ──▶ the pack is stopped on its worker, the others go back
 * ```
 *
 * The pack is the executor's own future, never a caller's; its members are the callers' futures.
 *
 * @module
 */
import type { ChunkOutcome } from '../core/backend.js';
import { JobFuture, type JobOwner } from './job-future.js';
import type { JobData } from './wire.js';

/** The future of a packed job; its result is the chunk outcome its members are settled from. */
export class PackFuture extends JobFuture<ChunkOutcome> {
  /** Set when the pack was given up (a member cancelled): its outcome settles no member. */
  dissolved = false;

  constructor(owner: JobOwner, id: string, name: string, data: JobData, readonly members: readonly JobFuture[]) {
    super(owner, id, name, data, undefined, undefined);
  }

  /** The pack's job started: so did every member still waiting, as their calls run in it. */
  override setRunningOrNotifyCancel(): boolean {
    const running = super.setRunningOrNotifyCancel();
    if (running) {
      for (const member of this.members) {
        if (member.state === 'PENDING') member.setRunningOrNotifyCancel();
      }
    }
    return running;
  }
}
