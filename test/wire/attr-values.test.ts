// The attribute value codecs (src/wire/attr-*.ts) on their own: examples,
// text forms, encoder limits. RFC 7606 handling inside a block is in
// path-attributes.test.ts; generated values round-trip there too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as attrAggregator from '../../src/wire/attr-aggregator.js';
import * as attrAsPath from '../../src/wire/attr-as-path.js';
import { asPathLength, formatAsPath } from '../../src/wire/attr-as-path.js';
import * as attrAtomicAggregate from '../../src/wire/attr-atomic-aggregate.js';
import * as attrClusterList from '../../src/wire/attr-cluster-list.js';
import * as attrCommunities from '../../src/wire/attr-communities.js';
import { formatCommunity, parseCommunity, WellKnownCommunity } from '../../src/wire/attr-communities.js';
import * as attrExtendedCommunities from '../../src/wire/attr-extended-communities.js';
import * as attrLocalPref from '../../src/wire/attr-local-pref.js';
import * as attrMed from '../../src/wire/attr-med.js';
import * as attrMpReachNlri from '../../src/wire/attr-mp-reach-nlri.js';
import type { MpReachNlri } from '../../src/wire/attr-mp-reach-nlri.js';
import * as attrMpUnreachNlri from '../../src/wire/attr-mp-unreach-nlri.js';
import * as attrNextHop from '../../src/wire/attr-next-hop.js';
import * as attrOrigin from '../../src/wire/attr-origin.js';
import { originCode } from '../../src/wire/attr-origin.js';
import * as attrOriginatorId from '../../src/wire/attr-originator-id.js';
import * as attrPmsiTunnel from '../../src/wire/attr-pmsi-tunnel.js';
import type { BgpContext } from '../../src/wire/bgp-context.js';
import { AS4_CONTEXT, DEFAULT_CONTEXT } from '../../src/wire/bgp-context.js';
import { WireError } from '../../src/wire/wire-error.js';
import { reencodes, roundTrip, TO_END } from '../helpers/round-trip.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('ORIGIN: igp/egp/incomplete and their RIB codes', () => {
  assert.equal(reencodes(attrOrigin, hex('00'), undefined, TO_END), 'igp');
  assert.equal(reencodes(attrOrigin, hex('01'), undefined, TO_END), 'egp');
  assert.equal(reencodes(attrOrigin, hex('02'), undefined, TO_END), 'incomplete');
  assert.deepEqual(['igp', 'egp', 'incomplete'].map((o) => originCode(o as attrOrigin.Origin)), ['i', 'e', '?']);
  assert.throws(() => attrOrigin.decode(hex('03')), (e: unknown) => e instanceof WireError && e.subcode === 6);
});

test('AS_PATH: 2- and 4-octet segments of every type, text form, path length', () => {
  const segments: attrAsPath.AsPathSegment[] = [
    { type: 'as-confed-sequence', asns: [65010] },
    { type: 'as-sequence', asns: [65001, 65002] },
    { type: 'as-set', asns: [65003, 65004] },
    { type: 'as-confed-set', asns: [65011, 65012] },
  ];
  const two = roundTrip(attrAsPath, segments, { as4: false }, TO_END);
  assert.deepEqual(two, hex('0301fdf2 0202fde9fdea 0102fdebfdec 0402fdf3fdf4'));
  const four = roundTrip(attrAsPath, segments, { as4: true }, TO_END);
  assert.equal(four.length, 2 * 4 + 7 * 4);
  assert.equal(formatAsPath(segments), '(65010) 65001 65002 {65003,65004} [65011,65012]');
  assert.equal(asPathLength(segments), 3, 'RFC 4271 §9.1.2.2: a set counts 1, confederation segments 0');
  assert.deepEqual(attrAsPath.decode(Buffer.alloc(0)), [], 'iBGP: empty AS_PATH');
});

test('AS_PATH: encoder refuses what a receiver would call malformed', () => {
  assert.throws(() => attrAsPath.encode([{ type: 'as-sequence', asns: [] }]), RangeError);
  assert.throws(() => attrAsPath.encode([{ type: 'as-sequence', asns: new Array(256).fill(1) }]), RangeError);
  assert.throws(() => attrAsPath.encode([{ type: 'as-sequence', asns: [70000] }], undefined, 0, { as4: false }), /AS_TRANS/);
  assert.deepEqual(attrAsPath.encode([{ type: 'as-sequence', asns: [70000] }], undefined, 0, { as4: true }), hex('0201 00011170'));
});

