// The forwarder with hosts at their default offloads, through Dataplane with
// in-memory ports (test/helpers/memory-io.ts): GSO super-frames and partial
// checksums from ports with virtio-net headers, into the tunnel (cut and
// finished), to other ports (passed on with their header), from the
// underlay link (UDP GSO runs, a kernel VTEP's TSO frames), and the link's
// own sends (outer headers written here, UDP GSO messages) once a next hop
// is resolved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { Segmenter } from '../../src/dataplane/gso.js';
import type { DataplaneConfig } from '../../src/dataplane/dataplane-config.js';
import * as ethernet from '../../src/wire/ethernet.js';
import { fold, onesComplementSum } from '../../src/wire/inet-checksum.js';
import * as ipv4 from '../../src/wire/ipv4.js';
import * as ipv6 from '../../src/wire/ipv6.js';
import * as vnetHdr from '../../src/wire/virtio-net-hdr.js';
import * as vxlan from '../../src/wire/vxlan.js';
import { checkSegment, superFrame, udpGsoRunVnet, underlayFrame, vxlanTcpRun, type SuperFrame, type VxlanTcpRun } from '../helpers/gso-frames.js';
import { FakeNextHops } from '../helpers/fake-next-hops.js';
import { MemoryIo } from '../helpers/memory-io.js';

const HOST_A = '02:00:00:00:0a:01';
const NEXT_HOP_MAC = '02:00:00:00:99:01';
const LINK_MAC = '02:00:00:00:77:01';

interface Lab {
  dp: Dataplane;
  io: MemoryIo;
  hops: FakeNextHops;
}

async function open(partial: Partial<DataplaneConfig> & Pick<DataplaneConfig, 'vnis'>): Promise<Lab> {
  const io = new MemoryIo();
  const hops = new FakeNextHops(0, NEXT_HOP_MAC, LINK_MAC);
  // The link's own socket sends everything unless a test asks for a plain sender.
  const dp = await Dataplane.open({ vtepAddress: '10.0.0.1', underlayMtu: 1550, underlaySender: 'socket', ...partial }, { io, nextHops: async () => hops });
  return { dp, io, hops };
}

/** The host's frame as the forwarder's peer port gets it: addressed to dst, from HOST_A. */
function addressed(sf: SuperFrame, dst: string): SuperFrame {
  ethernet.encode({ dst, src: HOST_A, vlans: [], etherType: sf.frame.readUInt16BE(12) }, sf.frame, 0);
  return sf;
}

/** Inner frames of VXLAN payloads (each a whole datagram). */
function innerFrames(payloads: Buffer[], vni: number): Buffer[] {
  return payloads.map((p) => {
    assert.equal(vxlan.decode(p).vni, vni);
    return p.subarray(8);
  });
}

test('a TCP super-frame to a remote MAC: cut into MSS segments, each a VXLAN datagram with right checksums (kernel path)', async () => {
  const { dp, io } = await open({ vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }] }] });
  const REMOTE = '02:00:00:00:0b:01';
  dp.addRemote(100, REMOTE, '10.0.0.2');
  for (const family of [4, 6] as const) {
    const u = io.underlay();
    u.sent.length = 0;
    // The hosts' MSS for a 1500-byte MTU: 1460 - 12 bytes of timestamps (IPv4), 20 bytes less over IPv6.
    const mss = family === 4 ? 1448 : 1428;
    const sf = addressed(superFrame({ family, protocol: 'tcp', payloadLength: 20000, gsoSize: mss }), REMOTE);
    io.port('p1').injectWithVnet(sf.frame, sf.vnet);
    const n = Math.ceil(20000 / mss);
    assert.equal(u.sent.length, n, `IPv${family}: one datagram per segment`);
    const payloads = innerFrames(u.sent.map((d) => d.payload), 100).map((f) => checkSegment(f, 0, f.length, family, 'tcp', 14).payload);
    assert.deepEqual(Buffer.concat(payloads), sf.payload);
    assert.equal(new Set(u.sent.map((d) => d.srcPort)).size, 1, 'one flow, one source port');
  }
  assert.equal(dp.counters().vnis[0]!.segmented, 2);
  await dp.close();
});

