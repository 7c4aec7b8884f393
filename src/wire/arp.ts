// ARP for Ethernet and IPv4, RFC 826 (field layout as in RFC 5227 §1.1):
//
//   0                   1                   2                   3
//  |        Hardware Type = 1      |     Protocol Type = 0x0800    |
//  |  HLen = 6     |   PLen = 4    |           Operation           |
//  |          Sender Hardware Address (6) ... Sender Protocol (4)  |
//  |          Target Hardware Address (6) ... Target Protocol (4)  |
//
// The switch snoops ARP to learn a MAC's IP (for EVPN Type 2 MAC+IP routes)
// and that only exists for Ethernet/IPv4, so this codec reads only that
// combination: any other hardware type, protocol type or address length is
// a WireError with action 'drop'. 'drop' here means "not snooped": the frame
// itself is switched like any other (the forwarder does not need ARP decoded).
// All operations are read (request 1, reply 2, and RARP/InARP numbers too).
// Ethernet padding after the 28 bytes is not part of the packet:
// `decode.bytes` is 28.

import { checkUint } from './field-range.js';
import { formatIpv4, parseIpv4 } from './ip-address.js';
import { formatMac, parseMac } from './mac-address.js';
import { ensureBytes, frameError } from './wire-error.js';
import { readU32 } from './byte-order.js';

export const ARP_LENGTH = 28;
export const ARP_HTYPE_OFFSET = 0;
export const ARP_PTYPE_OFFSET = 2;
export const ARP_HLEN_OFFSET = 4;
export const ARP_PLEN_OFFSET = 5;
export const ARP_OPERATION_OFFSET = 6;
export const ARP_SENDER_MAC_OFFSET = 8;
export const ARP_SENDER_IP_OFFSET = 14;
export const ARP_TARGET_MAC_OFFSET = 18;
export const ARP_TARGET_IP_OFFSET = 24;

/** IANA ARP "Hardware Types": Ethernet (10Mb). */
export const ARP_HTYPE_ETHERNET = 1;
/** Protocol type is an EtherType: IPv4. */
export const ARP_PTYPE_IPV4 = 0x0800;

/** IANA ARP "Operation Codes". */
export const ArpOperation = {
  Request: 1,
  Reply: 2,
  ReverseRequest: 3,
  ReverseReply: 4,
  InverseRequest: 8,
  InverseReply: 9,
} as const;

export interface ArpPacket {
  operation: number;
  senderMac: string;
  senderIp: string;
  targetMac: string;
  targetIp: string;
}

// ---------------------------------------------------------------------------
// Hot-path views (no allocation; the caller has checked 28 bytes are there)

/** True for the only combination this module reads: htype 1, ptype 0x0800, hlen 6, plen 4. */
export function isEthernetIpv4(buf: Uint8Array, offset: number): boolean {
  return (
    buf[offset]! === 0 &&
    buf[offset + 1]! === ARP_HTYPE_ETHERNET &&
    buf[offset + 2]! === ARP_PTYPE_IPV4 >> 8 &&
    buf[offset + 3]! === (ARP_PTYPE_IPV4 & 0xff) &&
    buf[offset + ARP_HLEN_OFFSET]! === 6 &&
    buf[offset + ARP_PLEN_OFFSET]! === 4
  );
}

export function readOperation(buf: Uint8Array, offset: number): number {
  return (buf[offset + ARP_OPERATION_OFFSET]! << 8) | buf[offset + ARP_OPERATION_OFFSET + 1]!;
}

/** Sender protocol address as an unsigned 32-bit number. */
export function readSenderIpU32(buf: Uint8Array, offset: number): number {
  return readU32(buf, offset + ARP_SENDER_IP_OFFSET);
}

export function readTargetIpU32(buf: Uint8Array, offset: number): number {
  return readU32(buf, offset + ARP_TARGET_IP_OFFSET);
}

/**
 * Gratuitous ARP / ARP Announcement (RFC 5227 §3): sender and target
 * protocol addresses are equal; a host announces (or defends) its own address.
 */
export function isGratuitous(buf: Uint8Array, offset: number): boolean {
  return readSenderIpU32(buf, offset) === readTargetIpU32(buf, offset);
}

/**
 * RFC 5227 §2.1.1 probe: sender protocol address 0.0.0.0. It says nothing
 * about the sender's IP and must not be learned.
 */
export function isProbe(buf: Uint8Array, offset: number): boolean {
  return readSenderIpU32(buf, offset) === 0;
}

// ---------------------------------------------------------------------------
// Codec

export function decode(buf: Buffer, offset = 0): ArpPacket {
  ensureBytes(buf, offset, 8, 'ARP header');
  if (!isEthernetIpv4(buf, offset)) {
    throw frameError(
      `ARP: hardware type ${buf.readUInt16BE(offset)}, protocol type 0x${buf
        .readUInt16BE(offset + ARP_PTYPE_OFFSET)
        .toString(16)
        .padStart(4, '0')}, lengths ${buf[offset + ARP_HLEN_OFFSET]}/${buf[offset + ARP_PLEN_OFFSET]}; ` +
        'only Ethernet/IPv4 (1, 0x0800, 6/4) is read',
      offset,
    );
  }
  ensureBytes(buf, offset, ARP_LENGTH, 'ARP Ethernet/IPv4 packet');
  decode.bytes = ARP_LENGTH;
  return {
    operation: readOperation(buf, offset),
    senderMac: formatMac(buf, offset + ARP_SENDER_MAC_OFFSET),
    senderIp: formatIpv4(buf, offset + ARP_SENDER_IP_OFFSET),
    targetMac: formatMac(buf, offset + ARP_TARGET_MAC_OFFSET),
    targetIp: formatIpv4(buf, offset + ARP_TARGET_IP_OFFSET),
  };
}
decode.bytes = 0;

export function encode(value: ArpPacket, buf?: Buffer, offset = 0): Buffer {
  checkUint(value.operation, 0xffff, 'ARP operation');
  // Parse everything before writing anything: a bad value leaves `buf` untouched.
  const senderMac = parseMac(value.senderMac);
  const senderIp = parseIpv4(value.senderIp);
  const targetMac = parseMac(value.targetMac);
  const targetIp = parseIpv4(value.targetIp);
  const out = buf ?? Buffer.alloc(ARP_LENGTH + offset);
  ensureBytes(out, offset, ARP_LENGTH, 'ARP packet (encode)');
  out.writeUInt16BE(ARP_HTYPE_ETHERNET, offset + ARP_HTYPE_OFFSET);
  out.writeUInt16BE(ARP_PTYPE_IPV4, offset + ARP_PTYPE_OFFSET);
  out[offset + ARP_HLEN_OFFSET] = 6;
  out[offset + ARP_PLEN_OFFSET] = 4;
  out.writeUInt16BE(value.operation, offset + ARP_OPERATION_OFFSET);
  senderMac.copy(out, offset + ARP_SENDER_MAC_OFFSET);
  senderIp.copy(out, offset + ARP_SENDER_IP_OFFSET);
  targetMac.copy(out, offset + ARP_TARGET_MAC_OFFSET);
  targetIp.copy(out, offset + ARP_TARGET_IP_OFFSET);
  encode.bytes = ARP_LENGTH;
  return out;
}
encode.bytes = 0;

export function encodingLength(_value: ArpPacket): number {
  return ARP_LENGTH;
}
