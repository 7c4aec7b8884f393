// MULTI_EXIT_DISC path attribute (type 4), RFC 4271 §4.3 and §5.1.4: a
// 4-octet unsigned metric. Optional non-transitive.
//
// This module codes the attribute value; decode reads to the end of `buf`
// (attr-four-octet-values.ts).

import { fourOctetValue, UINT32 } from './attr-four-octet-values.js';
import { UpdateSubcode } from './bgp-error-codes.js';

export const { decode, encode, encodingLength } = fourOctetValue({
  name: 'MULTI_EXIT_DISC',
  field: UINT32,
  // RFC 7606 §7.4: malformed if its length is not 4; treat-as-withdraw.
  malformed: { subcode: UpdateSubcode.AttributeLengthError, action: 'treat-as-withdraw' },
});