test('a partial checksum into the tunnel is finished; the same frame to a local port keeps its virtio_net_hdr', async () => {
  const { dp, io } = await open({ vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }, { name: 'p2', kind: 'packet' }], floodList: ['10.0.0.2'] }] });
  // Broadcast: flooded to p2 and the tunnel.
  const sf = addressed(superFrame({ family: 4, protocol: 'udp', payloadLength: 700, gsoSize: 1448 }), 'ff:ff:ff:ff:ff:ff');
  io.port('p1').injectWithVnet(sf.frame, sf.vnet);
  const [d] = io.underlay().sent;
  assert.ok(d);
  const inner = d.payload.subarray(8);
  checkSegment(inner, 0, inner.length, 4, 'udp', 14);
  const [local] = io.port('p2').sentWithVnet;
  assert.ok(local?.vnet);
  const v = vnetHdr.decode(local.vnet);
  // The checksum was finished before any copy left: the local copy says so too.
  assert.equal(v.needsChecksum, false);
  checkSegment(local.frame, 0, local.frame.length, 4, 'udp', 14);
  await dp.close();
});

test('a super-frame between local ports passes whole with its virtio_net_hdr; a VLAN tag added moves its offsets', async () => {
  const { dp, io } = await open({
    vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }, { name: 'trunk', kind: 'packet', vlan: 30 }] }],
  });
  const B = '02:00:00:00:0b:02';
  io.port('trunk').inject(ethernet.encode({ dst: 'ff:ff:ff:ff:ff:ff', src: B, vlans: [{ tpid: 0x8100, pcp: 0, dei: false, vid: 30 }], etherType: 0x88b5 }));
  const sf = addressed(superFrame({ family: 4, protocol: 'tcp', payloadLength: 30000, gsoSize: 1448 }), B);
  io.port('p1').injectWithVnet(sf.frame, sf.vnet);
  const out = io.port('trunk').sentWithVnet.at(-1)!;
  assert.equal(out.frame.length, sf.frame.length + 4, 'one frame, tagged');
  assert.equal(out.frame.readUInt16BE(12), 0x8100);
  assert.equal(out.frame.readUInt16BE(14) & 0xfff, 30);
  assert.deepEqual(out.frame.subarray(16), sf.frame.subarray(12));
  const v = vnetHdr.decode(out.vnet!);
  const orig = vnetHdr.decode(sf.vnet);
  assert.deepEqual(v, { ...orig, csumStart: orig.csumStart + 4, hdrLen: orig.hdrLen + 4 });
  // And back: the tagged super-frame from the trunk to p1 loses the tag, offsets move back.
  const tagged = Buffer.concat([out.frame.subarray(0, 12), out.frame.subarray(12, 16), out.frame.subarray(16)]);
  ethernet.encode({ dst: HOST_A, src: B, vlans: [{ tpid: 0x8100, pcp: 0, dei: false, vid: 30 }], etherType: 0x0800 }, tagged, 0);
  io.port('trunk').injectWithVnet(tagged, out.vnet!);
  const back = io.port('p1').sentWithVnet.at(-1)!;
  assert.equal(back.frame.length, sf.frame.length);
  assert.deepEqual(vnetHdr.decode(back.vnet!), orig);
  await dp.close();
});

test('ports without virtio-net headers get what they can take: a partial checksum finished, a super-frame cut', async () => {
  const { dp, io } = await open({
    vnetHeaders: false,
    underlayInterface: 'ul0',
    vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }] }],
  });
  const p1 = io.port('p1');
  assert.equal(p1.vnetHdr, false);
  const link = io.port('ul0');
  assert.equal(link.vnetHdr, true, 'the underlay link always has them');
  // A kernel VTEP's TSO frame, handed over whole on a veth: outer headers + VXLAN + inner TCP super-frame.
  const inner = addressed(superFrame({ family: 4, protocol: 'tcp', payloadLength: 6000, gsoSize: 1400 }), 'ff:ff:ff:ff:ff:ff');
  const { frame, vnet } = linkFrame('10.0.0.9', 100, inner.frame, inner.vnet);
  link.injectWithVnet(frame, vnet);
  const got = p1.sent;
  assert.equal(got.length, Math.ceil(6000 / 1400));
  assert.deepEqual(Buffer.concat(got.map((f) => checkSegment(f, 0, f.length, 4, 'tcp', 14).payload)), inner.payload);
  await dp.close();
});

/**
 * A frame on the underlay link: Ethernet + IPv4 + UDP + VXLAN + inner, from
 * `src` to 10.0.0.1:4789; the inner frame's virtio_net_hdr (if any) becomes
 * the outer one, offsets moved by the outer headers, as the kernel reports a
 * tunnel's TSO frame.
 */
