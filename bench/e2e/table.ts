// The end-to-end bench's figures as rows: one value per engine, the ratios
// vxswitch/kernel and vxswitch/OVS, per run and as medians over runs
// (docs/benchmarking.md "Reading the table"). Pure: runs in, rows and text
// out; index.ts prints them, --json carries them, chart.ts draws those with
// a chart title.

import { ENGINE_LABELS, type EngineName } from './engine.js';
import { median, type KneeResult } from './loss-free.js';
import type { EndToEndRun, EngineRun } from './results.js';
import type { TcpResult } from './tcp.js';

export type Unit = 'frames/s' | 'share' | 'Gbps' | 'count' | 'µs';

export interface Cell {
  value: number;
  /** Generator-limited: the engine's true figure is at least this. */
  atLeast?: boolean;
  /** Even the lowest confirmed rate lost this share (not loss-free). */
  lossy?: number;
  /** The engine needed a workaround for this figure (footnote). */
  workaround?: string;
}

export interface Row {
  key: string;
  label: string;
  unit: Unit;
  /** The chart panel's title (unit added there); absent: not drawn. */
  chart?: string;
  cells: Partial<Record<EngineName, Cell>>;
}

/** The ratios the table prints: vxswitch over each other engine. */
export const RATIOS = [
  { key: 'vxswitch/kernel', over: 'kernel' },
  { key: 'vxswitch/ovs', over: 'ovs' },
] as const satisfies ReadonlyArray<{ key: string; over: EngineName }>;
export type RatioKey = (typeof RATIOS)[number]['key'];

export interface MedianRow {
  key: string;
  label: string;
  unit: Unit;
  chart?: string;
  /** Median per engine over the runs that gave a value. */
  values: Partial<Record<EngineName, number>>;
  /** Generator-limited in some run. */
  atLeast: Partial<Record<EngineName, boolean>>;
  /** Not loss-free in some run. */
  lossy: Partial<Record<EngineName, boolean>>;
  workaround: Partial<Record<EngineName, string>>;
  /** Median of the per-run ratios, and the per-run ratios. */
  ratios: Partial<Record<RatioKey, { median: number; perRun: number[] }>>;
}

function cellOf(value: number | undefined, extra: Omit<Cell, 'value'> = {}): Cell | undefined {
  return value === undefined || !Number.isFinite(value) ? undefined : { value, ...extra };
}

/** Rows of one run, in print order. */
export function rowsOf(run: EndToEndRun, sizes: readonly number[], passLoss: number): Row[] {
  const rows: Row[] = [];
  const row = (key: string, label: string, unit: Unit, chart: string | undefined, f: (e: EngineRun) => Cell | undefined): void => {
    const cells: Partial<Record<EngineName, Cell>> = {};
    for (const e of run.engines) {
      const c = f(e);
      if (c !== undefined) cells[e.engine] = c;
    }
    rows.push({ key, label, unit, ...(chart !== undefined ? { chart } : {}), cells });
  };
  const knee = (e: EngineRun, size: number): KneeResult | undefined => e.knees.find((k) => k.size === size);
  for (const size of sizes) {
    const of = (f: (k: KneeResult) => number) => (e: EngineRun) => {
      const k = knee(e, size);
      return k === undefined ? undefined : cellOf(f(k));
    };
    row(`loss-free-${size}`, `${size} B loss-free frames/s`, 'frames/s', `${size} B loss-free`, (e) => {
      const k = knee(e, size);
      if (k === undefined) return undefined;
      return cellOf(k.rate, { ...(k.generatorLimited ? { atLeast: true } : {}), ...(k.loss >= passLoss ? { lossy: k.loss } : {}) });
    });
    row(`overload-${size}`, `${size} B overload: delivered frames/s`, 'frames/s', `${size} B overload: delivered`, of((k) => k.overload.deliveredRate));
    // Receive livelock: a VTEP that delivers less when offered more than it
    // can take spends its core on frames it then drops.
    row(`livelock-${size}`, `${size} B overload / loss-free`, 'share', `${size} B overload / loss-free`, of((k) => k.overload.deliveredRate / k.rate));
    row(`cpu-frame-${size}`, `${size} B CPU 1 µs per frame at loss-free`, 'µs', size === sizes[0] ? `${size} B CPU 1 per frame` : undefined, of((k) => (k.cpu.busy * 1e6) / k.rate));
    row(`cpu-busy-${size}`, `${size} B CPU 1 busy at loss-free`, 'share', undefined, of((k) => k.cpu.busy));
    row(`cpu-softirq-${size}`, `${size} B CPU 1 softirq at loss-free`, 'share', undefined, of((k) => k.cpu.softirq));
    row(`cpu-process-${size}`, `${size} B VTEP process CPU at loss-free`, 'share', undefined, (e) =>
      e.engine === 'kernel' ? undefined : of((k) => k.cpu.process)(e),
    );
  }
  const tcpOf = (pick: (e: EngineRun) => TcpResult | undefined) => (f: (t: TcpResult) => number) => (e: EngineRun) => {
    const r = pick(e);
    return r === undefined ? undefined : cellOf(f(r), e.tcpWorkaround !== undefined ? { workaround: e.tcpWorkaround } : {});
  };
  const tcp = tcpOf((e) => e.tcp);
  const reverse = tcpOf((e) => e.tcpReverse);
  row('tcp-gbps', 'TCP Gbps, hosts at default offloads', 'Gbps', 'TCP A -> B, hosts at default offloads', tcp((t) => t.gbps));
  row('tcp-retransmits', 'TCP retransmits', 'count', 'TCP retransmits', tcp((t) => t.retransmits));
  row('tcp-reverse-gbps', 'TCP Gbps, other way (B -> A), default offloads', 'Gbps', 'TCP B -> A, hosts at default offloads', reverse((t) => t.gbps));
  row('tcp-reverse-retransmits', 'TCP retransmits, other way', 'count', undefined, reverse((t) => t.retransmits));
  row('tcp-cpu-busy', 'TCP CPU 1 busy', 'share', undefined, tcp((t) => t.cpu.busy));
  row('tcp-cpu-process', 'TCP VTEP process CPU', 'share', undefined, (e) => (e.engine === 'kernel' ? undefined : tcp((t) => t.cpu.process)(e)));
  return rows;
}

