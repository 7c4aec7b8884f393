// Hosts that run their own VXLAN over a vxswitch VNI, at default offloads:
// each host's kernel vxlan device (its own overlay, VNI 77) hands its eth0
// UDP-tunnel GSO super-frames (SKB_GSO_UDP_TUNNEL, _CSUM over IPv6), which
// reach vxswitch's AF_PACKET port described as plain TCP GSO with csum_start
// at the inner TCP header. vxswitch must cut them fully (outer and inner
// headers) both into its own tunnel and out of another local port. The
// receiving host's TCP (and its vxlan device's UDP checksum check over IPv6)
// is the check: a bad segment is dropped there and shows up as
// retransmissions, which must stay under 1 % of the segments sent.
// Namespaces are made here and always removed; every iperf3 run is bounded.
//
// Addresses: vxswitch underlay 10.216.0.0/24; the hosts' own underlay (on
// the vxswitch VNI) 10.216.1.0/24 or fd00:216:1::/64; the hosts' overlay
// (on their vxlan devices) 10.216.2.0/24.

import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import type { DataplaneConfig } from '../../src/dataplane/dataplane-config.js';
import { Topology, needsRoot, ping, run, type Host } from '../helpers/netns.js';
import { tcpBothWays as tcpBothWaysChecked } from '../helpers/tcp-both-ways.js';

const VNI = 100;
const HOST_VNI = 77;
const IPERF_SECONDS = 5;
const UNDERLAY_MTU = 1600;
/** Inner IPv4 TCP over the hosts' vxlan (MTU 1450 over IPv4, 1430 over IPv6). */
const MSS = 1380;

interface HostPair {
  a: Host;
  b: Host;
  /** Overlay addresses of the hosts' own vxlan devices. */
  aIp: string;
  bIp: string;
}

async function openDataplane(t: TestContext, config: DataplaneConfig): Promise<Dataplane> {
  const warnings: string[] = [];
  const dp = await Dataplane.open(config, { warn: (m) => warnings.push(m) });
  t.after(() => {
    for (const w of warnings) t.diagnostic(`dataplane warning: ${w}`);
  });
  return dp;
}

/** Host h's own vxlan device (VNI 77, port 4789) to `remote`, with overlay address `ip`. */
async function hostVxlan(h: Host, local: string, remote: string, ip: string): Promise<void> {
  await run(h.ns, 'ip', 'link', 'add', 'hvx', 'type', 'vxlan', 'id', String(HOST_VNI), 'dstport', '4789', 'local', local, 'remote', remote, 'dev', 'eth0');
  await run(h.ns, 'ip', 'address', 'add', `${ip}/24`, 'dev', 'hvx');
  await run(h.ns, 'ip', 'link', 'set', 'hvx', 'up');
}

async function hostsWithVxlan(topo: Topology, nsA: string, nsB: string, family: 4 | 6): Promise<HostPair> {
  const v4 = family === 4;
  const a = await topo.host(nsA, { ...(v4 ? { ip: '10.216.1.1/24' } : { ip6: 'fd00:216:1::1/64' }), mac: '02:16:00:00:00:0a' });
  const b = await topo.host(nsB, { ...(v4 ? { ip: '10.216.1.2/24' } : { ip6: 'fd00:216:1::2/64' }), mac: '02:16:00:00:00:0b' });
  const la = v4 ? a.ip! : a.ip6!;
  const lb = v4 ? b.ip! : b.ip6!;
  await hostVxlan(a, la, lb, '10.216.2.1');
  await hostVxlan(b, lb, la, '10.216.2.2');
  return { a, b, aIp: '10.216.2.1', bIp: '10.216.2.2' };
}

async function tcpBothWays(t: TestContext, topo: Topology, p: HostPair, label: string): Promise<void> {
  const r0 = await ping(p.a.ns, p.bIp, { count: 3 });
  assert.equal(r0.received, 3, `ping over the hosts' vxlan:\n${r0.output}`);
  await tcpBothWaysChecked(t, topo, { ns: p.a.ns }, { ns: p.b.ns, ip: p.bIp }, { seconds: IPERF_SECONDS, mss: MSS, label });
}

