// The rtnetlink codecs by construction: hand-made edge cases, round trips
// of generated values (at offset 0 and inside a larger buffer), and the
// robustness properties: random bytes, and mutations of every message of
// the capture (rtnetlink-capture.test.ts), only ever throw WireError.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { endianness } from 'node:os';
import { readU32, writeU16, writeU32 } from '../../src/wire/host-order.js';
import * as netlinkDone from '../../src/wire/netlink-done.js';
import * as netlinkError from '../../src/wire/netlink-error.js';
import { extackMessage } from '../../src/wire/netlink-error.js';
import * as netlinkHeader from '../../src/wire/netlink-header.js';
import { NetlinkFlag } from '../../src/wire/netlink-header.js';
import { attributeValue, formatLinkAddress, parseLinkAddress } from '../../src/wire/rtnetlink-attribute.js';
import * as link from '../../src/wire/rtnetlink-link.js';
import * as rtnetlinkMessage from '../../src/wire/rtnetlink-message.js';
import { RtmType } from '../../src/wire/rtnetlink-message.js';
import * as neighbour from '../../src/wire/rtnetlink-neighbour.js';
import * as route from '../../src/wire/rtnetlink-route.js';
import { AddressFamily } from '../../src/wire/rtnetlink-route.js';
import { WireError } from '../../src/wire/wire-error.js';
import { readRtnetlinkCapture } from '../helpers/capture-rtnetlink.js';
import { assertOnlyWireError, bytesArbitrary, mutationArbitrary } from '../helpers/property.js';
import { assertRoundTrips, roundTrip, TO_END } from '../helpers/round-trip.js';
import {
  doneArb,
  errorArb,
  headerArb,
  linkMessageArb,
  neighbourMessageArb,
  routeMessageArb,
  rtnetlinkMessageArb,
} from '../helpers/rtnetlink-arbitraries.js';

const isWire = (offset?: number) => (e: unknown) => e instanceof WireError && e.action === 'drop' && (offset === undefined || e.offset === offset);

/** An attribute's bytes: length, type (host order), value, zero padding. */
function attribute(type: number, value: Buffer): Buffer {
  const out = Buffer.alloc((4 + value.length + 3) & ~3);
  writeU16(out, 4 + value.length, 0);
  writeU16(out, type, 2);
  value.copy(out, 4);
  return out;
}

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  writeU32(b, v, 0);
  return b;
}

/** An IPv4 rtmsg header followed by `attributes`. */
function routeBody(...attributes: Buffer[]): Buffer {
  const head = Buffer.from([AddressFamily.Inet, 32, 0, 0, 254, 4, 0, 1, 0, 0, 0, 0]);
  return Buffer.concat([head, ...attributes]);
}

test('host order: netlink integers are written in the byte order of this machine', () => {
  const b = Buffer.alloc(4);
  writeU32(b, 0x01020304, 0);
  assert.deepEqual([...b], endianness() === 'LE' ? [4, 3, 2, 1] : [1, 2, 3, 4]);
  assert.equal(readU32(b, 0), 0x01020304);
});

test('nlmsghdr: round trip at offsets; a length shorter than the header or a cut header is a WireError', () => {
  roundTrip(netlinkHeader, { length: 36, type: RtmType.GetRoute, flags: NetlinkFlag.Request, seq: 7, pid: 0 });
  const short = netlinkHeader.encode({ length: 16, type: 2, flags: 0, seq: 0, pid: 0 });
  writeU32(short, 15, 0);
  assert.throws(() => netlinkHeader.decode(short), isWire(0));
  assert.throws(() => netlinkHeader.decode(Buffer.alloc(15)), isWire(0));
  assert.throws(() => netlinkHeader.encode({ length: 15, type: 0, flags: 0, seq: 0, pid: 0 }), RangeError);
  assert.throws(() => netlinkHeader.encode({ length: 16, type: 0x10000, flags: 0, seq: 0, pid: 0 }), RangeError);
});

test('attributes: a missing last padding is tolerated; a bad length or a stray byte is a WireError at its offset', () => {
  // RTA_OIF = 4 then RTA_PRIORITY = 1024, the last attribute unpadded: a u8 would be, but these are u32s anyway.
  const body = routeBody(attribute(4, u32(4)), attribute(6, u32(1024)));
  const r = route.decode(body);
  assert.equal(attributeValue(r.attributes, 'oif'), 4);
  assert.equal(attributeValue(r.attributes, 'priority'), 1024);
  // RTA_PREF is a u8: 5 bytes, padded to 8; drop the padding of the last one.
  const pref = routeBody(attribute(20, Buffer.from([2])));
  assert.equal(attributeValue(route.decode(pref.subarray(0, pref.length - 3)).attributes, 'pref'), 2);

  const tooLong = routeBody(attribute(4, u32(4)));
  writeU16(tooLong, 12, 12);
  assert.throws(() => route.decode(tooLong), isWire(12));
  const tooShort = routeBody(attribute(4, u32(4)));
  writeU16(tooShort, 3, 12);
  assert.throws(() => route.decode(tooShort), isWire(12));
  assert.throws(() => route.decode(Buffer.concat([routeBody(attribute(4, u32(4))), Buffer.from([1, 2])])), isWire(20));
});

