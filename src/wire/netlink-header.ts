// Netlink message header, struct nlmsghdr (RFC 3549 §2.3.2; the kernel's
// include/uapi/linux/netlink.h and Documentation/userspace-api/netlink/intro.rst):
//
//   0                   1                   2                   3
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                          Length                             |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |            Type              |           Flags              |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                      Sequence Number                        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                      Process ID (PID)                       |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Every field is in host byte order (host-order.ts). Length counts the
// header; messages in one datagram follow each other at 4-byte boundaries
// (NLMSG_ALIGN). "PID" is the port id: 0 for the kernel, the sending
// socket's for a request and for the kernel's reply to it; a notification
// carries the port id and sequence number of the request that caused the
// change (0 when the kernel changed something itself). Errors are frame
// errors (action 'drop'): a bad message is skipped, there is no session.

import { checkUint } from './field-range.js';
import { readU16, readU32, writeU16, writeU32 } from './host-order.js';
import { ensureBytes, frameError } from './wire-error.js';

export const NETLINK_HEADER_LENGTH = 16;

/** Control message types (netlink.h); rtnetlink's own types start at 16. */
export const NetlinkMessageType = {
  Noop: 1,
  /** An error, or with error 0 an acknowledgement (netlink-error.ts). */
  Error: 2,
  /** The end of a multipart message (a dump). */
  Done: 3,
  Overrun: 4,
} as const;

/** nlmsg_flags (netlink.h). The 0x100..0x800 bits mean different things per request kind. */
export const NetlinkFlag = {
  Request: 0x1,
  /** Part of a multipart message, ended by Done. */
  Multi: 0x2,
  /** Ask for an acknowledgement (an Error message with error 0) on success. */
  Ack: 0x4,
  Echo: 0x8,
  /** The dump was interrupted by a change: its content may be inconsistent. */
  DumpIntr: 0x10,
  DumpFiltered: 0x20,
  // GET requests
  Root: 0x100,
  Match: 0x200,
  Atomic: 0x400,
  Dump: 0x300,
  // NEW requests
  Replace: 0x100,
  Excl: 0x200,
  Create: 0x400,
  Append: 0x800,
  // Error / Done messages
  /** The request's payload is not echoed (NETLINK_CAP_ACK). */
  Capped: 0x100,
  /** Extended ACK attributes follow (NETLINK_EXT_ACK). */
  AckTlvs: 0x200,
} as const;

export interface NetlinkHeader {
  /** Length of the whole message, header included. */
  length: number;
  type: number;
  flags: number;
  seq: number;
  /** Port id (see above). */
  pid: number;
}

/** NLMSG_ALIGN / NLA_ALIGN: netlink pads messages and attributes to 4 bytes. */
export function align4(n: number): number {
  return (n + 3) & ~3;
}

export function decode(buf: Buffer, offset = 0): NetlinkHeader {
  ensureBytes(buf, offset, NETLINK_HEADER_LENGTH, 'netlink header');
  const length = readU32(buf, offset);
  if (length < NETLINK_HEADER_LENGTH) {
    throw frameError(`netlink header: length ${length} is shorter than the header`, offset);
  }
  decode.bytes = NETLINK_HEADER_LENGTH;
  return {
    length,
    type: readU16(buf, offset + 4),
    flags: readU16(buf, offset + 6),
    seq: readU32(buf, offset + 8),
    pid: readU32(buf, offset + 12),
  };
}
decode.bytes = 0;

export function encode(value: NetlinkHeader, buf?: Buffer, offset = 0): Buffer {
  checkUint(value.length, 0xffffffff, 'netlink length');
  if (value.length < NETLINK_HEADER_LENGTH) throw new RangeError(`netlink length must be at least 16, got ${value.length}`);
  checkUint(value.type, 0xffff, 'netlink type');
  checkUint(value.flags, 0xffff, 'netlink flags');
  checkUint(value.seq, 0xffffffff, 'netlink sequence number');
  checkUint(value.pid, 0xffffffff, 'netlink port id');
  const out = buf ?? Buffer.alloc(offset + NETLINK_HEADER_LENGTH);
  ensureBytes(out, offset, NETLINK_HEADER_LENGTH, 'netlink header (encode)');
  writeU32(out, value.length, offset);
  writeU16(out, value.type, offset + 4);
  writeU16(out, value.flags, offset + 6);
  writeU32(out, value.seq, offset + 8);
  writeU32(out, value.pid, offset + 12);
  encode.bytes = NETLINK_HEADER_LENGTH;
  return out;
}
encode.bytes = 0;

export function encodingLength(_value: NetlinkHeader): number {
  return NETLINK_HEADER_LENGTH;
}
