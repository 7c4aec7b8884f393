import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as ethernet from '../../src/wire/ethernet.js';
import * as ipv4 from '../../src/wire/ipv4.js';
import { IpProtocol } from '../../src/wire/ipv4.js';
import * as ipv6 from '../../src/wire/ipv6.js';
import * as tcp from '../../src/wire/tcp.js';
import { TcpFlag, type TcpHeader } from '../../src/wire/tcp.js';
import { WireError } from '../../src/wire/wire-error.js';
import { capturedTransport, type CapturedTransport } from '../helpers/captured-layers.js';
import { capturePath, tempCapture, type CaptureName } from '../helpers/fixtures.js';
import { ipFrame } from '../helpers/frame-builder.js';
import { assertOnlyWireError, bytesArbitrary, mutationArbitrary, runs } from '../helpers/property.js';
import { assertRoundTrips, reencodes, roundTrip } from '../helpers/round-trip.js';
import { rawLayers, tsharkFields, type TsharkTree } from '../helpers/tshark.js';

const BGP_CAPTURES: CaptureName[] = ['frr-frr-evpn-session', 'gobgp-frr-evpn-session', 'pyspeaker-frr-evpn-session'];

/** The TCP header of every frame of the BGP captures, with tshark's decode. */
const capturedHeaders = (): CapturedTransport[] => capturedTransport(BGP_CAPTURES, 'tcp');

const segmentLength = (h: CapturedTransport): number =>
  ipv4.readTotalLength(h.frame, h.ipOffset) - ipv4.readHeaderLength(h.frame, h.ipOffset);

test('TCP: captured headers of the BGP sessions re-encode and match tshark', () => {
  const headers = capturedHeaders();
  assert.ok(headers.length >= 90);
  for (const h of headers) {
    const v = reencodes(tcp, h.bytes);
    const t = h.tshark;
    const flags = parseInt(t['tcp.flags'] as string, 16);
    assert.equal(v.srcPort, Number(t['tcp.srcport']), h.where);
    assert.equal(v.dstPort, Number(t['tcp.dstport']), h.where);
    assert.ok(v.srcPort === 179 || v.dstPort === 179, h.where);
    assert.equal(v.seq, Number(t['tcp.seq_raw']), h.where);
    assert.equal(v.ack, Number(t['tcp.ack_raw']), h.where);
    assert.equal(tcp.encodingLength(v), Number(t['tcp.hdr_len']), h.where);
    assert.equal(v.flags, flags & 0xff, h.where);
    assert.equal(v.reserved, flags >> 8, h.where);
    const ft = t['tcp.flags_tree'] as TsharkTree;
    assert.equal((v.flags & TcpFlag.Syn) !== 0, ft['tcp.flags.syn'] === '1', h.where);
    assert.equal((v.flags & TcpFlag.Ack) !== 0, ft['tcp.flags.ack'] === '1', h.where);
    assert.equal((v.flags & TcpFlag.Fin) !== 0, ft['tcp.flags.fin'] === '1', h.where);
    assert.equal((v.flags & TcpFlag.Psh) !== 0, ft['tcp.flags.push'] === '1', h.where);
    assert.equal((v.flags & TcpFlag.Rst) !== 0, ft['tcp.flags.reset'] === '1', h.where);
    assert.equal(v.window, Number(t['tcp.window_size_value']), h.where);
    assert.equal(v.checksum, parseInt(t['tcp.checksum'] as string, 16), h.where);
    assert.equal(v.urgentPointer, Number(t['tcp.urgent_pointer']), h.where);
    assert.equal(v.options.toString('hex'), (t['tcp.options'] as string).replaceAll(':', ''), h.where);
    assert.equal(v.options.buffer, h.frame.buffer, 'options are a view');
    assert.equal(segmentLength(h) - tcp.encodingLength(v), Number(t['tcp.len']), h.where);
    assert.equal(tcp.readHeaderLength(h.frame, h.offset), tcp.encodingLength(v), h.where);
    assert.equal(tcp.readFlags(h.frame, h.offset), v.flags, h.where);
  }
});

