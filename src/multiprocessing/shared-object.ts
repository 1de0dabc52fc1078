/**
 * The base of every cross-process handle (`Queue`, `Connection`, `Lock`, `Value`, managed
 * `dict`…). A handle is small: its own enumerable fields are its wire state, tagged with `__ct`,
 * so it travels by structured clone (to a `Process`, a pool task, through a queue) and the
 * receiver rebuilds a working handle from it with {@link reviveHandles}.
 *
 * ```
 * { __ct: 'mp.Queue', broker: '/tmp/concurrent-ts-….sock', id: '3fa1…', params: { maxsize: 0 }, token: '…' }
 * ```
 *
 * `token` is an accessor: every time a handle is serialized, reading it mints a transit reference
 * at the broker, held for the receiver until it attaches (see `broker/broker.ts`). That keeps the
 * object alive, and a pipe end open, while the handle is on its way.
 *
 * @module
 */
import { inspect } from 'node:util';
import { serialize } from 'node:v8';
import { TASK_SHARED } from '../protocol.js';
import { checkArgs } from '../task-ref/check-args.js';
import { registerShareable } from '../sync/shareable.js';
import { defaultLink, linkFor, newId, type Link, type ObjectOps } from './link.js';
import type { KindOf, OpMap } from './broker/ops.js';

/** The wire state of a handle, as it arrives in another process. */
export interface HandleWire {
  readonly __ct: string;
  readonly broker: string;
  readonly id: string;
  readonly params: Record<string, unknown>;
  readonly token: string | null;
  readonly [extra: string]: unknown;
}

interface Held {
  readonly link: Link;
  readonly id: string;
  /** What the handle's own resources need when it goes (a channel's reader); returns what the detach reports. */
  readonly release: (() => unknown) | undefined;
}

const collected = new FinalizationRegistry<Held>(({ link, id, release }) => {
  // A handle garbage-collected without close(): give its reference back, as CPython closes a
  // Connection's descriptor when the object dies.
  const extra = release?.();
  link.control('detach', id, extra === undefined ? [] : [extra]);
});

/** Wire states being rebuilt, innermost last: a handle's constructor takes the top one. */
const reviving: HandleWire[] = [];
let presetId: string | undefined;

/**
 * Base class of the handles: `Queue`, `Connection`, `Lock`, `Value`, the proxies…
 *
 * @typeParam M - the operations the handle sends (`broker/ops.ts`); its tag must be of a kind
 * whose broker state serves them all.
 */
export abstract class SharedObject<M extends OpMap = Record<never, never>> {
  /** The kind tag (`mp.Queue`, `mp.Lock`…). */
  declare readonly __ct: string;
  /** Path of the broker's socket. */
  declare readonly broker: string;
  /** The object's id at its broker. */
  declare readonly id: string;
  /** Creation parameters (enough for the broker to create the object from any handle). */
  declare readonly params: Record<string, unknown>;
  readonly #link: Link;
  readonly #ops: ObjectOps<M>;
  #release: (() => unknown) | undefined;
  #detached = false;
  /** The reference has gone back to the broker: this handle can no longer be passed on. */
  #released = false;