function vniCounters(dp: Dataplane): ReturnType<Dataplane['counters']>['vnis'][number] {
  const c = dp.counters().vnis.find((v) => v.vni === VNI);
  assert.ok(c);
  return c;
}

for (const family of [4, 6] as const) {
  test(`hosts' own vxlan over IPv${family} across two vxswitches (tunnel GSO super-frames into vxswitch's tunnel): TCP both ways`, { skip: needsRoot, timeout: 120_000 }, async (t) => {
    const topo = new Topology();
    const dps: Dataplane[] = [];
    try {
      const s = await topo.addNamespace();
      const k = await topo.addNamespace();
      const su = topo.name();
      const ku = topo.name();
      await topo.veth(s, su, k, ku, { mtu: UNDERLAY_MTU });
      await topo.address(s, su, '10.216.0.1/24');
      await topo.address(k, ku, '10.216.0.2/24');
      const p = await hostsWithVxlan(topo, s, k, family);
      const side = (ns: string, ifname: string, addr: string, peer: string): DataplaneConfig => ({
        vtepAddress: addr,
        underlayInterface: ifname,
        netns: ns,
        vnis: [{ vni: VNI, mode: 'static', ports: [{ name: peer, kind: 'packet' }], floodList: [addr === '10.216.0.1' ? '10.216.0.2' : '10.216.0.1'] }],
      });
      dps.push(await openDataplane(t, side(s, su, '10.216.0.1', p.a.peer)));
      dps.push(await openDataplane(t, side(k, ku, '10.216.0.2', p.b.peer)));
      await tcpBothWays(t, topo, p, `two vxswitches, hosts' vxlan over IPv${family}`);
      for (const dp of dps) {
        const c = vniCounters(dp);
        t.diagnostic(`counters: ${JSON.stringify({ ...c, drops: undefined })} drops: ${JSON.stringify(c.drops)}`);
        assert.ok(c.segmented > 0, 'tunnel super-frames were cut for the tunnel');
        assert.equal(c.drops['bad-offload'], 0);
        assert.equal(dp.counters().drops['tx-error'], 0, 'nothing the kernel refused to send');
      }
    } finally {
      for (const dp of dps) await dp.close();
      await topo.destroy();
    }
  });

  test(`hosts' own vxlan over IPv${family} on one vxswitch (tunnel GSO super-frames out of another local port): TCP both ways`, { skip: needsRoot, timeout: 120_000 }, async (t) => {
    const topo = new Topology();
    let dp: Dataplane | undefined;
    try {
      const s = await topo.addNamespace();
      const su = topo.name();
      const ku = topo.name();
      const k = await topo.addNamespace();
      await topo.veth(s, su, k, ku, { mtu: UNDERLAY_MTU });
      await topo.address(s, su, '10.216.0.1/24');
      const p = await hostsWithVxlan(topo, s, s, family);
      dp = await openDataplane(t, {
        vtepAddress: '10.216.0.1',
        underlayInterface: su,
        netns: s,
        vnis: [{ vni: VNI, mode: 'static', ports: [{ name: p.a.peer, kind: 'packet' }, { name: p.b.peer, kind: 'packet' }], floodList: [] }],
      });
      await tcpBothWays(t, topo, p, `one vxswitch, hosts' vxlan over IPv${family}`);
      const c = vniCounters(dp);
      t.diagnostic(`counters: ${JSON.stringify({ ...c, drops: undefined })} drops: ${JSON.stringify(c.drops)}`);
      assert.ok(c.segmented > 0, 'tunnel super-frames were cut for the other port');
      assert.equal(c.drops['bad-offload'], 0);
      assert.equal(dp.counters().drops['tx-error'], 0, 'nothing the kernel refused to send');
    } finally {
      await dp?.close();
      await topo.destroy();
    }
  });
}