function ratioOf(row: Row, over: EngineName): number {
  const a = row.cells.vxswitch?.value;
  const b = row.cells[over]?.value;
  return a === undefined || b === undefined || b === 0 ? NaN : a / b;
}

/** Medians over runs of every value, and the median of the per-run ratios (runs as rowsOf gives them). */
export function medianRows(perRun: Row[][], engines: readonly EngineName[]): MedianRow[] {
  const first = perRun[0] ?? [];
  return first.map((proto, i) => {
    const same = perRun.map((rows) => rows[i]!);
    const out: MedianRow = {
      key: proto.key, label: proto.label, unit: proto.unit, ...(proto.chart !== undefined ? { chart: proto.chart } : {}),
      values: {}, atLeast: {}, lossy: {}, workaround: {}, ratios: {},
    };
    for (const e of engines) {
      const cells = same.map((r) => r.cells[e]).filter((c): c is Cell => c !== undefined);
      if (cells.length === 0) continue;
      out.values[e] = median(cells.map((c) => c.value));
      if (cells.some((c) => c.atLeast === true)) out.atLeast[e] = true;
      if (cells.some((c) => c.lossy !== undefined)) out.lossy[e] = true;
      const w = cells.find((c) => c.workaround !== undefined)?.workaround;
      if (w !== undefined) out.workaround[e] = w;
    }
    for (const { key, over } of RATIOS) {
      if (!engines.includes('vxswitch') || !engines.includes(over)) continue;
      const perRunRatios = same.map((r) => ratioOf(r, over)).filter(Number.isFinite);
      if (perRunRatios.length > 0) out.ratios[key] = { median: median(perRunRatios), perRun: perRunRatios };
    }
    return out;
  });
}

/** A value as the table prints it (no qualifiers). */
export function formatValue(unit: Unit, v: number): string {
  if (!Number.isFinite(v)) return '-';
  switch (unit) {
    case 'share':
      return `${(v * 100).toFixed(0)} %`;
    case 'Gbps':
      return v.toFixed(2);
    case 'µs':
      return v.toFixed(2);
    case 'frames/s':
    case 'count':
      return Math.round(v).toLocaleString('en-US');
  }
}

/** Footnote marks for workarounds, in the order they first appear. */
export function workaroundMarks(rows: readonly MedianRow[]): Map<string, string> {
  const marks = new Map<string, string>();
  const symbols = ['†', '‡', '§'];
  for (const r of rows) {
    for (const w of Object.values(r.workaround)) if (w !== undefined && !marks.has(w)) marks.set(w, symbols[marks.size] ?? `[${marks.size + 1}]`);
  }
  return marks;
}

export interface TableText {
  header: string[];
  body: string[][];
  /** Lines to print under the table (what the marks mean). */
  notes: string[];
}

/** The table as text cells: one column per engine, then each ratio and its per-run values when there is more than one run. */
export function tableText(rows: readonly MedianRow[], engines: readonly EngineName[], runs: number, passLoss: number): TableText {
  const marks = workaroundMarks(rows);
  const ratios = RATIOS.filter((r) => engines.includes('vxswitch') && engines.includes(r.over));
  const header = ['', ...engines.map((e) => ENGINE_LABELS[e]), ...ratios.map((r) => `vxswitch/${ENGINE_LABELS[r.over]}`)];
  if (runs > 1) header.push(...ratios.map((r) => `per run v/${ENGINE_LABELS[r.over]}`));
  const body = rows.map((r) => {
    const cells = engines.map((e) => {
      const v = r.values[e];
      if (v === undefined) return '-';
      const w = r.workaround[e];
      return `${r.atLeast[e] === true ? '>= ' : ''}${formatValue(r.unit, v)}${r.lossy[e] === true ? ' *' : ''}${w !== undefined ? ` ${marks.get(w)}` : ''}`;
    });
    const ratioCells = ratios.map((x) => {
      const q = r.ratios[x.key];
      return q === undefined ? '' : q.median.toFixed(2);
    });
    const perRun = runs > 1 ? ratios.map((x) => (r.ratios[x.key]?.perRun ?? []).map((q) => q.toFixed(2)).join(' ')) : [];
    return [r.label, ...cells, ...ratioCells, ...perRun];
  });
  const notes: string[] = [];
  if (rows.some((r) => Object.keys(r.atLeast).length > 0)) notes.push('>= : generator-limited (the VTEP passed at the highest rate the generator could offer)');
  if (rows.some((r) => Object.keys(r.lossy).length > 0)) notes.push(`*  : even the lowest confirmed rate lost ${(passLoss * 100).toFixed(1)} % or more`);
  for (const [w, m] of marks) notes.push(`${m}  : ${w}`);
  if (runs > 1) notes.push(`values: medians of ${runs} runs; ratios: median of the per-run ratios (each measured within one run)`);
  return { header, body, notes };
}

/** Columns padded to width, the first left-aligned. */
export function formatColumns(header: readonly string[], body: readonly string[][]): string[] {
  const all = [header, ...body];
  const w = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  return all.map((row) => row.map((x, c) => (c === 0 ? x.padEnd(w[c]!) : x.padStart(w[c]!))).join('  ').trimEnd());
}
