// A decoded UPDATE -> the routes it announces and the keys it withdraws, as
// the RIBs take them (src/control/route.ts).
//
// Families: L2VPN EVPN and IPv4/IPv6 unicast in MP_REACH/MP_UNREACH_NLRI
// (RFC 4760), and IPv4 unicast in the UPDATE's own NLRI / Withdrawn Routes
// fields with NEXT_HOP (RFC 4271 §4.3). Any other family is counted in
// `ignored` and otherwise left alone.
//
// RFC 7606, after the wire layer has done its part (bgp-update.ts action()):
//   treat-as-withdraw  every NLRI of the UPDATE (announced or withdrawn, in
//                      any field) becomes a withdrawal (RFC 7606 §2);
//   attribute-discard  the attribute is already gone; the routes are used;
//   session-reset      never reaches here: the wire layer throws.
// RFC 7432 §7: an EVPN route type we do not know is ignored, announced or
// withdrawn (the wire layer keeps it as 'unknown').
//
// RFC 6793 §4.1/§4.2.3: from a 4-octet peer AS4_PATH and AS4_AGGREGATOR are
// discarded; from a 2-octet peer they are merged into AS_PATH and AGGREGATOR
// and then dropped, so every route in the RIBs carries its real path.
//
// All routes of one UPDATE share one attributes array (they arrived with the
// same attributes): the RIBs and the export side rely on that identity to
// group and cache, and nobody mutates it. Opaque fields of decoded values
// (unknown attributes, non-zero ESIs) are views of the received message:
// the transport must hand over a buffer it will not reuse (node's sockets
// do). The all-zero ESI of single-homed routes (nearly all of them) is
// replaced by one shared value, so 100,000 routes do not keep 100,000
// Buffer views (and every received message) alive; an RD or label list
// equal to the previous NLRI's is shared with it (a speaker packs one
// VNI's routes together). readUpdate takes over the decoded UPDATE: its
// values end up in the routes, and must be treated as immutable.

import { AS_TRANS } from '../wire/attr-as-path.js';
import type { BgpUpdate } from '../wire/bgp-update.js';
import { action, isEndOfRib } from '../wire/bgp-update.js';
import type { Esi } from '../wire/esi.js';
import { isZeroEsi } from '../wire/esi.js';
import type { EvpnNlri, EvpnRoute } from '../wire/evpn-nlri.js';
import { evpnRouteKey } from '../wire/evpn-nlri.js';
import type { IpPrefixNlri } from '../wire/ip-prefix-nlri.js';
import type { PathAttribute } from '../wire/path-attribute.js';
import type { RouteDistinguisher } from '../wire/route-distinguisher.js';
import type { ErrorAction, WireError } from '../wire/wire-error.js';
import { familyOf } from './afi-safi-family.js';
import { mergeAs4Path } from './as-path-rules.js';
import type { Family, PeerRef, Route, RouteNlri } from './route.js';

export interface WithdrawnRoute {
  family: Family;
  key: string;
  pathId?: number;
}

export interface ReadUpdateResult {
  announced: Route[];
  withdrawn: WithdrawnRoute[];
  /** RFC 4724 §2: the UPDATE is the End-of-RIB marker of this family. */
  endOfRib: Family | null;
  /** The UPDATE's RFC 7606 problems (treat-as-withdraw / attribute-discard), for logging. */
  problems: WireError[];
  /** The RFC 7606 approach applied: 'treat-as-withdraw', 'attribute-discard' or null. */
  action: ErrorAction | null;
  /** NLRI left alone: unknown EVPN route types (RFC 7432 §7), families not handled or not wanted. */
  ignored: number;
}

export interface ReadUpdateOptions {
  /** RFC 6793: the session negotiated 4-octet AS numbers (default true, as with FRR and GoBGP). */
  as4?: boolean;
  /** Families negotiated with the peer; NLRI of others are ignored (RFC 4760 §6). Default: all handled. */
  families?: ReadonlySet<Family>;
}

/** The single-homed ESI every route shares (RFC 7432 §5). Never mutate it. */
export const ZERO_ESI: Esi = Object.freeze({ type: 0, value: Buffer.alloc(9) }) as Esi;

