// rtnetlink link messages (RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK): struct
// ifinfomsg and its IFLA_* attributes (rtnetlink(7) "RTM_NEWLINK";
// include/uapi/linux/if_link.h, Documentation/networking/operstates.rst):
//
//   | family | pad | type (u16, ARPHRD_*) | index (s32)                  |
//   | flags (u32, IFF_*)                   | change (u32)               |
//   | attributes ...
//
// The body of the message after its nlmsghdr (rtnetlink-body.ts). The pad
// byte is written as zero and not checked. A link dump carries many more attributes (statistics, AF_SPEC, LINKINFO...)
// than these: they are kept as bytes.

import { checkInt32, checkUint } from './field-range.js';
import { readS32, readU16, readU32, writeS32, writeU16, writeU32 } from './host-order.js';
import {
  AttributeTable,
  linkAddressValue,
  stringValue,
  u8Value,
  u32Value,
  type OtherAttribute,
} from './rtnetlink-attribute.js';
import { bodyCodec } from './rtnetlink-body.js';

export const LINK_HEADER_LENGTH = 16;

/** ifi_flags bits (IFF_*, include/uapi/linux/if.h). */
export const LinkFlag = {
  Up: 0x1,
  Broadcast: 0x2,
  Loopback: 0x8,
  PointToPoint: 0x10,
  Running: 0x40,
  Noarp: 0x80,
  Promisc: 0x100,
  Multicast: 0x1000,
  LowerUp: 0x10000,
  Dormant: 0x20000,
} as const;

/** IFLA_OPERSTATE values (RFC 2863 ifOperStatus, Documentation/networking/operstates.rst). */
export const OperState = {
  Unknown: 0,
  NotPresent: 1,
  Down: 2,
  LowerLayerDown: 3,
  Testing: 4,
  Dormant: 5,
  Up: 6,
} as const;

/** ifi_type values used here (ARPHRD_*, include/uapi/linux/if_arp.h). */
export const DeviceType = { Ether: 1, Loopback: 772, None: 0xfffe } as const;

/** The IFLA_* attribute types this codec interprets (the rest stay bytes). */
export const LinkAttributeType = {
  Address: 1,
  Broadcast: 2,
  Ifname: 3,
  Mtu: 4,
  Link: 5,
  Master: 10,
  Txqlen: 13,
  Operstate: 16,
  Linkmode: 17,
} as const;

export type LinkAttribute =
  /** Link-layer addresses ("02:00:00:00:00:01" on Ethernet). */
  | { kind: 'address' | 'broadcast'; value: string }
  | { kind: 'ifname'; value: string }
  | { kind: 'mtu' | 'link' | 'master' | 'txqlen'; value: number }
  | { kind: 'operstate' | 'linkmode'; value: number }
  | OtherAttribute;

export interface LinkMessage {
  family: number;
  /** ARPHRD_* (DeviceType). */
  deviceType: number;
  index: number;
  /** IFF_* (LinkFlag). */
  flags: number;
  /** Which flags a request changes; 0 in notifications as often as not. */
  change: number;
  attributes: LinkAttribute[];
}

const L = LinkAttributeType;
const linkAttributes = new AttributeTable<LinkAttribute>('link attribute', [
  [L.Address, 'address', linkAddressValue],
  [L.Broadcast, 'broadcast', linkAddressValue],
  [L.Ifname, 'ifname', stringValue],
  [L.Mtu, 'mtu', u32Value],
  [L.Link, 'link', u32Value],
  [L.Master, 'master', u32Value],
  [L.Txqlen, 'txqlen', u32Value],
  [L.Operstate, 'operstate', u8Value],
  [L.Linkmode, 'linkmode', u8Value],
]);

const codec = bodyCodec<LinkMessage, LinkAttribute>({
  what: 'ifinfomsg',
  length: LINK_HEADER_LENGTH,
  read: (buf, offset) => ({
    family: buf[offset]!,
    deviceType: readU16(buf, offset + 2),
    index: readS32(buf, offset + 4),
    flags: readU32(buf, offset + 8),
    change: readU32(buf, offset + 12),
  }),
  write(value, out, offset) {
    checkUint(value.family, 0xff, 'ifi_family');
    checkUint(value.deviceType, 0xffff, 'ifi_type');
    checkInt32(value.index, 'ifi_index');
    checkUint(value.flags, 0xffffffff, 'ifi_flags');
    checkUint(value.change, 0xffffffff, 'ifi_change');
    out[offset] = value.family;
    out[offset + 1] = 0;
    writeU16(out, value.deviceType, offset + 2);
    writeS32(out, value.index, offset + 4);
    writeU32(out, value.flags, offset + 8);
    writeU32(out, value.change, offset + 12);
  },
  table: () => linkAttributes,
});

export const decode = codec.decode;
export const encode = codec.encode;
export const encodingLength = codec.encodingLength;
