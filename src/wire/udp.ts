// UDP header, RFC 768:
//
//   0                   1                   2                   3
//  |          Source Port          |       Destination Port        |
//  |            Length             |           Checksum            |
//
// Header only: `decode.bytes` is 8, the payload (a VXLAN header, for the
// underlay) follows. Length counts header and payload, so it is at least 8;
// decode does not check it against the buffer (the caller knows where the
// packet ends), and rejects 0 (an RFC 2675 jumbogram over IPv6: unsupported).
//
// Checksums: the pseudo-header sum comes from ipv4.pseudoHeaderSum or
// ipv6.pseudoHeaderSum; the helpers below do the rest. Over IPv4 a zero
// checksum means "none" (RFC 768), and VXLAN senders SHOULD send zero and
// receivers MUST accept it (RFC 7348 §5). Over IPv6 the checksum is mandatory
// (RFC 8200 §8.1): a zero one is invalid here (the RFC 6935/6936 tunnel
// exception is not taken).

import { checkUint } from './field-range.js';
import * as ipv4 from './ipv4.js';
import * as ipv6 from './ipv6.js';
import { ensureBytes, frameError } from './wire-error.js';

export const UDP_HEADER_LENGTH = 8;
export const UDP_SRC_PORT_OFFSET = 0;
export const UDP_DST_PORT_OFFSET = 2;
export const UDP_LENGTH_OFFSET = 4;
export const UDP_CHECKSUM_OFFSET = 6;

export interface UdpHeader {
  srcPort: number;
  dstPort: number;
  /** Header plus payload, in bytes (>= 8). */
  length: number;
  /** As carried; 0 = no checksum (IPv4 only). */
  checksum: number;
}

// ---------------------------------------------------------------------------
// Hot-path views (no allocation)

export function readSrcPort(buf: Uint8Array, offset: number): number {
  return (buf[offset]! << 8) | buf[offset + 1]!;
}

export function readDstPort(buf: Uint8Array, offset: number): number {
  return (buf[offset + UDP_DST_PORT_OFFSET]! << 8) | buf[offset + UDP_DST_PORT_OFFSET + 1]!;
}

export function readLength(buf: Uint8Array, offset: number): number {
  return (buf[offset + UDP_LENGTH_OFFSET]! << 8) | buf[offset + UDP_LENGTH_OFFSET + 1]!;
}

export function readChecksum(buf: Uint8Array, offset: number): number {
  return (buf[offset + UDP_CHECKSUM_OFFSET]! << 8) | buf[offset + UDP_CHECKSUM_OFFSET + 1]!;
}

/** Write the header in place (the underlay writes it into a slot's headroom). */
export function writeHeader(
  buf: Uint8Array,
  offset: number,
  srcPort: number,
  dstPort: number,
  length: number,
  checksum = 0,
): void {
  buf[offset] = srcPort >>> 8;
  buf[offset + 1] = srcPort & 0xff;
  buf[offset + 2] = dstPort >>> 8;
  buf[offset + 3] = dstPort & 0xff;
  buf[offset + 4] = length >>> 8;
  buf[offset + 5] = length & 0xff;
  buf[offset + 6] = checksum >>> 8;
  buf[offset + 7] = checksum & 0xff;
}

// ---------------------------------------------------------------------------
// Checksums

/**
 * The checksum the datagram of `length` bytes at `offset` should carry, given
 * the pseudo-header sum (its own checksum field is counted as zero). A
 * computed 0 is sent as 0xffff: 0 means "no checksum" (RFC 768).
 */
export function computeChecksum(buf: Uint8Array, offset: number, length: number, pseudoSum: number): number {
  // Sum the header up to the checksum field, then the payload after it.
  const head = ipv4.onesComplementSum(buf, offset, UDP_CHECKSUM_OFFSET, pseudoSum);
  const sum = ipv4.checksum(buf, offset + UDP_HEADER_LENGTH, length - UDP_HEADER_LENGTH, head);
  return sum === 0 ? 0xffff : sum;
}

