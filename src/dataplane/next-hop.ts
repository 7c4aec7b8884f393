// A remote VTEP's next hop, as the dataplane needs it to write a VXLAN
// datagram's outer Ethernet + IP + UDP headers itself: the egress interface
// and its MAC, the next hop's MAC, the source address and the MTU. Put
// together from three kernel tables (next-hop-resolver.ts keeps them):
//
//   route      RTM_GETROUTE for the VTEP's address: the kernel's own lookup
//              (policy rules, longest prefix, metrics, nexthop objects), so
//              vxswitch never reimplements it. The answer is the resolved
//              path: egress ifindex, gateway (absent when the VTEP is on-link),
//              preferred source, a route MTU if one is set.
//   link       the egress interface: name, MAC (Ethernet only), MTU.
//   neighbour  the next hop's (gateway's, or the VTEP's own) link-layer
//              address on that interface.
//
// Everything here is pure; the resolver calls it when any of the three
// changes and compares the result with what it said before.

import { NUD_VALID } from '../wire/rtnetlink-neighbour.js';
import { attributeValue } from '../wire/rtnetlink-attribute.js';
import { NexthopFlag, RouteMetric, RouteType, type RouteAttribute, type RouteMessage } from '../wire/rtnetlink-route.js';
import { readU32 } from '../wire/host-order.js';

export type NextHopState = 'resolved' | 'unresolved' | 'unreachable';

export interface NextHop {
  /** The remote VTEP. */
  readonly address: string;
  /**
   * resolved: everything needed to build the outer headers is known.
   * unresolved: the kernel can reach the VTEP but something is missing (the
   *   next hop's MAC is not resolved yet, the egress device is not Ethernet,
   *   the route is not a unicast one, the kernel has not answered yet): send
   *   through the kernel's IP stack, which also resolves the neighbour.
   * unreachable: the kernel has no route (or an unreachable, blackhole or
   *   prohibit one): the kernel would drop it too.
   */
  readonly state: NextHopState;
  /** Egress interface (0 when unreachable or not answered yet). */
  readonly ifindex: number;
  readonly ifname: string;
  /** The next hop when routed; absent when the VTEP is on-link. */
  readonly gateway?: string;
  /** The route's preferred source address. */
  readonly source?: string;
  /** The egress interface's MAC. */
  readonly srcMac?: string;
  /** The next hop's MAC (resolved only). */
  readonly dstMac?: string;
  /** The route's MTU if it has one, else the egress interface's. */
  readonly mtu?: number;
}

/** The kernel's answer to RTM_GETROUTE for one address, reduced to what a next hop needs. */
export type RouteAnswer =
  | { readonly reachable: false }
  | {
      readonly reachable: true;
      /** RTN_* type: only unicast routes are sent through AF_PACKET. */
      readonly type: number;
      readonly ifindex: number;
      readonly gateway?: string;
      readonly source?: string;
      readonly mtu?: number;
    };

/** What the link table knows of an interface. */
export interface LinkInfo {
  readonly name: string;
  /** Its MAC, for Ethernet devices only. */
  readonly mac?: string;
  readonly mtu?: number;
}

/** What the neighbour table knows of an address on an interface. */
export interface NeighbourInfo {
  /** NUD_* bits. */
  readonly state: number;
  readonly lladdr?: string;
}

const UNREACHABLE_TYPES = new Set<number>([RouteType.Unreachable, RouteType.Blackhole, RouteType.Prohibit, RouteType.Throw]);
const DEAD_PATH = NexthopFlag.Dead | NexthopFlag.Linkdown;
const ETHERNET_MAC_TEXT_LENGTH = 17;

/**
 * The answer the kernel gave. The answer to a plain RTM_GETROUTE is one
 * resolved path: with a multipath route the kernel has already picked the
 * path its own multipath hash picks for this destination (with no source
 * address and no ports, as `ip route get <vtep>` shows it: the same path on
 * every ask while the route is unchanged, so every flow to one VTEP leaves
 * on that one path). Should an answer ever carry RTA_MULTIPATH instead, the
 * first path that is neither dead nor link-down is taken (the kernel lists
 * them in configuration order), else the first.
 */
