// Route Distinguisher, RFC 4364 §4.2: 8 bytes, a 2-byte type then a 6-byte
// value whose layout the type selects:
//
//   type 0: Administrator = 2-byte ASN,  Assigned Number = 4 bytes
//   type 1: Administrator = IPv4 address, Assigned Number = 2 bytes
//   type 2: Administrator = 4-byte ASN,  Assigned Number = 2 bytes
//
// Any other type is kept opaque (a view of its 6 value bytes) so a route
// carrying it still re-encodes byte for byte. RDs only occur inside NLRI, so
// a short buffer is an "Invalid Network Field" that the NLRI's caller
// handles (RFC 7606 §5.3: an unparsable NLRI cannot be treated as withdrawn).

import { isIPv4 } from 'node:net';
import { checkUint } from './field-range.js';
import { formatIpv4, parseIpv4 } from './ip-address.js';
import { nlriError } from './nlri-error.js';
import { ensureBytes } from './wire-error.js';

export const RD_LENGTH = 8;

export type RouteDistinguisher =
  | { type: 0; asn: number; assigned: number }
  | { type: 1; ip: string; assigned: number }
  | { type: 2; asn: number; assigned: number }
  /** A type this code does not know: `code` is the 2-byte type, `raw` a view of the 6 value bytes. */
  | { type: 'unknown'; code: number; raw: Buffer };

export function decode(buf: Buffer, offset = 0): RouteDistinguisher {
  ensureBytes(buf, offset, RD_LENGTH, 'route distinguisher', nlriError);
  const type = buf.readUInt16BE(offset);
  decode.bytes = RD_LENGTH;
  switch (type) {
    case 0:
      return { type: 0, asn: buf.readUInt16BE(offset + 2), assigned: buf.readUInt32BE(offset + 4) };
    case 1:
      return { type: 1, ip: formatIpv4(buf, offset + 2), assigned: buf.readUInt16BE(offset + 6) };
    case 2:
      return { type: 2, asn: buf.readUInt32BE(offset + 2), assigned: buf.readUInt16BE(offset + 6) };
    default:
      return { type: 'unknown', code: type, raw: buf.subarray(offset + 2, offset + RD_LENGTH) };
  }
}
decode.bytes = 0;

export function encode(rd: RouteDistinguisher, buf?: Buffer, offset = 0): Buffer {
  const out = buf ?? Buffer.alloc(RD_LENGTH + offset);
  ensureBytes(out, offset, RD_LENGTH, 'route distinguisher (encode)', nlriError);
  switch (rd.type) {
    case 0:
      checkUint(rd.asn, 0xffff, 'RD type 0 ASN');
      checkUint(rd.assigned, 0xffffffff, 'RD type 0 assigned number');
      out.writeUInt16BE(0, offset);
      out.writeUInt16BE(rd.asn, offset + 2);
      out.writeUInt32BE(rd.assigned, offset + 4);
      break;
    case 1:
      checkUint(rd.assigned, 0xffff, 'RD type 1 assigned number');
      out.writeUInt16BE(1, offset);
      parseIpv4(rd.ip).copy(out, offset + 2);
      out.writeUInt16BE(rd.assigned, offset + 6);
      break;
    case 2:
      checkUint(rd.asn, 0xffffffff, 'RD type 2 ASN');
      checkUint(rd.assigned, 0xffff, 'RD type 2 assigned number');
      out.writeUInt16BE(2, offset);
      out.writeUInt32BE(rd.asn, offset + 2);
      out.writeUInt16BE(rd.assigned, offset + 6);
      break;
    case 'unknown':
      checkUint(rd.code, 0xffff, 'RD type');
      // Types 0..2 have a structured form; an opaque one would not decode back to itself.
      if (rd.code <= 2) throw new RangeError(`RD type ${rd.code} must use its structured form, not 'unknown'`);
      if (rd.raw.length !== 6) throw new RangeError(`an opaque RD value is 6 bytes, got ${rd.raw.length}`);
      out.writeUInt16BE(rd.code, offset);
      rd.raw.copy(out, offset + 2);
      break;
  }
  encode.bytes = RD_LENGTH;
  return out;
}
encode.bytes = 0;

export function encodingLength(_rd: RouteDistinguisher): number {
  return RD_LENGTH;
}

/**
 * Canonical text, as FRR prints it and as operators write it in config:
 * "65000:10", "192.0.2.1:5", "4200000000:5" (type 2 in plain notation).
 * An unknown type prints as FRR's prefix_rd2str does: "Unknown Type: N".
 * (A type 2 RD whose ASN fits in 2 bytes prints like a type 0 one, as in
 * FRR; formatRdGobgp's asdot form tells them apart.)
 */
