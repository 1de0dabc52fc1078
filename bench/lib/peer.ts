// Loads a peer library by a computed name.
//
// The peers are dependencies of bench/package.json only, installed by `npm run bench`.
// A static `import 'piscina'` would make the root typecheck fail wherever bench/ is
// not installed, so the adapters import by name at run time and describe the few
// members they use with small local interfaces instead.

export async function importPeer<T>(name: string): Promise<T> {
  return (await import(name)) as T;
}
