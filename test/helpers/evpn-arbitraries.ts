// fast-check generators for the EVPN codec values (RDs, ESIs, routes,
// extended communities). Values are generated in the canonical form the
// decoders produce (lowercase MACs, canonical IP text, optional fields
// absent when zero), so decode(encode(v)) must deep-equal v.
import fc from 'fast-check';
import type { Esi } from '../../src/wire/esi.js';
import type { EvpnRoute } from '../../src/wire/evpn-nlri.js';
import type { ExtendedCommunity } from '../../src/wire/extended-community.js';
import { formatIpv4, formatIpv6 } from '../../src/wire/ip-address.js';
import { formatMac } from '../../src/wire/mac-address.js';
import type { RouteDistinguisher } from '../../src/wire/route-distinguisher.js';

/** fc.record with ordinary objects (the decoders' values have Object.prototype; deepStrictEqual checks it). */
function rec<T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> {
  return fc.record(model, { noNullPrototype: true }) as unknown as fc.Arbitrary<T>;
}

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u24 = fc.integer({ min: 0, max: 0xffffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
/** Small values and range ends are where length and sign bugs live. */
const edgeU32 = fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff), u32);

function bytes(n: number): fc.Arbitrary<Buffer> {
  return fc.uint8Array({ minLength: n, maxLength: n }).map((a) => Buffer.from(a));
}

export const ipv4Arb: fc.Arbitrary<string> = bytes(4).map((b) => formatIpv4(b));
export const ipv6Arb: fc.Arbitrary<string> = fc.oneof(
  bytes(16).map((b) => formatIpv6(b)),
  // Zero runs (compressed "::") and the IPv4-mapped form.
  fc.tuple(bytes(16), fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 16 })).map(([b, at, n]) => {
    b.fill(0, at, Math.min(16, at + n));
    return formatIpv6(b);
  }),
  bytes(4).map((b) => `::ffff:${formatIpv4(b)}`),
);
export const ipArb: fc.Arbitrary<string> = fc.oneof(ipv4Arb, ipv6Arb);
export const macArb: fc.Arbitrary<string> = bytes(6).map((b) => formatMac(b));

export const rdArb: fc.Arbitrary<RouteDistinguisher> = fc.oneof(
  rec({ type: fc.constant(0 as const), asn: u16, assigned: edgeU32 }),
  rec({ type: fc.constant(1 as const), ip: ipv4Arb, assigned: u16 }),
  rec({ type: fc.constant(2 as const), asn: edgeU32, assigned: u16 }),
  rec({ type: fc.constant('unknown' as const), code: fc.integer({ min: 3, max: 0xffff }), raw: bytes(6) }),
);

function withReserved<T extends object>(arb: fc.Arbitrary<T>): fc.Arbitrary<T> {
  return fc.tuple(arb, fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 0xff }))).map(([v, r]) =>
    r === 0 ? v : { ...v, reserved: r },
  );
}

export const esiArb: fc.Arbitrary<Esi> = fc.oneof(
  fc.constant<Esi>({ type: 0, value: Buffer.alloc(9) }),
  rec({ type: fc.constant(0 as const), value: bytes(9) }),
  withReserved(rec({ type: fc.constant(1 as const), ceMac: macArb, portKey: u16 })),
  withReserved(rec({ type: fc.constant(2 as const), bridgeMac: macArb, priority: u16 })),
  rec({ type: fc.constant(3 as const), systemMac: macArb, discriminator: u24 }),
  withReserved(rec({ type: fc.constant(4 as const), routerId: ipv4Arb, discriminator: u32 })),
  withReserved(rec({ type: fc.constant(5 as const), asn: u32, discriminator: u32 })),
  rec({ type: fc.constant('unknown' as const), code: fc.integer({ min: 6, max: 0xff }), value: bytes(9) }),
);

const type2Arb: fc.Arbitrary<EvpnRoute> = fc
  .tuple(rdArb, esiArb, edgeU32, macArb, fc.option(ipArb, { nil: undefined }), fc.array(u24, { minLength: 1, maxLength: 2 }))
  .map(([rd, esi, etag, mac, ip, labels]) =>
    ip === undefined ? { type: 2, rd, esi, etag, mac, labels } : { type: 2, rd, esi, etag, mac, ip, labels },
  );

