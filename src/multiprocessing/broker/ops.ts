/**
 * The broker protocol as types: for every kind of shared object, each operation its handles send
 * and its broker-side state serves, with the operation's arguments and the value of its success
 * reply. Both sides are written against these maps: a handle sends through an {@link ObjectOps}
 * of its kind's map, a state serves a {@link Handlers} table of the same map, and `kinds.ts` ties
 * each kind's tag to a state serving that tag's map. An operation a state does not serve, or
 * arguments of the wrong shape, do not compile.
 *
 * ```
 *  handle                                   broker state
 *  this.ops.call('acquire', [block, timeout, edgeAfter])  ──▶  acquire: (call, [block, timeout, edgeAfter]) => …
 *                 └──────────── LockOps['acquire'] ─────────────────┘
 * ```
 *
 * The arguments travel in a CONTROL frame's JSON header (`frames.ts`), so every argument is a
 * JSON value: `Infinity` travels as `-1` (a deadlock timeout) and "no limit" as `null`. Values of
 * the user (an item, a dict value) travel as the frame's payload, which these types leave out.
 *
 * @module
 */
import type { Call } from './state.js';

/** Reply status: the value is the result. */
export const OK = 0;
/** Reply status: the value is `[errorClassName, message, extra?]`. */
export const ERR = 1;
/** Reply status: the request was cancelled by the client (an AbortSignal) before it completed. */
export const CANCELLED = 2;

/** One operation: the arguments of its request and the value of its success reply. */
export interface Op<A extends readonly unknown[] = [], R = null> {
  readonly args: A;
  readonly reply: R;
}

/** The operations of one kind of object, by name. */
export type OpMap = { readonly [op: string]: Op<readonly unknown[], unknown> };

/** The name of an operation of `M`. */
export type OpName<M extends OpMap> = keyof M & string;
/** The arguments of operation `O` of `M`. */
export type ArgsOf<M extends OpMap, O extends OpName<M>> = M[O]['args'];
/** The value of a success reply to operation `O` of `M`. */
export type ReplyOf<M extends OpMap, O extends OpName<M>> = M[O]['reply'];

/** A timeout on the wire: milliseconds ≥ 0, or `null` for none. */
type WireTimeout = number | null;
/** A lock wait's deadlock timeout on the wire: ms, `-1` for Infinity, `null` when detection is off. */
type WireEdgeAfter = number | null;

/**
 * Operations on the link itself rather than on an object's state: references (`attach`,
 * `detach`, `mint`, `destroy`), the cancel of a request, "this thread is stuck", and a round trip.
 * They carry no async task.
 */
export type LinkOps = {
  /** A handle of the object now exists here; its creation parameters are the payload. */
  attach: Op<[tag: string, token: string | null]>;
  /** A transit reference for a handle on its way to another thread. */
  mint: Op<[token: string]>;
  /** A handle is gone; `extra` is what its resources reported (a pipe end's last sequence number). */
  detach: Op<[] | [extra: unknown]>;
  destroy: Op<[reason: string]>;
  cancel: Op<[req: number]>;
  stuck: Op<[]>;
  ping: Op<[]>;
};

/** What a reader acks: see `channel-hub.ts` (`#applyAck`) and `channel/reader.ts`. */
export type AckArgs = [
  received: number,
  prefix: number,
  extras: number[],
  pending: number,
  window: number,
  /** `[origin, seq, …]`: the last sequence number the lease holder took per origin. */
  taken: Array<string | number>,
  directTaken: number,
];

/** A channel's operations: what its readers and producers tell the broker (`channel-hub.ts`). */
export type ChannelOps = {
  /** A get without waiting: the reply says whether an item (or the end of file) was pushed first. */
  getNow: Op<[], boolean>;
  pollNow: Op<[], boolean>;
  read: Op<[inbox: string | null, pending: number, window: number]>;
  ack: Op<AckArgs>;
  unread: Op<AckArgs>;
  switch: Op<[reader: string, seq: number]>;
  unswitch: Op<[reader: string, seq: number]>;
  sent: Op<[count: number, seq: number]>;
};

/** `Queue`, `JoinableQueue`, `SimpleQueue`: a channel with a bound and an unfinished count. */
export type QueueOps = ChannelOps & {
  /** A put that may wait for room; the item is the payload. */
  put: Op<[seq: number, tag: number, block: boolean, timeout: WireTimeout]>;
  qsize: Op<[], number>;
  taskDone: Op<[]>;
  join: Op<[]>;
};

/** A pipe end: only a channel. */
export type PipeEndOps = ChannelOps;

/** What every acquirable object serves alike. */
export type AcquireOps = {
  acquire: Op<[block: boolean, timeout: WireTimeout, edgeAfter: WireEdgeAfter], boolean>;
};

export type LockOps = AcquireOps & {
  release: Op<[]>;
  locked: Op<[], boolean>;
  owned: Op<[], boolean>;
};

export type SemaphoreOps = AcquireOps & {
  release: Op<[n: number]>;
  getValue: Op<[], number>;
};

export type EventOps = {
  set: Op<[]>;
  clear: Op<[]>;
  isSet: Op<[], boolean>;
  wait: Op<[timeout: WireTimeout], boolean>;
};

export type ConditionOps = {
  wait: Op<[timeout: WireTimeout, edgeAfter: WireEdgeAfter], boolean>;
  notify: Op<[n: number]>;
  notifyAll: Op<[]>;
};

