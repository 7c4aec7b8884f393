// MP_REACH_NLRI path attribute (type 14), RFC 4760 §3:
//
//   AFI (2) | SAFI (1) | Length of Next Hop (1) | Next Hop (variable)
//   | Reserved (1) | NLRI (variable)
//
// Optional non-transitive. The NLRI of known families are decoded one by one:
// L2VPN EVPN (25/70) with evpn-nlri.ts, IPv4/IPv6 unicast (1/1, 2/1) with
// ip-prefix-nlri.ts; any other family keeps next hop and NLRI opaque so the
// attribute still re-encodes byte for byte. The Reserved octet (the SNPA
// count of RFC 2858) MUST be 0 on send and is ignored on receipt (RFC 4760
// §3); a non-zero value is kept only so the bytes re-encode.
//
// Errors: RFC 7606 §5.3 and §7.11 — if the attribute is too short, the next
// hop length does not suit the family, or an NLRI cannot be parsed, the NLRI
// cannot be located or delimited, so treat-as-withdraw is impossible (§3 j):
// the decoder throws a WireError with action 'session-reset' (RFC 7606 also
// allows AFI/SAFI disable; vxswitch does not use it). The error is UPDATE
// Message Error / Optional Attribute Error (RFC 4760 §7), or Invalid Network
// Field when an NLRI itself is bad (from the NLRI codecs).
//
// This module codes the attribute value; decode reads to the end of `buf`.

import { Afi, Safi } from './afi-safi.js';
import type { BgpContext } from './bgp-context.js';
import { DEFAULT_CONTEXT, hasAddPath } from './bgp-context.js';
import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import * as evpnNlri from './evpn-nlri.js';
import type { EvpnNlri } from './evpn-nlri.js';
import { checkUint } from './field-range.js';
import { formatIp, parseIp } from './ip-address.js';
import * as ipPrefixNlri from './ip-prefix-nlri.js';
import type { IpPrefixNlri } from './ip-prefix-nlri.js';
import { WireError } from './wire-error.js';

interface ReachCommon {
  /** The Reserved octet; present only when a peer sent it non-zero. */
  reserved?: number;
}

/** L2VPN EVPN (RFC 7432 §5): next hop = the VTEP address, 4 or 16 octets. */
export interface EvpnReach extends ReachCommon {
  kind: 'evpn';
  afi: 25;
  safi: 70;
  nextHop: string;
  nlri: EvpnNlri[];
}

/** IPv4 or IPv6 unicast. An IPv6 next hop may come with a link-local one (32 octets, RFC 2545 §3). */
export interface IpPrefixReach extends ReachCommon {
  kind: 'ip-prefix';
  afi: 1 | 2;
  safi: 1;
  nextHop: string;
  linkLocalNextHop?: string;
  nlri: IpPrefixNlri[];
}

/** Any other family: next hop and NLRI as views of the received bytes. */
export interface OpaqueReach extends ReachCommon {
  kind: 'opaque';
  afi: number;
  safi: number;
  nextHop: Buffer;
  nlri: Buffer;
}

export type MpReachNlri = EvpnReach | IpPrefixReach | OpaqueReach;

export type MpFamilyKind = MpReachNlri['kind'];

/** Which NLRI codec a family uses. */
export function familyKind(afi: number, safi: number): MpFamilyKind {
  if (afi === Afi.L2vpn && safi === Safi.Evpn) return 'evpn';
  if ((afi === Afi.Ipv4 || afi === Afi.Ipv6) && safi === Safi.Unicast) return 'ip-prefix';
  return 'opaque';
}

/**
 * Next hop lengths accepted per family: EVPN 4 or 16 (RFC 7432 §5 / RFC 8365);
 * IPv4 unicast 4, or 16/32 with an IPv6 next hop (RFC 8950 §3); IPv6 unicast
 * 16 or 32 (RFC 2545 §3).
 */
function nextHopLengths(afi: number, safi: number): readonly number[] {
  if (afi === Afi.L2vpn && safi === Safi.Evpn) return [4, 16];
  if (afi === Afi.Ipv4) return [4, 16, 32];
  return [16, 32];
}

