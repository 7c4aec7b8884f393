// NEXT_HOP path attribute (type 3), RFC 4271 §4.3 and §5.1.3: the IPv4
// address of the router to use as next hop for the UPDATE's (IPv4) NLRI
// field. Well-known mandatory when that field is not empty; RFC 4760 §3 moves
// the next hop of other families into MP_REACH_NLRI.
//
// This module codes the attribute value; decode reads to the end of `buf`
// (attr-four-octet-values.ts).

import { fourOctetValue, IPV4 } from './attr-four-octet-values.js';
import { UpdateSubcode } from './bgp-error-codes.js';

export const { decode, encode, encodingLength } = fourOctetValue({
  name: 'NEXT_HOP',
  field: IPV4,
  // RFC 7606 §7.3: malformed if its length is not 4; treat-as-withdraw.
  malformed: { subcode: UpdateSubcode.AttributeLengthError, action: 'treat-as-withdraw' },
});
