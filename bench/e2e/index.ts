// End-to-end bench: the kernel's bridge + vxlan, Open vSwitch's userspace
// datapath and vxswitch as the VTEP on the same veth topology, in one run,
// with every host at its default offloads, printed side by side with the
// ratios vxswitch/kernel and vxswitch/OVS, and drawn as an SVG chart.
// Method: docs/benchmarking.md; topology.ts draws the namespaces.
//
//   node dist/bench/e2e/index.js [--runs N] [--engines kernel,ovs,vxswitch] [--nice N]
//        [--sizes 64,1400|none] [--vxswitch-config JSON] [--chart PATH | --no-chart]
//        [--cpu-prof DIR] [--json]
//   --vxswitch-config merges into vxswitch's DataplaneConfig, to measure one
//   lever against another, e.g. '{"rxMode":"recvmmsg"}' or '{"underlayLink":false}'.
//
// (bench/index.ts calls benchEndToEnd(); needs root, ip, bridge, taskset,
// ethtool, iperf3 and the native addon, else it says why it is skipped;
// installs Debian's openvswitch-switch when OVS is wanted and missing,
// ovs-install.ts, and measures the rest when that fails.)
//
// Per engine (measure-engine.ts): the highest loss-free rate at 64 and 1400
// bytes (loss-free.ts), the rate delivered under overload and its share of
// the loss-free rate (receive livelock), CPU 1's use (cpu-stat.ts), iperf3
// TCP for 5 s (tcp.ts) with hosts at default offloads (OVS needs one
// workaround, ovs-engine.ts, footnoted), both ways. Generator, switch
// process and iperf3 run at nice -20 (--nice) so other work on a shared
// machine does not take their cores. Everything is cleaned up on the way
// out, also on failure or Ctrl-C. About 5 to 6 minutes per run.

import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadNativeIo } from '../../src/dataplane/native-io.js';
import { machineLine, renderChart } from './chart.js';
import { ENGINE_LABELS, ENGINE_NAMES, isEngineName, type Engine, type EngineName } from './engine.js';
import { kernelEngine } from './kernel-engine.js';
import { loadRun } from './load.js';
import { DEFAULT_KNEE, type KneeOptions } from './loss-free.js';
import { measureEngine } from './measure-engine.js';
import { currentNice, endChildren, killChildrenNow, onPath, setNice } from './netns.js';
import { ovsEngine } from './ovs-engine.js';
import { ensureOvs } from './ovs-install.js';
import type { EndToEndRun, EngineRun } from './results.js';
import { formatColumns, medianRows, rowsOf, tableText, type MedianRow } from './table.js';
import { createTopology, destroyTopology, destroyTopologySync, MEMBER_IF, topologyNames, type Topology } from './topology.js';
import { vxswitchEngine } from './vxswitch-engine.js';
import type { DataplaneConfig } from '../../src/dataplane/dataplane-config.js';

export type { EndToEndRun, EngineRun } from './results.js';

export interface EndToEndOptions {
  /** Whole runs (every engine each time); medians are printed when more than one. */
  runs?: number;
  sizes?: number[];
  knee?: Partial<KneeOptions>;
  tcpSeconds?: number;
  /** Engines to measure, in this order (default all three; the ratios need vxswitch and the other). */
  engines?: EngineName[];
  /** Nice value of generator, switch process and iperf3 (default -20; netns.ts). */
  nice?: number;
  /** Write a V8 CPU profile of every vxswitch process here. */
  cpuProfDir?: string;
  /** Merged into vxswitch's DataplaneConfig (rxMode, underlayLink, ...): to measure one lever against another. */
  vxswitchConfig?: Partial<DataplaneConfig>;
  /** Where to write the SVG chart (default docs/bench/e2e.svg in the repository); false: none. */
  chart?: string | false;
  /** The command line, for the chart's title (default: this process's). */
  command?: string;
  log?: (line: string) => void;
}

export interface EndToEndResult {
  /** ISO time the section started. */
  date: string;
  machine: string;
  command: string;
  engines: EngineName[];
  sizes: number[];
  knee: KneeOptions;
  tcpSeconds: number;
  /** Why the section did not run (not root, a tool missing); absent when it ran. */
  skipped?: string;
  /** Why TCP was not measured, when it was not. */
  tcpSkipped?: string;
  /** Why OVS was not measured, when it was wanted and could not be installed. */
  ovsSkipped?: string;
  runs: EndToEndRun[];
  /** The printed table: medians over runs, ratios (table.ts). */
  table: MedianRow[];
  /** Where the chart was written. */
  chart?: string;
}

const SWITCH_PROCESS = fileURLToPath(new URL('./switch-process.js', import.meta.url));
/** The chart the README shows: docs/bench/e2e.svg from the repository root (this file runs from dist/bench/e2e). */
export const DEFAULT_CHART = fileURLToPath(new URL('../../../docs/bench/e2e.svg', import.meta.url));

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

