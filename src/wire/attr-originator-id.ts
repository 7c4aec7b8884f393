// ORIGINATOR_ID path attribute (type 9), RFC 4456 §8: the 4-octet BGP
// Identifier of the route's originator in the local AS, added by a route
// reflector. Optional non-transitive. A client drops routes whose
// ORIGINATOR_ID is its own router-id (RFC 4456 §8) — a control-plane rule.
//
// This module codes the attribute value; decode reads to the end of `buf`
// (attr-four-octet-values.ts). RFC 7606 §7.9 discards it when received from
// an EXTERNAL neighbor; the session applies that rule, here the
// internal-peer rule applies.

import { fourOctetValue, IPV4 } from './attr-four-octet-values.js';
import { UpdateSubcode } from './bgp-error-codes.js';

export const { decode, encode, encodingLength } = fourOctetValue({
  name: 'ORIGINATOR_ID',
  field: IPV4,
  // RFC 7606 §7.9 (internal neighbor): malformed if its length is not 4;
  // treat-as-withdraw.
  malformed: { subcode: UpdateSubcode.AttributeLengthError, action: 'treat-as-withdraw' },
});
