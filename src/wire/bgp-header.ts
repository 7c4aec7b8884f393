// BGP message header, RFC 4271 §4.1:
//
//   0                   1                   2                   3
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                           Marker (16 x 0xff)                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |          Length               |      Type     |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Length counts the whole message, header included. Every header error is a
// Message Header Error (RFC 4271 §6.1) and ends the session.

import type { BgpContext } from './bgp-context.js';
import { DEFAULT_CONTEXT } from './bgp-context.js';
import { ErrorCode, HeaderSubcode } from './bgp-error-codes.js';
import { WireError } from './wire-error.js';

export const BGP_MARKER_LENGTH = 16;
export const BGP_HEADER_LENGTH = 19;
/** RFC 4271 §4.1: the largest message without RFC 8654 extended messages. */
export const BGP_MAX_MESSAGE_LENGTH = 4096;
/** RFC 8654 §4: the largest message once extended messages are negotiated. */
export const BGP_MAX_EXTENDED_MESSAGE_LENGTH = 65535;

export const MessageType = {
  Open: 1,
  Update: 2,
  Notification: 3,
  Keepalive: 4,
  RouteRefresh: 5,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

/**
 * RFC 4271 §6.1: the smallest length of each message type (header + fixed
 * body part). ROUTE-REFRESH is checked by its own codec (RFC 7313 §5 gives it
 * its own error code).
 */
const MIN_LENGTH: Record<MessageTypeCode, number> = {
  1: 29,
  2: 23,
  3: 21,
  4: 19,
  5: BGP_HEADER_LENGTH,
};

export interface BgpHeader {
  /** Length of the whole message, header included. */
  length: number;
  type: MessageTypeCode;
}

function isMessageType(type: number): type is MessageTypeCode {
  return type >= MessageType.Open && type <= MessageType.RouteRefresh;
}

/**
 * The largest length a message of `type` may have in this session. RFC 8654
 * §3: extended messages never apply to OPEN (nor KEEPALIVE, always 19).
 */
export function maxMessageLength(type: number, ctx: BgpContext = DEFAULT_CONTEXT): number {
  if (type === MessageType.Keepalive) return BGP_HEADER_LENGTH;
  if (type === MessageType.Open || !ctx.extendedMessage) return BGP_MAX_MESSAGE_LENGTH;
  return BGP_MAX_EXTENDED_MESSAGE_LENGTH;
}

function headerError(subcode: number, message: string, offset: number, data: Buffer): WireError {
  return new WireError(message, { code: ErrorCode.MessageHeader, subcode, action: 'session-reset', offset, data });
}

/** RFC 4271 §6.1: Bad Message Length carries the erroneous Length field as data. */
function badLength(buf: Buffer, offset: number, why: string): WireError {
  return headerError(
    HeaderSubcode.BadMessageLength,
    `BGP header: ${why}`,
    offset + BGP_MARKER_LENGTH,
    buf.subarray(offset + BGP_MARKER_LENGTH, offset + BGP_MARKER_LENGTH + 2),
  );
}

export function decode(buf: Buffer, offset = 0, ctx: BgpContext = DEFAULT_CONTEXT): BgpHeader {
  if (offset < 0 || offset + BGP_HEADER_LENGTH > buf.length) {
    // A cut header is a framing fault: the length field cannot be trusted,
    // so the stream is out of step with the peer.
    throw headerError(
      HeaderSubcode.ConnectionNotSynchronized,
      `BGP header: need ${BGP_HEADER_LENGTH} bytes at offset ${offset}, have ${Math.max(0, buf.length - offset)}`,
      offset,
      Buffer.alloc(0),
    );
  }
  // RFC 4271 §4.1: the marker is all ones (authentication was dropped).
  for (let i = 0; i < BGP_MARKER_LENGTH; i++) {
    if (buf[offset + i] !== 0xff) {
      throw headerError(
        HeaderSubcode.ConnectionNotSynchronized,
        `BGP header: marker byte ${i} is 0x${buf[offset + i]!.toString(16).padStart(2, '0')}, not 0xff`,
        offset + i,
        Buffer.alloc(0),
      );
    }
  }
  const length = buf.readUInt16BE(offset + BGP_MARKER_LENGTH);
  const type = buf[offset + BGP_MARKER_LENGTH + 2]!;
  const absoluteMax = ctx.extendedMessage ? BGP_MAX_EXTENDED_MESSAGE_LENGTH : BGP_MAX_MESSAGE_LENGTH;
  if (length < BGP_HEADER_LENGTH || length > absoluteMax) {
    throw badLength(buf, offset, `length ${length} is outside ${BGP_HEADER_LENGTH}..${absoluteMax}`);
  }
  if (!isMessageType(type)) {
    // RFC 4271 §6.1: the data field is the bad Type field.
    throw headerError(
      HeaderSubcode.BadMessageType,
      `BGP header: unknown message type ${type}`,
      offset + BGP_MARKER_LENGTH + 2,
      buf.subarray(offset + BGP_MARKER_LENGTH + 2, offset + BGP_HEADER_LENGTH),
    );
  }
  const min = MIN_LENGTH[type];
  const max = maxMessageLength(type, ctx);
  if (length < min || length > max) {
    throw badLength(buf, offset, `length ${length} is outside ${min}..${max} for message type ${type}`);
  }
  decode.bytes = BGP_HEADER_LENGTH;
  return { length, type };
}
decode.bytes = 0;

export function encode(value: BgpHeader, buf?: Buffer, offset = 0, _ctx?: BgpContext): Buffer {
  if (!Number.isInteger(value.length) || value.length < BGP_HEADER_LENGTH || value.length > BGP_MAX_EXTENDED_MESSAGE_LENGTH) {
    throw new RangeError(`BGP message length must be ${BGP_HEADER_LENGTH}..${BGP_MAX_EXTENDED_MESSAGE_LENGTH}, got ${value.length}`);
  }
  if (!isMessageType(value.type)) throw new RangeError(`BGP message type must be 1..5, got ${String(value.type)}`);
  const out = buf ?? Buffer.alloc(BGP_HEADER_LENGTH + offset);
  if (offset < 0 || offset + BGP_HEADER_LENGTH > out.length) {
    throw new RangeError(`BGP header (encode): need ${BGP_HEADER_LENGTH} bytes at offset ${offset}, have ${out.length - offset}`);
  }
  out.fill(0xff, offset, offset + BGP_MARKER_LENGTH);
  out.writeUInt16BE(value.length, offset + BGP_MARKER_LENGTH);
  out[offset + BGP_MARKER_LENGTH + 2] = value.type;
  encode.bytes = BGP_HEADER_LENGTH;
  return out;
}
encode.bytes = 0;

export function encodingLength(_value?: BgpHeader, _ctx?: BgpContext): number {
  return BGP_HEADER_LENGTH;
}

/**
 * Stream framing: the length of the message starting at `offset`, once its
 * header has arrived (undefined while fewer than 19 bytes are buffered). The
 * header is validated first (marker, length range for the type and session),
 * so a TCP reader never waits for up to 64 KiB of garbage: it throws the
 * WireError to send instead.
 */
export function messageLengthAt(buf: Buffer, offset = 0, ctx: BgpContext = DEFAULT_CONTEXT): number | undefined {
  if (buf.length - offset < BGP_HEADER_LENGTH) return undefined;
  return decode(buf, offset, ctx).length;
}
