// Everything the end-to-end bench measures of one engine in one run: start
// it, check the path, find the loss-free rate and the overload figure per
// frame size, TCP both ways with every host at its default offloads, and
// stop it, whatever failed on the way. docs/benchmarking.md "Method".

import type { Engine } from './engine.js';
import { loadRun, type LoadRun } from './load.js';
import { findKnee, type KneeOptions, type KneeResult } from './loss-free.js';
import type { EngineRun } from './results.js';
import { tcpRun } from './tcp.js';
import type { Topology } from './topology.js';

export interface MeasureOptions {
  ceiling: Record<number, number>;
  sizes: readonly number[];
  knee: KneeOptions;
  tcpSeconds: number;
  /** Run TCP at all (iperf3, ping and ss present). */
  tcp: boolean;
  log: (line: string) => void;
}

function pct(x: number, digits = 0): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : '-';
}

function kfmt(rate: number): string {
  return `${(rate / 1000).toFixed(0)}k`;
}

/** One line per knee search: every run it made, for reading a surprising figure. */
export function traceKnee(engine: string, r: KneeResult): string {
  // rate asked (-> rate the generator made, when it fell short by 3 % or more): loss
  const run = (x: LoadRun): string =>
    `${kfmt(x.rate)}${x.offeredRate < 0.97 * x.rate ? `->${kfmt(x.offeredRate)}` : ''}:${(x.loss * 100).toFixed(2)}%`;
  return (
    `  ${engine} ${r.size} B: overload sent ${kfmt(r.overload.sent / r.overload.seconds)} delivered ${kfmt(r.overload.deliveredRate)}/s; ` +
    `steps ${r.steps.map(run).join(' ')}; confirm ${r.confirm.map(run).join(' ')}; ` +
    `CPU 1 there: busy ${pct(r.cpu.busy)}, softirq ${pct(r.cpu.softirq)}, VTEP process ${pct(r.cpu.process)}`
  );
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export async function measureEngine(t: Topology, engine: Engine, o: MeasureOptions): Promise<EngineRun> {
  const out: EngineRun = { engine: engine.name, knees: [], errors: [], notes: [] };
  try {
    await engine.start(t);
    // The path must work before bisecting anything. The first run also
    // warms up (a fresh switch process compiles its fast path while the
    // first frames wait), so only the second one is judged.
    const pid = engine.pid?.();
    await loadRun(t, 64, 0.5, 10_000);
    const check = await loadRun(t, 64, 0.5, 10_000);
    if (check.loss > 0.5) throw new Error(`path check: ${pct(check.loss, 1)} of 10k frames/s lost; the VTEP does not forward`);
    for (const size of o.sizes) {
      const r = await findKnee(t, size, o.ceiling[size]!, o.knee, pid);
      out.knees.push(r);
      o.log(traceKnee(engine.name, r));
    }
    if (o.tcp) await measureTcp(t, engine, out, o);
  } catch (e) {
    out.errors.push(message(e));
  } finally {
    await engine.stop();
    out.notes.push(...(engine.notes?.() ?? []));
  }
  return out;
}

async function measureTcp(t: Topology, engine: Engine, out: EngineRun, o: MeasureOptions): Promise<void> {
  const pid = engine.pid?.();
  const w = engine.tcpWorkaround;
  if (w !== undefined) out.tcpWorkaround = w.label;
  try {
    await w?.set(t, true);
    // Each failure is the figure's, not the engine's: a VTEP that cannot
    // take GSO frames yet fails here (bounded, tcp.ts) and the rest goes on.
    try {
      out.tcp = await tcpRun(t, o.tcpSeconds, pid);
    } catch (e) {
      out.tcpError = message(e);
    }
    try {
      out.tcpReverse = await tcpRun(t, o.tcpSeconds, pid, { reverse: true });
    } catch (e) {
      out.tcpReverseError = message(e);
    }
  } finally {
    await w?.set(t, false);
  }
}
