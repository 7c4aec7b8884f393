// Control-plane bench (issue 4, acceptance 5): how long vxswitch takes to
// take 100,000 Type 2 routes, and what they cost in memory, next to FRR for
// the same injection in the same run. Method and FRR's reference figures on
// this machine kind: docs/benchmarking.md "Control plane".
//
//   node --expose-gc dist/bench/control-plane.bench.js [--runs N] [--routes N] [--timeout S] [--probe rr|direct|both|none] [--workers N] [--cpu-prof DIR] [--json]
//     [--scenarios direct|rr|direct,rr] [--million N [--million-timeout S]]
//     [--no-churn | --churn-only]   (the churn section, control-plane/churn.ts: MAC moves and a session flap)
//   (--million 1000000: issue 10's row, one more run at a million routes,
//   FRR bounded by the timeout, default 120 s)
//   (bench/index.ts calls benchControlPlane() and printControlPlane(); needs
//   root, ip, bridge and FRR 8 in /usr/lib/frr, else it says why it skips;
//   VXSWITCH_BENCH_CPU_PROF=DIR does what --cpu-prof does.) About 15 s per
//   run at 100k routes; 3 runs by default.
//
// The injector is the project's own (control-plane/injector-main.ts): a
// child process in its own namespace that encodes every UPDATE before it
// connects (~115 Type 2 per 4096-octet UPDATE, VNI 100, RT 65000:100, next
// hop = its address) and then writes them all as fast as TCP takes them.
// Times are seconds from its first write.
//
//   A  direct   injector -> vxswitch (iBGP)
//   B  via RR   injector -> FRR route reflector -> vxswitch
//                                               -> FRR VTEP (bgpd + zebra, kernel vxlan, advertise-all-vni)
//
// Each scenario is a fresh lab (control-plane/scenarios.ts), removed
// afterwards, also on failure or Ctrl-C. What is read, and how often
// (control-plane/watch.ts):
//   vxswitch   its API socket every 100 ms on one connection: `neighbors`
//              (accepted count = in the RIB) and `counters` (fdb.entries = in
//              the FDB); the answer's arrival time counts, so a figure is an
//              upper bound by at most one interval plus the API's latency
//              (the latency is the daemon's event-loop stall: also reported)
//   FRR VTEP   `show bgp summary json` every 250 ms (pfxRcd from the RR =
//              in bgpd's RIB); the kernel FDB from `ip monitor neigh` (the
//              netlink notification of each entry zebra installs, stamped by
//              ip: exact), with one `bridge fdb show` at the end as a check
//   FRR RR     `show bgp summary json` every 250 ms (pfxRcd from the injector)
//   forwarding a 10,000 frames/s probe flow through vxswitch while loading
//              (control-plane/probe.ts; via RR by default, --probe): the
//              largest inter-arrival gap at a receiver on the underlay, loss
//   memory     VmRSS of each process (/proc/PID/status) before the injection
//              and once everything arrived, and VmHWM (peak). The kernel FDB
//              is kernel memory: not in any process's RSS.

import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { exec } from '../test/helpers/netns.js';
import { FRR_BIN } from '../test/helpers/frr.js';
import { summarizeProfiles, type ProfileInput } from './control-plane/cpu-profile.js';
import { benchChurn } from './control-plane/churn.js';
import { printControlPlane } from './control-plane/report.js';
import type { ControlPlaneResult, ControlPlaneRun } from './control-plane/result.js';
import { scenarioDirect, scenarioViaRr, VNI, type LabContext } from './control-plane/scenarios.js';
import { VXSWITCH_BIN } from './control-plane/vxswitch-daemon.js';

export { printControlPlane } from './control-plane/report.js';
export type { ControlPlaneResult, ControlPlaneRun, ReceiverResult, ScenarioResult } from './control-plane/result.js';

export interface ControlPlaneOptions {
  /** Type 2 routes injected (default 100,000). */
  routes?: number;
  /** Whole runs (both scenarios each time, ~15-20 s per run at 100k); medians are printed (default 3). */
  runs?: number;
  /** Bound on waiting for all routes in one scenario, seconds from the first write (default 30). */
  timeoutS?: number;
  /** Run vxswitch with node --cpu-prof into this directory and summarise the profiles. */
  cpuProfDir?: string;
  /** The switch's [dataplane] workers (docs/workers.md; default: the daemon's). */
  workers?: number;
  /** Scenarios that run the forwarding probe (10,000 frames/s through vxswitch while loading; default: via RR). */
  probe?: ReadonlyArray<'direct' | 'via RR'>;
  /** Which scenarios (default both; 'via RR' is left out anyway when FRR is missing). */
  scenarios?: ReadonlyArray<'direct' | 'via RR'>;
  /**
   * Issue 10's scale row: after the runs, one more run of the scenarios at
   * this many routes (1,000,000), FRR bounded by millionTimeoutS; printed as
   * rows of the same table. Default: none.
   */
  millionRoutes?: number;
  /** Bound on waiting in the million run, seconds (default 120: FRR's VTEP does not get there; the rows say so). */
  millionTimeoutS?: number;
  /** Progress lines (default: none). */
  log?: (line: string) => void;
  /** Run the churn section (control-plane/churn.ts) after the runs (default true). */
  churn?: boolean;
  /** Leave out the 100k scenarios (only churn). */
  churnOnly?: boolean;
}

