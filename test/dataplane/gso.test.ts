// gso.ts: what the kernel leaves undone on a frame with a virtio_net_hdr,
// done before the frame enters a tunnel. Every segment is decoded as the
// receiving host would: IP header checksum and length, L4 checksum over the
// pseudo-header; the payloads laid end to end must be the original payload.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { finishChecksum, GSO_MAX_SEGMENTS, SegmentError, Segmenter } from '../../src/dataplane/gso.js';
import * as vnetHdr from '../../src/wire/virtio-net-hdr.js';
import { TcpFlag } from '../../src/wire/tcp.js';
import { checkSegment, superFrame, type SuperFrameOptions } from '../helpers/gso-frames.js';
import { runs } from '../helpers/property.js';

const PREFIX = 8;

function cut(o: SuperFrameOptions, at = 100): { seg: Segmenter; out: Buffer; sf: ReturnType<typeof superFrame> } {
  const sf = superFrame(o);
  const v = vnetHdr.decode(sf.vnet);
  // The frame sits at a non-zero offset of its buffer, as in a receive batch.
  const src = Buffer.alloc(sf.frame.length + 300, 0xcc);
  sf.frame.copy(src, 200);
  const seg = new Segmenter();
  const room = seg.room(src, 200, sf.frame.length, v.gsoType | (v.ecn ? vnetHdr.VNET_GSO_ECN : 0), v.gsoSize, v.csumStart, PREFIX);
  assert.ok(room > 0, 'room() accepts the frame');
  const out = Buffer.alloc(at + room + 64, 0xdd);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  const ok = seg.segment(src, 200, sf.frame.length, v.gsoType | (v.ecn ? vnetHdr.VNET_GSO_ECN : 0), v.gsoSize, v.csumStart, out, view, at, PREFIX);
  assert.ok(ok, `segment() failed with error ${seg.error}`);
  assert.equal(seg.total, room, 'room() predicts the bytes written');
  assert.equal(src.subarray(200, 200 + sf.frame.length).compare(sf.frame), 0, 'the super-frame is left as it was');
  return { seg, out, sf };
}

function verify(o: SuperFrameOptions): void {
  const at = 100;
  const { seg, out, sf } = cut(o, at);
  const n = Math.ceil(o.payloadLength / o.gsoSize);
  assert.equal(seg.count, n, 'segments');
  assert.equal(seg.stride, PREFIX + sf.l4 + (o.protocol === 'tcp' ? 20 + (o.options?.length ?? 0) : 8) + o.gsoSize, 'stride');
  const payloads: Buffer[] = [];
  for (let k = 0; k < n; k++) {
    const start = at + k * seg.stride;
    const len = (k === n - 1 ? seg.lastLength : seg.stride) - PREFIX;
    assert.ok(out.subarray(start, start + PREFIX).every((b) => b === 0xdd), 'the prefix is left free');
    const s = checkSegment(out, start + PREFIX, len, o.family, o.protocol, sf.l3);
    payloads.push(s.payload);
    if (o.family === 4) assert.equal(s.id, (0xfff0 + k) & 0xffff, 'IPv4 identification counts up (and wraps)');
    if (o.protocol === 'tcp') {
      assert.equal(s.seq, ((o.seq ?? 0xfffff000) + k * o.gsoSize) >>> 0, 'sequence numbers (wrapping at 2^32)');
      const flags = o.flags ?? TcpFlag.Ack | TcpFlag.Psh;
      const want = (flags & ~(k < n - 1 ? TcpFlag.Fin | TcpFlag.Psh : 0)) & ~(k > 0 ? TcpFlag.Cwr : 0);
      assert.equal(s.flags, want, `flags of segment ${k}`);
    }
  }
  assert.equal(at + seg.total <= out.length, true);
  assert.equal(out[at + seg.total], 0xdd, 'nothing written past total');
  assert.deepEqual(Buffer.concat(payloads), sf.payload, 'payloads end to end are the original');
}

for (const family of [4, 6] as const) {
  for (const protocol of ['tcp', 'udp'] as const) {
    test(`GSO: IPv${family} ${protocol.toUpperCase()} super-frame cut into MSS segments, checksums and lengths right`, () => {
      verify({ family, protocol, payloadLength: 64000, gsoSize: 1448 });
      verify({ family, protocol, payloadLength: 1448 * 3, gsoSize: 1448 }); // an exact multiple
      verify({ family, protocol, payloadLength: 2000, gsoSize: 1000, vlan: 20 }); // behind a VLAN tag
    });
  }
}

