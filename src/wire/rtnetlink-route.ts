// rtnetlink route messages (RTM_NEWROUTE, RTM_DELROUTE, RTM_GETROUTE):
// struct rtmsg and its RTA_* attributes (rtnetlink(7); RFC 3549 §3.1.1;
// include/uapi/linux/rtnetlink.h):
//
//   | family | dst_len | src_len | tos | table | protocol | scope | type |
//   |                        flags (u32)                              |
//   | attributes (rtnetlink-attribute.ts) ...
//
// The body of the message after its nlmsghdr (rtnetlink-body.ts).
// Attributes are interpreted for IPv4 and IPv6 routes only: other
// families (MPLS: RTA_DST is a label stack) keep them as bytes.
//
// RTA_MULTIPATH holds one struct rtnexthop per path, each followed by its
// own attributes (RTA_GATEWAY, RTA_VIA...) inside rtnh_len:
//
//   | rtnh_len (u16) | flags (u8) | hops (u8) | ifindex (s32) | attributes |

import { checkInt32, checkUint } from './field-range.js';
import { readS32, readU16, readU32, writeS32, writeU16, writeU32 } from './host-order.js';
import { formatIp, parseIp } from './ip-address.js';
import { align4 } from './netlink-header.js';
import {
  AttributeTable,
  ipAddressValue,
  rawAttributesValue,
  u8Value,
  u32Value,
  type OtherAttribute,
  type RawAttribute,
  type ValueCodec,
} from './rtnetlink-attribute.js';
import { bodyCodec } from './rtnetlink-body.js';
import { frameError } from './wire-error.js';

export const ROUTE_HEADER_LENGTH = 12;

/** Address families rtnetlink uses (include/linux/socket.h). */
export const AddressFamily = {
  Unspec: 0,
  Inet: 2,
  Bridge: 7,
  Inet6: 10,
  Packet: 17,
  Mpls: 28,
} as const;

/** rtm_type (RTN_*). */
export const RouteType = {
  Unspec: 0,
  Unicast: 1,
  /** The destination is one of this host's addresses. */
  Local: 2,
  Broadcast: 3,
  Anycast: 4,
  Multicast: 5,
  Blackhole: 6,
  Unreachable: 7,
  Prohibit: 8,
  Throw: 9,
  Nat: 10,
  Xresolve: 11,
} as const;

/** rtm_table values below 256 (larger table ids travel in RTA_TABLE). */
export const RouteTable = { Unspec: 0, Default: 253, Main: 254, Local: 255 } as const;

/** rtm_flags (RTM_F_*). */
export const RouteFlag = {
  Notify: 0x100,
  /** A cached clone (a route-get answer, a PMTU exception). */
  Cloned: 0x200,
  Equalize: 0x400,
  Prefix: 0x800,
  LookupTable: 0x1000,
  /** Route get: answer with the matching FIB entry instead of the resolved route. */
  FibMatch: 0x2000,
  Offload: 0x4000,
  Trap: 0x8000,
} as const;

/** rtnh_flags (RTNH_F_*). */
export const NexthopFlag = {
  Dead: 0x1,
  Pervasive: 0x2,
  Onlink: 0x4,
  Offload: 0x8,
  Linkdown: 0x10,
  Unresolved: 0x20,
  Trap: 0x40,
} as const;

/** The RTA_* attribute types this codec interprets (the rest stay bytes). */
export const RouteAttributeType = {
  Dst: 1,
  Src: 2,
  Iif: 3,
  Oif: 4,
  Gateway: 5,
  Priority: 6,
  Prefsrc: 7,
  Metrics: 8,
  Multipath: 9,
  Table: 15,
  Mark: 16,
  Via: 18,
  Pref: 20,
  Uid: 25,
  NhId: 30,
} as const;

/** RTAX_* types inside RTA_METRICS. */
export const RouteMetric = { Lock: 1, Mtu: 2, Advmss: 8, Hoplimit: 10 } as const;

/** RTA_VIA: a next hop of another family than the route (RFC 5549: IPv4 routes via IPv6). */
export interface RouteVia {
  family: number;
  address: string;
}

/** One path of an RTA_MULTIPATH route. */
export interface RouteNexthop {
  flags: number;
  /** rtnh_hops: the path's weight minus one. */
  hops: number;
  ifindex: number;
  attributes: RouteAttribute[];
}

export type RouteAttribute =
  | { kind: 'dst' | 'src' | 'gateway' | 'prefsrc'; value: string }
  | { kind: 'iif' | 'oif' | 'priority' | 'table' | 'mark' | 'uid' | 'nhid' | 'pref'; value: number }
  | { kind: 'via'; value: RouteVia }
  | { kind: 'multipath'; value: RouteNexthop[] }
  /** RTAX_* attributes (RouteMetric), kept as bytes: RTAX_CC_ALGO is text, the rest u32. */
  | { kind: 'metrics'; value: RawAttribute[] }
  | OtherAttribute;

export interface RouteMessage {
  family: number;
  /** Prefix lengths of RTA_DST / RTA_SRC. */
  dstLength: number;
  srcLength: number;
  tos: number;
  /** The table id when below 256 (RTA_TABLE has the full one). */
  table: number;
  /** RTPROT_*: who installed the route (2 kernel, 3 boot, 4 static, 186 bgp...). */
  protocol: number;
  scope: number;
  type: number;
  flags: number;
  attributes: RouteAttribute[];
}

