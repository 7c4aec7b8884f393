// IPv4 header, RFC 791 §3.1:
//
//   0                   1                   2                   3
//  |Version|  IHL  |   DSCP    |ECN|          Total Length         |
//  |         Identification        |Flags|      Fragment Offset    |
//  |  Time to Live |    Protocol   |         Header Checksum       |
//  |                       Source Address                          |
//  |                    Destination Address                        |
//  |                    Options (IHL > 5)  ...                     |
//
// This codec reads and writes the header only: `decode.bytes` is IHL * 4 and
// the payload starts there. decode checks what the header says about itself
// (version, IHL >= 5, Total Length >= IHL * 4) but not that the buffer holds
// Total Length bytes: a capture may be cut by its snap length and a frame may
// carry Ethernet padding past the packet, so the caller, who knows where the
// frame ends, compares `totalLength` with it. decode does not verify the
// header checksum either (`isHeaderChecksumValid` does): `vxswitch decode`
// must show a packet with a bad checksum, not refuse it.
//
// Also here: the RFC 1071 Internet checksum, shared by IPv4, UDP and TCP, the
// IPv4 pseudo-header sum (RFC 768, RFC 9293 §3.1), the IANA protocol numbers,
// and allocation-free readers/writers for the underlay's hot path.

import { checkUint } from './field-range.js';
import { checksum, fold, onesComplementSum } from './inet-checksum.js';
import { formatIpv4, parseIpv4 } from './ip-address.js';
import { ensureBytes, frameError } from './wire-error.js';
import { readU32, writeU32 } from './byte-order.js';

export const IPV4_VERSION = 4;
export const IPV4_MIN_HEADER_LENGTH = 20;
/** IHL is 4 bits of 32-bit words: at most 15 * 4 = 60 bytes, 40 of options. */
export const IPV4_MAX_HEADER_LENGTH = 60;
export const IPV4_TOTAL_LENGTH_OFFSET = 2;
export const IPV4_IDENTIFICATION_OFFSET = 4;
export const IPV4_FLAGS_OFFSET = 6;
export const IPV4_TTL_OFFSET = 8;
export const IPV4_PROTOCOL_OFFSET = 9;
export const IPV4_CHECKSUM_OFFSET = 10;
export const IPV4_SRC_OFFSET = 12;
export const IPV4_DST_OFFSET = 16;

/** IANA "Assigned Internet Protocol Numbers": IPv4 Protocol and IPv6 Next Header. */
export const IpProtocol = {
  HopByHop: 0,
  Icmp: 1,
  Tcp: 6,
  Udp: 17,
  Ipv6Routing: 43,
  Ipv6Fragment: 44,
  Esp: 50,
  Ah: 51,
  Icmpv6: 58,
  Ipv6NoNext: 59,
  Ipv6DestinationOptions: 60,
} as const;

export interface Ipv4Header {
  /** RFC 2474 Differentiated Services code point (upper 6 bits of the old TOS). */
  dscp: number;
  /** RFC 3168 ECN field (lower 2 bits of the old TOS). */
  ecn: number;
  /** Header plus payload, in bytes. */
  totalLength: number;
  identification: number;
  /** RFC 791 flag bit 0, "reserved, must be zero"; kept so re-encoding is byte-exact. */
  reservedFlag: boolean;
  dontFragment: boolean;
  moreFragments: boolean;
  /** In units of 8 bytes (13 bits). */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  /**
   * Header checksum. decode always sets it (as captured, unverified); encode
   * writes it as given, or computes it when it is undefined.
   */
  checksum?: number | undefined;
  src: string;
  dst: string;
  /** Options as a view of the header bytes (length a multiple of 4, at most 40). */
  options: Buffer;
}

// ---------------------------------------------------------------------------
// RFC 1071 Internet checksum (inet-checksum.ts; re-exported where callers look for it)

export { checksum, fold, onesComplementSum } from './inet-checksum.js';

/**
 * The folded sum of the IPv4 pseudo-header (RFC 768; RFC 9293 §3.1): source
 * and destination address of the IPv4 header at `ipOffset`, zero, `protocol`,
 * and the upper-layer `length`. Feed it as `initial` to the UDP/TCP checksum.
 */
export function pseudoHeaderSum(buf: Uint8Array, ipOffset: number, protocol: number, length: number): number {
  let sum = protocol + length;
  for (let i = ipOffset + IPV4_SRC_OFFSET; i < ipOffset + IPV4_DST_OFFSET + 4; i += 2) {
    sum += (buf[i]! << 8) | buf[i + 1]!;
  }
  return fold(sum);
}

