// A whole BGP message: the RFC 4271 §4.1 header and the body of its type.
//
// decode checks the header (bgp-header.ts), then decodes the body from a view
// that ends where the message ends, so no body codec can read into the next
// message of a TCP stream. decode.bytes is the message length: a reader
// walking a buffer of several messages advances by it.
//
// encode writes the header with the right length. A message longer than the
// session allows (4096, or 65535 with RFC 8654 extended messages; OPEN 4096
// always, RFC 8654 §3) is a RangeError: the caller must split its UPDATEs.

import type { BgpContext } from './bgp-context.js';
import { DEFAULT_CONTEXT } from './bgp-context.js';
import { ErrorCode, HeaderSubcode } from './bgp-error-codes.js';
import * as bgpHeader from './bgp-header.js';
import { BGP_HEADER_LENGTH, BGP_MARKER_LENGTH, MessageType, maxMessageLength, type MessageTypeCode } from './bgp-header.js';
import * as bgpKeepalive from './bgp-keepalive.js';
import * as bgpNotification from './bgp-notification.js';
import type { BgpNotification } from './bgp-notification.js';
import * as bgpOpen from './bgp-open.js';
import type { BgpOpen } from './bgp-open.js';
import * as bgpRouteRefresh from './bgp-route-refresh.js';
import type { BgpRouteRefresh } from './bgp-route-refresh.js';
import * as bgpUpdate from './bgp-update.js';
import type { BgpUpdate } from './bgp-update.js';
import { WireError } from './wire-error.js';

export type BgpMessage =
  | { type: 'open'; open: BgpOpen }
  | { type: 'update'; update: BgpUpdate }
  | { type: 'notification'; notification: BgpNotification }
  | { type: 'keepalive' }
  | { type: 'route-refresh'; routeRefresh: BgpRouteRefresh };

export type BgpMessageType = BgpMessage['type'];

/** The header's Type field for a message. */
export function messageTypeCode(message: BgpMessage): MessageTypeCode {
  switch (message.type) {
    case 'open':
      return MessageType.Open;
    case 'update':
      return MessageType.Update;
    case 'notification':
      return MessageType.Notification;
    case 'keepalive':
      return MessageType.Keepalive;
    case 'route-refresh':
      return MessageType.RouteRefresh;
  }
}

export function decode(buf: Buffer, offset = 0, ctx: BgpContext = DEFAULT_CONTEXT): BgpMessage {
  const header = bgpHeader.decode(buf, offset, ctx);
  const end = offset + header.length;
  if (end > buf.length) {
    // The caller frames messages by their Length field (messageLengthAt); a
    // shorter buffer means that field does not describe what was received.
    throw new WireError(`BGP message: length ${header.length} but only ${buf.length - offset} bytes`, {
      code: ErrorCode.MessageHeader,
      subcode: HeaderSubcode.BadMessageLength,
      action: 'session-reset',
      offset: offset + BGP_MARKER_LENGTH,
      data: buf.subarray(offset + BGP_MARKER_LENGTH, offset + BGP_MARKER_LENGTH + 2),
    });
  }
  const view = buf.subarray(0, end);
  const body = offset + BGP_HEADER_LENGTH;
  let message: BgpMessage;
  switch (header.type) {
    case MessageType.Open: {
      const open = bgpOpen.decode(view, body);
      if (body + bgpOpen.decode.bytes !== end) {
        throw new WireError(
          `OPEN: optional parameters end ${end - body - bgpOpen.decode.bytes} bytes before the message does`,
          { code: ErrorCode.Open, subcode: 0, action: 'session-reset', offset: body + 9 },
        );
      }
      message = { type: 'open', open };
      break;
    }
    case MessageType.Update:
      message = { type: 'update', update: bgpUpdate.decode(view, body, ctx) };
      break;
    case MessageType.Notification:
      message = { type: 'notification', notification: bgpNotification.decode(view, body) };
      break;
    case MessageType.Keepalive:
      // The header codec already required length 19.
      message = { type: 'keepalive' };
      break;
    case MessageType.RouteRefresh:
      if (header.length !== BGP_HEADER_LENGTH + bgpRouteRefresh.ROUTE_REFRESH_BODY_LENGTH) {
        throw bgpRouteRefresh.invalidLength(
          buf.subarray(offset, end),
          offset,
          `length ${header.length}, expected ${BGP_HEADER_LENGTH + bgpRouteRefresh.ROUTE_REFRESH_BODY_LENGTH}`,
        );
      }
      message = { type: 'route-refresh', routeRefresh: bgpRouteRefresh.decode(view, body) };
      break;
  }
  decode.bytes = header.length;
  return message;
}
decode.bytes = 0;

function bodyLength(message: BgpMessage, ctx: BgpContext): number {
  switch (message.type) {
    case 'open':
      return bgpOpen.encodingLength(message.open);
    case 'update':
      return bgpUpdate.encodingLength(message.update, ctx);
    case 'notification':
      return bgpNotification.encodingLength(message.notification);
    case 'keepalive':
      return bgpKeepalive.encodingLength({});
    case 'route-refresh':
      return bgpRouteRefresh.encodingLength(message.routeRefresh);
  }
}

export function encodingLength(message: BgpMessage, ctx: BgpContext = DEFAULT_CONTEXT): number {
  return BGP_HEADER_LENGTH + bodyLength(message, ctx);
}

export function encode(message: BgpMessage, buf?: Buffer, offset = 0, ctx: BgpContext = DEFAULT_CONTEXT): Buffer {
  const type = messageTypeCode(message);
  const length = encodingLength(message, ctx);
  const max = maxMessageLength(type, ctx);
  if (length > max) {
    throw new RangeError(`BGP ${message.type} message is ${length} bytes; this session allows at most ${max}`);
  }
  const out = buf ?? Buffer.alloc(length + offset);
  if (offset < 0 || offset + length > out.length) {
    throw new RangeError(`BGP message (encode): need ${length} bytes at offset ${offset}, have ${out.length - offset}`);
  }
  bgpHeader.encode({ length, type }, out, offset, ctx);
  const body = offset + BGP_HEADER_LENGTH;
  switch (message.type) {
    case 'open':
      bgpOpen.encode(message.open, out, body);
      break;
    case 'update':
      bgpUpdate.encode(message.update, out, body, ctx);
      break;
    case 'notification':
      bgpNotification.encode(message.notification, out, body);
      break;
    case 'keepalive':
      break;
    case 'route-refresh':
      bgpRouteRefresh.encode(message.routeRefresh, out, body);
      break;
  }
  encode.bytes = length;
  return out;
}
encode.bytes = 0;

/** The one KEEPALIVE (RFC 4271 §4.4): 19 bytes, nothing else. */
export const KEEPALIVE: BgpMessage = { type: 'keepalive' };
