import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Codec } from '../../src/wire/codec.js';
import * as esiCodec from '../../src/wire/esi.js';
import * as evpn from '../../src/wire/evpn-nlri.js';
import type { EvpnNlri, EvpnRoute, NlriContext } from '../../src/wire/evpn-nlri.js';
import * as rdCodec from '../../src/wire/route-distinguisher.js';
import { WireError } from '../../src/wire/wire-error.js';
import { evpnRouteArb } from '../helpers/evpn-arbitraries.js';
import { allEvpnNlris, field, fieldRaw } from '../helpers/evpn-capture.js';
import type { CapturedItem } from '../helpers/evpn-capture.js';
import { isNlriError } from '../helpers/bgp-errors.js';
import { bytesArbitrary, mutationArbitrary, onlyWireError, runs } from '../helpers/property.js';
import { reencodes, roundTrip } from '../helpers/round-trip.js';
import { findAll } from '../helpers/tshark.js';

const codec: Codec<EvpnNlri, NlriContext> = evpn;
const PLAIN: NlriContext = { addPath: false };
const ADD_PATH: NlriContext = { addPath: true };

/** The 24-bit value of the 3 bytes tshark shows for `name` (its own decode is a 20-bit MPLS label). */
function label24(item: CapturedItem, name: string): number | undefined {
  const raw = fieldRaw(item.tree, name);
  if (!raw) return undefined;
  assert.equal(raw.length, 3, `${name} is 3 bytes`);
  return item.bytes.readUIntBE(raw.offset - item.offset, 3);
}

function rawHex(item: CapturedItem, name: string): string | undefined {
  const v = findAll(item.tree, `${name}_raw`)[0];
  return Array.isArray(v) && typeof v[0] === 'string' ? v[0] : undefined;
}

/** Compare one decoded NLRI with tshark's fields for it. */
function compareWithTshark(item: CapturedItem, route: EvpnRoute): void {
  const t = item.tree;
  assert.notEqual(route.type, 'unknown');
  if (route.type === 'unknown') return;
  assert.equal(route.type, Number(field(t, 'bgp.evpn.nlri.rt')), 'route type');
  assert.equal(item.bytes[1], Number(field(t, 'bgp.evpn.nlri.len')), 'length');
  assert.equal(rdCodec.encode(route.rd).toString('hex'), rawHex(item, 'bgp.evpn.nlri.rd'), 'RD');
  if (findAll(t, '_ws.malformed').length > 0) {
    // tshark 4.0 mis-parses a Type 4 with an IPv6 originator; RD and type are all it got right.
    assert.equal(route.type, 4);
    return;
  }
  const ip = field(t, 'bgp.evpn.nlri.ip.addr') ?? field(t, 'bgp.evpn.nlri.ipv6.addr');
  const ipLen = field(t, 'bgp.evpn.nlri.iplen');
  if (route.type !== 3) {
    assert.equal(esiCodec.encode(route.esi).toString('hex'), rawHex(item, 'bgp.evpn.nlri.esi'), 'ESI');
  }
  if (route.type !== 4) assert.equal(route.etag, Number(field(t, 'bgp.evpn.nlri.etag')), 'Ethernet Tag');
  switch (route.type) {
    case 1:
      assert.equal(route.label, label24(item, 'bgp.evpn.nlri.mpls_ls1'), 'label');
      break;
    case 2:
      assert.equal(Number(field(t, 'bgp.evpn.nlri.maclen')), 48);
      assert.equal(route.mac, field(t, 'bgp.evpn.nlri.mac_addr'), 'MAC');
      assert.equal(route.ip, ip, 'IP');
      assert.equal(Number(ipLen), route.ip === undefined ? 0 : route.ip.includes(':') ? 128 : 32);
      // tshark shows Label1 as a 20-bit MPLS label, or (in some UPDATEs) as "VNI": read its 3 bytes.
      assert.equal(route.labels[0], label24(item, 'bgp.evpn.nlri.mpls_ls1') ?? label24(item, 'bgp.evpn.nlri.vni'), 'label 1 (the 24-bit VNI)');
      if (field(t, 'bgp.evpn.nlri.vni') !== undefined) assert.equal(route.labels[0], Number(field(t, 'bgp.evpn.nlri.vni')));
      assert.equal(route.labels[1], label24(item, 'bgp.evpn.nlri.mpls_ls2'), 'label 2');
      break;
    case 3:
    case 4:
      assert.equal(route.originatorIp, ip, 'originating router IP');
      assert.equal(Number(ipLen), route.originatorIp.includes(':') ? 128 : 32);
      break;
    case 5:
      assert.equal(route.prefixLength, Number(field(t, 'bgp.evpn.nlri.prefix_len')), 'IP prefix length');
      assert.equal(route.prefix, ip, 'IP prefix');
      assert.equal(route.gateway, field(t, 'bgp.evpn.nlri.ipv4.gtw_addr') ?? field(t, 'bgp.evpn.nlri.ipv6.gtw_addr'));
      assert.equal(route.label, label24(item, 'bgp.update.path_attribute.mpls_label_value'), 'label');
      break;
  }
}

