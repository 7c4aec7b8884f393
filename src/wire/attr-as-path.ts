// AS_PATH (type 2, RFC 4271 §4.3 and §5.1.2) and AS4_PATH (type 17, RFC 6793
// §3): a sequence of path segments, each
//
//   segment type (1 octet) | segment length = number of ASNs (1 octet) | ASNs
//
// Segment types: AS_SET 1, AS_SEQUENCE 2 (RFC 4271), AS_CONFED_SEQUENCE 3,
// AS_CONFED_SET 4 (RFC 5065 §3). ASNs are 2 octets, or 4 octets when both
// sides announced the 4-octet AS capability (RFC 6793 §4.1); AS4_PATH always
// carries 4-octet ASNs, so path-attribute.ts decodes it with `{ as4: true }`.
//
// This module codes the attribute value; decode reads to the end of `buf`.

import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import { WireError } from './wire-error.js';

export type AsPathSegmentType = 'as-set' | 'as-sequence' | 'as-confed-sequence' | 'as-confed-set';

export interface AsPathSegment {
  type: AsPathSegmentType;
  asns: number[];
}

/** How wide an ASN is on this session (a BgpContext satisfies it). */
export interface AsWidth {
  as4: boolean;
}

/** RFC 4271 §4.3 / RFC 5065 §3 segment type codes, by name. */
export const SegmentTypeCode: Record<AsPathSegmentType, number> = {
  'as-set': 1,
  'as-sequence': 2,
  'as-confed-sequence': 3,
  'as-confed-set': 4,
};
const SEGMENT_TYPES: readonly (AsPathSegmentType | undefined)[] = [
  undefined,
  'as-set',
  'as-sequence',
  'as-confed-sequence',
  'as-confed-set',
];

/** RFC 6793 §9: the 2-octet placeholder for an ASN above 65535. */
export const AS_TRANS = 23456;
/** The segment length field is one octet. */
export const MAX_SEGMENT_ASNS = 255;

const TWO_OCTET: AsWidth = { as4: false };

function malformed(message: string, offset: number): WireError {
  // RFC 7606 §7.2: a malformed AS_PATH is handled as treat-as-withdraw;
  // RFC 4271 §6.3 names the subcode (Malformed AS_PATH).
  return new WireError(`AS_PATH: ${message}`, {
    code: ErrorCode.Update,
    subcode: UpdateSubcode.MalformedAsPath,
    action: 'treat-as-withdraw',
    offset,
  });
}

export function decode(buf: Buffer, offset = 0, ctx: AsWidth = TWO_OCTET): AsPathSegment[] {
  const width = ctx.as4 ? 4 : 2;
  const end = buf.length;
  if (offset > end) throw malformed(`offset ${offset} is past the attribute`, offset);
  const segments: AsPathSegment[] = [];
  let o = offset;
  while (o < end) {
    // RFC 7606 §7.2 underrun: a single octet left cannot hold a segment header.
    if (end - o < 2) throw malformed('one octet left after the last segment', o);
    const type = SEGMENT_TYPES[buf[o]!];
    if (type === undefined) throw malformed(`unrecognized segment type ${buf[o]}`, o);
    const count = buf[o + 1]!;
    // RFC 7606 §7.2: a Path Segment Length of zero is malformed.
    if (count === 0) throw malformed('segment length 0', o + 1);
    // RFC 7606 §7.2 overrun: the segment runs past the attribute.
    if (o + 2 + count * width > end) {
      throw malformed(`segment of ${count} ASNs needs ${count * width} octets, ${end - o - 2} left`, o + 1);
    }
    o += 2;
    const asns = new Array<number>(count);
    for (let i = 0; i < count; i++, o += width) asns[i] = width === 4 ? buf.readUInt32BE(o) : buf.readUInt16BE(o);
    segments.push({ type, asns });
  }
  decode.bytes = end - offset;
  return segments;
}
decode.bytes = 0;

export function encodingLength(value: readonly AsPathSegment[], ctx: AsWidth = TWO_OCTET): number {
  const width = ctx.as4 ? 4 : 2;
  let n = 0;
  for (const s of value) n += 2 + s.asns.length * width;
  return n;
}

export function encode(value: readonly AsPathSegment[], buf?: Buffer, offset = 0, ctx: AsWidth = TWO_OCTET): Buffer {
  const width = ctx.as4 ? 4 : 2;
  const max = ctx.as4 ? 0xffffffff : 0xffff;
  const length = encodingLength(value, ctx);
  const out = buf ?? Buffer.alloc(offset + length);
  if (offset < 0 || offset + length > out.length) throw new RangeError(`AS_PATH: no room for ${length} octets at ${offset}`);
  let o = offset;
  for (const s of value) {
    const code = SegmentTypeCode[s.type];
    if (code === undefined) throw new TypeError(`AS_PATH: unknown segment type ${String(s.type)}`);
    // A segment of 0 ASNs is malformed on receipt (RFC 7606 §7.2); longer
    // runs must be split by the caller, as RFC 4271 §5.1.2 does on prepend.
    if (s.asns.length === 0 || s.asns.length > MAX_SEGMENT_ASNS) {
      throw new RangeError(`AS_PATH: a segment holds 1..${MAX_SEGMENT_ASNS} ASNs, got ${s.asns.length}`);
    }
    out[o] = code;
    out[o + 1] = s.asns.length;
    o += 2;
    for (const asn of s.asns) {
      if (!Number.isInteger(asn) || asn < 0 || asn > max) {
        throw new RangeError(
          `AS_PATH: ASN ${asn} does not fit ${width} octets` + (ctx.as4 ? '' : ` (use AS_TRANS ${AS_TRANS} and AS4_PATH, RFC 6793 §4.2.2)`),
        );
      }
      if (width === 4) out.writeUInt32BE(asn, o);
      else out.writeUInt16BE(asn, o);
      o += width;
    }
  }
  encode.bytes = length;
  return out;
}
encode.bytes = 0;

/**
 * Text form as FRR and GoBGP print it: AS_SEQUENCE "65001 65002", AS_SET
 * "{65003,65004}", AS_CONFED_SEQUENCE "(65005 65006)", AS_CONFED_SET
 * "[65007,65008]"; the empty path is "".
 */
export function formatAsPath(segments: readonly AsPathSegment[]): string {
  return segments
    .map((s) => {
      switch (s.type) {
        case 'as-sequence':
          return s.asns.join(' ');
        case 'as-set':
          return `{${s.asns.join(',')}}`;
        case 'as-confed-sequence':
          return `(${s.asns.join(' ')})`;
        case 'as-confed-set':
          return `[${s.asns.join(',')}]`;
      }
    })
    .join(' ');
}

/**
 * RFC 4271 §9.1.2.2 a: path length for best-path selection: an AS_SET counts
 * as 1, confederation segments do not count (RFC 5065 §5.3).
 */
export function asPathLength(segments: readonly AsPathSegment[]): number {
  let n = 0;
  for (const s of segments) {
    if (s.type === 'as-sequence') n += s.asns.length;
    else if (s.type === 'as-set') n += 1;
  }
  return n;
}
