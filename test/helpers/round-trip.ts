// Round-trip checks for codecs in the dns-packet shape (see src/wire/codec.ts).
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Codec } from '../../src/wire/codec.js';
import { runs } from './property.js';

export interface RoundTripOptions {
  /**
   * The codec's decode reads to the END of the buffer instead of delimiting
   * itself (path attribute values, the attribute block, the UPDATE and
   * NOTIFICATION bodies): its caller passes a view that ends where the field
   * ends. The "decode at an offset" check then decodes a view that starts
   * with padding and ends exactly at the encoded bytes' end (the padding
   * after it is where the next field would begin).
   */
  toEnd?: boolean;
}

/**
 * encode(value) then decode must give `value` back, at offset 0 and at a
 * non-zero offset inside a larger buffer (so codecs that ignore `offset`
 * fail), and encodingLength / encode.bytes / decode.bytes must all agree.
 * Returns the bytes encoded at offset 0.
 */
export function roundTrip<T, C>(codec: Codec<T, C>, value: T, ctx?: C, options: RoundTripOptions = {}): Buffer {
  const length = codec.encodingLength(value, ctx);
  const plain = codec.encode(value, undefined, 0, ctx);
  assert.equal(codec.encode.bytes, length, 'encode.bytes = encodingLength');
  assert.equal(plain.length, length, 'encode() without a buffer allocates exactly encodingLength');
  assert.deepEqual(codec.decode(plain, 0, ctx), value, 'decode(encode(v)) = v');
  assert.equal(codec.decode.bytes, length, 'decode.bytes = encodingLength');

  const pad = 7;
  const big = Buffer.alloc(length + pad + 5, 0xa5);
  codec.encode(value, big, pad, ctx);
  assert.equal(codec.encode.bytes, length);
  assert.deepEqual(big.subarray(pad, pad + length), plain, 'encoding at an offset writes the same bytes');
  assert.equal(big[pad - 1], 0xa5, 'encode does not write before its offset');
  assert.equal(big[pad + length], 0xa5, 'encode does not write past encodingLength');
  const decodeFrom = options.toEnd ? big.subarray(0, pad + length) : big;
  assert.deepEqual(codec.decode(decodeFrom, pad, ctx), value, 'decode at an offset');
  assert.equal(codec.decode.bytes, length);
  return plain;
}

/**
 * Real bytes: decode them, re-encode the result and require the very same
 * bytes (also at a non-zero offset). Returns the decoded value.
 */
export function reencodes<T, C>(codec: Codec<T, C>, bytes: Buffer, ctx?: C, options: RoundTripOptions = {}): T {
  const value = codec.decode(bytes, 0, ctx);
  assert.equal(codec.decode.bytes, bytes.length, 'decode consumed every byte');
  const again = roundTrip(codec, value, ctx, options);
  assert.deepEqual(again, bytes, 're-encoding gives the captured bytes');
  return value;
}

/** The options for a codec whose decode reads to the end of its buffer. */
export const TO_END: RoundTripOptions = { toEnd: true };

/** The identity property: every generated value passes roundTrip (runs(share) cases). */
export function assertRoundTrips<T, C>(
  codec: Codec<T, C>,
  values: fc.Arbitrary<T>,
  ctx?: C,
  options: RoundTripOptions = {},
  share = 1,
): void {
  fc.assert(
    fc.property(values, (value) => {
      roundTrip(codec, value, ctx, options);
    }),
    runs(share),
  );
}
