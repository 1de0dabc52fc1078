// The child of the raw multiprocessing floor: plain child_process IPC, no
// queue, no broker. `send N` sends 0..N-1 to the parent; `receive N` times N
// messages relayed by the parent and reports [ms, sum]; `echo` and `bigecho`
// return every message they get. It never disconnects itself (that could drop messages still
// queued): a sender ends once its messages are written, the others when the
// parent kills them.

const [mode = '', count = '0'] = process.argv.slice(2);
const n = Number(count);
const send = (value: unknown) => process.send!(value);

if (mode === 'send') {
  for (let i = 0; i < n; i++) send(i);
} else if (mode === 'receive') {
  let received = 0;
  let sum = 0;
  let t0 = 0;
  process.on('message', (value: number) => {
    if (received++ === 0) t0 = performance.now();
    sum += value;
    if (received === n) send([performance.now() - t0, sum]);
  });
} else if (mode === 'echo') {
  process.on('message', (value: number) => send(value));
} else if (mode === 'bigecho') {
  // Advanced serialization sends a Buffer as a Uint8Array: send back what came.
  process.on('message', (value: unknown) => send(value));
} else {
  throw new Error(`unknown mode ${mode}`);
}
