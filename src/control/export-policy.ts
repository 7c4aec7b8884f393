// What one peer is sent of a Loc-RIB best path, or null when it is not sent.
//
// Who gets what (RFC 4271 §9.2, RFC 4456 §6):
//   - never back to the peer the path came from;
//   - a path learned over iBGP is not sent to an iBGP peer, unless we are a
//     route reflector (a cluster id is configured): a client's paths are
//     reflected to every iBGP peer, a non-client's only to clients;
//   - paths we originate and paths learned over eBGP go to everyone.
// vxswitch is normally a route-reflector client that advertises only its
// own routes; reflection exists so a small fabric needs no other reflector.
//
// How attributes change:
//   eBGP  AS_PATH: confederation segments dropped (RFC 5065 §5.3), our AS
//         prepended (RFC 4271 §5.1.2); LOCAL_PREF removed (§5.1.5); a MED
//         received from another AS removed (§5.1.4); ORIGINATOR_ID and
//         CLUSTER_LIST removed (RFC 4456 §8: they stay inside the AS);
//         non-transitive extended communities removed (RFC 4360 §2).
//   iBGP  AS_PATH unchanged (empty for our own routes); LOCAL_PREF set to
//         the path's degree of preference (100 unless an iBGP peer set it).
//   reflected (RFC 4456 §8): ORIGINATOR_ID = the originator's BGP
//         Identifier unless present; our CLUSTER_ID prepended to CLUSTER_LIST.
//   2-octet peer (RFC 6793 §4.2.2): ASNs above 65535 become AS_TRANS and
//         AS4_PATH / AS4_AGGREGATOR carry the real ones.
//   An unknown optional transitive attribute is passed on with the Partial
//   bit (RFC 4271 §5); an unknown non-transitive one is not.
// Next hop: our routes keep theirs (the VTEP address). A received EVPN
// route keeps its next hop on eBGP too: it is the VTEP that owns the MAC,
// and rewriting it breaks VXLAN (EVPN-NOTES: GoBGP's rewrite). A received
// unicast route gets our address on eBGP (next-hop-self), keeps its own on
// iBGP (RFC 4271 §5.1.3).
//
// Attributes are ordered by type code (RFC 4271 §5 SHOULD); the builder
// puts MP_REACH_NLRI first (RFC 7606 §5.1 SHOULD). Routes that share an
// attributes array share the exported array too (cached per array), which
// is what lets update-builder.ts pack them into the same UPDATEs cheaply.

import { AS_TRANS } from '../wire/attr-as-path.js';
import type { PathAttribute } from '../wire/path-attribute.js';
import { attributeTypeCode, isOptionalTransitive, withPartial } from '../wire/path-attribute.js';
import { isTransitive } from '../wire/extended-community.js';
import { asPathOf, prependAs, toTwoOctet, withoutConfederation } from './as-path-rules.js';
import { localPrefOf } from './best-path.js';
import type { PeerRef, Route } from './route.js';
import { withAttributes } from './packed-route.js';

/** This speaker, as the export rules need it. */
export interface LocalSpeaker {
  asn: number;
  routerId: string;
  /** Our CLUSTER_ID when we reflect routes (RFC 4456); absent: not a route reflector. */
  clusterId?: string;
  /** next-hop-self address for received IPv4 unicast routes sent over eBGP. */
  nextHopIpv4?: string;
  /** next-hop-self address for received IPv6 unicast routes sent over eBGP. */
  nextHopIpv6?: string;
}

function byTypeCode(a: PathAttribute, b: PathAttribute): number {
  return attributeTypeCode(a) - attributeTypeCode(b);
}

export class ExportPolicy {
  readonly self: LocalSpeaker;
  readonly target: PeerRef;
  /** RFC 6793: the target negotiated 4-octet AS numbers. */
  readonly as4: boolean;
  private readonly cache = new WeakMap<readonly PathAttribute[], { source: PeerRef | null; out: PathAttribute[] }>();

