// struct virtio_net_hdr (virtio 1.2 §5.1.6, the legacy 10-byte form without
// num_buffers): what the kernel puts before every frame on an AF_PACKET
// socket with PACKET_VNET_HDR or a TAP with IFF_VNET_HDR, and takes before
// every frame written to them.
//
//   0        1         2            4            6             8             10
//   | flags  | gso_type | hdr_len     | gso_size    | csum_start   | csum_offset |
//
// The 16-bit fields are in the host's byte order (the kernel's vio_le() for
// AF_PACKET, and TUN's default without TUNSETVNETLE/BE), so the fast path
// reads them through a Uint16Array over the records (five words each), which
// is host order too. decode/encode here are for tests and the slow path.

import { checkUint } from './field-range.js';
import { ensureBytes, frameError } from './wire-error.js';

export const VNET_HDR_LENGTH = 10;
export const VNET_FLAGS_OFFSET = 0;
export const VNET_GSO_TYPE_OFFSET = 1;
/** Offsets of the 16-bit fields in 16-bit words, for a Uint16Array over records (record i at word i * 5). */
export const VNET_HDR_WORDS = 5;
export const VNET_HDR_LEN_WORD = 1;
export const VNET_GSO_SIZE_WORD = 2;
export const VNET_CSUM_START_WORD = 3;
export const VNET_CSUM_OFFSET_WORD = 4;

/** flags: the checksum from csum_start to the end is still to be computed, and stored at csum_start + csum_offset. */
export const VNET_F_NEEDS_CSUM = 1;
/** flags: the checksum was checked (the kernel's CHECKSUM_UNNECESSARY). */
export const VNET_F_DATA_VALID = 2;

/** gso_type values (the low bits; VNET_GSO_ECN may be or-ed in). */
export const VNET_GSO_NONE = 0;
export const VNET_GSO_TCPV4 = 1;
/** UFO: one UDP datagram to be sent as IP fragments (not produced by current kernels). */
export const VNET_GSO_UDP = 3;
export const VNET_GSO_TCPV6 = 4;
/** UDP segmentation (Linux 4.18+): one payload cut into gso_size datagrams. */
export const VNET_GSO_UDP_L4 = 5;
/** The TCP segments set ECN CWR on the first one only. */
export const VNET_GSO_ECN = 0x80;

export interface VnetHeader {
  needsChecksum: boolean;
  dataValid: boolean;
  /** gso_type without the ECN bit. */
  gsoType: number;
  ecn: boolean;
  hdrLen: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
}

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function read16(buf: Buffer, o: number): number {
  return littleEndian ? buf.readUInt16LE(o) : buf.readUInt16BE(o);
}

function write16(buf: Buffer, o: number, v: number): void {
  if (littleEndian) buf.writeUInt16LE(v, o);
  else buf.writeUInt16BE(v, o);
}

export function decode(buf: Buffer, offset = 0): VnetHeader {
  ensureBytes(buf, offset, VNET_HDR_LENGTH, 'virtio_net_hdr');
  const flags = buf[offset]!;
  if ((flags & ~(VNET_F_NEEDS_CSUM | VNET_F_DATA_VALID | 4)) !== 0) {
    throw frameError(`virtio_net_hdr: unknown flags 0x${flags.toString(16)}`, offset);
  }
  const gso = buf[offset + 1]!;
  decode.bytes = VNET_HDR_LENGTH;
  return {
    needsChecksum: (flags & VNET_F_NEEDS_CSUM) !== 0,
    dataValid: (flags & VNET_F_DATA_VALID) !== 0,
    gsoType: gso & ~VNET_GSO_ECN,
    ecn: (gso & VNET_GSO_ECN) !== 0,
    hdrLen: read16(buf, offset + 2),
    gsoSize: read16(buf, offset + 4),
    csumStart: read16(buf, offset + 6),
    csumOffset: read16(buf, offset + 8),
  };
}
decode.bytes = 0;

export function encode(value: VnetHeader, buf?: Buffer, offset = 0): Buffer {
  const out = buf ?? Buffer.alloc(VNET_HDR_LENGTH);
  ensureBytes(out, offset, VNET_HDR_LENGTH, 'virtio_net_hdr');
  checkUint(value.gsoType, 0x7f, 'virtio_net_hdr gso_type');
  checkUint(value.hdrLen, 0xffff, 'virtio_net_hdr hdr_len');
  checkUint(value.gsoSize, 0xffff, 'virtio_net_hdr gso_size');
  checkUint(value.csumStart, 0xffff, 'virtio_net_hdr csum_start');
  checkUint(value.csumOffset, 0xffff, 'virtio_net_hdr csum_offset');
  out[offset] = (value.needsChecksum ? VNET_F_NEEDS_CSUM : 0) | (value.dataValid ? VNET_F_DATA_VALID : 0);
  out[offset + 1] = value.gsoType | (value.ecn ? VNET_GSO_ECN : 0);
  write16(out, offset + 2, value.hdrLen);
  write16(out, offset + 4, value.gsoSize);
  write16(out, offset + 6, value.csumStart);
  write16(out, offset + 8, value.csumOffset);
  encode.bytes = VNET_HDR_LENGTH;
  return out;
}
encode.bytes = 0;

export function encodingLength(_value: VnetHeader): number {
  return VNET_HDR_LENGTH;
}
