// A grouped bar chart as a standalone SVG document, for the bench's figures:
// one panel per group (each with its own scale, since the groups' units
// differ), one bar per series, the value written above each bar and any
// notes (ratios) above that. Pure: a description in, SVG text out.
//
// Drawn here rather than with a package: the npm charting libraries either
// need a DOM (d3 and its wrappers, via jsdom) or are unmaintained
// server-side wrappers; this is a few rectangles and labels.

import { escapeXml, LINE, n, PAD, svgDocument, text, titleBlock, WIDTH } from '../svg-document.js';

export interface BarSeries {
  name: string;
  /** Any SVG paint, e.g. "#4e79a7". */
  color: string;
}

export interface Bar {
  /** Bar height's value; undefined draws no bar (the label still shows). */
  value?: number;
  /** The value as text, written above the bar (or at the baseline when there is no bar). */
  label: string;
  /** Short lines written above the label (ratios). */
  notes?: string[];
}

export interface BarGroup {
  /** Panel title, unit included. */
  title: string;
  /** One per series, in series order. */
  bars: Bar[];
}

export interface BarChart {
  title: string;
  subtitle: string[];
  series: BarSeries[];
  groups: BarGroup[];
  footnotes: string[];
  /** Panels per row (default 3). */
  columns?: number;
}

const GAP = 16;
const PANEL_H = 250;
const NOTE_LINE = 12;

/** One group's panel; maxNotes is the chart's most notes on one bar, so every panel's tallest bar is as tall. */
function panel(g: BarGroup, series: readonly BarSeries[], maxNotes: number, x0: number, y0: number, w: number): string[] {
  const out: string[] = [];
  out.push(`<g class="group" data-title="${escapeXml(g.title)}">`);
  out.push(`<rect x="${n(x0)}" y="${n(y0)}" width="${n(w)}" height="${PANEL_H}" fill="#fafafa" stroke="#ddd"/>`);
  out.push(text(x0 + w / 2, y0 + 20, g.title, 'class="group-title" text-anchor="middle" font-size="13" font-weight="bold"'));
  const base = y0 + PANEL_H - 28;
  // Room above the tallest bar for its label and notes.
  const top = y0 + 34 + LINE + maxNotes * NOTE_LINE;
  const max = Math.max(0, ...g.bars.map((b) => (b.value !== undefined && Number.isFinite(b.value) ? b.value : 0)));
  const slot = w / series.length;
  const barW = Math.min(64, slot * 0.6);
  out.push(`<line x1="${n(x0 + 8)}" y1="${n(base)}" x2="${n(x0 + w - 8)}" y2="${n(base)}" stroke="#888"/>`);
  series.forEach((s, i) => {
    const b = g.bars[i] ?? { label: '-' };
    const cx = x0 + slot * (i + 0.5);
    const v = b.value !== undefined && Number.isFinite(b.value) ? Math.max(0, b.value) : undefined;
    const h = v === undefined || max === 0 ? 0 : ((base - top) * v) / max;
    if (v !== undefined) {
      out.push(
        `<rect class="bar" data-series="${escapeXml(s.name)}" data-value="${v}" x="${n(cx - barW / 2)}" y="${n(base - h)}" width="${n(barW)}" height="${n(h)}" fill="${escapeXml(s.color)}"/>`,
      );
    }
    const labelY = base - h - 5;
    out.push(text(cx, labelY, b.label, `class="value" data-series="${escapeXml(s.name)}" text-anchor="middle" font-size="12"`));
    (b.notes ?? []).forEach((note, j, all) => {
      out.push(text(cx, labelY - LINE + 2 - (all.length - 1 - j) * NOTE_LINE, note, `class="note" data-series="${escapeXml(s.name)}" text-anchor="middle" font-size="10" fill="#333"`));
    });
    out.push(text(cx, base + 16, s.name, 'class="series" text-anchor="middle" font-size="11" fill="#555"'));
  });
  out.push('</g>');
  return out;
}

/** The chart as an SVG document (UTF-8 text). */
export function renderBarChart(c: BarChart): string {
  const cols = Math.max(1, c.columns ?? 3);
  const panelW = (WIDTH - 2 * PAD - (cols - 1) * GAP) / cols;
  const body: string[] = [];
  let y = titleBlock(body, c.title, c.subtitle);
  // Legend.
  y += LINE + 6;
  let lx = PAD;
  for (const s of c.series) {
    body.push(`<rect class="legend" x="${n(lx)}" y="${n(y - 10)}" width="12" height="12" fill="${escapeXml(s.color)}"/>`);
    body.push(text(lx + 16, y, s.name, 'class="legend-label" font-size="12"'));
    lx += 24 + 8 * s.name.length + 16;
  }
  y += 12;
  const maxNotes = Math.max(0, ...c.groups.flatMap((g) => g.bars.map((b) => b.notes?.length ?? 0)));
  c.groups.forEach((g, i) => {
    const col = i % cols;
    const row = Math.floor(i / cols);
    body.push(...panel(g, c.series, maxNotes, PAD + col * (panelW + GAP), y + row * (PANEL_H + GAP), panelW));
  });
  y += Math.ceil(c.groups.length / cols) * (PANEL_H + GAP);
  return svgDocument(body, y, c.footnotes);
}
