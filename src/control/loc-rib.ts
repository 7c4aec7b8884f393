// Loc-RIB (RFC 4271 §3.2, §9.1): every usable path per family and route
// key, and the best of them (best-path.ts). Each path is identified by where
// it came from: the peer's address (or "originated here") plus the add-path
// identifier. Every change of a best path is reported, both as the return
// value and to subscribers, so consumers (Adj-RIB-Outs, EVPN instances)
// follow changes and never rescan the table:
//
//   { type: 'best', route, previous }   a new best path (previous: the old
//                                       one, null when the key is new)
//   { type: 'withdrawn', previous }     no path left for the key
//
// Replacing a path with an identical object, or changing a path that is
// not (and does not become) the best, reports nothing.

import { selectBest } from './best-path.js';
import type { Family, PeerRef, Route } from './route.js';

export type LocRibChange =
  | { type: 'best'; family: Family; key: string; route: Route; previous: Route | null }
  | { type: 'withdrawn'; family: Family; key: string; previous: Route };

export type LocRibListener = (change: LocRibChange) => void;

/** Several paths for one key. A key with one path (the usual case) holds the Route itself. */
class Multi {
  constructor(
    public paths: Route[],
    public best: Route,
  ) {}
}

type Entry = Route | Multi;

const bestOf = (e: Entry): Route => (e instanceof Multi ? e.best : e);

function sameSource(a: Route, peer: PeerRef | string | null, pathId: number | undefined): boolean {
  const address = typeof peer === 'string' ? peer : peer === null ? null : peer.address;
  const aAddress = a.peer === null ? null : a.peer.address;
  return aAddress === address && a.pathId === pathId;
}

export class LocRib {
  private readonly tables = new Map<Family, Map<string, Entry>>();
  private readonly listeners: LocRibListener[] = [];

  /** Call `listener` on every change; returns a function that unsubscribes. */
  subscribe(listener: LocRibListener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  private table(family: Family): Map<string, Entry> {
    let t = this.tables.get(family);
    if (t === undefined) {
      t = new Map();
      this.tables.set(family, t);
    }
    return t;
  }

  private emit(change: LocRibChange): LocRibChange {
    for (const l of this.listeners) l(change);
    return change;
  }

  /** Add a path, or replace the one from the same source (peer + path id). */
  update(route: Route): LocRibChange | null {
    const t = this.table(route.family);
    const entry = t.get(route.key);
    if (entry === undefined) {
      t.set(route.key, route);
      return this.emit({ type: 'best', family: route.family, key: route.key, route, previous: null });
    }
    if (entry === route) return null;
    if (!(entry instanceof Multi)) {
      if (sameSource(entry, route.peer, route.pathId)) {
        t.set(route.key, route);
        return this.emit({ type: 'best', family: route.family, key: route.key, route, previous: entry });
      }
      const multi = new Multi([entry, route], entry);
      t.set(route.key, multi);
      return this.reselect(route.family, route.key, multi);
    }
    const paths = entry.paths;
    const i = paths.findIndex((p) => sameSource(p, route.peer, route.pathId));
    if (i >= 0) {
      if (paths[i] === route) return null;
      paths[i] = route;
    } else {
      paths.push(route);
    }
    return this.reselect(route.family, route.key, entry);
  }

  /**
   * Remove the path of `key` learned from `peer` (a PeerRef or its address;
   * null = the one we originated) with that add-path identifier. A key or
   * path we do not hold is ignored (null).
   */
  withdraw(family: Family, key: string, peer: PeerRef | string | null, pathId?: number): LocRibChange | null {
    const t = this.tables.get(family);
    const entry = t?.get(key);
    if (t === undefined || entry === undefined) return null;
    if (!(entry instanceof Multi)) {
      if (!sameSource(entry, peer, pathId)) return null;
      t.delete(key);
      return this.emit({ type: 'withdrawn', family, key, previous: entry });
    }
    const i = entry.paths.findIndex((p) => sameSource(p, peer, pathId));
    if (i < 0) return null;
    entry.paths.splice(i, 1);
    if (entry.paths.length === 1) {
      // Back to a single path: store the route itself.
      const only = entry.paths[0]!;
      t.set(key, only);
      return only === entry.best ? null : this.emit({ type: 'best', family, key, route: only, previous: entry.best });
    }
    return this.reselect(family, key, entry);
  }

  private reselect(family: Family, key: string, entry: Multi): LocRibChange | null {
    const previous = entry.best;
    const best = selectBest(entry.paths)!;
    entry.best = best;
    if (best === previous) return null;
    return this.emit({ type: 'best', family, key, route: best, previous });
  }

  best(family: Family, key: string): Route | undefined {
    const e = this.tables.get(family)?.get(key);
    return e === undefined ? undefined : bestOf(e);
  }

  /** Every path held for the key (best included), in arrival order. */
  paths(family: Family, key: string): readonly Route[] {
    const e = this.tables.get(family)?.get(key);
    return e === undefined ? [] : e instanceof Multi ? e.paths : [e];
  }

  /** Best paths of a family (or of all), for an initial table or a display. */
  *bests(family?: Family): IterableIterator<Route> {
    const tables = family === undefined ? [...this.tables.values()] : [this.tables.get(family)];
    for (const t of tables) if (t !== undefined) for (const e of t.values()) yield bestOf(e);
  }

  /** Number of keys with at least one path. */
  size(family?: Family): number {
    if (family !== undefined) return this.tables.get(family)?.size ?? 0;
    let n = 0;
    for (const t of this.tables.values()) n += t.size;
    return n;
  }
}
