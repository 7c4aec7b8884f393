// The two labs of the control-plane bench, each built fresh in network
// namespaces and removed afterwards (Topology.destroy in a finally, also on
// failure; its exit hook on Ctrl-C):
//
//   A  direct   injector --veth-- vxswitch
//   B  via RR   injector, FRR RR, vxswitch, FRR VTEP on one underlay bridge:
//               injector -> RR -> vxswitch and -> FRR VTEP (kernel vxlan)
//
// All iBGP in AS 65000, VNI 100, RT 65000:100, hold time 90 s (a receiver
// busy for seconds must not lose the session: that is not what is measured).
// Before injecting, each lab waits until the Type 3 routes have been
// exchanged and the daemons are idle, takes the counts as baselines and the
// RSS "before"; times are from the injector's first write.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { delay, Topology, waitFor } from '../../test/helpers/netns.js';
import { frrVtepDataplane, routeReflectorConfig, startFrr, vtepConfig, type FrrInstance } from '../../test/helpers/frr.js';
import { monotonicUs, now } from './clock.js';
import { listProfiles, newProfiles } from './cpu-profile.js';
import { Injector, type Encoded, type Injected } from './injector.js';
import { BASELINE_S, ForwardingProbe, setupProbe, type ProbeSetup } from './probe.js';
import type { InjectorConfig } from './injector-main.js';
import { kbPerRoute, MemoryWatch } from './memory.js';
import type { ReceiverResult, ScenarioResult } from './result.js';
import { Vxswitch, vxswitchToml, type StallSeen, type VxNeighborStatus, type VxVniToml } from './vxswitch-daemon.js';
import { FrrWatch, frrReceived, KernelFdbWatch, kernelFdbCount, VxswitchWatch, type Progress } from './watch.js';

export const AS = 65000;
export const VNI = 100;
const RT = `${AS}:${VNI}`;
const HOLD_S = 90;
const VX_COMMON = { as: AS, vni: VNI, holdS: HOLD_S };
/** The injected MACs are 02:b0:00:XX:XX:XX (injector-main.ts). */
const MAC_OCTET = 0xb0;
const MAC_PREFIX = `02:${MAC_OCTET.toString(16)}:00:`;

function injectorConfig(address: string, peer: string, routes: number): InjectorConfig {
  return {
    connect: { host: peer, localAddress: address },
    as: AS,
    address,
    holdTime: HOLD_S,
    routes,
    vni: VNI,
    routeTarget: RT,
    macPrefix: MAC_OCTET,
  };
}

function seconds(t: number | undefined, t0: number): number | undefined {
  return t === undefined ? undefined : (t - t0) / 1000;
}

/** How long the daemon gets to exit (and write its profile) before SIGKILL: 10 s, more for a bigger table. */
function stopGraceMs(routes: number): number {
  return Math.max(10_000, routes / 20);
}

function maxEntriesFor(routes: number): number {
  let m = 65536;
  while (m < routes + 1024) m *= 2;
  return m;
}

/** The member port: a veth to a host namespace (vxswitch needs one port per VNI; nothing is sent on it). */
async function memberPort(topo: Topology, ns: string): Promise<string> {
  return (await topo.host(ns, {})).peer;
}

export interface LabContext {
  routes: number;
  timeoutS: number;
  /** The scenarios that run the forwarding probe (probe.ts; default none). */
  probe?: ReadonlyArray<ScenarioResult['scenario']>;
  cpuProfDir: string | undefined;
  log: (line: string) => void;
  /** [dataplane] workers of the switch (docs/workers.md; absent: the default). */
  workers?: number;
}