/** An MP_REACH/MP_UNREACH error that leaves the NLRI unlocatable (RFC 7606 §5.3, §7.11). */
export function mpError(what: string, message: string, offset: number): WireError {
  return new WireError(`${what}: ${message}`, {
    code: ErrorCode.Update,
    subcode: UpdateSubcode.OptionalAttributeError,
    action: 'session-reset',
    offset,
  });
}

// ------------------------------------------------------------ NLRI lists
// Shared with attr-mp-unreach-nlri.ts: a run of NLRI up to the end of `buf`.

export function decodeEvpnList(buf: Buffer, offset: number, ctx: BgpContext): EvpnNlri[] {
  const nctx = { addPath: hasAddPath(ctx, Afi.L2vpn, Safi.Evpn) };
  const list: EvpnNlri[] = [];
  for (let o = offset; o < buf.length; o += evpnNlri.decode.bytes) list.push(evpnNlri.decode(buf, o, nctx));
  return list;
}

export function decodeIpPrefixList(buf: Buffer, offset: number, afi: 1 | 2, ctx: BgpContext): IpPrefixNlri[] {
  const pctx = { afi, addPath: hasAddPath(ctx, afi, Safi.Unicast) };
  const list: IpPrefixNlri[] = [];
  for (let o = offset; o < buf.length; o += ipPrefixNlri.decode.bytes) list.push(ipPrefixNlri.decode(buf, o, pctx));
  return list;
}

export function evpnListLength(list: readonly EvpnNlri[], ctx: BgpContext): number {
  const nctx = { addPath: hasAddPath(ctx, Afi.L2vpn, Safi.Evpn) };
  let n = 0;
  for (const x of list) n += evpnNlri.encodingLength(x, nctx);
  return n;
}

export function ipPrefixListLength(list: readonly IpPrefixNlri[], afi: 1 | 2, ctx: BgpContext): number {
  const pctx = { afi, addPath: hasAddPath(ctx, afi, Safi.Unicast) };
  let n = 0;
  for (const x of list) n += ipPrefixNlri.encodingLength(x, pctx);
  return n;
}

export function encodeEvpnList(list: readonly EvpnNlri[], buf: Buffer, offset: number, ctx: BgpContext): number {
  const nctx = { addPath: hasAddPath(ctx, Afi.L2vpn, Safi.Evpn) };
  let o = offset;
  for (const x of list) {
    evpnNlri.encode(x, buf, o, nctx);
    o += evpnNlri.encode.bytes;
  }
  return o - offset;
}

export function encodeIpPrefixList(list: readonly IpPrefixNlri[], buf: Buffer, offset: number, afi: 1 | 2, ctx: BgpContext): number {
  const pctx = { afi, addPath: hasAddPath(ctx, afi, Safi.Unicast) };
  let o = offset;
  for (const x of list) {
    ipPrefixNlri.encode(x, buf, o, pctx);
    o += ipPrefixNlri.encode.bytes;
  }
  return o - offset;
}

// ------------------------------------------------------------ the attribute

/** AFI 2 + SAFI 1 + next hop length 1 + reserved 1 (RFC 7606 §5.3: shorter is malformed). */
const MIN_LENGTH = 5;

