// MULTI_EXIT_DISC path attribute (type 4), RFC 4271 §4.3 and §5.1.4: a
// 4-octet unsigned metric. Optional non-transitive.
//
// This module codes the attribute value; decode reads to the end of `buf`.

import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import { WireError } from './wire-error.js';

export function decode(buf: Buffer, offset = 0): number {
  const length = buf.length - offset;
  // RFC 7606 §7.4: malformed if its length is not 4; treat-as-withdraw.
  if (length !== 4) {
    throw new WireError(`MULTI_EXIT_DISC: length ${length}, expected 4`, {
      code: ErrorCode.Update,
      subcode: UpdateSubcode.AttributeLengthError,
      action: 'treat-as-withdraw',
      offset,
    });
  }
  decode.bytes = 4;
  return buf.readUInt32BE(offset);
}
decode.bytes = 0;

export function encode(value: number, buf?: Buffer, offset = 0): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`MULTI_EXIT_DISC must be a 32-bit unsigned integer, got ${value}`);
  }
  const out = buf ?? Buffer.alloc(offset + 4);
  if (offset < 0 || offset + 4 > out.length) throw new RangeError(`MULTI_EXIT_DISC: no room at offset ${offset}`);
  out.writeUInt32BE(value, offset);
  encode.bytes = 4;
  return out;
}
encode.bytes = 0;

export function encodingLength(_value: number): number {
  return 4;
}