  protected constructor(tag: KindOf<M>, params: Record<string, unknown>) {
    const wire = reviving.pop();
    const preset = presetId;
    presetId = undefined;
    const link = wire === undefined ? defaultLink() : linkFor(wire.broker);
    const id = wire?.id ?? preset ?? newId();
    const own = wire === undefined ? params : wire.params;
    define(this, '__ct', tag);
    define(this, 'broker', link.path);
    define(this, 'id', id);
    define(this, 'params', own);
    Object.defineProperty(this, 'token', { enumerable: true, configurable: true, get: () => this.#mint() });
    this.#link = link;
    this.#ops = link.ops<M>(id);
    link.control('attach', id, [tag, wire?.token ?? null], serialize(own));
    collected.register(this, { link, id, release: undefined }, this);
  }

  /**
   * Sets what to do when this handle goes (closed or collected) before its reference goes back:
   * `release` must not refer to the handle (it runs after the handle is collected); what it
   * returns travels with the detach. @internal
   */
  protected onRelease(release: () => unknown): void {
    this.#release = release;
    collected.unregister(this);
    collected.register(this, { link: this.#link, id: this.id, release }, this);
  }

  /** The link to this object's broker. @internal */
  protected get link(): Link {
    return this.#link;
  }

  /** This object's operations at its broker. @internal */
  protected get ops(): ObjectOps<M> {
    return this.#ops;
  }

  /** `true` once this handle gave its reference back. @internal */
  protected get detached(): boolean {
    return this.#detached;
  }

  /**
   * Gives this handle's reference back (closing a connection end, a queue). The reference goes
   * back on the next turn of the event loop: a handle passed to a pool task and closed in the same
   * turn is serialized (and its transit reference minted) first, as Python's `submit` then
   * `conn.close()` works. @internal
   */
  protected detach(): void {
    if (this.#detached) return;
    this.#detached = true;
    collected.unregister(this);
    setImmediate(() => {
      this.#released = true;
      const extra = this.#release?.();
      this.#link.control('detach', this.id, extra === undefined ? [] : [extra]);
    });
  }

  /**
   * Destroys the object at the broker whatever references remain: every handle, in every
   * process, then fails with a message that ends with `reason`. @internal
   */
  _destroy(reason: string): void {
    this.#link.control('destroy', this.id, [reason]);
  }

  #mint(): string | null {
    if (this.#released) return null;
    const token = newId();
    this.#link.control('mint', this.id, [token]);
    return token;
  }

  /** @returns a short description; subclasses give Python's repr. */
  toString(): string {
    return `<${this.constructor.name} ${this.id}>`;
  }

  /** What `util.inspect` and `console.log` show: the same text as `toString()`. */
  [inspect.custom](): string {
    return this.toString();
  }
}

function define(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, configurable: false, writable: false });
}

type Reviver = (wire: HandleWire) => unknown;
const revivers = new Map<string, Reviver>();

/**
 * Registers how to rebuild handles tagged `tag`, here and in the library-wide shareable contract
 * (`sync/shareable.ts`), so the worker runtime rebuilds them in pool tasks too. @internal
 */
export function registerHandle(tag: string, reviver: Reviver): void {
  revivers.set(tag, reviver);
  registerShareable(tag, (wire: HandleWire) => reviver(wire) as object);
}

/** Runs `make` (a handle constructor) so that it rebuilds the handle described by `wire`. @internal */
export function fromWire<T>(wire: HandleWire, make: () => T): T {
  const depth = reviving.length;
  reviving.push(wire);
  try {
    return make();
  } finally {
    reviving.length = depth;
  }
}

/**
 * The wire state the handle under construction is being rebuilt from, if any. A constructor that
 * owns nested handles (a Condition's lock) reads it before `super()`, to rebuild them instead of
 * creating new ones. @internal
 */
export function rebuilding(): HandleWire | undefined {
  return reviving[reviving.length - 1];
}

/** Runs `make` (a handle constructor) so that the new object gets the id `id`. @internal */
export function withId<T>(id: string, make: () => T): T {
  presetId = id;
  try {
    return make();
  } finally {
    presetId = undefined;
  }
}

export { newId as newHandleId };

/** `true` for the wire state of a multiprocessing handle (the tag starts with `mp.`). */
function isHandleWire(value: unknown): value is HandleWire {
  if (typeof value !== 'object' || value === null) return false;
  const tag = (value as { __ct?: unknown }).__ct;
  return typeof tag === 'string' && tag.startsWith('mp.') && !(value instanceof SharedObject);
}

/**
 * Rebuilds every multiprocessing handle inside `value` (arrays, plain objects, Maps and Sets are
 * searched), in place where possible; returns the result. Other values are left as they are.
 */
export function reviveHandles(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null || depth > 64) return value;
  if (isHandleWire(value)) {
    const reviver = revivers.get(value.__ct);
    if (reviver === undefined) throw new TypeError(`cannot rebuild a ${value.__ct}: its module is not loaded`);
    return reviver(value);
  }
  if (value instanceof SharedObject || ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = reviveHandles(value[i], depth + 1);
    return value;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) value.set(k, reviveHandles(v, depth + 1));
    return value;
  }
  if (value instanceof Set) {
    const items = [...value];
    value.clear();
    for (const item of items) value.add(reviveHandles(item, depth + 1));
    return value;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = reviveHandles(record[key], depth + 1);
  return value;
}

/**
 * Serializes a value for the broker (a queue item, a pipe message): the bytes, and whether the
 * value holds handles (the receiver then rebuilds them). Checks it first, as `submit` checks
 * arguments.
 *
 * @throws {SerializationError} for a function, a symbol or a class instance, naming where it is.
 */
export function pack(value: unknown, what: string): { payload: Buffer; shared: number } {
  const shared = checkArgs(value, what, true) & TASK_SHARED ? 1 : 0;
  return { payload: serialize(value), shared };
}
