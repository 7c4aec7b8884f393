// End-to-end bench (issue 3, acceptance 6): the kernel's bridge + vxlan and
// vxswitch as the VTEP on the same veth topology, in one run, printed side
// by side with the ratio vxswitch/kernel. Method: ../shared/BENCH-NOTES.md;
// topology.ts draws the namespaces.
//
//   node dist/bench/e2e/index.js [--runs N] [--engines kernel,vxswitch] [--nice N] [--cpu-prof DIR] [--json]
//   (bench/index.ts calls benchEndToEnd(); needs root, ip, bridge, taskset,
//   ethtool, iperf3 and the native addon, else it says why it is skipped)
//
// Per engine: the highest loss-free rate at 64 and 1400 bytes (loss-free.ts:
// overload run, probe, bisection with 2 s runs, a failing rate tried twice,
// then the median of 3 confirming 3 s runs; pass = under 0.5 % loss), the
// rate delivered under overload (the generator at its maximum), CPU 1's
// busy and softirq shares and the switch process's CPU (cpu-stat.ts), and
// iperf3 TCP for 5 s (tcp.ts) with the member link's offloads off for both
// engines (vxswitch needs them off); the kernel is also measured with them
// on, for information. Generator, switch process and iperf3 run at nice -20
// (--nice) so other work on a shared machine does not take their cores.
// Everything is cleaned up on the way out, also on failure or Ctrl-C.
// About 3 to 4 minutes.

import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadNativeIo } from '../../src/dataplane/native-io.js';
import type { Engine } from './engine.js';
import { kernelEngine } from './kernel-engine.js';
import { loadRun, type LoadRun } from './load.js';
import { DEFAULT_KNEE, findKnee, median, type KneeOptions, type KneeResult } from './loss-free.js';
import { currentNice, endChildren, killChildrenNow, onPath, setNice } from './netns.js';
import { tcpRun, type TcpResult } from './tcp.js';
import {
  createTopology,
  destroyTopology,
  destroyTopologySync,
  MEMBER_IF,
  setMemberOffloads,
  topologyNames,
  type Topology,
} from './topology.js';
import { vxswitchEngine } from './vxswitch-engine.js';

export interface EndToEndOptions {
  /** Whole runs (both engines each time); medians are printed when more than one. */
  runs?: number;
  sizes?: number[];
  knee?: Partial<KneeOptions>;
  tcpSeconds?: number;
  /** Engines to measure (default both; the ratios need both). */
  engines?: ('kernel' | 'vxswitch')[];
  /** Nice value of generator, switch process and iperf3 (default -20; netns.ts). */
  nice?: number;
  /** Write a V8 CPU profile of every vxswitch process here. */
  cpuProfDir?: string;
  log?: (line: string) => void;
}

export interface EngineRun {
  engine: string;
  knees: KneeResult[];
  /** Member link offloads off (both engines). */
  tcp?: TcpResult;
  /** Kernel only: member link offloads on. */
  tcpOffloadsOn?: TcpResult;
  errors: string[];
  notes: string[];
}

export interface EndToEndRun {
  /** Generator ceiling per frame size: frames/s into the member port with no VTEP running. */
  ceiling: Record<number, number>;
  engines: EngineRun[];
}

export interface EndToEndResult {
  /** Why the section did not run (not root, a tool missing); absent when it ran. */
  skipped?: string;
  /** Why TCP was not measured, when it was not. */
  tcpSkipped?: string;
  runs: EndToEndRun[];
}

const SWITCH_PROCESS = fileURLToPath(new URL('./switch-process.js', import.meta.url));

/** Why the section cannot run here, or undefined. */
function missingPrerequisite(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux (network namespaces, AF_PACKET)';
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, veth, AF_PACKET); run `sudo npm run bench`';
  for (const tool of ['ip', 'bridge', 'taskset', 'nice', 'ethtool']) if (!onPath(tool)) return `${tool} is not installed (scripts/install-deps.sh)`;
  if (!existsSync(SWITCH_PROCESS)) return `${SWITCH_PROCESS} is missing (npm run build)`;
  try {
    loadNativeIo();
  } catch (e) {
    return `the load generator needs the native addon: ${(e as Error).message}`;
  }
  return undefined;
}

