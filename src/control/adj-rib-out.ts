// Adj-RIB-Out of one peer (RFC 4271 §3.2): what we advertised to it, as it
// was sent (after export-policy.ts), plus the changes not sent yet.
//
// Changes queue per key, so a key that changes several times between two
// flushes is sent once, in its last state, and a withdrawal of something
// never sent is not sent at all. flush() packs the queue into UPDATEs:
// withdrawals first (MP_UNREACH_NLRI with the NLRI exactly as announced,
// labels included, which FRR needs to find the route), then announcements
// grouped by identical attribute set + next hop, as many NLRI per message
// as fit. The result is a batch of encoded messages for one write.
//
// Initial table: every best path, then End-of-RIB per family (RFC 4724
// §2: sent even without graceful restart, as FRR does). ROUTE-REFRESH
// (RFC 2918): the whole Adj-RIB-Out of the family again; enhanced (RFC
// 7313 §4): between BoRR and EoRR markers, which are ROUTE-REFRESH
// messages in the same ordered batch as the UPDATEs. requestRefresh() only
// marks the family: the next flush() answers, so requests that arrive
// while the speaker holds its UPDATEs back (a congested peer) cost one
// table, not one each.
//
// A route whose attributes leave no room for its NLRI in one UPDATE of
// this session (learned over RFC 8654 extended messages, going to a peer
// without them) is not sent, and withdrawn if an earlier version was
// (RFC 8654 §5); `tooLarge` counts them.

import type { BgpContext } from '../wire/bgp-context.js';
import { RouteRefreshSubtype } from '../wire/bgp-route-refresh.js';
import * as pathAttribute from '../wire/path-attribute.js';
import type { PathAttribute } from '../wire/path-attribute.js';
import { ExportPolicy } from './export-policy.js';
import type { LocalSpeaker } from './export-policy.js';
import type { LocRibChange } from './loc-rib.js';
import type { Family, PeerRef, Route, RouteNlri } from './route.js';
import { sameNlri } from './packed-route.js';
import { announcementRoom, endOfRib, nlriLength, packAnnouncements, packWithdrawals, routeRefresh } from './update-builder.js';

export interface AdjRibOutOptions {
  self: LocalSpeaker;
  peer: PeerRef;
  /** The peer's encoding context (capability negotiation's ctxOut). */
  ctx: BgpContext;
  /** Families negotiated with the peer; routes of others are not sent. */
  families: Iterable<Family>;
  /** RFC 7313: the peer negotiated enhanced route refresh (requestRefresh answers between BoRR and EoRR). */
  enhancedRouteRefresh?: boolean;
}

/** Longer than any NLRI vxswitch sends (EVPN Type 2 with an IPv6 address and a path identifier is 62). */
const NLRI_MAX = 64;

interface Group {
  family: Family;
  nextHop: string;
  attributes: PathAttribute[];
  nlris: RouteNlri[];
  /** Octets for NLRI in one UPDATE with these attributes (announcementRoom). */
  room: number;
}

export class AdjRibOut {
  readonly peer: PeerRef;
  readonly policy: ExportPolicy;
  private readonly ctx: BgpContext;
  private readonly families: ReadonlySet<Family>;
  private readonly sent = new Map<Family, Map<string, Route>>();
  private readonly queue = new Map<Family, Map<string, Route | null>>();
  /** Encoded attribute bytes per exported attributes array: the grouping key. */
  private readonly attrKeys = new WeakMap<readonly PathAttribute[], string>();
  private readonly enhanced: boolean;
  /** Families the peer asked to refresh, answered by the next flush(). */
  private readonly refreshPending = new Set<Family>();
  /** Routes not sent because they do not fit one UPDATE of this session (RFC 8654 §5). */
  tooLarge = 0;

  constructor(options: AdjRibOutOptions) {
    this.peer = options.peer;
    this.ctx = options.ctx;
    this.families = new Set(options.families);
    this.enhanced = options.enhancedRouteRefresh === true;
    this.policy = new ExportPolicy(options.self, options.peer, options.ctx.as4);
  }

  /** Follow a Loc-RIB change. */
  apply(change: LocRibChange): void {
    if (change.type === 'best') this.advertise(change.route);
    else this.withdraw(change.family, change.key);
  }

  /** Queue a best path (export policy applied; a path the peer must not get withdraws any earlier one). */
  advertise(route: Route): void {
    if (!this.families.has(route.family)) return;
    const exported = this.policy.apply(route);
    if (exported === null) {
      this.withdraw(route.family, route.key);
      return;
    }
    this.pending(route.family).set(route.key, exported);
  }

  /** Queue the withdrawal of a key. */
  withdraw(family: Family, key: string): void {
    if (!this.families.has(family)) return;
    // Nothing to take back for a key the peer was never sent and that is not
    // queued (e.g. every iBGP-learned route towards another iBGP peer).
    if (this.sent.get(family)?.has(key) !== true && this.queue.get(family)?.has(key) !== true) return;
    this.pending(family).set(key, null);
  }

  private pending(family: Family): Map<string, Route | null> {
    let q = this.queue.get(family);
    if (q === undefined) {
      q = new Map();
      this.queue.set(family, q);
    }
    return q;
  }

  private table(family: Family): Map<string, Route> {
    let t = this.sent.get(family);
    if (t === undefined) {
      t = new Map();
      this.sent.set(family, t);
    }
    return t;
  }

  /** Changes queued and not yet flushed. */
  get pendingCount(): number {
    let n = 0;
    for (const q of this.queue.values()) n += q.size;
    return n;
  }