test('TCP: Ethernet -> IPv4 -> TCP finds the BGP messages where tshark finds them', () => {
  let found = 0;
  for (const h of capturedHeaders()) {
    const bgp = rawLayers(h.layers, 'bgp');
    if (bgp.length === 0) continue;
    const ipOff = ethernet.payloadOffset(h.frame, 0);
    assert.equal(ethernet.readEtherType(h.frame, 0), ethernet.EtherType.Ipv4);
    assert.equal(ipv4.decode(h.frame, ipOff).protocol, IpProtocol.Tcp);
    const tcpOff = ipOff + ipv4.decode.bytes;
    tcp.decode(h.frame, tcpOff);
    const dataOff = tcpOff + tcp.decode.bytes;
    assert.equal(dataOff, bgp[0]!.offset, h.where);
    // A BGP message starts with the 16-byte all-ones marker (RFC 4271 §4.1).
    assert.deepEqual(h.frame.subarray(dataOff, dataOff + 16), Buffer.alloc(16, 0xff), h.where);
    found++;
  }
  assert.ok(found >= 30);
});

test('TCP: captured checksums are verified as tshark verifies them (offloaded ones hold the pseudo-header sum)', () => {
  let complete = 0;
  for (const capture of BGP_CAPTURES) {
    const status = tsharkFields(capturePath(capture), ['tcp.checksum.status'], { prefs: ['tcp.check_checksum:TRUE'] });
    for (const h of capturedHeaders().filter((c) => c.capture === capture)) {
      const len = segmentLength(h);
      const pseudo = ipv4.pseudoHeaderSum(h.frame, h.ipOffset, IpProtocol.Tcp, len);
      const ok = tcp.isChecksumCorrect(h.frame, h.offset, len, pseudo);
      assert.equal(ok, status[h.index]![0] === '1', `${h.where}: ours ${ok}, tshark status ${status[h.index]![0]}`);
      const field = h.frame.readUInt16BE(h.offset + tcp.TCP_CHECKSUM_OFFSET);
      if (ok) {
        complete++;
        assert.equal(tcp.computeChecksum(h.frame, h.offset, len, pseudo), field, h.where);
      } else {
        // Captured on a veth before checksum offload completed it (CHECKSUM_PARTIAL).
        assert.equal(field, pseudo, h.where);
      }
    }
  }
  assert.ok(complete >= 1, 'at least one captured segment carries a complete checksum');
});

test('TCP: checksums computed over IPv4 and IPv6 are the ones tshark verifies as good', (t) => {
  // The captured BGP segments, re-sent over IPv4 and IPv6 with checksums computed here.
  const frames: Buffer[] = [];
  const sums: number[] = [];
  for (const h of capturedHeaders().filter((c) => c.capture === 'frr-frr-evpn-session')) {
    const segment = h.frame.subarray(h.offset, h.offset + segmentLength(h));
    for (const family of [4, 6] as const) {
      const frame = ipFrame(family, IpProtocol.Tcp, segment);
      const off = 14 + (family === 4 ? 20 : 40);
      const pseudo =
        family === 4
          ? ipv4.pseudoHeaderSum(frame, 14, IpProtocol.Tcp, segment.length)
          : ipv6.pseudoHeaderSum(frame, 14, IpProtocol.Tcp, segment.length);
      const sum = tcp.computeChecksum(frame, off, segment.length, pseudo);
      frame.writeUInt16BE(sum, off + tcp.TCP_CHECKSUM_OFFSET);
      assert.equal(tcp.isChecksumCorrect(frame, off, segment.length, pseudo), true);
      frames.push(frame);
      sums.push(sum);
    }
  }
  const file = tempCapture(t, 'tcp.pcap', frames);
  const rows = tsharkFields(file, ['tcp.checksum', 'tcp.checksum.status'], { prefs: ['tcp.check_checksum:TRUE'] });
  assert.equal(rows.length, frames.length);
  rows.forEach(([sum, status], i) => {
    assert.equal(parseInt(sum!, 16), sums[i], `frame ${i + 1}`);
    assert.equal(status, '1', `frame ${i + 1}: tshark says the checksum is good`);
  });
});

