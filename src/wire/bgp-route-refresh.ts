// ROUTE-REFRESH message body, RFC 2918 §3 with RFC 7313 §3's subtype:
//
//   AFI (2) | Message Subtype (1) | SAFI (1)
//
// Subtype 0 is a normal request, 1 / 2 mark the beginning / end of an
// enhanced route refresh (RFC 7313). RFC 7313 §5: other subtypes are ignored
// by the receiver; the decoder keeps them so the session can do that.
//
// The body is 4 bytes; bgp-message.ts checks the message length (RFC 7313 §5)
// before decoding it, so the error can carry the whole message.

import { ErrorCode, RouteRefreshSubcode } from './bgp-error-codes.js';
import { checkUint } from './field-range.js';
import { WireError } from './wire-error.js';

export const ROUTE_REFRESH_BODY_LENGTH = 4;

export const RouteRefreshSubtype = {
  Normal: 0,
  /** BoRR, RFC 7313 §3. */
  BeginningOfRouteRefresh: 1,
  /** EoRR, RFC 7313 §3. */
  EndOfRouteRefresh: 2,
} as const;

export interface BgpRouteRefresh {
  afi: number;
  /** RouteRefreshSubtype; other values are kept (and ignored by the session). */
  subtype: number;
  safi: number;
}

/**
 * RFC 7313 §5: ROUTE-REFRESH Message Error / Invalid Message Length, with
 * the complete message as data. That RFC says so for subtypes 1 and 2; a
 * longer subtype 0 could only carry ORF entries (RFC 5291), which need a
 * capability vxswitch never announces, so it is the same error.
 */
export function invalidLength(message: Buffer, offset: number, why: string): WireError {
  return new WireError(`ROUTE-REFRESH: ${why}`, {
    code: ErrorCode.RouteRefresh,
    subcode: RouteRefreshSubcode.InvalidMessageLength,
    action: 'session-reset',
    offset,
    data: message,
  });
}

export function decode(buf: Buffer, offset = 0): BgpRouteRefresh {
  if (offset < 0 || offset + ROUTE_REFRESH_BODY_LENGTH > buf.length) {
    const have = Math.max(0, buf.length - offset);
    throw invalidLength(buf.subarray(Math.max(0, offset)), offset, `body is ${have} bytes, expected ${ROUTE_REFRESH_BODY_LENGTH}`);
  }
  decode.bytes = ROUTE_REFRESH_BODY_LENGTH;
  return { afi: buf.readUInt16BE(offset), subtype: buf[offset + 2]!, safi: buf[offset + 3]! };
}
decode.bytes = 0;

export function encode(value: BgpRouteRefresh, buf?: Buffer, offset = 0): Buffer {
  checkUint(value.afi, 0xffff, 'ROUTE-REFRESH AFI');
  checkUint(value.subtype, 0xff, 'ROUTE-REFRESH subtype');
  checkUint(value.safi, 0xff, 'ROUTE-REFRESH SAFI');
  const out = buf ?? Buffer.alloc(ROUTE_REFRESH_BODY_LENGTH + offset);
  if (offset < 0 || offset + ROUTE_REFRESH_BODY_LENGTH > out.length) {
    throw new RangeError(`ROUTE-REFRESH (encode): need 4 bytes at offset ${offset}, have ${out.length - offset}`);
  }
  out.writeUInt16BE(value.afi, offset);
  out[offset + 2] = value.subtype;
  out[offset + 3] = value.safi;
  encode.bytes = ROUTE_REFRESH_BODY_LENGTH;
  return out;
}
encode.bytes = 0;

export function encodingLength(_value: BgpRouteRefresh): number {
  return ROUTE_REFRESH_BODY_LENGTH;
}
