// The test runner's reporter for `npm test`: one line per test file, and for a file with a
// failure, each failed test with its error and everything the file wrote to stdout and stderr.
//
// Many tests provoke crashes on purpose (a worker that runs out of heap, a child that exits, a
// thrown value that escapes a task), and the processes they crash print to the inherited stderr.
// That output is evidence when a test fails and noise when it passes, so it is kept per file and
// printed only with that file's failure. The last line is the count: `N passed, N failed`.
import { relative } from 'node:path';
import { inspect } from 'node:util';

function fileState(files, file) {
  let state = files.get(file);
  if (state === undefined) {
    state = { tests: 0, failures: [], output: [], skipped: new Set(), skips: 0 };
    files.set(file, state);
  }
  return state;
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

function indent(text, by = '    ') {
  return text.replace(/\n$/, '').split('\n').map((line) => by + line).join('\n');
}

function describeError(error) {
  if (error === undefined || error === null) return 'failed';
  const shown = error.code === 'ERR_TEST_FAILURE' && error.cause !== undefined ? error.cause : error;
  return typeof shown === 'object' ? inspect(shown, { depth: 4, breakLength: 120 }) : String(shown);
}

/** The line for a file whose tests have all been reported, and its failures in full. */
function fileReport(file, state) {
  const where = relative(process.cwd(), file);
  const took = state.ms === undefined ? '' : `, ${seconds(state.ms)}`;
  const skipped = state.skips === 0 ? '' : `, ${state.skips} skipped: ${[...state.skipped].join('; ')}`;
  if (state.failures.length === 0) return `✔ ${where} (${state.tests} tests${skipped}${took})\n`;
  let text = `✖ ${where} (${state.tests} tests, ${state.failures.length} failed${took})\n`;
  for (const failure of state.failures) {
    const name = failure.name === file ? 'the file itself' : failure.name;
    text += `  ✖ ${name}\n${indent(describeError(failure.error))}\n`;
  }
  const output = state.output.join('');
  if (output.trim() !== '') text += `  what ${where} printed:\n${indent(output)}\n`;
  return text;
}

export default async function* reporter(source) {
  const files = new Map();
  const totals = new Map();
  // Passes and failures are reported file after file, in order; when they move on to the next
  // file, the previous one is complete.
  let current;
  const moveTo = (file) => {
    if (file === current) return '';
    const done = current;
    current = file;
    if (done === undefined || !files.has(done)) return '';
    const text = fileReport(done, files.get(done));
    files.delete(done);
    return text;
  };
  for await (const event of source) {
    const data = event.data ?? {};
    const file = data.file;
    switch (event.type) {
      case 'test:stdout':
      case 'test:stderr':
        if (file !== undefined) fileState(files, file).output.push(data.message);
        break;
      case 'test:pass': {
        if (file === undefined) break;
        const text = moveTo(file);
        if (text !== '') yield text;
        if (data.name === file || data.details?.type === 'suite') break;
        const state = fileState(files, file);
        state.tests++;
        if (data.skip !== undefined && data.skip !== false) {
          state.skips++;
          state.skipped.add(data.skip === true ? 'no reason given' : String(data.skip));
        }
        break;
      }
      case 'test:fail': {
        if (file === undefined) break;
        const text = moveTo(file);
        if (text !== '') yield text;
        const state = fileState(files, file);
        const error = data.details?.error;
        // A suite fails because a test in it did; that test is reported on its own.
        if (error?.failureType === 'subtestsFailed') break;
        if (data.name !== file && data.details?.type !== 'suite') state.tests++;
        state.failures.push({ name: data.name, error });
        break;
      }
      case 'test:complete':
        if (data.nesting === 0 && file !== undefined && data.name === file) fileState(files, file).ms = data.details?.duration_ms;
        break;
      case 'test:diagnostic':
        // A test's own diagnostics (t.diagnostic) are kept with its file's output.
        if (file !== undefined) fileState(files, file).output.push(`${data.message}\n`);
        else if (data.nesting === 0) {
          const match = /^(tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) ([\d.]+)$/.exec(data.message);
          if (match !== null) totals.set(match[1], Number(match[2]));
          else yield `${data.message}\n`;
        }
        break;
      default:
        break;
    }
  }
  const last = moveTo(undefined);
  if (last !== '') yield last;
  for (const [file, state] of files) yield fileReport(file, state);
  const count = (key) => totals.get(key) ?? 0;
  yield `\n${count('tests')} tests in ${count('suites')} suites, ${seconds(count('duration_ms'))}` +
    `${count('cancelled') > 0 ? `; ${count('cancelled')} cancelled` : ''}${count('todo') > 0 ? `; ${count('todo')} todo` : ''}\n`;
  yield `${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped\n`;
}