/** Scenario A: injector -> vxswitch, one veth between them. */
export async function scenarioDirect(ctx: LabContext): Promise<ScenarioResult> {
  const started = Date.now();
  const result: ScenarioResult = { scenario: 'direct', receivers: [], wallS: 0, profiles: [] };
  const topo = new Topology();
  const profilesBefore = await listProfiles(ctx.cpuProfDir);
  let vx: Vxswitch | undefined;
  let injector: Injector | undefined;
  let forwarding: ForwardingProbe | undefined;
  try {
    const injNs = await topo.addNamespace();
    const vxNs = await topo.addNamespace();
    const injIp = '10.216.1.40';
    const vxIp = '10.216.1.1';
    await topo.veth(injNs, 'eth0', vxNs, 'ul0', { mtu: 1600 });
    await topo.address(injNs, 'eth0', `${injIp}/24`);
    await topo.address(vxNs, 'ul0', `${vxIp}/24`);
    const member = await memberPort(topo, vxNs);
    // The probe's receiver is the injector's namespace (the underlay is one veth).
    const probe = ctx.probe?.includes('direct') === true ? await setupProbe(topo, vxNs, vxIp, { ns: injNs, ifname: 'eth0', ip: injIp }) : undefined;
    vx = await Vxswitch.start(
      topo,
      vxNs,
      vxswitchToml({ ...VX_COMMON, routerId: vxIp, neighbors: [{ address: injIp, passive: true }], member, vnis: probeVnis(probe), maxEntries: maxEntriesFor(ctx.routes), ...(ctx.workers !== undefined ? { workers: ctx.workers } : {}) }),
      ctx.cpuProfDir,
    );
    const v = vx;
    injector = Injector.start(topo, injNs, injectorConfig(injIp, vxIp, ctx.routes));
    const encoded = await injector.wait<Encoded>('encoded', 30_000);
    await injector.wait('established', 15_000);
    await injector.wait('imet', 5_000);
    // The injector's Type 3 is in: the session is up and the daemon idle again.
    await waitFor('vxswitch to accept the injector\'s Type 3', async () => ((await v.neighbor(injIp))?.accepted ?? 0) >= 1, 10_000, 50);
    await delay(500);
    const before = await v.neighbor(injIp);
    const base = { rib: before?.accepted ?? 0, fdb: await v.fdbEntries() };
    const mem = new MemoryWatch([['vxswitch', v.pid]]);
    await mem.start();
    const watch = new VxswitchWatch(v, injIp, base, ctx.routes);
    forwarding = await startProbe(topo, probe, ctx);
    ctx.log(`direct: injecting ${ctx.routes} routes in ${encoded.updates} UPDATEs`);
    const watching = watchFromFirstWrite(ctx, (deadline) => watch.run(deadline));
    injector.inject();
    const injected = await injector.wait<Injected>('injected', ctx.timeoutS * 1000);
    await watching;
    await forwarding?.stop();
    result.loadWindowUs = [monotonicUs(injected.first), monotonicUs(Math.max(watch.rib.all ?? now(), watch.fdb.all ?? now()))];
    const memory = await mem.end();
    result.injection = { updates: encoded.updates, bytes: encoded.bytes, encodeMs: encoded.ms, writeMs: injected.last - injected.first };
    const r: ReceiverResult = {
      name: 'vxswitch direct',
      routes: ctx.routes,
      ribCount: watch.rib.count,
      fdbCount: watch.fdb.count,
      memory,
      kbPerRoute: kbPerRoute(memory, ctx.routes),
      maxApiLatencyMs: watch.maxLatencyMs,
      notes: [messagesNote(watch, before, 'the injector')],
    };
    setTimes(r, watch.rib, watch.fdb, injected.first);
    if (forwarding !== undefined) r.forwardingProbe = await forwarding.result(injected.first);
    setStall(r, await v.maxStall(injected.first, watch.fdb.all ?? now()));
    if (!watch.done) r.notes.push(`not all in after ${ctx.timeoutS} s: RIB ${watch.rib.count}, FDB ${watch.fdb.count}`);
    result.receivers.push(r);
  } catch (e) {
    result.error = `${(e as Error).message}${vx !== undefined ? `\nvxswitch log tail:\n${vx.log.slice(-1500)}` : ''}`;
  } finally {
    await forwarding?.stop().catch(() => undefined);
    injector?.close();
    await vx?.stop(stopGraceMs(ctx.routes)).catch(() => undefined);
    await topo.destroy().catch((e: unknown) => ctx.log(`cleanup: ${(e as Error).message}`));
  }
  result.profiles = newProfiles(await listProfiles(ctx.cpuProfDir), profilesBefore);
  result.wallS = (Date.now() - started) / 1000;
  return result;
}

/**
 * Start the receivers' polling now, just before the injection, bounded by
 * the scenario's timeout. Not after the injector's {"injected"}: that comes
 * once the kernel took the last byte, which with TCP's window is only after
 * the receiver has read nearly everything (at 1M routes direct, 9-54 s), so
 * "first in RIB" measured from then was the write time, not the receiver's.
 * A watch that fails after the scenario failed otherwise is not unhandled.
 */
