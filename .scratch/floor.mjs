const N = 1e6;
class It { i = 0; next() { return this.i < N ? Promise.resolve({ done: false, value: this.i++ }) : Promise.resolve({ done: true, value: undefined }); } [Symbol.asyncIterator]() { return this; } }
async function* gen() { for (let i = 0; i < N; i++) yield i; }
class SyncIt { i = 0; next() { return this.i < N ? { done: false, value: this.i++ } : { done: true, value: undefined }; } [Symbol.iterator]() { return this; } }
for (let r = 0; r < 4; r++) {
  let t = performance.now(); let n = 0;
  for await (const v of new It()) n += v;
  const a = performance.now() - t;
  t = performance.now();
  for await (const v of gen()) n += v;
  const b = performance.now() - t;
  t = performance.now();
  for await (const v of new SyncIt()) n += v;
  const c = performance.now() - t;
  console.log(`custom ${(a).toFixed(0)} ns/item, async gen ${b.toFixed(0)} ns/item, for-await over sync iterable ${c.toFixed(0)} ns/item`);
}
