// AGGREGATOR (type 7, RFC 4271 §4.3 and §5.1.7) and AS4_AGGREGATOR (type 18,
// RFC 6793 §3): the AS number and BGP Identifier (IPv4 address) of the
// speaker that formed the aggregate route. AGGREGATOR's ASN is 2 octets, or 4
// when both sides announced the 4-octet AS capability; AS4_AGGREGATOR's is
// always 4, so path-attribute.ts decodes it with `{ as4: true }`. Both are
// optional transitive.
//
// This module codes the attribute value; decode reads to the end of `buf`.

import type { AsWidth } from './attr-as-path.js';
import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import { checkUint } from './field-range.js';
import { formatIpv4, parseIpv4 } from './ip-address.js';
import { WireError } from './wire-error.js';

export interface Aggregator {
  asn: number;
  /** BGP Identifier of the aggregating speaker, dotted quad. */
  address: string;
}

const TWO_OCTET: AsWidth = { as4: false };

export function decode(buf: Buffer, offset = 0, ctx: AsWidth = TWO_OCTET): Aggregator {
  const width = ctx.as4 ? 4 : 2;
  const length = buf.length - offset;
  // RFC 7606 §7.7: malformed if its length is not 6 (2-octet ASNs) or not 8
  // (4-octet AS capability both ways). It has no effect on route selection,
  // so it is discarded (attribute discard).
  if (length !== width + 4) {
    throw new WireError(`AGGREGATOR: length ${length}, expected ${width + 4}`, {
      code: ErrorCode.Update,
      subcode: UpdateSubcode.AttributeLengthError,
      action: 'attribute-discard',
      offset,
    });
  }
  decode.bytes = length;
  return {
    asn: width === 4 ? buf.readUInt32BE(offset) : buf.readUInt16BE(offset),
    address: formatIpv4(buf, offset + width),
  };
}
decode.bytes = 0;

export function encodingLength(_value: Aggregator, ctx: AsWidth = TWO_OCTET): number {
  return ctx.as4 ? 8 : 6;
}

export function encode(value: Aggregator, buf?: Buffer, offset = 0, ctx: AsWidth = TWO_OCTET): Buffer {
  const width = ctx.as4 ? 4 : 2;
  checkUint(value.asn, ctx.as4 ? 0xffffffff : 0xffff, `AGGREGATOR ${width}-octet ASN`);
  const address = parseIpv4(value.address);
  const out = buf ?? Buffer.alloc(offset + width + 4);
  if (offset < 0 || offset + width + 4 > out.length) throw new RangeError(`AGGREGATOR: no room at offset ${offset}`);
  if (width === 4) out.writeUInt32BE(value.asn, offset);
  else out.writeUInt16BE(value.asn, offset);
  address.copy(out, offset + width);
  encode.bytes = width + 4;
  return out;
}
encode.bytes = 0;
