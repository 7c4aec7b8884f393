// The forwarder's decisions, through Dataplane with in-memory ports and
// underlay (test/helpers/memory-io.ts): no sockets, no namespaces, exact
// assertions on every frame and datagram sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import type { DataplaneConfig } from '../../src/dataplane/dataplane-config.js';
import * as ethernet from '../../src/wire/ethernet.js';
import * as arp from '../../src/wire/arp.js';
import * as vxlan from '../../src/wire/vxlan.js';
import { MemoryIo } from '../helpers/memory-io.js';

const A = '02:00:00:00:0a:01';
const B = '02:00:00:00:0b:01';
const C = '02:00:00:00:0c:01';
const BCAST = 'ff:ff:ff:ff:ff:ff';

function frame(dst: string, src: string, payloadLength = 46, vid?: number): Buffer {
  const header: ethernet.EthernetHeader = {
    dst,
    src,
    vlans: vid === undefined ? [] : [{ tpid: 0x8100, pcp: 0, dei: false, vid }],
    etherType: 0x88b5, // local experimental: nothing snoops it
  };
  const h = ethernet.encode(header);
  const payload = Buffer.alloc(payloadLength);
  for (let i = 0; i < payloadLength; i++) payload[i] = i & 0xff;
  return Buffer.concat([h, payload]);
}

function arpRequest(src: string, senderIp: string, targetIp: string): Buffer {
  const h = ethernet.encode({ dst: BCAST, src, vlans: [], etherType: 0x0806 });
  const a = arp.encode({ operation: 1, senderMac: src, senderIp, targetMac: '00:00:00:00:00:00', targetIp });
  return Buffer.concat([h, a]);
}

function vxlanDatagram(vni: number, inner: Buffer, flags = 0x08): Buffer {
  const h = vxlan.encode({ vni });
  h[0] = flags;
  return Buffer.concat([h, inner]);
}

async function open(partial: Partial<DataplaneConfig> & Pick<DataplaneConfig, 'vnis'>): Promise<{ dp: Dataplane; io: MemoryIo }> {
  const io = new MemoryIo();
  const dp = await Dataplane.open({ vtepAddress: '10.0.0.1', underlayMtu: 1500, ...partial }, { io });
  return { dp, io };
}

test('static mode: local BUM is head-end replicated to the flood list and other local ports, never back', async () => {
  const { dp, io } = await open({
    vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }, { name: 'p2', kind: 'packet' }], floodList: ['10.0.0.2', '10.0.0.3'] }],
  });
  const f = frame(BCAST, A);
  io.port('p1').inject(f);
  assert.equal(io.port('p1').sent.length, 0, 'never back out the ingress port');
  assert.deepEqual(io.port('p2').sent, [f]);
  const u = io.underlay();
  assert.deepEqual(u.sent.map((d) => d.dst).sort(), ['10.0.0.2', '10.0.0.3']);
  for (const d of u.sent) {
    assert.equal(d.dstPort, 4789);
    assert.deepEqual(vxlan.decode(d.payload), { vni: 100 });
    assert.deepEqual(d.payload.subarray(8), f, 'inner frame unchanged');
    assert.ok(d.srcPort >= 49152 && d.srcPort <= 65535);
  }
  assert.equal(u.sent[0]!.srcPort, u.sent[1]!.srcPort, 'one flow, one source port for every copy');
  const c = dp.counters();
  assert.equal(c.vnis[0]!.flooded, 1);
  assert.equal(c.vnis[0]!.encapsulated, 2);
  assert.deepEqual(dp.fdbEntries().map((e) => [e.mac, e.kind, e.port]), [[A, 'local', 'p1']]);
  await dp.close();
});

test('static mode: remote MAC learned from a datagram, then known unicast goes to that VTEP only', async () => {
  const { dp, io } = await open({
    vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }], floodList: ['10.0.0.2', '10.0.0.3'] }],
  });
  const u = io.underlay();
  const fromB = frame(A, B);
  u.inject('10.0.0.3', vxlanDatagram(100, fromB));
  assert.deepEqual(io.port('p1').sent, [fromB], 'unknown destination: flooded to local ports only');
  assert.equal(u.sent.length, 0, 'split horizon: nothing back to the underlay');
  assert.deepEqual(dp.fdbEntries().filter((e) => e.kind === 'remote').map((e) => [e.mac, e.vtep]), [[B, '10.0.0.3']]);
  io.port('p1').inject(frame(B, A));
  assert.deepEqual(u.sent.map((d) => d.dst), ['10.0.0.3']);
  // Different flows get (very likely) different source ports; the same flow the same one.
  const ports = new Set<number>();
  for (let i = 0; i < 16; i++) {
    const f = frame(B, A);
    f[20] = i; // vary the payload only: same L2 flow
    io.port('p1').inject(f);
    ports.add(u.sent.at(-1)!.srcPort);
  }
  assert.equal(ports.size, 1, 'payload bytes do not change the flow hash');
  await dp.close();
});

