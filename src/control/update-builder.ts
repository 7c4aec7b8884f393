// UPDATE packing: many NLRI with one attribute set -> as few UPDATE
// messages as fit the session's maximum (4096 octets, 65535 with RFC 8654
// extended messages), encoded with the peer's context (4-octet AS,
// add-path) by src/wire/bgp-message.ts.
//
//   EVPN, IPv6 unicast   MP_REACH_NLRI first (RFC 7606 §5.1 SHOULD), then
//                        the other attributes; withdrawals in MP_UNREACH_NLRI
//   IPv4 unicast         the UPDATE's own NLRI field with NEXT_HOP;
//                        withdrawals in Withdrawn Routes (RFC 4271 §4.3)
//
// End-of-RIB (RFC 4724 §2): IPv4 unicast = an UPDATE with nothing in it;
// any other family = an UPDATE whose only attribute is an empty
// MP_UNREACH_NLRI of that family. ROUTE-REFRESH markers BoRR / EoRR for
// enhanced route refresh (RFC 7313 §3).

import type { BgpContext } from '../wire/bgp-context.js';
import { hasAddPath } from '../wire/bgp-context.js';
import { BGP_HEADER_LENGTH, MessageType, maxMessageLength } from '../wire/bgp-header.js';
import * as bgpMessage from '../wire/bgp-message.js';
import { RouteRefreshSubtype } from '../wire/bgp-route-refresh.js';
import type { BgpUpdate } from '../wire/bgp-update.js';
import * as evpnNlri from '../wire/evpn-nlri.js';
import type { EvpnNlri } from '../wire/evpn-nlri.js';
import { isIPv6 } from 'node:net';
import * as ipPrefixNlri from '../wire/ip-prefix-nlri.js';
import type { IpPrefixNlri } from '../wire/ip-prefix-nlri.js';
import * as pathAttribute from '../wire/path-attribute.js';
import type { PathAttribute } from '../wire/path-attribute.js';
import type { Family, RouteNlri } from './route.js';
import { familyAfiSafi } from './afi-safi-family.js';

/** Withdrawn Routes Length + Total Path Attribute Length. */
const UPDATE_FIXED = 4;
/** Attribute header with the Extended Length flag (assumed for MP attributes: at most one octet lost). */
const MP_HEADER = 4;

function update(withdrawn: IpPrefixNlri[], attributes: PathAttribute[], nlri: IpPrefixNlri[]): bgpMessage.BgpMessage {
  const body: BgpUpdate = { withdrawn, attributes, nlri, problems: [] };
  return { type: 'update', update: body };
}

/** Octets of one NLRI of `family` on this session (path identifier included with add-path). */
export function nlriLength(n: RouteNlri, ctx: BgpContext): number {
  if (n.family === 'l2vpn-evpn') return evpnNlri.encodingLength(n.nlri, { addPath: hasAddPath(ctx, 25, 70) });
  const afi = n.family === 'ipv4-unicast' ? 1 : 2;
  return ipPrefixNlri.encodingLength(n.nlri, { afi, addPath: hasAddPath(ctx, afi, 1) });
}

function attributesLength(attributes: readonly PathAttribute[], ctx: BgpContext): number {
  let n = 0;
  for (const a of attributes) n += pathAttribute.encodingLength(a, ctx);
  return n;
}

/**
 * Split `nlris` into runs whose octets fit `room`, in order. Throws a
 * RangeError when a single NLRI does not fit (the attributes are too big
 * for the session: nothing sensible can be sent).
 */
function chunks(nlris: readonly RouteNlri[], room: number, ctx: BgpContext): RouteNlri[][] {
  const out: RouteNlri[][] = [];
  let run: RouteNlri[] = [];
  let used = 0;
  for (const n of nlris) {
    const len = nlriLength(n, ctx);
    if (len > room) throw new RangeError(`an NLRI of ${len} octets does not fit in an UPDATE with these attributes (${room} octets left)`);
    if (used + len > room) {
      out.push(run);
      run = [];
      used = 0;
    }
    run.push(n);
    used += len;
  }
  if (run.length > 0) out.push(run);
  return out;
}

function maxUpdate(ctx: BgpContext): number {
  return maxMessageLength(MessageType.Update, ctx);
}

function nextHopLength(nextHop: string): number {
  return isIPv6(nextHop) ? 16 : 4;
}

function evpnList(run: readonly RouteNlri[]): EvpnNlri[] {
  return run.map((n) => (n as Extract<RouteNlri, { family: 'l2vpn-evpn' }>).nlri);
}

function prefixList(run: readonly RouteNlri[]): IpPrefixNlri[] {
  return run.map((n) => (n as Extract<RouteNlri, { family: 'ipv4-unicast' | 'ipv6-unicast' }>).nlri);
}

function byTypeCode(a: PathAttribute, b: PathAttribute): number {
  return pathAttribute.attributeTypeCode(a) - pathAttribute.attributeTypeCode(b);
}

