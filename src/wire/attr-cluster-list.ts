// CLUSTER_LIST path attribute (type 10), RFC 4456 §8: the CLUSTER_IDs (4
// octets each, shown as dotted quads) of the route reflectors the route
// passed, the most recent first. Optional non-transitive.
//
// This module codes the attribute value; decode reads to the end of `buf`
// (attr-four-octet-values.ts). RFC 7606 §7.10 discards it when received
// from an EXTERNAL neighbor; the session applies that rule, here the
// internal-peer rule applies.

import { fourOctetList, IPV4 } from './attr-four-octet-values.js';
import { UpdateSubcode } from './bgp-error-codes.js';

export const { decode, encode, encodingLength } = fourOctetList({
  name: 'CLUSTER_LIST',
  item: 'CLUSTER_ID',
  field: IPV4,
  // RFC 7606 §7.10 (internal neighbor): malformed if its length is not a
  // non-zero multiple of 4; treat-as-withdraw.
  malformed: { subcode: UpdateSubcode.AttributeLengthError, action: 'treat-as-withdraw' },
});
