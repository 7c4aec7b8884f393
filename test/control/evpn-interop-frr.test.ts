// Issue 4, acceptance 1 and 4a: vxswitch as a third VTEP next to an FRR
// route reflector and an FRR VTEP (kernel vxlan, nolearning,
// advertise-all-vni), with a host behind each, then the route reflector
// frozen and restarted under it.
//
// Two vxswitches join the RR, so one pause of the RR shows both graceful
// restart settings: vx1 (auto RD, graceful-restart helper enabled, host h3)
// and vx2 (configured RD and route targets, graceful restart disabled,
// host h4). FRR 8.4's GR capability (helper by default) lists no address
// family, so RFC 4724 §4.2 leaves vx1 nothing to keep as stale: both drop
// the RR's routes when their hold timer expires.
//
// Addresses (the interop harness uses 10.214.0.0/24 and 10.214.100.0/24):
// underlay 10.214.64.0/24 (RR .254, FRR VTEP .1, vx1 .40, vx2 .41), hosts
// 10.214.65.0/24 (h1 .1 behind FRR, h3 .3 behind vx1, h4 .4 behind vx2),
// VNI 100, UDP 4789.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import {
  floodTargets,
  frrVtepDataplane,
  remoteFdb,
  routeReflectorConfig,
  startFrr,
  vtepConfig,
  waitFdb,
  type FdbEntry,
  type FrrInstance,
} from '../helpers/frr.js';
import { flushNeighbours, needsRoot, ping, Topology, waitFor, type Host, type KernelVtep } from '../helpers/netns.js';
import { localMac, remoteMac, startVxswitch, type VxFdbEntry, type Vxswitch } from './vxswitch-lab.js';

const AS = 65000;
const VNI = 100;
const RT = `${AS}:${VNI}`;
const RR_IP = '10.214.64.254';
const V1_IP = '10.214.64.1';
const VX1_IP = '10.214.64.40';
const VX2_IP = '10.214.64.41';
const H1 = { ip: '10.214.65.1', mac: '02:14:40:00:01:01' };
const H3 = { ip: '10.214.65.3', mac: '02:14:40:00:03:03' };
const H4 = { ip: '10.214.65.4', mac: '02:14:40:00:04:04' };
const VX1_RD = `${VX1_IP}:1`; // auto: router-id:index of the first VNI
const VX2_RD = `${VX2_IP}:100`; // configured

function binaryMissing(): string | false {
  if (needsRoot) return needsRoot;
  for (const f of ['/usr/lib/frr/zebra', '/usr/lib/frr/bgpd', '/usr/bin/vtysh']) {
    if (!existsSync(f)) return `needs FRR (${f} missing)`;
  }
  return false;
}

const skip = binaryMissing();

function since(from: number): number {
  return Math.round(performance.now() - from);
}

function kernelRemote(entries: readonly FdbEntry[], mac: string, dst: string): FdbEntry | undefined {
  return remoteFdb(entries).find((e) => e.mac === mac && e.dst === dst);
}

/** Ping with every request answered, the first one included (it waits for ARP). */
async function pingAll(from: Host, to: string, count = 3): Promise<void> {
  const r = await ping(from.ns, to, { count, intervalS: 0.2, replyTimeoutS: 2 });
  assert.equal(r.received, count, `ping ${from.ip} -> ${to}: ${r.received}/${r.transmitted}\n${r.output}`);
}

