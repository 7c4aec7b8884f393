// Adj-RIB-In (RFC 4271 §3.2): the routes one peer advertised to us, as
// received, keyed per family by route key and, with add-path (RFC 7911), by
// path identifier too. Routes rejected by the import policy are kept here
// (marked) but never reach the Loc-RIB.
//
// Graceful restart, receiving side (RFC 4724 §4.2): when the session of a
// restart-capable peer goes down, its routes are marked stale instead of
// removed; the ones it re-advertises become fresh; after its End-of-RIB (or
// the restart timer) purgeStale removes what is still stale. A per-family
// set of stale keys keeps purging proportional to what is stale.

import type { ImportRejection } from './import-policy.js';
import type { Family, PeerRef, Route } from './route.js';

/** Key inside a family's table: the route key, plus "#pathId" with add-path. */
export function adjRibKey(key: string, pathId?: number): string {
  return pathId === undefined ? key : `${key}#${pathId}`;
}

interface Table {
  routes: Map<string, Route>;
  stale: Set<string>;
  rejected: Map<string, ImportRejection>;
}

export class AdjRibIn {
  readonly peer: PeerRef;
  private readonly tables = new Map<Family, Table>();

  constructor(peer: PeerRef) {
    this.peer = peer;
  }

  private table(family: Family): Table {
    let t = this.tables.get(family);
    if (t === undefined) {
      t = { routes: new Map(), stale: new Set(), rejected: new Map() };
      this.tables.set(family, t);
    }
    return t;
  }

  /**
   * Store (or replace) a route; `rejection` records why the import policy
   * refused it. Returns the route it replaced, if any. A re-advertised
   * stale route is fresh again.
   */
  set(route: Route, rejection: ImportRejection | null = null): Route | undefined {
    const t = this.table(route.family);
    const k = adjRibKey(route.key, route.pathId);
    const previous = t.routes.get(k);
    t.routes.set(k, route);
    if (t.stale.size > 0) t.stale.delete(k);
    if (rejection === null) {
      if (t.rejected.size > 0) t.rejected.delete(k);
    } else {
      t.rejected.set(k, rejection);
    }
    return previous;
  }

  /** Remove a route; returns it, or undefined when it was not there. */
  delete(family: Family, key: string, pathId?: number): Route | undefined {
    const t = this.tables.get(family);
    if (t === undefined) return undefined;
    const k = adjRibKey(key, pathId);
    const previous = t.routes.get(k);
    if (previous === undefined) return undefined;
    t.routes.delete(k);
    t.stale.delete(k);
    t.rejected.delete(k);
    return previous;
  }

  get(family: Family, key: string, pathId?: number): Route | undefined {
    return this.tables.get(family)?.routes.get(adjRibKey(key, pathId));
  }

  /** Why the import policy refused the route, or null (accepted, or absent). */
  rejection(family: Family, key: string, pathId?: number): ImportRejection | null {
    return this.tables.get(family)?.rejected.get(adjRibKey(key, pathId)) ?? null;
  }

  /** Routes held ("Received"), per family or in all. */
  size(family?: Family): number {
    if (family !== undefined) return this.tables.get(family)?.routes.size ?? 0;
    let n = 0;
    for (const t of this.tables.values()) n += t.routes.size;
    return n;
  }

  /** Routes the import policy accepted ("Accepted"). */
  acceptedCount(family?: Family): number {
    if (family !== undefined) {
      const t = this.tables.get(family);
      return t === undefined ? 0 : t.routes.size - t.rejected.size;
    }
    let n = 0;
    for (const t of this.tables.values()) n += t.routes.size - t.rejected.size;
    return n;
  }

  *routes(family?: Family): IterableIterator<Route> {
    if (family !== undefined) {
      const t = this.tables.get(family);
      if (t !== undefined) yield* t.routes.values();
      return;
    }
    for (const t of this.tables.values()) yield* t.routes.values();
  }

  families(): Family[] {
    return [...this.tables.keys()];
  }

  /**
   * RFC 4724 §4.2: the session went down and the peer can restart
   * gracefully: keep its routes of `families`, marked stale. Returns how
   * many were marked. (The Route objects are the ones the Loc-RIB holds,
   * so `stale` shows there too.)
   */
  markStale(families: Iterable<Family>): number {
    let n = 0;
    for (const f of families) {
      const t = this.tables.get(f);
      if (t === undefined) continue;
      for (const [k, r] of t.routes) {
        r.stale = true;
        t.stale.add(k);
        n++;
      }
    }
    return n;
  }

  /** Routes still stale in `family` (RFC 4724 §4.2). */
  staleCount(family?: Family): number {
    if (family !== undefined) return this.tables.get(family)?.stale.size ?? 0;
    let n = 0;
    for (const t of this.tables.values()) n += t.stale.size;
    return n;
  }

  /**
   * RFC 4724 §4.2: End-of-RIB received (or the restart / stale timer fired):
   * remove the routes of `family` that were not re-advertised. Returns them,
   * so the caller withdraws them from the Loc-RIB.
   */
  purgeStale(family: Family): Route[] {
    const t = this.tables.get(family);
    if (t === undefined || t.stale.size === 0) return [];
    const removed: Route[] = [];
    for (const k of t.stale) {
      const r = t.routes.get(k);
      if (r === undefined) continue;
      t.routes.delete(k);
      t.rejected.delete(k);
      removed.push(r);
    }
    t.stale.clear();
    return removed;
  }

  /** The session is gone without graceful restart: everything goes. Returns what was held. */
  clear(families?: Iterable<Family>): Route[] {
    const removed: Route[] = [];
    for (const f of families ?? [...this.tables.keys()]) {
      const t = this.tables.get(f);
      if (t === undefined) continue;
      for (const r of t.routes.values()) removed.push(r);
      this.tables.delete(f);
    }
    return removed;
  }
}
