// The layers of src/, top to bottom, as docs/architecture.md lists them: a module may import the
// modules of its own folder and those of any layer below its own, never a layer above nor another
// member of its own row. eslint.config.js turns this table into one `no-restricted-imports` rule
// per member; test/docs/architecture.test.ts checks that the document lists the same rows and
// that every import of src/ (dynamic ones included) keeps to them.

/** Rows, top to bottom. A member is a folder (`cli/`) or a file of src/ (`protocol.ts`). */
export const LAYERS = [
  ['index.ts', 'cli/', 'entries/'],
  ['distributed/'],
  ['multiprocessing/'],
  ['threading/', 'futures/'],
  ['transports/'],
  ['pool/'],
  ['core/'],
  ['worker/', 'task-ref/'],
  ['protocol.ts', 'control-block.ts', 'chunk-values.ts'],
  ['error-codec.ts', 'sync/'],
  ['errors.ts', 'describe.ts', 'sibling-url.ts', 'transfer.ts'],
];

/** Files that belong to another member than their folder. */
export const PLACED = {
  // A worker entry; it stays where multiprocessing/process.ts starts it.
  'worker/process-target-entry.ts': 'entries/',
};

/** Packages only one folder may import. */
export const PACKAGE_OWNERS = { bullmq: 'distributed/', ioredis: 'distributed/', commander: 'cli/' };

/** Files held to less than their layer allows: what each may import, and why. */
export const NARROWER = {
  'sync/deadline.ts': {
    allow: ['errors.ts', 'describe.ts'],
    message: 'The timeout module is the bottom layer: everything may read timeouts through it, so it imports only ../errors.js and ../describe.js.',
  },
};

/** The member a path of src/ (`pool/worker-slot.ts`) belongs to: its top folder, or the top-level file itself. */
export function memberOf(path) {
  if (path in PLACED) return PLACED[path];
  const slash = path.indexOf('/');
  return slash < 0 ? path : path.slice(0, slash + 1);
}

/** The row (0 at the top) of a member. */
export function rowOf(member) {
  const row = LAYERS.findIndex((r) => r.includes(member));
  if (row < 0) throw new Error(`${member} is in no layer of scripts/layers.mjs`);
  return row;
}

/** Whether a module of member `from` may import one of member `to`. */
export function mayImport(from, to) {
  return from === to || rowOf(to) > rowOf(from);
}

function escape(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The specifier regex, from a file `depth` folders below src/, of a member. */
function specifierOf(member, depth) {
  const up = depth === 0 ? '\\./' : '(?:\\.\\./){' + depth + '}';
  return member.endsWith('/') ? `^${up}${escape(member)}` : `^${up}${escape(member.replace(/\.ts$/, '.js'))}$`;
}

const NODE_PROTOCOL = {
  regex: '^(fs|path|os|util|worker_threads|child_process|events|url|net|stream|readline|crypto|perf_hooks|v8|assert|http|https|zlib|timers)(/.*)?$',
  message: 'Use the node: protocol.',
};

/**
 * The rules for the modules of `member` that are `depth` folders below src/: `no-restricted-imports`
 * for static imports, `no-restricted-syntax` for `import('…')` (which the former does not see).
 */
function restrictions(member, depth) {
  const above = LAYERS.slice(0, rowOf(member) + 1).flat().filter((m) => m !== member);
  const patterns = [NODE_PROTOCOL];
  const syntax = [];
  if (above.length > 0) {
    const regex = above.map((m) => specifierOf(m, depth)).join('|');
    const message = `${member} may import only the layers below it (docs/architecture.md): not ${above.join(', ')}.`;
    patterns.push({ regex, message });
    syntax.push({ selector: `ImportExpression[source.value=/${regex.replaceAll('/', '\\/')}/]`, message });
  }
  const paths = Object.entries(PACKAGE_OWNERS).filter(([, owner]) => owner !== member)
    .map(([name, owner]) => ({ name, message: `Only src/${owner} imports ${name}.` }));
  return { 'no-restricted-imports': ['error', { paths, patterns }], 'no-restricted-syntax': ['error', ...syntax] };
}

/** Flat-config blocks: one per member and folder depth, then the narrower files (the last matching block wins). */
export function layerLintConfig() {
  const blocks = [];
  const placed = Object.entries(PLACED);
  for (const member of LAYERS.flat()) {
    if (member.endsWith('/')) {
      const elsewhere = placed.filter(([file, owner]) => owner !== member && file.startsWith(member)).map(([file]) => `src/${file}`);
      const here = placed.filter(([file, owner]) => owner === member && file.split('/').length === 2).map(([file]) => `src/${file}`);
      blocks.push(
        { files: [`src/${member}*.ts`, ...here], ignores: elsewhere, rules: restrictions(member, 1) },
        { files: [`src/${member}*/**/*.ts`], ignores: elsewhere, rules: restrictions(member, 2) },
      );
    } else {
      const depth = member.split('/').length - 1;
      blocks.push({ files: [`src/${member}`], rules: restrictions(member, depth) });
    }
  }
  for (const [file, { allow, message }] of Object.entries(NARROWER)) {
    const depth = file.split('/').length - 1;
    const rules = restrictions(memberOf(file), depth);
    const { paths, patterns } = rules['no-restricted-imports'][1];
    const allowed = allow.map((m) => specifierOf(m, depth).slice(1)).join('|');
    blocks.push({
      files: [`src/${file}`],
      rules: { ...rules, 'no-restricted-imports': ['error', { paths, patterns: [...patterns, { regex: `^(?!${allowed})`, message }] }] },
    });
  }
  return blocks;
}
