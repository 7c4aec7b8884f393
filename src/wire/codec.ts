// The shape every codec module in src/wire follows (after dns-packet):
//
//   export function decode(buf, offset = 0, ctx?): T      // sets decode.bytes
//   export function encode(value, buf?, offset = 0, ctx?): Buffer  // sets encode.bytes
//   export function encodingLength(value, ctx?): number
//
// `decode.bytes` / `encode.bytes` hold the number of bytes the last call
// consumed or wrote, so a caller walking a buffer advances by them without a
// wrapper object per call. Decoders return subarray views into `buf` for
// opaque byte fields: no copies. `encode` allocates only when no buffer is
// given. A module is then usable as a `Codec<T, C>`.

export interface Decoder<T, C> {
  (buf: Buffer, offset?: number, ctx?: C): T;
  bytes: number;
}

export interface Encoder<T, C> {
  (value: T, buf?: Buffer, offset?: number, ctx?: C): Buffer;
  bytes: number;
}

export interface Codec<T, C = undefined> {
  decode: Decoder<T, C>;
  encode: Encoder<T, C>;
  encodingLength(value: T, ctx?: C): number;
}
