// The RFC 1071 Internet checksum, shared by IPv4, UDP and TCP (and by the
// fast path, which finishes partial checksums and checksums every segment it
// cuts from a GSO super-frame).
//
// Two forms of the same sum: over a Uint8Array one byte pair at a time (for
// headers and the slow path), and over a DataView four bytes at a time (for
// payloads: about three times faster here, see bench/wire.bench.ts). The sum
// of big-endian 32-bit words folds to the same 16-bit ones' complement sum as
// the sum of 16-bit words (RFC 1071 §2 (B), byte-order and word-size
// independence), so both give the same result at any offset.

/** Fold carries back in (RFC 1071 §2 "end-around carry") to 16 bits. */
export function fold(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/**
 * The 16-bit ones' complement sum of `length` bytes (big-endian 16-bit words;
 * an odd last byte is padded with zero, RFC 1071 §4.1), folded, added to
 * `initial` (a previous folded sum, e.g. a pseudo-header's). Not complemented.
 */
export function onesComplementSum(buf: Uint8Array, offset: number, length: number, initial = 0): number {
  // A double holds 2^53: no carry is lost before the fold for any real length.
  let sum = initial;
  const end = offset + length;
  let i = offset;
  for (; i + 1 < end; i += 2) sum += (buf[i]! << 8) | buf[i + 1]!;
  if (i < end) sum += buf[i]! << 8;
  return fold(sum);
}

/**
 * onesComplementSum over a DataView: the same result, four bytes per load.
 * For payloads on the fast path; the caller keeps one DataView per buffer.
 */
export function onesComplementSumView(view: DataView, offset: number, length: number, initial = 0): number {
  // Two accumulators of 32-bit words: each stays below 2^53 for any length a
  // 64 KiB frame can have.
  let a = initial;
  let b = 0;
  const end = offset + length;
  let i = offset;
  for (; i + 15 < end; i += 16) {
    a += view.getUint32(i) + view.getUint32(i + 4);
    b += view.getUint32(i + 8) + view.getUint32(i + 12);
  }
  for (; i + 3 < end; i += 4) a += view.getUint32(i);
  for (; i + 1 < end; i += 2) a += view.getUint16(i);
  if (i < end) a += view.getUint8(i) << 8;
  return fold(a + b);
}

/**
 * RFC 1071 checksum of `length` bytes: the ones' complement of their ones'
 * complement sum (plus `initial`). Over data that contains a correct checksum
 * field the result is 0.
 */
export function checksum(buf: Uint8Array, offset: number, length: number, initial = 0): number {
  return ~onesComplementSum(buf, offset, length, initial) & 0xffff;
}

/**
 * A folded sum with one 16-bit field changed from `from` to `to` (RFC 1624
 * §3, eqn. 3, in sum form): what the fast path uses to fix an IPv4 header
 * checksum after changing one field.
 */
export function replaceInSum(sum: number, from: number, to: number): number {
  return fold(sum + (~from & 0xffff) + to);
}
