import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as ethernet from '../../src/wire/ethernet.js';
import * as ipv4 from '../../src/wire/ipv4.js';
import { IpProtocol } from '../../src/wire/ipv4.js';
import * as udp from '../../src/wire/udp.js';
import type { UdpHeader } from '../../src/wire/udp.js';
import * as vxlan from '../../src/wire/vxlan.js';
import { WireError } from '../../src/wire/wire-error.js';
import { capturedTransport, type CapturedTransport } from '../helpers/captured-layers.js';
import { capturePath, tempCapture } from '../helpers/fixtures.js';
import { ipFrame } from '../helpers/frame-builder.js';
import { assertOnlyWireError, bytesArbitrary, mutationArbitrary, runs } from '../helpers/property.js';
import { assertRoundTrips, reencodes, roundTrip } from '../helpers/round-trip.js';
import { tsharkFields } from '../helpers/tshark.js';

const CAPTURE = 'vxlan-kernel-arp-icmp';

/** The outer UDP header of every VXLAN datagram in the capture. */
const capturedHeaders = (): CapturedTransport[] => capturedTransport([CAPTURE], 'udp');

test('UDP: captured headers re-encode and match tshark', () => {
  const headers = capturedHeaders();
  assert.equal(headers.length, 8);
  for (const h of headers) {
    const v = reencodes(udp, h.bytes);
    const t = h.tshark;
    const where = `#${h.number}`;
    assert.equal(v.srcPort, Number(t['udp.srcport']), where);
    assert.equal(v.dstPort, Number(t['udp.dstport']), where);
    assert.equal(v.length, Number(t['udp.length']), where);
    assert.equal(v.checksum, parseInt(t['udp.checksum'] as string, 16), where);
    assert.equal(v.dstPort, vxlan.VXLAN_PORT_IANA, where);
    // In-place readers, and the chain outer Ethernet -> IPv4 -> UDP -> VXLAN.
    assert.equal(udp.readSrcPort(h.frame, h.offset), v.srcPort, where);
    assert.equal(udp.readDstPort(h.frame, h.offset), v.dstPort, where);
    assert.equal(udp.readLength(h.frame, h.offset), v.length, where);
    assert.equal(udp.readChecksum(h.frame, h.offset), v.checksum, where);
    assert.equal(ethernet.payloadOffset(h.frame, 0), h.ipOffset);
    assert.equal(ipv4.readProtocol(h.frame, h.ipOffset), IpProtocol.Udp);
    assert.equal(h.ipOffset + ipv4.readHeaderLength(h.frame, h.ipOffset), h.offset);
    assert.equal(ipv4.readTotalLength(h.frame, h.ipOffset) - ipv4.readHeaderLength(h.frame, h.ipOffset), v.length);
    assert.equal(vxlan.decode(h.frame, h.offset + udp.UDP_HEADER_LENGTH).vni, 100);
  }
});

test('UDP: writeHeader rebuilds the captured headers in place', () => {
  for (const h of capturedHeaders()) {
    const v = udp.decode(h.bytes);
    const out = Buffer.alloc(12, 0xa5);
    udp.writeHeader(out, 2, v.srcPort, v.dstPort, v.length, v.checksum);
    assert.deepEqual(out.subarray(2, 10), h.bytes);
    assert.equal(out[1], 0xa5);
    assert.equal(out[10], 0xa5);
  }
});

test('UDP: captured checksums are the IPv4 pseudo-header sum (checksum offload), as tshark sees them', () => {
  // The capture was taken on a veth where the kernel hands the checksum to
  // "hardware" (CHECKSUM_PARTIAL): the field holds the folded pseudo-header
  // sum, not yet complemented and without the datagram. That is a real-bytes
  // check of pseudoHeaderSum; tshark (checking) calls these checksums bad,
  // and so must verifyChecksumOverIpv4.
  const status = tsharkFields(capturePath(CAPTURE), ['udp.checksum.status'], { prefs: ['udp.check_checksum:TRUE'] });
  for (const h of capturedHeaders()) {
    const v = udp.decode(h.bytes);
    assert.equal(ipv4.pseudoHeaderSum(h.frame, h.ipOffset, IpProtocol.Udp, v.length), v.checksum, `#${h.number}`);
    const ok = udp.verifyChecksumOverIpv4(h.frame, h.ipOffset, h.offset, v.length);
    assert.equal(ok, status[h.index]![0] === '1', `#${h.number}: ours ${ok}, tshark status ${status[h.index]![0]}`);
    assert.equal(ok, false);
  }
});

