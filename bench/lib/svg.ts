// docs/benchmarks.svg, drawn by hand: one panel per reported metric, one
// horizontal bar per subject. A panel whose values span more than 20× uses a
// log scale, or the slow subjects would be invisible slivers.

import { compact, metric, type MetricInfo } from './metrics.js';
import { cellText, reportedMetrics, valueOf, type RunReport } from './report.js';
import type { SubjectGroup } from './types.js';

const WIDTH = 960;
const LABEL_W = 190;
const BAR_X = LABEL_W + 10;
const BAR_MAX = 600;
const BAR_H = 15;
const BAR_GAP = 4;
const PANEL_GAP = 26;
const TITLE_H = 22;
const AXIS_H = 16;

const COLORS: Record<SubjectGroup, string> = {
  'concurrent-ts': '#d9480f',
  peer: '#1971c2',
  python: '#2f9e44',
  raw: '#868e96',
};

const GROUP_NAMES: Record<SubjectGroup, string> = {
  'concurrent-ts': 'concurrent-ts',
  peer: 'Node pools',
  python: 'Python 3.11',
  raw: 'raw floors',
};

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

interface Scale {
  x(value: number): number;
  ticks: number[];
  log: boolean;
}

function niceStep(span: number): number {
  const raw = span / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const unit = raw / power;
  return (unit <= 1 ? 1 : unit <= 2 ? 2 : unit <= 5 ? 5 : 10) * power;
}

function scaleFor(values: number[]): Scale {
  const max = Math.max(...values);
  const min = Math.min(...values);
  if (min > 0 && max / min > 20) {
    const lo = Math.floor(Math.log10(min));
    const hi = Math.ceil(Math.log10(max));
    const ticks: number[] = [];
    for (let p = lo; p <= hi; p++) ticks.push(10 ** p);
    return { log: true, ticks, x: (v) => ((Math.log10(v) - lo) / (hi - lo)) * BAR_MAX };
  }
  const step = niceStep(max);
  const top = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  for (let t = 0; t <= top + step / 2; t += step) ticks.push(t);
  return { log: false, ticks, x: (v) => (v / top) * BAR_MAX };
}

/** Axis labels without trailing zeros: "1k", "2.5M", "0.5". */
function tickLabel(value: number): string {
  if (value < 1000) return Number(value.toPrecision(3)).toString();
  return compact(value).replace(/(\.\d*?)0+([kMG])$/, '$1$2').replace(/\.([kMG])$/, '$1');
}

interface Row {
  label: string;
  group: SubjectGroup;
  value: number | undefined;
  /** Shown instead of a bar when there is no value. */
  text: string;
}

/** Draws one panel (title, grid, bars) from `y` down; returns the y below it. */
function panel(parts: string[], y: number, m: MetricInfo, rows: readonly Row[]): number {
  if (rows.length === 0) return y;
  const values = rows.map((r) => r.value).filter((v): v is number => v !== undefined && v > 0);
  const scale = values.length > 0 ? scaleFor(values) : undefined;
  const direction = m.better === 'higher' ? 'higher is better' : 'lower is better';
  // One text element with two spans: the note follows the title whatever its length.
  const note = `${m.unit}, ${direction}${scale?.log ? ', log scale' : ''}`;
  parts.push(`<text x="10" y="${y + 15}"><tspan class="h2">${esc(m.label)}</tspan><tspan class="note" dx="10">${esc(note)}</tspan></text>`);
  y += TITLE_H;
  const top = y;
  const height = rows.length * (BAR_H + BAR_GAP);
  if (scale !== undefined) {
    for (const t of scale.ticks) {
      const x = BAR_X + scale.x(t);
      parts.push(`<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${top + height}" class="grid"/>`);
      parts.push(`<text x="${x.toFixed(1)}" y="${top + height + 12}" class="tick">${esc(tickLabel(t))}</text>`);
    }
  }
  for (const r of rows) {
    parts.push(`<text x="${LABEL_W}" y="${y + BAR_H - 3}" class="label">${esc(r.label)}</text>`);
    if (r.value !== undefined && scale !== undefined) {
      const w = Math.max(1, scale.x(r.value));
      parts.push(`<rect x="${BAR_X}" y="${y}" width="${w.toFixed(1)}" height="${BAR_H}" fill="${COLORS[r.group]}"/>`);
      parts.push(`<text x="${(BAR_X + w + 5).toFixed(1)}" y="${y + BAR_H - 3}">${esc(m.format(r.value))}</text>`);
    } else {
      parts.push(`<text x="${BAR_X + 5}" y="${y + BAR_H - 3}" class="note">${esc(r.text)}</text>`);
    }
    y += BAR_H + BAR_GAP;
  }
  return y + AXIS_H + PANEL_GAP;
}

export function renderSvg(report: RunReport): string {
  const parts: string[] = [];
  let y = 0;

  const title = `concurrent-ts benchmarks: ${report.machine.cpuCount} × ${report.machine.cpuModel}, Node ${report.machine.node}, ${report.machine.python}, ${report.date}`;
  parts.push(`<text x="10" y="${y + 20}" class="h1">${esc(title)}</text>`);
  y += 34;
  let lx = 10;
  for (const group of Object.keys(COLORS) as SubjectGroup[]) {
    parts.push(`<rect x="${lx}" y="${y}" width="12" height="12" fill="${COLORS[group]}"/>`);
    parts.push(`<text x="${lx + 17}" y="${y + 10}">${esc(GROUP_NAMES[group])}</text>`);
    lx += 140;
  }
  y += 26;

  for (const m of reportedMetrics(report)) {
    const rows = report.subjects
      .map((s) => ({ label: s.short, group: s.group, value: valueOf(report, s.id, m.id), text: cellText(report, s.id, m.id) }))
      // Keep measured bars, and concurrent-ts even when missing, so its absence shows.
      .filter((r) => r.value !== undefined || (r.group === 'concurrent-ts' && r.text !== '—' && r.text !== ''));
    y = panel(parts, y, m, rows);
  }

  // Lock operations: one panel, one bar per lock and form.
  const lockRows: Row[] = [];
  for (const s of report.lockSubjects) {
    for (const id of ['lockSync', 'lockAsync'] as const) {
      const value = valueOf(report, s.id, id);
      if (value !== undefined) lockRows.push({ label: `${s.short} (${id === 'lockSync' ? 'blocking' : 'async'})`, group: s.group, value, text: '' });
    }
  }
  if (lockRows.length > 0) y = panel(parts, y, { ...metric('lockAsync'), label: 'lock acquire + release, uncontended' }, lockRows);

  const height = y;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    '<style>',
    '  text { fill: #212529; }',
    '  .h1 { font-size: 15px; font-weight: bold; }',
    '  .h2 { font-size: 13px; font-weight: bold; }',
    '  .note { fill: #868e96; }',
    '  .label { text-anchor: end; }',
    '  .tick { fill: #868e96; font-size: 10px; text-anchor: middle; }',
    '  .grid { stroke: #dee2e6; stroke-width: 1; }',
    '</style>',
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
