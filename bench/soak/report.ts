// From the soak's samples to what it prints and draws: per series start,
// end, max, the last half's mean and slope, and the verdict (verdict.ts);
// the SVG with one panel per series (plot-svg.ts).

import { machineLine } from '../e2e/chart.js';
import { renderLineChart, type LineChart } from './plot-svg.js';
import type { SoakSample } from './sampler.js';
import { GROWTH_LIMIT, summarize, type Point, type SeriesSummary } from './verdict.js';

export interface SeriesDef {
  key: 'rssMiB' | 'heapMiB' | 'fdbEntries' | 'apiMs';
  name: string;
  unit: string;
  color: string;
}

export const SERIES: readonly SeriesDef[] = [
  { key: 'rssMiB', name: 'RSS', unit: 'MiB', color: '#4e79a7' },
  { key: 'heapMiB', name: 'V8 heap used', unit: 'MiB', color: '#f28e2b' },
  { key: 'fdbEntries', name: 'FDB entries', unit: 'entries', color: '#59a14f' },
  { key: 'apiMs', name: 'API latency (neighbors)', unit: 'ms', color: '#e15759' },
];

function points(samples: readonly SoakSample[], key: SeriesDef['key']): Point[] {
  return samples.map((s) => ({ t: s.t, v: s[key] ?? NaN }));
}

/** Per series; windowS: the churn period (one peer flap each), whose peaks are judged. */
export function summaries(samples: readonly SoakSample[], runS: number, windowS?: number): SeriesSummary[] {
  return SERIES.map((d) => summarize(d.name, d.unit, points(samples, d.key), runS, windowS));
}

const fmt = (v: number): string => (!Number.isFinite(v) ? '-' : Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : Number(v.toPrecision(3)).toString());

/** The summary table as text lines. */
export function summaryLines(rows: readonly SeriesSummary[], runS: number, windowS: number): string[] {
  const head = ['series', 'unit', 'start', 'end', 'max', 'peak mean (2nd half)', 'peak slope/s (2nd half)', `slope × ${Math.round(runS)} s`, 'verdict'];
  const body = rows.map((r) => [r.name, r.unit, fmt(r.start), fmt(r.end), fmt(r.max), fmt(r.mean), fmt(r.slopePerS), fmt(r.growth), r.verdict]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    line(head),
    ...body.map(line),
    `rule: peaks of ${windowS} s windows (one flap each); "grows" when the last half's least-squares slope of the peaks × the run's length is at least ${GROWTH_LIMIT * 100} % of their mean`,
  ];
}

export interface SoakMeta {
  date: string;
  command: string;
  runS: number;
  lines: string[];
  flapsAt: number[];
  /** The verdict's window (the flap period). */
  windowS: number;
}

export function soakChart(samples: readonly SoakSample[], rows: readonly SeriesSummary[], meta: SoakMeta): LineChart {
  return {
    title: `vxswitch soak — ${meta.date}`,
    subtitle: [machineLine(), ...meta.lines, `command: ${meta.command}`],
    xLabel: 'seconds since the daemon started',
    panels: SERIES.map((d, i) => {
      const r = rows[i]!;
      return {
        title: `${d.name} (${d.unit})`,
        series: [{ name: d.name, color: d.color, points: samples.map((s) => [s.t, s[d.key] ?? NaN] as const) }],
        note: `${r.verdict}: peak slope × run ${fmt(r.growth)} ${d.unit} vs peak mean ${fmt(r.mean)} ${d.unit}`,
      };
    }),
    markers: { label: 'peer flap (Cease, reconnect, whole table again)', color: '#999', xs: meta.flapsAt },
    footnotes: [`verdict: peaks of ${meta.windowS} s windows; "grows" when the last half's least-squares slope of the peaks × run length ≥ 10 % of their mean`, 'method: docs/benchmarking.md (Soak)'],
  };
}

export function renderSoakChart(samples: readonly SoakSample[], rows: readonly SeriesSummary[], meta: SoakMeta): string {
  return renderLineChart(soakChart(samples, rows, meta));
}