/** The captured VXLAN datagrams re-sent over IPv4 and IPv6 with checksums computed here. */
function builtDatagrams(): { frames: Buffer[]; expect: Array<{ family: 4 | 6; checksum: number }> } {
  const frames: Buffer[] = [];
  const expect: Array<{ family: 4 | 6; checksum: number }> = [];
  const payloads = capturedHeaders().map((h) => h.frame.subarray(h.offset + 8, h.offset + udp.decode(h.bytes).length));
  // Odd lengths and a tiny one exercise the pad byte.
  payloads.push(Buffer.from('0800000000006400ab', 'hex'), Buffer.from([0x42]), Buffer.alloc(0));
  for (const [i, payload] of payloads.entries()) {
    const length = 8 + payload.length;
    for (const family of [4, 6] as const) {
      const header = udp.encode({ srcPort: 49152 + i, dstPort: vxlan.VXLAN_PORT_IANA, length, checksum: 0 });
      const frame = ipFrame(family, IpProtocol.Udp, Buffer.concat([header, payload]));
      const ipOff = 14;
      const udpOff = 14 + (family === 4 ? 20 : 40);
      const sum =
        family === 4
          ? udp.computeChecksumOverIpv4(frame, ipOff, udpOff, length)
          : udp.computeChecksumOverIpv6(frame, ipOff, udpOff, length);
      frame.writeUInt16BE(sum, udpOff + udp.UDP_CHECKSUM_OFFSET);
      const verify = family === 4 ? udp.verifyChecksumOverIpv4 : udp.verifyChecksumOverIpv6;
      assert.equal(verify(frame, ipOff, udpOff, length), true);
      frames.push(frame);
      expect.push({ family, checksum: sum });
    }
  }
  return { frames, expect };
}

test('UDP: checksums computed over IPv4 and IPv6 are the ones tshark verifies as good', (t) => {
  const { frames, expect } = builtDatagrams();
  const file = tempCapture(t, 'udp.pcap', frames);
  const rows = tsharkFields(file, ['ip.version', 'udp.checksum', 'udp.checksum.status'], { prefs: ['udp.check_checksum:TRUE'] });
  assert.equal(rows.length, frames.length);
  rows.forEach(([version, sum, status], i) => {
    assert.equal(Number(version), expect[i]!.family, `frame ${i + 1}`);
    assert.equal(parseInt(sum!, 16), expect[i]!.checksum, `frame ${i + 1}`);
    assert.equal(status, '1', `frame ${i + 1}: tshark says the checksum is good`);
  });
});

test('UDP: zero checksum is "none" over IPv4 (RFC 7348 §5) and invalid over IPv6 (RFC 8200 §8.1)', () => {
  const { frames, expect } = builtDatagrams();
  for (const [i, frame] of frames.entries()) {
    const ipOff = 14;
    const family = expect[i]!.family;
    const udpOff = ipOff + (family === 4 ? 20 : 40);
    const length = udp.readLength(frame, udpOff);
    const zero = Buffer.from(frame);
    zero.writeUInt16BE(0, udpOff + udp.UDP_CHECKSUM_OFFSET);
    if (family === 4) assert.equal(udp.verifyChecksumOverIpv4(zero, ipOff, udpOff, length), true);
    else assert.equal(udp.verifyChecksumOverIpv6(zero, ipOff, udpOff, length), false);
    // Any corruption of the payload is caught.
    if (length > 8) {
      const bad = Buffer.from(frame);
      bad[udpOff + length - 1] = bad[udpOff + length - 1]! ^ 0x10;
      const verify = family === 4 ? udp.verifyChecksumOverIpv4 : udp.verifyChecksumOverIpv6;
      assert.equal(verify(bad, ipOff, udpOff, length), false);
    }
  }
});

