// fast-check generators for path attributes and UPDATE bodies, in the exact
// form decode returns (so decode(encode(v)) deep-equals v). Lists stay short
// so 100,000 runs of the UPDATE family stay fast.
import fc from 'fast-check';
import type { AsPathSegment, AsPathSegmentType } from '../../src/wire/attr-as-path.js';
import type { MpReachNlri } from '../../src/wire/attr-mp-reach-nlri.js';
import type { MpUnreachNlri } from '../../src/wire/attr-mp-unreach-nlri.js';
import type { PmsiTunnel } from '../../src/wire/attr-pmsi-tunnel.js';
import type { BgpContext } from '../../src/wire/bgp-context.js';
import { hasAddPath } from '../../src/wire/bgp-context.js';
import type { BgpUpdate } from '../../src/wire/bgp-update.js';
import type { Esi } from '../../src/wire/esi.js';
import type { EvpnNlri, EvpnRoute } from '../../src/wire/evpn-nlri.js';
import type { ExtendedCommunity } from '../../src/wire/extended-community.js';
import { isKnownTypeSubtype } from '../../src/wire/extended-community.js';
import { formatIpv4, formatIpv6 } from '../../src/wire/ip-address.js';
import type { IpPrefixNlri } from '../../src/wire/ip-prefix-nlri.js';
import { formatMac } from '../../src/wire/mac-address.js';
import * as pathAttribute from '../../src/wire/path-attribute.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { AttributeFlag, attributeTypeCode, attributeTypeOf, defaultFlags } from '../../src/wire/path-attribute.js';
import type { RouteDistinguisher } from '../../src/wire/route-distinguisher.js';

/** fc.record with plain objects (decode builds plain objects; deepEqual checks prototypes). */
const record = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;