export function decode(buf: Buffer, offset = 0, ctx: BgpContext = DEFAULT_CONTEXT): MpReachNlri {
  const length = buf.length - offset;
  if (length < MIN_LENGTH) throw mpError('MP_REACH_NLRI', `length ${length}, at least ${MIN_LENGTH}`, offset);
  const afi = buf.readUInt16BE(offset);
  const safi = buf[offset + 2]!;
  const nhLength = buf[offset + 3]!;
  const nhStart = offset + 4;
  if (nhStart + nhLength + 1 > buf.length) {
    throw mpError('MP_REACH_NLRI', `next hop of ${nhLength} octets overruns the attribute (${length} octets)`, offset + 3);
  }
  const nextHop = buf.subarray(nhStart, nhStart + nhLength);
  const reservedByte = buf[nhStart + nhLength]!;
  const nlriStart = nhStart + nhLength + 1;
  const kind = familyKind(afi, safi);
  let value: MpReachNlri;
  if (kind === 'opaque') {
    value = { kind, afi, safi, nextHop, nlri: buf.subarray(nlriStart) };
  } else {
    // RFC 7606 §7.11: a next hop length the family does not allow leaves the
    // NLRI unlocatable.
    if (!nextHopLengths(afi, safi).includes(nhLength)) {
      throw mpError('MP_REACH_NLRI', `next hop length ${nhLength} is not valid for AFI ${afi} / SAFI ${safi}`, offset + 3);
    }
    const global = formatIp(nextHop.subarray(0, nhLength === 4 ? 4 : 16));
    if (kind === 'evpn') {
      value = { kind, afi: 25, safi: 70, nextHop: global, nlri: decodeEvpnList(buf, nlriStart, ctx) };
    } else {
      const ipAfi = afi as 1 | 2;
      const reach: IpPrefixReach = { kind, afi: ipAfi, safi: 1, nextHop: global, nlri: [] };
      if (nhLength === 32) reach.linkLocalNextHop = formatIp(nextHop.subarray(16, 32));
      reach.nlri = decodeIpPrefixList(buf, nlriStart, ipAfi, ctx);
      value = reach;
    }
  }
  if (reservedByte !== 0) value.reserved = reservedByte;
  decode.bytes = length;
  return value;
}
decode.bytes = 0;

function nextHopBytes(value: MpReachNlri): Buffer {
  if (value.kind === 'opaque') return value.nextHop;
  const global = parseIp(value.nextHop);
  if (value.kind === 'ip-prefix' && value.linkLocalNextHop !== undefined) {
    const ll = parseIp(value.linkLocalNextHop);
    if (global.length !== 16 || ll.length !== 16) {
      throw new TypeError('MP_REACH_NLRI: a link-local next hop goes with an IPv6 global next hop (RFC 2545 §3)');
    }
    return Buffer.concat([global, ll]);
  }
  if (!nextHopLengths(value.afi, value.safi).includes(global.length)) {
    throw new TypeError(`MP_REACH_NLRI: next hop ${value.nextHop} does not suit AFI ${value.afi} / SAFI ${value.safi}`);
  }
  return global;
}

function nlriLength(value: MpReachNlri, ctx: BgpContext): number {
  switch (value.kind) {
    case 'evpn':
      return evpnListLength(value.nlri, ctx);
    case 'ip-prefix':
      return ipPrefixListLength(value.nlri, value.afi, ctx);
    case 'opaque':
      return value.nlri.length;
  }
}

export function encodingLength(value: MpReachNlri, ctx: BgpContext = DEFAULT_CONTEXT): number {
  return 4 + nextHopBytes(value).length + 1 + nlriLength(value, ctx);
}

export function encode(value: MpReachNlri, buf?: Buffer, offset = 0, ctx: BgpContext = DEFAULT_CONTEXT): Buffer {
  checkUint(value.afi, 0xffff, 'MP_REACH_NLRI AFI');
  checkUint(value.safi, 0xff, 'MP_REACH_NLRI SAFI');
  const nh = nextHopBytes(value);
  if (nh.length > 0xff) throw new RangeError(`MP_REACH_NLRI: next hop of ${nh.length} octets`);
  const reserved = value.reserved ?? 0;
  checkUint(reserved, 0xff, 'MP_REACH_NLRI reserved octet');
  const length = 4 + nh.length + 1 + nlriLength(value, ctx);
  const out = buf ?? Buffer.alloc(offset + length);
  if (offset < 0 || offset + length > out.length) throw new RangeError(`MP_REACH_NLRI: no room for ${length} octets at ${offset}`);
  out.writeUInt16BE(value.afi, offset);
  out[offset + 2] = value.safi;
  out[offset + 3] = nh.length;
  nh.copy(out, offset + 4);
  out[offset + 4 + nh.length] = reserved;
  const nlriAt = offset + 5 + nh.length;
  switch (value.kind) {
    case 'evpn':
      encodeEvpnList(value.nlri, out, nlriAt, ctx);
      break;
    case 'ip-prefix':
      encodeIpPrefixList(value.nlri, out, nlriAt, value.afi, ctx);
      break;
    case 'opaque':
      value.nlri.copy(out, nlriAt);
      break;
  }
  encode.bytes = length;
  return out;
}
encode.bytes = 0;
