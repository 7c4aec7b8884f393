import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as arp from '../../src/wire/arp.js';
import { ArpOperation, type ArpPacket } from '../../src/wire/arp.js';
import { formatIpv4 } from '../../src/wire/ip-address.js';
import { formatMac } from '../../src/wire/mac-address.js';
import { WireError } from '../../src/wire/wire-error.js';
import { capturedLayers, type CapturedLayer } from '../helpers/captured-layers.js';
import { assertOnlyWireError, bytesArbitrary, mutationArbitrary } from '../helpers/property.js';
import { assertRoundTrips, reencodes, roundTrip } from '../helpers/round-trip.js';

const ipU32 = (text: string): number => text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

/** The ARP packets inside the VXLAN capture (behind outer Eth/IPv4/UDP/VXLAN and the inner Ethernet header). */
const capturedArp = (): CapturedLayer[] => capturedLayers(['vxlan-kernel-arp-icmp'], 'arp');

test('ARP: captured request and reply (inside VXLAN) re-encode and match tshark', () => {
  const packets = capturedArp();
  assert.equal(packets.length, 2, 'one request, one reply');
  for (const p of packets) {
    // 14 (outer Ethernet) + 20 (IPv4) + 8 (UDP) + 8 (VXLAN) + 14 (inner Ethernet).
    assert.equal(p.offset, 64, `#${p.number}`);
    const v = reencodes(arp, p.bytes);
    const t = p.tshark;
    assert.equal(Number(t['arp.hw.type']), arp.ARP_HTYPE_ETHERNET);
    assert.equal(parseInt(t['arp.proto.type'] as string, 16), arp.ARP_PTYPE_IPV4);
    assert.equal(Number(t['arp.hw.size']), 6);
    assert.equal(Number(t['arp.proto.size']), 4);
    assert.equal(v.operation, Number(t['arp.opcode']), `#${p.number}`);
    assert.equal(v.senderMac, t['arp.src.hw_mac'], `#${p.number}`);
    assert.equal(v.senderIp, t['arp.src.proto_ipv4'], `#${p.number}`);
    assert.equal(v.targetMac, t['arp.dst.hw_mac'], `#${p.number}`);
    assert.equal(v.targetIp, t['arp.dst.proto_ipv4'], `#${p.number}`);

    // The in-place readers on the whole frame.
    assert.equal(arp.isEthernetIpv4(p.frame, p.offset), true);
    assert.equal(arp.readOperation(p.frame, p.offset), v.operation);
    assert.equal(arp.readSenderIpU32(p.frame, p.offset), ipU32(t['arp.src.proto_ipv4'] as string));
    assert.equal(arp.readTargetIpU32(p.frame, p.offset), ipU32(t['arp.dst.proto_ipv4'] as string));
    assert.equal(arp.isGratuitous(p.frame, p.offset), false);
    assert.equal(arp.isProbe(p.frame, p.offset), false);
  }
  assert.deepEqual(
    packets.map((p) => arp.decode(p.bytes).operation),
    [ArpOperation.Request, ArpOperation.Reply],
  );
});

test('ARP: Ethernet padding after the 28 bytes is not consumed', () => {
  const [p] = capturedArp();
  const padded = Buffer.concat([p!.bytes, Buffer.alloc(18)]);
  arp.decode(padded);
  assert.equal(arp.decode.bytes, 28);
});

test('ARP: gratuitous announcements and probes (RFC 5227)', () => {
  const announce: ArpPacket = {
    operation: ArpOperation.Request,
    senderMac: '02:00:00:00:01:01',
    senderIp: '10.212.100.1',
    targetMac: '00:00:00:00:00:00',
    targetIp: '10.212.100.1',
  };
  const a = roundTrip(arp, announce);
  assert.equal(arp.isGratuitous(a, 0), true);
  assert.equal(arp.isProbe(a, 0), false);
  const probe = roundTrip(arp, { ...announce, senderIp: '0.0.0.0' });
  assert.equal(arp.isProbe(probe, 0), true);
  assert.equal(arp.isGratuitous(probe, 0), false);
  // Operation numbers beyond request/reply are read as numbers.
  roundTrip(arp, { ...announce, operation: ArpOperation.InverseReply });
  roundTrip(arp, { ...announce, operation: 0xffff });
});

test('ARP: only Ethernet/IPv4 is read; other combinations and short packets are WireError (drop)', () => {
  const [p] = capturedArp();
  const isDrop = (e: unknown): boolean => e instanceof WireError && e.action === 'drop' && e.code === 0;
  const edit = (i: number, v: number): Buffer => {
    const b = Buffer.from(p!.bytes);
    b[i] = v;
    return b;
  };
  assert.throws(() => arp.decode(edit(1, 6)), isDrop, 'hardware type 6 (IEEE 802)');
  assert.throws(() => arp.decode(edit(2, 0x86)), isDrop, 'protocol type 0x86dd-ish');
  assert.throws(() => arp.decode(edit(4, 8)), isDrop, 'hardware length 8');
  assert.throws(() => arp.decode(edit(5, 16)), isDrop, 'protocol length 16');
  for (const len of [0, 7, 8, 27]) assert.throws(() => arp.decode(p!.bytes.subarray(0, len)), isDrop, `length ${len}`);
});

test('ARP: encode rejects bad values', () => {
  const v: ArpPacket = {
    operation: 1,
    senderMac: '02:00:00:00:01:01',
    senderIp: '10.0.0.1',
    targetMac: '00:00:00:00:00:00',
    targetIp: '10.0.0.2',
  };
  assert.throws(() => arp.encode({ ...v, operation: 0x10000 }), RangeError);
  assert.throws(() => arp.encode({ ...v, senderIp: '2001:db8::1' }), TypeError);
  assert.throws(() => arp.encode({ ...v, targetMac: '02:00:00:00:01' }), TypeError);
  const buf = Buffer.alloc(28, 0xa5);
  assert.throws(() => arp.encode({ ...v, targetIp: 'x' }, buf), TypeError);
  assert.ok(buf.every((b) => b === 0xa5), 'a bad value leaves the buffer untouched');
});

// ---------------------------------------------------------------------------
// Properties

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).map((b) => formatMac(b));
const ipArb = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatIpv4(b));
const packetArb: fc.Arbitrary<ArpPacket> = fc.record(
  {
    operation: fc.oneof(fc.constantFrom(1, 2), fc.integer({ min: 0, max: 0xffff })),
    senderMac: macArb,
    senderIp: ipArb,
    targetMac: macArb,
    targetIp: ipArb,
  },
  { noNullPrototype: true },
);

test('ARP property: encode then decode is the identity', () => {
  assertRoundTrips(arp, packetArb);
});

function checkDecodable(buf: Buffer): void {
  const v = arp.decode(buf);
  assert.deepEqual(arp.encode(v), buf.subarray(0, arp.ARP_LENGTH), 'what decodes re-encodes exactly');
}

test('ARP property: random bytes throw only WireError; what decodes re-encodes exactly', () => {
  // Half the cases start with the Ethernet/IPv4 prefix so the success path is exercised.
  const prefix = Buffer.from('000108000604', 'hex');
  const arb = fc.oneof(
    bytesArbitrary(40),
    bytesArbitrary(40).map((b) => Buffer.concat([prefix, b])),
  );
  assertOnlyWireError(arb, checkDecodable);
});

test('ARP property: mutated captured packets throw only WireError', () => {
  const [req, rep] = capturedArp();
  assertOnlyWireError(fc.oneof(mutationArbitrary(req!.bytes), mutationArbitrary(rep!.bytes)), checkDecodable);
});