export type BarrierOps = {
  /** `timeout` `null`: the barrier's own. Replies `[index, runAction]`. */
  wait: Op<[timeout: WireTimeout], [index: number, runAction: boolean]>;
  actionDone: Op<[ok: boolean]>;
  abort: Op<[]>;
  reset: Op<[]>;
  nWaiting: Op<[], number>;
  broken: Op<[], boolean>;
};

/** `Value`: the value is the payload, both ways. */
export type ValueOps = {
  get: Op<[]>;
  set: Op<[]>;
};

/** `Array`: elements and slices are payloads, both ways. */
export type ArrayOps = {
  get: Op<[index: number]>;
  set: Op<[index: number]>;
  slice: Op<[start: number | null, end: number | null]>;
  setSlice: Op<[start: number, end: number]>;
};

/** A managed dict's key: compared by value. */
export type WireKey = string | number | boolean | null;

/** A managed dict: replies `true`/`false` say whether the key was there; values are payloads. */
export type DictOps = {
  get: Op<[key: WireKey], boolean>;
  set: Op<[key: WireKey]>;
  delete: Op<[key: WireKey], boolean>;
  has: Op<[key: WireKey], boolean>;
  size: Op<[], number>;
  keys: Op<[]>;
  values: Op<[]>;
  entries: Op<[]>;
  pop: Op<[key: WireKey], boolean>;
  popitem: Op<[]>;
  setdefault: Op<[key: WireKey]>;
  update: Op<[]>;
  clear: Op<[]>;
};

/** A managed list: values are payloads. */
export type ListOps = {
  get: Op<[index: number]>;
  set: Op<[index: number]>;
  append: Op<[]>;
  extend: Op<[]>;
  insert: Op<[index: number]>;
  pop: Op<[index: number | null]>;
  remove: Op<[]>;
  index: Op<[start: number | null, end: number | null], number>;
  count: Op<[], number>;
  includes: Op<[], boolean>;
  size: Op<[], number>;
  slice: Op<[start: number | null, end: number | null]>;
  setSlice: Op<[start: number | null, end: number | null]>;
  clear: Op<[]>;
  reverse: Op<[]>;
  sort: Op<[reverse: boolean]>;
};

/** A managed Namespace: attribute values are payloads. */
export type NamespaceOps = {
  get: Op<[name: string], boolean>;
  set: Op<[name: string]>;
  delete: Op<[name: string]>;
  entries: Op<[]>;
};

/** Every kind of shared object, by the tag its handles carry, with the operations it serves. */
export type BrokerProtocol = {
  'mp.Queue': QueueOps;
  'mp.JoinableQueue': QueueOps;
  'mp.SimpleQueue': QueueOps;
  'mp.Connection': PipeEndOps;
  'mp.Lock': LockOps;
  'mp.RLock': LockOps;
  'mp.Semaphore': SemaphoreOps;
  'mp.BoundedSemaphore': SemaphoreOps;
  'mp.Event': EventOps;
  'mp.Condition': ConditionOps;
  'mp.Barrier': BarrierOps;
  'mp.Value': ValueOps;
  'mp.Array': ArrayOps;
  'mp.dict': DictOps;
  'mp.list': ListOps;
  'mp.Namespace': NamespaceOps;
};

/**
 * What the broker pushes, unasked, about object `id` to a thread that holds it (a CONTROL frame
 * `[0, 0, event]`): a pipe end's peer is gone (`eof`), and what a channel's readers and producers
 * must know (`channel-hub.ts`, read by `channel/endpoint.ts` and `channel/reader.ts`).
 */
export type BrokerEvent =
  | [id: string, event: 'eof']
  /** Producers: send to this reader's inbox directly (the lease), or (`null`) through the broker again. */
  | [id: string, event: 'route', reader: string, inbox: string | null]
  | [id: string, event: 'route', reader: null]
  /** Producers: the channel has readers in several threads; everything goes through the broker. */
  | [id: string, event: 'hub']
  /** The reader: a producer ended; `sentHere` when it had sent to the reader directly. */
  | [id: string, event: 'gone', origin: string, sentHere: boolean]
  /** The reader: items of `origin` up to `written` were written to it directly; wait for them. */
  | [id: string, event: 'fence', origin: string, written: number]
  /** The reader: a producer's items from (`switched`) or after (`unswitched`) `seq` take the other path. */
  | [id: string, event: 'switched' | 'unswitched', origin: string, seq: number]
  /** The reader: end of file after the last message of each sender, `[origin, seq, …]`. */
  | [id: string, event: 'end', finals: Array<string | number>];

/** The tag of a kind of shared object. */
export type Kind = keyof BrokerProtocol;

/** The tags whose objects serve every operation of `M` (the kinds a handle sending `M` may have). */
export type KindOf<M extends OpMap> = { [K in Kind]: BrokerProtocol[K] extends M ? K : never }[Kind];

/** How a state serves each operation of `M`: a function from the call and its typed arguments. */
export type Handlers<M extends OpMap> = {
  readonly [O in OpName<M>]: (call: Call<ReplyOf<M, O>>, args: ArgsOf<M, O>) => void;
};

/**
 * Runs operation `op` through `handlers`, or fails the call when the kind has no such operation.
 * The arguments come from another thread's frame: they are what its handle typed against the
 * same map.
 */
export function serve(kind: string, handlers: Readonly<Record<string, unknown>>, call: Call, op: string, args: readonly unknown[]): void {
  if (!Object.hasOwn(handlers, op)) {
    call.fail('RuntimeError', `${kind} has no operation ${op}`);
    return;
  }
  (handlers[op] as (call: Call, args: readonly unknown[]) => void)(call, args);
}