test('GSO: TCP flags: FIN and PSH on the last segment only, CWR on the first only; options copied', () => {
  verify({ family: 4, protocol: 'tcp', payloadLength: 5000, gsoSize: 1400, flags: TcpFlag.Ack | TcpFlag.Psh | TcpFlag.Fin | TcpFlag.Cwr, ecn: true });
  verify({ family: 6, protocol: 'tcp', payloadLength: 5000, gsoSize: 1388, options: Buffer.from('0101080a0000000100000002', 'hex') });
});

test('GSO property: any payload length and MSS (IPv4/IPv6, TCP/UDP) round-trips through segmentation', () => {
  fc.assert(
    fc.property(
      fc.constantFrom(4 as const, 6 as const),
      fc.constantFrom('tcp' as const, 'udp' as const),
      fc.integer({ min: 536, max: 9000 }),
      fc.integer({ min: 1, max: 65000 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      (family, protocol, gsoSize, extra, seq) => {
        // The IP length field bounds a super-frame to 64 KiB.
        const payloadLength = Math.min(gsoSize + extra, 65000);
        verify({ family, protocol, payloadLength, gsoSize, seq });
      },
    ),
    runs(0.002),
  );
});

test('GSO: refused frames say why and write nothing', () => {
  const sf = superFrame({ family: 4, protocol: 'tcp', payloadLength: 4000, gsoSize: 1000 });
  const seg = new Segmenter();
  const out = Buffer.alloc(8192, 0xdd);
  const view = new DataView(out.buffer);
  const f = sf.frame;
  // csum_start pointing into the IP header: not where the TCP header is.
  assert.equal(seg.segment(f, 0, f.length, vnetHdr.VNET_GSO_TCPV4, 1000, 20, out, view, 0, 8), false);
  assert.equal(seg.error, SegmentError.Malformed);
  // TCPv6 announced for an IPv4 frame.
  assert.equal(seg.segment(f, 0, f.length, vnetHdr.VNET_GSO_TCPV6, 1000, sf.l4, out, view, 0, 8), false);
  assert.equal(seg.error, SegmentError.Malformed);
  // UFO (IP fragmentation of one datagram) is not cut here.
  assert.equal(seg.segment(f, 0, f.length, vnetHdr.VNET_GSO_UDP, 1000, sf.l4, out, view, 0, 8), false);
  assert.equal(seg.error, SegmentError.Unsupported);
  // gso_size 0, and more segments than GSO_MAX_SEGMENTS.
  assert.equal(seg.segment(f, 0, f.length, vnetHdr.VNET_GSO_TCPV4, 0, sf.l4, out, view, 0, 8), false);
  assert.equal(seg.room(f, 0, f.length, vnetHdr.VNET_GSO_TCPV4, Math.floor(4000 / (GSO_MAX_SEGMENTS + 1)), sf.l4, 8), 0);
  // No room in the output.
  assert.equal(seg.segment(f, 0, f.length, vnetHdr.VNET_GSO_TCPV4, 1000, sf.l4, out, view, 8192 - 100, 8), false);
  assert.equal(seg.error, SegmentError.NoRoom);
  // A frame cut short inside its headers.
  assert.equal(seg.segment(f, 0, 40, vnetHdr.VNET_GSO_TCPV4, 1000, sf.l4, out, view, 0, 8), false);
  assert.ok(out.every((b) => b === 0xdd), 'nothing was written');
});

test('finishChecksum: a partial TCP or UDP checksum becomes the full one; offsets outside the frame are refused', () => {
  for (const protocol of ['tcp', 'udp'] as const) {
    for (const family of [4, 6] as const) {
      const sf = superFrame({ family, protocol, payloadLength: 999, gsoSize: 1448 });
      const v = vnetHdr.decode(sf.vnet);
      assert.equal(v.gsoType, vnetHdr.VNET_GSO_NONE);
      const view = new DataView(sf.frame.buffer, sf.frame.byteOffset, sf.frame.byteLength);
      assert.ok(finishChecksum(sf.frame, view, 0, sf.frame.length, v.csumStart, v.csumOffset));
      checkSegment(sf.frame, 0, sf.frame.length, family, protocol, sf.l3);
      assert.equal(finishChecksum(sf.frame, view, 0, sf.frame.length, sf.frame.length, 0), false);
      assert.equal(finishChecksum(sf.frame, view, 0, sf.frame.length, v.csumStart, sf.frame.length), false);
    }
  }
});
