// A whole rtnetlink message: the nlmsghdr (netlink-header.ts) and the body
// its type says (rtnetlink(7); include/uapi/linux/rtnetlink.h):
//
//   RTM_NEWLINK..RTM_SETLINK (16..19)  -> link      (rtnetlink-link.ts)
//   RTM_NEWROUTE..RTM_GETROUTE (24..26) -> route    (rtnetlink-route.ts)
//   RTM_NEWNEIGH..RTM_GETNEIGH (28..30) -> neighbour (rtnetlink-neighbour.ts)
//   NLMSG_ERROR (2)                    -> error     (netlink-error.ts)
//   NLMSG_DONE (3)                     -> done      (netlink-done.ts)
//   anything else                      -> other     (the body as bytes)
//
// A datagram holds one or more messages, each starting at a 4-byte boundary
// (NLMSG_ALIGN): decode.bytes is the message's length, the next one starts
// at align4(decode.bytes). Requests are encoded with the same codec.

import * as netlinkDone from './netlink-done.js';
import type { NetlinkDone } from './netlink-done.js';
import * as netlinkError from './netlink-error.js';
import type { NetlinkError } from './netlink-error.js';
import * as netlinkHeader from './netlink-header.js';
import { NETLINK_HEADER_LENGTH, NetlinkMessageType } from './netlink-header.js';
import * as link from './rtnetlink-link.js';
import type { LinkMessage } from './rtnetlink-link.js';
import * as neighbour from './rtnetlink-neighbour.js';
import type { NeighbourMessage } from './rtnetlink-neighbour.js';
import * as route from './rtnetlink-route.js';
import type { RouteMessage } from './rtnetlink-route.js';
import { ensureBytes } from './wire-error.js';

/** rtnetlink message types (RTM_*). */
export const RtmType = {
  NewLink: 16,
  DelLink: 17,
  GetLink: 18,
  SetLink: 19,
  NewRoute: 24,
  DelRoute: 25,
  GetRoute: 26,
  NewNeigh: 28,
  DelNeigh: 29,
  GetNeigh: 30,
} as const;

/** Multicast groups (enum rtnetlink_groups, RTNLGRP_*), joined with NETLINK_ADD_MEMBERSHIP. */
export const RtnlGroup = {
  Link: 1,
  Neigh: 3,
  Ipv4Ifaddr: 5,
  Ipv4Route: 7,
  Ipv4Rule: 8,
  Ipv6Ifaddr: 9,
  Ipv6Route: 11,
  Ipv6Rule: 19,
  /** Nexthop objects (`ip nexthop`, Linux 5.3+). */
  Nexthop: 32,
} as const;

interface Envelope {
  type: number;
  flags: number;
  seq: number;
  pid: number;
}

export type RtnetlinkMessage =
  | (Envelope & { kind: 'link'; body: LinkMessage })
  | (Envelope & { kind: 'route'; body: RouteMessage })
  | (Envelope & { kind: 'neighbour'; body: NeighbourMessage })
  | (Envelope & { kind: 'error'; body: NetlinkError })
  | (Envelope & { kind: 'done'; body: NetlinkDone })
  | (Envelope & { kind: 'other'; body: Buffer });

export type MessageKind = RtnetlinkMessage['kind'];

/** Which body a message of `type` carries. */
export function kindOf(type: number): MessageKind {
  if (type >= RtmType.NewLink && type <= RtmType.SetLink) return 'link';
  if (type >= RtmType.NewRoute && type <= RtmType.GetRoute) return 'route';
  if (type >= RtmType.NewNeigh && type <= RtmType.GetNeigh) return 'neighbour';
  if (type === NetlinkMessageType.Error) return 'error';
  if (type === NetlinkMessageType.Done) return 'done';
  return 'other';
}

export function decode(buf: Buffer, offset = 0): RtnetlinkMessage {
  const h = netlinkHeader.decode(buf, offset);
  ensureBytes(buf, offset, h.length, `netlink message type ${h.type}`);
  // The body codecs read to the end of their buffer: a view ending with this message.
  const view = buf.subarray(0, offset + h.length);
  const at = offset + NETLINK_HEADER_LENGTH;
  const envelope: Envelope = { type: h.type, flags: h.flags, seq: h.seq, pid: h.pid };
  let m: RtnetlinkMessage;
  switch (kindOf(h.type)) {
    case 'link':
      m = { ...envelope, kind: 'link', body: link.decode(view, at) };
      break;
    case 'route':
      m = { ...envelope, kind: 'route', body: route.decode(view, at) };
      break;
    case 'neighbour':
      m = { ...envelope, kind: 'neighbour', body: neighbour.decode(view, at) };
      break;
    case 'error':
      m = { ...envelope, kind: 'error', body: netlinkError.decode(view, at, h.flags) };
      break;
    case 'done':
      m = { ...envelope, kind: 'done', body: netlinkDone.decode(view, at, h.flags) };
      break;
    default:
      m = { ...envelope, kind: 'other', body: view.subarray(at) };
  }
  decode.bytes = h.length;
  return m;
}
decode.bytes = 0;

function bodyLength(m: RtnetlinkMessage): number {
  if (m.kind !== kindOf(m.type)) throw new RangeError(`netlink message type ${m.type} carries a ${kindOf(m.type)} body, not ${m.kind}`);
  switch (m.kind) {
    case 'link':
      return link.encodingLength(m.body);
    case 'route':
      return route.encodingLength(m.body);
    case 'neighbour':
      return neighbour.encodingLength(m.body);
    case 'error':
      return netlinkError.encodingLength(m.body, m.flags);
    case 'done':
      return netlinkDone.encodingLength(m.body, m.flags);
    case 'other':
      return m.body.length;
  }
}

export function encodingLength(m: RtnetlinkMessage): number {
  return NETLINK_HEADER_LENGTH + bodyLength(m);
}

export function encode(m: RtnetlinkMessage, buf?: Buffer, offset = 0): Buffer {
  const length = encodingLength(m);
  const out = buf ?? Buffer.alloc(offset + length);
  ensureBytes(out, offset, length, 'netlink message (encode)');
  netlinkHeader.encode({ length, type: m.type, flags: m.flags, seq: m.seq, pid: m.pid }, out, offset);
  const at = offset + NETLINK_HEADER_LENGTH;
  switch (m.kind) {
    case 'link':
      link.encode(m.body, out, at);
      break;
    case 'route':
      route.encode(m.body, out, at);
      break;
    case 'neighbour':
      neighbour.encode(m.body, out, at);
      break;
    case 'error':
      netlinkError.encode(m.body, out, at, m.flags);
      break;
    case 'done':
      netlinkDone.encode(m.body, out, at, m.flags);
      break;
    case 'other':
      m.body.copy(out, at);
  }
  encode.bytes = length;
  return out;
}
encode.bytes = 0;
