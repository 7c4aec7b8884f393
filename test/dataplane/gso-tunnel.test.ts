// gso.ts with UDP-tunnel super-frames: a host's own VXLAN/Geneve over the
// port hands over SKB_GSO_UDP_TUNNEL[_CSUM] frames the virtio_net_hdr calls
// plain TCP (or UDP) GSO with csum_start at the inner L4 header. Every
// segment is decoded as the receiving host would: outer IP and UDP (length,
// IPv4 id and header checksum, UDP checksum when in use), inner IP and L4;
// the payloads laid end to end must be the original payload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isUdpTunnelGso, SegmentError, Segmenter } from '../../src/dataplane/gso.js';
import * as vnetHdr from '../../src/wire/virtio-net-hdr.js';
import { TcpFlag } from '../../src/wire/tcp.js';
import { checkTunnelSegment, superFrame, tunnelSuperFrame, type TunnelSuperFrame, type TunnelSuperFrameOptions } from '../helpers/gso-frames.js';
import { runs } from '../helpers/property.js';

const PREFIX = 8;
const AT = 100;

function gsoTypeOf(vnet: Buffer): { type: number; size: number; start: number } {
  const v = vnetHdr.decode(vnet);
  return { type: v.gsoType | (v.ecn ? vnetHdr.VNET_GSO_ECN : 0), size: v.gsoSize, start: v.csumStart };
}

function verify(o: TunnelSuperFrameOptions): void {
  const t = tunnelSuperFrame(o);
  const g = gsoTypeOf(t.vnet);
  // The frame sits at a non-zero offset of its buffer, as in a receive batch.
  const src = Buffer.alloc(t.frame.length + 300, 0xcc);
  t.frame.copy(src, 200);
  assert.ok(isUdpTunnelGso(src, 200, t.frame.length, g.type, g.start), 'recognised as a UDP-tunnel super-frame');
  const seg = new Segmenter();
  const room = seg.room(src, 200, t.frame.length, g.type, g.size, g.start, PREFIX);
  assert.ok(room > 0, 'room() accepts the frame');
  const out = Buffer.alloc(AT + room + 64, 0xdd);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  assert.ok(seg.segment(src, 200, t.frame.length, g.type, g.size, g.start, out, view, AT, PREFIX), `segment() failed with error ${seg.error}`);
  assert.equal(seg.total, room, 'room() predicts the bytes written');
  assert.equal(src.subarray(200, 200 + t.frame.length).compare(t.frame), 0, 'the super-frame is left as it was');
  const n = Math.ceil(o.inner.payloadLength / o.inner.gsoSize);
  assert.equal(seg.count, n, 'segments');
  const payloads: Buffer[] = [];
  for (let k = 0; k < n; k++) {
    const start = AT + k * seg.stride;
    const len = (k === n - 1 ? seg.lastLength : seg.stride) - PREFIX;
    assert.ok(out.subarray(start, start + PREFIX).every((b) => b === 0xdd), 'the prefix is left free');
    const s = checkTunnelSegment(out, start + PREFIX, len, t, o);
    payloads.push(s.payload);
    if (o.outer === 4) assert.equal(s.outerId, (0x7ffe + k) & 0xffff, 'outer IPv4 identification counts up');
    if (o.inner.family === 4) assert.equal(s.id, (0xfff0 + k) & 0xffff, 'inner IPv4 identification counts up (and wraps)');
    if (o.inner.protocol === 'tcp') {
      assert.equal(s.seq, ((o.inner.seq ?? 0xfffff000) + k * o.inner.gsoSize) >>> 0, 'sequence numbers');
      const flags = o.inner.flags ?? TcpFlag.Ack | TcpFlag.Psh;
      const want = (flags & ~(k < n - 1 ? TcpFlag.Fin | TcpFlag.Psh : 0)) & ~(k > 0 ? TcpFlag.Cwr : 0);
      assert.equal(s.flags, want, `flags of segment ${k}`);
    }
  }
  assert.equal(out[AT + seg.total], 0xdd, 'nothing written past total');
  assert.deepEqual(Buffer.concat(payloads), t.payload, 'payloads end to end are the original');
}