function printTable(rows: MedianRow[], engines: readonly EngineName[], runs: number, passLoss: number, log: (l: string) => void): void {
  const t = tableText(rows, engines, runs, passLoss);
  for (const line of formatColumns(t.header, t.body)) log(line);
  for (const note of t.notes) log(note);
}

function engineOf(name: EngineName, o: EndToEndOptions): Engine {
  switch (name) {
    case 'kernel':
      return kernelEngine();
    case 'ovs':
      return ovsEngine();
    case 'vxswitch':
      return vxswitchEngine({
        ...(o.cpuProfDir !== undefined ? { cpuProfDir: o.cpuProfDir } : {}),
        ...(o.vxswitchConfig !== undefined ? { config: o.vxswitchConfig } : {}),
      });
  }
}

/** Errors of a run, one line each, for the log and the chart's footnotes. */
function problems(e: EngineRun): string[] {
  const who = ENGINE_LABELS[e.engine];
  return [
    ...(e.skipped !== undefined ? [`${who}: not measured: ${e.skipped}`] : []),
    ...e.errors.map((err) => `${who}: ERROR ${err}`),
    ...(e.tcpError !== undefined ? [`${who}: TCP (hosts at default offloads) gave no figure: ${e.tcpError}`] : []),
    ...(e.tcpReverseError !== undefined ? [`${who}: TCP the other way (B -> A) gave no figure: ${e.tcpReverseError}`] : []),
  ];
}

