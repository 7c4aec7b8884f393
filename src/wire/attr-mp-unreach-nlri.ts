// MP_UNREACH_NLRI path attribute (type 15), RFC 4760 §4:
//
//   AFI (2) | SAFI (1) | Withdrawn Routes (variable)
//
// Optional non-transitive. Withdrawn routes of known families are decoded
// like MP_REACH_NLRI's NLRI (attr-mp-reach-nlri.ts); other families stay
// opaque. An MP_UNREACH_NLRI with no routes at all is the End-of-RIB marker
// of its family (RFC 4724 §2).
//
// Errors: RFC 7606 §5.3 — shorter than 3 octets, or a withdrawn route that
// cannot be parsed: the routes cannot be delimited, so the decoder throws a
// WireError with action 'session-reset' (§3 j).
//
// This module codes the attribute value; decode reads to the end of `buf`.

import type { BgpContext } from './bgp-context.js';
import { DEFAULT_CONTEXT } from './bgp-context.js';
import type { EvpnNlri } from './evpn-nlri.js';
import type { IpPrefixNlri } from './ip-prefix-nlri.js';
import {
  decodeEvpnList,
  decodeIpPrefixList,
  encodeEvpnList,
  encodeIpPrefixList,
  evpnListLength,
  familyKind,
  ipPrefixListLength,
  mpError,
} from './attr-mp-reach-nlri.js';
import { checkUint } from './field-range.js';

export interface EvpnUnreach {
  kind: 'evpn';
  afi: 25;
  safi: 70;
  withdrawn: EvpnNlri[];
}

export interface IpPrefixUnreach {
  kind: 'ip-prefix';
  afi: 1 | 2;
  safi: 1;
  withdrawn: IpPrefixNlri[];
}

export interface OpaqueUnreach {
  kind: 'opaque';
  afi: number;
  safi: number;
  withdrawn: Buffer;
}

export type MpUnreachNlri = EvpnUnreach | IpPrefixUnreach | OpaqueUnreach;

/** AFI 2 + SAFI 1 (RFC 7606 §5.3: shorter is malformed). */
const MIN_LENGTH = 3;

export function decode(buf: Buffer, offset = 0, ctx: BgpContext = DEFAULT_CONTEXT): MpUnreachNlri {
  const length = buf.length - offset;
  if (length < MIN_LENGTH) throw mpError('MP_UNREACH_NLRI', `length ${length}, at least ${MIN_LENGTH}`, offset);
  const afi = buf.readUInt16BE(offset);
  const safi = buf[offset + 2]!;
  const start = offset + 3;
  let value: MpUnreachNlri;
  switch (familyKind(afi, safi)) {
    case 'evpn':
      value = { kind: 'evpn', afi: 25, safi: 70, withdrawn: decodeEvpnList(buf, start, ctx) };
      break;
    case 'ip-prefix': {
      const ipAfi = afi as 1 | 2;
      value = { kind: 'ip-prefix', afi: ipAfi, safi: 1, withdrawn: decodeIpPrefixList(buf, start, ipAfi, ctx) };
      break;
    }
    case 'opaque':
      value = { kind: 'opaque', afi, safi, withdrawn: buf.subarray(start) };
      break;
  }
  decode.bytes = length;
  return value;
}
decode.bytes = 0;

function routesLength(value: MpUnreachNlri, ctx: BgpContext): number {
  switch (value.kind) {
    case 'evpn':
      return evpnListLength(value.withdrawn, ctx);
    case 'ip-prefix':
      return ipPrefixListLength(value.withdrawn, value.afi, ctx);
    case 'opaque':
      return value.withdrawn.length;
  }
}

export function encodingLength(value: MpUnreachNlri, ctx: BgpContext = DEFAULT_CONTEXT): number {
  return MIN_LENGTH + routesLength(value, ctx);
}

export function encode(value: MpUnreachNlri, buf?: Buffer, offset = 0, ctx: BgpContext = DEFAULT_CONTEXT): Buffer {
  checkUint(value.afi, 0xffff, 'MP_UNREACH_NLRI AFI');
  checkUint(value.safi, 0xff, 'MP_UNREACH_NLRI SAFI');
  const length = MIN_LENGTH + routesLength(value, ctx);
  const out = buf ?? Buffer.alloc(offset + length);
  if (offset < 0 || offset + length > out.length) throw new RangeError(`MP_UNREACH_NLRI: no room for ${length} octets at ${offset}`);
  out.writeUInt16BE(value.afi, offset);
  out[offset + 2] = value.safi;
  switch (value.kind) {
    case 'evpn':
      encodeEvpnList(value.withdrawn, out, offset + MIN_LENGTH, ctx);
      break;
    case 'ip-prefix':
      encodeIpPrefixList(value.withdrawn, out, offset + MIN_LENGTH, value.afi, ctx);
      break;
    case 'opaque':
      value.withdrawn.copy(out, offset + MIN_LENGTH);
      break;
  }
  encode.bytes = length;
  return out;
}
encode.bytes = 0;

/** True when the attribute carries no route: the End-of-RIB marker of its family (RFC 4724 §2). */
export function isEmpty(value: MpUnreachNlri): boolean {
  return value.withdrawn.length === 0;
}