/** RIB key of a unicast prefix: "10.1.0.0/16" (the prefix text is already masked by the codec). */
export function prefixKey(p: IpPrefixNlri): string {
  return `${p.prefix}/${p.length}`;
}

/** RIB key of an NLRI of any handled family. */
export function nlriKey(n: RouteNlri): string {
  return n.family === 'l2vpn-evpn' ? evpnRouteKey(n.nlri.route) : prefixKey(n.nlri);
}

/**
 * RFC 6793: a 4-octet peer's AS4_* attributes are discarded (§4.1); a
 * 2-octet peer's are merged into AS_PATH / AGGREGATOR (§4.2.3) and dropped.
 * Returns the same array when there is nothing to do.
 */
function realPath(attributes: PathAttribute[], as4: boolean): PathAttribute[] {
  if (!attributes.some((a) => a.type === 'as4-path' || a.type === 'as4-aggregator')) return attributes;
  if (as4) return attributes.filter((a) => a.type !== 'as4-path' && a.type !== 'as4-aggregator');
  const four = attributes.find((a) => a.type === 'as4-path');
  const fourAgg = attributes.find((a) => a.type === 'as4-aggregator');
  const agg = attributes.find((a) => a.type === 'aggregator');
  const out: PathAttribute[] = [];
  for (const a of attributes) {
    if (a.type === 'as4-path' || a.type === 'as4-aggregator') continue;
    if (a.type === 'as-path' && four !== undefined && four.type === 'as4-path') {
      // RFC 6793 §4.2.3: with an AGGREGATOR that is not AS_TRANS, the
      // AS4_PATH was added by a 2-octet aggregator and is ignored.
      const aggIgnores = agg !== undefined && agg.type === 'aggregator' && agg.value.asn !== AS_TRANS;
      out.push(aggIgnores ? a : { ...a, value: mergeAs4Path(a.value, four.value) });
    } else if (a.type === 'aggregator' && a.value.asn === AS_TRANS && fourAgg !== undefined && fourAgg.type === 'as4-aggregator') {
      out.push({ ...a, value: fourAgg.value });
    } else {
      out.push(a);
    }
  }
  return out;
}

function sameRd(a: RouteDistinguisher, b: RouteDistinguisher): boolean {
  if (a.type === 1) return b.type === 1 && a.ip === b.ip && a.assigned === b.assigned;
  if (a.type === 0 || a.type === 2) return b.type === a.type && a.asn === b.asn && a.assigned === b.assigned;
  return false;
}

/** Share values equal to the previous route's (see the header); returns `r` for the next call. */
function share(r: EvpnRoute, previous: EvpnRoute | null): EvpnRoute {
  if (r.type === 'unknown') return r;
  if ((r.type === 2 || r.type === 1) && r.esi !== ZERO_ESI && isZeroEsi(r.esi)) r.esi = ZERO_ESI;
  if (previous === null || previous.type === 'unknown') return r;
  if (r.rd !== previous.rd && sameRd(r.rd, previous.rd)) r.rd = previous.rd;
  if (r.type === 2 && previous.type === 2 && r.labels !== previous.labels) {
    const a = r.labels;
    const b = previous.labels;
    if (a.length === b.length && a[0] === b[0] && a[1] === b[1]) r.labels = b;
  }
  return r;
}

function withPathId<T extends { family: Family; key: string }>(w: T, pathId: number | undefined): T & { pathId?: number } {
  if (pathId !== undefined) (w as T & { pathId?: number }).pathId = pathId;
  return w;
}