const bytes = (minLength: number, maxLength: number): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ minLength, maxLength }).map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u24 = fc.integer({ min: 0, max: 0xffffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

export const ipv4Arbitrary = bytes(4, 4).map((b) => formatIpv4(b));
export const ipv6Arbitrary = bytes(16, 16).map((b) => formatIpv6(b));
const ipArbitrary = fc.oneof(ipv4Arbitrary, ipv6Arbitrary);

/** Only present (non-zero) optional fields, as the decoders build them. */
function withReserved<T extends object>(value: T, reserved: number): T {
  return reserved === 0 ? value : { ...value, reserved };
}

// ------------------------------------------------------------------ NLRI

/** A masked IPv4 or IPv6 prefix (no host bits, so no `raw`). */
export function ipPrefixArbitrary(afi: 1 | 2, addPath: boolean): fc.Arbitrary<IpPrefixNlri> {
  const size = afi === 1 ? 4 : 16;
  return fc.tuple(bytes(size, size), fc.integer({ min: 0, max: size * 8 }), u32).map(([addr, length, pathId]) => {
    const a = Buffer.from(addr);
    const whole = length >> 3;
    if (length & 7) a[whole] = a[whole]! & (0xff << (8 - (length & 7)));
    a.fill(0, (length + 7) >> 3);
    const prefix = afi === 1 ? formatIpv4(a) : formatIpv6(a);
    return addPath ? { pathId, prefix, length } : { prefix, length };
  });
}

const rdArbitrary: fc.Arbitrary<RouteDistinguisher> = fc.oneof(
  record({ asn: u16, assigned: u32 }).map((v): RouteDistinguisher => ({ type: 0, ...v })),
  record({ ip: ipv4Arbitrary, assigned: u16 }).map((v): RouteDistinguisher => ({ type: 1, ...v })),
  record({ asn: u32, assigned: u16 }).map((v): RouteDistinguisher => ({ type: 2, ...v })),
);

const esiArbitrary: fc.Arbitrary<Esi> = bytes(9, 9).map((value): Esi => ({ type: 0, value }));

const evpnRouteArbitrary: fc.Arbitrary<EvpnRoute> = fc.oneof(
  record({ rd: rdArbitrary, etag: u32, originatorIp: ipArbitrary }).map((v): EvpnRoute => ({ type: 3, ...v })),
  fc
    .tuple(rdArbitrary, esiArbitrary, u32, bytes(6, 6), fc.option(ipArbitrary, { nil: undefined }), fc.array(u24, { minLength: 1, maxLength: 2 }))
    .map(([rd, esi, etag, mac, ip, labels]): EvpnRoute => {
      const route: EvpnRoute = { type: 2, rd, esi, etag, mac: formatMac(mac), labels };
      if (ip !== undefined) route.ip = ip;
      return route;
    }),
  record({ code: fc.integer({ min: 6, max: 255 }), data: bytes(0, 10) }).map((v): EvpnRoute => ({ type: 'unknown', ...v })),
);

export function evpnNlriArbitrary(addPath: boolean): fc.Arbitrary<EvpnNlri> {
  return fc.tuple(evpnRouteArbitrary, u32).map(([route, pathId]) => (addPath ? { pathId, route } : { route }));
}

// ------------------------------------------------------------------ attributes

const segmentType = fc.constantFrom<AsPathSegmentType>('as-set', 'as-sequence', 'as-confed-sequence', 'as-confed-set');

function asPathArbitrary(as4: boolean, minLength: number): fc.Arbitrary<AsPathSegment[]> {
  const asn = as4 ? u32 : u16;
  return fc.array(record({ type: segmentType, asns: fc.array(asn, { minLength: 1, maxLength: 4 }) }), { minLength, maxLength: 3 });
}

export const extendedCommunityArbitrary: fc.Arbitrary<ExtendedCommunity> = fc.oneof(
  record({ asn: u16, assigned: u32 }).map((v): ExtendedCommunity => ({ kind: 'route-target', format: 'as2', ...v })),
  u16.map((tunnelType): ExtendedCommunity => ({ kind: 'encapsulation', tunnelType })),
  record({ type: u8, subtype: u8, value: bytes(6, 6) })
    .filter((v) => !isKnownTypeSubtype(v.type, v.subtype))
    .map((v): ExtendedCommunity => ({ kind: 'unknown', ...v })),
);

const pmsiArbitrary: fc.Arbitrary<PmsiTunnel> = fc.oneof(
  record({ flags: u8, label: u24, tunnelId: ipArbitrary }).map((v): PmsiTunnel => ({ ...v, tunnelType: 6 })),
  record({ flags: u8, tunnelType: u8.filter((t) => t !== 6), label: u24, tunnelId: bytes(0, 12) }),
);

/** A known family's next hop: `nextHop` (+ link-local for a 32-octet IPv6 one). */
function ipReachArbitrary(afi: 1 | 2, ctx: BgpContext): fc.Arbitrary<MpReachNlri> {
  const addPath = hasAddPath(ctx, afi, 1);
  const v6 = fc.tuple(ipv6Arbitrary, fc.option(ipv6Arbitrary, { nil: undefined }));
  const nh = afi === 1 ? fc.oneof(ipv4Arbitrary.map((g) => [g, undefined] as const), v6) : v6;
  return fc
    .tuple(nh, fc.array(ipPrefixArbitrary(afi, addPath), { maxLength: 3 }), u8)
    .map(([[nextHop, ll], nlri, reserved]) => {
      const v: MpReachNlri = { kind: 'ip-prefix', afi, safi: 1, nextHop, nlri };
      if (ll !== undefined) v.linkLocalNextHop = ll;
      return withReserved(v, reserved);
    });
}

/** AFI/SAFI pairs decoded opaquely (anything but 25/70, 1/1, 2/1). */
const opaqueFamily = fc
  .tuple(u16, u8)
  .filter(([afi, safi]) => !(afi === 25 && safi === 70) && !((afi === 1 || afi === 2) && safi === 1));

export function mpReachArbitrary(ctx: BgpContext): fc.Arbitrary<MpReachNlri> {
  const evpnAddPath = hasAddPath(ctx, 25, 70);
  return fc.oneof(
    { weight: 3, arbitrary: fc
      .tuple(ipArbitrary, fc.array(evpnNlriArbitrary(evpnAddPath), { maxLength: 3 }), fc.oneof(fc.constant(0), u8))
      .map(([nextHop, nlri, reserved]) => withReserved<MpReachNlri>({ kind: 'evpn', afi: 25, safi: 70, nextHop, nlri }, reserved)) },
    { weight: 1, arbitrary: ipReachArbitrary(1, ctx) },
    { weight: 1, arbitrary: ipReachArbitrary(2, ctx) },
    { weight: 1, arbitrary: fc
      .tuple(opaqueFamily, bytes(0, 20), bytes(0, 20), u8)
      .map(([[afi, safi], nextHop, nlri, reserved]) => withReserved<MpReachNlri>({ kind: 'opaque', afi, safi, nextHop, nlri }, reserved)) },
  );
}

export function mpUnreachArbitrary(ctx: BgpContext): fc.Arbitrary<MpUnreachNlri> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.array(evpnNlriArbitrary(hasAddPath(ctx, 25, 70)), { maxLength: 3 }).map(
      (withdrawn): MpUnreachNlri => ({ kind: 'evpn', afi: 25, safi: 70, withdrawn }),
    ) },
    { weight: 1, arbitrary: fc.constantFrom<1 | 2>(1, 2).chain((afi) =>
      fc.array(ipPrefixArbitrary(afi, hasAddPath(ctx, afi, 1)), { maxLength: 3 }).map(
        (withdrawn): MpUnreachNlri => ({ kind: 'ip-prefix', afi, safi: 1, withdrawn }),
      ),
    ) },
    { weight: 1, arbitrary: fc.tuple(opaqueFamily, bytes(0, 20)).map(
      ([[afi, safi], withdrawn]): MpUnreachNlri => ({ kind: 'opaque', afi, safi, withdrawn }),
    ) },
  );
}

