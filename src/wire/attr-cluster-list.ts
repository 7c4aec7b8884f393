// CLUSTER_LIST path attribute (type 10), RFC 4456 §8: the CLUSTER_IDs (4
// octets each, shown as dotted quads) of the route reflectors the route
// passed, the most recent first. Optional non-transitive.
//
// This module codes the attribute value; decode reads to the end of `buf`.
// RFC 7606 §7.10 discards it when received from an EXTERNAL neighbor; the
// session applies that rule, here the internal-peer rule applies.

import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import { formatIpv4, parseIpv4 } from './ip-address.js';
import { WireError } from './wire-error.js';

export function decode(buf: Buffer, offset = 0): string[] {
  const length = buf.length - offset;
  // RFC 7606 §7.10 (internal neighbor): malformed if its length is not a
  // non-zero multiple of 4; treat-as-withdraw.
  if (length <= 0 || length % 4 !== 0) {
    throw new WireError(`CLUSTER_LIST: length ${length} is not a non-zero multiple of 4`, {
      code: ErrorCode.Update,
      subcode: UpdateSubcode.AttributeLengthError,
      action: 'treat-as-withdraw',
      offset,
    });
  }
  const ids: string[] = [];
  for (let o = offset; o < buf.length; o += 4) ids.push(formatIpv4(buf, o));
  decode.bytes = length;
  return ids;
}
decode.bytes = 0;

export function encodingLength(value: readonly string[]): number {
  return value.length * 4;
}

export function encode(value: readonly string[], buf?: Buffer, offset = 0): Buffer {
  if (value.length === 0) throw new RangeError('CLUSTER_LIST: at least one CLUSTER_ID (RFC 7606 §7.10)');
  const length = encodingLength(value);
  const out = buf ?? Buffer.alloc(offset + length);
  if (offset < 0 || offset + length > out.length) throw new RangeError(`CLUSTER_LIST: no room for ${length} octets at ${offset}`);
  value.forEach((id, i) => parseIpv4(id).copy(out, offset + i * 4));
  encode.bytes = length;
  return out;
}
encode.bytes = 0;