const viaValue: ValueCodec<RouteVia> = {
  decode(value, at, what) {
    if (value.length < 2) throw frameError(`${what}: ${value.length} bytes, too short for a family`, at);
    const address = value.subarray(2);
    if (address.length !== 4 && address.length !== 16) return undefined;
    return { family: readU16(value, 0), address: formatIp(address) };
  },
  length: (v) => 2 + parseIp(v.address).length,
  encode(v, buf, offset) {
    checkUint(v.family, 0xffff, 'RTA_VIA family');
    writeU16(buf, v.family, offset);
    parseIp(v.address).copy(buf, offset + 2);
  },
};

const RTNEXTHOP_LENGTH = 8;

const multipathValue: ValueCodec<RouteNexthop[]> = {
  decode(value, at, what) {
    const out: RouteNexthop[] = [];
    let o = 0;
    while (o < value.length) {
      if (value.length - o < RTNEXTHOP_LENGTH) throw frameError(`${what}: ${value.length - o} stray bytes after the paths`, at + o);
      const length = readU16(value, o);
      if (length < RTNEXTHOP_LENGTH || o + length > value.length) {
        throw frameError(`${what}: rtnh_len ${length} does not fit the ${value.length - o} bytes left`, at + o);
      }
      out.push({
        flags: value[o + 2]!,
        hops: value[o + 3]!,
        ifindex: readS32(value, o + 4),
        attributes: routeAttributes.decode(value, o + RTNEXTHOP_LENGTH, o + length, at + o + RTNEXTHOP_LENGTH),
      });
      o = Math.min(value.length, o + align4(length));
    }
    return out;
  },
  length: (v) => v.reduce((n, nh) => n + RTNEXTHOP_LENGTH + routeAttributes.encodingLength(nh.attributes), 0),
  encode(v, buf, offset) {
    let o = offset;
    for (const nh of v) {
      checkUint(nh.flags, 0xff, 'rtnh_flags');
      checkUint(nh.hops, 0xff, 'rtnh_hops');
      checkInt32(nh.ifindex, 'rtnh_ifindex');
      const length = RTNEXTHOP_LENGTH + routeAttributes.encodingLength(nh.attributes);
      checkUint(length, 0xffff, 'rtnh_len');
      writeU16(buf, length, o);
      buf[o + 2] = nh.flags;
      buf[o + 3] = nh.hops;
      writeS32(buf, nh.ifindex, o + 4);
      routeAttributes.encode(nh.attributes, buf, o + RTNEXTHOP_LENGTH);
      o += length;
    }
  },
};

const T = RouteAttributeType;
const routeAttributes: AttributeTable<RouteAttribute> = new AttributeTable<RouteAttribute>('route attribute', [
  [T.Dst, 'dst', ipAddressValue],
  [T.Src, 'src', ipAddressValue],
  [T.Iif, 'iif', u32Value],
  [T.Oif, 'oif', u32Value],
  [T.Gateway, 'gateway', ipAddressValue],
  [T.Priority, 'priority', u32Value],
  [T.Prefsrc, 'prefsrc', ipAddressValue],
  [T.Metrics, 'metrics', rawAttributesValue],
  [T.Multipath, 'multipath', multipathValue],
  [T.Table, 'table', u32Value],
  [T.Mark, 'mark', u32Value],
  [T.Via, 'via', viaValue],
  [T.Pref, 'pref', u8Value],
  [T.Uid, 'uid', u32Value],
  [T.NhId, 'nhid', u32Value],
]);
const uninterpreted = new AttributeTable<RouteAttribute>('route attribute', []);

function tableFor(family: number): AttributeTable<RouteAttribute> {
  return family === AddressFamily.Inet || family === AddressFamily.Inet6 ? routeAttributes : uninterpreted;
}

const FIELDS = ['family', 'dstLength', 'srcLength', 'tos', 'table', 'protocol', 'scope', 'type'] as const;

const codec = bodyCodec<RouteMessage, RouteAttribute>({
  what: 'rtmsg',
  length: ROUTE_HEADER_LENGTH,
  read: (buf, offset) => ({
    family: buf[offset]!,
    dstLength: buf[offset + 1]!,
    srcLength: buf[offset + 2]!,
    tos: buf[offset + 3]!,
    table: buf[offset + 4]!,
    protocol: buf[offset + 5]!,
    scope: buf[offset + 6]!,
    type: buf[offset + 7]!,
    flags: readU32(buf, offset + 8),
  }),
  write(value, out, offset) {
    for (const f of FIELDS) checkUint(value[f], 0xff, `rtmsg ${f}`);
    checkUint(value.flags, 0xffffffff, 'rtm_flags');
    FIELDS.forEach((f, i) => (out[offset + i] = value[f]));
    writeU32(out, value.flags, offset + 8);
  },
  table: (fields) => tableFor(fields.family),
});

export const decode = codec.decode;
export const encode = codec.encode;
export const encodingLength = codec.encodingLength;