test('UDP: a computed checksum of 0 is sent as 0xffff (RFC 768)', () => {
  // Choose the last payload word so the datagram's checksum comes out 0.
  const { frames } = builtDatagrams();
  const frame = Buffer.from(frames[0]!);
  const ipOff = 14;
  const udpOff = 34;
  const length = udp.readLength(frame, udpOff);
  assert.equal(length % 2, 0);
  frame.writeUInt16BE(0, udpOff + length - 2);
  const c = udp.computeChecksumOverIpv4(frame, ipOff, udpOff, length);
  frame.writeUInt16BE(c === 0xffff ? 0 : c, udpOff + length - 2);
  assert.equal(udp.computeChecksumOverIpv4(frame, ipOff, udpOff, length), 0xffff);
  frame.writeUInt16BE(0xffff, udpOff + udp.UDP_CHECKSUM_OFFSET);
  assert.equal(udp.verifyChecksumOverIpv4(frame, ipOff, udpOff, length), true);
});

test('UDP: malformed headers throw WireError (drop); encode rejects bad values', () => {
  const isDrop = (e: unknown): boolean => e instanceof WireError && e.action === 'drop' && e.code === 0;
  const good = capturedHeaders()[0]!.bytes;
  for (const len of [0, 1, 7]) assert.throws(() => udp.decode(good.subarray(0, len)), isDrop, `length ${len}`);
  for (const length of [0, 7]) {
    const b = Buffer.from(good);
    b.writeUInt16BE(length, udp.UDP_LENGTH_OFFSET);
    assert.throws(() => udp.decode(b), isDrop, `UDP length ${length}`);
  }
  const v = udp.decode(good);
  const bad: Array<Partial<UdpHeader>> = [{ srcPort: 0x10000 }, { dstPort: -1 }, { length: 7 }, { length: 0x10000 }, { checksum: 1.5 }];
  for (const b of bad) assert.throws(() => udp.encode({ ...v, ...b }), RangeError, JSON.stringify(b));
  roundTrip(udp, { ...v, length: 8, checksum: 0 });
});

// ---------------------------------------------------------------------------
// Properties

const headerArb: fc.Arbitrary<UdpHeader> = fc.record(
  {
    srcPort: fc.integer({ min: 0, max: 0xffff }),
    dstPort: fc.oneof(fc.constantFrom(4789, 8472), fc.integer({ min: 0, max: 0xffff })),
    length: fc.integer({ min: 8, max: 0xffff }),
    checksum: fc.integer({ min: 0, max: 0xffff }),
  },
  { noNullPrototype: true },
);

test('UDP property: encode then decode is the identity', () => {
  assertRoundTrips(udp, headerArb);
});

test('UDP property: a computed checksum verifies, over IPv4 and IPv6', () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.uint8Array({ minLength: 40, maxLength: 40 }),
      bytesArbitrary(64),
      (over4, ipBytes, payload) => {
        const ipLength = over4 ? 20 : 40;
        const length = 8 + payload.length;
        const buf = Buffer.alloc(ipLength + length);
        Buffer.from(ipBytes).copy(buf, 0, 0, ipLength);
        udp.writeHeader(buf, ipLength, 1, 2, length, 0);
        payload.copy(buf, ipLength + 8);
        const sum = over4
          ? udp.computeChecksumOverIpv4(buf, 0, ipLength, length)
          : udp.computeChecksumOverIpv6(buf, 0, ipLength, length);
        assert.notEqual(sum, 0);
        buf.writeUInt16BE(sum, ipLength + udp.UDP_CHECKSUM_OFFSET);
        const ok = over4 ? udp.verifyChecksumOverIpv4(buf, 0, ipLength, length) : udp.verifyChecksumOverIpv6(buf, 0, ipLength, length);
        assert.equal(ok, true);
      },
    ),
    runs(),
  );
});

function checkDecodable(buf: Buffer): void {
  const v = udp.decode(buf);
  assert.deepEqual(udp.encode(v), buf.subarray(0, 8), 'what decodes re-encodes exactly');
}

test('UDP property: random bytes throw only WireError; what decodes re-encodes exactly', () => {
  assertOnlyWireError(bytesArbitrary(16), checkDecodable);
});

test('UDP property: mutated captured headers throw only WireError', () => {
  const h = capturedHeaders()[0]!;
  assertOnlyWireError(mutationArbitrary(h.frame.subarray(h.offset, h.offset + 16)), checkDecodable);
});
