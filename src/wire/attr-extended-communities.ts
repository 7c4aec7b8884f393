// EXTENDED_COMMUNITIES path attribute (type 16), RFC 4360 §2: a list of
// 8-octet extended communities (route targets, the RFC 9012 encapsulation
// community, MAC mobility, ...), each coded by extended-community.ts.
// Optional transitive.
//
// This module codes the attribute value; decode reads to the end of `buf`.

import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import * as extendedCommunity from './extended-community.js';
import type { ExtendedCommunity } from './extended-community.js';
import { WireError } from './wire-error.js';

const SIZE = 8;

export function decode(buf: Buffer, offset = 0): ExtendedCommunity[] {
  const length = buf.length - offset;
  // RFC 7606 §7.14: malformed if its length is not a non-zero multiple of 8;
  // treat-as-withdraw. An unknown Type or Sub-Type is NOT an error (same
  // section): extended-community.ts keeps such values opaque.
  if (length <= 0 || length % SIZE !== 0) {
    throw new WireError(`EXTENDED_COMMUNITIES: length ${length} is not a non-zero multiple of ${SIZE}`, {
      code: ErrorCode.Update,
      subcode: UpdateSubcode.AttributeLengthError,
      action: 'treat-as-withdraw',
      offset,
    });
  }
  const out: ExtendedCommunity[] = [];
  for (let o = offset; o < buf.length; o += SIZE) out.push(extendedCommunity.decode(buf, o));
  decode.bytes = length;
  return out;
}
decode.bytes = 0;

export function encodingLength(value: readonly ExtendedCommunity[]): number {
  return value.length * SIZE;
}

export function encode(value: readonly ExtendedCommunity[], buf?: Buffer, offset = 0): Buffer {
  if (value.length === 0) throw new RangeError('EXTENDED_COMMUNITIES: at least one community (RFC 7606 §7.14)');
  const length = encodingLength(value);
  const out = buf ?? Buffer.alloc(offset + length);
  if (offset < 0 || offset + length > out.length) {
    throw new RangeError(`EXTENDED_COMMUNITIES: no room for ${length} octets at ${offset}`);
  }
  value.forEach((c, i) => extendedCommunity.encode(c, out, offset + i * SIZE));
  encode.bytes = length;
  return out;
}
encode.bytes = 0;
