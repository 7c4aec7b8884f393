// Line charts as a standalone SVG document: panels stacked on one time axis,
// each with its own y scale (the soak's series have different units), one
// polyline per series, the y axis' bounds and the x axis' ticks written out,
// optional vertical markers (events such as a peer flap) and a note per
// panel (the verdict). Pure: a description in, SVG text out. A line chart
// rather than bench/e2e/chart-svg.ts's bars; the document around the
// panels is bench/svg-document.ts's.

import { escapeXml, LINE, n, PAD, svgDocument, text, titleBlock, WIDTH } from '../svg-document.js';

export interface LineSeries {
  name: string;
  /** Any SVG paint. */
  color: string;
  /** [x, y] in data units; non-finite points break the line. */
  points: ReadonlyArray<readonly [number, number]>;
}

export interface LinePanel {
  /** Panel title, unit included. */
  title: string;
  series: LineSeries[];
  /** A line written at the panel's top right (e.g. the verdict). */
  note?: string;
}

export interface LineChart {
  title: string;
  subtitle: string[];
  /** The x axis' label (under the last panel). */
  xLabel: string;
  panels: LinePanel[];
  /** x positions of vertical markers drawn across every panel. */
  markers?: { label: string; color: string; xs: number[] };
  footnotes: string[];
}

const LEFT = 80;
const RIGHT = 20;
const PANEL_H = 170;
const GAP = 34;

/** A number for an axis label: integers as they are, else three significant digits. */
export function axisLabel(v: number): string {
  if (!Number.isFinite(v)) return '-';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Number(v.toPrecision(3)).toString();
}

/** Round x-axis ticks: a step of 1, 2 or 5 × 10^k giving about `count` ticks over [lo, hi]. */
export function ticks(lo: number, hi: number, count = 8): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9 && out.length < 100; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function range(values: number[]): [number, number] {
  const f = values.filter(Number.isFinite);
  if (f.length === 0) return [0, 1];
  const lo = Math.min(0, ...f);
  const hi = Math.max(...f);
  return hi > lo ? [lo, hi] : [lo, lo + 1];
}

/** One polyline per finite run of points (a non-finite point ends a run). */
function polylines(s: LineSeries, x: (v: number) => number, y: (v: number) => number): string[] {
  const runs: string[][] = [[]];
  for (const [px, py] of s.points) {
    if (Number.isFinite(px) && Number.isFinite(py)) runs[runs.length - 1]!.push(`${n(x(px))},${n(y(py))}`);
    else if (runs[runs.length - 1]!.length > 0) runs.push([]);
  }
  return runs
    .filter((r) => r.length > 0)
    .map((r) => `<polyline class="series" data-series="${escapeXml(s.name)}" points="${r.join(' ')}" fill="none" stroke="${escapeXml(s.color)}" stroke-width="1.2"/>`);
}

/** The chart as an SVG document (UTF-8 text). */
export function renderLineChart(c: LineChart): string {
  const xs = c.panels.flatMap((p) => p.series.flatMap((s) => s.points.map((q) => q[0])));
  const [x0, x1] = range(xs);
  const plotW = WIDTH - LEFT - RIGHT;
  const x = (v: number): number => LEFT + ((v - x0) / (x1 - x0)) * plotW;
  const body: string[] = [];
  let y = titleBlock(body, c.title, c.subtitle);
  y += GAP;
  const xTicks = ticks(x0, x1);
  for (const p of c.panels) {
    const [y0, y1] = range(p.series.flatMap((s) => s.points.map((q) => q[1])));
    const top = y;
    const base = y + PANEL_H;
    const yOf = (v: number): number => base - ((v - y0) / (y1 - y0)) * PANEL_H;
    body.push(`<g class="panel" data-title="${escapeXml(p.title)}" data-y-min="${y0}" data-y-max="${y1}" data-top="${top}" data-bottom="${base}">`);
    body.push(text(LEFT, top - 8, p.title, 'class="panel-title" font-size="13" font-weight="bold"'));
    if (p.note !== undefined) body.push(text(WIDTH - RIGHT, top - 8, p.note, 'class="note" text-anchor="end" font-size="11" fill="#333"'));
    body.push(`<rect x="${LEFT}" y="${n(top)}" width="${plotW}" height="${PANEL_H}" fill="#fafafa" stroke="#ddd"/>`);
    body.push(text(LEFT - 6, top + 10, axisLabel(y1), 'class="y-max" text-anchor="end" font-size="10"'));
    body.push(text(LEFT - 6, base, axisLabel(y0), 'class="y-min" text-anchor="end" font-size="10"'));
    for (const t of xTicks) body.push(`<line class="tick" x1="${n(x(t))}" y1="${n(base)}" x2="${n(x(t))}" y2="${n(base + 4)}" stroke="#888"/>`);
    for (const m of c.markers?.xs ?? []) {
      body.push(`<line class="marker" x1="${n(x(m))}" y1="${n(top)}" x2="${n(x(m))}" y2="${n(base)}" stroke="${escapeXml(c.markers!.color)}" stroke-dasharray="2,3"/>`);
    }
    for (const s of p.series) body.push(...polylines(s, x, yOf));
    body.push('</g>');
    y = base + GAP;
  }
  const base = y - GAP;
  for (const t of xTicks) body.push(text(x(t), base + 16, axisLabel(t), 'class="x-tick" text-anchor="middle" font-size="10"'));
  y = base + 32;
  body.push(text(LEFT + plotW / 2, y, c.xLabel, 'class="x-label" text-anchor="middle" font-size="12"'));
  if (c.markers !== undefined && c.markers.xs.length > 0) {
    y += LINE;
    body.push(`<line x1="${PAD}" y1="${n(y - 4)}" x2="${PAD + 20}" y2="${n(y - 4)}" stroke="${escapeXml(c.markers.color)}" stroke-dasharray="2,3"/>`);
    body.push(text(PAD + 26, y, c.markers.label, 'class="marker-label" font-size="11"'));
  }
  return svgDocument(body, y, c.footnotes);
}
