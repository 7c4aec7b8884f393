// Churn (issue 10): MAC moves at scale between two remote VTEPs, and a
// session flap with 100,000 routes, through vxswitch's speaker.
//
// The speaker (src/control/speaker.ts, the whole control plane: sessions,
// RIBs, EVPN import, MAC mobility) runs in this process with an FDB port
// that stamps every install, so each move's lag is known per MAC; the
// dataplane's FDB is not in the loop (the control-plane bench measures that
// path). The two VTEPs are the project's test speakers (test/helpers/
// test-speaker.ts: a socket child each) on loopback, 127.0.0.2 (A) and
// 127.0.0.3 (B), iBGP to the speaker on 127.0.0.1. No namespaces.
//
//   moves   MACS MACs are announced by A (sequence 0) and installed. Then for
//           DURATION_S seconds, every TICK_MS a batch of RATE × TICK_MS / 1000
//           MACs moves: the new VTEP announces them with the MAC Mobility
//           sequence number one higher (RFC 7432 §15.1, one UPDATE) and the
//           old VTEP withdraws its route (one UPDATE), as a VTEP does when it
//           sees the higher sequence number. A→B for the first half, B→A (one
//           higher again) for the second: each MAC moves twice, under the
//           duplicate-detection threshold (5 moves in 180 s). Batches due are
//           sent from the schedule, so a late timer sends the backlog at once
//           (the rate is kept, not smoothed). Lag of a move: from the moment
//           its UPDATE was handed to the VTEP's socket child to the FDB
//           install pointing at the new VTEP with the new sequence number.
//   backlog the speaker's queued inbound work (routes) sampled every 100 ms.
//   memory  this process's RSS after the load, and after the moves plus a
//           full collection.
//   flap    A announces FLAP_ROUTES more MACs; its session is then closed (the
//           speaker withdraws them all), A connects again and announces them
//           again: seconds until all were gone and until all were back, and
//           the longest event-loop stall meanwhile (a 2 ms timer's lateness).

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { FdbPort } from '../../src/control/fdb-port.js';
import type { RouteNlri } from '../../src/control/route.js';
import { Speaker } from '../../src/control/speaker.js';
import { packAnnouncements, packWithdrawals } from '../../src/control/update-builder.js';
import { AS4_CONTEXT } from '../../src/wire/bgp-context.js';
import { zeroEsi } from '../../src/wire/esi.js';
import { parseRouteTarget, TunnelType } from '../../src/wire/extended-community.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { parseRd } from '../../src/wire/route-distinguisher.js';
import { delay, Topology, waitFor } from '../../test/helpers/netns.js';
import { connectSpeaker, imetUpdate, type TestSpeaker } from '../../test/helpers/test-speaker.js';
import { now } from './clock.js';

const AS = 65000;
const VNI = 100;
const RT = `${AS}:${VNI}`;
const SPEAKER = '127.0.0.1';
const VTEP_A = '127.0.0.2';
const VTEP_B = '127.0.0.3';
const TICK_MS = 10;

export interface ChurnOptions {
  /** MACs that move (default 50,000). */
  macs?: number;
  /** Moves per second (default 10,000). */
  rate?: number;
  /** Seconds of moving (default 10). */
  durationS?: number;
  /** Routes of the flap (default 100,000). */
  flapRoutes?: number;
  log?: (line: string) => void;
}

export interface ChurnResult {
  macs: number;
  rate: number;
  durationS: number;
  moves: number;
  /** Moves whose install was seen (of `moves`). */
  installed: number;
  /** Moves per second actually sent (batches sent over the time they took). */
  sentRate: number;
  lagMs: { p50: number; p99: number; max: number };
  /** Moves whose install came later than 1 s. */
  lateOver1s: number;
  /** Inbound work queued (routes), sampled every 100 ms while moving: the largest, and at the end. */
  backlog: { max: number; end: number };
  /** RSS and live heap (KiB) after the load, and after the moves (a full collection before each). */
  rssKiB: { before: number; after: number };
  heapKiB: { before: number; after: number };
  flap: { routes: number; withdrawnS: number; relearnedS: number; maxStallMs: number };
  error?: string;
}