test('NEXT_HOP, MULTI_EXIT_DISC, LOCAL_PREF, ORIGINATOR_ID: 4 octets', () => {
  assert.equal(reencodes(attrNextHop, hex('0ad40001'), undefined, TO_END), '10.212.0.1');
  assert.equal(reencodes(attrMed, hex('ffffffff'), undefined, TO_END), 0xffffffff);
  assert.equal(reencodes(attrLocalPref, hex('00000064'), undefined, TO_END), 100);
  assert.equal(reencodes(attrOriginatorId, hex('0ad4001e'), undefined, TO_END), '10.212.0.30');
  assert.throws(() => attrNextHop.encode('2001:db8::1'), TypeError);
  assert.throws(() => attrMed.encode(-1), RangeError);
  assert.throws(() => attrLocalPref.encode(2 ** 32), RangeError);
});

test('ATOMIC_AGGREGATE: empty, value null', () => {
  assert.equal(reencodes(attrAtomicAggregate, Buffer.alloc(0), undefined, TO_END), null);
  assert.throws(() => attrAtomicAggregate.decode(hex('00')), (e: unknown) => e instanceof WireError && e.action === 'attribute-discard');
});

test('AGGREGATOR: 6 octets on a 2-octet session, 8 with 4-octet ASNs', () => {
  assert.deepEqual(reencodes(attrAggregator, hex('fde8 0a000001'), { as4: false }, TO_END), { asn: 65000, address: '10.0.0.1' });
  assert.deepEqual(reencodes(attrAggregator, hex('00011170 0a000001'), { as4: true }, TO_END), { asn: 70000, address: '10.0.0.1' });
  assert.throws(() => attrAggregator.encode({ asn: 70000, address: '10.0.0.1' }, undefined, 0, { as4: false }), RangeError);
});

test('COMMUNITIES: values, well-known names in text', () => {
  assert.deepEqual(reencodes(attrCommunities, hex('fde80064 ffffff01'), undefined, TO_END), [0xfde80064, WellKnownCommunity.NoExport]);
  assert.equal(formatCommunity(0xfde80064), '65000:100');
  assert.equal(formatCommunity(WellKnownCommunity.NoExport), 'no-export');
  assert.equal(formatCommunity(WellKnownCommunity.NoAdvertise), 'no-advertise');
  assert.equal(formatCommunity(WellKnownCommunity.NoExportSubconfed), 'no-export-subconfed');
  assert.equal(formatCommunity(WellKnownCommunity.GracefulShutdown), 'graceful-shutdown');
  assert.equal(formatCommunity(WellKnownCommunity.Blackhole), 'blackhole');
  assert.equal(parseCommunity('no-export'), 0xffffff01);
  assert.equal(parseCommunity('NO-PEER'), WellKnownCommunity.NoPeer);
  assert.equal(parseCommunity('65535:65281'), WellKnownCommunity.NoExport);
  assert.equal(parseCommunity('0:0'), 0);
  for (const bad of ['65536:1', '1:65536', 'no-such', '65000', '1:2:3']) assert.throws(() => parseCommunity(bad), TypeError, bad);
  assert.throws(() => attrCommunities.encode([]), RangeError, 'RFC 7606 §7.8: never send an empty list');
});

test('CLUSTER_LIST: dotted quads, most recent first', () => {
  assert.deepEqual(reencodes(attrClusterList, hex('0ad400fe 0a000001'), undefined, TO_END), ['10.212.0.254', '10.0.0.1']);
  assert.throws(() => attrClusterList.encode([]), RangeError);
});

test('EXTENDED_COMMUNITIES: the FRR pair (encapsulation VXLAN, RT 65000:100)', () => {
  assert.deepEqual(reencodes(attrExtendedCommunities, hex('030c000000000008 0002fde800000064'), undefined, TO_END), [
    { kind: 'encapsulation', tunnelType: 8 },
    { kind: 'route-target', format: 'as2', asn: 65000, assigned: 100 },
  ]);
});