/** True when the datagram's checksum field is right (a zero field is not: see the *Over* helpers). */
export function isChecksumCorrect(buf: Uint8Array, offset: number, length: number, pseudoSum: number): boolean {
  return ipv4.checksum(buf, offset, length, pseudoSum) === 0;
}

/** Checksum for a datagram at `udpOffset` behind the IPv4 header at `ipOffset`. */
export function computeChecksumOverIpv4(buf: Uint8Array, ipOffset: number, udpOffset: number, length: number): number {
  return computeChecksum(buf, udpOffset, length, ipv4.pseudoHeaderSum(buf, ipOffset, ipv4.IpProtocol.Udp, length));
}

/** Checksum for a datagram at `udpOffset` directly behind the IPv6 header at `ipOffset`. */
export function computeChecksumOverIpv6(buf: Uint8Array, ipOffset: number, udpOffset: number, length: number): number {
  return computeChecksum(buf, udpOffset, length, ipv6.pseudoHeaderSum(buf, ipOffset, ipv4.IpProtocol.Udp, length));
}

/** Over IPv4: a zero checksum is accepted (RFC 768, RFC 7348 §5), any other must be correct. */
export function verifyChecksumOverIpv4(buf: Uint8Array, ipOffset: number, udpOffset: number, length: number): boolean {
  if (readChecksum(buf, udpOffset) === 0) return true;
  return isChecksumCorrect(buf, udpOffset, length, ipv4.pseudoHeaderSum(buf, ipOffset, ipv4.IpProtocol.Udp, length));
}

/** Over IPv6: the checksum is mandatory (RFC 8200 §8.1), so zero fails. */
export function verifyChecksumOverIpv6(buf: Uint8Array, ipOffset: number, udpOffset: number, length: number): boolean {
  if (readChecksum(buf, udpOffset) === 0) return false;
  return isChecksumCorrect(buf, udpOffset, length, ipv6.pseudoHeaderSum(buf, ipOffset, ipv4.IpProtocol.Udp, length));
}

// ---------------------------------------------------------------------------
// Codec

export function decode(buf: Buffer, offset = 0): UdpHeader {
  ensureBytes(buf, offset, UDP_HEADER_LENGTH, 'UDP header');
  const length = buf.readUInt16BE(offset + UDP_LENGTH_OFFSET);
  if (length < UDP_HEADER_LENGTH) {
    throw frameError(`UDP header: length ${length} is shorter than the 8-byte header`, offset + UDP_LENGTH_OFFSET);
  }
  decode.bytes = UDP_HEADER_LENGTH;
  return {
    srcPort: buf.readUInt16BE(offset + UDP_SRC_PORT_OFFSET),
    dstPort: buf.readUInt16BE(offset + UDP_DST_PORT_OFFSET),
    length,
    checksum: buf.readUInt16BE(offset + UDP_CHECKSUM_OFFSET),
  };
}
decode.bytes = 0;

export function encode(value: UdpHeader, buf?: Buffer, offset = 0): Buffer {
  checkUint(value.srcPort, 0xffff, 'UDP source port');
  checkUint(value.dstPort, 0xffff, 'UDP destination port');
  checkUint(value.length, 0xffff, 'UDP length');
  if (value.length < UDP_HEADER_LENGTH) {
    throw new RangeError(`UDP length ${value.length} is shorter than the 8-byte header`);
  }
  checkUint(value.checksum, 0xffff, 'UDP checksum');
  const out = buf ?? Buffer.alloc(UDP_HEADER_LENGTH + offset);
  ensureBytes(out, offset, UDP_HEADER_LENGTH, 'UDP header (encode)');
  writeHeader(out, offset, value.srcPort, value.dstPort, value.length, value.checksum);
  encode.bytes = UDP_HEADER_LENGTH;
  return out;
}
encode.bytes = 0;

export function encodingLength(_value: UdpHeader): number {
  return UDP_HEADER_LENGTH;
}