/** An FDB port that stamps every install of a remote MAC, and counts entries per VTEP and MAC prefix (it shares the speaker's loop: no scans). */
class StampingFdb implements FdbPort {
  /** "mac" -> vtep, sequence number and when installed (epoch ms). */
  readonly remote = new Map<string, { vtep: string; seq: number; t: number }>();
  private readonly counts = new Map<string, number>();
  onInstall: ((mac: string, vtep: string, seq: number, t: number) => void) | null = null;
  private bump(vtep: string, mac: string, by: number): void {
    const k = `${vtep} ${mac.slice(0, 6)}`;
    this.counts.set(k, (this.counts.get(k) ?? 0) + by);
  }
  addRemote(_vni: number, mac: string, vtep: string, opts: { seq: number; sticky: boolean }): void {
    const t = now();
    const old = this.remote.get(mac);
    if (old !== undefined) this.bump(old.vtep, mac, -1);
    this.remote.set(mac, { vtep, seq: opts.seq, t });
    this.bump(vtep, mac, 1);
    this.onInstall?.(mac, vtep, opts.seq, t);
  }
  removeRemote(_vni: number, mac: string, vtep?: string): boolean {
    const e = this.remote.get(mac);
    if (e === undefined || (vtep !== undefined && e.vtep !== vtep)) return false;
    this.bump(e.vtep, mac, -1);
    return this.remote.delete(mac);
  }
  setFloodList(): void {}
  addRemoteNeighbor(): void {}
  removeRemoteNeighbor(): void {}
  /** Entries behind `vtep` whose MAC starts with `prefix` ("02:c0:"). */
  count(vtep: string, prefix: string): number {
    return this.counts.get(`${vtep} ${prefix}`) ?? 0;
  }
}

function macOf(prefix: number, i: number): string {
  const h = (b: number): string => b.toString(16).padStart(2, '0');
  return `02:${h(prefix)}:00:${h((i >>> 16) & 0xff)}:${h((i >>> 8) & 0xff)}:${h(i & 0xff)}`;
}

/** The UPDATEs of a VTEP: announcements with a MAC Mobility sequence number, withdrawals. */
class VtepRoutes {
  private readonly rd;
  constructor(readonly address: string) {
    this.rd = parseRd(`${address}:${VNI}`);
  }
  nlri(mac: string): RouteNlri {
    return { family: 'l2vpn-evpn', nlri: { route: { type: 2, rd: this.rd, esi: zeroEsi(), etag: 0, mac, labels: [VNI] } } };
  }
  announce(macs: readonly string[], seq: number): Buffer[] {
    const communities: Extract<PathAttribute, { type: 'extended-communities' }>['value'] = [
      parseRouteTarget(RT),
      { kind: 'encapsulation', tunnelType: TunnelType.Vxlan },
    ];
    // RFC 7432 §7.7: sequence 0 may go without the community.
    if (seq > 0) communities.push({ kind: 'mac-mobility', sticky: false, sequence: seq });
    const attributes: PathAttribute[] = [
      { type: 'origin', value: 'igp' },
      { type: 'as-path', value: [] },
      { type: 'local-pref', value: 100 },
      { type: 'extended-communities', value: communities },
    ];
    const out: Buffer[] = [];
    packAnnouncements('l2vpn-evpn', this.address, attributes, macs.map((m) => this.nlri(m)), AS4_CONTEXT, out);
    return out;
  }
  withdraw(macs: readonly string[]): Buffer[] {
    const out: Buffer[] = [];
    packWithdrawals('l2vpn-evpn', macs.map((m) => this.nlri(m)), AS4_CONTEXT, out);
    return out;
  }
}