/** Why this machine cannot run the bench, or undefined. */
function missing(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces, veth, AF_PACKET)';
  if (!existsSync(VXSWITCH_BIN)) return `no ${VXSWITCH_BIN}`;
  return undefined;
}

/** Why scenario B (FRR) cannot run, or undefined. */
async function frrMissing(): Promise<string | undefined> {
  for (const d of ['zebra', 'bgpd']) if (!existsSync(path.join(FRR_BIN, d))) return `FRR not installed (no ${FRR_BIN}/${d})`;
  for (const tool of ['vtysh', 'bridge']) {
    const r = await exec(['sh', '-c', `command -v ${tool}`], { allowFailure: true }).catch(() => undefined);
    if (r === undefined || r.code !== 0) return `${tool} not found`;
  }
  return undefined;
}

/**
 * Both scenarios, `runs` times (fresh labs each time); scenario B is left
 * out when FRR is not installed, the whole section when not root.
 */
export async function benchControlPlane(opts: ControlPlaneOptions = {}): Promise<ControlPlaneResult> {
  const routes = opts.routes ?? 100_000;
  const result: ControlPlaneResult = { routes, vni: VNI, runs: [] };
  const skip = missing();
  if (skip !== undefined) return { ...result, skipped: skip };
  const frrSkip = await frrMissing();
  if (frrSkip !== undefined) result.frrSkipped = frrSkip;
  const cpuProfDir = opts.cpuProfDir ?? process.env['VXSWITCH_BENCH_CPU_PROF'];
  if (cpuProfDir !== undefined) await mkdir(cpuProfDir, { recursive: true });
  const ctx: LabContext = { routes, timeoutS: opts.timeoutS ?? 30, cpuProfDir, probe: opts.probe ?? ['via RR'], log: opts.log ?? (() => {}), ...(opts.workers !== undefined ? { workers: opts.workers } : {}) };
  // Ctrl-C: node would end without 'exit' hooks; exit instead, so every
  // Topology's exit hook removes its namespaces and kills its daemons.
  const onSignal = (): void => process.exit(130);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const wanted = opts.scenarios ?? ['direct', 'via RR'];
    const runOnce = async (c: LabContext, label: string): Promise<ControlPlaneRun> => {
      const scenarios = [];
      if (wanted.includes('direct')) scenarios.push(await scenarioDirect(c));
      if (wanted.includes('via RR') && result.frrSkipped === undefined) scenarios.push(await scenarioViaRr(c));
      for (const s of scenarios) ctx.log(`${label} ${s.scenario}: ${s.wallS.toFixed(1)} s${s.error ? `, error: ${s.error.split('\n')[0]}` : ''}`);
      return { scenarios };
    };
    for (let i = 0; i < (opts.churnOnly === true ? 0 : (opts.runs ?? 3)); i++) result.runs.push(await runOnce(ctx, `run ${i + 1}`));
    if (opts.millionRoutes !== undefined && opts.churnOnly !== true) {
      const timeoutS = opts.millionTimeoutS ?? 120;
      // The probe is the 100k figure's; the million rows measure load time and memory only.
      const big: LabContext = { ...ctx, routes: opts.millionRoutes, timeoutS, probe: [] };
      result.million = { routes: opts.millionRoutes, timeoutS, runs: [await runOnce(big, `${opts.millionRoutes.toLocaleString('en-US')} routes`)] };
    }
    if (opts.churn !== false) result.churn = await benchChurn({ log: ctx.log });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  if (cpuProfDir !== undefined) {
    const inputs = [...result.runs, ...(result.million?.runs ?? [])].flatMap((r) =>
      r.scenarios.flatMap((s) => s.profiles.map((file): ProfileInput => (s.loadWindowUs !== undefined ? { file, window: s.loadWindowUs } : { file }))),
    );
    if (inputs.length > 0) result.profile = await summarizeProfiles(inputs);
  }
  return result;
}

// ---------------------------------------------------------------- standalone

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const opts: ControlPlaneOptions = { log: (l) => console.error(`# ${l}`) };
  if (arg('--runs') !== undefined) opts.runs = Number(arg('--runs'));
  if (arg('--routes') !== undefined) opts.routes = Number(arg('--routes'));
  if (arg('--timeout') !== undefined) opts.timeoutS = Number(arg('--timeout'));
  const probe = arg('--probe');
  if (probe !== undefined) opts.probe = probe === 'none' ? [] : probe === 'both' ? ['direct', 'via RR'] : probe === 'direct' ? ['direct'] : ['via RR'];
  if (arg('--scenarios') !== undefined) opts.scenarios = arg('--scenarios')!.split(',').map((x) => (x === 'rr' ? 'via RR' : 'direct'));
  if (arg('--million') !== undefined) opts.millionRoutes = Number(arg('--million'));
  if (arg('--million-timeout') !== undefined) opts.millionTimeoutS = Number(arg('--million-timeout'));
  if (arg('--workers') !== undefined) opts.workers = Number(arg('--workers'));
  if (arg('--cpu-prof') !== undefined) opts.cpuProfDir = path.resolve(arg('--cpu-prof')!);
  if (args.includes('--no-churn')) opts.churn = false;
  if (args.includes('--churn-only')) opts.churnOnly = true;
  const result = await benchControlPlane(opts);
  if (args.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else printControlPlane(result);
}