/**
 * Flags as a peer might send them: the RFC's Optional/Transitive bits, plus
 * sometimes Partial (optional transitive only), Extended Length and unused
 * low bits. Extended Length is forced on when the value needs it.
 */
function withFlags(attr: PathAttribute, extras: { partial: boolean; extended: boolean; low: number }, ctx: BgpContext): PathAttribute {
  if (attr.type === 'unknown') return attr;
  const base = defaultFlags(attr.type);
  let flags = base | extras.low | (extras.extended ? AttributeFlag.ExtendedLength : 0);
  if (extras.partial && base === (AttributeFlag.Optional | AttributeFlag.Transitive)) flags |= AttributeFlag.Partial;
  const plain = { ...attr, flags: flags & ~AttributeFlag.ExtendedLength } as PathAttribute;
  if (pathAttribute.encodingLength(plain, ctx) - 3 > 0xff) flags |= AttributeFlag.ExtendedLength;
  return { ...attr, flags } as PathAttribute;
}

const unknownAttributeArbitrary: fc.Arbitrary<PathAttribute> = record({
  flags: fc.integer({ min: 0x80, max: 0xff }),
  typeCode: u8.filter((c) => attributeTypeOf(c) === undefined),
  value: fc.oneof({ weight: 9, arbitrary: bytes(0, 12) }, { weight: 1, arbitrary: bytes(256, 300) }),
}).map(({ flags, typeCode, value }): PathAttribute => ({
  type: 'unknown',
  // An opaque value longer than 255 octets needs the Extended Length bit.
  flags: value.length > 0xff ? flags | AttributeFlag.ExtendedLength : flags,
  typeCode,
  value,
}));