const type5Arb: fc.Arbitrary<EvpnRoute> = fc.oneof(
  rec({
    type: fc.constant(5 as const),
    rd: rdArb,
    esi: esiArb,
    etag: edgeU32,
    prefix: ipv4Arb,
    prefixLength: fc.integer({ min: 0, max: 32 }),
    gateway: ipv4Arb,
    label: u24,
  }),
  rec({
    type: fc.constant(5 as const),
    rd: rdArb,
    esi: esiArb,
    etag: edgeU32,
    prefix: ipv6Arb,
    prefixLength: fc.integer({ min: 0, max: 128 }),
    gateway: ipv6Arb,
    label: u24,
  }),
);

export const evpnRouteArb: fc.Arbitrary<EvpnRoute> = fc.oneof(
  rec({ type: fc.constant(1 as const), rd: rdArb, esi: esiArb, etag: edgeU32, label: u24 }),
  type2Arb,
  rec({ type: fc.constant(3 as const), rd: rdArb, etag: edgeU32, originatorIp: ipArb }),
  rec({ type: fc.constant(4 as const), rd: rdArb, esi: esiArb, originatorIp: ipArb }),
  type5Arb,
  rec({
    type: fc.constant('unknown' as const),
    code: fc.oneof(fc.constant(0), fc.integer({ min: 6, max: 0xff })),
    data: fc.uint8Array({ maxLength: 40 }).map((a) => Buffer.from(a)),
  }),
);

function optional<T extends object>(value: T, key: string, n: number): T {
  return n === 0 ? value : { ...value, [key]: n };
}

const adminArb = fc.oneof(
  rec({ format: fc.constant('as2' as const), asn: u16, assigned: edgeU32 }),
  rec({ format: fc.constant('ipv4' as const), ip: ipv4Arb, assigned: u16 }),
  rec({ format: fc.constant('as4' as const), asn: edgeU32, assigned: u16 }),
);
const zeroOr = (arb: fc.Arbitrary<number>): fc.Arbitrary<number> => fc.oneof(fc.constant(0), arb);

export const extCommunityArb: fc.Arbitrary<ExtendedCommunity> = fc.oneof(
  adminArb.map((a): ExtendedCommunity => ({ kind: 'route-target', ...a })),
  adminArb.map((a): ExtendedCommunity => ({ kind: 'route-origin', ...a })),
  fc
    .tuple(u16, zeroOr(u32))
    .map(([tunnelType, r]): ExtendedCommunity => optional({ kind: 'encapsulation', tunnelType }, 'reserved', r)),
  zeroOr(fc.integer({ min: 1, max: 0xffffffffffff })).map(
    (r): ExtendedCommunity => optional({ kind: 'default-gateway' }, 'reserved', r),
  ),
  fc
    .tuple(fc.boolean(), u32, zeroOr(u8.map((f) => f & 0xfe)), zeroOr(u8))
    .map(([sticky, sequence, f, r]): ExtendedCommunity =>
      optional(optional({ kind: 'mac-mobility', sticky, sequence }, 'otherFlags', f), 'reserved', r),
    ),
  fc
    .tuple(fc.boolean(), u24, zeroOr(u8.map((f) => f & 0xfe)), zeroOr(u16))
    .map(([singleActive, label, f, r]): ExtendedCommunity =>
      optional(optional({ kind: 'esi-label', singleActive, label }, 'otherFlags', f), 'reserved', r),
    ),
  macArb.map((mac): ExtendedCommunity => ({ kind: 'es-import', mac })),
  macArb.map((mac): ExtendedCommunity => ({ kind: 'router-mac', mac })),
  fc
    .tuple(u8, u8, bytes(6))
    .filter(([t, s]) => !((t <= 2 && (s === 2 || s === 3)) || (t === 3 && (s === 0x0c || s === 0x0d)) || (t === 6 && s <= 3)))
    .map(([type, subtype, value]): ExtendedCommunity => ({ kind: 'unknown', type, subtype, value })),
);
