// Round-trip checks for codecs in the dns-packet shape (see src/wire/codec.ts).
import assert from 'node:assert/strict';
import type { Codec } from '../../src/wire/codec.js';

/**
 * encode(value) then decode must give `value` back, at offset 0 and at a
 * non-zero offset inside a larger buffer (so codecs that ignore `offset`
 * fail), and encodingLength / encode.bytes / decode.bytes must all agree.
 * Returns the bytes encoded at offset 0.
 */
export function roundTrip<T, C>(codec: Codec<T, C>, value: T, ctx?: C): Buffer {
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
  assert.deepEqual(codec.decode(big, pad, ctx), value, 'decode at an offset');
  assert.equal(codec.decode.bytes, length);
  return plain;
}

/**
 * Real bytes: decode them, re-encode the result and require the very same
 * bytes (also at a non-zero offset). Returns the decoded value.
 */
export function reencodes<T, C>(codec: Codec<T, C>, bytes: Buffer, ctx?: C): T {
  const value = codec.decode(bytes, 0, ctx);
  assert.equal(codec.decode.bytes, bytes.length, 'decode consumed every byte');
  const again = roundTrip(codec, value, ctx);
  assert.deepEqual(again, bytes, 're-encoding gives the captured bytes');
  return value;
}