  /** The peer asked for `family` again (RFC 2918): the next flush() resends it; asking again meanwhile changes nothing. */
  requestRefresh(family: Family): void {
    if (this.families.has(family)) this.refreshPending.add(family);
  }

  /** Families whose refresh waits for the next flush(). */
  get refreshesPending(): number {
    return this.refreshPending.size;
  }

  private attrKey(attributes: readonly PathAttribute[]): string {
    let k = this.attrKeys.get(attributes);
    if (k === undefined) {
      const parts: Buffer[] = attributes.map((a) => pathAttribute.encode(a, undefined, 0, this.ctx));
      k = Buffer.concat(parts).toString('latin1');
      this.attrKeys.set(attributes, k);
    }
    return k;
  }

  /**
   * Encode what is queued, then the refreshes asked for, in one batch of
   * messages (empty when nothing changed). With `maxRoutes`, at most that
   * many queued changes (oldest first; the rest stay queued, and the
   * refreshes wait until the queue is empty): the speaker sends a large
   * change (a peer's 100,000 routes gone) in bounded batches, one per turn.
   */
  flush(maxRoutes = Infinity): Buffer[] {
    const out: Buffer[] = [];
    let budget = maxRoutes;
    for (const [family, q] of this.queue) {
      if (budget <= 0) break;
      const t = this.table(family);
      const withdrawn: RouteNlri[] = [];
      const groups = new Map<string, Group>();
      for (const [key, route] of q) {
        if (budget-- <= 0) break;
        // Deleting the visited entry while iterating a Map is well defined.
        q.delete(key);
        const before = t.get(key);
        if (route === null) {
          if (before === undefined) continue;
          t.delete(key);
          withdrawn.push(before.nlri);
          continue;
        }
        // Unchanged (export returns a new object, but the same NLRI and the
        // same cached attributes array): nothing to send.
        if (before !== undefined && sameNlri(before, route) && before.attributes === route.attributes && before.nextHop === route.nextHop) continue;
        const g = this.group(groups, route);
        if (g.room < NLRI_MAX && nlriLength(route.nlri, this.ctx) > g.room) {
          // RFC 8654 §5: cannot be sent to this peer; take back what it had.
          g.nlris.pop();
          this.tooLarge++;
          if (before !== undefined) {
            t.delete(key);
            withdrawn.push(before.nlri);
          }
          continue;
        }
        t.set(key, route);
      }
      if (q.size === 0) this.queue.delete(family);
      packWithdrawals(family, withdrawn, this.ctx, out);
      for (const g of groups.values()) packAnnouncements(g.family, g.nextHop, g.attributes, g.nlris, this.ctx, out);
    }
    if (this.queue.size > 0) return out;
    for (const family of this.refreshPending) this.resend(family, this.enhanced, out);
    this.refreshPending.clear();
    return out;
  }

  /** Add a route to its group (same next hop and attributes); returns the group. */
  private group(groups: Map<string, Group>, route: Route): Group {
    const k = `${route.nextHop}\n${this.attrKey(route.attributes)}`;
    let g = groups.get(k);
    if (g === undefined) {
      const room = announcementRoom(route.family, route.nextHop, route.attributes, this.ctx);
      g = { family: route.family, nextHop: route.nextHop, attributes: route.attributes, nlris: [], room };
      groups.set(k, g);
    }
    g.nlris.push(route.nlri);
    return g;
  }

  /**
   * The initial table after the session is Established: `routes` (the
   * Loc-RIB's best paths), then End-of-RIB for every negotiated family.
   */
  initialTable(routes: Iterable<Route>): Buffer[] {
    for (const r of routes) this.advertise(r);
    const out = this.flush();
    for (const f of this.families) out.push(endOfRib(f, this.ctx));
    return out;
  }

  /** End-of-RIB of one family, or of every negotiated one. */
  endOfRib(family?: Family): Buffer[] {
    return family !== undefined ? [endOfRib(family, this.ctx)] : [...this.families].map((f) => endOfRib(f, this.ctx));
  }

  /**
   * Answer a ROUTE-REFRESH for `family`: pending changes first, then every
   * route of the family again; with enhanced route refresh (RFC 7313 §4)
   * between BoRR and EoRR, so the peer can purge what we no longer send.
   */
  refresh(family: Family, enhanced: boolean): Buffer[] {
    if (!this.families.has(family)) return [];
    this.refreshPending.delete(family);
    const out = this.flush();
    this.resend(family, enhanced, out);
    return out;
  }

  /** Every route the peer has of `family`, again (between BoRR and EoRR when enhanced). */
  private resend(family: Family, enhanced: boolean, out: Buffer[]): void {
    if (enhanced) out.push(routeRefresh(family, RouteRefreshSubtype.BeginningOfRouteRefresh));
    const groups = new Map<string, Group>();
    for (const r of this.table(family).values()) this.group(groups, r);
    for (const g of groups.values()) packAnnouncements(g.family, g.nextHop, g.attributes, g.nlris, this.ctx, out);
    if (enhanced) out.push(routeRefresh(family, RouteRefreshSubtype.EndOfRouteRefresh));
  }

  /** What the peer was sent for a key (as exported), if anything. */
  get(family: Family, key: string): Route | undefined {
    return this.sent.get(family)?.get(key);
  }

  *routes(family?: Family): IterableIterator<Route> {
    if (family !== undefined) {
      const t = this.sent.get(family);
      if (t !== undefined) yield* t.values();
      return;
    }
    for (const t of this.sent.values()) yield* t.values();
  }

  /** Routes advertised (sent), per family or in all. */
  size(family?: Family): number {
    if (family !== undefined) return this.sent.get(family)?.size ?? 0;
    let n = 0;
    for (const t of this.sent.values()) n += t.size;
    return n;
  }
}
