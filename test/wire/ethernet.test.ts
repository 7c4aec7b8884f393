import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as ethernet from '../../src/wire/ethernet.js';
import { EtherType, type EthernetHeader, type VlanTag } from '../../src/wire/ethernet.js';
import { formatMac } from '../../src/wire/mac-address.js';
import { WireError } from '../../src/wire/wire-error.js';
import { capturedLayers, type CapturedLayer } from '../helpers/captured-layers.js';
import { CAPTURES, readCapture, tempCapture } from '../helpers/fixtures.js';
import { assertOnlyWireError, bytesArbitrary, mutationArbitrary } from '../helpers/property.js';
import { assertRoundTrips, reencodes, roundTrip } from '../helpers/round-trip.js';
import { asList, findAll, tsharkFrames, type TsharkTree } from '../helpers/tshark.js';

/** Every Ethernet header of every capture (outer and, after VXLAN, inner), with tshark's fields. */
const capturedHeaders = (): CapturedLayer[] => capturedLayers(CAPTURES, 'eth');

const str = (v: unknown): string => {
  assert.equal(typeof v, 'string');
  return v as string;
};

test('Ethernet: captured headers (outer and inner) re-encode and match tshark', () => {
  const headers = capturedHeaders();
  assert.ok(headers.filter((h) => h.offset > 0).length >= 8, 'the VXLAN capture has inner frames');
  for (const h of headers) {
    const v = reencodes(ethernet, h.bytes);
    assert.equal(v.dst, str(h.tshark['eth.dst']), h.where);
    assert.equal(v.src, str(h.tshark['eth.src']), h.where);
    assert.equal(v.etherType, parseInt(str(h.tshark['eth.type']), 16), h.where);
    assert.deepEqual(v.vlans, [], h.where);
  }
});

test('Ethernet: hot-path readers agree with tshark on captured frames', () => {
  for (const h of capturedHeaders()) {
    const { frame, offset, tshark } = h;
    const ig = findAll(tshark, 'eth.dst.ig')[0];
    assert.equal(ethernet.isBroadcastOrMulticastDst(frame, offset), ig === '1', h.where);
    assert.equal(ethernet.isBroadcastDst(frame, offset), tshark['eth.dst'] === 'ff:ff:ff:ff:ff:ff', h.where);
    const dst = Buffer.from(str(tshark['eth.dst']).replaceAll(':', ''), 'hex');
    const src = Buffer.from(str(tshark['eth.src']).replaceAll(':', ''), 'hex');
    assert.equal(ethernet.dstMacHi16(frame, offset), dst.readUInt16BE(0), h.where);
    assert.equal(ethernet.dstMacLo32(frame, offset), dst.readUInt32BE(2), h.where);
    assert.equal(ethernet.srcMacHi16(frame, offset), src.readUInt16BE(0), h.where);
    assert.equal(ethernet.srcMacLo32(frame, offset), src.readUInt32BE(2), h.where);
    assert.equal(ethernet.mac48(frame, offset + ethernet.ETH_SRC_OFFSET), src.readUIntBE(0, 6), h.where);
    assert.equal(ethernet.readEtherType(frame, offset), parseInt(str(tshark['eth.type']), 16), h.where);
    assert.equal(ethernet.payloadOffset(frame, offset), offset + ethernet.ETH_HEADER_LENGTH, h.where);
    assert.equal(ethernet.readVid(frame, offset), -1, h.where);
    assert.equal(ethernet.isTruncated(frame, offset, frame.length - offset), false, h.where);
  }
});

// A known QinQ frame: the captured inner ARP request behind an 802.1ad S-tag
// (PCP 5, DEI 1, VID 100 -> TCI 0xb064) and an 802.1Q C-tag (PCP 0, VID 200).
const QINQ_ARP = Buffer.from(
  'ffffffffffff' + '020000000101' + '88a8b064' + '810000c8' + '0806' +
    '0001080006040001020000000101' + '0ad46401000000000000' + '0ad46402',
  'hex',
);