test('EVPN NLRI: every captured NLRI decodes as tshark decodes it and re-encodes byte for byte', () => {
  const seen = new Set<string>();
  let n = 0;
  for (const item of allEvpnNlris()) {
    const { route } = reencodes(codec, item.bytes, PLAIN);
    compareWithTshark(item, route);
    if (route.type === 2) seen.add(`2/${route.ip === undefined ? 'mac' : route.ip.includes(':') ? 'v6' : 'v4'}/${route.labels.length}`);
    else if (route.type === 3 || route.type === 4) seen.add(`${route.type}/${route.originatorIp.includes(':') ? 'v6' : 'v4'}`);
    else if (route.type === 5) seen.add(`5/${route.prefix.includes(':') ? 'v6' : 'v4'}`);
    else seen.add(String(route.type));
    if (item.withdrawn) seen.add(`withdrawn/${route.type}`);
    n++;
  }
  assert.ok(n >= 40, `expected the captures' NLRIs, got ${n}`);
  for (const kind of ['1', '2/mac/1', '2/v4/1', '2/v4/2', '2/v6/1', '3/v4', '3/v6', '4/v4', '4/v6', '5/v4', '5/v6', 'withdrawn/1', 'withdrawn/2', 'withdrawn/4', 'withdrawn/5']) {
    assert.ok(seen.has(kind), `captures hold ${kind}`);
  }
});

test('EVPN NLRI: FRR Type 2 and Type 3 from the FRR session', () => {
  // Checked field by field against tshark above; here the shape of what FRR sends for VXLAN.
  const frr = allEvpnNlris().filter((n) => n.capture === 'frr-frr-evpn-session' && !n.withdrawn);
  const type2 = frr.map((n) => evpn.decode(n.bytes).route).find((r) => r.type === 2);
  assert.ok(type2 && type2.type === 2);
  assert.ok(esiCodec.isZeroEsi(type2.esi), 'single-homed');
  assert.equal(type2.etag, 0, 'RFC 8365: Ethernet Tag 0 for VLAN-based service');
  assert.deepEqual(type2.labels, [100], 'Label1 = VNI 100 as a plain 24-bit number');
  assert.equal(type2.ip, undefined);
});

test('EVPN NLRI: ADD-PATH puts a 4-byte path identifier first', () => {
  const item = allEvpnNlris()[0]!;
  const withId = Buffer.concat([Buffer.from('01020304', 'hex'), item.bytes]);
  const value = reencodes(codec, withId, ADD_PATH);
  assert.equal(value.pathId, 0x01020304);
  assert.deepEqual(value.route, evpn.decode(item.bytes).route);
  assert.equal(evpn.encodingLength({ route: value.route }, ADD_PATH), withId.length);
  // Without a pathId the identifier is written as 0.
  assert.equal(evpn.encode({ route: value.route }, undefined, 0, ADD_PATH).readUInt32BE(0), 0);
  assert.throws(() => evpn.decode(Buffer.from('010203', 'hex'), 0, ADD_PATH), WireError);
});

