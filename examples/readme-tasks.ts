import { ThreadPoolExecutor, taskModule } from 'concurrent-ts';
const tasks = taskModule<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url));

await using executor = new ThreadPoolExecutor({ maxWorkers: 4 }); // shut down at the end of the scope
const future = executor.submit(tasks.isPrime, 97); // Future<boolean>
console.log(await future);                          // true
