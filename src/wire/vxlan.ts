// VXLAN header, RFC 7348 §5:
//
//   0                   1                   2                   3
//  |R|R|R|R|I|R|R|R|            Reserved                           |
//  |                VXLAN Network Identifier (VNI) |   Reserved    |
//
// The hot path uses the offset constants and the view functions directly on
// the datagram (no object per packet); decode/encode are for the slow path,
// tests and `vxswitch decode`.

import { checkUint } from './field-range.js';
import { ensureBytes, frameError } from './wire-error.js';

export const VXLAN_HEADER_LENGTH = 8;
export const VXLAN_FLAGS_OFFSET = 0;
export const VXLAN_VNI_OFFSET = 4;
/** RFC 7348 §5: the I flag must be 1 for a valid VNI. */
export const VXLAN_FLAG_I = 0x08;
export const VXLAN_MAX_VNI = 0xffffff;
/** IANA-assigned VXLAN port (RFC 7348 §5). */
export const VXLAN_PORT_IANA = 4789;
/** The Linux vxlan driver's (and goplane's) historical default. */
export const VXLAN_PORT_LINUX = 8472;

export interface VxlanHeader {
  vni: number;
}

/** True when the I flag is set (reserved bits are ignored, RFC 7348 §5). */
export function hasValidFlags(buf: Buffer, offset: number): boolean {
  return (buf[offset + VXLAN_FLAGS_OFFSET]! & VXLAN_FLAG_I) !== 0;
}

/** The 24-bit VNI, read in place. */
export function readVni(buf: Buffer, offset: number): number {
  const o = offset + VXLAN_VNI_OFFSET;
  return (buf[o]! << 16) | (buf[o + 1]! << 8) | buf[o + 2]!;
}

/**
 * Write a header in place (the forwarder writes it into a slot's headroom):
 * flags = I, reserved bits zero on send.
 */
export function writeHeader(buf: Buffer, offset: number, vni: number): void {
  buf[offset] = VXLAN_FLAG_I;
  buf[offset + 1] = 0;
  buf[offset + 2] = 0;
  buf[offset + 3] = 0;
  buf[offset + 4] = (vni >>> 16) & 0xff;
  buf[offset + 5] = (vni >>> 8) & 0xff;
  buf[offset + 6] = vni & 0xff;
  buf[offset + 7] = 0;
}

export function decode(buf: Buffer, offset = 0): VxlanHeader {
  ensureBytes(buf, offset, VXLAN_HEADER_LENGTH, 'VXLAN header');
  if (!hasValidFlags(buf, offset)) {
    throw frameError('VXLAN header: I flag is not set', offset);
  }
  decode.bytes = VXLAN_HEADER_LENGTH;
  return { vni: readVni(buf, offset) };
}
decode.bytes = 0;

export function encode(value: VxlanHeader, buf?: Buffer, offset = 0): Buffer {
  checkUint(value.vni, VXLAN_MAX_VNI, 'VXLAN VNI');
  const out = buf ?? Buffer.alloc(VXLAN_HEADER_LENGTH + offset);
  ensureBytes(out, offset, VXLAN_HEADER_LENGTH, 'VXLAN header (encode)');
  writeHeader(out, offset, value.vni);
  encode.bytes = VXLAN_HEADER_LENGTH;
  return out;
}
encode.bytes = 0;

export function encodingLength(_value: VxlanHeader): number {
  return VXLAN_HEADER_LENGTH;
}
