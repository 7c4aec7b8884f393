// The payload of an NLMSG_DONE message, which ends a dump (netlink.h;
// the kernel's netlink_dump_done()):
//
//   | error (s32) | [extended ACK attributes] |
//
// error is 0 when the dump completed, else a negative errno; extended ACK
// attributes follow when the header says AckTlvs (netlink-error.ts). Like
// netlink-error.ts it takes the header's flags as context and reads to the
// end of the buffer it is given.

import { readS32, writeS32 } from './host-order.js';
import { checkErrorCode } from './netlink-error.js';
import { NetlinkFlag } from './netlink-header.js';
import { decodeRawAttributes, rawAttributesValue, type RawAttribute } from './rtnetlink-attribute.js';
import { ensureBytes, frameError } from './wire-error.js';

export interface NetlinkDone {
  /** 0, or -errno when the dump failed. */
  error: number;
  extack: RawAttribute[];
}

export function decode(buf: Buffer, offset = 0, flags = 0): NetlinkDone {
  ensureBytes(buf, offset, 4, 'netlink done');
  const error = readS32(buf, offset);
  let extack: RawAttribute[] = [];
  if (flags & NetlinkFlag.AckTlvs) extack = decodeRawAttributes(buf, offset + 4, buf.length);
  else if (buf.length !== offset + 4) throw frameError(`netlink done: ${buf.length - offset - 4} bytes after the status without AckTlvs`, offset + 4);
  decode.bytes = buf.length - offset;
  return { error, extack };
}
decode.bytes = 0;

export function encodingLength(value: NetlinkDone, flags = 0): number {
  checkErrorCode(value.error, 'netlink done status');
  if (!(flags & NetlinkFlag.AckTlvs) && value.extack.length !== 0) {
    throw new RangeError('netlink done: extended ACK attributes need the AckTlvs flag');
  }
  return 4 + rawAttributesValue.length(value.extack);
}

export function encode(value: NetlinkDone, buf?: Buffer, offset = 0, flags = 0): Buffer {
  const length = encodingLength(value, flags);
  const out = buf ?? Buffer.alloc(offset + length);
  ensureBytes(out, offset, length, 'netlink done (encode)');
  writeS32(out, value.error, offset);
  rawAttributesValue.encode(value.extack, out, offset + 4);
  encode.bytes = length;
  return out;
}
encode.bytes = 0;
