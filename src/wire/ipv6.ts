// IPv6 fixed header, RFC 8200 §3:
//
//   0                   1                   2                   3
//  |Version| Traffic Class |           Flow Label                  |
//  |         Payload Length        |  Next Header  |   Hop Limit   |
//  |                 Source Address (16 bytes)                     |
//  |              Destination Address (16 bytes)                   |
//
// Only the 40-byte fixed header: extension headers (hop-by-hop, routing,
// fragment, destination options; RFC 8200 §4) are NOT walked. `nextHeader`
// is whatever follows the fixed header, so a caller looking for UDP, TCP or
// ICMPv6 (ND snooping) behind extension headers sees their number instead
// (IpProtocol.HopByHop, Ipv6Fragment, ...) and must skip them itself.
// decode does not check `payloadLength` against the buffer (snap length,
// Ethernet padding: the caller knows where the frame ends), and a zero
// payload length (RFC 2675 jumbogram) is returned as is.

import { checkUint } from './field-range.js';
import { formatIpv6, parseIpv6 } from './ip-address.js';
import { fold } from './ipv4.js';
import { ensureBytes, frameError } from './wire-error.js';

export { IpProtocol } from './ipv4.js';

export const IPV6_VERSION = 6;
export const IPV6_HEADER_LENGTH = 40;
export const IPV6_PAYLOAD_LENGTH_OFFSET = 4;
export const IPV6_NEXT_HEADER_OFFSET = 6;
export const IPV6_HOP_LIMIT_OFFSET = 7;
export const IPV6_SRC_OFFSET = 8;
export const IPV6_DST_OFFSET = 24;
export const IPV6_MAX_FLOW_LABEL = 0xfffff;

export interface Ipv6Header {
  /** 8 bits: DSCP (upper 6) and ECN (lower 2), RFC 8200 §7. */
  trafficClass: number;
  /** 20 bits, RFC 8200 §6 / RFC 6437. */
  flowLabel: number;
  /** Bytes after the 40-byte fixed header (extension headers included). */
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  /** RFC 5952 canonical text. */
  src: string;
  dst: string;
}

// ---------------------------------------------------------------------------
// Hot-path views (no allocation; the caller has checked 40 bytes are there)

export function readVersion(buf: Uint8Array, offset: number): number {
  return buf[offset]! >> 4;
}

export function readPayloadLength(buf: Uint8Array, offset: number): number {
  return (buf[offset + IPV6_PAYLOAD_LENGTH_OFFSET]! << 8) | buf[offset + IPV6_PAYLOAD_LENGTH_OFFSET + 1]!;
}

export function readNextHeader(buf: Uint8Array, offset: number): number {
  return buf[offset + IPV6_NEXT_HEADER_OFFSET]!;
}

/**
 * The folded sum of the IPv6 pseudo-header (RFC 8200 §8.1): source and
 * destination address of the IPv6 header at `ipOffset`, the 32-bit
 * upper-layer packet `length`, three zero bytes and `nextHeader` (the
 * upper-layer protocol, not an extension header). Feed it as `initial` to the
 * UDP/TCP checksum. (With a routing header the destination to use is the final
 * one, RFC 8200 §8.1; this reads the fixed header's.)
 */
export function pseudoHeaderSum(buf: Uint8Array, ipOffset: number, nextHeader: number, length: number): number {
  let sum = Math.floor(length / 0x10000) + (length & 0xffff) + nextHeader;
  for (let i = ipOffset + IPV6_SRC_OFFSET; i < ipOffset + IPV6_DST_OFFSET + 16; i += 2) {
    sum += (buf[i]! << 8) | buf[i + 1]!;
  }
  return fold(sum);
}

// ---------------------------------------------------------------------------
// Codec

export function decode(buf: Buffer, offset = 0): Ipv6Header {
  ensureBytes(buf, offset, IPV6_HEADER_LENGTH, 'IPv6 header');
  const first = buf.readUInt32BE(offset);
  const version = first >>> 28;
  if (version !== IPV6_VERSION) throw frameError(`IPv6 header: version is ${version}, expected 6`, offset);
  decode.bytes = IPV6_HEADER_LENGTH;
  return {
    trafficClass: (first >>> 20) & 0xff,
    flowLabel: first & IPV6_MAX_FLOW_LABEL,
    payloadLength: buf.readUInt16BE(offset + IPV6_PAYLOAD_LENGTH_OFFSET),
    nextHeader: buf[offset + IPV6_NEXT_HEADER_OFFSET]!,
    hopLimit: buf[offset + IPV6_HOP_LIMIT_OFFSET]!,
    src: formatIpv6(buf, offset + IPV6_SRC_OFFSET),
    dst: formatIpv6(buf, offset + IPV6_DST_OFFSET),
  };
}
decode.bytes = 0;

export function encode(value: Ipv6Header, buf?: Buffer, offset = 0): Buffer {
  checkUint(value.trafficClass, 0xff, 'IPv6 traffic class');
  checkUint(value.flowLabel, IPV6_MAX_FLOW_LABEL, 'IPv6 flow label');
  checkUint(value.payloadLength, 0xffff, 'IPv6 payload length');
  checkUint(value.nextHeader, 0xff, 'IPv6 next header');
  checkUint(value.hopLimit, 0xff, 'IPv6 hop limit');
  const src = parseIpv6(value.src);
  const dst = parseIpv6(value.dst);
  const out = buf ?? Buffer.alloc(IPV6_HEADER_LENGTH + offset);
  ensureBytes(out, offset, IPV6_HEADER_LENGTH, 'IPv6 header (encode)');
  out.writeUInt32BE(((IPV6_VERSION << 28) | (value.trafficClass << 20) | value.flowLabel) >>> 0, offset);
  out.writeUInt16BE(value.payloadLength, offset + IPV6_PAYLOAD_LENGTH_OFFSET);
  out[offset + IPV6_NEXT_HEADER_OFFSET] = value.nextHeader;
  out[offset + IPV6_HOP_LIMIT_OFFSET] = value.hopLimit;
  src.copy(out, offset + IPV6_SRC_OFFSET);
  dst.copy(out, offset + IPV6_DST_OFFSET);
  encode.bytes = IPV6_HEADER_LENGTH;
  return out;
}
encode.bytes = 0;

export function encodingLength(_value: Ipv6Header): number {
  return IPV6_HEADER_LENGTH;
}