test('Ethernet: a known QinQ frame decodes field by field', () => {
  const v = ethernet.decode(QINQ_ARP);
  assert.equal(ethernet.decode.bytes, 22);
  assert.deepEqual(v, {
    dst: 'ff:ff:ff:ff:ff:ff',
    src: '02:00:00:00:01:01',
    vlans: [
      { tpid: 0x88a8, pcp: 5, dei: true, vid: 100 },
      { tpid: 0x8100, pcp: 0, dei: false, vid: 200 },
    ],
    etherType: EtherType.Arp,
  });
  assert.equal(ethernet.tagCount(QINQ_ARP, 0), 2);
  assert.equal(ethernet.headerLength(QINQ_ARP, 0), 22);
  assert.equal(ethernet.payloadOffset(QINQ_ARP, 0), 22);
  assert.equal(ethernet.readEtherType(QINQ_ARP, 0), 0x0806);
  assert.equal(ethernet.readVid(QINQ_ARP, 0), 100);
  assert.equal(ethernet.readInnerVid(QINQ_ARP, 0), 200);
  assert.equal(ethernet.isBroadcastDst(QINQ_ARP, 0), true);
  assert.equal(ethernet.isBroadcastOrMulticastDst(QINQ_ARP, 0), true);
  assert.deepEqual(ethernet.encode(v), QINQ_ARP.subarray(0, 22));
  for (const len of [13, 17, 21]) assert.equal(ethernet.isTruncated(QINQ_ARP, 0, len), true, `length ${len}`);
  assert.equal(ethernet.isTruncated(QINQ_ARP, 0, 22), false);
});

