/**
 * A short, safe description of any value for an error message: `"100" (string)`, `null`,
 * `Object object`, `10n (bigint)`.
 *
 * Safe means it never throws: the value is whatever a user passed, and an error message that
 * fails to build (a null-prototype object has no `constructor`; a Proxy may throw from any trap)
 * would hide the mistake it reports behind an unrelated `TypeError`.
 *
 * @module
 */

/**
 * Describes `value` in a few words.
 *
 * @param value - anything.
 * @returns a description that names the value's type.
 */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string': return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) + ' (string)';
    case 'function': return `function ${nameOf(value) || '(anonymous)'}`;
    case 'object': return `${className(value)} object`;
    case 'bigint': return `${value}n (bigint)`;
    case 'symbol': return `${String(value)} (symbol)`;
    case 'number': case 'boolean': return `${value} (${typeof value})`;
    case 'undefined': return 'undefined';
  }
  return typeof value;
}

function className(value: object): string {
  try {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto === null) return 'null-prototype';
    const ctor: unknown = (proto as { constructor?: unknown }).constructor;
    return typeof ctor === 'function' ? nameOf(ctor) || 'Object' : 'Object';
  } catch {
    return 'Object';
  }
}

function nameOf(fn: unknown): string {
  try {
    const name: unknown = (fn as { name?: unknown }).name;
    return typeof name === 'string' ? name : '';
  } catch {
    return '';
  }
}
