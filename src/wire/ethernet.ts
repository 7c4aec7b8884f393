// Ethernet II header (IEEE 802.3 §3.2.6 "Length/Type" >= 0x0600 is an
// EtherType) with up to two VLAN tags (IEEE 802.1Q §9.6):
//
//   | dst MAC (6) | src MAC (6) | [TPID (2) | PCP:3 DEI:1 VID:12 (2)] x 0..2 | EtherType (2) |
//
// Tags: a first tag has TPID 0x8100 (C-tag), 0x88a8 (802.1ad S-tag) or 0x9100
// (pre-802.1ad QinQ, still sent by some switches); a second (inner) tag is
// read only behind a first one and only with TPID 0x8100. That is where
// decoding stops: a third tag, or an 0x88a8 inner tag, is left in place and
// its TPID is returned as `etherType` (it is payload to this switch).
// A Length/Type below 0x0600 is an IEEE 802.3 length (an LLC frame, e.g. STP):
// it is returned as `etherType` as is; `isLengthField` tells them apart.
// No minimum frame size is enforced (frames read from a TAP or AF_PACKET are
// not padded to 60 bytes); only the header's own bytes must be there.
//
// The forwarder does not decode: it uses the offsets and the in-place readers
// below, which take (buf, offset of the frame), allocate nothing and assume
// the caller checked the frame holds the header (`isTruncated`).

import { checkUint } from './field-range.js';
import { formatMac, isGroupMac, parseMac } from './mac-address.js';
import { ensureBytes } from './wire-error.js';

export const ETH_DST_OFFSET = 0;
export const ETH_SRC_OFFSET = 6;
export const ETH_TYPE_OFFSET = 12;
export const ETH_HEADER_LENGTH = 14;
export const VLAN_TAG_LENGTH = 4;
export const ETH_MAX_VLAN_TAGS = 2;
/** Length/Type values from here up are EtherTypes (IEEE 802.3 §3.2.6). */
export const ETHERTYPE_MIN = 0x0600;
export const VLAN_MAX_VID = 0xfff;

export const EtherType = {
  Ipv4: 0x0800,
  Arp: 0x0806,
  Ipv6: 0x86dd,
  /** IEEE 802.1Q C-tag TPID. */
  Vlan: 0x8100,
  /** IEEE 802.1ad S-tag TPID (QinQ outer tag). */
  QinQ: 0x88a8,
  /** Pre-standard QinQ outer TPID. */
  QinQ9100: 0x9100,
} as const;

export interface VlanTag {
  /** Tag Protocol Identifier: 0x8100, 0x88a8 or 0x9100 (outer); 0x8100 (inner). */
  tpid: number;
  /** Priority Code Point, 3 bits. */
  pcp: number;
  /** Drop Eligible Indicator (was CFI). */
  dei: boolean;
  /** VLAN ID, 12 bits (0: priority tag only; 0xfff reserved). */
  vid: number;
}

export interface EthernetHeader {
  /** "aa:bb:cc:dd:ee:ff" */
  dst: string;
  src: string;
  /** Outer tag first; 0, 1 or 2 tags. */
  vlans: VlanTag[];
  /** EtherType after the tags (or an 802.3 length below 0x0600). */
  etherType: number;
}

/** A TPID that starts a tag in the first position. */
export function isOuterTpid(type: number): boolean {
  return type === EtherType.Vlan || type === EtherType.QinQ || type === EtherType.QinQ9100;
}

export function isLengthField(type: number): boolean {
  return type < ETHERTYPE_MIN;
}

// ---------------------------------------------------------------------------
// Hot-path views

/** I/G bit of the destination: broadcast or multicast, flooded as BUM. */
export function isBroadcastOrMulticastDst(buf: Uint8Array, offset: number): boolean {
  return isGroupMac(buf, offset + ETH_DST_OFFSET);
}