describe('EVPN interop: vxswitch with an FRR route reflector and an FRR VTEP', { skip, timeout: 120_000 }, () => {
  const topo = new Topology();
  let rr: FrrInstance;
  let v1: FrrInstance;
  let vtep: KernelVtep;
  let vx1: Vxswitch;
  let vx2: Vxswitch;
  let h1: Host;
  let h3: Host;
  let h4: Host;

  before(async () => {
    const t0 = performance.now();
    const ul = await topo.addNamespace();
    const br = await topo.bridge(ul);
    const [rrNs, v1Ns, vx1Ns, vx2Ns] = await Promise.all([1, 2, 3, 4].map(() => topo.addNamespace()));
    await topo.underlayPort(ul, br, rrNs!, `${RR_IP}/24`);
    await topo.underlayPort(ul, br, v1Ns!, `${V1_IP}/24`);
    await topo.underlayPort(ul, br, vx1Ns!, `${VX1_IP}/24`);
    await topo.underlayPort(ul, br, vx2Ns!, `${VX2_IP}/24`);
    vtep = await frrVtepDataplane(topo, { ns: v1Ns!, vni: VNI, local: V1_IP, hosts: [{ ip: `${H1.ip}/24`, mac: H1.mac }] });
    h1 = vtep.hosts[0]!;
    h3 = await topo.host(vx1Ns!, { ip: `${H3.ip}/24`, mac: H3.mac, peerName: 'hp0' });
    h4 = await topo.host(vx2Ns!, { ip: `${H4.ip}/24`, mac: H4.mac, peerName: 'hp0' });
    const tTopo = since(t0);

    [rr, v1] = await Promise.all([
      startFrr(topo, {
        ns: rrNs!,
        bgpdConf: routeReflectorConfig({ hostname: 'rr', as: AS, routerId: RR_IP, listenRange: '10.214.64.0/24' }),
      }),
      startFrr(topo, {
        ns: v1Ns!,
        bgpdConf: vtepConfig({ hostname: 'v1', as: AS, routerId: V1_IP, neighbors: [{ address: RR_IP, connectRetryS: 1 }] }),
      }),
    ]);
    // Hold 3 on the vxswitch side (FRR offers 9; the smaller wins) so the
    // fault test sees the hold timer expire within a few seconds.
    const neighbor = { address: RR_IP, peerAs: AS, connectRetryS: 1, holdTimeS: 3, keepaliveS: 1 };
    [vx1, vx2] = await Promise.all([
      startVxswitch(topo, {
        name: 'vx1',
        ns: vx1Ns!,
        config: {
          as: AS,
          routerId: VX1_IP,
          neighbors: [{ ...neighbor, gracefulRestart: true }],
          vnis: [{ vni: VNI, members: ['hp0'] }],
        },
      }),
      startVxswitch(topo, {
        name: 'vx2',
        ns: vx2Ns!,
        config: {
          as: AS,
          routerId: VX2_IP,
          neighbors: [{ ...neighbor, gracefulRestart: false }],
          vnis: [{ vni: VNI, members: ['hp0'], rd: VX2_RD, importRts: [`*:${VNI}`], exportRts: [RT] }],
        },
      }),
    ]);
    console.log(`evpn-interop-frr: topology ${tTopo} ms, FRR and vxswitch started ${since(t0)} ms`);
  });

  after(async () => {
    await topo.destroy();
  });

  test('sessions: both vxswitches are Established with the RR, on both sides, hold 3', async (t: TestContext) => {
    const t0 = performance.now();
    const [n1, n2] = await Promise.all([vx1.waitEstablished(RR_IP), vx2.waitEstablished(RR_IP)]);
    await Promise.all([rr.waitEstablished(VX1_IP), rr.waitEstablished(VX2_IP), rr.waitEstablished(V1_IP)]);
    t.diagnostic(`all Established after ${since(t0)} ms`);
    for (const n of [n1, n2]) {
      assert.equal(n.peerAs, AS);
      assert.equal(n.routerId, RR_IP);
      assert.ok(n.families.some((f) => /l2vpn.?evpn/i.test(f)), `families ${JSON.stringify(n.families)}`);
      if (n.holdTime !== undefined && n.holdTime !== null) assert.equal(n.holdTime, 3, 'negotiated hold = min(3, 9)');
    }
    const atRr = await rr.neighbor(VX1_IP);
    assert.equal(atRr?.remoteRouterId, VX1_IP);
    assert.equal(atRr?.holdTimeMs, 3_000, 'FRR agrees on hold 3');
  });

  test('acceptance 1: h1 (FRR) <-> h3 (vxswitch) ping both ways, routes and FDBs on both sides', async (t: TestContext) => {
    // FRR's Type 3 is in vx1's flood list before any traffic: the first ARP must reach it.
    await vx1.waitVni('the FRR VTEP in the flood list', VNI, (v) => v.floodList.includes(V1_IP));
    await waitFdb(vtep.ns, vtep.vxlan, `flood entry to ${VX1_IP}`, (e) => floodTargets(e).includes(VX1_IP));

    const t0 = performance.now();
    await pingAll(h3, H1.ip);
    const tFirst = since(t0);
    await Promise.all([flushNeighbours(h1.ns), flushNeighbours(h3.ns)]);
    const t1 = performance.now();
    await pingAll(h1, H3.ip);
    t.diagnostic(`h3 -> h1 ${tFirst} ms, h1 -> h3 (fresh neighbour caches) ${since(t1)} ms`);

    // FRR's BGP table at the FRR VTEP: vx1's Type 2 (h3) and Type 3.
    const t2 = await v1.waitRoute('vx1 Type 2 for h3', (p) => p.routeType === 2 && p.mac === H3.mac && p.bestpath);
    assert.equal(t2.rd, VX1_RD);
    assert.equal(t2.prefix, `[2]:[0]:[48]:[${H3.mac}]`);
    assert.equal(t2.nextHop, VX1_IP);
    assert.equal(t2.vni, VNI, 'label 1 = VNI 100');
    assert.equal(t2.valid, true);
    assert.equal(t2.peerId, RR_IP);
    assert.equal(t2.originatorId, VX1_IP);
    assert.equal(t2.localPref, 100);
    assert.match(t2.extendedCommunities, new RegExp(`(^| )RT:${RT}( |$)`));
    assert.match(t2.extendedCommunities, /(^| )ET:8( |$)/);
    const t3 = await v1.waitRoute('vx1 Type 3', (p) => p.routeType === 3 && p.rd === VX1_RD && p.bestpath);
    assert.equal(t3.prefix, `[3]:[0]:[32]:[${VX1_IP}]`);
    assert.equal(t3.originatorIp, VX1_IP);
    assert.equal(t3.nextHop, VX1_IP);
    assert.equal(t3.pmsiTunnelType, 'Ingress Replication');
    assert.equal(t3.pmsiLabel, VNI);
    assert.match(t3.extendedCommunities, new RegExp(`(^| )RT:${RT}( |$)`));
    assert.match(t3.extendedCommunities, /(^| )ET:8( |$)/);
    // vx2's configured RD.
    const vx2t3 = await v1.waitRoute('vx2 Type 3', (p) => p.routeType === 3 && p.originatorIp === VX2_IP);
    assert.equal(vx2t3.rd, VX2_RD);
    assert.equal(vx2t3.pmsiLabel, VNI);

    // FRR's kernel FDB: h3's MAC and the flood entry toward vx1.
    const fdb = await waitFdb(vtep.ns, vtep.vxlan, `${H3.mac} dst ${VX1_IP}`, (e) => kernelRemote(e, H3.mac, VX1_IP) !== undefined);
    assert.ok(kernelRemote(fdb, H3.mac, VX1_IP)!.flags.includes('extern_learn'));
    assert.equal(kernelRemote(fdb, '00:00:00:00:00:00', VX1_IP)?.state, 'permanent');
    const macs = await v1.evpnMacs(VNI);
    assert.equal(macs.find((m) => m.mac === H3.mac)?.remoteVtep, VX1_IP);
    const vni = await v1.evpnVni(VNI);
    assert.deepEqual(vni.remoteVteps.find((r) => r.ip === VX1_IP), { ip: VX1_IP, flood: 'HER' });

    // vxswitch's side: h1 remote, from EVPN only; h3 local, learned on hp0.
    const vxFdb = await vx1.waitFdb(`${H1.mac} from EVPN`, (e) => remoteMac(e, VNI, H1.mac) !== undefined);
    const h1Entry = remoteMac(vxFdb, VNI, H1.mac)!;
    assert.equal(h1Entry.origin, 'control', 'evpn mode learns remote MACs only from Type 2 routes');
    assert.equal(h1Entry.vtep, V1_IP);
    const h3Entry = localMac(vxFdb, VNI, H3.mac);
    assert.equal(h3Entry?.origin, 'learned');
    assert.equal(h3Entry?.port, 'hp0');
    assert.deepEqual(
      vxFdb.filter((e) => e.kind === 'remote' && e.origin !== 'control'),
      [],
      'no remote entry learned from the data plane',
    );
    const vxVni = await vx1.vni(VNI);
    assert.ok(vxVni?.floodList.includes(V1_IP), `flood list ${JSON.stringify(vxVni?.floodList)}`);
    assert.equal(vxVni?.mode, 'evpn');

    // vx1's RIB: FRR's routes via the RR, its own with the RD it advertised.
    const rib = await vx1.rib();
    const frrT2 = rib.find((p) => p.routeType === 2 && p.mac === H1.mac);
    assert.ok(frrT2, 'h1 Type 2 in vx1 RIB');
    assert.equal(frrT2.peer, RR_IP);
    assert.equal(frrT2.nextHop, V1_IP);
    assert.equal(frrT2.best, true);
    assert.deepEqual(frrT2.labels, [VNI]);
    assert.ok(frrT2.extendedCommunities.includes(`RT:${RT}`));
    assert.equal(frrT2.originatorId, V1_IP);
    const frrT3 = rib.find((p) => p.routeType === 3 && p.nextHop === V1_IP);
    assert.deepEqual(frrT3?.pmsi, { tunnelType: 6, label: VNI, tunnelId: V1_IP });
    const ownT2 = rib.find((p) => p.routeType === 2 && p.mac === H3.mac && p.peer === null);
    assert.equal(ownT2?.rd, VX1_RD);
    assert.equal(ownT2?.frr, `[2]:[0]:[48]:[${H3.mac}]`);
    // RFC 4456: our own routes reflected back by the RR are dropped, never imported.
    assert.deepEqual(
      rib.filter((p) => p.peer !== null && (p.originatorId === VX1_IP || p.nextHop === VX1_IP)).map((p) => p.nlri),
      [],
      'reflected own routes are not in the RIB',
    );
  });

  test('vxswitch <-> vxswitch through the FRR RR: h3 <-> h4', async () => {
    await Promise.all([flushNeighbours(h3.ns), flushNeighbours(h4.ns)]);
    await pingAll(h4, H3.ip);
    await pingAll(h3, H4.ip);
    const e = await vx2.waitFdb(`${H3.mac} via the RR`, (x) => remoteMac(x, VNI, H3.mac) !== undefined);
    assert.equal(remoteMac(e, VNI, H3.mac)?.vtep, VX1_IP);
  });

  test('acceptance 4a: RR frozen -> hold timer expires -> remote routes leave -> RR back -> routes and traffic return', async (t: TestContext) => {
    const hasH1 = (e: VxFdbEntry[]): boolean => remoteMac(e, VNI, H1.mac) !== undefined;
    await Promise.all([vx1.waitFdb('h1 before the fault', hasH1), vx2.waitFdb('h1 before the fault', hasH1)]);

    const t0 = performance.now();
    rr.pause();
    let tDown: number;
    let tFlushed: number;
    try {
      // Negotiated hold 3 s: down within 3 s of the last KEEPALIVE, plus the poll.
      await Promise.all(
        [vx1, vx2].map((vx) =>
          vx.until('the RR session to leave established', async () => (await vx.neighbor(RR_IP))?.state !== 'established', 8_000, 100),
        ),
      );
      tDown = since(t0);
      // Both graceful restart settings: the RR's routes leave the FDB and the flood list.
      await Promise.all(
        [vx1, vx2].map(async (vx) => {
          await vx.waitFdb('h1 gone after hold expiry', (e) => !hasH1(e), 5_000);
          await vx.waitVni('the FRR VTEP out of the flood list', VNI, (v) => !v.floodList.includes(V1_IP), 5_000);
        }),
      );
      tFlushed = since(t0);
      // Still frozen: nothing from the RR is kept, stale or not, with either GR setting.
      for (const vx of [vx1, vx2]) {
        const n = await vx.neighbor(RR_IP);
        assert.notEqual(n?.state, 'established');
        assert.match(String(n?.lastDown), /hold timer expired/i, `${vx.name}: lastDown`);
        const kept = (await vx.rib()).filter((p) => p.peer === RR_IP);
        assert.deepEqual(kept.map((p) => `${p.nlri}${p['stale'] === true ? ' (stale)' : ''}`), [], `${vx.name}: routes from the RR after hold expiry`);
      }
      t.diagnostic(`vx1 while the RR is frozen: ${JSON.stringify(await vx1.neighbor(RR_IP))}`);
    } finally {
      rr.resume();
    }
    assert.ok(tDown < 7_000, `hold expiry took ${tDown} ms`);
    t.diagnostic(`vx1 log: ${JSON.stringify(vx1.logsMatching(/hold|expire|stale|graceful/i).slice(-3).map((l) => l.msg))}`);

    // The RR runs again: sessions, routes and traffic return without restarting vxswitch.
    const t1 = performance.now();
    await Promise.all([vx1.waitEstablished(RR_IP, 20_000), vx2.waitEstablished(RR_IP, 20_000)]);
    await vx1.waitFdb('h1 back after resume', hasH1, 15_000);
    await vx1.waitVni('the FRR VTEP back in the flood list', VNI, (v) => v.floodList.includes(V1_IP), 10_000);
    await waitFdb(vtep.ns, vtep.vxlan, `${H3.mac} back at FRR`, (e) => kernelRemote(e, H3.mac, VX1_IP) !== undefined, 15_000);
    const tBack = since(t1);
    await Promise.all([flushNeighbours(h1.ns), flushNeighbours(h3.ns)]);
    await pingAll(h1, H3.ip);
    await pingAll(h3, H1.ip);
    assert.ok(vx1.running && vx2.running, 'the daemons were never restarted');
    t.diagnostic(`down ${tDown} ms, flushed ${tFlushed} ms, back ${tBack} ms after resume`);
  });

  test('acceptance 4a: RR stopped (Cease) and started again: routes and traffic return', async (t: TestContext) => {
    const hasH1 = (e: VxFdbEntry[]): boolean => remoteMac(e, VNI, H1.mac) !== undefined;
    const t0 = performance.now();
    await rr.stop();
    await vx1.until('the RR session to go after Cease', async () => (await vx1.neighbor(RR_IP))?.state !== 'established', 5_000, 100);
    await vx1.waitFdb('h1 gone after the RR stopped', (e) => !hasH1(e), 5_000);
    const tDown = since(t0);
    const t1 = performance.now();
    await rr.start();
    await Promise.all([vx1.waitEstablished(RR_IP, 20_000), vx2.waitEstablished(RR_IP, 20_000), v1.waitEstablished(RR_IP, 20_000)]);
    await vx1.waitFdb('h1 back after restart', hasH1, 15_000);
    await waitFdb(vtep.ns, vtep.vxlan, `${H3.mac} back at FRR`, (e) => kernelRemote(e, H3.mac, VX1_IP) !== undefined, 15_000);
    const tBack = since(t1);
    await Promise.all([flushNeighbours(h1.ns), flushNeighbours(h3.ns)]);
    await pingAll(h1, H3.ip);
    await pingAll(h3, H1.ip);
    await waitFor('vx1 still running', () => vx1.running, 100);
    t.diagnostic(`stop -> routes gone ${tDown} ms, start -> routes back ${tBack} ms`);
  });

  test('neither vxswitch logged an error', () => {
    for (const vx of [vx1, vx2]) assert.deepEqual(vx.errorLines().map((l) => l.msg), [], `${vx.name}\n${vx.logTail()}`);
  });
});