/** The header checksum the IPv4 header at `offset` should carry (its own field counted as zero). */
export function computeHeaderChecksum(buf: Uint8Array, offset: number): number {
  const headerLength = (buf[offset]! & 0x0f) * 4;
  const before = onesComplementSum(buf, offset, IPV4_CHECKSUM_OFFSET);
  const o = offset + IPV4_CHECKSUM_OFFSET + 2;
  return checksum(buf, o, headerLength - IPV4_CHECKSUM_OFFSET - 2, before);
}

/** RFC 791 §3.1: the checksum over the whole header, its field included, is zero. */
export function isHeaderChecksumValid(buf: Uint8Array, offset: number): boolean {
  return checksum(buf, offset, (buf[offset]! & 0x0f) * 4) === 0;
}

// ---------------------------------------------------------------------------
// Hot-path views (no allocation; the caller has checked the header is there)

export function readVersion(buf: Uint8Array, offset: number): number {
  return buf[offset]! >> 4;
}

/** IHL * 4, in bytes. */
export function readHeaderLength(buf: Uint8Array, offset: number): number {
  return (buf[offset]! & 0x0f) * 4;
}

export function readTotalLength(buf: Uint8Array, offset: number): number {
  return (buf[offset + IPV4_TOTAL_LENGTH_OFFSET]! << 8) | buf[offset + IPV4_TOTAL_LENGTH_OFFSET + 1]!;
}

export function readProtocol(buf: Uint8Array, offset: number): number {
  return buf[offset + IPV4_PROTOCOL_OFFSET]!;
}

/** Source address as an unsigned 32-bit number (what a table keyed by VTEP hashes). */
export function readSrcU32(buf: Uint8Array, offset: number): number {
  return readU32(buf, offset + IPV4_SRC_OFFSET);
}

export function readDstU32(buf: Uint8Array, offset: number): number {
  return readU32(buf, offset + IPV4_DST_OFFSET);
}

/** True for a fragment (MF set or a non-zero offset): its transport header may be elsewhere. */
export function isFragment(buf: Uint8Array, offset: number): boolean {
  return (((buf[offset + IPV4_FLAGS_OFFSET]! & 0x3f) << 8) | buf[offset + IPV4_FLAGS_OFFSET + 1]!) !== 0;
}

/**
 * Write a 20-byte header without options, checksum computed, in place (the
 * underlay writes the outer header into a slot's headroom). Addresses are
 * unsigned 32-bit numbers. `tos` is the whole DSCP+ECN byte.
 */
export function writeHeader(
  buf: Uint8Array,
  offset: number,
  totalLength: number,
  identification: number,
  ttl: number,
  protocol: number,
  src: number,
  dst: number,
  dontFragment = false,
  tos = 0,
): void {
  buf[offset] = 0x45;
  buf[offset + 1] = tos;
  buf[offset + 2] = totalLength >>> 8;
  buf[offset + 3] = totalLength & 0xff;
  buf[offset + 4] = (identification >>> 8) & 0xff;
  buf[offset + 5] = identification & 0xff;
  buf[offset + 6] = dontFragment ? 0x40 : 0;
  buf[offset + 7] = 0;
  buf[offset + 8] = ttl;
  buf[offset + 9] = protocol;
  buf[offset + 10] = 0;
  buf[offset + 11] = 0;
  writeU32(buf, offset + IPV4_SRC_OFFSET, src);
  writeU32(buf, offset + IPV4_DST_OFFSET, dst);
  const sum = checksum(buf, offset, IPV4_MIN_HEADER_LENGTH);
  buf[offset + 10] = sum >>> 8;
  buf[offset + 11] = sum & 0xff;
}

// ---------------------------------------------------------------------------
// Codec