function linkFrame(src: string, vni: number, inner: Buffer, innerVnet?: Buffer): { frame: Buffer; vnet: Buffer } {
  const frame = udpFrame(src, Buffer.concat([vxlan.encode({ vni }), inner]));
  const outerLen = 14 + 20 + 8 + 8;
  if (innerVnet === undefined) return { frame, vnet: Buffer.alloc(10) };
  const v = vnetHdr.decode(innerVnet);
  return { frame, vnet: vnetHdr.encode({ ...v, csumStart: v.csumStart + outerLen, hdrLen: v.hdrLen + outerLen }) };
}

/** Ethernet + IPv4 + UDP from `src` to 10.0.0.1:4789 around `body`. */
function udpFrame(src: string, body: Buffer): Buffer {
  return underlayFrame(src, '10.0.0.1', LINK_MAC, body);
}

test('from the link: a TSO frame goes to a port with virtio-net headers whole, its GSO header moved to the inner frame', async () => {
  const { dp, io } = await open({ underlayInterface: 'ul0', vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }] }] });
  const inner = addressed(superFrame({ family: 6, protocol: 'tcp', payloadLength: 9000, gsoSize: 1428 }), 'ff:ff:ff:ff:ff:ff');
  const { frame, vnet } = linkFrame('10.0.0.9', 100, inner.frame, inner.vnet);
  io.port('ul0').injectWithVnet(frame, vnet);
  const [out] = io.port('p1').sentWithVnet;
  assert.ok(out?.vnet);
  assert.deepEqual(out.frame, inner.frame);
  const v = vnetHdr.decode(out.vnet);
  const want = vnetHdr.decode(inner.vnet);
  assert.deepEqual({ ...v, hdrLen: 0 }, { ...want, hdrLen: 0 });
  // The source VTEP was learned from the outer header (static mode).
  assert.equal(dp.fdbEntries(100).find((e) => e.mac === HOST_A)?.vtep, '10.0.0.9');
  await dp.close();
});

test('from the link: a UDP GSO run is split into its datagrams; a short frame padded by Ethernet is cut at the UDP length', async () => {
  const { dp, io } = await open({ underlayInterface: 'ul0', vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }] }] });
  const frames = [0, 1, 2].map((k) => ethernet.encode({ dst: 'ff:ff:ff:ff:ff:ff', src: `02:00:00:00:0c:0${k}`, vlans: [], etherType: 0x88b5 }));
  const seg = 8 + 14 + 100;
  const dgrams = frames.map((f) => Buffer.concat([vxlan.encode({ vni: 100 }), f, Buffer.alloc(100, 0x5a)]));
  // One frame carrying three datagrams of `seg` bytes (the last shorter).
  const run = Buffer.concat([dgrams[0]!, dgrams[1]!, dgrams[2]!.subarray(0, seg - 40)]);
  const vnet = vnetHdr.encode({ needsChecksum: true, dataValid: false, gsoType: vnetHdr.VNET_GSO_UDP_L4, ecn: false, hdrLen: 42, gsoSize: seg, csumStart: 34, csumOffset: 6 });
  io.port('ul0').injectWithVnet(udpFrame('10.0.0.9', run), vnet);
  assert.equal(io.port('p1').sent.length, 3);
  assert.deepEqual(io.port('p1').sent.map((f) => f.length), [114, 114, 74]);
  // Ethernet padding after a small datagram is not part of it.
  const small = linkFrame('10.0.0.9', 100, frames[0]!.subarray(0, 14)).frame;
  io.port('ul0').injectWithVnet(Buffer.concat([small, Buffer.alloc(20)]), Buffer.alloc(10));
  assert.equal(io.port('p1').sent.at(-1)!.length, 14);
  assert.equal(dp.counters().underlays[0]!.rxDatagrams, 4);
  await dp.close();
});