for (const outer of [4, 6] as const) {
  for (const family of [4, 6] as const) {
    test(`tunnel GSO: inner IPv${family} TCP in VXLAN over IPv${outer}: inner and outer headers of every segment right`, () => {
      verify({ outer, inner: { family, protocol: 'tcp', payloadLength: 60000, gsoSize: 1398 } });
      verify({ outer, inner: { family, protocol: 'tcp', payloadLength: 1398 * 3, gsoSize: 1398 } });
      verify({ outer, inner: { family, protocol: 'tcp', payloadLength: 5000, gsoSize: 1380, flags: TcpFlag.Ack | TcpFlag.Psh | TcpFlag.Fin | TcpFlag.Cwr, ecn: true } });
    });
  }
}

test('tunnel GSO: IPv4 outer UDP checksum 0 stays 0, a used one is computed per segment; IPv6 always computed', () => {
  verify({ outer: 4, outerChecksum: false, inner: { family: 4, protocol: 'tcp', payloadLength: 9000, gsoSize: 1400 } });
  verify({ outer: 4, outerChecksum: true, inner: { family: 4, protocol: 'tcp', payloadLength: 9000, gsoSize: 1400 } });
  verify({ outer: 6, outerChecksum: true, inner: { family: 6, protocol: 'tcp', payloadLength: 9000, gsoSize: 1400 } });
  // A zero field over IPv6 (udp6zerocsumtx) still gets a checksum: the receiver's check requires one.
  verify({ outer: 6, outerChecksum: false, inner: { family: 4, protocol: 'tcp', payloadLength: 9000, gsoSize: 1400 } });
});

test('tunnel GSO: any UDP port and tunnel header length (Linux 8472, Geneve 6081 with options), UDP GSO inside', () => {
  verify({ outer: 4, dstPort: 8472, inner: { family: 4, protocol: 'tcp', payloadLength: 7000, gsoSize: 1400 } });
  verify({ outer: 6, dstPort: 6081, tunnelHeaderLength: 16, inner: { family: 6, protocol: 'tcp', payloadLength: 7000, gsoSize: 1400 } });
  verify({ outer: 4, dstPort: 6081, tunnelHeaderLength: 24, inner: { family: 4, protocol: 'udp', payloadLength: 7000, gsoSize: 1400 } });
  verify({ outer: 6, inner: { family: 6, protocol: 'udp', payloadLength: 7000, gsoSize: 1400 } });
});

test('tunnel GSO property: any outer/inner family, payload length, MSS round-trips', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(4 as const, 6 as const),
      fc.constantFrom(4 as const, 6 as const),
      fc.boolean(),
      fc.integer({ min: 536, max: 8900 }),
      fc.integer({ min: 1, max: 60000 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (outer, family, outerChecksum, gsoSize, extra, seq) => {
        const payloadLength = Math.min(gsoSize + extra, 64000);
        verify({ outer, outerChecksum, inner: { family, protocol: 'tcp', payloadLength, gsoSize, seq } });
      },
    ),
    runs(0.002),
  );
});

