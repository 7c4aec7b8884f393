// The underlay link writes each datagram's outer Ethernet header itself,
// with the next hop's MAC taken from the kernel's neighbour table. When that
// MAC changes under traffic (the peer's interface gets a new address and
// announces it, as a VRRP failover or a migrated VM does), forwarding must
// resume within 1 s and nothing may go to the old MAC after that. Namespaces
// made here and always removed; the ping stream is bounded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { Topology, delay, exec, inNs, needsRoot, ping, readCapture, run, waitFor } from '../helpers/netns.js';
import { frames, icmpv4 } from '../helpers/vxlan-capture.js';

const S_VTEP = '10.217.0.1';
const K_VTEP = '10.217.0.2';
const VNI = 100;
const NEW_MAC = '02:17:00:00:99:02';

test('the next hop\'s MAC changes under traffic: the link follows within 1 s, nothing to the old MAC after that', { skip: needsRoot, timeout: 90_000 }, async (t) => {
  const topo = new Topology();
  let dp: Dataplane | undefined;
  try {
    const s = await topo.addNamespace();
    const k = await topo.addNamespace();
    const su = topo.name();
    const ku = topo.name();
    await topo.veth(s, su, k, ku, { mtu: 1600 });
    await topo.address(s, su, `${S_VTEP}/24`);
    await topo.address(k, ku, `${K_VTEP}/24`);
    // The peer announces a new MAC with a gratuitous ARP (Linux: arp_notify).
    await run(k, 'sysctl', '-q', '-w', `net.ipv4.conf.${ku}.arp_notify=1`);
    const hA = await topo.host(s, { ip: '10.217.1.1/24', mac: '02:17:00:00:00:0a' });
    const kv = await topo.kernelVtep({ ns: k, vni: VNI, local: K_VTEP, dev: ku, flood: [S_VTEP], hosts: [{ ip: '10.217.1.2/24', mac: '02:17:00:00:00:0b' }] });
    const hB = kv.hosts[0]!;
    dp = await Dataplane.open({ vtepAddress: S_VTEP, underlayInterface: su, netns: s, vnis: [{ vni: VNI, mode: 'static', ports: [{ name: hA.peer, kind: 'packet' }], floodList: [K_VTEP] }] });
    const oldMac = await topo.macOf(k, ku);
    const sMac = await topo.macOf(s, su);
    // The first datagrams go through the kernel, which resolves K; then the link takes over.
    const first = await ping(hA.ns, hB.ip!, { count: 3 });
    assert.equal(first.received, 3, first.output);
    await waitFor('the link knows the next hop', async () => (dp!.linkNextHop(K_VTEP) === oldMac ? true : undefined), 5_000);

    const capture = await topo.startCapture(k, ku, { filter: ['udp', 'port', '4789'], direction: 'in' });
    const atB = await topo.startCapture(hB.ns, 'eth0', { filter: ['icmp'], direction: 'in' });
    // 4 s of pings every 10 ms from A to B.
    const stream = exec(inNs(hA.ns, ['ping', '-4', '-n', '-q', '-i', '0.01', '-c', '400', '-W', '1', hB.ip!]), { timeoutMs: 20_000, allowFailure: true });
    await delay(1_500);
    const changedAt = Date.now() / 1000;
    await run(k, 'ip', 'link', 'set', 'dev', ku, 'address', NEW_MAC);
    const out = await stream;
    const pcap = await readCapture(await capture.stop());
    const pcapB = await readCapture(await atB.stop());

    // Datagrams from S, by destination MAC and time.
    const fromS = pcap.records.filter((r) => r.data.subarray(6, 12).toString('hex') === sMac.replaceAll(':', ''));
    const dst = (r: { data: Buffer }): string => [...r.data.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':');
    const toOld = fromS.filter((r) => dst(r) === oldMac);
    const toNew = fromS.filter((r) => dst(r) === NEW_MAC);
    assert.ok(toOld.length > 50, `traffic to the old MAC before the change: ${toOld.length} datagrams`);
    assert.ok(toNew.length > 50, `traffic to the new MAC after it: ${toNew.length} datagrams`);
    const firstNew = Math.min(...toNew.map((r) => r.time)) - changedAt;
    const lastOld = Math.max(...toOld.map((r) => r.time)) - changedAt;
    t.diagnostic(`first datagram to the new MAC ${(firstNew * 1000).toFixed(0)} ms after the change, last to the old ${(lastOld * 1000).toFixed(0)} ms after (${toOld.length} old, ${toNew.length} new)`);
    assert.ok(firstNew < 1, `forwarding resumed within 1 s: first datagram to the new MAC ${firstNew.toFixed(3)} s after the change`);
    assert.ok(lastOld < 1, `nothing to the old MAC 1 s after the change: the last went ${lastOld.toFixed(3)} s after`);

    // At host B: the echo requests' arrival never pauses for 1 s or more around the change.
    const arrivals = frames(pcapB)
      .map((f, i) => ({ f, time: pcapB.records[i]!.time }))
      .filter((x) => icmpv4(x.f)?.type === 8)
      .map((x) => x.time)
      .sort((a, b) => a - b);
    let gap = 0;
    for (let i = 1; i < arrivals.length; i++) gap = Math.max(gap, arrivals[i]! - arrivals[i - 1]!);
    t.diagnostic(`${arrivals.length} echo requests at B, longest gap ${(gap * 1000).toFixed(0)} ms; ping: ${out.stdout.trim().split('\n').slice(-2).join(' | ')}`);
    assert.ok(arrivals.length > 300, `requests reached B: ${arrivals.length}`);
    assert.ok(gap < 1, `longest pause at B ${gap.toFixed(3)} s`);
    assert.equal(dp.linkNextHop(K_VTEP), NEW_MAC);
  } finally {
    await dp?.close();
    await topo.destroy();
  }
});