test('evpn mode: only control-plane VTEPs are accepted; addRemote/removeRemote/setFloodList drive forwarding', async () => {
  const { dp, io } = await open({ vnis: [{ vni: 200, mode: 'evpn', ports: [{ name: 'p1', kind: 'packet' }] }] });
  const u = io.underlay();
  u.inject('10.0.0.9', vxlanDatagram(200, frame(A, B)));
  assert.equal(io.port('p1').sent.length, 0);
  assert.equal(dp.counters().drops['unknown-vtep'], 1);
  assert.equal(dp.fdbEntries().length, 0, 'evpn mode never learns remote MACs from the data plane');

  dp.setFloodList(200, ['10.0.0.9']);
  u.inject('10.0.0.9', vxlanDatagram(200, frame(A, B)));
  assert.equal(io.port('p1').sent.length, 1, 'a VTEP from a Type 3 is accepted');
  assert.equal(dp.fdbEntries().filter((e) => e.kind === 'remote').length, 0);

  io.port('p1').inject(frame(BCAST, A));
  assert.deepEqual(u.sent.map((d) => d.dst), ['10.0.0.9']);
  dp.addRemote(200, C, '10.0.0.7');
  io.port('p1').inject(frame(C, A));
  assert.deepEqual(u.sent.map((d) => d.dst), ['10.0.0.9', '10.0.0.7']);
  assert.equal(dp.removeRemote(200, C, '10.0.0.8'), false, 'a withdraw from another VTEP does not remove the entry');
  assert.equal(dp.removeRemote(200, C, '10.0.0.7'), true);
  io.port('p1').inject(frame(C, A));
  assert.deepEqual(u.sent.map((d) => d.dst), ['10.0.0.9', '10.0.0.7', '10.0.0.9'], 'unknown again: flooded');
  await dp.close();
});

test('bad underlay input is dropped and counted by reason; forwarding continues', async () => {
  const { dp, io } = await open({ vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }], floodList: ['10.0.0.2'] }] });
  const u = io.underlay();
  const good = vxlanDatagram(100, frame(A, B));
  u.inject('10.0.0.2', vxlanDatagram(100, frame(A, B), 0x00));
  u.inject('10.0.0.2', vxlanDatagram(4242, frame(A, B)));
  u.inject('10.0.0.2', Buffer.from([0x08, 0, 0, 0, 0]));
  u.inject('10.0.0.2', vxlanDatagram(100, Buffer.alloc(6)));
  u.inject('10.0.0.1', good);
  u.inject('10.0.0.2', vxlanDatagram(100, frame(A, B), 0xff)); // reserved bits set: ignored (RFC 7348 §5)
  const d = dp.counters().drops;
  assert.deepEqual(
    [d['vxlan-flags'], d['vxlan-unknown-vni'], d['vxlan-truncated'], d['inner-runt'], d['own-vtep']],
    [1, 1, 1, 1, 1],
  );
  assert.equal(io.port('p1').sent.length, 1, 'the valid datagram (reserved bits set) was delivered');
  await dp.close();
});

test('MTU: an inner frame too large for the underlay is dropped and counted, local delivery unaffected', async () => {
  const { dp, io } = await open({
    underlayMtu: 1000,
    vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }, { name: 'p2', kind: 'packet' }], floodList: ['10.0.0.2'] }],
  });
  io.port('p1').inject(frame(BCAST, A, 1000 - 36 - 14)); // exactly fits: 964 + 36 = 1000
  io.port('p1').inject(frame(BCAST, A, 1000 - 36 - 14 + 1));
  assert.equal(io.underlay().sent.length, 1);
  assert.equal(io.port('p2').sent.length, 2);
  assert.equal(dp.counters().drops['mtu'], 1);
  await dp.close();
});

