/**
 * A map chunk's result on the wire, and the packing of its values (`protocol.ts` carries it in a
 * `done` message, as the value of a chunk task's result).
 *
 * @module
 */
/** The result of a chunk task: one value per item; items listed in `failed` hold a `WireThrown` (`error-codec.ts`). */
export interface WireChunk {
  /**
   * One value per item. When every value is a number they travel as a `Float64Array`, and when
   * every value is a boolean as a `Uint8Array` with `bools` set: cloning one typed array is a copy,
   * cloning an array of a million numbers is a million steps.
   */
  readonly values: unknown[] | Float64Array | Uint8Array;
  readonly bools?: true;
  readonly failed: number[] | null;
  /** Milliseconds the chunk took in the worker. */
  readonly ms: number;
}

/**
 * Packs an array of values for the wire: a `Float64Array` when all are numbers, a `Uint8Array`
 * (with `bools`) when all are booleans, else the array itself.
 */
export function packValues(values: readonly unknown[]): { values: unknown[] | Float64Array | Uint8Array; bools?: true } {
  const n = values.length;
  if (n < 16) return { values: values as unknown[] };
  const first = typeof values[0];
  if (first === 'number') {
    // Checked and copied in one pass: the copy is thrown away in the rare case of a mixed array.
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'number') return { values: values as unknown[] };
      out[i] = v;
    }
    return { values: out };
  }
  if (first === 'boolean') {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v !== 'boolean') return { values: values as unknown[] };
      out[i] = v ? 1 : 0;
    }
    return { values: out, bools: true };
  }
  return { values: values as unknown[] };
}