test('link sends: outer Ethernet/IPv4/UDP written here to the resolved next hop; a super-frame leaves as UDP GSO runs', async () => {
  const { dp, io, hops } = await open({ underlayInterface: 'ul0', vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }], floodList: ['10.0.0.2'] }] });
  const link = io.port('ul0');
  const REMOTE = '02:00:00:00:0b:01';
  dp.addRemote(100, REMOTE, '10.0.0.2');
  assert.equal(dp.linkNextHop('10.0.0.2'), NEXT_HOP_MAC);
  // One ordinary frame.
  io.port('p1').inject(ethernet.encode({ dst: REMOTE, src: HOST_A, vlans: [], etherType: 0x88b5 }));
  const first = link.sentWithVnet.at(-1)!;
  const f = first.frame;
  assert.equal(f.subarray(0, 6).toString('hex'), NEXT_HOP_MAC.replaceAll(':', ''));
  assert.equal(f.readUInt16BE(12), 0x0800);
  const ip = ipv4.decode(f, 14);
  assert.deepEqual([ip.src, ip.dst, ip.dontFragment, ip.ttl, ip.protocol, ip.totalLength], ['10.0.0.1', '10.0.0.2', true, 64, 17, f.length - 14]);
  assert.ok(ipv4.isHeaderChecksumValid(f, 14));
  assert.equal(f.readUInt16BE(34 + 2), 4789);
  assert.equal(f.readUInt16BE(34 + 4), f.length - 34);
  assert.equal(f.readUInt16BE(34 + 6), 0, 'RFC 7348 §5: no UDP checksum over IPv4');
  assert.equal(vxlan.decode(f, 42).vni, 100);
  assert.deepEqual(vnetHdr.decode(first.vnet!), vnetHdr.decode(Buffer.alloc(10)), 'nothing left to the kernel');
  // A super-frame: UDP GSO messages of whole datagrams.
  const sf = addressed(superFrame({ family: 4, protocol: 'tcp', payloadLength: 64000, gsoSize: 1448 }), REMOTE);
  const before = link.sentWithVnet.length;
  io.port('p1').injectWithVnet(sf.frame, sf.vnet);
  const msgs = link.sentWithVnet.slice(before);
  assert.equal(msgs.length, 2, `45 datagrams of 1510 bytes do not fit one 64 KiB UDP payload: ${msgs.length} message(s)`);
  const payloads: Buffer[] = [];
  for (const m of msgs) {
    const v = vnetHdr.decode(m.vnet!);
    assert.equal(v.gsoType, vnetHdr.VNET_GSO_UDP_L4);
    assert.ok(v.needsChecksum);
    assert.equal(v.csumStart, 34);
    assert.equal(v.csumOffset, 6);
    const total = m.frame.length - 42;
    assert.equal(m.frame.readUInt16BE(34 + 4), 8 + total, 'UDP length of the whole run');
    // The partial checksum is the pseudo-header sum of the whole run.
    assert.equal(m.frame.readUInt16BE(34 + 6), ipv4.pseudoHeaderSum(m.frame, 14, 17, 8 + total));
    for (let at = 42; at < m.frame.length; at += v.gsoSize) {
      const dg = m.frame.subarray(at, Math.min(at + v.gsoSize, m.frame.length));
      payloads.push(checkSegment(dg, 8, dg.length - 8, 4, 'tcp', 14).payload);
    }
  }
  assert.deepEqual(Buffer.concat(payloads), sf.payload);
  // The next hop's MAC changes: the next frame goes to the new one.
  hops.set('10.0.0.2', '02:00:00:00:99:02');
  io.port('p1').inject(ethernet.encode({ dst: REMOTE, src: HOST_A, vlans: [], etherType: 0x88b5 }));
  assert.equal(link.sent.at(-1)!.subarray(0, 6).toString('hex'), '020000009902');
  // Unresolved: through the kernel (the UDP socket) instead.
  hops.set('10.0.0.2', undefined);
  const viaKernel = io.underlay().sent.length;
  io.port('p1').inject(ethernet.encode({ dst: REMOTE, src: HOST_A, vlans: [], etherType: 0x88b5 }));
  assert.equal(io.underlay().sent.length, viaKernel + 1);
  await dp.close();
});