/** The attributes of an IPv4 unicast announcement: `attributes` plus NEXT_HOP, in type-code order. */
function ipv4Attributes(nextHop: string, attributes: readonly PathAttribute[]): PathAttribute[] {
  return [...attributes, { type: 'next-hop', value: nextHop } as PathAttribute].sort(byTypeCode);
}

/**
 * Octets left for NLRI in one UPDATE announcing with these attributes and
 * next hop on this session. An NLRI longer than this cannot be sent at all
 * (RFC 8654 §5: a route learned over extended messages whose attributes do
 * not fit a 4096-octet UPDATE is not sent to a peer without them).
 */
export function announcementRoom(family: Family, nextHop: string, attributes: readonly PathAttribute[], ctx: BgpContext): number {
  const max = maxUpdate(ctx);
  if (family === 'ipv4-unicast') return max - BGP_HEADER_LENGTH - UPDATE_FIXED - attributesLength(ipv4Attributes(nextHop, attributes), ctx);
  return max - BGP_HEADER_LENGTH - UPDATE_FIXED - attributesLength(attributes, ctx) - MP_HEADER - 5 - nextHopLength(nextHop);
}

/**
 * Announce `nlris` (all of `family`) with one attribute set and next hop:
 * appends the encoded UPDATEs to `out`. `attributes` must not contain
 * NEXT_HOP or MP_REACH/MP_UNREACH_NLRI.
 */
export function packAnnouncements(
  family: Family,
  nextHop: string,
  attributes: readonly PathAttribute[],
  nlris: readonly RouteNlri[],
  ctx: BgpContext,
  out: Buffer[],
): void {
  if (nlris.length === 0) return;
  const room = announcementRoom(family, nextHop, attributes, ctx);
  if (family === 'ipv4-unicast') {
    const attrs = ipv4Attributes(nextHop, attributes);
    for (const run of chunks(nlris, room, ctx)) out.push(bgpMessage.encode(update([], attrs, prefixList(run)), undefined, 0, ctx));
    return;
  }
  for (const run of chunks(nlris, room, ctx)) {
    const mp: PathAttribute =
      family === 'l2vpn-evpn'
        ? { type: 'mp-reach-nlri', value: { kind: 'evpn', afi: 25, safi: 70, nextHop, nlri: evpnList(run) } }
        : { type: 'mp-reach-nlri', value: { kind: 'ip-prefix', afi: 2, safi: 1, nextHop, nlri: prefixList(run) } };
    out.push(bgpMessage.encode(update([], [mp, ...attributes], []), undefined, 0, ctx));
  }
}

/** Withdraw `nlris` (all of `family`): appends the encoded UPDATEs to `out`. */
export function packWithdrawals(family: Family, nlris: readonly RouteNlri[], ctx: BgpContext, out: Buffer[]): void {
  if (nlris.length === 0) return;
  const max = maxUpdate(ctx);
  if (family === 'ipv4-unicast') {
    const room = max - BGP_HEADER_LENGTH - UPDATE_FIXED;
    for (const run of chunks(nlris, room, ctx)) out.push(bgpMessage.encode(update(prefixList(run), [], []), undefined, 0, ctx));
    return;
  }
  const room = max - BGP_HEADER_LENGTH - UPDATE_FIXED - MP_HEADER - 3;
  for (const run of chunks(nlris, room, ctx)) {
    const mp: PathAttribute =
      family === 'l2vpn-evpn'
        ? { type: 'mp-unreach-nlri', value: { kind: 'evpn', afi: 25, safi: 70, withdrawn: evpnList(run) } }
        : { type: 'mp-unreach-nlri', value: { kind: 'ip-prefix', afi: 2, safi: 1, withdrawn: prefixList(run) } };
    out.push(bgpMessage.encode(update([], [mp], []), undefined, 0, ctx));
  }
}

/** RFC 4724 §2 End-of-RIB marker of `family`. */
export function endOfRib(family: Family, ctx: BgpContext): Buffer {
  if (family === 'ipv4-unicast') return bgpMessage.encode(update([], [], []), undefined, 0, ctx);
  const mp: PathAttribute =
    family === 'l2vpn-evpn'
      ? { type: 'mp-unreach-nlri', value: { kind: 'evpn', afi: 25, safi: 70, withdrawn: [] } }
      : { type: 'mp-unreach-nlri', value: { kind: 'ip-prefix', afi: 2, safi: 1, withdrawn: [] } };
  return bgpMessage.encode(update([], [mp], []), undefined, 0, ctx);
}

/** A ROUTE-REFRESH for `family`: a request (RFC 2918), or BoRR / EoRR (RFC 7313). */
export function routeRefresh(family: Family, subtype: number = RouteRefreshSubtype.Normal): Buffer {
  const { afi, safi } = familyAfiSafi(family);
  return bgpMessage.encode({ type: 'route-refresh', routeRefresh: { afi, subtype, safi } });
}