  constructor(self: LocalSpeaker, target: PeerRef, as4: boolean) {
    this.self = self;
    this.target = target;
    this.as4 = as4;
  }

  /** The route as this peer is sent it, or null when it must not be sent. */
  apply(route: Route): Route | null {
    const src = route.peer;
    const tgt = this.target;
    if (src !== null && src.address === tgt.address) return null;
    let reflect = false;
    if (src !== null && src.ibgp && tgt.ibgp) {
      // RFC 4271 §9.2: iBGP-learned routes are not sent to iBGP peers...
      if (this.self.clusterId === undefined) return null;
      // ...unless reflected, RFC 4456 §6: non-client routes go to clients only.
      if (!src.rrClient && !tgt.rrClient) return null;
      reflect = true;
    }
    const attributes = this.attributes(route, reflect);
    let nextHop = route.nextHop;
    if (src !== null && !tgt.ibgp && route.family !== 'l2vpn-evpn') {
      const self = route.family === 'ipv4-unicast' ? this.self.nextHopIpv4 : this.self.nextHopIpv6;
      if (self !== undefined) nextHop = self;
    }
    if (attributes === route.attributes && nextHop === route.nextHop) return route;
    return withAttributes(route, attributes, nextHop);
  }

  private attributes(route: Route, reflect: boolean): PathAttribute[] {
    const hit = this.cache.get(route.attributes);
    if (hit !== undefined && hit.source === route.peer) return hit.out;
    const out = this.transform(route, reflect);
    this.cache.set(route.attributes, { source: route.peer, out });
    return out;
  }

  private transform(route: Route, reflect: boolean): PathAttribute[] {
    const src = route.peer;
    const ebgp = !this.target.ibgp;
    const out: PathAttribute[] = [];
    let originatorId: string | undefined;
    let clusters: string[] = [];
    for (const a of route.attributes) {
      switch (a.type) {
        case 'as-path':
        case 'as4-path':
        case 'as4-aggregator':
        case 'local-pref':
        case 'next-hop':
        case 'mp-reach-nlri':
        case 'mp-unreach-nlri':
          break;
        case 'originator-id':
          originatorId = a.value;
          break;
        case 'cluster-list':
          clusters = a.value;
          break;
        case 'multi-exit-disc':
          // RFC 4271 §5.1.4: a MED received from a neighboring AS is not
          // propagated to other neighboring ASes.
          if (!(ebgp && src !== null && !src.ibgp)) out.push(a);
          break;
        case 'extended-communities':
          if (ebgp && a.value.some((ec) => !isTransitive(ec))) {
            const kept = a.value.filter(isTransitive);
            if (kept.length > 0) out.push({ type: 'extended-communities', value: kept });
          } else {
            out.push(a);
          }
          break;
        case 'aggregator':
          if (!this.as4 && a.value.asn > 0xffff) {
            out.push({ type: 'aggregator', value: { asn: AS_TRANS, address: a.value.address } });
            out.push({ type: 'as4-aggregator', value: a.value });
          } else {
            out.push(a);
          }
          break;
        case 'unknown':
          if (src === null) out.push(a);
          else if (isOptionalTransitive(a)) out.push(withPartial(a));
          break;
        default:
          out.push(a);
      }
    }
    let path = asPathOf(route.attributes);
    if (ebgp) path = prependAs(withoutConfederation(path), this.self.asn);
    if (this.as4) {
      out.push({ type: 'as-path', value: [...path] });
    } else {
      const two = toTwoOctet(path);
      out.push({ type: 'as-path', value: two.asPath });
      if (two.as4Path !== null) out.push({ type: 'as4-path', value: two.as4Path });
    }
    if (!ebgp) out.push({ type: 'local-pref', value: localPrefOf(route) });
    if (reflect && src !== null) {
      out.push({ type: 'originator-id', value: originatorId ?? src.routerId });
      out.push({ type: 'cluster-list', value: [this.self.clusterId!, ...clusters] });
    }
    return out.sort(byTypeCode);
  }
}
