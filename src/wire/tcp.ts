// TCP header, RFC 9293 §3.1:
//
//   0                   1                   2                   3
//  |          Source Port          |       Destination Port        |
//  |                        Sequence Number                        |
//  |                    Acknowledgment Number                      |
//  |  DOffset | Rsrvd |C|E|U|A|P|R|S|F|           Window          |
//  |           Checksum            |         Urgent Pointer        |
//  |                    Options (DOffset > 5)  ...                 |
//
// vxswitch speaks BGP over the kernel's TCP; this codec is for reading
// captures (`vxswitch decode` finds BGP in them) and tests. Header only:
// `decode.bytes` is DOffset * 4 and the segment's data follows. Options are
// kept as a view, not parsed. The 4 reserved bits (the lowest, 0x01 of byte
// 12, was NS in RFC 3540 and is AE in AccECN stacks) are kept as a number so
// re-encoding is byte-exact. The checksum is read and written as is; `computeChecksum` /
// `isChecksumCorrect` take the pseudo-header sum from ipv4.pseudoHeaderSum or
// ipv6.pseudoHeaderSum (protocol IpProtocol.Tcp, length = header + data).

import { checkUint } from './field-range.js';
import * as ipv4 from './ipv4.js';
import { ensureBytes, frameError } from './wire-error.js';

export const TCP_MIN_HEADER_LENGTH = 20;
/** Data offset is 4 bits of 32-bit words: at most 60 bytes, 40 of options. */
export const TCP_MAX_HEADER_LENGTH = 60;
export const TCP_SRC_PORT_OFFSET = 0;
export const TCP_DST_PORT_OFFSET = 2;
export const TCP_SEQ_OFFSET = 4;
export const TCP_ACK_OFFSET = 8;
export const TCP_DATA_OFFSET_OFFSET = 12;
export const TCP_FLAGS_OFFSET = 13;
export const TCP_WINDOW_OFFSET = 14;
export const TCP_CHECKSUM_OFFSET = 16;
export const TCP_URGENT_OFFSET = 18;

/** The control bits of RFC 9293 §3.1 (byte 13), as a bit mask. */
export const TcpFlag = {
  Fin: 0x01,
  Syn: 0x02,
  Rst: 0x04,
  Psh: 0x08,
  Ack: 0x10,
  Urg: 0x20,
  Ece: 0x40,
  Cwr: 0x80,
} as const;

export interface TcpHeader {
  srcPort: number;
  dstPort: number;
  /** Sequence number, unsigned 32-bit (tshark's tcp.seq_raw). */
  seq: number;
  /** Acknowledgment number, unsigned 32-bit (tshark's tcp.ack_raw). */
  ack: number;
  /** The 4 bits between data offset and the flags (RFC 9293: reserved, must be zero). */
  reserved: number;
  /** Control bits, CWR..FIN (see TcpFlag). */
  flags: number;
  window: number;
  checksum: number;
  urgentPointer: number;
  /** Options and padding as a view of the header bytes (multiple of 4, at most 40). */
  options: Buffer;
}

/** DOffset * 4, in bytes (no allocation; the caller has checked 13 bytes are there). */
export function readHeaderLength(buf: Uint8Array, offset: number): number {
  return (buf[offset + TCP_DATA_OFFSET_OFFSET]! >> 4) * 4;
}

export function readFlags(buf: Uint8Array, offset: number): number {
  return buf[offset + TCP_FLAGS_OFFSET]!;
}

/** The checksum a segment of `length` bytes (header + data) should carry; its own field counts as zero. */
export function computeChecksum(buf: Uint8Array, offset: number, length: number, pseudoSum: number): number {
  const head = ipv4.onesComplementSum(buf, offset, TCP_CHECKSUM_OFFSET, pseudoSum);
  return ipv4.checksum(buf, offset + TCP_CHECKSUM_OFFSET + 2, length - TCP_CHECKSUM_OFFSET - 2, head);
}

/** True when the segment's checksum field is right (RFC 9293 §3.1: over pseudo-header, header and data). */
export function isChecksumCorrect(buf: Uint8Array, offset: number, length: number, pseudoSum: number): boolean {
  return ipv4.checksum(buf, offset, length, pseudoSum) === 0;
}