export function routeAnswer(route: RouteMessage): RouteAnswer {
  if (UNREACHABLE_TYPES.has(route.type)) return { reachable: false };
  let attributes: readonly RouteAttribute[] = route.attributes;
  let ifindex = attributeValue(attributes, 'oif');
  const paths = attributeValue(attributes, 'multipath');
  if (ifindex === undefined && paths !== undefined && paths.length > 0) {
    const path = paths.find((p) => (p.flags & DEAD_PATH) === 0) ?? paths[0]!;
    ifindex = path.ifindex;
    attributes = [...path.attributes, ...attributes];
  }
  if (ifindex === undefined || ifindex <= 0) return { reachable: false };
  const gateway = attributeValue(attributes, 'gateway') ?? attributeValue(attributes, 'via')?.address;
  const source = attributeValue(attributes, 'prefsrc');
  const mtu = routeMtu(attributeValue(attributes, 'metrics'));
  return {
    reachable: true,
    type: route.type,
    ifindex,
    ...(gateway !== undefined && { gateway }),
    ...(source !== undefined && { source }),
    ...(mtu !== undefined && { mtu }),
  };
}

function routeMtu(metrics: ReadonlyArray<{ type: number; value: Buffer }> | undefined): number | undefined {
  const m = metrics?.find((x) => x.type === RouteMetric.Mtu && x.value.length === 4);
  const mtu = m ? readU32(m.value, 0) : 0;
  return mtu > 0 ? mtu : undefined;
}

/** The address whose link-layer address the frame goes to: the gateway, or the VTEP itself. */
export function nextHopAddress(address: string, answer: RouteAnswer): string | undefined {
  return answer.reachable ? (answer.gateway ?? address) : undefined;
}

/** True when a neighbour entry gives a usable Ethernet address (the kernel's NUD_VALID states). */
export function isResolved(n: NeighbourInfo | undefined): boolean {
  return n !== undefined && (n.state & NUD_VALID) !== 0 && n.lladdr?.length === ETHERNET_MAC_TEXT_LENGTH;
}

/**
 * The NextHop for `address` from what is known: the route answer
 * (undefined: not answered yet), the egress link and the next hop's
 * neighbour entry.
 */
export function composeNextHop(
  address: string,
  answer: RouteAnswer | undefined,
  link: LinkInfo | undefined,
  neighbour: NeighbourInfo | undefined,
): NextHop {
  if (answer === undefined) return { address, state: 'unresolved', ifindex: 0, ifname: '' };
  if (!answer.reachable) return { address, state: 'unreachable', ifindex: 0, ifname: '' };
  const dstMac = isResolved(neighbour) ? neighbour!.lladdr : undefined;
  const srcMac = link?.mac;
  const mtu = answer.mtu ?? link?.mtu;
  const resolved = answer.type === RouteType.Unicast && srcMac !== undefined && dstMac !== undefined;
  return {
    address,
    state: resolved ? 'resolved' : 'unresolved',
    ifindex: answer.ifindex,
    ifname: link?.name ?? '',
    ...(answer.gateway !== undefined && { gateway: answer.gateway }),
    ...(answer.source !== undefined && { source: answer.source }),
    ...(srcMac !== undefined && { srcMac }),
    ...(resolved && { dstMac }),
    ...(mtu !== undefined && { mtu }),
  };
}

/** Field-by-field equality (a 'change' is emitted only when this is false). */
export function sameNextHop(a: NextHop, b: NextHop): boolean {
  return (
    a.address === b.address &&
    a.state === b.state &&
    a.ifindex === b.ifindex &&
    a.ifname === b.ifname &&
    a.gateway === b.gateway &&
    a.source === b.source &&
    a.srcMac === b.srcMac &&
    a.dstMac === b.dstMac &&
    a.mtu === b.mtu
  );
}