/** A Type 2 value: RD 8, ESI 10, tag 4, MAC length, MAC, IP length, IP, labels. */
function type2Value(macBits: number, ipBits: number, ipBytes: number, labelBytes: number): Buffer {
  return Buffer.concat([
    Buffer.alloc(8),
    Buffer.alloc(10),
    Buffer.alloc(4),
    Buffer.from([macBits]),
    Buffer.from('020000000101', 'hex'),
    Buffer.from([ipBits]),
    Buffer.alloc(ipBytes, 10),
    Buffer.alloc(labelBytes),
  ]);
}

function nlri(type: number, value: Buffer, length = value.length): Buffer {
  return Buffer.concat([Buffer.from([type, length]), value]);
}

test('EVPN NLRI: RFC 7432 §7.2 Type 2 lengths and fields', () => {
  // Valid: 33/37/49 and 36/40/52 with Label2.
  for (const [ipBits, ipBytes, labels] of [[0, 0, 3], [32, 4, 3], [128, 16, 3], [0, 0, 6], [32, 4, 6], [128, 16, 6]] as const) {
    const bytes = nlri(2, type2Value(48, ipBits, ipBytes, labels));
    const v = reencodes(codec, bytes, PLAIN);
    assert.ok(v.route.type === 2 && v.route.labels.length === labels / 3);
  }
  const bad: Array<[string, Buffer]> = [
    ['MAC length 47', nlri(2, type2Value(47, 0, 0, 3))],
    ['MAC length 0', nlri(2, type2Value(0, 0, 0, 3))],
    ['IP length 24', nlri(2, type2Value(48, 24, 3, 3))],
    ['IP length 32 with 16 bytes', nlri(2, type2Value(48, 32, 16, 3))],
    ['IP length 128 with 4 bytes + 6 label bytes (length 40)', nlri(2, type2Value(48, 128, 4, 6))],
    ['length 34', nlri(2, type2Value(48, 0, 0, 4))],
    ['length 30, no label', nlri(2, type2Value(48, 0, 0, 0))],
    ['length 55', nlri(2, type2Value(48, 128, 16, 9))],
  ];
  for (const [what, bytes] of bad) assert.throws(() => evpn.decode(bytes), isNlriError, what);
});

test('EVPN NLRI: lengths of Types 1, 3, 4, 5', () => {
  const t3 = (ipBits: number, ip: number): Buffer => Buffer.concat([Buffer.alloc(12), Buffer.from([ipBits]), Buffer.alloc(ip, 1)]);
  reencodes(codec, nlri(3, t3(32, 4)), PLAIN);
  reencodes(codec, nlri(3, t3(128, 16)), PLAIN);
  for (const [what, bytes] of [
    ['Type 3 IP length 128 in 17 bytes', nlri(3, t3(128, 4))],
    ['Type 3 IP length 32 in 29 bytes', nlri(3, t3(32, 16))],
    ['Type 3 length 18', nlri(3, t3(32, 5))],
    ['Type 3 IP length 0', nlri(3, t3(0, 4))],
  ] as const) {
    assert.throws(() => evpn.decode(bytes), isNlriError, what);
  }
  const t4 = (ipBits: number, ip: number): Buffer => Buffer.concat([Buffer.alloc(18), Buffer.from([ipBits]), Buffer.alloc(ip, 2)]);
  reencodes(codec, nlri(4, t4(32, 4)), PLAIN);
  reencodes(codec, nlri(4, t4(128, 16)), PLAIN);
  assert.throws(() => evpn.decode(nlri(4, t4(128, 4))), isNlriError);
  assert.throws(() => evpn.decode(nlri(4, t4(32, 5))), isNlriError);
  reencodes(codec, nlri(1, Buffer.alloc(25)), PLAIN);
  assert.throws(() => evpn.decode(nlri(1, Buffer.alloc(24))), isNlriError);
  assert.throws(() => evpn.decode(nlri(1, Buffer.alloc(26))), isNlriError);
  const t5 = (plen: number, addr: number): Buffer =>
    Buffer.concat([Buffer.alloc(22), Buffer.from([plen]), Buffer.alloc(addr * 2, 3), Buffer.alloc(3)]);
  reencodes(codec, nlri(5, t5(32, 4)), PLAIN);
  reencodes(codec, nlri(5, t5(128, 16)), PLAIN);
  assert.throws(() => evpn.decode(nlri(5, t5(33, 4))), isNlriError, 'IPv4 prefix length 33');
  assert.throws(() => evpn.decode(nlri(5, t5(129, 16))), isNlriError, 'IPv6 prefix length 129');
  assert.throws(() => evpn.decode(nlri(5, t5(8, 8))), isNlriError, 'length 42');
});

