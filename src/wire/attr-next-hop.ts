// NEXT_HOP path attribute (type 3), RFC 4271 §4.3 and §5.1.3: the IPv4
// address of the router to use as next hop for the UPDATE's (IPv4) NLRI
// field. Well-known mandatory when that field is not empty; RFC 4760 §3 moves
// the next hop of other families into MP_REACH_NLRI.
//
// This module codes the attribute value; decode reads to the end of `buf`.

import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import { formatIpv4, parseIpv4 } from './ip-address.js';
import { WireError } from './wire-error.js';

export function decode(buf: Buffer, offset = 0): string {
  const length = buf.length - offset;
  // RFC 7606 §7.3: malformed if its length is not 4; treat-as-withdraw.
  if (length !== 4) {
    throw new WireError(`NEXT_HOP: length ${length}, expected 4`, {
      code: ErrorCode.Update,
      subcode: UpdateSubcode.AttributeLengthError,
      action: 'treat-as-withdraw',
      offset,
    });
  }
  decode.bytes = 4;
  return formatIpv4(buf, offset);
}
decode.bytes = 0;

export function encode(value: string, buf?: Buffer, offset = 0): Buffer {
  const bytes = parseIpv4(value);
  const out = buf ?? Buffer.alloc(offset + 4);
  if (offset < 0 || offset + 4 > out.length) throw new RangeError(`NEXT_HOP: no room at offset ${offset}`);
  bytes.copy(out, offset);
  encode.bytes = 4;
  return out;
}
encode.bytes = 0;

export function encodingLength(_value: string): number {
  return 4;
}
