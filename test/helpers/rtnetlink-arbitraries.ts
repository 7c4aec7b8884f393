// fast-check generators for the rtnetlink codec values, in the form the
// decoders produce (canonical IP text, lowercase link-layer addresses, an
// attribute kept as 'other' only when its type is one the family's table
// does not interpret), so decode(encode(v)) must deep-equal v.
import fc from 'fast-check';
import type { NetlinkDone } from '../../src/wire/netlink-done.js';
import type { NetlinkError } from '../../src/wire/netlink-error.js';
import { NetlinkFlag, type NetlinkHeader } from '../../src/wire/netlink-header.js';
import { formatLinkAddress, type OtherAttribute, type RawAttribute } from '../../src/wire/rtnetlink-attribute.js';
import { LinkAttributeType, type LinkAttribute, type LinkMessage } from '../../src/wire/rtnetlink-link.js';
import { kindOf, type RtnetlinkMessage } from '../../src/wire/rtnetlink-message.js';
import { NeighbourAttributeType, type NeighbourAttribute, type NeighbourMessage } from '../../src/wire/rtnetlink-neighbour.js';
import { RouteAttributeType, type RouteAttribute, type RouteMessage, type RouteNexthop } from '../../src/wire/rtnetlink-route.js';
import { ipArb } from './evpn-arbitraries.js';

const noNull = { noNullPrototype: true } as const;
const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
const s32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const bytes = (maxLength: number): fc.Arbitrary<Buffer> => fc.uint8Array({ maxLength }).map((a) => Buffer.from(a));
const linkAddress = fc.uint8Array({ maxLength: 32 }).map((b) => formatLinkAddress(b));

function other(interpreted: Record<string, number>): fc.Arbitrary<OtherAttribute> {
  const known = new Set(Object.values(interpreted));
  return fc.record(
    { kind: fc.constant('other' as const), type: u16.filter((t) => !known.has(t)), value: bytes(24) },
    noNull,
  );
}

/** One attribute of kind among kinds with a value from `value`. */
function attr<K extends string, V>(kinds: readonly K[], value: fc.Arbitrary<V>): fc.Arbitrary<{ kind: K; value: V }> {
  return fc.record({ kind: fc.constantFrom(...kinds), value }, noNull);
}

export const rawAttributeArb: fc.Arbitrary<RawAttribute> = fc.record({ type: u16, value: bytes(16) }, noNull);

// ---------------------------------------------------------------- route

const flatRouteAttribute: fc.Arbitrary<RouteAttribute> = fc.oneof(
  attr(['dst', 'src', 'gateway', 'prefsrc'] as const, ipArb),
  attr(['iif', 'oif', 'priority', 'table', 'mark', 'uid', 'nhid'] as const, u32),
  attr(['pref'] as const, u8),
  attr(['via'] as const, fc.record({ family: u16, address: ipArb }, noNull)),
  attr(['metrics'] as const, fc.array(rawAttributeArb, { maxLength: 3 })),
  other(RouteAttributeType),
);

const nexthopArb: fc.Arbitrary<RouteNexthop> = fc.record(
  { flags: u8, hops: u8, ifindex: s32, attributes: fc.array(flatRouteAttribute, { maxLength: 3 }) },
  noNull,
);

export const routeAttributeArb: fc.Arbitrary<RouteAttribute> = fc.oneof(
  flatRouteAttribute,
  attr(['multipath'] as const, fc.array(nexthopArb, { maxLength: 3 })),
);

function routeMessage(family: fc.Arbitrary<number>, attribute: fc.Arbitrary<RouteAttribute>): fc.Arbitrary<RouteMessage> {
  return fc.record(
    {
      family,
      dstLength: u8,
      srcLength: u8,
      tos: u8,
      table: u8,
      protocol: u8,
      scope: u8,
      type: u8,
      flags: u32,
      attributes: fc.array(attribute, { maxLength: 5 }),
    },
    noNull,
  );
}

/** IPv4 / IPv6 routes with interpreted attributes, and routes of other families whose attributes all stay bytes. */
export const routeMessageArb: fc.Arbitrary<RouteMessage> = fc.oneof(
  routeMessage(fc.constantFrom(2, 10), routeAttributeArb),
  routeMessage(
    u8.filter((f) => f !== 2 && f !== 10),
    fc.record({ kind: fc.constant('other' as const), type: u16, value: bytes(24) }, noNull),
  ),
);