test('PMSI_TUNNEL: ingress replication with an IPv4 or IPv6 endpoint, label = VNI', () => {
  assert.deepEqual(reencodes(attrPmsiTunnel, hex('00 06 000064 0ad4001e'), undefined, TO_END), {
    flags: 0,
    tunnelType: 6,
    label: 100,
    tunnelId: '10.212.0.30',
  });
  assert.deepEqual(reencodes(attrPmsiTunnel, hex('01 06 ffffff 20010db8000000000000000000000001'), undefined, TO_END), {
    flags: 1,
    tunnelType: 6,
    label: 0xffffff,
    tunnelId: '2001:db8::1',
  });
  assert.throws(() => attrPmsiTunnel.encode({ flags: 0, tunnelType: 6, label: 1, tunnelId: Buffer.alloc(4) }), TypeError);
  assert.throws(() => attrPmsiTunnel.encode({ flags: 0, tunnelType: 3, label: 1, tunnelId: '10.0.0.1' }), TypeError);
  assert.throws(() => attrPmsiTunnel.encode({ flags: 0, tunnelType: 6, label: 1 << 24, tunnelId: '10.0.0.1' }), RangeError);
});

const ADD_PATH: BgpContext = { ...AS4_CONTEXT, addPath: new Set(['25/70', '2/1']) };

test('MP_REACH_NLRI: EVPN with an IPv4 next hop (the FRR Type 3 of the captures)', () => {
  const value = reencodes(
    attrMpReachNlri,
    hex('0019 46 04 0ad40001 00 03 11 00010ad400010002 00000000 20 0ad40001'),
    AS4_CONTEXT,
    TO_END,
  );
  assert.deepEqual(value, {
    kind: 'evpn',
    afi: 25,
    safi: 70,
    nextHop: '10.212.0.1',
    nlri: [{ route: { type: 3, rd: { type: 1, ip: '10.212.0.1', assigned: 2 }, etag: 0, originatorIp: '10.212.0.1' } }],
  });
});

test('MP_REACH_NLRI: EVPN with ADD-PATH and an IPv6 next hop; a non-zero reserved octet is kept', () => {
  const value: MpReachNlri = {
    kind: 'evpn',
    afi: 25,
    safi: 70,
    nextHop: '2001:db8::7',
    reserved: 1,
    nlri: [{ pathId: 9, route: { type: 3, rd: { type: 0, asn: 65000, assigned: 100 }, etag: 0, originatorIp: '2001:db8::7' } }],
  };
  const bytes = roundTrip(attrMpReachNlri, value, ADD_PATH, TO_END);
  assert.equal(bytes[3], 16, 'next hop length');
  assert.equal(bytes[20], 1, 'reserved');
  assert.deepEqual(bytes.subarray(21, 25), hex('00000009'), 'path identifier before the route');
});

test('MP_REACH_NLRI: IPv6 unicast with global + link-local next hop (RFC 2545), IPv4 unicast', () => {
  roundTrip(
    attrMpReachNlri,
    {
      kind: 'ip-prefix',
      afi: 2,
      safi: 1,
      nextHop: '2001:db8::1',
      linkLocalNextHop: 'fe80::1',
      nlri: [{ pathId: 1, prefix: '2001:db8:100::', length: 40 }],
    },
    ADD_PATH,
    TO_END,
  );
  const v4 = reencodes(attrMpReachNlri, hex('0001 01 04 0a000001 00 18 0a0102 10 ac10'), DEFAULT_CONTEXT, TO_END);
  assert.deepEqual(v4, {
    kind: 'ip-prefix',
    afi: 1,
    safi: 1,
    nextHop: '10.0.0.1',
    nlri: [
      { prefix: '10.1.2.0', length: 24 },
      { prefix: '172.16.0.0', length: 16 },
    ],
  });
  assert.throws(
    () => attrMpReachNlri.encode({ kind: 'ip-prefix', afi: 2, safi: 1, nextHop: '10.0.0.1', nlri: [] }),
    TypeError,
    'an IPv4 next hop for IPv6 unicast',
  );
});

test('MP_UNREACH_NLRI: EVPN withdrawals, End-of-RIB, opaque families', () => {
  const eor = reencodes(attrMpUnreachNlri, hex('0019 46'), undefined, TO_END);
  assert.deepEqual(eor, { kind: 'evpn', afi: 25, safi: 70, withdrawn: [] });
  assert.ok(attrMpUnreachNlri.isEmpty(eor));
  const withdraw = reencodes(attrMpUnreachNlri, hex('0019 46 03 11 00010ad400010002 00000000 20 0ad40001'), undefined, TO_END);
  assert.equal(withdraw.kind === 'evpn' && withdraw.withdrawn[0]?.route.type, 3);
  assert.deepEqual(reencodes(attrMpUnreachNlri, hex('0001 80 700102'), undefined, TO_END), {
    kind: 'opaque',
    afi: 1,
    safi: 128,
    withdrawn: hex('700102'),
  });
});