test('link sends with a plain sender (underlay-sender tx-ring): plain IPv4 datagrams go there without a virtio_net_hdr, GSO runs to the link socket', async () => {
  const { dp, io } = await open({ underlayInterface: 'ul0', underlaySender: 'tx-ring', vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }] }] });
  const REMOTE = '02:00:00:00:0b:01';
  dp.addRemote(100, REMOTE, '10.0.0.2');
  const plain = io.port('ul0:send');
  assert.equal(plain.vnetHdr, false);
  io.port('p1').inject(ethernet.encode({ dst: REMOTE, src: HOST_A, vlans: [], etherType: 0x88b5 }));
  assert.equal(plain.sent.length, 1);
  assert.equal(io.port('ul0').sent.length, 0);
  const f = plain.sent[0]!;
  assert.ok(ipv4.isHeaderChecksumValid(f, 14));
  assert.equal(vxlan.decode(f, 42).vni, 100);
  const sf = addressed(superFrame({ family: 4, protocol: 'tcp', payloadLength: 20000, gsoSize: 1448 }), REMOTE);
  io.port('p1').injectWithVnet(sf.frame, sf.vnet);
  assert.equal(io.port('ul0').sentWithVnet.length, 1, 'one UDP GSO run on the link socket');
  assert.equal(vnetHdr.decode(io.port('ul0').sentWithVnet[0]!.vnet!).gsoType, vnetHdr.VNET_GSO_UDP_L4);
  assert.equal(plain.sent.length, 1);
  await dp.close();
});

test('link sends with a plain sender: one flow\'s datagrams leave in the order they came, across the two senders', async () => {
  // A TCP flow's super-frames go out as UDP GSO runs on the link socket and
  // its short segments through the plain sender; queued per sender and sent
  // one sender after the other, a short segment overtook the run before it
  // and the receiver saw reordering (spurious fast retransmits).
  const { dp, io } = await open({ underlayInterface: 'ul0', underlaySender: 'tx-ring', vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }] }] });
  const REMOTE = '02:00:00:00:0b:01';
  dp.addRemote(100, REMOTE, '10.0.0.2');
  const p1 = io.port('p1');
  const sf = addressed(superFrame({ family: 4, protocol: 'tcp', payloadLength: 20000, gsoSize: 1448 }), REMOTE);
  const small = (tag: number): Buffer => {
    const f = ethernet.encode({ dst: REMOTE, src: HOST_A, vlans: [], etherType: 0x88b5 });
    return Buffer.concat([f, Buffer.from([tag])]);
  };
  // One receive batch: small, super-frame, small, super-frame, small.
  p1.rxQueue.push({ frame: small(1) }, { frame: sf.frame, vnet: sf.vnet }, { frame: small(2) }, { frame: sf.frame, vnet: sf.vnet }, { frame: small(3) });
  p1.inject();
  const order = io.wire.filter((w) => w.handle === 'ul0').map((w) => (w.frame.length > 1000 ? 'run' : `small ${w.frame.at(-1)}`));
  assert.deepEqual(order, ['small 1', 'run', 'small 2', 'run', 'small 3']);
  await dp.close();
});

test('link sends: a super-frame sent through the kernel (the once-a-second nudge) does not arrive after the one behind it', async () => {
  const { dp, io } = await open({ underlayInterface: 'ul0', underlaySender: 'tx-ring', vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }] }] });
  const REMOTE = '02:00:00:00:0b:01';
  dp.addRemote(100, REMOTE, '10.0.0.2');
  // The dataplane's 1 s tick arms the nudge: the next datagram (here a
  // whole super-frame's run) to each resolved VTEP goes through the kernel.
  await new Promise((r) => setTimeout(r, 1100));
  const p1 = io.port('p1');
  const frames = [1, 2].map((k) => addressed(superFrame({ family: 4, protocol: 'tcp', payloadLength: 4 * 1448, gsoSize: 1448, seq: k * 4 * 1448 }), REMOTE));
  for (const f of frames) p1.rxQueue.push({ frame: f.frame, vnet: f.vnet });
  p1.inject();
  const order = io.wire.filter((w) => w.handle !== 'p1').map((w) => w.handle);
  assert.deepEqual(order, ['udp:4789', 'udp:4789', 'udp:4789', 'udp:4789', 'ul0'], 'the nudged super-frame (4 datagrams through the kernel), then the next one as one run on the link');
  await dp.close();
});