test('Ethernet: 802.1Q and QinQ frames built here decode as tshark decodes them', (t) => {
  const arp = QINQ_ARP.subarray(22);
  const cases: EthernetHeader[] = [
    { dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:01:01', vlans: [], etherType: EtherType.Arp },
    { dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:01:01', vlans: [{ tpid: 0x8100, pcp: 3, dei: true, vid: 10 }], etherType: EtherType.Arp },
    {
      dst: '01:00:5e:00:00:01',
      src: '02:00:00:00:02:02',
      vlans: [
        { tpid: 0x88a8, pcp: 5, dei: true, vid: 100 },
        { tpid: 0x8100, pcp: 1, dei: false, vid: 200 },
      ],
      etherType: EtherType.Arp,
    },
    {
      dst: 'ff:ff:ff:ff:ff:ff',
      src: '02:00:00:00:03:03',
      vlans: [
        { tpid: 0x9100, pcp: 7, dei: false, vid: 4094 },
        { tpid: 0x8100, pcp: 0, dei: false, vid: 1 },
      ],
      etherType: EtherType.Arp,
    },
    {
      dst: 'ff:ff:ff:ff:ff:ff',
      src: '02:00:00:00:01:01',
      vlans: [
        { tpid: 0x8100, pcp: 2, dei: false, vid: 5 },
        { tpid: 0x8100, pcp: 4, dei: true, vid: 6 },
      ],
      etherType: EtherType.Arp,
    },
  ];
  const frames = cases.map((c) => Buffer.concat([ethernet.encode(c), arp]));
  const file = tempCapture(t, 'vlans.pcap', frames);
  const decoded = tsharkFrames(file);
  assert.equal(decoded.length, cases.length);
  for (const [i, f] of decoded.entries()) {
    const v = ethernet.decode(frames[i]!);
    assert.deepEqual(v, cases[i]);
    // tshark: the outer 802.1ad tag is an 'ieee8021ad' layer, 802.1Q tags are 'vlan' layers, in frame order.
    const tags: TsharkTree[] = [];
    for (const [k, layer] of Object.entries(f.layers)) {
      if (k === 'ieee8021ad' || k === 'vlan') tags.push(...(asList(layer) as TsharkTree[]));
    }
    assert.equal(tags.length, v.vlans.length, `frame ${i}`);
    v.vlans.forEach((tag, j) => {
      const p = tag.tpid === 0x88a8 ? 'ieee8021ad' : 'vlan';
      assert.equal(tag.pcp, Number(tags[j]![`${p}.priority`]), `frame ${i} tag ${j} pcp`);
      assert.equal(tag.dei ? '1' : '0', tags[j]![`${p}.dei`], `frame ${i} tag ${j} dei`);
      assert.equal(tag.vid, Number(tags[j]![`${p}.id`]), `frame ${i} tag ${j} vid`);
      assert.equal(ethernet.readVid(frames[i]!, 0), v.vlans[0]!.vid);
    });
    assert.equal(findAll(f.layers, 'eth.type')[0], `0x${(v.vlans[0]?.tpid ?? v.etherType).toString(16).padStart(4, '0')}`);
    assert.equal(findAll(f.layers, 'arp.src.proto_ipv4')[0], '10.212.100.1', 'tshark found the ARP behind the tags');
    assert.equal(ethernet.payloadOffset(frames[i]!, 0), frames[i]!.length - arp.length);
  }
});

test('Ethernet: round trip of untagged, 802.1Q and QinQ headers', () => {
  const base = { dst: '02:00:00:00:01:01', src: 'ff:ff:ff:ff:ff:ff' };
  const tag = (tpid: number, vid: number, pcp = 0, dei = false): VlanTag => ({ tpid, pcp, dei, vid });
  const values: EthernetHeader[] = [
    { ...base, vlans: [], etherType: EtherType.Ipv4 },
    { ...base, vlans: [], etherType: EtherType.Ipv6 },
    { ...base, vlans: [], etherType: 0x0026 }, // an 802.3 length (LLC frame, e.g. STP)
    { ...base, vlans: [tag(0x8100, 0)], etherType: EtherType.Ipv4 }, // priority tag
    { ...base, vlans: [tag(0x8100, 4095, 7, true)], etherType: EtherType.QinQ },
    { ...base, vlans: [tag(0x88a8, 1), tag(0x8100, 2)], etherType: EtherType.Ipv4 },
    { ...base, vlans: [tag(0x9100, 1), tag(0x8100, 2)], etherType: EtherType.Arp },
    // A third tag is payload: its TPID is the EtherType.
    { ...base, vlans: [tag(0x88a8, 1), tag(0x8100, 2)], etherType: EtherType.Vlan },
    // An 802.1ad tag behind an 802.1Q one is not read as a tag.
    { ...base, vlans: [tag(0x8100, 1)], etherType: EtherType.QinQ },
  ];
  for (const v of values) roundTrip(ethernet, v);
  assert.equal(ethernet.isLengthField(0x0026), true);
  assert.equal(ethernet.isLengthField(EtherType.Ipv4), false);
});

test('Ethernet: truncated headers and tags throw WireError (drop)', () => {
  const isDrop = (e: unknown): boolean => e instanceof WireError && e.action === 'drop' && e.code === 0;
  for (const len of [0, 13, 14, 17, 18, 21]) {
    assert.throws(() => ethernet.decode(QINQ_ARP.subarray(0, len)), isDrop, `length ${len}`);
  }
  const one = Buffer.from('ffffffffffff020000000101810000640800', 'hex');
  assert.deepEqual(ethernet.decode(one).vlans, [{ tpid: 0x8100, pcp: 0, dei: false, vid: 100 }]);
  assert.throws(() => ethernet.decode(one.subarray(0, 17)), isDrop);
  assert.throws(() => ethernet.decode(one, 5), isDrop);
  assert.throws(() => ethernet.decode(one, -1), isDrop);
});

test('Ethernet: encode refuses headers that would not decode to the same value', () => {
  const base = { dst: '02:00:00:00:01:01', src: '02:00:00:00:01:02' };
  const tag = (tpid: number): VlanTag => ({ tpid, pcp: 0, dei: false, vid: 1 });
  const bad: EthernetHeader[] = [
    { ...base, vlans: [], etherType: EtherType.Vlan },
    { ...base, vlans: [], etherType: EtherType.QinQ },
    { ...base, vlans: [], etherType: EtherType.QinQ9100 },
    { ...base, vlans: [tag(0x88a8)], etherType: EtherType.Vlan },
    { ...base, vlans: [tag(0x0800)], etherType: EtherType.Ipv4 },
    { ...base, vlans: [tag(0x88a8), tag(0x88a8)], etherType: EtherType.Ipv4 },
    { ...base, vlans: [tag(0x8100), tag(0x8100), tag(0x8100)], etherType: EtherType.Ipv4 },
    { ...base, vlans: [{ tpid: 0x8100, pcp: 8, dei: false, vid: 1 }], etherType: EtherType.Ipv4 },
    { ...base, vlans: [{ tpid: 0x8100, pcp: 0, dei: false, vid: 4096 }], etherType: EtherType.Ipv4 },
    { ...base, vlans: [], etherType: 0x10000 },
  ];
  for (const v of bad) assert.throws(() => ethernet.encode(v), RangeError, JSON.stringify(v));
  assert.throws(() => ethernet.encode({ ...base, dst: 'not-a-mac', vlans: [], etherType: 0x0800 }), TypeError);
});

// ---------------------------------------------------------------------------
// Properties

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => formatMac(b));
const tciArb = { pcp: fc.integer({ min: 0, max: 7 }), dei: fc.boolean(), vid: fc.integer({ min: 0, max: 0xfff }) };
const noNull = { noNullPrototype: true } as const;
const outerTagArb = fc.record({ tpid: fc.constantFrom(0x8100, 0x88a8, 0x9100), ...tciArb }, noNull);
const innerTagArb = fc.record({ tpid: fc.constant(0x8100), ...tciArb }, noNull);
const etherTypeArb = fc.oneof(
  fc.constantFrom(0x0800, 0x0806, 0x86dd, 0x8100, 0x88a8, 0x9100),
  fc.integer({ min: 0, max: 0xffff }),
);
const headerArb: fc.Arbitrary<EthernetHeader> = fc
  .record({
    dst: macArb,
    src: macArb,
    vlans: fc.oneof(
      fc.constant([] as VlanTag[]),
      fc.tuple(outerTagArb),
      fc.tuple(outerTagArb, innerTagArb),
    ) as fc.Arbitrary<VlanTag[]>,
    etherType: etherTypeArb,
  }, noNull)
  .filter(
    (v) =>
      !(v.vlans.length === 0 && ethernet.isOuterTpid(v.etherType)) &&
      !(v.vlans.length === 1 && v.etherType === EtherType.Vlan),
  );

test('Ethernet property: encode then decode is the identity', () => {
  assertRoundTrips(ethernet, headerArb);
});

/** Anything decode accepts re-encodes to the same bytes and agrees with the in-place readers. */
function checkDecodable(buf: Buffer): void {
  let v: EthernetHeader;
  try {
    v = ethernet.decode(buf);
  } catch (e) {
    if (e instanceof WireError) {
      assert.equal(ethernet.isTruncated(buf, 0, buf.length), true, 'decode fails only on truncated headers');
      return;
    }
    throw e;
  }
  const n = ethernet.decode.bytes;
  assert.equal(ethernet.isTruncated(buf, 0, buf.length), false);
  assert.deepEqual(ethernet.encode(v), buf.subarray(0, n));
  assert.equal(ethernet.headerLength(buf, 0), n);
  assert.equal(ethernet.tagCount(buf, 0), v.vlans.length);
  assert.equal(ethernet.readEtherType(buf, 0), v.etherType);
  assert.equal(ethernet.readVid(buf, 0), v.vlans[0]?.vid ?? -1);
  assert.equal(ethernet.readInnerVid(buf, 0), v.vlans[1]?.vid ?? -1);
  assert.equal(ethernet.dstMacHi16(buf, 0) * 2 ** 32 + ethernet.dstMacLo32(buf, 0), parseInt(v.dst.replaceAll(':', ''), 16));
  assert.equal(ethernet.srcMacHi16(buf, 0) * 2 ** 32 + ethernet.srcMacLo32(buf, 0), parseInt(v.src.replaceAll(':', ''), 16));
}

test('Ethernet property: random bytes throw only WireError; what decodes re-encodes exactly', () => {
  // Bias the type fields toward TPIDs so tagged paths are exercised.
  const tpid = fc.constantFrom(0x8100, 0x88a8, 0x9100, 0x0800);
  const arb = fc.oneof(
    bytesArbitrary(30),
    fc.tuple(bytesArbitrary(30), tpid, tpid).map(([b, t1, t2]) => {
      const buf = Buffer.alloc(Math.max(b.length, 0));
      b.copy(buf);
      if (buf.length >= 14) buf.writeUInt16BE(t1, 12);
      if (buf.length >= 18) buf.writeUInt16BE(t2, 16);
      return buf;
    }),
  );
  assertOnlyWireError(arb, checkDecodable);
});

test('Ethernet property: mutated captured and QinQ frames throw only WireError', () => {
  const samples = [readCapture('vxlan-kernel-arp-icmp').records[0]!.data.subarray(50, 70), QINQ_ARP.subarray(0, 26)];
  assertOnlyWireError(fc.oneof(...samples.map((s) => mutationArbitrary(s))), checkDecodable);
});
