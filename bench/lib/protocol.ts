// How a child (Node or Python) hands its result to the runner: one stdout line
// with this prefix and a JSON object, so whatever else a library prints is ignored.

export const RESULT_PREFIX = '@@bench-result ';
