// ATOMIC_AGGREGATE path attribute (type 6), RFC 4271 §4.3 and §5.1.6: no
// value at all; its presence is the information. Well-known discretionary.
// The decoded value is `null`.
//
// This module codes the (empty) attribute value; decode reads to the end of
// `buf`.

import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import { WireError } from './wire-error.js';

export function decode(buf: Buffer, offset = 0): null {
  const length = buf.length - offset;
  // RFC 7606 §7.6: malformed if its length is not 0. The attribute does not
  // affect route selection, so it is discarded (attribute discard).
  if (length !== 0) {
    throw new WireError(`ATOMIC_AGGREGATE: length ${length}, expected 0`, {
      code: ErrorCode.Update,
      subcode: UpdateSubcode.AttributeLengthError,
      action: 'attribute-discard',
      offset,
    });
  }
  decode.bytes = 0;
  return null;
}
decode.bytes = 0;

export function encode(_value: null, buf?: Buffer, offset = 0): Buffer {
  const out = buf ?? Buffer.alloc(offset);
  if (offset < 0 || offset > out.length) throw new RangeError(`ATOMIC_AGGREGATE: offset ${offset} is outside the buffer`);
  encode.bytes = 0;
  return out;
}
encode.bytes = 0;

export function encodingLength(_value: null): number {
  return 0;
}
