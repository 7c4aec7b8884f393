// LOCAL_PREF path attribute (type 5), RFC 4271 §4.3 and §5.1.5: a 4-octet
// unsigned preference, sent to internal peers only. Well-known.
//
// This module codes the attribute value; decode reads to the end of `buf`
// (attr-four-octet-values.ts). RFC 7606 §7.5 discards LOCAL_PREF received
// from an EXTERNAL neighbor (attribute discard); the wire layer does not know
// the peer type, so that rule belongs to the session, and here the
// internal-peer rule applies.

import { fourOctetValue, UINT32 } from './attr-four-octet-values.js';
import { UpdateSubcode } from './bgp-error-codes.js';

export const { decode, encode, encodingLength } = fourOctetValue({
  name: 'LOCAL_PREF',
  field: UINT32,
  // RFC 7606 §7.5 (internal neighbor): malformed if its length is not 4;
  // treat-as-withdraw.
  malformed: { subcode: UpdateSubcode.AttributeLengthError, action: 'treat-as-withdraw' },
});