test('attributes: a value of the wrong size is a WireError naming the attribute; odd text stays bytes', () => {
  assert.throws(
    () => route.decode(routeBody(attribute(4, Buffer.from([1, 2, 3])))),
    (e: unknown) => isWire(16)(e) && /route attribute oif: 3 bytes, expected 4/.test((e as Error).message),
  );
  assert.throws(() => route.decode(routeBody(attribute(5, Buffer.alloc(5)))), /route attribute gateway: 5 bytes is not an IP address/);
  // A multipath path whose own attribute overflows: the offset is in the message.
  const path = Buffer.alloc(8);
  writeU16(path, 8 + 8, 0);
  const nested = Buffer.concat([path, attribute(5, Buffer.from([10, 0, 0, 1]))]);
  writeU16(nested, 200, 8);
  assert.throws(() => route.decode(routeBody(attribute(9, nested))), isWire(12 + 4 + 8));

  const ifinfo = Buffer.alloc(16);
  const noNul = link.decode(Buffer.concat([ifinfo, attribute(3, Buffer.from('eth0'))]));
  assert.deepEqual(noNul.attributes, [{ kind: 'other', type: 3, value: Buffer.from('eth0') }]);
  const badUtf8 = link.decode(Buffer.concat([ifinfo, attribute(3, Buffer.from([0xff, 0xfe, 0]))]));
  assert.equal(badUtf8.attributes[0]!.kind, 'other');
  assert.deepEqual(link.decode(Buffer.concat([ifinfo, attribute(3, Buffer.from('eth0\0'))])).attributes, [{ kind: 'ifname', value: 'eth0' }]);
});

test('attributes: encoding checks kinds and values', () => {
  const base = { family: AddressFamily.Inet, dstLength: 32, srcLength: 0, tos: 0, table: 254, protocol: 0, scope: 0, type: 1, flags: 0 };
  assert.throws(() => route.encode({ ...base, attributes: [{ kind: 'ifname' as 'dst', value: 'x' }] }), RangeError);
  assert.throws(() => route.encode({ ...base, attributes: [{ kind: 'oif', value: -1 }] }), RangeError);
  assert.throws(() => route.encode({ ...base, attributes: [{ kind: 'dst', value: 'not an address' }] }), TypeError);
  assert.throws(() => link.encode({ family: 0, deviceType: 1, index: 1, flags: 0, change: 0, attributes: [{ kind: 'ifname', value: 'a\0b' }] }), RangeError);
  // A family other than IPv4/IPv6 interprets nothing: its attributes are 'other'.
  const mpls = route.decode(route.encode({ ...base, family: AddressFamily.Mpls, attributes: [{ kind: 'other', type: 1, value: Buffer.from([0, 1, 0x41, 0]) }] }));
  assert.equal(mpls.attributes[0]!.kind, 'other');
});

test('link-layer addresses: any length up to 32 bytes, as iproute2 prints them', () => {
  assert.equal(formatLinkAddress(Buffer.from([2, 0, 0, 0, 0, 0xab])), '02:00:00:00:00:ab');
  assert.equal(formatLinkAddress(Buffer.alloc(0)), '');
  assert.deepEqual(parseLinkAddress('0a:00:00:01'), Buffer.from([10, 0, 0, 1]));
  assert.throws(() => parseLinkAddress('2:0:0:0:0:1'), TypeError);
  assert.throws(() => parseLinkAddress(Array(33).fill('00').join(':')), TypeError);
  assert.throws(() => neighbour.decode(Buffer.concat([Buffer.alloc(12), attribute(2, Buffer.alloc(33))])), isWire(16));
});

test('NLMSG_ERROR: the echoed request unless Capped, extended ACK attributes when AckTlvs', () => {
  const request = { length: 36, type: RtmType.GetRoute, flags: NetlinkFlag.Request, seq: 9, pid: 0 };
  const capped = { error: -101, request, requestPayload: Buffer.alloc(0), extack: [] };
  roundTrip(netlinkError, capped, NetlinkFlag.Capped, TO_END);
  const echoed = { ...capped, requestPayload: Buffer.alloc(20, 7) };
  roundTrip(netlinkError, echoed, 0, TO_END);
  // Without Capped the payload the request header announces must be there.
  const cut = netlinkError.encode(echoed, undefined, 0, 0).subarray(0, 30);
  assert.throws(() => netlinkError.decode(cut, 0, 0), WireError);
  const msg = { type: netlinkError.ExtackAttribute.Msg, value: Buffer.from('Nexthop device is not up\0') };
  const withExtack = { ...capped, extack: [msg] };
  const bytes = roundTrip(netlinkError, withExtack, NetlinkFlag.Capped | NetlinkFlag.AckTlvs, TO_END);
  assert.equal(extackMessage(netlinkError.decode(bytes, 0, NetlinkFlag.Capped | NetlinkFlag.AckTlvs).extack), 'Nexthop device is not up');
  assert.throws(() => netlinkError.decode(bytes, 0, NetlinkFlag.Capped), WireError, 'trailing bytes without AckTlvs');
  assert.throws(() => netlinkError.encode(withExtack, undefined, 0, NetlinkFlag.Capped), RangeError);
  assert.throws(() => netlinkError.encode({ ...capped, error: 1 }, undefined, 0, NetlinkFlag.Capped), RangeError);
});

