// One IPv4 or IPv6 unicast prefix as carried in UPDATE NLRI / Withdrawn
// Routes (RFC 4271 §4.3) and in MP_REACH/MP_UNREACH for AFI 1/2 (RFC 4760
// §5): a length in bits, then the fewest bytes that hold it. With ADD-PATH
// (RFC 7911 §3) a 4-byte Path Identifier comes first.
//
//   +---------------------------+
//   |   Length (1 octet)        |
//   +---------------------------+
//   |   Prefix (variable)       |
//   +---------------------------+
//
// A length above 32/128, or fewer bytes than the length needs, is an UPDATE
// Message Error / Invalid Network Field with action 'session-reset': the
// prefix cannot be delimited, so what follows cannot be parsed (RFC 7606
// §5.3). The caller decides whether it was in Withdrawn Routes or NLRI.
//
// Host bits: RFC 4271 §4.3 says the trailing bits after the prefix length
// are irrelevant. We neither reject nor silently lose them: `prefix` is the
// masked address (what the route is, and its RIB key), and when the bytes
// on the wire had host bits set they are kept in `raw` (a view) so the
// decoded value re-encodes to the very same bytes.

import { checkUint } from './field-range.js';
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from './ip-address.js';
import { nlriError } from './nlri-error.js';
import { pathIdLength, readPathId, writePathId } from './path-identifier.js';
import { ensureBytes } from './wire-error.js';

export interface IpPrefixNlriContext {
  /** 1 = IPv4, 2 = IPv6 (RFC 4760 §3 AFI). */
  afi: 1 | 2;
  /** RFC 7911: a 4-byte path identifier precedes each prefix. */
  addPath: boolean;
}

export interface IpPrefixNlri {
  /** RFC 7911 path identifier; present exactly when the context has addPath. */
  pathId?: number;
  /** Address text with the host bits zero, e.g. "10.1.0.0". */
  prefix: string;
  /** Prefix length in bits, 0..32 or 0..128. */
  length: number;
  /**
   * The prefix bytes as received, only when they had host bits set (a view
   * into the decoded buffer); encode writes them back as they were.
   */
  raw?: Buffer;
}

const DEFAULT_CONTEXT: IpPrefixNlriContext = { afi: 1, addPath: false };

function maxBits(afi: 1 | 2): number {
  return afi === 1 ? 32 : 128;
}

function prefixBytes(bits: number): number {
  return (bits + 7) >> 3;
}

/** Zero the bits after `bits` in `bytes` (in place). */
function mask(bytes: Buffer, bits: number): Buffer {
  const whole = bits >> 3;
  const rest = bits & 7;
  if (rest !== 0) bytes[whole] = bytes[whole]! & (0xff << (8 - rest));
  bytes.fill(0, prefixBytes(bits));
  return bytes;
}

export function decode(buf: Buffer, offset = 0, ctx: IpPrefixNlriContext = DEFAULT_CONTEXT): IpPrefixNlri {
  const pathId = ctx.addPath ? readPathId(buf, offset, 'prefix') : undefined;
  const at = offset + pathIdLength(ctx.addPath);
  ensureBytes(buf, at, 1, 'prefix length', nlriError);
  const length = buf[at]!;
  const max = maxBits(ctx.afi);
  if (length > max) throw nlriError(`prefix length ${length} exceeds ${max}`, at);
  const n = prefixBytes(length);
  ensureBytes(buf, at + 1, n, `/${length} prefix`, nlriError);
  const wire = buf.subarray(at + 1, at + 1 + n);
  const addr = Buffer.alloc(max / 8);
  wire.copy(addr);
  mask(addr, length);
  const prefix = ctx.afi === 1 ? formatIpv4(addr) : formatIpv6(addr);
  const value: IpPrefixNlri = pathId === undefined ? { prefix, length } : { pathId, prefix, length };
  // Host bits were set iff the masked bytes differ from the wire bytes.
  if (!addr.subarray(0, n).equals(wire)) value.raw = wire;
  decode.bytes = at + 1 + n - offset;
  return value;
}
decode.bytes = 0;

export function encodingLength(value: IpPrefixNlri, ctx: IpPrefixNlriContext = DEFAULT_CONTEXT): number {
  return pathIdLength(ctx.addPath) + 1 + prefixBytes(value.length);
}

/**
 * Encode one prefix. Host bits of `prefix` are masked (as a router does with
 * "10.0.0.1/24"), unless `raw` is given, which is written as is. With
 * ctx.addPath the path identifier is written (0 when absent).
 */
export function encode(
  value: IpPrefixNlri,
  buf?: Buffer,
  offset = 0,
  ctx: IpPrefixNlriContext = DEFAULT_CONTEXT,
): Buffer {
  const max = maxBits(ctx.afi);
  checkUint(value.length, max, 'prefix length');
  const n = prefixBytes(value.length);
  const addr = ctx.afi === 1 ? parseIpv4(value.prefix) : parseIpv6(value.prefix);
  if (value.raw !== undefined && value.raw.length !== n) {
    throw new RangeError(`raw bytes of a /${value.length} prefix are ${n} bytes, got ${value.raw.length}`);
  }
  const total = encodingLength(value, ctx);
  const out = buf ?? Buffer.alloc(total + offset);
  ensureBytes(out, offset, total, 'prefix (encode)', nlriError);
  if (ctx.addPath) writePathId(value.pathId ?? 0, out, offset);
  const at = offset + pathIdLength(ctx.addPath);
  out[at] = value.length;
  (value.raw ?? mask(addr, value.length)).copy(out, at + 1, 0, n);
  encode.bytes = total;
  return out;
}
encode.bytes = 0;

/** "10.1.0.0/16", "2001:db8::/32". */
export function formatIpPrefix(value: IpPrefixNlri): string {
  return `${value.prefix}/${value.length}`;
}
