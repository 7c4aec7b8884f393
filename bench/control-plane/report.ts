// The control-plane section's table: one line per receiver with medians
// over the runs, the ratios vxswitch / FRR VTEP for the same injection,
// per-run figures, notes and (with --cpu-prof) where vxswitch's time went.

import { BASELINE_S, GAP_TARGET_MS, type ProbeResult } from './probe.js';
import { printChurn } from './churn.js';
import type { ControlPlaneResult, ReceiverResult } from './result.js';

const fmtS = (x: number | undefined): string => (x === undefined ? '—' : x.toFixed(2));
const fmtK = (x: number): string => Math.round(x).toLocaleString('en-US');

function median(xs: readonly number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function defined<T>(xs: ReadonlyArray<T | undefined>): T[] {
  return xs.filter((x): x is T => x !== undefined);
}

interface RowSummary {
  name: string;
  runs: number;
  rib?: number;
  firstRib?: number;
  fdb?: number;
  /** Runs where it reached all. */
  ribDone: number;
  fdbDone: number;
  memory: Array<{ name: string; before: number; after: number; peak: number; cpuMs?: number }>;
  kbPerRoute: number;
  latency?: number;
  /** The forwarding probe, over the runs that had it. */
  probes: ProbeResult[];
  stall?: number;
  stallCpu?: number;
  stallRunQueue?: number;
  /** Per run: "RIB/FDB" seconds. */
  perRun: string[];
  notes: string[];
}

function summarize(result: ControlPlaneResult): RowSummary[] {
  const byName = new Map<string, ReceiverResult[]>();
  for (const r of result.runs) for (const s of r.scenarios) for (const x of s.receivers) byName.set(x.name, [...(byName.get(x.name) ?? []), x]);
  const out: RowSummary[] = [];
  for (const [name, rs] of byName) {
    const memNames = rs[0]!.memory.map((m) => m.name);
    const row: RowSummary = {
      name,
      runs: rs.length,
      ribDone: rs.filter((x) => x.allInRibS !== undefined).length,
      fdbDone: rs.filter((x) => x.allInFdbS !== undefined).length,
      memory: memNames.map((n) => {
        const ms = rs.map((x) => x.memory.find((m) => m.name === n)!);
        const cpu = median(defined(ms.map((m) => m.cpuMs)));
        return { name: n, before: median(ms.map((m) => m.rssBefore))!, after: median(ms.map((m) => m.rssAfter))!, peak: median(ms.map((m) => m.peak))!, ...(cpu !== undefined ? { cpuMs: cpu } : {}) };
      }),
      kbPerRoute: median(rs.map((x) => x.kbPerRoute))!,
      probes: defined(rs.map((x) => x.forwardingProbe)),
      perRun: rs.map((x) => `${fmtS(x.allInRibS)}/${fmtS(x.allInFdbS)}`),
      notes: [...new Set(rs.flatMap((x) => x.notes))],
    };
    const set = <K extends 'rib' | 'firstRib' | 'fdb' | 'latency' | 'stall' | 'stallCpu' | 'stallRunQueue'>(k: K, v: number | undefined): void => {
      if (v !== undefined) row[k] = v;
    };
    set('rib', median(defined(rs.map((x) => x.allInRibS))));
    set('firstRib', median(defined(rs.map((x) => x.firstInRibS))));
    set('fdb', median(defined(rs.map((x) => x.allInFdbS))));
    set('latency', median(defined(rs.map((x) => x.maxApiLatencyMs))));
    set('stall', median(defined(rs.map((x) => x.maxStallMs))));
    set('stallCpu', median(defined(rs.map((x) => x.maxStallCpuMs))));
    set('stallRunQueue', median(defined(rs.map((x) => x.maxStallRunQueueMs))));
    out.push(row);
  }
  return out;
}


/** The forwarding probe's line: medians, then each run's figures. */
function probeLine(ps: readonly ProbeResult[]): string {
  const med = (f: (p: ProbeResult) => number): number => median(ps.map(f))!;
  const runs = ps
    .map(
      (p) =>
        `${p.maxGapMs.toFixed(1)} ms${p.maxGapAtS !== undefined ? ` at ${p.maxGapAtS.toFixed(2)} s` : ''}, ${p.gapsOverTarget} > ${GAP_TARGET_MS} ms, ` +
        `baseline ${p.baselineMaxGapMs.toFixed(1)} ms, lost ${fmtK(p.lost)}/${fmtK(p.offered)}, sender ${p.senderMaxGapMs.toFixed(1)} ms`,
    )
    .join('; ');
  return (
    `forwarding probe ${fmtK(ps[0]!.rate)} frames/s until all in the FDB: longest inter-arrival gap while loading ${med((p) => p.maxGapMs).toFixed(1)} ms (target ≤ ${GAP_TARGET_MS} ms); ` +
    `before the first UPDATE (${BASELINE_S} s, idle switch: the machine's own share) ${med((p) => p.baselineMaxGapMs).toFixed(1)} ms; ` +
    `lost ${med((p) => (p.offered > 0 ? (100 * p.lost) / p.offered : 0)).toFixed(2)} %; the sender's own longest pause ${med((p) => p.senderMaxGapMs).toFixed(1)} ms (medians); per run: ${runs}`
  );
}

/** The section's table: one line per receiver (medians over the runs), then the ratios vxswitch / FRR. */
export function printControlPlane(result: ControlPlaneResult, print: (line: string) => void = console.log): void {
  if (result.skipped !== undefined) {
    print(`(skipped: ${result.skipped})`);
    return;
  }
  const n = result.routes;
  const runs = result.runs.length;
  if (runs > 0) print(`${n.toLocaleString('en-US')} Type 2 routes (VNI ${result.vni}) from the project's injector; seconds from its first UPDATE${runs > 1 ? `, medians of ${runs} runs` : ''}`);
  if (result.frrSkipped !== undefined) print(`(FRR scenario skipped: ${result.frrSkipped})`);
  const inj = defined(result.runs.flatMap((r) => r.scenarios.map((s) => s.injection)));
  if (inj.length > 0) {
    const i = inj[0]!;
    print(
      `injection: ${i.updates} UPDATEs, ${fmtK(i.bytes / 1024)} KiB, encoded in ${fmtK(median(inj.map((x) => x.encodeMs))!)} ms beforehand; ` +
        `writes took ${fmtK(median(inj.map((x) => x.writeMs))!)} ms (median; bounded by how fast the receiver reads)`,
    );
  }
  const rows = summarize(result);
  const million = result.million === undefined ? [] : summarize({ ...result, routes: result.million.routes, runs: result.million.runs });
  const header = ['receiver', 'N', 'first in RIB', 'all in RIB', 'all in FDB', 'RSS before → after (peak), KiB', 'KB/route', 'longest forwarding gap while loading'];
  const line = (n: number) => (r: RowSummary): string[] => {
    const done = (ok: number, v: number | undefined): string => (v === undefined ? 'not done' : `${fmtS(v)}${ok < r.runs ? ` (${ok}/${r.runs} runs)` : ''}`);
    const mem = r.memory.map((m) => `${r.memory.length > 1 ? `${m.name} ` : ''}${fmtK(m.before)} → ${fmtK(m.after)} (${fmtK(m.peak)})`).join('; ');
    const gap = r.probes.length === 0 ? '—' : `${median(r.probes.map((p) => p.maxGapMs))!.toFixed(1)} ms`;
    return [r.name, fmtK(n), fmtS(r.firstRib), done(r.ribDone, r.rib), r.name.startsWith('FRR RR') ? '—' : done(r.fdbDone, r.fdb), mem, r.kbPerRoute.toFixed(2), gap];
  };
  const lines = [...rows.map(line(n)), ...million.map(line(result.million?.routes ?? 0))];
  const widths = header.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c]!.length)));
  const fmtRow = (cells: string[]): string => cells.map((x, c) => (c === 0 || c === 5 ? x.padEnd(widths[c]!) : x.padStart(widths[c]!))).join('  ');
  print(fmtRow(header));
  for (const l of lines) print(fmtRow(l));
  const frr = rows.find((r) => r.name === 'FRR VTEP via RR');
  const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || b === 0 ? '—' : `${(a / b).toFixed(2)}×`);
  if (frr !== undefined) {
    for (const name of ['vxswitch via RR', 'vxswitch direct']) {
      const v = rows.find((r) => r.name === name);
      if (v === undefined) continue;
      print(
        `${name} / FRR VTEP via RR: all in RIB ${ratio(v.rib, frr.rib)}, all in FDB ${ratio(v.fdb, frr.fdb)}, KB/route ${ratio(v.kbPerRoute, frr.kbPerRoute)}` +
          (name === 'vxswitch direct' ? ' (direct skips the RR: not the same path)' : ''),
      );
    }
  }
  if (result.million !== undefined) {
    print(`${fmtK(result.million.routes)}-route rows: one run, waits bounded at ${result.million.timeoutS} s ("not done": not all in by then)`);
    for (const r of million) for (const note of r.notes) print(`${r.name} (${fmtK(result.million.routes)}): ${note}`);
    for (const r of million) if (r.latency !== undefined) print(`${r.name} (${fmtK(result.million.routes)}): slowest API answer while loading ${fmtK(r.latency)} ms`);
  }
  if (runs > 1) print(`per run, all in RIB/FDB (s): ${rows.map((r) => `${r.name} ${r.perRun.join(' ')}`).join('; ')}`);
  for (const r of rows) {
    if (r.latency !== undefined) print(`${r.name}: slowest API answer while loading ${fmtK(r.latency)} ms (median over runs; the daemon's longest event-loop stall seen)`);
    if (r.probes.length > 0) print(`${r.name}: ${probeLine(r.probes)}`);
    if (r.stall !== undefined) print(`${r.name}: longest event-loop stall while loading, seen by the daemon's own timer probe: ${fmtK(r.stall)} ms, of which it ran ${fmtK(r.stallCpu ?? 0)} ms on a CPU and waited ${fmtK(r.stallRunQueue ?? 0)} ms for one (medians over runs)`);
    for (const note of r.notes) print(`${r.name}: ${note}`);
  }
  const cpu = rows.map((r) => `${r.name} ${r.memory.map((m) => `${r.memory.length > 1 ? `${m.name} ` : ''}${m.cpuMs === undefined ? '—' : (m.cpuMs / 1000).toFixed(2)}`).join(' + ')}`);
  print(`CPU seconds used while loading (user + system, medians; 2 cores shared by every process of the lab): ${cpu.join('; ')}`);
  print('FRR VTEP memory is bgpd + zebra; the kernel FDB it fills is kernel memory, in no RSS. vxswitch RSS includes its preallocated FDB table.');
  for (const [i, r] of result.runs.entries()) for (const s of r.scenarios) if (s.error !== undefined) print(`run ${i + 1} ${s.scenario} failed: ${s.error}`);
  if (result.churn !== undefined) printChurn(result.churn, print);
  if (result.profile !== undefined) {
    print('vxswitch CPU profile while loading (first UPDATE until all in), self time summed over the profiled daemons:');
    for (const p of result.profile) print(`  ${p.selfMs.toFixed(0).padStart(7)} ms ${(p.selfShare * 100).toFixed(1).padStart(5)} %  ${p.functionName}  ${p.location}`);
  }
}