test('TCP: malformed headers throw WireError (drop); encode rejects bad values', () => {
  const isDrop = (e: unknown): boolean => e instanceof WireError && e.action === 'drop' && e.code === 0;
  const syn = capturedHeaders()[0]!.bytes; // 40 bytes: 20 of options
  assert.equal(syn.length, 40);
  for (const len of [0, 19, 20, 39]) assert.throws(() => tcp.decode(syn.subarray(0, len)), isDrop, `length ${len}`);
  for (const doff of [0, 4]) {
    const b = Buffer.from(syn);
    b[tcp.TCP_DATA_OFFSET_OFFSET] = (doff << 4) | (b[tcp.TCP_DATA_OFFSET_OFFSET]! & 0x0f);
    assert.throws(() => tcp.decode(b), isDrop, `data offset ${doff}`);
  }
  const v = tcp.decode(syn);
  const bad: Array<Partial<TcpHeader>> = [
    { srcPort: 0x10000 },
    { seq: 2 ** 32 },
    { ack: -1 },
    { reserved: 16 },
    { flags: 256 },
    { window: 0x10000 },
    { checksum: 0.5 },
    { urgentPointer: 0x10000 },
    { options: Buffer.alloc(2) },
    { options: Buffer.alloc(44) },
  ];
  for (const b of bad) assert.throws(() => tcp.encode({ ...v, ...b }), RangeError, JSON.stringify(b));
  // The AE bit (reserved bit 0 here, 0x100 in tshark's 12-bit flags) survives a round trip.
  roundTrip(tcp, { ...v, reserved: 0x1, flags: TcpFlag.Syn | TcpFlag.Ece | TcpFlag.Cwr, options: Buffer.alloc(0) });
});

// ---------------------------------------------------------------------------
// Properties

const optionsArb = fc
  .integer({ min: 0, max: 10 })
  .chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 }))
  .map((a) => Buffer.from(a));
const headerArb: fc.Arbitrary<TcpHeader> = fc.record(
  {
    srcPort: fc.integer({ min: 0, max: 0xffff }),
    dstPort: fc.oneof(fc.constant(179), fc.integer({ min: 0, max: 0xffff })),
    seq: fc.integer({ min: 0, max: 0xffffffff }),
    ack: fc.integer({ min: 0, max: 0xffffffff }),
    reserved: fc.integer({ min: 0, max: 15 }),
    flags: fc.integer({ min: 0, max: 255 }),
    window: fc.integer({ min: 0, max: 0xffff }),
    checksum: fc.integer({ min: 0, max: 0xffff }),
    urgentPointer: fc.integer({ min: 0, max: 0xffff }),
    options: optionsArb,
  },
  { noNullPrototype: true },
);

test('TCP property: encode then decode is the identity', () => {
  assertRoundTrips(tcp, headerArb);
});

test('TCP property: a computed checksum verifies; a flipped bit does not', () => {
  fc.assert(
    fc.property(headerArb, bytesArbitrary(48), fc.integer({ min: 0, max: 0xffff }), fc.nat(), (v, data, pseudo, flip) => {
      const segment = Buffer.concat([tcp.encode(v), data]);
      const sum = tcp.computeChecksum(segment, 0, segment.length, pseudo);
      segment.writeUInt16BE(sum, tcp.TCP_CHECKSUM_OFFSET);
      assert.equal(tcp.isChecksumCorrect(segment, 0, segment.length, pseudo), true);
      const bit = flip % (segment.length * 8);
      segment[bit >> 3] = segment[bit >> 3]! ^ (1 << (bit & 7));
      assert.equal(tcp.isChecksumCorrect(segment, 0, segment.length, pseudo), false);
    }),
    runs(),
  );
});

function checkDecodable(buf: Buffer): void {
  const v = tcp.decode(buf);
  const n = tcp.decode.bytes;
  assert.deepEqual(tcp.encode(v), buf.subarray(0, n), 'what decodes re-encodes exactly');
  assert.equal(tcp.readHeaderLength(buf, 0), n);
}

test('TCP property: random bytes throw only WireError; what decodes re-encodes exactly', () => {
  assertOnlyWireError(bytesArbitrary(72), checkDecodable);
});

test('TCP property: mutated captured headers throw only WireError', () => {
  const headers = capturedHeaders();
  const samples = [headers[0]!, headers.find((h) => rawLayers(h.layers, 'bgp').length > 0)!].map((h) =>
    h.frame.subarray(h.offset, h.offset + h.bytes.length + 4),
  );
  assertOnlyWireError(fc.oneof(...samples.map((s) => mutationArbitrary(s))), checkDecodable);
});
