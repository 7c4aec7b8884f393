// Hosts at their default offloads (checksum offload, TSO, GSO on every veth
// and TAP, as on users' machines), TCP through vxswitch both ways: against
// the Linux vxlan driver and against another vxswitch, static and evpn
// mode, AF_PACKET and TAP ports, inner IPv4 and IPv6, over IPv4 and IPv6
// underlays. The receiving host's TCP is the checksum check: a segment with
// a wrong checksum is dropped there and shows up as retransmissions, which
// must stay under 1 % of the segments sent. Namespaces are made here and
// always removed; every iperf3 run is bounded.
//
// Addresses: underlay 10.215.0.0/24 and fd00:215::/64, hosts 10.215.1.0/24
// and fd00:215:1::/64.

import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import type { DataplaneConfig, PortConfig } from '../../src/dataplane/dataplane-config.js';
import { Topology, needsRoot, ping, type Host, type HostOptions } from '../helpers/netns.js';
import { tcpBothWays as tcpBothWaysChecked } from '../helpers/tcp-both-ways.js';

const VNI = 100;
const IPERF_SECONDS = 5;
const UNDERLAY_MTU = 1600;

const HOST_A: HostOptions = { ip: '10.215.1.1/24', ip6: 'fd00:215:1::1/64', mac: '02:15:00:00:00:0a' };
const HOST_B: HostOptions = { ip: '10.215.1.2/24', ip6: 'fd00:215:1::2/64', mac: '02:15:00:00:00:0b' };

interface Underlay {
  s: string;
  k: string;
  su: string;
  ku: string;
  sAddr: string;
  kAddr: string;
}

async function underlay(topo: Topology, family: 4 | 6): Promise<Underlay> {
  const s = await topo.addNamespace({ ipv6: family === 6 });
  const k = await topo.addNamespace({ ipv6: family === 6 });
  const su = topo.name();
  const ku = topo.name();
  await topo.veth(s, su, k, ku, { mtu: UNDERLAY_MTU });
  const [sAddr, kAddr, len] = family === 4 ? ['10.215.0.1', '10.215.0.2', 24] : ['fd00:215::1', 'fd00:215::2', 64];
  await topo.address(s, su, `${sAddr}/${len}`);
  await topo.address(k, ku, `${kAddr}/${len}`);
  return { s, k, su, ku, sAddr, kAddr };
}

async function openDataplane(t: TestContext, config: DataplaneConfig): Promise<Dataplane> {
  const warnings: string[] = [];
  const dp = await Dataplane.open(config, { warn: (m) => warnings.push(m) });
  t.after(() => {
    for (const w of warnings) t.diagnostic(`dataplane warning: ${w}`);
  });
  return dp;
}

/** TCP both ways between the hosts over IPv4 or IPv6 (the MSS follows the family). */
function tcpBothWays(t: TestContext, topo: Topology, a: { ns: string }, b: { ns: string; ip: string }, label: string, family: 4 | 6): Promise<void> {
  return tcpBothWaysChecked(t, topo, a, b, { seconds: IPERF_SECONDS, mss: family === 4 ? 1448 : 1428, label: `${label}, inner IPv${family}` });
}

function counters(dp: Dataplane): ReturnType<Dataplane['counters']>['vnis'][number] {
  const c = dp.counters().vnis.find((v) => v.vni === VNI);
  assert.ok(c);
  return c;
}

async function reach(from: Host, to: Host, family: 4 | 6): Promise<void> {
  const r = await ping(from.ns, family === 4 ? to.ip! : to.ip6!, { count: 3, ipv6: family === 6 });
  assert.equal(r.received, 3, `ping IPv${family} ${from.ns} -> ${to.ns}:\n${r.output}`);
}

// ------------------------------------------------------------------ against the kernel

for (const family of [4, 6] as const) {
  test(`default offloads, vxswitch (AF_PACKET port, static) <-> kernel vxlan over an IPv${family} underlay: TCP both ways, inner IPv4 and IPv6`, { skip: needsRoot, timeout: 150_000 }, async (t) => {
    const topo = new Topology();
    let dp: Dataplane | undefined;
    try {
      const u = await underlay(topo, family);
      const hA = await topo.host(u.s, HOST_A);
      const kv = await topo.kernelVtep({ ns: u.k, vni: VNI, local: u.kAddr, dev: u.ku, flood: [u.sAddr], hosts: [HOST_B] });
      const hB = kv.hosts[0]!;
      dp = await openDataplane(t, {
        vtepAddress: u.sAddr,
        underlayInterface: u.su,
        netns: u.s,
        vnis: [{ vni: VNI, mode: 'static', ports: [{ name: hA.peer, kind: 'packet' }], floodList: [u.kAddr] }],
      });
      await reach(hA, hB, 4);
      await reach(hA, hB, 6);
      const label = `kernel peer, IPv${family} underlay`;
      await tcpBothWays(t, topo, { ns: hA.ns }, { ns: hB.ns, ip: hB.ip! }, label, 4);
      await tcpBothWays(t, topo, { ns: hA.ns }, { ns: hB.ns, ip: hB.ip6! }, label, 6);
      const c = counters(dp);
      t.diagnostic(`counters: ${JSON.stringify({ ...c, drops: undefined })}, link: ${JSON.stringify(dp.counters().link)}`);
      assert.ok(c.segmented > 0, 'host A sent TSO super-frames (offloads on) and they were cut for the tunnel');
      assert.equal(c.drops['bad-offload'], 0);
      assert.equal(c.drops['mtu'], 0);
    } finally {
      await dp?.close();
      await topo.destroy();
    }
  });
}

