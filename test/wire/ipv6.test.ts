import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as ethernet from '../../src/wire/ethernet.js';
import { formatIpv6 } from '../../src/wire/ip-address.js';
import * as ipv4 from '../../src/wire/ipv4.js';
import * as ipv6 from '../../src/wire/ipv6.js';
import { IpProtocol, type Ipv6Header } from '../../src/wire/ipv6.js';
import { WireError } from '../../src/wire/wire-error.js';
import { tempCapture } from '../helpers/fixtures.js';
import { assertOnlyWireError, bytesArbitrary, mutationArbitrary, runs } from '../helpers/property.js';
import { assertRoundTrips } from '../helpers/round-trip.js';
import { tsharkFrames, type TsharkTree } from '../helpers/tshark.js';

// Addresses with runs of zero groups (so '::' compression is exercised) and IPv4-mapped ones.
const ipv6Arb = fc.oneof(
  fc
    .array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 })
    .map((groups) => {
      const b = Buffer.alloc(16);
      groups.forEach((g, i) => b.writeUInt16BE(g, i * 2));
      return formatIpv6(b);
    }),
  fc.uint8Array({ minLength: 4, maxLength: 4 }).map((a) => `::ffff:${a.join('.')}`),
);
const headerArb: fc.Arbitrary<Ipv6Header> = fc.record(
  {
    trafficClass: fc.integer({ min: 0, max: 0xff }),
    flowLabel: fc.integer({ min: 0, max: 0xfffff }),
    payloadLength: fc.integer({ min: 0, max: 0xffff }),
    nextHeader: fc.oneof(fc.constantFrom(0, 6, 17, 43, 44, 58, 59, 60), fc.integer({ min: 0, max: 0xff })),
    hopLimit: fc.integer({ min: 0, max: 0xff }),
    src: ipv6Arb,
    dst: ipv6Arb,
  },
  { noNullPrototype: true },
);

// No capture has IPv6: a hand-built header with known field values, headers
// built here and decoded by tshark, and properties.

// An ICMPv6 Neighbor Solicitation header as a host sends it: traffic class
// 0xe1 (DSCP 56, ECN 1), flow label 0x12345, payload 32, next header 58,
// hop limit 255 (RFC 4861 §7.1.1), link-local source, solicited-node group.
const NS_HEADER = Buffer.from(
  '6e112345' + '00203aff' + 'fe800000000000000200' + '00fffe000101' + 'ff020000000000000000' + '0001ff000202',
  'hex',
);

test('IPv6: a known header decodes field by field', () => {
  const v = ipv6.decode(NS_HEADER);
  assert.equal(ipv6.decode.bytes, 40);
  assert.deepEqual(v, {
    trafficClass: 0xe1,
    flowLabel: 0x12345,
    payloadLength: 32,
    nextHeader: IpProtocol.Icmpv6,
    hopLimit: 255,
    src: 'fe80::200:ff:fe00:101',
    dst: 'ff02::1:ff00:202',
  });
  assert.deepEqual(ipv6.encode(v), NS_HEADER);
  assert.equal(ipv6.readVersion(NS_HEADER, 0), 6);
  assert.equal(ipv6.readPayloadLength(NS_HEADER, 0), 32);
  assert.equal(ipv6.readNextHeader(NS_HEADER, 0), 58);
});

test('IPv6: extension headers are not walked (next header is the first one)', () => {
  // Hop-by-hop options header (next header 0), as MLD reports carry (RFC 3810 §5).
  const hbh = Buffer.concat([Buffer.from(NS_HEADER), Buffer.from('3a00050200000100', 'hex')]);
  hbh[ipv6.IPV6_NEXT_HEADER_OFFSET] = IpProtocol.HopByHop;
  const v = ipv6.decode(hbh);
  assert.equal(v.nextHeader, 0);
  assert.equal(ipv6.decode.bytes, 40);
});

