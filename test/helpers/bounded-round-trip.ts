// roundTrip / reencodes (round-trip.ts) for codecs whose decode reads to the
// END of the buffer instead of delimiting itself: path attribute values, the
// attribute block, the UPDATE body. Their caller passes a view that ends
// where the field ends, so the "decode at an offset" check decodes a view
// that starts with padding and ends exactly at the encoded bytes' end (the
// padding after it is where the next field would begin).
import assert from 'node:assert/strict';
import type { Codec } from '../../src/wire/codec.js';

export function roundTripToEnd<T, C>(codec: Codec<T, C>, value: T, ctx?: C): Buffer {
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
  assert.deepEqual(codec.decode(big.subarray(0, pad + length), pad, ctx), value, 'decode at an offset');
  assert.equal(codec.decode.bytes, length);
  return plain;
}

export function reencodesToEnd<T, C>(codec: Codec<T, C>, bytes: Buffer, ctx?: C): T {
  const value = codec.decode(bytes, 0, ctx);
  assert.equal(codec.decode.bytes, bytes.length, 'decode consumed every byte');
  const again = roundTripToEnd(codec, value, ctx);
  assert.deepEqual(again, bytes, 're-encoding gives the captured bytes');
  return value;
}
