// What a speaker does with AS_PATH beyond coding it: read the neighboring AS
// (RFC 4271 §9.1.2.2 c), look for our own AS (loop detection, RFC 4271
// §9.1.2), prepend ours on eBGP export (RFC 4271 §5.1.2), drop
// confederation segments leaving the confederation (RFC 5065 §5.3), and the
// RFC 6793 translation to and from 2-octet peers (AS_TRANS + AS4_PATH).
// Segments are never modified in place: routes share attribute arrays.

import type { AsPathSegment } from '../wire/attr-as-path.js';
import { AS_TRANS, MAX_SEGMENT_ASNS, asPathLength } from '../wire/attr-as-path.js';
import type { PathAttribute } from '../wire/path-attribute.js';

export const EMPTY_AS_PATH: readonly AsPathSegment[] = Object.freeze([]);

/** The AS_PATH segments of an attribute list ([] when absent). */
export function asPathOf(attributes: readonly PathAttribute[]): readonly AsPathSegment[] {
  for (const a of attributes) if (a.type === 'as-path') return a.value;
  return EMPTY_AS_PATH;
}

/**
 * RFC 4271 §9.1.2.2 c: the neighboring AS is the first AS of the path when
 * the path starts with an AS_SEQUENCE; null for an empty path (a route of
 * our own AS) or one starting with an AS_SET or confederation segment.
 */
export function neighborAs(segments: readonly AsPathSegment[]): number | null {
  const first = segments[0];
  if (first === undefined || first.type !== 'as-sequence') return null;
  return first.asns[0] ?? null;
}

/** How many times `asn` appears anywhere in the path (loop detection counts confederation segments too). */
export function countAs(segments: readonly AsPathSegment[], asn: number): number {
  let n = 0;
  for (const s of segments) for (const a of s.asns) if (a === asn) n++;
  return n;
}

/** RFC 5065 §5.3: confederation segments are removed before leaving the confederation. */
export function withoutConfederation(segments: readonly AsPathSegment[]): AsPathSegment[] {
  return segments.filter((s) => s.type === 'as-sequence' || s.type === 'as-set');
}

/**
 * RFC 4271 §5.1.2 b: our AS goes in front of the first AS_SEQUENCE, or in a
 * new AS_SEQUENCE when the path is empty, starts with an AS_SET, or the
 * first sequence already holds 255 ASNs.
 */
export function prependAs(segments: readonly AsPathSegment[], asn: number): AsPathSegment[] {
  const first = segments[0];
  if (first !== undefined && first.type === 'as-sequence' && first.asns.length < MAX_SEGMENT_ASNS) {
    return [{ type: 'as-sequence', asns: [asn, ...first.asns] }, ...segments.slice(1)];
  }
  return [{ type: 'as-sequence', asns: [asn] }, ...segments];
}

/**
 * RFC 6793 §4.2.3: the real path of a route from a 2-octet peer. When
 * AS_PATH holds fewer ASes than AS4_PATH, AS4_PATH is ignored; otherwise the
 * leading (n - m) ASes of AS_PATH, with any confederation segments among
 * them, go in front of AS4_PATH. Lengths count as in best-path selection
 * (an AS_SET is 1, confederation segments 0); confederation segments of
 * AS4_PATH are ignored (RFC 6793 §6).
 */
export function mergeAs4Path(asPath: readonly AsPathSegment[], as4Path: readonly AsPathSegment[]): AsPathSegment[] {
  const as4 = withoutConfederation(as4Path);
  const n = asPathLength(asPath);
  const m = asPathLength(as4);
  if (n < m) return [...asPath];
  let need = n - m;
  const lead: AsPathSegment[] = [];
  for (const s of asPath) {
    if (s.type === 'as-confed-sequence' || s.type === 'as-confed-set') {
      if (need > 0 || lead.length === 0) lead.push(s);
      continue;
    }
    if (need === 0) break;
    if (s.type === 'as-set') {
      lead.push(s);
      need -= 1;
    } else {
      const take = Math.min(need, s.asns.length);
      lead.push({ type: 'as-sequence', asns: s.asns.slice(0, take) });
      need -= take;
    }
  }
  return [...lead, ...as4];
}

/**
 * RFC 6793 §4.2.2: what a 2-octet peer is sent. Every ASN above 65535
 * becomes AS_TRANS in AS_PATH, and then AS4_PATH carries the real path
 * (without confederation segments); null when every ASN fits 2 octets.
 */
export function toTwoOctet(segments: readonly AsPathSegment[]): { asPath: AsPathSegment[]; as4Path: AsPathSegment[] | null } {
  let wide = false;
  const asPath = segments.map((s) => {
    if (!s.asns.some((a) => a > 0xffff)) return s;
    wide = true;
    return { type: s.type, asns: s.asns.map((a) => (a > 0xffff ? AS_TRANS : a)) };
  });
  if (!wide) return { asPath, as4Path: null };
  const as4Path = withoutConfederation(segments);
  return { asPath, as4Path: as4Path.length > 0 ? as4Path : null };
}