export function decode(buf: Buffer, offset = 0): TcpHeader {
  ensureBytes(buf, offset, TCP_MIN_HEADER_LENGTH, 'TCP header');
  const headerLength = readHeaderLength(buf, offset);
  // RFC 9293 §3.1: the header is at least 5 words.
  if (headerLength < TCP_MIN_HEADER_LENGTH) {
    throw frameError(
      `TCP header: data offset is ${headerLength / 4}, the minimum is 5`,
      offset + TCP_DATA_OFFSET_OFFSET,
    );
  }
  ensureBytes(buf, offset, headerLength, 'TCP header with options');
  decode.bytes = headerLength;
  return {
    srcPort: buf.readUInt16BE(offset + TCP_SRC_PORT_OFFSET),
    dstPort: buf.readUInt16BE(offset + TCP_DST_PORT_OFFSET),
    seq: buf.readUInt32BE(offset + TCP_SEQ_OFFSET),
    ack: buf.readUInt32BE(offset + TCP_ACK_OFFSET),
    reserved: buf[offset + TCP_DATA_OFFSET_OFFSET]! & 0x0f,
    flags: buf[offset + TCP_FLAGS_OFFSET]!,
    window: buf.readUInt16BE(offset + TCP_WINDOW_OFFSET),
    checksum: buf.readUInt16BE(offset + TCP_CHECKSUM_OFFSET),
    urgentPointer: buf.readUInt16BE(offset + TCP_URGENT_OFFSET),
    options: buf.subarray(offset + TCP_MIN_HEADER_LENGTH, offset + headerLength),
  };
}
decode.bytes = 0;

export function encode(value: TcpHeader, buf?: Buffer, offset = 0): Buffer {
  const length = encodingLength(value);
  checkUint(value.srcPort, 0xffff, 'TCP source port');
  checkUint(value.dstPort, 0xffff, 'TCP destination port');
  checkUint(value.seq, 0xffffffff, 'TCP sequence number');
  checkUint(value.ack, 0xffffffff, 'TCP acknowledgment number');
  checkUint(value.reserved, 0x0f, 'TCP reserved bits');
  checkUint(value.flags, 0xff, 'TCP flags');
  checkUint(value.window, 0xffff, 'TCP window');
  checkUint(value.checksum, 0xffff, 'TCP checksum');
  checkUint(value.urgentPointer, 0xffff, 'TCP urgent pointer');
  const out = buf ?? Buffer.alloc(length + offset);
  ensureBytes(out, offset, length, 'TCP header (encode)');
  out.writeUInt16BE(value.srcPort, offset + TCP_SRC_PORT_OFFSET);
  out.writeUInt16BE(value.dstPort, offset + TCP_DST_PORT_OFFSET);
  out.writeUInt32BE(value.seq, offset + TCP_SEQ_OFFSET);
  out.writeUInt32BE(value.ack, offset + TCP_ACK_OFFSET);
  out[offset + TCP_DATA_OFFSET_OFFSET] = ((length / 4) << 4) | value.reserved;
  out[offset + TCP_FLAGS_OFFSET] = value.flags;
  out.writeUInt16BE(value.window, offset + TCP_WINDOW_OFFSET);
  out.writeUInt16BE(value.checksum, offset + TCP_CHECKSUM_OFFSET);
  out.writeUInt16BE(value.urgentPointer, offset + TCP_URGENT_OFFSET);
  value.options.copy(out, offset + TCP_MIN_HEADER_LENGTH);
  encode.bytes = length;
  return out;
}
encode.bytes = 0;

export function encodingLength(value: TcpHeader): number {
  const n = value.options.length;
  // The data offset counts 32-bit words, so options come padded to 4 bytes.
  if (n % 4 !== 0 || n > TCP_MAX_HEADER_LENGTH - TCP_MIN_HEADER_LENGTH) {
    throw new RangeError(`TCP options must be a multiple of 4 bytes, at most 40; got ${n}`);
  }
  return TCP_MIN_HEADER_LENGTH + n;
}
