// Best-path selection among the paths for one route key, RFC 4271
// §9.1.2.2, run as the RFC writes it: a series of steps, each removing the
// paths that lose, until one is left. (A pairwise comparator cannot do
// this: the MED step compares only paths from the same neighboring AS, so
// "better than" is not transitive.) Steps:
//
//   0. a path we originated wins over any received one (FRR: weight 32768);
//   a. highest degree of preference: LOCAL_PREF from iBGP (default 100;
//      RFC 4271 §5.1.5: a LOCAL_PREF received over eBGP is ignored);
//   a. shortest AS_PATH (an AS_SET counts 1, confederation segments 0);
//   b. lowest ORIGIN (IGP < EGP < INCOMPLETE);
//   c. lowest MULTI_EXIT_DISC among paths from the same neighboring AS
//      (RFC 4271: a missing MED is the lowest value, 0);
//   d. eBGP-learned over iBGP-learned;
//   e. (interior cost to the next hop: vxswitch has no IGP; skipped);
//   f. lowest BGP Identifier, the ORIGINATOR_ID instead when present
//      (RFC 4456 §9);
//      shortest CLUSTER_LIST (RFC 4456 §9);
//   g. lowest peer address;
//      lowest path identifier (add-path, several paths from one peer).

import type { AsPathSegment } from '../wire/attr-as-path.js';
import { asPathLength } from '../wire/attr-as-path.js';
import type { PathAttribute } from '../wire/path-attribute.js';
import { EMPTY_AS_PATH, neighborAs } from './as-path-rules.js';
import { compareIp, ipv4ToNumber } from './ip-order.js';
import type { Route } from './route.js';

/** RFC 4271 §5.1.5 and common practice: the LOCAL_PREF a route without one gets. */
export const DEFAULT_LOCAL_PREF = 100;

export type DecisionStep =
  | 'only-path'
  | 'local'
  | 'local-pref'
  | 'as-path'
  | 'origin'
  | 'med'
  | 'ebgp'
  | 'router-id'
  | 'cluster-list'
  | 'peer-address'
  | 'path-id';

interface Facts {
  route: Route;
  localPref: number;
  asPath: readonly AsPathSegment[];
  origin: number;
  med: number;
  originatorId: string | undefined;
  clusterLength: number;
}

const ORIGIN_RANK = { igp: 0, egp: 1, incomplete: 2 } as const;

/** The degree of preference of a route (RFC 4271 §9.1.1). */
export function localPrefOf(route: Route): number {
  // RFC 4271 §5.1.5: LOCAL_PREF is only meaningful inside the AS; one
  // received over eBGP is ignored (import policy would set it).
  if (route.peer !== null && !route.peer.ibgp) return DEFAULT_LOCAL_PREF;
  for (const a of route.attributes) if (a.type === 'local-pref') return a.value;
  return DEFAULT_LOCAL_PREF;
}

function facts(route: Route): Facts {
  const f: Facts = {
    route,
    localPref: localPrefOf(route),
    asPath: EMPTY_AS_PATH,
    origin: ORIGIN_RANK.incomplete,
    med: 0,
    originatorId: undefined,
    clusterLength: 0,
  };
  const attrs: readonly PathAttribute[] = route.attributes;
  for (const a of attrs) {
    switch (a.type) {
      case 'as-path':
        f.asPath = a.value;
        break;
      case 'origin':
        f.origin = ORIGIN_RANK[a.value];
        break;
      case 'multi-exit-disc':
        f.med = a.value;
        break;
      case 'originator-id':
        f.originatorId = a.value;
        break;
      case 'cluster-list':
        f.clusterLength = a.value.length;
        break;
      default:
        break;
    }
  }
  return f;
}

/** Keep the candidates with the lowest `score`. */
function keepMin(list: Facts[], score: (f: Facts) => number): Facts[] {
  let min = Infinity;
  for (const f of list) min = Math.min(min, score(f));
  return list.filter((f) => score(f) === min);
}

function routerIdOf(f: Facts): number {
  const id = f.originatorId ?? f.route.peer?.routerId ?? '0.0.0.0';
  const n = ipv4ToNumber(id);
  return n < 0 ? 0xffffffff : n;
}

export interface Selection {
  best: Route;
  /** The step that left one path standing. */
  step: DecisionStep;
}

/** RFC 4271 §9.1.2.2 over `paths` (all for the same key); undefined when empty. */
export function selectBestWithReason(paths: readonly Route[]): Selection | undefined {
  if (paths.length === 0) return undefined;
  if (paths.length === 1) return { best: paths[0]!, step: 'only-path' };
  let list = paths.map(facts);
  const done = (step: DecisionStep): Selection | undefined => (list.length === 1 ? { best: list[0]!.route, step } : undefined);

  // 0. Originated here: wins over anything received.
  if (list.some((f) => f.route.peer === null)) list = list.filter((f) => f.route.peer === null);
  let r = done('local');
  if (r) return r;
  list = keepMin(list, (f) => -f.localPref);
  if ((r = done('local-pref'))) return r;
  list = keepMin(list, (f) => asPathLength(f.asPath));
  if ((r = done('as-path'))) return r;
  list = keepMin(list, (f) => f.origin);
  if ((r = done('origin'))) return r;
  // c. MED: within each neighboring-AS group, only the lowest MED survives.
  const minMed = new Map<number | null, number>();
  for (const f of list) {
    const as = neighborAs(f.asPath);
    const m = minMed.get(as);
    if (m === undefined || f.med < m) minMed.set(as, f.med);
  }
  list = list.filter((f) => f.med === minMed.get(neighborAs(f.asPath)));
  if ((r = done('med'))) return r;
  // d. eBGP over iBGP.
  if (list.some((f) => f.route.peer !== null && !f.route.peer.ibgp)) list = list.filter((f) => f.route.peer !== null && !f.route.peer.ibgp);
  if ((r = done('ebgp'))) return r;
  list = keepMin(list, routerIdOf);
  if ((r = done('router-id'))) return r;
  list = keepMin(list, (f) => f.clusterLength);
  if ((r = done('cluster-list'))) return r;
  let lowest = list[0]!;
  for (const f of list) if (compareIp(f.route.peer?.address ?? '', lowest.route.peer?.address ?? '') < 0) lowest = f;
  const address = lowest.route.peer?.address ?? '';
  list = list.filter((f) => (f.route.peer?.address ?? '') === address);
  if ((r = done('peer-address'))) return r;
  list = keepMin(list, (f) => f.route.pathId ?? 0);
  return { best: list[0]!.route, step: 'path-id' };
}

export function selectBest(paths: readonly Route[]): Route | undefined {
  return selectBestWithReason(paths)?.best;
}
