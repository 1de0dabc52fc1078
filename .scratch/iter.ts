import { MapIterator } from '../src/core/map-iterator.js';
import { Future } from '../src/core/future.js';
const host = {
  _schedule(_fn: unknown, args: unknown[]) {
    const f = new Future<unknown>();
    f.setRunningOrNotifyCancel();
    const values = Float64Array.from(args as number[]);
    queueMicrotask(() => f.setResult({ values, bools: false, errors: null, ms: 0.01 }));
    return f;
  },
  _parallelism: () => 2,
};
const items = Array.from({ length: 1_000_000 }, (_, i) => i);
for (let r = 0; r < 6; r++) {
  const t = performance.now();
  let n = 0;
  for await (const v of new MapIterator<number>(host as never, null, items, { chunksize: 1000 })) if (v === items[n]) n++;
  const ms = performance.now() - t;
  const t2 = performance.now();
  let m = 0;
  const arr = [];
  for (let s = 0; s < items.length; s += 1000) arr.push(Promise.resolve(items.slice(s, s + 1000)));
  let idx = 0;
  for (const c of arr) for (const v of await c) if (v === items[idx++]) m++;
  const ms2 = performance.now() - t2;
  console.log(`iterator ${(ms * 1e6 / 1e6).toFixed(0)} ns/item (${n})   arrays ${(ms2 * 1e6 / 1e6).toFixed(0)} ns/item`);
}
