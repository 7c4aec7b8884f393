// The payload of an NLMSG_ERROR message, struct nlmsgerr (netlink.h;
// Documentation/userspace-api/netlink/intro.rst "Netlink message types",
// "Extended ACK"):
//
//   | error (s32) | the request's nlmsghdr (16) | [request payload] | [extended ACK attributes] |
//
// error is 0 for an acknowledgement, else a negative errno. The request's
// payload is echoed unless the header says Capped (the socket asked for
// NETLINK_CAP_ACK, or it is an acknowledgement); extended ACK attributes
// (a message, the offset of the offending attribute...) follow when it says
// AckTlvs. So decoding needs the message header's flags (the context), and
// reads to the end of the buffer it is given: the message codec passes a
// view that ends where the message does.

import { exactUtf8 } from './exact-utf8.js';
import { checkInt32 } from './field-range.js';
import { readS32, writeS32 } from './host-order.js';
import * as netlinkHeader from './netlink-header.js';
import { NETLINK_HEADER_LENGTH, NetlinkFlag, type NetlinkHeader } from './netlink-header.js';
import { decodeRawAttributes, rawAttributesValue, type RawAttribute } from './rtnetlink-attribute.js';
import { ensureBytes, frameError } from './wire-error.js';

/** Extended ACK attribute types (enum nlmsgerr_attrs). */
export const ExtackAttribute = {
  /** NUL-terminated text saying what was wrong. */
  Msg: 1,
  /** u32: offset of the offending attribute in the request. */
  Offs: 2,
  Cookie: 3,
  Policy: 4,
  MissType: 5,
  MissNest: 6,
} as const;

export interface NetlinkError {
  /** 0: an acknowledgement; otherwise -errno (-101 is ENETUNREACH). */
  error: number;
  /** The header of the request this answers (its seq says which one). */
  request: NetlinkHeader;
  /** The request's payload, when the header is not Capped; empty otherwise. */
  requestPayload: Buffer;
  /** Extended ACK attributes, when the header says AckTlvs. */
  extack: RawAttribute[];
}

const ERROR_FIXED_LENGTH = 4 + NETLINK_HEADER_LENGTH;

export function decode(buf: Buffer, offset = 0, flags = 0): NetlinkError {
  ensureBytes(buf, offset, ERROR_FIXED_LENGTH, 'netlink error');
  const error = readS32(buf, offset);
  const request = netlinkHeader.decode(buf, offset + 4);
  let o = offset + ERROR_FIXED_LENGTH;
  let requestPayload = buf.subarray(o, o);
  if (!(flags & NetlinkFlag.Capped)) {
    const n = request.length - NETLINK_HEADER_LENGTH;
    ensureBytes(buf, o, n, 'netlink error: the echoed request');
    requestPayload = buf.subarray(o, o + n);
    o += n;
  }
  let extack: RawAttribute[] = [];
  if (flags & NetlinkFlag.AckTlvs) {
    extack = decodeRawAttributes(buf, o, buf.length);
    o = buf.length;
  } else if (o !== buf.length) {
    throw frameError(`netlink error: ${buf.length - o} bytes after the payload without AckTlvs`, o);
  }
  decode.bytes = o - offset;
  return { error, request, requestPayload, extack };
}
decode.bytes = 0;

/** Throw a RangeError unless `code` is 0 or a negative errno (an s32). */
export function checkErrorCode(code: number, what: string): void {
  checkInt32(code, what);
  if (code > 0) throw new RangeError(`${what} must be 0 or a negative errno, got ${code}`);
}

function check(value: NetlinkError, flags: number): void {
  checkErrorCode(value.error, 'netlink error');
  if (flags & NetlinkFlag.Capped && value.requestPayload.length !== 0) {
    throw new RangeError('netlink error: a Capped error echoes no request payload');
  }
  if (!(flags & NetlinkFlag.AckTlvs) && value.extack.length !== 0) {
    throw new RangeError('netlink error: extended ACK attributes need the AckTlvs flag');
  }
}

export function encodingLength(value: NetlinkError, flags = 0): number {
  check(value, flags);
  return ERROR_FIXED_LENGTH + value.requestPayload.length + rawAttributesValue.length(value.extack);
}

export function encode(value: NetlinkError, buf?: Buffer, offset = 0, flags = 0): Buffer {
  const length = encodingLength(value, flags);
  const out = buf ?? Buffer.alloc(offset + length);
  ensureBytes(out, offset, length, 'netlink error (encode)');
  writeS32(out, value.error, offset);
  netlinkHeader.encode(value.request, out, offset + 4);
  value.requestPayload.copy(out, offset + ERROR_FIXED_LENGTH);
  rawAttributesValue.encode(value.extack, out, offset + ERROR_FIXED_LENGTH + value.requestPayload.length);
  encode.bytes = length;
  return out;
}
encode.bytes = 0;

/** The kernel's explanation (ExtackAttribute.Msg), if it gave one. */
export function extackMessage(extack: readonly RawAttribute[]): string | undefined {
  const msg = extack.find((a) => a.type === ExtackAttribute.Msg);
  if (!msg) return undefined;
  const end = msg.value.indexOf(0);
  return exactUtf8(msg.value.subarray(0, end < 0 ? msg.value.length : end));
}

