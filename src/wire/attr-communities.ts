// COMMUNITIES path attribute (type 8), RFC 1997: a list of 4-octet
// communities, conventionally written ASN:value (two 16-bit halves).
// Optional transitive. Values are kept as 32-bit unsigned integers; the text
// helpers name the well-known ones the way GoBGP prints them.
//
// This module codes the attribute value; decode reads to the end of `buf`
// (attr-four-octet-values.ts).

import { fourOctetList, UINT32 } from './attr-four-octet-values.js';
import { UpdateSubcode } from './bgp-error-codes.js';

/** Well-known communities (IANA "BGP Well-known Communities"). */
export const WellKnownCommunity = {
  /** RFC 8326 */
  GracefulShutdown: 0xffff0000,
  /** RFC 7611 */
  AcceptOwn: 0xffff0001,
  /** RFC 9494 */
  LlgrStale: 0xffff0006,
  /** RFC 9494 */
  NoLlgr: 0xffff0007,
  /** RFC 7999 */
  Blackhole: 0xffff029a,
  /** RFC 1997: not advertised outside the AS (or confederation). */
  NoExport: 0xffffff01,
  /** RFC 1997: not advertised to any peer. */
  NoAdvertise: 0xffffff02,
  /** RFC 1997: not advertised to external peers, even within a confederation. */
  NoExportSubconfed: 0xffffff03,
  /** RFC 3765 */
  NoPeer: 0xffffff04,
} as const;

const NAMES = new Map<number, string>([
  [WellKnownCommunity.GracefulShutdown, 'graceful-shutdown'],
  [WellKnownCommunity.AcceptOwn, 'accept-own'],
  [WellKnownCommunity.LlgrStale, 'llgr-stale'],
  [WellKnownCommunity.NoLlgr, 'no-llgr'],
  [WellKnownCommunity.Blackhole, 'blackhole'],
  [WellKnownCommunity.NoExport, 'no-export'],
  [WellKnownCommunity.NoAdvertise, 'no-advertise'],
  [WellKnownCommunity.NoExportSubconfed, 'no-export-subconfed'],
  [WellKnownCommunity.NoPeer, 'no-peer'],
]);
const BY_NAME = new Map<string, number>([...NAMES].map(([value, name]) => [name, value]));

export const { decode, encode, encodingLength } = fourOctetList({
  name: 'COMMUNITIES',
  item: 'community',
  field: UINT32,
  // RFC 7606 §7.8: malformed if its length is not a non-zero multiple of 4;
  // treat-as-withdraw.
  malformed: { subcode: UpdateSubcode.AttributeLengthError, action: 'treat-as-withdraw' },
});

/** "no-export" for a well-known community, "65000:100" for any other. */
export function formatCommunity(community: number): string {
  return NAMES.get(community) ?? `${community >>> 16}:${community & 0xffff}`;
}

/** Parse "65000:100" or a well-known name ("no-export"); TypeError otherwise. */
export function parseCommunity(text: string): number {
  const named = BY_NAME.get(text.toLowerCase());
  if (named !== undefined) return named;
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text);
  const high = m ? Number(m[1]) : NaN;
  const low = m ? Number(m[2]) : NaN;
  if (!(high <= 0xffff && low <= 0xffff)) {
    throw new TypeError(`not a community: "${text}" (expected ASN:value with 16-bit halves, e.g. 65000:100, or a name such as no-export)`);
  }
  return high * 0x10000 + low;
}