export function readUpdate(update: BgpUpdate, peer: PeerRef | null, now: number, options: ReadUpdateOptions = {}): ReadUpdateResult {
  const as4 = options.as4 ?? true;
  const wanted = options.families;
  const act = action(update);
  const asWithdraw = act === 'treat-as-withdraw';
  const result: ReadUpdateResult = {
    announced: [],
    withdrawn: [],
    endOfRib: null,
    problems: update.problems,
    action: act === 'treat-as-withdraw' || act === 'attribute-discard' ? act : null,
    ignored: 0,
  };
  if (act === 'session-reset' || act === 'afi-safi-disable') {
    // bgp-update.ts throws these instead of recording them: a value that
    // holds one was built by hand, a programming error.
    throw new TypeError(`UPDATE with a ${act} problem reached the RIB (the wire layer throws those)`);
  }
  const eor = isEndOfRib(update);
  if (eor !== null) {
    result.endOfRib = familyOf(eor.afi, eor.safi) ?? null;
    return result;
  }
  const accepts = (f: Family): boolean => wanted === undefined || wanted.has(f);

  // Attributes shared by every route announced here.
  const kept: PathAttribute[] = [];
  let nextHopV4: string | null = null;
  for (const a of update.attributes) {
    if (a.type === 'mp-reach-nlri' || a.type === 'mp-unreach-nlri') continue;
    if (a.type === 'next-hop') nextHopV4 = a.value;
    else kept.push(a);
  }
  const shared = realPath(kept, as4);

  const withdrawEvpn = (list: readonly EvpnNlri[]): void => {
    if (!accepts('l2vpn-evpn')) {
      result.ignored += list.length;
      return;
    }
    for (const n of list) {
      // RFC 7432 §7: unknown route types are ignored.
      if (n.route.type === 'unknown') result.ignored++;
      else result.withdrawn.push(withPathId({ family: 'l2vpn-evpn', key: evpnRouteKey(n.route) }, n.pathId));
    }
  };
  const withdrawPrefixes = (family: Family, list: readonly IpPrefixNlri[]): void => {
    if (!accepts(family)) {
      result.ignored += list.length;
      return;
    }
    for (const p of list) result.withdrawn.push(withPathId({ family, key: prefixKey(p) }, p.pathId));
  };
  const announce = (nlri: RouteNlri, key: string, nextHop: string, pathId: number | undefined): void => {
    const route: Route = { family: nlri.family, key, nlri, nextHop, attributes: shared, peer, stale: false, since: now };
    if (pathId !== undefined) route.pathId = pathId;
    result.announced.push(route);
  };

  // Withdrawals first: an UPDATE may withdraw and announce, and the
  // announcement is the newer state of a key present in both (RFC 4271 §3.1).
  withdrawPrefixes('ipv4-unicast', update.withdrawn);
  for (const a of update.attributes) {
    if (a.type !== 'mp-unreach-nlri') continue;
    const v = a.value;
    if (v.kind === 'evpn') withdrawEvpn(v.withdrawn);
    else if (v.kind === 'ip-prefix') withdrawPrefixes(v.afi === 1 ? 'ipv4-unicast' : 'ipv6-unicast', v.withdrawn);
    else result.ignored++;
  }

  for (const a of update.attributes) {
    if (a.type !== 'mp-reach-nlri') continue;
    const v = a.value;
    if (v.kind === 'evpn') {
      if (asWithdraw) {
        withdrawEvpn(v.nlri);
        continue;
      }
      if (!accepts('l2vpn-evpn')) {
        result.ignored += v.nlri.length;
        continue;
      }
      let previous: EvpnRoute | null = null;
      for (const n of v.nlri) {
        if (n.route.type === 'unknown') {
          result.ignored++;
          continue;
        }
        previous = share(n.route, previous);
        announce({ family: 'l2vpn-evpn', nlri: n }, evpnRouteKey(n.route), v.nextHop, n.pathId);
      }
    } else if (v.kind === 'ip-prefix') {
      const family: Family = v.afi === 1 ? 'ipv4-unicast' : 'ipv6-unicast';
      if (asWithdraw) {
        withdrawPrefixes(family, v.nlri);
        continue;
      }
      if (!accepts(family)) {
        result.ignored += v.nlri.length;
        continue;
      }
      for (const p of v.nlri) announce({ family, nlri: p }, prefixKey(p), v.nextHop, p.pathId);
    } else {
      result.ignored++;
    }
  }

  if (update.nlri.length > 0) {
    if (asWithdraw) {
      withdrawPrefixes('ipv4-unicast', update.nlri);
    } else if (!accepts('ipv4-unicast')) {
      result.ignored += update.nlri.length;
    } else {
      // The wire layer reports a missing NEXT_HOP as treat-as-withdraw (RFC 7606 §3 d).
      const nh: string = nextHopV4 ?? '0.0.0.0';
      for (const p of update.nlri) announce({ family: 'ipv4-unicast', nlri: p }, prefixKey(p), nh, p.pathId);
    }
  }
  return result;
}