test('IPv6: headers built here decode as tshark decodes them', (t) => {
  const fixed: Ipv6Header[] = [
    ipv6.decode(NS_HEADER),
    { trafficClass: 0, flowLabel: 0, payloadLength: 0, nextHeader: 59, hopLimit: 1, src: '::', dst: '::1' },
    { trafficClass: 0xff, flowLabel: 0xfffff, payloadLength: 8, nextHeader: 17, hopLimit: 64, src: '::ffff:10.1.2.3', dst: '2001:db8::1' },
    { trafficClass: 3, flowLabel: 1, payloadLength: 16, nextHeader: 6, hopLimit: 0, src: '2001:db8:0:1:1:1:1:1', dst: 'fd00:a:b:c::d' },
  ];
  // And some arbitrary ones (a fixed seed keeps the test reproducible).
  const values = [...fixed, ...fc.sample(headerArb, { numRuns: 40, seed: 42 })];
  const eth = ethernet.encode({ dst: '33:33:00:00:00:01', src: '02:00:00:00:01:01', vlans: [], etherType: ethernet.EtherType.Ipv6 });
  const frames = values.map((v) => Buffer.concat([eth, ipv6.encode(v), Buffer.alloc(Math.min(v.payloadLength, 64))]));
  const file = tempCapture(t, 'ipv6.pcap', frames);
  const decoded = tsharkFrames(file);
  assert.equal(decoded.length, values.length);
  for (const [i, f] of decoded.entries()) {
    const tv = f.layers['ipv6'] as TsharkTree;
    const v = ipv6.decode(frames[i]!, ethernet.ETH_HEADER_LENGTH);
    assert.deepEqual(v, values[i]);
    const where = `frame ${f.number}`;
    assert.equal(Number(tv['ipv6.version']), 6, where);
    assert.equal(v.trafficClass, parseInt(tv['ipv6.tclass'] as string, 16), where);
    assert.equal(v.flowLabel, parseInt(tv['ipv6.flow'] as string, 16), where);
    assert.equal(v.payloadLength, Number(tv['ipv6.plen']), where);
    assert.equal(v.nextHeader, Number(tv['ipv6.nxt']), where);
    assert.equal(v.hopLimit, Number(tv['ipv6.hlim']), where);
    assert.equal(v.src, tv['ipv6.src'], where);
    assert.equal(v.dst, tv['ipv6.dst'], where);
  }
});

test('IPv6: malformed headers throw WireError (drop)', () => {
  const isDrop = (e: unknown): boolean => e instanceof WireError && e.action === 'drop' && e.code === 0;
  const v4 = Buffer.from(NS_HEADER);
  v4[0] = 0x45;
  assert.throws(() => ipv6.decode(v4), isDrop, 'version 4');
  for (const len of [0, 1, 39]) assert.throws(() => ipv6.decode(NS_HEADER.subarray(0, len)), isDrop, `length ${len}`);
  assert.throws(() => ipv6.decode(NS_HEADER, 1), isDrop);
});

test('IPv6: encode rejects bad values', () => {
  const v = ipv6.decode(NS_HEADER);
  const bad: Array<Partial<Ipv6Header>> = [
    { trafficClass: 256 },
    { flowLabel: 0x100000 },
    { payloadLength: 0x10000 },
    { nextHeader: -1 },
    { hopLimit: 2.5 },
  ];
  for (const b of bad) assert.throws(() => ipv6.encode({ ...v, ...b }), RangeError, JSON.stringify(b));
  assert.throws(() => ipv6.encode({ ...v, src: '10.0.0.1' }), TypeError);
});

// ---------------------------------------------------------------------------
// Properties

test('IPv6 property: encode then decode is the identity', () => {
  assertRoundTrips(ipv6, headerArb);
});

test('IPv6 property: the pseudo-header sum is the RFC 8200 §8.1 pseudo-header, summed', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 40, maxLength: 40 }).map((a) => Buffer.from(a)), fc.nat(), fc.integer({ min: 0, max: 255 }), (hdr, length, nh) => {
      const pseudo = Buffer.alloc(40);
      hdr.copy(pseudo, 0, ipv6.IPV6_SRC_OFFSET, 40);
      pseudo.writeUInt32BE(length, 32);
      pseudo[39] = nh;
      assert.equal(ipv6.pseudoHeaderSum(hdr, 0, nh, length), ipv4.onesComplementSum(pseudo, 0, 40));
    }),
    runs(),
  );
});

function checkDecodable(buf: Buffer): void {
  const v = ipv6.decode(buf);
  assert.deepEqual(ipv6.encode(v), buf.subarray(0, 40), 'what decodes re-encodes exactly');
  assert.equal(ipv6.readPayloadLength(buf, 0), v.payloadLength);
  assert.equal(ipv6.readNextHeader(buf, 0), v.nextHeader);
}

test('IPv6 property: random bytes throw only WireError; what decodes re-encodes exactly', () => {
  const arb = fc.oneof(
    bytesArbitrary(48),
    fc.tuple(fc.integer({ min: 0x60, max: 0x6f }), bytesArbitrary(48)).map(([b0, rest]) => Buffer.concat([Buffer.from([b0]), rest])),
  );
  assertOnlyWireError(arb, checkDecodable);
});

test('IPv6 property: mutated headers throw only WireError', () => {
  assertOnlyWireError(mutationArbitrary(NS_HEADER), checkDecodable);
});