export function decode(buf: Buffer, offset = 0): Ipv4Header {
  ensureBytes(buf, offset, IPV4_MIN_HEADER_LENGTH, 'IPv4 header');
  const version = buf[offset]! >> 4;
  if (version !== IPV4_VERSION) throw frameError(`IPv4 header: version is ${version}, expected 4`, offset);
  const headerLength = (buf[offset]! & 0x0f) * 4;
  // RFC 791 §3.1: "the minimum value for a correct header is 5".
  if (headerLength < IPV4_MIN_HEADER_LENGTH) {
    throw frameError(`IPv4 header: IHL is ${headerLength / 4}, the minimum is 5`, offset);
  }
  ensureBytes(buf, offset, headerLength, 'IPv4 header with options');
  const totalLength = buf.readUInt16BE(offset + IPV4_TOTAL_LENGTH_OFFSET);
  if (totalLength < headerLength) {
    throw frameError(
      `IPv4 header: total length ${totalLength} is shorter than the ${headerLength}-byte header`,
      offset + IPV4_TOTAL_LENGTH_OFFSET,
    );
  }
  const flagsFragment = buf.readUInt16BE(offset + IPV4_FLAGS_OFFSET);
  decode.bytes = headerLength;
  return {
    dscp: buf[offset + 1]! >> 2,
    ecn: buf[offset + 1]! & 0x03,
    totalLength,
    identification: buf.readUInt16BE(offset + IPV4_IDENTIFICATION_OFFSET),
    reservedFlag: (flagsFragment & 0x8000) !== 0,
    dontFragment: (flagsFragment & 0x4000) !== 0,
    moreFragments: (flagsFragment & 0x2000) !== 0,
    fragmentOffset: flagsFragment & 0x1fff,
    ttl: buf[offset + IPV4_TTL_OFFSET]!,
    protocol: buf[offset + IPV4_PROTOCOL_OFFSET]!,
    checksum: buf.readUInt16BE(offset + IPV4_CHECKSUM_OFFSET),
    src: formatIpv4(buf, offset + IPV4_SRC_OFFSET),
    dst: formatIpv4(buf, offset + IPV4_DST_OFFSET),
    options: buf.subarray(offset + IPV4_MIN_HEADER_LENGTH, offset + headerLength),
  };
}
decode.bytes = 0;

export function encode(value: Ipv4Header, buf?: Buffer, offset = 0): Buffer {
  const length = encodingLength(value);
  checkUint(value.dscp, 0x3f, 'IPv4 DSCP');
  checkUint(value.ecn, 0x03, 'IPv4 ECN');
  checkUint(value.totalLength, 0xffff, 'IPv4 total length');
  if (value.totalLength < length) {
    throw new RangeError(`IPv4 total length ${value.totalLength} is shorter than the ${length}-byte header`);
  }
  checkUint(value.identification, 0xffff, 'IPv4 identification');
  checkUint(value.fragmentOffset, 0x1fff, 'IPv4 fragment offset');
  checkUint(value.ttl, 0xff, 'IPv4 TTL');
  checkUint(value.protocol, 0xff, 'IPv4 protocol');
  if (value.checksum !== undefined) checkUint(value.checksum, 0xffff, 'IPv4 checksum');
  const src = parseIpv4(value.src);
  const dst = parseIpv4(value.dst);

  const out = buf ?? Buffer.alloc(length + offset);
  ensureBytes(out, offset, length, 'IPv4 header (encode)');
  out[offset] = (IPV4_VERSION << 4) | (length / 4);
  out[offset + 1] = (value.dscp << 2) | value.ecn;
  out.writeUInt16BE(value.totalLength, offset + IPV4_TOTAL_LENGTH_OFFSET);
  out.writeUInt16BE(value.identification, offset + IPV4_IDENTIFICATION_OFFSET);
  out.writeUInt16BE(
    (value.reservedFlag ? 0x8000 : 0) |
      (value.dontFragment ? 0x4000 : 0) |
      (value.moreFragments ? 0x2000 : 0) |
      value.fragmentOffset,
    offset + IPV4_FLAGS_OFFSET,
  );
  out[offset + IPV4_TTL_OFFSET] = value.ttl;
  out[offset + IPV4_PROTOCOL_OFFSET] = value.protocol;
  out.writeUInt16BE(0, offset + IPV4_CHECKSUM_OFFSET);
  src.copy(out, offset + IPV4_SRC_OFFSET);
  dst.copy(out, offset + IPV4_DST_OFFSET);
  value.options.copy(out, offset + IPV4_MIN_HEADER_LENGTH);
  out.writeUInt16BE(value.checksum ?? checksum(out, offset, length), offset + IPV4_CHECKSUM_OFFSET);
  encode.bytes = length;
  return out;
}
encode.bytes = 0;

export function encodingLength(value: Ipv4Header): number {
  const n = value.options.length;
  // IHL counts 32-bit words, so options come padded to 4 bytes (RFC 791 §3.1).
  if (n % 4 !== 0 || n > IPV4_MAX_HEADER_LENGTH - IPV4_MIN_HEADER_LENGTH) {
    throw new RangeError(`IPv4 options must be a multiple of 4 bytes, at most 40; got ${n}`);
  }
  return IPV4_MIN_HEADER_LENGTH + n;
}