export function formatRd(rd: RouteDistinguisher): string {
  switch (rd.type) {
    case 0:
    case 2:
      return `${rd.asn}:${rd.assigned}`;
    case 1:
      return `${rd.ip}:${rd.assigned}`;
    case 'unknown':
      return `Unknown Type: ${rd.code}`;
  }
}

/**
 * GoBGP's text (RouteDistinguisher*.String() in pkg/packet/bgp): identical to
 * formatRd except that a type 2 RD is printed in asdot, "64086.59904:5" for
 * AS 4200000000 (checked against gobgp 3.10), and an unknown type as "[]"
 * (GoBGP never fills the value of an unknown RD and prints the empty slice).
 */
export function formatRdGobgp(rd: RouteDistinguisher): string {
  switch (rd.type) {
    case 2:
      return `${Math.floor(rd.asn / 0x10000)}.${rd.asn % 0x10000}:${rd.assigned}`;
    case 'unknown':
      return '[]';
    default:
      return formatRd(rd);
  }
}

const DECIMAL = /^\d{1,10}$/;
const ASDOT = /^(\d{1,5})\.(\d{1,5})$/;

function expected(noun: string, text: string, why: string): TypeError {
  return new TypeError(
    `not a ${noun}: "${text}": ${why} ` +
      '(expected ASN:NN with ASN <= 65535 and NN < 2^32, e.g. 65000:10; ' +
      'IPv4:NN with NN <= 65535, e.g. 192.0.2.1:5; ' +
      'or a 4-byte ASN:NN with NN <= 65535, e.g. 4200000000:5 or 64086.59904:5)',
  );
}

/** An administrator:assigned pair in one of the three RFC 4364 §4.2 layouts (shared with route targets). */
export type AdministratorValue =
  | { type: 0; asn: number; assigned: number }
  | { type: 1; ip: string; assigned: number }
  | { type: 2; asn: number; assigned: number };

/**
 * Parse "ASN:NN", "A.B.C.D:NN", "4-byte-ASN:NN" or asdot "X.Y:NN" the way FRR
 * and GoBGP read RDs and route targets: an IPv4 administrator gives type 1;
 * an ASN above 65535 (or any asdot ASN) gives type 2; any other ASN type 0.
 * `noun` names the thing in the TypeError ("route distinguisher", "route target").
 */
export function parseAdministratorValue(text: string, noun: string): AdministratorValue {
  const colon = text.lastIndexOf(':');
  if (colon < 0) throw expected(noun, text, 'no ":" between administrator and assigned number');
  const admin = text.slice(0, colon);
  const num = text.slice(colon + 1);
  if (!DECIMAL.test(num)) throw expected(noun, text, `assigned number "${num}" is not a decimal number`);
  const assigned = Number(num);
  if (isIPv4(admin)) {
    if (assigned > 0xffff) throw expected(noun, text, 'an IPv4 administrator leaves 2 bytes for the assigned number');
    return { type: 1, ip: admin, assigned };
  }
  const dot = ASDOT.exec(admin);
  if (dot) {
    const hi = Number(dot[1]);
    const lo = Number(dot[2]);
    if (hi > 0xffff || lo > 0xffff) throw expected(noun, text, `asdot ASN "${admin}" has a part above 65535`);
    if (assigned > 0xffff) throw expected(noun, text, 'a 4-byte ASN leaves 2 bytes for the assigned number');
    return { type: 2, asn: hi * 0x10000 + lo, assigned };
  }
  if (!DECIMAL.test(admin)) {
    throw expected(noun, text, `administrator "${admin}" is neither an ASN nor an IPv4 address`);
  }
  const asn = Number(admin);
  if (asn > 0xffffffff) throw expected(noun, text, `ASN ${admin} is above 4294967295`);
  if (asn > 0xffff) {
    if (assigned > 0xffff) throw expected(noun, text, 'a 4-byte ASN leaves 2 bytes for the assigned number');
    return { type: 2, asn, assigned };
  }
  if (assigned > 0xffffffff) throw expected(noun, text, 'assigned number is above 4294967295');
  return { type: 0, asn, assigned };
}

/**
 * Parse an RD as FRR, GoBGP and gobgpd.conf write it ("65000:10",
 * "192.0.2.1:5", "4200000000:5", "64086.59904:5"): an IPv4 administrator
 * gives type 1; an ASN above 65535 (or in asdot) gives type 2; any other ASN
 * gives type 0. Throws a TypeError naming the text and the expected forms.
 */
export function parseRd(text: string): RouteDistinguisher {
  return parseAdministratorValue(text, 'route distinguisher');
}