test('two tenants: same MACs in two VNIs stay apart', async () => {
  const { dp, io } = await open({
    vnis: [
      { vni: 100, mode: 'static', ports: [{ name: 'a1', kind: 'packet' }, { name: 'a2', kind: 'packet' }], floodList: ['10.0.0.2'] },
      { vni: 200, mode: 'static', ports: [{ name: 'b1', kind: 'packet' }, { name: 'b2', kind: 'packet' }], floodList: ['10.0.0.3'] },
    ],
  });
  io.port('a1').inject(frame(BCAST, A));
  io.port('b1').inject(frame(BCAST, A));
  io.port('a1').inject(frame(B, A)); // unknown unicast in tenant 100
  assert.equal(io.port('b2').sent.length, 1, 'only its own tenant flood');
  assert.equal(io.port('a2').sent.length, 2);
  const u = io.underlay();
  assert.deepEqual(u.sent.map((d) => [d.dst, vxlan.decode(d.payload).vni]), [['10.0.0.2', 100], ['10.0.0.3', 200], ['10.0.0.2', 100]]);
  u.inject('10.0.0.2', vxlanDatagram(200, frame(A, C)));
  assert.equal(io.port('a1').sent.length, 0, 'a tenant-200 datagram never reaches tenant 100');
  assert.equal(io.port('b1').sent.length, 1);
  assert.deepEqual(dp.fdbEntries().map((e) => [e.vni, e.mac, e.kind]), [[100, A, 'local'], [200, A, 'local'], [200, C, 'remote']]);
  await dp.close();
});

test('VLAN trunk: VID -> VNI on the way in (tag removed), tag added on the way out', async () => {
  const { dp, io } = await open({
    vnis: [
      { vni: 100, mode: 'static', ports: [{ name: 'trunk', kind: 'packet', vlan: 10 }, { name: 'acc', kind: 'packet' }], floodList: ['10.0.0.2'] },
      { vni: 200, mode: 'static', ports: [{ name: 'trunk', kind: 'packet', vlan: 20 }], floodList: ['10.0.0.2'] },
    ],
  });
  const untagged = frame(BCAST, A);
  io.port('trunk').inject(frame(BCAST, A, 46, 10));
  assert.deepEqual(io.port('acc').sent, [untagged], 'tag removed into VNI 100');
  assert.deepEqual(io.underlay().sent[0]!.payload.subarray(8), untagged, 'inner frame is untagged');
  io.port('trunk').inject(frame(BCAST, A, 46, 30));
  assert.equal(dp.counters().drops['no-vni'], 1, 'unmapped VID');
  io.port('acc').inject(frame(BCAST, B));
  assert.deepEqual(io.port('trunk').sent, [frame(BCAST, B, 46, 10)], 'tagged with VID 10 on the trunk');
  io.underlay().inject('10.0.0.2', vxlanDatagram(200, frame(BCAST, C)));
  assert.deepEqual(io.port('trunk').sent[1], frame(BCAST, C, 46, 20), 'VNI 200 leaves tagged 20');
  await dp.close();
});

test('ARP suppression: a request for a remote MAC+IP is answered locally, not flooded', async () => {
  const { dp, io } = await open({ vnis: [{ vni: 300, mode: 'evpn', ports: [{ name: 'p1', kind: 'packet' }] }] });
  dp.setFloodList(300, ['10.0.0.2']);
  dp.addRemoteNeighbor(300, '192.0.2.20', B);
  const learned: Array<[number, string, string | undefined]> = [];
  dp.on('localLearned', (vni, mac, ip) => learned.push([vni, mac, ip]));
  io.port('p1').inject(arpRequest(A, '192.0.2.10', '192.0.2.20'));
  assert.equal(io.underlay().sent.length, 0, 'not flooded');
  const reply = io.port('p1').sent[0]!;
  const eth = ethernet.decode(reply);
  assert.deepEqual([eth.dst, eth.src, eth.etherType], [A, B, 0x0806]);
  assert.deepEqual(arp.decode(reply, 14), { operation: 2, senderMac: B, senderIp: '192.0.2.20', targetMac: A, targetIp: '192.0.2.10' });
  assert.deepEqual(learned, [[300, A, '192.0.2.10']], 'the requester is learned with its IP (ARP snooping)');
  io.port('p1').inject(arpRequest(A, '192.0.2.10', '192.0.2.30'));
  assert.equal(io.underlay().sent.length, 1, 'unknown target: flooded as usual');
  assert.equal(dp.counters().vnis[0]!.arpSuppressed, 1);
  dp.removeRemoteNeighbor(300, '192.0.2.20');
  io.port('p1').inject(arpRequest(A, '192.0.2.10', '192.0.2.20'));
  assert.equal(io.underlay().sent.length, 2);
  await dp.close();
});

