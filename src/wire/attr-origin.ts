// ORIGIN path attribute (type 1), RFC 4271 §4.3 and §5.1.1: one octet,
// 0 = IGP, 1 = EGP, 2 = INCOMPLETE. Well-known mandatory.
//
// This module codes the attribute VALUE (the bytes after the attribute
// header); src/wire/path-attribute.ts adds flags, type code and length.
// decode reads from `offset` to the end of `buf`: the caller passes a view
// that ends where the attribute ends.

import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import { WireError } from './wire-error.js';

export type Origin = 'igp' | 'egp' | 'incomplete';

const ORIGINS: readonly Origin[] = ['igp', 'egp', 'incomplete'];
/** The one-letter codes FRR and GoBGP print in their RIB tables. */
const ORIGIN_CODES: Record<Origin, string> = { igp: 'i', egp: 'e', incomplete: '?' };

export function decode(buf: Buffer, offset = 0): Origin {
  const length = buf.length - offset;
  // RFC 7606 §7.1: malformed if its length is not 1 or its value is
  // undefined; an UPDATE with a malformed ORIGIN is treated as withdraw.
  if (length !== 1) {
    throw new WireError(`ORIGIN: length ${length}, expected 1`, {
      code: ErrorCode.Update,
      subcode: UpdateSubcode.AttributeLengthError,
      action: 'treat-as-withdraw',
      offset,
    });
  }
  const origin = ORIGINS[buf[offset]!];
  if (origin === undefined) {
    throw new WireError(`ORIGIN: undefined value ${buf[offset]}`, {
      code: ErrorCode.Update,
      subcode: UpdateSubcode.InvalidOriginAttribute,
      action: 'treat-as-withdraw',
      offset,
    });
  }
  decode.bytes = 1;
  return origin;
}
decode.bytes = 0;

export function encode(value: Origin, buf?: Buffer, offset = 0): Buffer {
  const code = ORIGINS.indexOf(value);
  if (code < 0) throw new TypeError(`ORIGIN must be igp, egp or incomplete, got ${String(value)}`);
  const out = buf ?? Buffer.alloc(offset + 1);
  if (offset < 0 || offset + 1 > out.length) throw new RangeError(`ORIGIN: no room at offset ${offset}`);
  out[offset] = code;
  encode.bytes = 1;
  return out;
}
encode.bytes = 0;

export function encodingLength(_value: Origin): number {
  return 1;
}

/** "i", "e" or "?", as in `show bgp` and `gobgp global rib`. */
export function originCode(origin: Origin): string {
  return ORIGIN_CODES[origin];
}