export function isBroadcastDst(buf: Uint8Array, offset: number): boolean {
  const o = offset + ETH_DST_OFFSET;
  return (buf[o]! & buf[o + 1]! & buf[o + 2]! & buf[o + 3]! & buf[o + 4]! & buf[o + 5]!) === 0xff;
}

/** Upper 16 bits of the MAC at `macOffset` (absolute), as a number. */
export function macHi16(buf: Uint8Array, macOffset: number): number {
  return (buf[macOffset]! << 8) | buf[macOffset + 1]!;
}

/** Lower 32 bits of the MAC at `macOffset` (absolute), as an unsigned number. */
export function macLo32(buf: Uint8Array, macOffset: number): number {
  const o = macOffset + 2;
  return ((buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!) >>> 0;
}

/** The whole MAC as one integer below 2^48 (exact in a double). */
export function mac48(buf: Uint8Array, macOffset: number): number {
  return macHi16(buf, macOffset) * 0x100000000 + macLo32(buf, macOffset);
}

export function dstMacHi16(buf: Uint8Array, offset: number): number {
  return macHi16(buf, offset + ETH_DST_OFFSET);
}

export function dstMacLo32(buf: Uint8Array, offset: number): number {
  return macLo32(buf, offset + ETH_DST_OFFSET);
}

export function srcMacHi16(buf: Uint8Array, offset: number): number {
  return macHi16(buf, offset + ETH_SRC_OFFSET);
}

export function srcMacLo32(buf: Uint8Array, offset: number): number {
  return macLo32(buf, offset + ETH_SRC_OFFSET);
}

/** How many tags decode reads: 0, 1 or 2 (see the rules at the top). */
export function tagCount(buf: Uint8Array, offset: number): number {
  const o = offset + ETH_TYPE_OFFSET;
  if (!isOuterTpid((buf[o]! << 8) | buf[o + 1]!)) return 0;
  return ((buf[o + 4]! << 8) | buf[o + 5]!) === EtherType.Vlan ? 2 : 1;
}

/** Header length including tags: 14, 18 or 22. */
export function headerLength(buf: Uint8Array, offset: number): number {
  return ETH_HEADER_LENGTH + VLAN_TAG_LENGTH * tagCount(buf, offset);
}

/** Absolute offset of the payload (IP, ARP, ...) of the frame at `offset`. */
export function payloadOffset(buf: Uint8Array, offset: number): number {
  return offset + headerLength(buf, offset);
}

/** True when a frame of `length` bytes at `offset` cannot hold its own header. */
export function isTruncated(buf: Uint8Array, offset: number, length: number): boolean {
  if (length < ETH_HEADER_LENGTH) return true;
  // Read the tags only once the bytes they sit in are known to be in the frame.
  const o = offset + ETH_TYPE_OFFSET;
  if (!isOuterTpid((buf[o]! << 8) | buf[o + 1]!)) return false;
  if (length < ETH_HEADER_LENGTH + VLAN_TAG_LENGTH) return true;
  return ((buf[o + 4]! << 8) | buf[o + 5]!) === EtherType.Vlan && length < ETH_HEADER_LENGTH + 2 * VLAN_TAG_LENGTH;
}

/** The EtherType after the tags. */
export function readEtherType(buf: Uint8Array, offset: number): number {
  const o = offset + ETH_TYPE_OFFSET + VLAN_TAG_LENGTH * tagCount(buf, offset);
  return (buf[o]! << 8) | buf[o + 1]!;
}

/** VID of the outer tag, or -1 when the frame is untagged (0 is a priority tag). */
export function readVid(buf: Uint8Array, offset: number): number {
  if (tagCount(buf, offset) === 0) return -1;
  const o = offset + ETH_HEADER_LENGTH;
  return ((buf[o]! & 0x0f) << 8) | buf[o + 1]!;
}

/** VID of the inner tag of a double-tagged frame, or -1. */
export function readInnerVid(buf: Uint8Array, offset: number): number {
  if (tagCount(buf, offset) !== 2) return -1;
  const o = offset + ETH_HEADER_LENGTH + VLAN_TAG_LENGTH;
  return ((buf[o]! & 0x0f) << 8) | buf[o + 1]!;
}

// ---------------------------------------------------------------------------
// Codec

export function decode(buf: Buffer, offset = 0): EthernetHeader {
  ensureBytes(buf, offset, ETH_HEADER_LENGTH, 'Ethernet header');
  const vlans: VlanTag[] = [];
  let o = offset + ETH_TYPE_OFFSET;
  let type = buf.readUInt16BE(o);
  while (vlans.length < ETH_MAX_VLAN_TAGS && (vlans.length === 0 ? isOuterTpid(type) : type === EtherType.Vlan)) {
    ensureBytes(buf, o, VLAN_TAG_LENGTH + 2, vlans.length === 0 ? 'VLAN tag' : 'inner VLAN tag');
    const tci = buf.readUInt16BE(o + 2);
    vlans.push({ tpid: type, pcp: tci >> 13, dei: (tci & 0x1000) !== 0, vid: tci & VLAN_MAX_VID });
    o += VLAN_TAG_LENGTH;
    type = buf.readUInt16BE(o);
  }
  decode.bytes = o + 2 - offset;
  return {
    dst: formatMac(buf, offset + ETH_DST_OFFSET),
    src: formatMac(buf, offset + ETH_SRC_OFFSET),
    vlans,
    etherType: type,
  };
}
decode.bytes = 0;

export function encode(value: EthernetHeader, buf?: Buffer, offset = 0): Buffer {
  const length = encodingLength(value);
  const dst = parseMac(value.dst);
  const src = parseMac(value.src);
  checkHeader(value);
  const out = buf ?? Buffer.alloc(length + offset);
  ensureBytes(out, offset, length, 'Ethernet header (encode)');
  dst.copy(out, offset + ETH_DST_OFFSET);
  src.copy(out, offset + ETH_SRC_OFFSET);
  let o = offset + ETH_TYPE_OFFSET;
  for (const tag of value.vlans) {
    out.writeUInt16BE(tag.tpid, o);
    out.writeUInt16BE((tag.pcp << 13) | (tag.dei ? 0x1000 : 0) | tag.vid, o + 2);
    o += VLAN_TAG_LENGTH;
  }
  out.writeUInt16BE(value.etherType, o);
  encode.bytes = length;
  return out;
}
encode.bytes = 0;

export function encodingLength(value: EthernetHeader): number {
  return ETH_HEADER_LENGTH + VLAN_TAG_LENGTH * value.vlans.length;
}

/**
 * Only headers that decode reads back the same way are encoded: otherwise
 * the bytes would say something else than the value (e.g. EtherType 0x8100
 * with no tag would be read as a tag).
 */
function checkHeader(value: EthernetHeader): void {
  const n = value.vlans.length;
  if (n > ETH_MAX_VLAN_TAGS) throw new RangeError(`Ethernet: at most ${ETH_MAX_VLAN_TAGS} VLAN tags, got ${n}`);
  value.vlans.forEach((tag, i) => {
    if (i === 0 ? !isOuterTpid(tag.tpid) : tag.tpid !== EtherType.Vlan) {
      throw new RangeError(
        `Ethernet: ${i === 0 ? 'outer' : 'inner'} VLAN tag TPID 0x${tag.tpid.toString(16)} is not one of ` +
          (i === 0 ? '0x8100, 0x88a8, 0x9100' : '0x8100'),
      );
    }
    checkUint(tag.pcp, 7, 'Ethernet PCP');
    checkUint(tag.vid, VLAN_MAX_VID, 'Ethernet VID');
  });
  checkUint(value.etherType, 0xffff, 'Ethernet EtherType');
  if ((n === 0 && isOuterTpid(value.etherType)) || (n === 1 && value.etherType === EtherType.Vlan)) {
    throw new RangeError(
      `Ethernet: EtherType 0x${value.etherType.toString(16)} after ${n} tag(s) would be read as a VLAN tag; ` +
        'put it in vlans',
    );
  }
}