function watchFromFirstWrite<T>(ctx: LabContext, run: (deadline: number) => Promise<T>): Promise<T> {
  const watching = run(now() + ctx.timeoutS * 1000);
  watching.catch(() => undefined);
  return watching;
}

function probeVnis(probe: ProbeSetup | undefined): VxVniToml[] {
  return probe === undefined ? [] : [probe.vni];
}

/** The probe's flow, started BASELINE_S before the injection (the same run's baseline); bounded past the scenario's timeout. */
async function startProbe(topo: Topology, probe: ProbeSetup | undefined, ctx: LabContext): Promise<ForwardingProbe | undefined> {
  if (probe === undefined) return undefined;
  const p = await ForwardingProbe.start(topo, probe, ctx.timeoutS + 30);
  await delay(BASELINE_S * 1000);
  return p;
}

/** How the routes came: BGP messages received during the load (UPDATEs, and a KEEPALIVE or two). */
function messagesNote(watch: VxswitchWatch, before: VxNeighborStatus | undefined, from: string): string {
  const n = watch.messages - (before?.messages.received ?? 0);
  return `${n} BGP messages from ${from} during the load (~${n > 0 ? Math.round(watch.rib.count / n) : 0} routes per UPDATE)`;
}

function setStall(r: ReceiverResult, stall: StallSeen): void {
  r.maxStallMs = stall.ms;
  r.maxStallCpuMs = stall.cpuMs;
  r.maxStallRunQueueMs = stall.runQueueMs;
}

function setTimes(r: ReceiverResult, rib: Progress, fdb: Progress | undefined, t0: number): void {
  const first = seconds(rib.first, t0);
  const all = seconds(rib.all, t0);
  if (first !== undefined) r.firstInRibS = first;
  if (all !== undefined) r.allInRibS = all;
  const f = seconds(fdb?.all, t0);
  if (f !== undefined) r.allInFdbS = f;
}

