/**
 * The shareable contract: how a primitive crosses to another thread and arrives working.
 *
 * Structured clone copies an object's own enumerable string-keyed data properties, shares the
 * memory of every SharedArrayBuffer it meets, and drops the prototype, symbol keys and
 * non-enumerable properties. So a shareable instance keeps exactly its wire state in own
 * enumerable fields:
 *
 * - `__ct`: a tag naming its class, such as `'threading.Lock'`;
 * - its shared state (views over SharedArrayBuffers) and plain cloneable values (name, numbers);
 *
 * and keeps whatever is local to a thread (a Barrier's `action`, caches) under symbol keys or in
 * non-enumerable properties. On the receiving side, {@link reviveShareables} turns each tagged
 * plain object back into an instance, over the same memory, with the reviver registered for its
 * tag. `src/entries/revivers.ts` registers every primitive of the library.
 *
 * @module
 */

/** The name of the own string field that marks a shareable object and names its class. */
export const SHAREABLE_TAG = '__ct';

type Reviver = (wire: any) => object;
const revivers = new Map<string, Reviver>();

/**
 * Registers how to rebuild the instances tagged `tag`.
 *
 * @param tag - the value of the `__ct` field, e.g. `'threading.Lock'`.
 * @param revive - builds a working instance from its structured-cloned wire state. Nested
 * shareables inside `wire` are already revived when it is called.
 */
export function registerShareable(tag: string, revive: (wire: any) => object): void {
  revivers.set(tag, revive);
}

/**
 * Whether `value` is a shareable object: an object with an own string `__ct` field.
 *
 * @param value - anything.
 * @returns `true` for a live primitive and for its structured-cloned wire form alike.
 */
export function isShareable(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.prototype.hasOwnProperty.call(value, SHAREABLE_TAG) &&
    typeof (value as Record<string, unknown>)[SHAREABLE_TAG] === 'string'
  );
}

/**
 * Whether a structured-cloned value contains a shareable anywhere (arrays, plain objects, Maps,
 * Sets). A worker runtime can use it to decide whether to load the revivers at all.
 *
 * @param value - a value as received from `postMessage`.
 * @returns `true` when {@link reviveShareables} would have something to do.
 */
export function hasShareables(value: unknown): boolean {
  const seen = new Set<object>();
  const visit = (item: unknown): boolean => {
    if (!isWalkable(item) || seen.has(item)) return false;
    seen.add(item);
    if (isShareable(item)) return true;
    if (Array.isArray(item)) return item.some(visit);
    if (item instanceof Map) {
      for (const [key, entry] of item) if (visit(key) || visit(entry)) return true;
      return false;
    }
    if (item instanceof Set) {
      for (const entry of item) if (visit(entry)) return true;
      return false;
    }
    return Object.values(item).some(visit);
  };
  return visit(value);
}

/**
 * Rebuilds every tagged plain object inside a structured-cloned value into a working instance.
 *
 * Walks arrays, plain objects, Maps (keys and values) and Sets; skips typed arrays, buffers,
 * Dates and other built-ins without looking inside. Containers are updated in place; an object
 * reached twice is revived once (identity is kept); cycles end the walk. A tag with no reviver
 * registered is left as it is.
 *
 * @param value - a value as received from `postMessage`.
 * @returns the revived value: the same containers, or a new instance when `value` itself was tagged.
 */
export function reviveShareables<T>(value: T): T {
  const done = new Map<object, unknown>();
  const revive = (item: unknown): unknown => {
    if (!isWalkable(item)) return item;
    const known = done.get(item);
    if (known !== undefined || done.has(item)) return known;
    // Provisional entry: a cycle back to `item` ends here instead of looping.
    done.set(item, item);
    if (Array.isArray(item)) {
      for (let i = 0; i < item.length; i++) {
        const next = revive(item[i]);
        if (next !== item[i]) item[i] = next;
      }
      return item;
    }
    if (item instanceof Map) {
      const entries = [...item].map(([key, entry]) => [revive(key), revive(entry)] as const);
      item.clear();
      for (const [key, entry] of entries) item.set(key, entry);
      return item;
    }
    if (item instanceof Set) {
      const entries = [...item].map(revive);
      item.clear();
      for (const entry of entries) item.add(entry);
      return item;
    }
    const record = item as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const next = revive(record[key]);
      if (next !== record[key]) record[key] = next;
    }
    if (!isShareable(record)) return record;
    const reviver = revivers.get(record[SHAREABLE_TAG] as string);
    if (reviver === undefined) return record;
    const instance = reviver(record);
    done.set(item, instance);
    return instance;
  };
  return revive(value) as T;
}

// Only what structured clone produces as containers is walked: arrays, Maps, Sets and objects
// whose prototype is Object.prototype or null. A live instance (already revived) is left alone.
function isWalkable(item: unknown): item is object {
  if (typeof item !== 'object' || item === null) return false;
  if (Array.isArray(item) || item instanceof Map || item instanceof Set) return true;
  const proto: unknown = Object.getPrototypeOf(item);
  return proto === Object.prototype || proto === null;
}
