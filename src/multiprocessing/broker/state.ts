/**
 * What every shared object's broker-side state implements, and the request context it receives.
 *
 * @module
 */
import type { ItemsBatch } from '../channel/items.js';
import type { BrokerClient, Owner, Waiter } from './client.js';
import type { Handlers, OpMap } from './ops.js';

/** One request, as a shared object's state sees it; `R` is the value of its success reply. */
export interface Call<R = unknown> {
  readonly client: BrokerClient;
  /** The thread the request speaks for (lock ownership, deadlock detection). */
  readonly owner: Owner;
  readonly req: number;
  /** The request's payload bytes (a serialized item), empty when there is none. */
  readonly payload: Buffer;
  /** Replies with a result (JSON-safe `value`, and/or opaque `payload` bytes). */
  ok(value?: R, payload?: Buffer): void;
  /** Replies with an error of the named class (`Empty`, `ValueError`, …). */
  fail(errorName: string, message: string, extra?: unknown): void;
  /** Parks the request until the object resolves it, `timeout` ms pass (`null`: never), or it is cancelled. */
  park(timeout: number | null): Waiter;
  /** Looks up another object's state (a Condition's lock). */
  state(id: string): SharedState | undefined;
}

/** The broker-side state of one shared object. */
export interface SharedState {
  /** What errors call the object (`Lock`, `dict`…): `… has no operation …`. */
  readonly kind: string;
  /**
   * Its operations (a {@link Handlers} table of its kind's map in `ops.ts`). Each must reply
   * exactly once, now or later (through a parked waiter).
   */
  readonly ops: Readonly<Record<string, unknown>>;
  /** Every handle is gone: fail what still waits. */
  free?(): void;
  /** A batch of items (queue items, pipe messages) from a client. */
  items?(client: BrokerClient, batch: ItemsBatch): void;
  /** `client` now holds a handle of this object. */
  attached?(client: BrokerClient): void;
  /** `client` gave one handle back; `extra` is what the handle reported with it. */
  detached?(client: BrokerClient, extra: unknown): void;
  /** `client` is gone (its thread or process ended). */
  disconnected?(client: BrokerClient): void;
}

/** What the broker passes to a state factory. */
export interface StateContext {
  readonly id: string;
  /** Looks up another object's state, creating it from `kind` and `params` if needed. */
  ensure(id: string, kind: string, params: Record<string, unknown>): SharedState | undefined;
  /** `true` once the object `id` existed and every handle to it is gone. */
  gone(id: string): boolean;
  /** Pushes `event` about object `id` to every thread that holds a handle to it. */
  notify(id: string, event: 'eof'): void;
  /** The clients (threads) that hold a handle of object `id`. */
  holders(id: string): BrokerClient[];
  /** The broker's own thread. */
  readonly local: BrokerClient;
  /** A wait of the broker's own thread started (+1) or ended (-1): the process stays alive while any waits. */
  keepAlive(delta: number): void;
}

/** Builds the state of a new object from the parameters its handle carries. */
export type MakeState = (params: Record<string, unknown>, context: StateContext) => SharedState;

/** A {@link MakeState} whose states serve the operations `M` (`ops.ts`). */
export type StateFactory<M extends OpMap> = (params: Record<string, unknown>, context: StateContext) => SharedState & { readonly ops: Handlers<M> };

/** Reads an optional timeout argument: `null` (no limit) or milliseconds ≥ 0. */
export function timeoutArg(value: unknown): number | null {
  return typeof value === 'number' && value >= 0 ? value : null;
}
