// RFC 7606 §2 "AFI/SAFI disable" (RFC 4760 §7): an error inside an
// MP_REACH_NLRI or MP_UNREACH_NLRI attribute (a bad next hop length, an
// NLRI that cannot be parsed) may disable that family for the session
// instead of resetting it, provided the AFI/SAFI itself could be read.
//
// The wire layer always throws such errors as 'session-reset' (it cannot
// know what else the session carries); this finds the family of the MP
// attribute the error's offset falls in, walking only the attribute headers
// of the UPDATE (which the decoder already validated up to that point).

import { AttributeFlag, AttributeTypeCode } from '../wire/path-attribute.js';
import { BGP_HEADER_LENGTH } from '../wire/bgp-header.js';
import type { AfiSafi } from './afi-safi-family.js';

/**
 * The AFI/SAFI of the MP_REACH_NLRI / MP_UNREACH_NLRI attribute containing
 * `errorOffset` (beyond its AFI/SAFI fields), in the UPDATE message starting
 * at `messageOffset` of `buf`; null when the error lies elsewhere.
 */
export function mpFamilyAt(buf: Buffer, messageOffset: number, errorOffset: number): AfiSafi | null {
  const end = messageOffset + buf.readUInt16BE(messageOffset + 16);
  let o = messageOffset + BGP_HEADER_LENGTH;
  if (o + 2 > end) return null;
  o += 2 + buf.readUInt16BE(o);
  if (o + 2 > end) return null;
  const attributesEnd = o + 2 + buf.readUInt16BE(o);
  o += 2;
  if (attributesEnd > end) return null;
  while (o + 3 <= attributesEnd) {
    const flags = buf[o]!;
    const type = buf[o + 1]!;
    const extended = (flags & AttributeFlag.ExtendedLength) !== 0;
    if (extended && o + 4 > attributesEnd) return null;
    const valueStart = o + (extended ? 4 : 3);
    const valueEnd = valueStart + (extended ? buf.readUInt16BE(o + 2) : buf[o + 2]!);
    if (errorOffset < o) return null;
    if (errorOffset < Math.max(valueEnd, valueStart + 1)) {
      const mp = type === AttributeTypeCode.MpReachNlri || type === AttributeTypeCode.MpUnreachNlri;
      // The AFI/SAFI must lie inside the attribute and the message, and the
      // error must be past them (an unreadable AFI/SAFI is a session reset).
      if (!mp || valueStart + 3 > Math.min(valueEnd, attributesEnd) || errorOffset < valueStart + 3) return null;
      return { afi: buf.readUInt16BE(valueStart), safi: buf[valueStart + 2]! };
    }
    o = valueEnd;
  }
  return null;
}
