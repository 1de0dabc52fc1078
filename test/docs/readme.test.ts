// README.md: its TypeScript blocks are files of examples/ that print what the README shows (see
// test/helpers/doc-examples.ts), and its CLI command, run as written, prints what follows it.
// A `<!-- command -->` block is a ```console block: the `$ ` line (with `\` continuations) is run
// by bash in the repository root, with `concurrent-ts` standing for the built bin
// (`node dist/cli/main.js`); the lines after it are its stdout.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { ROOT, testDocExamples } from '../helpers/doc-examples.js';

testDocExamples('README.md');

interface Command {
  readonly line: number;
  readonly command: string;
  readonly stdout: string;
}

function commands(markdown: string): Command[] {
  const lines = markdown.split('\n');
  const found: Command[] = [];
  lines.forEach((marker, i) => {
    if (marker !== '<!-- command -->') return;
    assert.equal(lines[i + 1], '```console', `README.md:${i + 1}: a \`\`\`console block must follow the marker`);
    const end = lines.indexOf('```', i + 2);
    const body = lines.slice(i + 2, end);
    let n = 0;
    const parts: string[] = [];
    for (let more = true; more && n < body.length; n++) {
      const text = (body[n] ?? '').replace(/^\$ /, '');
      more = text.endsWith('\\');
      parts.push(more ? text.slice(0, -1).trim() : text.trim());
    }
    found.push({ line: i + 1, command: parts.join(' '), stdout: body.slice(n).map((l) => `${l}\n`).join('') });
  });
  return found;
}

const readme = readFileSync(`${ROOT}README.md`, 'utf8');

test('README.md has a CLI command to check', () => {
  assert.ok(commands(readme).length > 0);
});

for (const { line, command, stdout } of commands(readme)) {
  test(`README.md:${line}: ${command}`, () => {
    const runnable = command.replace(/\bconcurrent-ts (?=map|worker)/, 'node dist/cli/main.js ');
    const r = spawnSync('bash', ['-c', runnable], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, stdout);
    assert.match(r.stderr, /^concurrent-ts: \d+ items in /, 'the summary line goes to stderr');
  });
}