function fmt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '-';
}
function pct(x: number, digits = 0): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(digits)} %` : '-';
}
function kfmt(rate: number): string {
  return `${(rate / 1000).toFixed(0)}k`;
}

function traceKnee(engine: string, r: KneeResult): string {
  // rate asked (-> rate the generator made, when it fell short by 3 % or more): loss
  const run = (x: LoadRun): string =>
    `${kfmt(x.rate)}${x.offeredRate < 0.97 * x.rate ? `->${kfmt(x.offeredRate)}` : ''}:${(x.loss * 100).toFixed(2)}%`;
  return (
    `  ${engine} ${r.size} B: overload sent ${kfmt(r.overload.sent / r.overload.seconds)} delivered ${kfmt(r.overload.deliveredRate)}/s; ` +
    `steps ${r.steps.map(run).join(' ')}; confirm ${r.confirm.map(run).join(' ')}; ` +
    `CPU 1 there: busy ${pct(r.cpu.busy)}, softirq ${pct(r.cpu.softirq)}, switch process ${pct(r.cpu.process)}`
  );
}

async function measureEngine(
  t: Topology,
  engine: Engine,
  ceiling: Record<number, number>,
  sizes: number[],
  knee: KneeOptions,
  tcpSeconds: number,
  tcp: boolean,
  log: (l: string) => void,
): Promise<EngineRun> {
  const out: EngineRun = { engine: engine.name, knees: [], errors: [], notes: [] };
  try {
    await setMemberOffloads(t, false);
    await engine.start(t);
    // The path must work before bisecting anything. The first run also
    // warms up (a fresh switch process compiles its fast path while the
    // first frames wait), so only the second one is judged.
    const pid = engine.pid?.();
    await loadRun(t, 64, 0.5, 10_000);
    const check = await loadRun(t, 64, 0.5, 10_000);
    if (check.loss > 0.5) throw new Error(`path check: ${pct(check.loss, 1)} of 10k frames/s lost; the VTEP does not forward`);
    for (const size of sizes) {
      const r = await findKnee(t, size, ceiling[size]!, knee, pid);
      out.knees.push(r);
      log(traceKnee(engine.name, r));
    }
    if (tcp) {
      try {
        out.tcp = await tcpRun(t, tcpSeconds, pid);
        if (engine.name === 'kernel') {
          await setMemberOffloads(t, true);
          out.tcpOffloadsOn = await tcpRun(t, tcpSeconds);
        }
      } catch (e) {
        out.errors.push(`TCP: ${(e as Error).message}`);
      } finally {
        await setMemberOffloads(t, false);
      }
    }
  } catch (e) {
    out.errors.push((e as Error).message);
  } finally {
    await engine.stop();
    out.notes.push(...(engine.notes?.() ?? []));
  }
  return out;
}

type Kind = 'rate' | 'share' | 'gbps';

interface Row {
  label: string;
  kind: Kind;
  kernel: number;
  vxswitch: number;
  /** Qualifiers per engine: generator-limited (">= "), not loss-free (" (loss x %)"). */
  prefix?: [string, string];
  suffix?: [string, string];
  /** No ratio for this row. */
  noRatio?: boolean;
}

function show(kind: Kind, v: number): string {
  if (!Number.isFinite(v)) return '-';
  if (kind === 'share') return pct(v);
  if (kind === 'gbps') return v.toFixed(2);
  return fmt(v);
}

function rowsOf(run: EndToEndRun, sizes: number[], passLoss: number): Row[] {
  const e = (name: string): EngineRun | undefined => run.engines.find((x) => x.engine === name);
  const kn = (name: string, size: number): KneeResult | undefined => e(name)?.knees.find((r) => r.size === size);
  const rows: Row[] = [];
  for (const size of sizes) {
    const k = kn('kernel', size);
    const v = kn('vxswitch', size);
    const get = (f: (r: KneeResult) => number): { kernel: number; vxswitch: number } => ({
      kernel: k === undefined ? NaN : f(k),
      vxswitch: v === undefined ? NaN : f(v),
    });
    const pre = (r: KneeResult | undefined): string => (r?.generatorLimited ? '>= ' : '');
    const suf = (r: KneeResult | undefined): string => (r !== undefined && r.loss >= passLoss ? ` (loss ${pct(r.loss, 1)})` : '');
    rows.push({ label: `${size} B loss-free frames/s`, kind: 'rate', ...get((r) => r.rate), prefix: [pre(k), pre(v)], suffix: [suf(k), suf(v)] });
    rows.push({ label: `${size} B CPU 1 busy at that rate`, kind: 'share', ...get((r) => r.cpu.busy), noRatio: true });
    rows.push({ label: `${size} B CPU 1 softirq at that rate`, kind: 'share', ...get((r) => r.cpu.softirq), noRatio: true });
    rows.push({ label: `${size} B switch process CPU at that rate`, kind: 'share', ...get((r) => (r === k ? NaN : r.cpu.process)), noRatio: true });
    rows.push({ label: `${size} B overload: delivered/s`, kind: 'rate', ...get((r) => r.overload.deliveredRate) });
  }
  const tcp = (name: string, f: (t: TcpResult) => number): number => {
    const t = e(name)?.tcp;
    return t === undefined ? NaN : f(t);
  };
  rows.push({ label: 'TCP Gbps (member offloads off)', kind: 'gbps', kernel: tcp('kernel', (t) => t.gbps), vxswitch: tcp('vxswitch', (t) => t.gbps) });
  rows.push({ label: 'TCP CPU 1 busy', kind: 'share', kernel: tcp('kernel', (t) => t.cpu.busy), vxswitch: tcp('vxswitch', (t) => t.cpu.busy), noRatio: true });
  rows.push({ label: 'TCP CPU 1 softirq', kind: 'share', kernel: tcp('kernel', (t) => t.cpu.softirq), vxswitch: tcp('vxswitch', (t) => t.cpu.softirq), noRatio: true });
  rows.push({ label: 'TCP switch process CPU', kind: 'share', kernel: NaN, vxswitch: tcp('vxswitch', (t) => t.cpu.process), noRatio: true });
  const on = e('kernel')?.tcpOffloadsOn;
  rows.push({ label: 'TCP Gbps (member offloads on)', kind: 'gbps', kernel: on?.gbps ?? NaN, vxswitch: NaN, noRatio: true });
  return rows;
}

function printRows(header: string[], table: string[][], log: (l: string) => void): void {
  const all = [header, ...table];
  const w = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  for (const row of all) log(row.map((x, c) => (c === 0 ? x.padEnd(w[c]!) : x.padStart(w[c]!))).join('  ').trimEnd());
}

function cell(r: Row, j: 0 | 1): string {
  const v = j === 0 ? r.kernel : r.vxswitch;
  if (!Number.isFinite(v)) return r.noRatio ? 'n/a' : '-';
  return (r.prefix?.[j] ?? '') + show(r.kind, v) + (r.suffix?.[j] ?? '');
}

function printTable(rows: Row[], log: (l: string) => void): void {
  printRows(
    ['', 'kernel', 'vxswitch', 'vxswitch/kernel'],
    rows.map((r) => {
      const ratio = r.vxswitch / r.kernel;
      return [
        r.label,
        cell(r, 0),
        cell(r, 1),
        r.noRatio || !Number.isFinite(ratio) ? '' : ratio.toFixed(2),
      ];
    }),
    log,
  );
}

export async function benchEndToEnd(options: EndToEndOptions = {}): Promise<EndToEndResult> {
  const out = options.log ?? ((l: string) => console.log(l));
  let interrupted = false;
  // After Ctrl-C only the cleanup speaks.
  const log = (l: string): void => {
    if (!interrupted) out(l);
  };
  const skipped = missingPrerequisite();
  if (skipped !== undefined) {
    log(`end-to-end section skipped: ${skipped}`);
    return { skipped, runs: [] };
  }
  let tcpSkipped: string | undefined;
  for (const tool of ['iperf3', 'ping', 'ss']) {
    if (!onPath(tool)) tcpSkipped ??= `${tool} is not installed (scripts/install-deps.sh)`;
  }
  if (tcpSkipped) log(`TCP part skipped: ${tcpSkipped}`);
  if (options.nice !== undefined) setNice(options.nice);
  const runs = options.runs ?? 1;
  const sizes = options.sizes ?? [64, 1400];
  const knee: KneeOptions = { ...DEFAULT_KNEE, ...options.knee };
  const tcpSeconds = options.tcpSeconds ?? 5;
  log(
    [
      'method (../shared/BENCH-NOTES.md): namespaces gen -> veth -> switch (VTEP) -> veth (MTU 1550) -> rx (no address);',
      '  generator = the native addon (AF_PACKET sendmmsg, qdisc bypassed, 256 inner flows) on CPU 0, VTEP on CPU 1 (RPS too),',
      `  generator, switch process and iperf3 at nice ${currentNice()}; known-unicast path (static remote FDB entry, same for both engines);`,
      `  delivered = rx veth rx_packets; loss-free = overload run, probe, bisection with ${knee.bisectSeconds} s runs,`,
      `  then median of ${knee.confirmRuns} x ${knee.confirmSeconds} s confirming runs (pass: loss < ${(knee.passLoss * 100).toFixed(1)} % of offered);`,
      `  TCP: iperf3 ${tcpSeconds} s host A -> VTEP -> kernel VTEP -> host B, member link offloads off for both engines`,
      '  (tx checksum, TSO, GSO; host B\'s vxlan device too); the kernel again with member offloads on, for information.',
    ].join('\n'),
  );

  const t0 = topologyNames(String(process.pid));
  let topo: Topology | undefined;
  const onExit = (): void => {
    killChildrenNow();
    destroyTopologySync(t0);
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`interrupted (${sig}): removing the bench namespaces`);
    interrupted = true;
    void endChildren(1000).finally(() => {
      destroyTopologySync(t0);
      process.exit(130);
    });
  };
  process.on('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const result: EndToEndResult = { runs: [], ...(tcpSkipped ? { tcpSkipped } : {}) };
  try {
    topo = await createTopology(String(process.pid));
    for (let n = 0; n < runs; n++) {
      const started = Date.now();
      if (runs > 1) log(`\nrun ${n + 1}/${runs}`);
      const ceiling: Record<number, number> = {};
      await setMemberOffloads(topo, false);
      for (const size of sizes) {
        const c = await loadRun(topo, size, knee.bisectSeconds, 0, { countAt: { ns: topo.sw, ifname: MEMBER_IF } });
        ceiling[size] = c.deliveredRate;
      }
      log(`generator ceiling (no VTEP): ${sizes.map((s) => `${s} B ${fmt(ceiling[s]!)}/s`).join(', ')}`);
      const engines: EngineRun[] = [];
      const wanted = options.engines ?? ['kernel', 'vxswitch'];
      const engineList: Engine[] = [];
      if (wanted.includes('kernel')) engineList.push(kernelEngine());
      if (wanted.includes('vxswitch')) engineList.push(vxswitchEngine(options.cpuProfDir !== undefined ? { cpuProfDir: options.cpuProfDir } : {}));
      for (const engine of engineList) {
        const r = await measureEngine(topo, engine, ceiling, sizes, knee, tcpSeconds, tcpSkipped === undefined, log);
        for (const err of r.errors) log(`  ${engine.name}: ERROR ${err}`);
        for (const note of r.notes) log(`  ${note}`);
        engines.push(r);
      }
      const run: EndToEndRun = { ceiling, engines };
      result.runs.push(run);
      log('');
      printTable(rowsOf(run, sizes, knee.passLoss), log);
      log(`(run took ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    }
    if (runs > 1) printMedians(result.runs, sizes, knee.passLoss, log);
  } finally {
    await endChildren();
    if (topo !== undefined) await destroyTopology(topo);
    else destroyTopologySync(t0);
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return result;
}