/** One attribute, any type, valid for `ctx`. */
export function pathAttributeArbitrary(ctx: BgpContext): fc.Arbitrary<PathAttribute> {
  const typed: fc.Arbitrary<PathAttribute> = fc.oneof(
    fc.constantFrom('igp' as const, 'egp' as const, 'incomplete' as const).map((value): PathAttribute => ({ type: 'origin', value })),
    asPathArbitrary(ctx.as4, 0).map((value): PathAttribute => ({ type: 'as-path', value })),
    ipv4Arbitrary.map((value): PathAttribute => ({ type: 'next-hop', value })),
    u32.map((value): PathAttribute => ({ type: 'multi-exit-disc', value })),
    u32.map((value): PathAttribute => ({ type: 'local-pref', value })),
    fc.constant<PathAttribute>({ type: 'atomic-aggregate', value: null }),
    record({ asn: ctx.as4 ? u32 : u16, address: ipv4Arbitrary }).map((value): PathAttribute => ({ type: 'aggregator', value })),
    fc.array(u32, { minLength: 1, maxLength: 4 }).map((value): PathAttribute => ({ type: 'communities', value })),
    ipv4Arbitrary.map((value): PathAttribute => ({ type: 'originator-id', value })),
    fc.array(ipv4Arbitrary, { minLength: 1, maxLength: 3 }).map((value): PathAttribute => ({ type: 'cluster-list', value })),
    mpReachArbitrary(ctx).map((value): PathAttribute => ({ type: 'mp-reach-nlri', value })),
    mpUnreachArbitrary(ctx).map((value): PathAttribute => ({ type: 'mp-unreach-nlri', value })),
    fc.array(extendedCommunityArbitrary, { minLength: 1, maxLength: 3 }).map((value): PathAttribute => ({ type: 'extended-communities', value })),
    asPathArbitrary(true, 1).map((value): PathAttribute => ({ type: 'as4-path', value })),
    record({ asn: u32, address: ipv4Arbitrary }).map((value): PathAttribute => ({ type: 'as4-aggregator', value })),
    pmsiArbitrary.map((value): PathAttribute => ({ type: 'pmsi-tunnel', value })),
  );
  const extras = record({
    partial: fc.boolean(),
    extended: fc.boolean(),
    low: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 15 }) }),
  });
  return fc.oneof(
    { weight: 6, arbitrary: fc.tuple(typed, extras).map(([attr, x]) => withFlags(attr, x, ctx)) },
    { weight: 1, arbitrary: unknownAttributeArbitrary },
  );
}

/**
 * Add what RFC 4271 §5 makes mandatory so the list decodes without
 * problems: ORIGIN and AS_PATH with reachable routes, NEXT_HOP with IPv4 NLRI.
 */
function withMandatory(attributes: PathAttribute[], ipv4Nlri: boolean): PathAttribute[] {
  const has = (type: PathAttribute['type']): boolean => attributes.some((a) => a.type === type);
  const mpNlri = attributes.some((a) => a.type === 'mp-reach-nlri' && a.value.nlri.length > 0);
  const out = [...attributes];
  if (ipv4Nlri || mpNlri) {
    if (!has('origin')) out.push({ type: 'origin', flags: AttributeFlag.Transitive, value: 'igp' });
    if (!has('as-path')) out.push({ type: 'as-path', flags: AttributeFlag.Transitive, value: [] });
  }
  if (ipv4Nlri && !has('next-hop')) out.push({ type: 'next-hop', flags: AttributeFlag.Transitive, value: '192.0.2.1' });
  return out;
}

/** A list with at most one attribute per type code, complete per RFC 4271 §5. */
export function attributeListArbitrary(ctx: BgpContext, ipv4Nlri = false, maxLength = 5): fc.Arbitrary<PathAttribute[]> {
  return fc
    .uniqueArray(pathAttributeArbitrary(ctx), { selector: (a) => attributeTypeCode(a), maxLength })
    .map((list) => withMandatory(list, ipv4Nlri));
}

export function updateArbitrary(ctx: BgpContext): fc.Arbitrary<BgpUpdate> {
  const addPath = hasAddPath(ctx, 1, 1);
  return fc
    .tuple(fc.array(ipPrefixArbitrary(1, addPath), { maxLength: 3 }), fc.array(ipPrefixArbitrary(1, addPath), { maxLength: 3 }))
    .chain(([withdrawn, nlri]) =>
      attributeListArbitrary(ctx, nlri.length > 0, 4).map((attributes): BgpUpdate => ({ withdrawn, attributes, nlri, problems: [] })),
    );
}

/** Session contexts: 2- and 4-octet ASNs, with and without ADD-PATH on every family used here. */
export const CONTEXTS: readonly BgpContext[] = [
  { as4: false, extendedMessage: false, addPath: new Set() },
  { as4: true, extendedMessage: false, addPath: new Set() },
  { as4: false, extendedMessage: false, addPath: new Set(['1/1', '2/1', '25/70']) },
  { as4: true, extendedMessage: true, addPath: new Set(['1/1', '2/1', '25/70']) },
];