async function vtep(topo: Topology, address: string, port: number): Promise<TestSpeaker> {
  const s = await connectSpeaker(topo, null, { host: SPEAKER, port, localAddress: address }, { as: AS, bgpId: address, holdTime: 90 });
  await s.waitEstablished(10_000);
  s.sendUpdate(imetUpdate({ rd: `${address}:${VNI}`, nextHop: address, routeTargets: [RT], vni: VNI, localPref: 100 }));
  return s;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Largest lateness of a 2 ms timer while running, ms. */
class StallMeter {
  max = 0;
  private timer: NodeJS.Timeout;
  constructor() {
    let last = performance.now();
    this.timer = setInterval(() => {
      const t = performance.now();
      this.max = Math.max(this.max, t - last - 2);
      last = t;
    }, 2);
  }
  stop(): number {
    clearInterval(this.timer);
    return this.max;
  }
}

/** The test speakers keep every message they sent and received: not what is measured. */
function forget(vteps: readonly TestSpeaker[]): void {
  for (const v of vteps) {
    v.sent.length = 0;
    v.received.length = 0;
  }
}

/** RSS and live heap (KiB) after a full collection. */
function memory(collect: () => void): { rss: number; heap: number } {
  collect();
  const m = process.memoryUsage();
  return { rss: Math.round(m.rss / 1024), heap: Math.round(m.heapUsed / 1024) };
}

export async function benchChurn(opts: ChurnOptions = {}): Promise<ChurnResult> {
  const macs = opts.macs ?? 50_000;
  const rate = opts.rate ?? 10_000;
  const durationS = opts.durationS ?? 10;
  const flapRoutes = opts.flapRoutes ?? 100_000;
  const log = opts.log ?? (() => {});
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  const ticks = Math.round((durationS * 1000) / TICK_MS);
  const result: ChurnResult = {
    macs,
    rate,
    durationS,
    moves: ticks * perTick,
    installed: 0,
    sentRate: 0,
    lagMs: { p50: 0, p99: 0, max: 0 },
    lateOver1s: 0,
    backlog: { max: 0, end: 0 },
    rssKiB: { before: 0, after: 0 },
    heapKiB: { before: 0, after: 0 },
    flap: { routes: flapRoutes, withdrawnS: 0, relearnedS: 0, maxStallMs: 0 },
  };
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const topo = new Topology();
  const fdb = new StampingFdb();
  const speaker = new Speaker(
    {
      asn: AS,
      routerId: SPEAKER,
      vtep: SPEAKER,
      listenAddress: SPEAKER,
      listenPort: 0,
      neighbors: [VTEP_A, VTEP_B].map((address) => ({ neighborAddress: address, peerAs: AS, passive: true, holdTime: 90 })),
      vnis: [{ vni: VNI }],
    },
    fdb,
  );
  const vteps: TestSpeaker[] = [];
  try {
    await speaker.start();
    const port = speaker.listenAddress!.port;
    const a = await vtep(topo, VTEP_A, port);
    const b = await vtep(topo, VTEP_B, port);
    vteps.push(a, b);
    const routes = { [VTEP_A]: new VtepRoutes(VTEP_A), [VTEP_B]: new VtepRoutes(VTEP_B) };
    const list = Array.from({ length: macs }, (_, i) => macOf(0xc0, i));
    for (const m of routes[VTEP_A].announce(list, 0)) a.send(m);
    await waitFor('the MACs behind A', () => fdb.count(VTEP_A, '02:c0:') === macs, 60_000, 50);
    forget(vteps);
    const before = memory(collect);
    result.rssKiB.before = before.rss;
    result.heapKiB.before = before.heap;

    // ---- moves
    const sentAt = new Float64Array(ticks);
    const lags: number[] = [];
    // MAC index -> the (vtep, seq) its move waits for, and the batch it was sent in.
    const expect = new Map<string, { vtep: string; seq: number; tick: number }>();
    fdb.onInstall = (mac, v, seq, t) => {
      const e = expect.get(mac);
      if (e === undefined || e.vtep !== v || e.seq !== seq) return;
      expect.delete(mac);
      lags.push(t - sentAt[e.tick]!);
    };
    const half = ticks / 2;
    let sent = 0;
    let backlogMax = 0;
    const sampler = setInterval(() => (backlogMax = Math.max(backlogMax, speaker.inboundBacklog)), 100);
    const start = now();
    log(`churn: ${rate} moves/s for ${durationS} s over ${macs} MACs`);
    await new Promise<void>((resolve) => {
      const step = (): void => {
        const due = Math.min(ticks, Math.floor((now() - start) / TICK_MS) + 1);
        for (; sent < due; sent++) {
          const back = sent >= half;
          const from = back ? b : a;
          const to = back ? a : b;
          const seq = back ? 2 : 1;
          const first = ((sent % half) * perTick) % macs;
          const batch = list.slice(first, first + perTick);
          sentAt[sent] = now();
          for (const m of batch) expect.set(m, { vtep: to === a ? VTEP_A : VTEP_B, seq, tick: sent });
          for (const u of routes[to === a ? VTEP_A : VTEP_B].announce(batch, seq)) to.send(u);
          for (const u of routes[from === a ? VTEP_A : VTEP_B].withdraw(batch)) from.send(u);
        }
        if (sent >= ticks) resolve();
        else setTimeout(step, TICK_MS);
      };
      step();
    });
    result.sentRate = (ticks * perTick) / ((now() - start) / 1000);
    await waitFor('every move installed', () => expect.size === 0 || undefined, 30_000, 50).catch(() => undefined);
    clearInterval(sampler);
    result.backlog = { max: backlogMax, end: speaker.inboundBacklog };
    fdb.onInstall = null;
    lags.sort((x, y) => x - y);
    result.installed = lags.length;
    result.lagMs = { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags[lags.length - 1] ?? 0 };
    result.lateOver1s = lags.filter((x) => x > 1000).length + expect.size;
    forget(vteps);
    const after = memory(collect);
    result.rssKiB.after = after.rss;
    result.heapKiB.after = after.heap;

    // ---- flap
    log(`churn: session flap with ${flapRoutes} routes`);
    const flapList = Array.from({ length: flapRoutes }, (_, i) => macOf(0xd0, i));
    const flapMessages = routes[VTEP_A].announce(flapList, 0);
    for (const m of flapMessages) a.send(m);
    await waitFor('the flap routes in', () => fdb.count(VTEP_A, '02:d0:') === flapRoutes, 60_000, 50);
    await delay(200);
    const stall = new StallMeter();
    const down = now();
    a.reset();
    await waitFor('the flap routes gone', () => fdb.count(VTEP_A, '02:d0:') === 0, 60_000, 20);
    result.flap.withdrawnS = (now() - down) / 1000;
    const again = await vtep(topo, VTEP_A, port);
    vteps.push(again);
    const up = now();
    // A few messages per turn: the test speaker's hex encoding of 3.5 MB at once would be this process's own stall.
    for (let i = 0; i < flapMessages.length; i += 8) {
      for (const m of flapMessages.slice(i, i + 8)) again.send(m);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await waitFor('the flap routes back', () => fdb.count(VTEP_A, '02:d0:') === flapRoutes, 60_000, 20);
    result.flap.relearnedS = (now() - up) / 1000;
    result.flap.maxStallMs = stall.stop();
  } catch (e) {
    result.error = (e as Error).message;
  } finally {
    for (const v of vteps) await v.close().catch(() => undefined);
    await speaker.stop().catch(() => undefined);
    await topo.destroy().catch(() => undefined);
  }
  return result;
}

export function printChurn(r: ChurnResult, print: (line: string) => void = console.log): void {
  print(`Churn: ${r.rate.toLocaleString('en-US')} MAC moves/s for ${r.durationS} s between two remote VTEPs (${r.macs.toLocaleString('en-US')} MACs, each moved twice, MAC Mobility sequence 1 then 2)`);
  if (r.error !== undefined) print(`  failed: ${r.error}`);
  print(
    `  moves ${r.moves.toLocaleString('en-US')}, sent at ${Math.round(r.sentRate).toLocaleString('en-US')}/s, installed ${r.installed.toLocaleString('en-US')}; ` +
      `lag UPDATE -> FDB at the new VTEP: p50 ${r.lagMs.p50.toFixed(1)} ms, p99 ${r.lagMs.p99.toFixed(1)} ms, max ${r.lagMs.max.toFixed(1)} ms; over 1 s (or never): ${r.lateOver1s}`,
  );
  print(`  inbound backlog (routes queued in the speaker): max ${r.backlog.max.toLocaleString('en-US')}, at the end ${r.backlog.end}; after the load / after the moves: RSS ${r.rssKiB.before.toLocaleString('en-US')} / ${r.rssKiB.after.toLocaleString('en-US')} KiB, live heap ${r.heapKiB.before.toLocaleString('en-US')} / ${r.heapKiB.after.toLocaleString('en-US')} KiB (this process: speaker and bench)`);
  print(
    `  session flap, ${r.flap.routes.toLocaleString('en-US')} routes: all withdrawn ${r.flap.withdrawnS.toFixed(2)} s after the session closed, all back ${r.flap.relearnedS.toFixed(2)} s after the new session's first UPDATE; longest event-loop stall ${r.flap.maxStallMs.toFixed(1)} ms`,
  );
}
