// Inbound checks a route must pass before it may enter the Loc-RIB. A
// rejected route stays in the peer's Adj-RIB-In (gobgp's "Received 6
// Accepted 4"): it is unusable, not forgotten, so a later replacement or
// withdrawal of the same key behaves normally.

import type { PathAttribute } from '../wire/path-attribute.js';
import { asPathOf, countAs } from './as-path-rules.js';
import type { Route } from './route.js';

export interface ImportPolicyConfig {
  /** Our AS. */
  localAs: number;
  /** Our BGP Identifier. */
  routerId: string;
  /** Our CLUSTER_ID when we reflect routes (RFC 4456 §7); absent when we are not a route reflector. */
  clusterId?: string;
  /** How many times our AS may appear in a received AS_PATH ("allowas-in"); default 0. */
  allowOwnAs?: number;
}

export type ImportRejection = 'originator-id' | 'as-path-loop' | 'cluster-list-loop';

function find<T extends PathAttribute['type']>(attrs: readonly PathAttribute[], type: T): Extract<PathAttribute, { type: T }> | undefined {
  for (const a of attrs) if (a.type === type) return a as Extract<PathAttribute, { type: T }>;
  return undefined;
}

/** Why `route` must not be used, or null when it may. Originated routes (peer null) always pass. */
export function importRejection(route: Route, config: ImportPolicyConfig): ImportRejection | null {
  if (route.peer === null) return null;
  const attrs = route.attributes;
  // RFC 4456 §8: "A router that recognizes the ORIGINATOR_ID attribute
  // SHOULD ignore a route received with its BGP Identifier as the
  // ORIGINATOR_ID." FRR's route reflector sends every client its own routes
  // back; installing them would make us a remote VTEP of ourselves.
  const originator = find(attrs, 'originator-id');
  if (originator !== undefined && originator.value === config.routerId) return 'originator-id';
  // RFC 4456 §8: a reflector ignores a route whose CLUSTER_LIST holds its
  // own CLUSTER_ID (a loop through reflectors).
  if (config.clusterId !== undefined) {
    const clusters = find(attrs, 'cluster-list');
    if (clusters !== undefined && clusters.value.includes(config.clusterId)) return 'cluster-list-loop';
  }
  // RFC 4271 §9.1.2: a route whose AS_PATH holds our AS has looped (eBGP
  // out and back in). FRR checks this on every session; an iBGP peer never
  // legitimately sends our AS in the path either.
  if (countAs(asPathOf(attrs), config.localAs) > (config.allowOwnAs ?? 0)) return 'as-path-loop';
  return null;
}