test('EVPN NLRI: truncation, and unknown route types kept opaque (RFC 7432 §7)', () => {
  assert.throws(() => evpn.decode(Buffer.from([2])), isNlriError);
  assert.throws(() => evpn.decode(Buffer.from([2, 33, 0, 0])), isNlriError);
  const unknown = Buffer.from('0906a1a2a3a4a5a6', 'hex');
  const v = reencodes(codec, unknown, PLAIN);
  assert.ok(v.route.type === 'unknown');
  assert.equal(v.route.code, 9);
  assert.equal(v.route.data.toString('hex'), 'a1a2a3a4a5a6');
  reencodes(codec, Buffer.from('0000', 'hex'), PLAIN);
  // Decoding reads from an offset and stops at the NLRI's end.
  const two = Buffer.concat([Buffer.from('ee', 'hex'), unknown, unknown]);
  evpn.decode(two, 1);
  assert.equal(evpn.decode.bytes, 8);
  assert.throws(() => evpn.encode({ route: { type: 'unknown', code: 2, data: Buffer.alloc(0) } }), RangeError);
  assert.throws(() => evpn.encode({ route: { type: 'unknown', code: 9, data: Buffer.alloc(256) } }), RangeError);
});

test('EVPN NLRI: encode rejects values that cannot be sent', () => {
  const rd = { type: 0 as const, asn: 65000, assigned: 10 };
  const esi = esiCodec.zeroEsi();
  assert.throws(() => evpn.encode({ route: { type: 2, rd, esi, etag: 0, mac: 'aa:aa:aa:aa:aa:01', labels: [] } }), RangeError);
  assert.throws(() => evpn.encode({ route: { type: 2, rd, esi, etag: 0, mac: 'aa:aa:aa:aa:aa:01', labels: [1, 2, 3] } }), RangeError);
  assert.throws(() => evpn.encode({ route: { type: 2, rd, esi, etag: 0, mac: 'aa:aa:aa:aa:aa:01', labels: [0x1000000] } }), RangeError);
  assert.throws(() => evpn.encode({ route: { type: 3, rd, etag: -1, originatorIp: '10.0.0.1' } }), RangeError);
  assert.throws(() => evpn.encode({ route: { type: 3, rd, etag: 0, originatorIp: '10.0.0' } }), TypeError);
  assert.throws(
    () => evpn.encode({ route: { type: 5, rd, esi, etag: 0, prefix: '10.0.0.0', prefixLength: 8, gateway: '::', label: 1 } }),
    TypeError,
  );
  assert.throws(
    () => evpn.encode({ route: { type: 5, rd, esi, etag: 0, prefix: '10.0.0.0', prefixLength: 33, gateway: '0.0.0.0', label: 1 } }),
    RangeError,
  );
});