test('multicast mode: BUM goes to the group once; remote MACs learned from the outer source', async () => {
  const { dp, io } = await open({
    underlayInterface: 'ul0',
    underlayLink: false,
    vnis: [{ vni: 100, mode: 'multicast', multicastGroup: '239.1.1.1', ports: [{ name: 'p1', kind: 'packet' }] }],
  });
  const u = io.underlay();
  assert.deepEqual(u.groups, ['239.1.1.1']);
  io.port('p1').inject(frame(BCAST, A));
  assert.deepEqual(u.sent.map((d) => d.dst), ['239.1.1.1']);
  u.inject('10.0.0.5', vxlanDatagram(100, frame(BCAST, B)));
  u.inject('10.0.0.1', vxlanDatagram(100, frame(BCAST, A))); // our own, looped back by the kernel
  assert.equal(dp.counters().drops['own-vtep'], 1);
  io.port('p1').inject(frame(B, A));
  assert.deepEqual(u.sent.map((d) => d.dst), ['239.1.1.1', '10.0.0.5'], 'known unicast goes to the learned VTEP');
  await dp.close();
});

test('events: localLearned on new and moved-to-local MACs, localAged when a local MAC moves away', async () => {
  const { dp, io } = await open({ vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }], floodList: ['10.0.0.2'] }] });
  const events: string[] = [];
  dp.on('localLearned', (vni, mac) => events.push(`learned ${vni} ${mac}`));
  dp.on('localAged', (vni, mac) => events.push(`aged ${vni} ${mac}`));
  io.port('p1').inject(frame(BCAST, A));
  io.port('p1').inject(frame(BCAST, A)); // refresh: no event
  io.underlay().inject('10.0.0.2', vxlanDatagram(100, frame(BCAST, A))); // A moved behind 10.0.0.2
  io.port('p1').inject(frame(BCAST, A)); // and back
  assert.deepEqual(events, ['learned 100 02:00:00:00:0a:01', 'aged 100 02:00:00:00:0a:01', 'learned 100 02:00:00:00:0a:01']);
  await dp.close();
});

test('link down: the MACs learned behind the port are forgotten at once (localAged), others stay', async () => {
  const { dp, io } = await open({ vnis: [{ vni: 100, mode: 'evpn', ports: [{ name: 'p1', kind: 'packet' }, { name: 'p2', kind: 'packet' }] }] });
  const aged: string[] = [];
  dp.on('localAged', (vni, mac) => aged.push(`${vni} ${mac}`));
  dp.on('warning', () => undefined);
  io.port('p1').inject(frame(BCAST, A));
  io.port('p2').inject(frame(BCAST, B));
  dp.addRemote(100, C, '10.0.0.2');
  io.port('p1').linkDown();
  assert.deepEqual(aged, ['100 02:00:00:00:0a:01']);
  assert.deepEqual(dp.fdbEntries().map((e) => e.mac), [B, C]);
  await dp.close();
});

test('config errors name the field; nothing is opened', async () => {
  const io = new MemoryIo();
  await assert.rejects(Dataplane.open({ vtepAddress: '10.0.0.256', vnis: [] }, { io }), /vtep-address "10.0.0.256": an IPv4 or IPv6 address is expected/);
  await assert.rejects(
    Dataplane.open({ vtepAddress: '2001:db8::1', vnis: [{ vni: 5, mode: 'static', ports: [], floodList: ['10.0.0.2'] }] }, { io }),
    /vni 5: flood-list entry "10.0.0.2" is not an IPv6 address/,
  );
  await assert.rejects(Dataplane.open({ vtepAddress: '10.0.0.1', vnis: [{ vni: 0, mode: 'static', ports: [] }] }, { io }), /vni 0: expected an integer 1\.\.16777215/);
  await assert.rejects(
    Dataplane.open({ vtepAddress: '10.0.0.1', vnis: [{ vni: 5, mode: 'static', ports: [] }, { vni: 5, mode: 'static', ports: [] }] }, { io }),
    /vni 5 is configured twice/,
  );
  await assert.rejects(Dataplane.open({ vtepAddress: '10.0.0.1', vnis: [{ vni: 5, mode: 'multicast', ports: [] }] }, { io }), /multicast-group/);
  assert.equal(io.ports.size + io.underlays.size, 0);
});
