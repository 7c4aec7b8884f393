// Issue 9 item 1: underlay datagrams are accepted only from the underlay,
// never from a member port, whatever their source address says. The VTEP's
// kernel answers for our underlay address on member ports too (they are in
// its namespace), so a host in VNI 10 can address our VTEP on UDP 4789 with
// a datagram for VNI 20 from a known VTEP's source address.
//
// In namespaces this file makes and always removes: switch S (vxswitch,
// underlay 10.213.0.1), remote VTEP K (10.213.0.2, behind the underlay
// veth), host h10 on a member port of VNI 10 and h20 on one of VNI 20. K
// sends one genuine datagram into VNI 20 (it must arrive: the check below
// could see an arrival), then h10 sends three from K's address (none may).
// For each way the underlay can receive: the UDP socket without an underlay
// interface (the ingress interface checked against the member ports, counted
// as not-underlay), the UDP socket bound to the underlay interface, and the
// AF_PACKET underlay link.

import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import type { DataplaneConfig, VniConfig } from '../../src/dataplane/dataplane-config.js';
import { vxlanBroadcast } from '../helpers/frame-builder.js';
import { Topology, delay, exec, inNs, needsRoot, run, waitFor } from '../helpers/netns.js';

const S_VTEP = '10.213.0.1';
const K_VTEP = '10.213.0.2';

/** Send `count` copies of `payload` from src:40000 to dst:4789, inside namespace ns (a short node child). */
async function sendUdp(ns: string, src: string, dst: string, payload: Buffer, count: number): Promise<void> {
  const script = `
    const s = require('node:dgram').createSocket('udp4');
    const p = Buffer.from('${payload.toString('hex')}', 'hex');
    s.bind({ address: '${src}', port: 40000 }, async () => {
      for (let i = 0; i < ${count}; i++) {
        await new Promise((r, j) => s.send(p, 4789, '${dst}', (e) => (e ? j(e) : r())));
      }
      s.close();
    });`;
  await exec(inNs(ns, [process.execPath, '-e', script]), { timeoutMs: 10_000 });
}

function vniOf(dp: Dataplane, vni: number): ReturnType<Dataplane['counters']>['vnis'][number] {
  const v = dp.counters().vnis.find((x) => x.vni === vni);
  assert.ok(v, `counters for VNI ${vni}`);
  return v;
}

type Variant = 'no underlay interface' | 'underlay interface, UDP socket' | 'underlay link';

for (const variant of ['no underlay interface', 'underlay interface, UDP socket', 'underlay link'] as Variant[]) {
  test(`underlay ingress (${variant}): a host on a member port cannot inject into another VNI from a VTEP's address`, { skip: needsRoot, timeout: 60_000 }, async (t: TestContext) => {
    const topo = new Topology();
    let dp: Dataplane | undefined;
    const warnings: string[] = [];
    try {
      const s = await topo.addNamespace();
      const k = await topo.addNamespace();
      const su = topo.name();
      const ku = topo.name();
      await topo.veth(s, su, k, ku);
      await topo.address(s, su, `${S_VTEP}/24`);
      await topo.address(k, ku, `${K_VTEP}/24`);
      // The reproduction's worst case: no reverse-path filter on the switch.
      for (const conf of ['all', 'default']) await run(s, 'sysctl', '-qw', `net.ipv4.conf.${conf}.rp_filter=0`);
      const h10 = await topo.host(s, { ip: '10.213.10.1/24', mac: '02:13:00:00:10:01' });
      const h20 = await topo.host(s, { ip: '10.213.20.1/24', mac: '02:13:00:00:20:01' });
      await run(s, 'sysctl', '-qw', `net.ipv4.conf.${h10.peer}.rp_filter=0`);

      const vni = (n: number, port: string): VniConfig => ({ vni: n, mode: 'static', ports: [{ name: port, kind: 'packet' }], floodList: [K_VTEP] });
      const config: DataplaneConfig = { vtepAddress: S_VTEP, netns: s, vnis: [vni(10, h10.peer), vni(20, h20.peer)] };
      if (variant !== 'no underlay interface') config.underlayInterface = su;
      if (variant === 'underlay interface, UDP socket') config.underlayLink = false;
      dp = await Dataplane.open(config, { warn: (m) => warnings.push(m) });

      // Genuine: K, on the underlay, into VNI 20. It arrives (and K's address is now a known VTEP).
      await sendUdp(k, K_VTEP, S_VTEP, vxlanBroadcast(20, '02:13:00:00:0f:01'), 1);
      const d = dp;
      await waitFor('the genuine datagram decapsulated in VNI 20', () => vniOf(d, 20).decapsulated === 1);
      assert.equal(vniOf(dp, 20).txFrames, 1, 'the genuine frame left the VNI 20 port');
      const underlayBefore = dp.counters().underlays[0]!.rxDatagrams;

      // Hostile: h10 (VNI 10's member port) takes K's address and sends to our VTEP address over its own link.
      await run(h10.ns, 'ip', 'addr', 'add', `${K_VTEP}/32`, 'dev', 'eth0');
      await run(h10.ns, 'ip', 'route', 'add', `${S_VTEP}/32`, 'dev', 'eth0', 'src', K_VTEP);
      const peerMac = (await run(s, 'cat', `/sys/class/net/${h10.peer}/address`)).trim();
      await run(h10.ns, 'ip', 'neigh', 'replace', S_VTEP, 'lladdr', peerMac, 'dev', 'eth0', 'nud', 'permanent');
      await sendUdp(h10.ns, K_VTEP, S_VTEP, vxlanBroadcast(20, '02:13:00:00:0f:02'), 3);

      if (variant === 'no underlay interface') {
        // Received by the socket, refused by the ingress check, counted.
        await waitFor('three not-underlay drops', () => (d.counters().drops['not-underlay'] ?? 0) >= 3);
        assert.equal(dp.counters().drops['not-underlay'], 3);
      } else {
        // The kernel delivers nothing from the member port to the socket (bound to the underlay device, or receiving through the link).
        await delay(500);
        assert.equal(dp.counters().underlays[0]!.rxDatagrams, underlayBefore, 'nothing from the member port reached the underlay');
      }
      assert.equal(vniOf(dp, 20).decapsulated, 1, 'nothing more arrived in VNI 20');
      assert.equal(vniOf(dp, 20).txFrames, 1, 'nothing more left the VNI 20 port');
      assert.ok(
        !dp.fdbEntries(20).some((e) => e.mac === '02:13:00:00:0f:02'),
        'the injected source MAC was not learned in VNI 20',
      );
    } finally {
      await dp?.close();
      await topo.destroy();
      for (const w of warnings) t.diagnostic(`dataplane warning: ${w}`);
    }
  });
}