test('tunnel GSO: a plain super-frame is not taken for a tunnel one; unparsable tunnel frames are refused, nothing written', () => {
  const plain = superFrame({ family: 4, protocol: 'udp', payloadLength: 4000, gsoSize: 1000 });
  const pg = gsoTypeOf(plain.vnet);
  assert.equal(isUdpTunnelGso(plain.frame, 0, plain.frame.length, pg.type, pg.start), false, 'plain UDP GSO');
  const tcp = superFrame({ family: 6, protocol: 'tcp', payloadLength: 4000, gsoSize: 1000 });
  const tg = gsoTypeOf(tcp.vnet);
  assert.equal(isUdpTunnelGso(tcp.frame, 0, tcp.frame.length, tg.type, tg.start), false, 'plain TCP GSO');

  const t = tunnelSuperFrame({ outer: 4, inner: { family: 4, protocol: 'tcp', payloadLength: 4000, gsoSize: 1000 } });
  const g = gsoTypeOf(t.vnet);
  const seg = new Segmenter();
  const out = Buffer.alloc(16384, 0xdd);
  const view = new DataView(out.buffer);
  const refused = (f: Buffer, type: number, start: number, len = f.length): void => {
    assert.equal(seg.room(f, 0, len, type, 1000, start, PREFIX), 0);
    assert.equal(seg.segment(f, 0, len, type, 1000, start, out, view, 0, PREFIX), false);
    assert.equal(seg.error, SegmentError.Malformed);
  };
  // TCPv6 announced for an inner IPv4 frame.
  refused(t.frame, vnetHdr.VNET_GSO_TCPV6, g.start);
  // csum_start not right behind an inner IP header (inside the inner TCP header, inside the tunnel header).
  refused(t.frame, g.type, g.start + 4);
  refused(t.frame, g.type, t.outerUdp + 12);
  // TCP GSO whose first header carries UDP with csum_start at that UDP header.
  refused(t.frame, g.type, t.outerUdp);
  // The inner IP header does not carry TCP.
  const wrongProto = Buffer.from(t.frame);
  wrongProto[t.l3 + 9] = 17;
  refused(wrongProto, g.type, g.start);
  // Cut short inside the inner TCP header.
  refused(t.frame, g.type, g.start, g.start + 10);
  assert.ok(out.every((b) => b === 0xdd), 'nothing was written');
});

/** t with an 8-byte Destination Options header (RFC 8200 §4.6, one PadN) between its outer IPv6 header and UDP. */
function withDestinationOptions(t: TunnelSuperFrame): TunnelSuperFrame {
  const at = t.outerL3 + 40;
  const ext = Buffer.from([17, 0, 1, 4, 0, 0, 0, 0]);
  const frame = Buffer.concat([t.frame.subarray(0, at), ext, t.frame.subarray(at)]);
  frame[t.outerL3 + 6] = 60;
  frame.writeUInt16BE(frame.readUInt16BE(t.outerL3 + 4) + 8, t.outerL3 + 4);
  const v = vnetHdr.decode(t.vnet);
  const vnet = vnetHdr.encode({ ...v, hdrLen: v.hdrLen + 8, csumStart: v.csumStart + 8 });
  return { ...t, frame, vnet, l3: t.l3 + 8, l4: t.l4 + 8, outerUdp: t.outerUdp + 8, innerAt: t.innerAt + 8 };
}

test('tunnel GSO: an outer IPv6 extension header before the UDP header is walked; each segment still right', () => {
  for (const family of [4, 6] as const) {
    const o: TunnelSuperFrameOptions = { outer: 6, inner: { family, protocol: 'tcp', payloadLength: 9000, gsoSize: 1378 } };
    const t = withDestinationOptions(tunnelSuperFrame(o));
    const g = gsoTypeOf(t.vnet);
    assert.ok(isUdpTunnelGso(t.frame, 0, t.frame.length, g.type, g.start));
    const seg = new Segmenter();
    const room = seg.room(t.frame, 0, t.frame.length, g.type, g.size, g.start, 0);
    const out = Buffer.alloc(room);
    assert.ok(seg.segment(t.frame, 0, t.frame.length, g.type, g.size, g.start, out, new DataView(out.buffer, out.byteOffset, out.byteLength), 0, 0), `error ${seg.error}`);
    const payloads: Buffer[] = [];
    for (let k = 0; k < seg.count; k++) {
      payloads.push(checkTunnelSegment(out, k * seg.stride, k === seg.count - 1 ? seg.lastLength : seg.stride, t, o).payload);
    }
    assert.deepEqual(Buffer.concat(payloads), t.payload);
  }
});
