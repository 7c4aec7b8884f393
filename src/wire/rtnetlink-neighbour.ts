// rtnetlink neighbour messages (RTM_NEWNEIGH, RTM_DELNEIGH, RTM_GETNEIGH):
// struct ndmsg and its NDA_* attributes (rtnetlink(7) "RTM_NEWNEIGH";
// include/uapi/linux/neighbour.h):
//
//   | family | pad | pad (u16)       | ifindex (s32)                  |
//   | state (u16, NUD_*) | flags (NTF_*) | type |  attributes ...     |
//
// The body of the message after its nlmsghdr (rtnetlink-body.ts). The pad
// bytes are written as zero and not checked.
// The same message carries bridge FDB entries (family AF_BRIDGE), whose
// NDA_DST is a VXLAN remote: its attributes decode the same way.

import { checkInt32, checkUint } from './field-range.js';
import { readS32, readU16, writeS32, writeU16 } from './host-order.js';
import {
  AttributeTable,
  ipAddressValue,
  linkAddressValue,
  u32Value,
  type OtherAttribute,
} from './rtnetlink-attribute.js';
import { bodyCodec } from './rtnetlink-body.js';

export const NEIGHBOUR_HEADER_LENGTH = 12;

/** ndm_state: the NUD_* state bits (include/uapi/linux/neighbour.h). */
export const NudState = {
  None: 0x00,
  /** Resolution under way: no link-layer address yet. */
  Incomplete: 0x01,
  Reachable: 0x02,
  /** Not confirmed lately; still used (and re-confirmed on use). */
  Stale: 0x04,
  Delay: 0x08,
  Probe: 0x10,
  /** Resolution failed. */
  Failed: 0x20,
  /** No resolution needed (point-to-point, multicast). */
  Noarp: 0x40,
  /** Set by hand; never expires. */
  Permanent: 0x80,
} as const;

/** The kernel's NUD_VALID (include/net/neighbour.h): the states in which the entry has a usable address. */
export const NUD_VALID =
  NudState.Permanent | NudState.Noarp | NudState.Reachable | NudState.Probe | NudState.Stale | NudState.Delay;

/** ndm_flags (NTF_*). */
export const NeighbourFlag = {
  /** RTM_NEWNEIGH: "use" the entry, i.e. start resolving it as a packet would (neigh_event_send). */
  Use: 0x01,
  Self: 0x02,
  Master: 0x04,
  Proxy: 0x08,
  ExtLearned: 0x10,
  Offloaded: 0x20,
  Sticky: 0x40,
  Router: 0x80,
} as const;

/** The NDA_* attribute types this codec interprets (the rest stay bytes). */
export const NeighbourAttributeType = {
  Dst: 1,
  Lladdr: 2,
  Probes: 4,
  Vni: 7,
  Ifindex: 8,
  Master: 9,
} as const;

export type NeighbourAttribute =
  | { kind: 'dst'; value: string }
  /** The link-layer address ("02:00:00:00:00:01"). */
  | { kind: 'lladdr'; value: string }
  | { kind: 'probes' | 'vni' | 'ifindex' | 'master'; value: number }
  | OtherAttribute;

export interface NeighbourMessage {
  family: number;
  ifindex: number;
  /** NUD_* bits (NudState). */
  state: number;
  /** NTF_* bits (NeighbourFlag). */
  flags: number;
  /** RTN_* type of the address (1 unicast...). */
  type: number;
  attributes: NeighbourAttribute[];
}

const N = NeighbourAttributeType;
const neighbourAttributes = new AttributeTable<NeighbourAttribute>('neighbour attribute', [
  [N.Dst, 'dst', ipAddressValue],
  [N.Lladdr, 'lladdr', linkAddressValue],
  [N.Probes, 'probes', u32Value],
  [N.Vni, 'vni', u32Value],
  [N.Ifindex, 'ifindex', u32Value],
  [N.Master, 'master', u32Value],
]);

const codec = bodyCodec<NeighbourMessage, NeighbourAttribute>({
  what: 'ndmsg',
  length: NEIGHBOUR_HEADER_LENGTH,
  read: (buf, offset) => ({
    family: buf[offset]!,
    ifindex: readS32(buf, offset + 4),
    state: readU16(buf, offset + 8),
    flags: buf[offset + 10]!,
    type: buf[offset + 11]!,
  }),
  write(value, out, offset) {
    checkUint(value.family, 0xff, 'ndm_family');
    checkInt32(value.ifindex, 'ndm_ifindex');
    checkUint(value.state, 0xffff, 'ndm_state');
    checkUint(value.flags, 0xff, 'ndm_flags');
    checkUint(value.type, 0xff, 'ndm_type');
    out[offset] = value.family;
    out.fill(0, offset + 1, offset + 4);
    writeS32(out, value.ifindex, offset + 4);
    writeU16(out, value.state, offset + 8);
    out[offset + 10] = value.flags;
    out[offset + 11] = value.type;
  },
  table: () => neighbourAttributes,
});

export const decode = codec.decode;
export const encode = codec.encode;
export const encodingLength = codec.encodingLength;
