// The receive path of one peer, from a read UPDATE to Loc-RIB changes:
// Adj-RIB-In first (everything received), the import policy next, the
// Loc-RIB for what passes. A route the policy refuses is taken out of the
// Loc-RIB too (it may replace an accepted one: an implicit withdrawal).
// Session loss and graceful-restart purges go the same way.

import type { AdjRibIn } from './adj-rib-in.js';
import type { ImportPolicyConfig, ImportRejection } from './import-policy.js';
import { importRejection } from './import-policy.js';
import type { LocRib, LocRibChange } from './loc-rib.js';
import type { PathAttribute } from '../wire/path-attribute.js';
import { internAttributes } from './attribute-set.js';
import { storedRoute } from './packed-route.js';
import type { Family, Route } from './route.js';
import type { ReadUpdateResult } from './update-reader.js';

export interface InboundResult {
  changes: LocRibChange[];
  /** Routes refused by the import policy, with the reason (for logs and counters). */
  rejected: Array<{ route: Route; reason: ImportRejection }>;
  /** The announced routes in the form the RIBs keep them (same order as read.announced). */
  stored: Route[];
}

export function applyUpdate(
  read: Pick<ReadUpdateResult, 'announced' | 'withdrawn'>,
  adjRibIn: AdjRibIn,
  locRib: LocRib,
  policy: ImportPolicyConfig,
): InboundResult {
  const result: InboundResult = { changes: [], rejected: [], stored: [] };
  const peer = adjRibIn.peer;
  for (const w of read.withdrawn) {
    // A withdrawal of a key never received is ignored (FRR's reflector
    // sends withdrawals of our own reflected routes, which we dropped).
    if (adjRibIn.delete(w.family, w.key, w.pathId) === undefined) continue;
    const c = locRib.withdraw(w.family, w.key, peer, w.pathId);
    if (c !== null) result.changes.push(c);
  }
  // What the RIBs keep (docs/memory.md): attribute sets interned (one
  // lookup per UPDATE: its routes share one array), Type 2 routes packed.
  let attributesIn: PathAttribute[] | null = null;
  let attributesOut: PathAttribute[] = [];
  for (const announced of read.announced) {
    if (announced.attributes !== attributesIn) {
      attributesIn = announced.attributes;
      attributesOut = internAttributes(announced.attributes);
    }
    const route = storedRoute(announced, attributesOut);
    const reason = importRejection(route, policy);
    adjRibIn.set(route, reason);
    const c = reason === null ? locRib.update(route) : locRib.withdraw(route.family, route.key, peer, route.pathId);
    result.stored.push(route);
    if (reason !== null) result.rejected.push({ route, reason });
    if (c !== null) result.changes.push(c);
  }
  return result;
}

/** Take routes out of the Loc-RIB (after AdjRibIn.clear or purgeStale returned them). */
export function withdrawAll(routes: Iterable<Route>, locRib: LocRib): LocRibChange[] {
  const changes: LocRibChange[] = [];
  for (const r of routes) {
    const c = locRib.withdraw(r.family, r.key, r.peer, r.pathId);
    if (c !== null) changes.push(c);
  }
  return changes;
}

/** The session is gone (no graceful restart): every route of the peer leaves. */
export function dropPeer(adjRibIn: AdjRibIn, locRib: LocRib, families?: Iterable<Family>): LocRibChange[] {
  return withdrawAll(adjRibIn.clear(families), locRib);
}

/** RFC 4724 §4.2: End-of-RIB or timer: the peer's still-stale routes of `family` leave. */
export function purgeStale(adjRibIn: AdjRibIn, locRib: LocRib, family: Family): LocRibChange[] {
  return withdrawAll(adjRibIn.purgeStale(family), locRib);
}