/** Medians over runs of every value, and the median of the per-run ratios. */
function printMedians(runs: EndToEndRun[], sizes: number[], passLoss: number, log: (l: string) => void): void {
  const perRun = runs.map((r) => rowsOf(r, sizes, passLoss));
  log(
    `\nmedians of ${runs.length} runs (ratio: median of the per-run ratios; ">=": generator-limited in some run;` +
      ` "*": in some run even the lowest confirmed rate lost ${(passLoss * 100).toFixed(1)} % or more)`,
  );
  printRows(
    ['', 'kernel', 'vxswitch', 'vxswitch/kernel', 'per-run ratios'],
    perRun[0]!.map((row, i) => {
      const col = (j: 0 | 1): string => {
        const vals = perRun.map((rows) => (j === 0 ? rows[i]!.kernel : rows[i]!.vxswitch)).filter(Number.isFinite);
        if (vals.length === 0) return row.noRatio ? 'n/a' : '-';
        const limited = perRun.some((rows) => rows[i]!.prefix?.[j] === '>= ');
        const lossy = perRun.some((rows) => (rows[i]!.suffix?.[j] ?? '') !== '');
        return (limited ? '>= ' : '') + show(row.kind, median(vals)) + (lossy ? ' *' : '');
      };
      const ratios = perRun.map((rows) => rows[i]!.vxswitch / rows[i]!.kernel).filter(Number.isFinite);
      return [
        row.label,
        col(0),
        col(1),
        row.noRatio || ratios.length === 0 ? '' : median(ratios).toFixed(2),
        row.noRatio ? '' : ratios.map((x) => x.toFixed(2)).join(' '),
      ];
    }),
    log,
  );
}

// Run alone.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const o: EndToEndOptions = { runs: Number(opt('runs') ?? '1') };
  const engines = opt('engines');
  if (engines !== undefined) o.engines = engines.split(',') as ('kernel' | 'vxswitch')[];
  const nice = opt('nice');
  if (nice !== undefined) o.nice = Number(nice);
  const prof = opt('cpu-prof');
  if (prof !== undefined) o.cpuProfDir = prof;
  const res = await benchEndToEnd(o);
  if (args.includes('--json')) console.log(JSON.stringify(res));
}
