// The end-to-end table as a chart: the rows marked for it (table.ts), one
// panel each, a bar per engine, the ratios written on vxswitch's bar, and a
// title that says when, on what and with which command it was measured.

import { cpus, release } from 'node:os';
import { ENGINE_LABELS, type EngineName } from './engine.js';
import { renderBarChart, type Bar, type BarChart } from './chart-svg.js';
import { formatValue, RATIOS, workaroundMarks, type MedianRow, type Unit } from './table.js';

export const ENGINE_COLORS: Record<EngineName, string> = { kernel: '#4e79a7', ovs: '#f28e2b', vxswitch: '#59a14f' };

export interface ChartMeta {
  /** ISO date of the run. */
  date: string;
  /** The command that produced it, as a user would type it. */
  command: string;
  runs: number;
  /** Lines under the chart (what was skipped, workarounds). */
  footnotes: string[];
}

/** Cores, CPU model, kernel and node, for the title. */
export function machineLine(): string {
  const c = cpus();
  return `${c.length} cores (${c[0]?.model.trim() ?? 'unknown CPU'}), Linux ${release()}, node ${process.version}`;
}

function compact(unit: Unit, v: number): string {
  if (unit === 'frames/s') return v >= 1e6 ? `${(v / 1e6).toFixed(2)}M` : `${Math.round(v / 1000)}k`;
  return formatValue(unit, v);
}

/** One engine's bar: the value, its qualifiers, and on vxswitch's bar the ratios to the others. */
function barOf(r: MedianRow, e: EngineName, marks: Map<string, string>): Bar {
  const v = r.values[e];
  if (v === undefined) return { label: '-' };
  const w = r.workaround[e];
  const notes =
    e === 'vxswitch'
      ? RATIOS.flatMap((x) => {
          const q = r.ratios[x.key];
          return q === undefined ? [] : [`${q.median.toFixed(2)}× ${ENGINE_LABELS[x.over]}`];
        })
      : [];
  return {
    value: v,
    label: `${r.atLeast[e] === true ? '≥ ' : ''}${compact(r.unit, v)}${r.lossy[e] === true ? ' *' : ''}${w !== undefined ? ` ${marks.get(w)}` : ''}`,
    notes,
  };
}

export function chartOf(rows: readonly MedianRow[], engines: readonly EngineName[], meta: ChartMeta): BarChart {
  const marks = workaroundMarks(rows);
  // A figure no engine has (a run that measured nothing there) draws no empty group.
  const groups = rows.flatMap((r) =>
    r.chart === undefined || engines.every((e) => r.values[e] === undefined) ? [] : [{ title: `${r.chart} (${r.unit === 'share' ? '%' : r.unit})`, bars: engines.map((e) => barOf(r, e, marks)) }],
  );
  return {
    title: `vxswitch end to end: ${engines.map((e) => ENGINE_LABELS[e]).join(', ')} on one veth topology — ${meta.date}`,
    subtitle: [
      machineLine(),
      `${meta.runs > 1 ? `medians of ${meta.runs} runs, ratios the median of per-run ratios` : 'one run'}; hosts at default offloads; higher is better except CPU and retransmits`,
      `command: ${meta.command}`,
    ],
    series: engines.map((e) => ({ name: ENGINE_LABELS[e], color: ENGINE_COLORS[e] })),
    groups,
    footnotes: [
      ...(rows.some((r) => Object.keys(r.atLeast).length > 0) ? ['≥ generator-limited: the VTEP passed at the highest rate the generator offered'] : []),
      ...(rows.some((r) => Object.keys(r.lossy).length > 0) ? ['* not loss-free even at the lowest confirmed rate'] : []),
      ...[...marks].map(([w, m]) => `${m} ${w}`),
      ...meta.footnotes,
      'method: docs/benchmarking.md',
    ],
  };
}

export function renderChart(rows: readonly MedianRow[], engines: readonly EngineName[], meta: ChartMeta): string {
  return renderBarChart(chartOf(rows, engines, meta));
}