test('default offloads, vxswitch TAP port <-> kernel vxlan: TCP both ways between the TAP\'s own stack and a host', { skip: needsRoot, timeout: 90_000 }, async (t) => {
  const topo = new Topology();
  let dp: Dataplane | undefined;
  try {
    const u = await underlay(topo, 4);
    const kv = await topo.kernelVtep({ ns: u.k, vni: VNI, local: u.kAddr, dev: u.ku, flood: [u.sAddr], hosts: [HOST_B] });
    const hB = kv.hosts[0]!;
    const tap = topo.name();
    dp = await openDataplane(t, {
      vtepAddress: u.sAddr,
      underlayInterface: u.su,
      netns: u.s,
      vnis: [{ vni: VNI, mode: 'static', ports: [{ name: tap, kind: 'tap' }], floodList: [u.kAddr] }],
    });
    // The TAP is the switch namespace's own interface into the VNI (as on a Pi bridging its own stack).
    await topo.address(u.s, tap, '10.215.1.1/24');
    const r = await ping(u.s, hB.ip!, { count: 3 });
    assert.equal(r.received, 3, r.output);
    await tcpBothWays(t, topo, { ns: u.s }, { ns: hB.ns, ip: hB.ip! }, 'TAP port, kernel peer', 4);
    const c = counters(dp);
    assert.ok(c.segmented > 0, 'the TAP handed over TSO super-frames (TUNSETOFFLOAD) and they were cut for the tunnel');
  } finally {
    await dp?.close();
    await topo.destroy();
  }
});

// ------------------------------------------------------------------ vxswitch <-> vxswitch

for (const family of [4, 6] as const) {
  test(`default offloads, vxswitch <-> vxswitch (evpn mode, remote MACs and flood lists through the FDB API) over an IPv${family} underlay: TCP both ways, inner IPv4 and IPv6`, { skip: needsRoot, timeout: 150_000 }, async (t) => {
    const topo = new Topology();
    const dps: Dataplane[] = [];
    try {
      const u = await underlay(topo, family);
      const hA = await topo.host(u.s, HOST_A);
      const hB = await topo.host(u.k, HOST_B);
      const side = (ns: string, ifname: string, addr: string, host: Host): DataplaneConfig => ({
        vtepAddress: addr,
        underlayInterface: ifname,
        netns: ns,
        vnis: [{ vni: VNI, mode: 'evpn', ports: [{ name: host.peer, kind: 'packet' } satisfies PortConfig] }],
      });
      const a = await openDataplane(t, side(u.s, u.su, u.sAddr, hA));
      dps.push(a);
      const b = await openDataplane(t, side(u.k, u.ku, u.kAddr, hB));
      dps.push(b);
      // What the control plane does with Type 3 and Type 2 routes.
      a.setFloodList(VNI, [u.kAddr]);
      b.setFloodList(VNI, [u.sAddr]);
      a.addRemote(VNI, hB.mac, u.kAddr);
      b.addRemote(VNI, hA.mac, u.sAddr);
      await reach(hA, hB, 4);
      await reach(hA, hB, 6);
      const label = `vxswitch peer, IPv${family} underlay`;
      await tcpBothWays(t, topo, { ns: hA.ns }, { ns: hB.ns, ip: hB.ip! }, label, 4);
      await tcpBothWays(t, topo, { ns: hA.ns }, { ns: hB.ns, ip: hB.ip6! }, label, 6);
      for (const dp of dps) {
        const c = counters(dp);
        t.diagnostic(`counters: ${JSON.stringify({ ...c, drops: undefined })}`);
        assert.ok(c.segmented > 0, 'super-frames cut for the tunnel');
        assert.equal(c.drops['unknown-vtep'], 0);
        assert.equal(c.drops['bad-offload'], 0);
      }
    } finally {
      for (const dp of dps) await dp.close();
      await topo.destroy();
    }
  });
}
