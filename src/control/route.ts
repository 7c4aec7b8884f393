// A route as the control plane holds it: one NLRI with the attributes it
// was announced with, where it came from, and its RIB key. Adj-RIB-In,
// Loc-RIB, Adj-RIB-Out and the EVPN instances all pass these around.

import type { EvpnNlri } from '../wire/evpn-nlri.js';
import type { IpPrefixNlri } from '../wire/ip-prefix-nlri.js';
import type { PathAttribute } from '../wire/path-attribute.js';

/** gobgp's family names. */
export type Family = 'l2vpn-evpn' | 'ipv4-unicast' | 'ipv6-unicast';

/** The peer a route was learned from (null in Route.peer = originated here). */
export interface PeerRef {
  /** Neighbor address as configured: the peer's identity. */
  address: string;
  /** Peer AS (4-octet). */
  asn: number;
  /** The peer's BGP Identifier from its OPEN. */
  routerId: string;
  /** iBGP (same AS) or eBGP. */
  ibgp: boolean;
  /** We reflect to this peer as its route reflector (RFC 4456); vxswitch is normally a client, not a reflector. */
  rrClient: boolean;
}

export type RouteNlri =
  | { family: 'l2vpn-evpn'; nlri: EvpnNlri }
  | { family: 'ipv4-unicast' | 'ipv6-unicast'; nlri: IpPrefixNlri };

export interface Route {
  family: Family;
  /**
   * RIB key, unique per family: for EVPN evpnRouteKey() (RD + route type +
   * Ethernet Tag + MAC + IP for Type 2, never ESI or labels), for unicast
   * "prefix/len"; with add-path the path id is part of the Adj-RIB-In key only.
   */
  key: string;
  /** RFC 7911 path identifier, when add-path is negotiated for the family (part of the Adj-RIB-In key). */
  pathId?: number;
  nlri: RouteNlri;
  /** Next hop: the VTEP address for EVPN (MP_REACH next hop), NEXT_HOP for IPv4. */
  nextHop: string;
  /** Every attribute except MP_REACH_NLRI, MP_UNREACH_NLRI and NEXT_HOP (carried in nextHop). */
  attributes: PathAttribute[];
  /** null: originated by this speaker. */
  peer: PeerRef | null;
  /** Graceful restart (RFC 4724): kept while the peer restarts, purged after its End-of-RIB or the timer. */
  stale: boolean;
  /** When it was received or originated (ms, monotonic), for "Age" columns. */
  since: number;
}
