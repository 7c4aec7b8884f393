// ORIGINATOR_ID path attribute (type 9), RFC 4456 §8: the 4-octet BGP
// Identifier of the route's originator in the local AS, added by a route
// reflector. Optional non-transitive. A client drops routes whose
// ORIGINATOR_ID is its own router-id (RFC 4456 §8) — a control-plane rule.
//
// This module codes the attribute value; decode reads to the end of `buf`.
// RFC 7606 §7.9 discards it when received from an EXTERNAL neighbor; the
// session applies that rule, here the internal-peer rule applies.

import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import { formatIpv4, parseIpv4 } from './ip-address.js';
import { WireError } from './wire-error.js';

export function decode(buf: Buffer, offset = 0): string {
  const length = buf.length - offset;
  // RFC 7606 §7.9 (internal neighbor): malformed if its length is not 4;
  // treat-as-withdraw.
  if (length !== 4) {
    throw new WireError(`ORIGINATOR_ID: length ${length}, expected 4`, {
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
  if (offset < 0 || offset + 4 > out.length) throw new RangeError(`ORIGINATOR_ID: no room at offset ${offset}`);
  bytes.copy(out, offset);
  encode.bytes = 4;
  return out;
}
encode.bytes = 0;

export function encodingLength(_value: string): number {
  return 4;
}
