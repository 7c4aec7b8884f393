// The namespace harness (test/helpers/netns.ts) on its own, kernel only: two
// Linux VTEPs (bridge + vxlan, static flood entries) with a host behind each,
// the hosts ping each other over IPv4 and IPv6, a capture of the underlay
// read with our codecs shows the VXLAN datagrams, and destroy() leaves
// nothing behind. If this fails, the kernel-interop tests' failures say
// nothing about vxswitch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Topology, listNamespaces, needsRoot, neighbour, ping, readCapture, uniqueName } from '../helpers/netns.js';
import { icmpv4, pingPattern, vxlanDatagrams } from '../helpers/vxlan-capture.js';

const VNI = 4213;

test('unique names fit an interface name', () => {
  const names = Array.from({ length: 50 }, () => uniqueName());
  assert.equal(new Set(names).size, names.length);
  for (const n of names) {
    assert.match(n, new RegExp(`^vxt${process.pid}-\\d+$`));
    assert.ok(n.length <= 15, n);
  }
});

test('two kernel VTEPs: hosts ping over IPv4 and IPv6, the capture decodes, destroy cleans up', { skip: needsRoot, timeout: 60_000 }, async () => {
  const topo = new Topology();
  let made: string[] = [];
  try {
    const k1 = await topo.addNamespace();
    const k2 = await topo.addNamespace();
    const u1 = topo.name();
    const u2 = topo.name();
    await topo.veth(k1, u1, k2, u2, { mtu: 1550 });
    await topo.address(k1, u1, '10.213.0.1/24');
    await topo.address(k2, u2, '10.213.0.2/24');
    const a = await topo.kernelVtep({
      ns: k1,
      vni: VNI,
      local: '10.213.0.1',
      learning: false,
      flood: ['10.213.0.2'],
      hosts: [{ ip: '10.213.1.1/24', ip6: 'fd00:213::1/64', mac: '02:13:00:00:00:01' }],
    });
    const b = await topo.kernelVtep({
      ns: k2,
      vni: VNI,
      local: '10.213.0.2',
      learning: false,
      flood: ['10.213.0.1'],
      hosts: [{ ip: '10.213.1.2/24', ip6: 'fd00:213::2/64', mac: '02:13:00:00:00:02' }],
    });
    const hA = a.hosts[0]!;
    const hB = b.hosts[0]!;
    made = [...topo.namespaces];
    assert.equal(made.length, 4);
    const listed = await listNamespaces();
    for (const ns of made) assert.ok(listed.includes(ns), `${ns} listed`);

    const cap = await topo.startCapture(k2, u2, { filter: ['udp', 'port', '4789'] });
    const r4 = await ping(hA.ns, hB.ip!, { count: 3, pattern: 'c3' });
    assert.equal(r4.received, 3, r4.output);
    const n = await neighbour(hA.ns, hB.ip!);
    assert.equal(n?.lladdr, hB.mac, 'ARP resolved hB through the flood');
    const r6 = await ping(hA.ns, hB.ip6!, { count: 3, ipv6: true });
    assert.equal(r6.received, 3, r6.output);
    const back = await ping(hB.ns, hA.ip!, { count: 3 });
    assert.equal(back.received, 3, back.output);

    const datagrams = vxlanDatagrams(await readCapture(await cap.stop()));
    const echoes = datagrams.filter((d) => {
      const icmp = icmpv4(d.inner);
      return icmp !== undefined && pingPattern(icmp.payload) === 0xc3;
    });
    // 3 requests from 10.213.0.1 and 3 replies from 10.213.0.2 (the capture sees both directions).
    assert.equal(echoes.filter((d) => d.outerSrc === '10.213.0.1').length, 3);
    assert.equal(echoes.filter((d) => d.outerSrc === '10.213.0.2').length, 3);
    for (const d of datagrams) {
      assert.equal(d.vni, VNI);
      assert.equal(d.dstPort, 4789);
      assert.equal(d.flags, 0x08);
    }
  } finally {
    await topo.destroy();
  }
  await topo.destroy(); // idempotent
  const after = await listNamespaces();
  for (const ns of made) assert.ok(!after.includes(ns), `${ns} removed`);
});