/** Scenario B: injector -> FRR RR -> vxswitch and -> FRR VTEP, one underlay bridge. */
export async function scenarioViaRr(ctx: LabContext): Promise<ScenarioResult> {
  const started = Date.now();
  const result: ScenarioResult = { scenario: 'via RR', receivers: [], wallS: 0, profiles: [] };
  const topo = new Topology();
  const profilesBefore = await listProfiles(ctx.cpuProfDir);
  let vx: Vxswitch | undefined;
  let injector: Injector | undefined;
  let forwarding: ForwardingProbe | undefined;
  let monitor: KernelFdbWatch | undefined;
  try {
    const ip = { rr: '10.216.0.254', vx: '10.216.0.1', v1: '10.216.0.2', inj: '10.216.0.40', probe: '10.216.0.50' };
    const fabric = await topo.addNamespace();
    const bridge = await topo.bridge(fabric, topo.name(), 1600);
    const ns = { rr: await topo.addNamespace(), vx: await topo.addNamespace(), v1: await topo.addNamespace(), inj: await topo.addNamespace() };
    for (const k of ['rr', 'vx', 'v1', 'inj'] as const) await topo.underlayPort(fabric, bridge, ns[k], `${ip[k]}/24`);
    const timers = { keepaliveS: HOLD_S / 3, holdS: HOLD_S };
    const rr = await startFrr(topo, {
      ns: ns.rr,
      bgpdConf: routeReflectorConfig({ hostname: 'rr', as: AS, routerId: ip.rr, listenRange: '10.216.0.0/24', timers }),
    });
    const kv = await frrVtepDataplane(topo, { ns: ns.v1, vni: VNI, local: ip.v1 });
    const v1 = await startFrr(topo, {
      ns: ns.v1,
      bgpdConf: vtepConfig({ hostname: 'v1', as: AS, routerId: ip.v1, neighbors: [{ address: ip.rr, connectRetryS: 1 }], timers }),
    });
    const member = await memberPort(topo, ns.vx);
    let probe: ProbeSetup | undefined;
    if (ctx.probe?.includes('via RR') === true) {
      // The probe's receiver: one more namespace on the underlay bridge.
      const rxNs = await topo.addNamespace();
      await topo.underlayPort(fabric, bridge, rxNs, `${ip.probe}/24`);
      probe = await setupProbe(topo, ns.vx, ip.vx, { ns: rxNs, ifname: 'ul0', ip: ip.probe });
    }
    vx = await Vxswitch.start(
      topo,
      ns.vx,
      vxswitchToml({ ...VX_COMMON, routerId: ip.vx, neighbors: [{ address: ip.rr, passive: false }], member, vnis: probeVnis(probe), maxEntries: maxEntriesFor(ctx.routes), ...(ctx.workers !== undefined ? { workers: ctx.workers } : {}) }),
      ctx.cpuProfDir,
    );
    const v = vx;
    injector = Injector.start(topo, ns.inj, injectorConfig(ip.inj, ip.rr, ctx.routes));
    const encoded = await injector.wait<Encoded>('encoded', 30_000);
    await injector.wait('established', 20_000);
    await injector.wait('imet', 5_000);
    await v1.waitEstablished(ip.rr, 20_000);
    // Everyone has the injector's Type 3 and the other VTEP's: the fabric is quiet.
    await waitFor('vxswitch to accept two Type 3s via the RR', async () => ((await v.neighbor(ip.rr))?.accepted ?? 0) >= 2, 20_000, 100);
    await waitFor('the FRR VTEP to receive two Type 3s via the RR', async () => (await frrReceived(v1, ip.rr)) >= 2, 20_000, 100);
    await delay(1_500);
    const vxBefore = await v.neighbor(ip.rr);
    const base = {
      vx: { rib: vxBefore?.accepted ?? 0, fdb: await v.fdbEntries() },
      v1: await frrReceived(v1, ip.rr),
      rr: await frrReceived(rr, ip.inj),
    };
    monitor = await KernelFdbWatch.start(topo, ns.v1, kv.vxlan, ip.inj, MAC_PREFIX, ctx.routes);
    const memVx = new MemoryWatch([['vxswitch', v.pid]]);
    const memV1 = new MemoryWatch([
      ['bgpd', v1.pid('bgpd')],
      ['zebra', v1.pid('zebra')],
    ]);
    const memRr = new MemoryWatch([['bgpd', rr.pid('bgpd')]]);
    for (const m of [memVx, memV1, memRr]) await m.start();
    const vxWatch = new VxswitchWatch(v, ip.rr, base.vx, ctx.routes);
    const v1Watch = new FrrWatch(v1, ip.rr, base.v1, ctx.routes);
    const rrWatch = new FrrWatch(rr, ip.inj, base.rr, ctx.routes);
    forwarding = await startProbe(topo, probe, ctx);
    ctx.log(`via RR: injecting ${ctx.routes} routes in ${encoded.updates} UPDATEs`);
    const m = monitor;
    const f = forwarding;
    let injectedAt: Promise<Injected> | undefined;
    // Each receiver's memory is read as soon as it has everything.
    const watching = watchFromFirstWrite(ctx, (deadline) =>
      Promise.all([
        vxWatch.run(deadline).then(async () => {
          // The probe covers vxswitch's load: it stops once vxswitch has everything.
          await f?.stop();
          const first = (await injectedAt!).first;
          result.loadWindowUs = [monotonicUs(first), monotonicUs(Math.max(vxWatch.rib.all ?? now(), vxWatch.fdb.all ?? now()))];
          return memVx.end();
        }),
        Promise.all([v1Watch.run(deadline), m.run(deadline)]).then(() => memV1.end()),
        rrWatch.run(deadline).then(() => memRr.end()),
      ]),
    );
    injector.inject();
    injectedAt = injector.wait<Injected>('injected', ctx.timeoutS * 1000);
    const injected = await injectedAt;
    const [vxMem, v1Mem, rrMem] = await watching;
    result.injection = { updates: encoded.updates, bytes: encoded.bytes, encodeMs: encoded.ms, writeMs: injected.last - injected.first };

    const rVx: ReceiverResult = {
      name: 'vxswitch via RR',
      routes: ctx.routes,
      ribCount: vxWatch.rib.count,
      fdbCount: vxWatch.fdb.count,
      memory: vxMem,
      kbPerRoute: kbPerRoute(vxMem, ctx.routes),
      maxApiLatencyMs: vxWatch.maxLatencyMs,
      notes: [messagesNote(vxWatch, vxBefore, 'the RR')],
    };
    setTimes(rVx, vxWatch.rib, vxWatch.fdb, injected.first);
    if (forwarding !== undefined) rVx.forwardingProbe = await forwarding.result(injected.first);
    setStall(rVx, await v.maxStall(injected.first, vxWatch.fdb.all ?? now()));
    if (!vxWatch.done) rVx.notes.push(`not all in after ${ctx.timeoutS} s: RIB ${vxWatch.rib.count}, FDB ${vxWatch.fdb.count}`);

    const rV1: ReceiverResult = {
      name: 'FRR VTEP via RR',
      routes: ctx.routes,
      ribCount: v1Watch.rib.count,
      fdbCount: m.fdb.count,
      memory: v1Mem,
      kbPerRoute: kbPerRoute(v1Mem, ctx.routes),
      notes: [],
    };
    setTimes(rV1, v1Watch.rib, m.fdb, injected.first);
    monitor.stop();
    // The monitor's count checked against a dump (a netlink overrun would lose notifications).
    const dump = await kernelFdbCount(ns.v1, kv.vxlan, ip.inj, MAC_PREFIX).catch(() => undefined);
    if (dump !== undefined) {
      rV1.notes.push(`kernel FDB dump: ${dump.count} entries (bridge fdb show took ${(dump.ms / 1000).toFixed(1)} s)`);
      if (dump.count !== m.fdb.count) rV1.notes.push(`ip monitor saw ${m.fdb.count}: notifications lost`);
    }
    if (monitor.errors.trim() !== '') rV1.notes.push(`ip monitor: ${monitor.errors.trim().split('\n')[0]}`);
    if (rV1.allInRibS === undefined || rV1.allInFdbS === undefined) {
      rV1.notes.push(`not all in after ${ctx.timeoutS} s: RIB ${v1Watch.rib.count}, FDB ${m.fdb.count}`);
      rV1.notes.push(...(await frrVtepDiagnosis(v1, VNI)));
    }

    const rRr: ReceiverResult = {
      name: 'FRR RR (RIB only)',
      routes: ctx.routes,
      ribCount: rrWatch.rib.count,
      memory: rrMem,
      kbPerRoute: kbPerRoute(rrMem, ctx.routes),
      notes: [],
    };
    setTimes(rRr, rrWatch.rib, undefined, injected.first);
    result.receivers.push(rVx, rV1, rRr);
  } catch (e) {
    result.error = `${(e as Error).message}${vx !== undefined ? `\nvxswitch log tail:\n${vx.log.slice(-1500)}` : ''}`;
  } finally {
    monitor?.stop();
    await forwarding?.stop().catch(() => undefined);
    injector?.close();
    await vx?.stop(stopGraceMs(ctx.routes)).catch(() => undefined);
    await topo.destroy().catch((e: unknown) => ctx.log(`cleanup: ${(e as Error).message}`));
  }
  result.profiles = newProfiles(await listProfiles(ctx.cpuProfDir), profilesBefore);
  result.wallS = (Date.now() - started) / 1000;
  return result;
}

/** What zebra says when the kernel FDB stays short: its MAC count, dataplane counters and log lines about failures. */
async function frrVtepDiagnosis(frr: FrrInstance, vni: number): Promise<string[]> {
  const out: string[] = [];
  const macs = await frr.vtyshJson(`show evpn vni ${vni} json`).catch(() => undefined);
  if (typeof macs === 'object' && macs !== null) out.push(`zebra: numMacs ${String((macs as Record<string, unknown>)['numMacs'])}`);
  const dplane = await frr.vtysh('show zebra dplane detailed').catch((e: unknown) => `(${(e as Error).message})`);
  out.push(`zebra dplane: ${dplane.split('\n').map((l) => l.trim()).filter((l) => /^(EVPN MAC|Other errors|Route update queue max|Dplane update yields)/.test(l)).join('; ')}`);
  const log = await readFile(path.join(frr.dir, 'zebra.log'), 'utf8').catch(() => '');
  const bad = log.split('\n').filter((l) => /error|fail|ENOBUFS|No buffer|overrun|timeout/i.test(l));
  if (bad.length > 0) out.push(`zebra.log (${bad.length} error lines), last: ${bad.slice(-3).join(' | ')}`);
  return out;
}