export async function benchEndToEnd(options: EndToEndOptions = {}): Promise<EndToEndResult> {
  const out = options.log ?? ((l: string) => console.log(l));
  let interrupted = false;
  // After Ctrl-C only the cleanup speaks.
  const log = (l: string): void => {
    if (!interrupted) out(l);
  };
  const engines = options.engines ?? [...ENGINE_NAMES];
  const runs = options.runs ?? 1;
  const sizes = options.sizes ?? [64, 1400];
  const knee: KneeOptions = { ...DEFAULT_KNEE, ...options.knee };
  const tcpSeconds = options.tcpSeconds ?? 5;
  const result: EndToEndResult = {
    date: new Date().toISOString(),
    machine: machineLine(),
    command: options.command ?? process.argv.slice(1).join(' '),
    engines,
    sizes,
    knee,
    tcpSeconds,
    runs: [],
    table: [],
  };
  const skipped = missingPrerequisite();
  if (skipped !== undefined) {
    log(`end-to-end section skipped: ${skipped}`);
    return { ...result, skipped };
  }
  for (const tool of ['iperf3', 'ping', 'ss']) {
    if (!onPath(tool)) result.tcpSkipped ??= `${tool} is not installed (scripts/install-deps.sh)`;
  }
  if (result.tcpSkipped !== undefined) log(`TCP part skipped: ${result.tcpSkipped}`);
  if (engines.includes('ovs')) {
    result.ovsSkipped = await ensureOvs(log);
    if (result.ovsSkipped !== undefined) log(`OVS not measured: ${result.ovsSkipped}`);
  }
  if (options.nice !== undefined) setNice(options.nice);
  log(
    [
      'method (docs/benchmarking.md): namespaces gen -> veth -> switch (VTEP) -> veth (MTU 1550) -> rx (no address), hosts at default offloads;',
      '  generator = the native addon (AF_PACKET sendmmsg, qdisc bypassed, 256 inner flows) on CPU 0, VTEP on CPU 1 (RPS too),',
      `  generator, VTEP process and iperf3 at nice ${currentNice()}; known-unicast path (a static entry for the destination MAC in every engine);`,
      `  delivered = rx veth rx_packets; loss-free = overload run, probe, bisection with ${knee.bisectSeconds} s runs,`,
      `  then median of ${knee.confirmRuns} x ${knee.confirmSeconds} s confirming runs (pass: loss < ${(knee.passLoss * 100).toFixed(1)} % of offered);`,
      `  TCP: iperf3 ${tcpSeconds} s host A -> VTEP -> kernel VTEP -> host B, and the other way (-R), every host at default offloads.`,
    ].join('\n'),
  );

  const t0 = topologyNames(String(process.pid));
  let topo: Topology | undefined;
  const onExit = (): void => {
    killChildrenNow();
    destroyTopologySync(t0);
  };
  const onSignal = (sig: NodeJS.Signals): void => {
    log(`interrupted (${sig}): stopping the VTEPs, removing the bench namespaces`);
    interrupted = true;
    void endChildren(1000).finally(() => {
      destroyTopologySync(t0);
      process.exit(130);
    });
  };
  process.on('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    topo = await createTopology(String(process.pid));
    for (let n = 0; n < runs; n++) {
      const started = Date.now();
      if (runs > 1) log(`\nrun ${n + 1}/${runs}`);
      const ceiling: Record<number, number> = {};
      for (const size of sizes) {
        const c = await loadRun(topo, size, knee.bisectSeconds, 0, { countAt: { ns: topo.sw, ifname: MEMBER_IF } });
        ceiling[size] = c.deliveredRate;
      }
      log(`generator ceiling (no VTEP): ${sizes.map((s) => `${s} B ${fmt(ceiling[s]!)}/s`).join(', ')}`);
      const measured: EngineRun[] = [];
      for (const name of engines) {
        const r: EngineRun =
          name === 'ovs' && result.ovsSkipped !== undefined
            ? { engine: name, knees: [], errors: [], notes: [], skipped: result.ovsSkipped }
            : await measureEngine(topo, engineOf(name, options), {
                ceiling,
                sizes,
                knee,
                tcpSeconds,
                tcp: result.tcpSkipped === undefined,
                log,
              });
        for (const line of [...problems(r), ...r.notes]) log(`  ${line}`);
        measured.push(r);
      }
      const run: EndToEndRun = { ceiling, engines: measured, seconds: (Date.now() - started) / 1000 };
      result.runs.push(run);
      log('');
      printTable(medianRows([rowsOf(run, sizes, knee.passLoss)], engines), engines, 1, knee.passLoss, log);
      log(`(run took ${run.seconds.toFixed(0)} s)`);
    }
    result.table = medianRows(result.runs.map((r) => rowsOf(r, sizes, knee.passLoss)), engines);
    if (runs > 1) {
      log(`\nmedians of ${runs} runs`);
      printTable(result.table, engines, runs, knee.passLoss, log);
    }
    if (options.chart !== false) {
      const path = resolve(options.chart ?? DEFAULT_CHART);
      // Every run's problems, once each: a missing bar says why under the chart.
      const footnotes = [...new Set(result.runs.flatMap((r) => r.engines.flatMap(problems)))].map((l) => l.slice(0, 150));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, renderChart(result.table, engines, { date: result.date.slice(0, 10), command: result.command, runs, footnotes }));
      result.chart = path;
      log(`chart: ${path}`);
    }
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

function usage(why: string): never {
  process.stderr.write(
    `${why}\nusage: node dist/bench/e2e/index.js [--runs N] [--engines ${ENGINE_NAMES.join(',')}] [--nice N]` +
      ' [--sizes 64,1400|none] [--vxswitch-config JSON] [--chart PATH | --no-chart] [--cpu-prof DIR] [--json]\n',
  );
  process.exit(2);
}

// Run alone.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const opt = (name: string): string | undefined => {
    const i = args.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = args[i + 1];
    if (v === undefined || v.startsWith('--')) usage(`--${name} needs a value`);
    return v;
  };
  const runs = Number(opt('runs') ?? '1');
  if (!Number.isInteger(runs) || runs < 1) usage(`--runs ${opt('runs')}: a whole number of runs, at least 1`);
  const json = args.includes('--json');
  const o: EndToEndOptions = {
    runs,
    command: `node dist/bench/e2e/index.js ${args.join(' ')}`.trim(),
    // With --json, stdout carries the JSON alone; the running commentary goes to stderr.
    ...(json ? { log: (l: string) => process.stderr.write(`${l}\n`) } : {}),
  };
  const engines = opt('engines');
  if (engines !== undefined) {
    const names = engines.split(',');
    const bad = names.find((n) => !isEngineName(n));
    if (bad !== undefined) usage(`--engines: "${bad}" is not one of ${ENGINE_NAMES.join(', ')}`);
    o.engines = names.filter(isEngineName);
  }
  const nice = opt('nice');
  if (nice !== undefined) o.nice = Number(nice);
  const prof = opt('cpu-prof');
  if (prof !== undefined) o.cpuProfDir = prof;
  const vxConfig = opt('vxswitch-config');
  if (vxConfig !== undefined) {
    try {
      o.vxswitchConfig = JSON.parse(vxConfig) as Partial<DataplaneConfig>;
    } catch (e) {
      usage(`--vxswitch-config: not JSON: ${(e as Error).message}`);
    }
  }
  const sizes = opt('sizes');
  if (sizes !== undefined) {
    o.sizes = sizes === 'none' ? [] : sizes.split(',').map(Number);
    if (o.sizes.some((n) => !Number.isInteger(n) || n < 64 || n > 1500)) usage(`--sizes ${sizes}: frame sizes 64..1500, comma-separated, or none`);
  }
  const chart = opt('chart');
  if (args.includes('--no-chart')) o.chart = false;
  else if (chart !== undefined) o.chart = chart;
  const res = await benchEndToEnd(o);
  if (json) process.stdout.write(`${JSON.stringify(res)}\n`);
}