// ---------------------------------------------------------------- neighbour

export const neighbourAttributeArb: fc.Arbitrary<NeighbourAttribute> = fc.oneof(
  attr(['dst'] as const, ipArb),
  attr(['lladdr'] as const, linkAddress),
  attr(['probes', 'vni', 'ifindex', 'master'] as const, u32),
  other(NeighbourAttributeType),
);

export const neighbourMessageArb: fc.Arbitrary<NeighbourMessage> = fc.record(
  { family: u8, ifindex: s32, state: u16, flags: u8, type: u8, attributes: fc.array(neighbourAttributeArb, { maxLength: 5 }) },
  noNull,
);

// ---------------------------------------------------------------- link

export const linkAttributeArb: fc.Arbitrary<LinkAttribute> = fc.oneof(
  attr(['address', 'broadcast'] as const, linkAddress),
  attr(['ifname'] as const, fc.string({ maxLength: 15 }).filter((s) => !s.includes('\0'))),
  attr(['mtu', 'link', 'master', 'txqlen'] as const, u32),
  attr(['operstate', 'linkmode'] as const, u8),
  other(LinkAttributeType),
);

export const linkMessageArb: fc.Arbitrary<LinkMessage> = fc.record(
  { family: u8, deviceType: u16, index: s32, flags: u32, change: u32, attributes: fc.array(linkAttributeArb, { maxLength: 5 }) },
  noNull,
);

// ---------------------------------------------------------------- control messages

export const headerArb: fc.Arbitrary<NetlinkHeader> = fc.record(
  { length: fc.integer({ min: 16, max: 0xffffffff }), type: u16, flags: u16, seq: u32, pid: u32 },
  noNull,
);

const errno = fc.oneof(fc.constantFrom(0, -1, -101, -0x80000000), fc.integer({ min: -4095, max: 0 }));

function extackArb(flags: number): fc.Arbitrary<RawAttribute[]> {
  return flags & NetlinkFlag.AckTlvs ? fc.array(rawAttributeArb, { maxLength: 3 }) : fc.constant<RawAttribute[]>([]);
}

/** An error payload that fits `flags` (Capped: no echoed request; AckTlvs: extended ACK attributes). */
export function errorArb(flags: number): fc.Arbitrary<NetlinkError> {
  const extack = extackArb(flags);
  const echoed = flags & NetlinkFlag.Capped ? fc.constant(Buffer.alloc(0)) : bytes(40);
  return fc
    .record({ error: errno, request: headerArb, requestPayload: echoed, extack }, noNull)
    .map((e) => (flags & NetlinkFlag.Capped ? e : { ...e, request: { ...e.request, length: 16 + e.requestPayload.length } }));
}

export function doneArb(flags: number): fc.Arbitrary<NetlinkDone> {
  return fc.record({ error: errno, extack: extackArb(flags) }, noNull);
}

// ---------------------------------------------------------------- whole messages

const envelope = (types: fc.Arbitrary<number>): fc.Arbitrary<{ type: number; flags: number; seq: number; pid: number }> =>
  fc.record({ type: types, flags: u16, seq: u32, pid: u32 }, noNull);
const range = (min: number, max: number): fc.Arbitrary<number> => fc.integer({ min, max });

export const rtnetlinkMessageArb: fc.Arbitrary<RtnetlinkMessage> = fc.oneof(
  fc.tuple(envelope(range(16, 19)), linkMessageArb).map(([e, body]) => ({ ...e, kind: 'link' as const, body })),
  fc.tuple(envelope(range(24, 26)), routeMessageArb).map(([e, body]) => ({ ...e, kind: 'route' as const, body })),
  fc.tuple(envelope(range(28, 30)), neighbourMessageArb).map(([e, body]) => ({ ...e, kind: 'neighbour' as const, body })),
  envelope(fc.constant(2)).chain((e) => errorArb(e.flags).map((body) => ({ ...e, kind: 'error' as const, body }))),
  envelope(fc.constant(3)).chain((e) => doneArb(e.flags).map((body) => ({ ...e, kind: 'done' as const, body }))),
  fc
    .tuple(envelope(u16.filter((t) => kindOf(t) === 'other')), bytes(40))
    .map(([e, body]) => ({ ...e, kind: 'other' as const, body })),
);