test('NLMSG_DONE: a status, and extended ACK attributes when AckTlvs', () => {
  roundTrip(netlinkDone, { error: 0, extack: [] }, 0, TO_END);
  roundTrip(netlinkDone, { error: -4, extack: [{ type: 1, value: Buffer.from('dump interrupted\0') }] }, NetlinkFlag.AckTlvs, TO_END);
  assert.throws(() => netlinkDone.decode(Buffer.alloc(3)), WireError);
  assert.throws(() => netlinkDone.decode(Buffer.alloc(8)), WireError);
});

test('messages: the body follows the type; a length past the datagram is a WireError', () => {
  const get = rtnetlinkMessage.encode({
    kind: 'neighbour',
    type: RtmType.GetNeigh,
    flags: NetlinkFlag.Request | NetlinkFlag.Dump,
    seq: 4,
    pid: 0,
    body: { family: AddressFamily.Inet, ifindex: 0, state: 0, flags: 0, type: 0, attributes: [] },
  });
  assert.equal(get.length, 28);
  assert.equal(rtnetlinkMessage.decode(get).kind, 'neighbour');
  assert.throws(() => rtnetlinkMessage.decode(get.subarray(0, 27)), isWire(0));
  assert.throws(
    () => rtnetlinkMessage.encode({ kind: 'route', type: RtmType.GetNeigh, flags: 0, seq: 0, pid: 0, body: route.decode(routeBody()) }),
    /type 30 carries a neighbour body, not route/,
  );
  // Two messages in one datagram: the second starts at the aligned end of the first.
  const other = rtnetlinkMessage.encode({ kind: 'other', type: 99, flags: 0, seq: 1, pid: 0, body: Buffer.from([1, 2, 3]) });
  const datagram = Buffer.concat([other, Buffer.alloc(1), get]);
  rtnetlinkMessage.decode(datagram, 0);
  assert.equal(rtnetlinkMessage.decode.bytes, 19);
  assert.equal(rtnetlinkMessage.decode(datagram, netlinkHeader.align4(19)).seq, 4);
});

// ---------------------------------------------------------------- properties

// The family's cases (PROPERTY_RUNS, 100,000 in CI) are shared out among its codecs.
test('round trips: generated route, neighbour and link bodies (at offsets)', () => {
  assertRoundTrips(route, routeMessageArb, undefined, TO_END, 0.15);
  assertRoundTrips(neighbour, neighbourMessageArb, undefined, TO_END, 0.15);
  assertRoundTrips(link, linkMessageArb, undefined, TO_END, 0.15);
});

test('round trips: generated headers, error and done payloads, whole messages', () => {
  assertRoundTrips(netlinkHeader, headerArb, undefined, {}, 0.05);
  for (const flags of [0, NetlinkFlag.Capped, NetlinkFlag.AckTlvs, NetlinkFlag.Capped | NetlinkFlag.AckTlvs]) {
    assertRoundTrips(netlinkError, errorArb(flags), flags, TO_END, 0.025);
    assertRoundTrips(netlinkDone, doneArb(flags), flags, TO_END, 0.025);
  }
  assertRoundTrips(rtnetlinkMessage, rtnetlinkMessageArb, undefined, {}, 0.3);
});

test('robustness: random bytes only ever throw WireError', () => {
  assertOnlyWireError(bytesArbitrary(200), (b) => rtnetlinkMessage.decode(b), 0.3);
  assertOnlyWireError(
    fc.tuple(bytesArbitrary(120), fc.integer({ min: 0, max: 0xffff })),
    ([b, flags]) => {
      route.decode(b);
      neighbour.decode(b);
      link.decode(b);
      netlinkError.decode(b, 0, flags);
      netlinkDone.decode(b, 0, flags);
    },
    0.3,
  );
  // Random bodies behind a valid header of each kind, so the body decoders are reached.
  assertOnlyWireError(
    fc.tuple(fc.constantFrom(2, 3, 16, 24, 28), fc.integer({ min: 0, max: 0xffff }), bytesArbitrary(120)),
    ([type, flags, body]) => {
      const m = Buffer.concat([netlinkHeader.encode({ length: 16 + body.length, type, flags, seq: 0, pid: 0 }), body]);
      rtnetlinkMessage.decode(m);
    },
    0.2,
  );
});

test('robustness: mutations of every captured message only ever throw WireError', () => {
  const messages = readRtnetlinkCapture().datagrams.flatMap((d) => d.messages);
  for (const m of messages) assertOnlyWireError(mutationArbitrary(m), (b) => rtnetlinkMessage.decode(b), 0.2 / messages.length);
});