test('EVPN NLRI: RIB key = RD + fields of the prefix, not ESI or labels', () => {
  const rd = { type: 0 as const, asn: 65000, assigned: 10 };
  const base: EvpnRoute = { type: 2, rd, esi: esiCodec.zeroEsi(), etag: 0, mac: 'aa:aa:aa:aa:aa:01', labels: [10] };
  const key = evpn.evpnRouteKey(base);
  assert.equal(evpn.evpnRouteKey({ ...base, labels: [20, 30] }), key, 'labels are attributes');
  assert.equal(evpn.evpnRouteKey({ ...base, esi: { type: 3, systemMac: 'aa:bb:cc:dd:ee:ff', discriminator: 1 } }), key, 'ESI is an attribute');
  assert.equal(evpn.evpnRouteKey({ ...base, mac: 'AA:AA:AA:AA:AA:01' }), key, 'MAC case');
  assert.notEqual(evpn.evpnRouteKey({ ...base, etag: 1 }), key, 'Ethernet Tag is in the key');
  assert.notEqual(evpn.evpnRouteKey({ ...base, ip: '10.0.0.1' }), key, 'IP is in the key');
  assert.notEqual(evpn.evpnRouteKey({ ...base, rd: { type: 0, asn: 65000, assigned: 11 } }), key, 'RD is in the key');
  assert.notEqual(evpn.evpnRouteKey({ ...base, rd: { type: 2, asn: 65000, assigned: 10 } }), key, 'RD type is in the key');
  assert.equal(evpn.evpnRouteKey({ ...base, ip: '2001:DB8::1' }), evpn.evpnRouteKey({ ...base, ip: '2001:db8::1' }));
  const t3: EvpnRoute = { type: 3, rd, etag: 0, originatorIp: '10.0.0.1' };
  assert.notEqual(evpn.evpnRouteKey(t3), evpn.evpnRouteKey({ ...t3, originatorIp: '10.0.0.2' }));
  const t5: EvpnRoute = { type: 5, rd, esi: esiCodec.zeroEsi(), etag: 0, prefix: '10.1.0.0', prefixLength: 24, gateway: '0.0.0.0', label: 1 };
  assert.equal(evpn.evpnRouteKey(t5), evpn.evpnRouteKey({ ...t5, gateway: '10.0.0.1', label: 2 }));
  assert.notEqual(evpn.evpnRouteKey(t5), evpn.evpnRouteKey({ ...t5, prefixLength: 16 }));
  // Withdrawals carry the same key as the advertisement (FRR withdraws with label 0).
  const frr = allEvpnNlris().filter((n) => n.capture === 'frr-frr-evpn-session');
  const adv = frr.find((n) => !n.withdrawn && n.bytes[0] === 2)!;
  const wd = frr.find((n) => n.withdrawn && n.bytes[0] === 2)!;
  assert.notDeepEqual(adv.bytes, wd.bytes);
  assert.equal(evpn.evpnRouteKey(evpn.decode(adv.bytes).route), evpn.evpnRouteKey(evpn.decode(wd.bytes).route));
});

const nlriArb = (ctx: NlriContext): fc.Arbitrary<EvpnNlri> =>
  ctx.addPath
    ? fc.tuple(evpnRouteArb, fc.integer({ min: 0, max: 0xffffffff })).map(([route, pathId]) => ({ pathId, route }))
    : evpnRouteArb.map((route) => ({ route }));

/** Whatever decodes must re-encode to the bytes it came from. */
function decodesExactly(bytes: Buffer, ctx: NlriContext): void {
  onlyWireError(() => {
    const v = evpn.decode(bytes, 0, ctx);
    const n = evpn.decode.bytes;
    assert.deepEqual(evpn.encode(v, undefined, 0, ctx), bytes.subarray(0, n));
  });
}

test('EVPN NLRI: property: encode then decode is identity, with and without ADD-PATH', () => {
  fc.assert(
    fc.property(
      fc.boolean().chain((addPath) => nlriArb({ addPath }).map((value) => [addPath, value] as const)),
      ([addPath, value]) => {
        roundTrip(codec, value, { addPath });
      },
    ),
    runs(0.4),
  );
});

test('EVPN NLRI: property: random bytes and mutated captured NLRIs throw only WireError', () => {
  fc.assert(
    fc.property(bytesArbitrary(64), fc.boolean(), (bytes, addPath) => decodesExactly(bytes, { addPath })),
    runs(0.2),
  );
  // Biased to look like an NLRI: a known type and a plausible length first.
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 60 }), bytesArbitrary(60), (type, len, rest) =>
      decodesExactly(Buffer.concat([Buffer.from([type, len]), rest]), PLAIN),
    ),
    runs(0.2),
  );
  const samples = allEvpnNlris().map((n) => n.bytes);
  fc.assert(
    fc.property(fc.constantFrom(...samples).chain((b) => mutationArbitrary(b)), (bytes) => decodesExactly(bytes, PLAIN)),
    runs(0.2),
  );
});