test('link sends over IPv6: the UDP checksum is left to the kernel as a partial one (RFC 8200 §8.1)', async () => {
  const { dp, io } = await open({
    vtepAddress: 'fd00::1',
    underlayInterface: 'ul0',
    vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }], floodList: ['fd00::2'] }],
  });
  io.port('p1').inject(ethernet.encode({ dst: 'ff:ff:ff:ff:ff:ff', src: HOST_A, vlans: [], etherType: 0x88b5 }));
  const m = io.port('ul0').sentWithVnet.at(-1)!;
  const f = m.frame;
  assert.equal(f.readUInt16BE(12), 0x86dd);
  const h = ipv6.decode(f, 14);
  assert.deepEqual([h.src, h.dst, h.nextHeader, h.payloadLength], ['fd00::1', 'fd00::2', 17, f.length - 54]);
  const v = vnetHdr.decode(m.vnet!);
  assert.deepEqual([v.needsChecksum, v.csumStart, v.csumOffset], [true, 54, 6]);
  // Finishing it as the kernel would gives a checksum that verifies.
  const sum = onesComplementSum(f, 54, f.length - 54);
  f.writeUInt16BE(~sum & 0xffff || 0xffff, 60);
  assert.equal(fold(onesComplementSum(f, 54, f.length - 54, ipv6.pseudoHeaderSum(f, 14, 17, f.length - 54))), 0xffff);
  await dp.close();
});


function tcpRun(family: 4 | 6, payloadLength: number, mss: number, dst: string): VxlanTcpRun {
  return vxlanTcpRun(addressed(superFrame({ family, protocol: 'tcp', payloadLength, gsoSize: mss }), dst), 100);
}

test('receive coalescing: a UDP GSO run of one TCP flow reaches the port as one GSO frame; an untrusted one segment by segment', async () => {
  const { dp, io } = await open({ underlayInterface: 'ul0', vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }] }] });
  const p1 = io.port('p1');
  for (const family of [4, 6] as const) {
    const mss = family === 4 ? 1448 : 1428;
    const { run, size, sf, count } = tcpRun(family, 40000, mss, 'ff:ff:ff:ff:ff:ff');
    const before = p1.sentWithVnet.length;
    io.port('ul0').injectWithVnet(udpFrame('10.0.0.9', run), udpGsoRunVnet(size, true));
    const got = p1.sentWithVnet.slice(before);
    assert.equal(got.length, 1, `IPv${family}: ${count} segments merged into one frame`);
    const v = vnetHdr.decode(got[0]!.vnet!);
    assert.equal(v.gsoType, family === 4 ? vnetHdr.VNET_GSO_TCPV4 : vnetHdr.VNET_GSO_TCPV6);
    assert.equal(v.gsoSize, mss);
    assert.ok(v.needsChecksum);
    // What the host's stack would do with it: cut it again; every segment checks out and the payload is whole.
    const f = got[0]!.frame;
    const seg = new Segmenter();
    const out = Buffer.alloc(seg.room(f, 0, f.length, v.gsoType, v.gsoSize, v.csumStart, 0));
    assert.ok(seg.segment(f, 0, f.length, v.gsoType, v.gsoSize, v.csumStart, out, new DataView(out.buffer), 0, 0));
    const payloads: Buffer[] = [];
    for (let k = 0; k < seg.count; k++) payloads.push(checkSegment(out, k * seg.stride, k === seg.count - 1 ? seg.lastLength : seg.stride, family, 'tcp', 14).payload);
    assert.deepEqual(Buffer.concat(payloads), sf.payload);
  }
  const coalesced = dp.counters().vnis[0]!;
  assert.ok(coalesced.coalesced >= 2 * 27, JSON.stringify(coalesced));
  // Untrusted (no checksum state from the kernel): each datagram as it came.
  const { run, size, count } = tcpRun(4, 10000, 1448, 'ff:ff:ff:ff:ff:ff');
  const before = p1.sentWithVnet.length;
  io.port('ul0').injectWithVnet(udpFrame('10.0.0.9', run), udpGsoRunVnet(size, false));
  assert.equal(p1.sentWithVnet.length - before, count);
  // A sequence number off by one in segment 3 of 4: 1-2 merge, 3 and 4 continue nothing.
  const gap = tcpRun(4, 1448 * 4, 1448, 'ff:ff:ff:ff:ff:ff');
  const third = 2 * gap.size + 8 + 14 + 20 + 4;
  gap.run.writeUInt32BE((gap.run.readUInt32BE(third) + 1) >>> 0, third);
  const b2 = p1.sentWithVnet.length;
  io.port('ul0').injectWithVnet(udpFrame('10.0.0.9', gap.run), udpGsoRunVnet(gap.size, true));
  assert.deepEqual(
    p1.sentWithVnet.slice(b2).map((x) => vnetHdr.decode(x.vnet!).gsoType),
    [vnetHdr.VNET_GSO_TCPV4, vnetHdr.VNET_GSO_NONE, vnetHdr.VNET_GSO_NONE],
    'segments 1-2 merged, 3 and 4 alone',
  );
  await dp.close();
});
