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
// 7313 §4): between BoRR and EoRR markers.

import type { BgpContext } from '../wire/bgp-context.js';
import { RouteRefreshSubtype } from '../wire/bgp-route-refresh.js';
import * as pathAttribute from '../wire/path-attribute.js';
import type { PathAttribute } from '../wire/path-attribute.js';
import { ExportPolicy } from './export-policy.js';
import type { LocalSpeaker } from './export-policy.js';
import type { LocRibChange } from './loc-rib.js';
import type { Family, PeerRef, Route, RouteNlri } from './route.js';
import { endOfRib, packAnnouncements, packWithdrawals, routeRefresh } from './update-builder.js';

export interface AdjRibOutOptions {
  self: LocalSpeaker;
  peer: PeerRef;
  /** The peer's encoding context (capability negotiation's ctxOut). */
  ctx: BgpContext;
  /** Families negotiated with the peer; routes of others are not sent. */
  families: Iterable<Family>;
}

interface Group {
  family: Family;
  nextHop: string;
  attributes: PathAttribute[];
  nlris: RouteNlri[];
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

  constructor(options: AdjRibOutOptions) {
    this.peer = options.peer;
    this.ctx = options.ctx;
    this.families = new Set(options.families);
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

  private attrKey(attributes: readonly PathAttribute[]): string {
    let k = this.attrKeys.get(attributes);
    if (k === undefined) {
      const parts: Buffer[] = attributes.map((a) => pathAttribute.encode(a, undefined, 0, this.ctx));
      k = Buffer.concat(parts).toString('latin1');
      this.attrKeys.set(attributes, k);
    }
    return k;
  }

  /** Encode everything queued, in one batch of messages (empty when nothing changed). */
  flush(): Buffer[] {
    const out: Buffer[] = [];
    for (const [family, q] of this.queue) {
      const t = this.table(family);
      const withdrawn: RouteNlri[] = [];
      const groups = new Map<string, Group>();
      for (const [key, route] of q) {
        const before = t.get(key);
        if (route === null) {
          if (before === undefined) continue;
          t.delete(key);
          withdrawn.push(before.nlri);
          continue;
        }
        // Unchanged (export returns a new object, but the same NLRI and the
        // same cached attributes array): nothing to send.
        if (before !== undefined && before.nlri === route.nlri && before.attributes === route.attributes && before.nextHop === route.nextHop) continue;
        t.set(key, route);
        this.group(groups, route);
      }
      q.clear();
      packWithdrawals(family, withdrawn, this.ctx, out);
      for (const g of groups.values()) packAnnouncements(g.family, g.nextHop, g.attributes, g.nlris, this.ctx, out);
    }
    this.queue.clear();
    return out;
  }

  private group(groups: Map<string, Group>, route: Route): void {
    const k = `${route.nextHop}\n${this.attrKey(route.attributes)}`;
    const g = groups.get(k);
    if (g === undefined) groups.set(k, { family: route.family, nextHop: route.nextHop, attributes: route.attributes, nlris: [route.nlri] });
    else g.nlris.push(route.nlri);
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
    const out = this.flush();
    if (enhanced) out.push(routeRefresh(family, RouteRefreshSubtype.BeginningOfRouteRefresh));
    const groups = new Map<string, Group>();
    for (const r of this.table(family).values()) this.group(groups, r);
    for (const g of groups.values()) packAnnouncements(g.family, g.nextHop, g.attributes, g.nlris, this.ctx, out);
    if (enhanced) out.push(routeRefresh(family, RouteRefreshSubtype.EndOfRouteRefresh));
    return out;
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
