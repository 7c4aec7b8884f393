// Two vxswitch daemons whose VTEPs are IPv6 addresses (dataplane.vtep-address
// = fd00:…): BGP runs over IPv4 between their router-ids, the EVPN routes
// carry the IPv6 VTEPs (Type 3 originator, Type 2 next hop), and the hosts'
// traffic crosses an IPv6 underlay, outer UDP checksum and all (RFC 8200
// §8.1). Hosts at default offloads: a ping both ways and TCP for 3 s.
//
// Addresses: BGP 10.214.70.0/24, underlay fd00:214:70::/64, hosts 10.214.71.0/24.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { iperf3Tcp, needsRoot, ping, Topology, type Host } from '../helpers/netns.js';
import { remoteMac, startVxswitch, type Vxswitch } from './vxswitch-lab.js';

const SWITCHES = [1, 2] as const;
const bgpIp = (n: number): string => `10.214.70.${n}`;
const vtepIp = (n: number): string => `fd00:214:70::${n}`;
const hostMac = (n: number): string => `02:14:71:00:00:0${n}`;
const VNI = 10;

describe('EVPN over an IPv6 underlay: two vxswitches, IPv6 VTEPs, BGP over IPv4', { skip: needsRoot, timeout: 120_000 }, () => {
  const topo = new Topology();
  const vx: Vxswitch[] = [];
  const hosts: Host[] = [];
  const switchNs: string[] = [];

  before(async () => {
    const ul = await topo.addNamespace({ ipv6: true });
    const br = await topo.bridge(ul);
    for (const n of SWITCHES) {
      const ns = await topo.addNamespace({ ipv6: true });
      switchNs.push(ns);
      await topo.underlayPort(ul, br, ns, `${bgpIp(n)}/24`);
      await topo.address(ns, 'ul0', `${vtepIp(n)}/64`);
      hosts.push(await topo.host(ns, { ip: `10.214.71.${n}/24`, mac: hostMac(n), peerName: 'hp10' }));
    }
    for (const n of SWITCHES) {
      const m = n === 1 ? 2 : 1;
      vx.push(
        await startVxswitch(topo, {
          name: `vx${n}`,
          ns: switchNs[n - 1]!,
          config: {
            as: 65000 + n,
            routerId: bgpIp(n),
            vtep: vtepIp(n),
            neighbors: [{ address: bgpIp(m), peerAs: 65000 + m, localAddress: bgpIp(n) }],
            vnis: [{ vni: VNI, members: ['hp10'] }],
          },
        }),
      );
    }
  });

  after(async () => {
    await topo.destroy();
  });

  test('the flood lists hold the other IPv6 VTEP; hosts ping both ways; TCP crosses; MACs are remote behind the IPv6 VTEP', async (t) => {
    for (const n of SWITCHES) {
      const m = n === 1 ? 2 : 1;
      await vx[n - 1]!.waitEstablished(bgpIp(m), 20_000);
      await vx[n - 1]!.waitVni('flood list', VNI, (v) => v.floodList.includes(vtepIp(m)), 20_000);
    }
    for (const [a, b] of [[0, 1], [1, 0]] as const) {
      const r = await ping(hosts[a]!.ns, hosts[b]!.ip!, { count: 3, intervalS: 0.2 });
      assert.equal(r.received, r.transmitted, `${hosts[a]!.ip} -> ${hosts[b]!.ip}: ${r.received}/${r.transmitted}`);
    }
    const tcp = await iperf3Tcp(topo, { ns: hosts[1]!.ns, ip: hosts[1]!.ip! }, hosts[0]!, 3);
    t.diagnostic(`TCP over the IPv6 underlay: ${(tcp.bitsPerSecond / 1e6).toFixed(0)} Mbit/s, ${tcp.retransmits} retransmits`);
    assert.ok(tcp.bytes > 1e6, `TCP moved ${tcp.bytes} bytes`);
    const fdb = await vx[0]!.waitFdb('h2 behind vx2', (e) => remoteMac(e, VNI, hostMac(2))?.vtep === vtepIp(2), 5_000);
    assert.equal(remoteMac(fdb, VNI, hostMac(2))?.origin, 'control');
  });
});
