// The rtnetlink requests the next-hop resolver sends (rtnetlink(7)), as
// messages for the codec in src/wire/rtnetlink-message.ts. The caller
// chooses the sequence number; the kernel's answers carry it back.

import { isIPv6 } from 'node:net';
import { NetlinkFlag } from '../wire/netlink-header.js';
import { NeighbourFlag, NudState } from '../wire/rtnetlink-neighbour.js';
import { RtmType, type RtnetlinkMessage } from '../wire/rtnetlink-message.js';
import { AddressFamily, RouteTable, RouteType } from '../wire/rtnetlink-route.js';

function familyOf(address: string): number {
  return isIPv6(address) ? AddressFamily.Inet6 : AddressFamily.Inet;
}

/** Dump every link (RTM_GETLINK, NLM_F_DUMP): RTM_NEWLINK messages, then NLMSG_DONE. */
export function linkDump(seq: number): RtnetlinkMessage {
  return {
    kind: 'link',
    type: RtmType.GetLink,
    flags: NetlinkFlag.Request | NetlinkFlag.Dump,
    seq,
    pid: 0,
    body: { family: AddressFamily.Unspec, deviceType: 0, index: 0, flags: 0, change: 0, attributes: [] },
  };
}

/**
 * Dump the neighbours of one family (RTM_GETNEIGH, NLM_F_DUMP). One family
 * at a time: AF_UNSPEC would also dump the bridge FDB (AF_BRIDGE), which
 * can be large and is of no use here.
 */
export function neighbourDump(family: typeof AddressFamily.Inet | typeof AddressFamily.Inet6, seq: number): RtnetlinkMessage {
  return {
    kind: 'neighbour',
    type: RtmType.GetNeigh,
    flags: NetlinkFlag.Request | NetlinkFlag.Dump,
    seq,
    pid: 0,
    body: { family, ifindex: 0, state: 0, flags: 0, type: 0, attributes: [] },
  };
}

/**
 * The route the kernel would use to send to `address` (RTM_GETROUTE for
 * the /32 or /128, as `ip route get`): an RTM_NEWROUTE answer with the
 * resolved path, or NLMSG_ERROR (ENETUNREACH, EHOSTUNREACH, EINVAL for a
 * blackhole, EACCES for prohibit).
 */
export function routeGet(address: string, seq: number): RtnetlinkMessage {
  const family = familyOf(address);
  return {
    kind: 'route',
    type: RtmType.GetRoute,
    flags: NetlinkFlag.Request,
    seq,
    pid: 0,
    body: {
      family,
      dstLength: family === AddressFamily.Inet6 ? 128 : 32,
      srcLength: 0,
      tos: 0,
      table: RouteTable.Unspec,
      protocol: 0,
      scope: 0,
      type: RouteType.Unspec,
      flags: 0,
      attributes: [{ kind: 'dst', value: address }],
    },
  };
}

/**
 * Make the kernel resolve `address` on interface `ifindex` as if a packet
 * were waiting for it: RTM_NEWNEIGH with NTF_USE (neigh_add() then calls
 * neigh_event_send(), which sends an ARP request / neighbour solicitation
 * unless the entry is already valid; NLM_F_CREATE makes the entry if there
 * is none). State NUD_NONE: the entry's state is the kernel's to set, and
 * no NUD_PERMANENT bit pins it. Acknowledged (NLM_F_ACK), so a refusal
 * can be told apart from success.
 */
export function neighbourUse(address: string, ifindex: number, seq: number): RtnetlinkMessage {
  return {
    kind: 'neighbour',
    type: RtmType.NewNeigh,
    flags: NetlinkFlag.Request | NetlinkFlag.Ack | NetlinkFlag.Create | NetlinkFlag.Replace,
    seq,
    pid: 0,
    body: { family: familyOf(address), ifindex, state: NudState.None, flags: NeighbourFlag.Use, type: 0, attributes: [{ kind: 'dst', value: address }] },
  };
}
