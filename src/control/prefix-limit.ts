// Per-neighbor, per-family maximum number of prefixes, with the semantics
// FRR (`neighbor X maximum-prefix N [threshold] [restart M] [warning-only]`)
// and GoBGP (`[neighbors.afi-safis.prefix-limit.config]` max-prefixes,
// shutdown-threshold-pct, restart-timer) share:
// - the count is the routes the peer holds in our Adj-RIB-In for the family,
//   refused by the import policy or not (GoBGP counts its Adj-RIB-In; FRR
//   does so with `force`): the bound is on what the peer makes us store;
// - one warning when the count first passes the threshold (a percentage of
//   the maximum), armed again once the count falls back to it;
// - more than the maximum ends the session with Cease / Maximum Number of
//   Prefixes Reached (RFC 4486 §4), whose data is the AFI (2 octets), the
//   SAFI (1 octet) and the upper bound (4 octets); the neighbor stays down
//   for the restart timer, then connects again (without one it stays down
//   until it is reconfigured or the daemon restarts);
// - warning-only (OpenConfig's prevent-teardown): the excess is logged, the
//   session stays up.
// Pure: counts in, verdicts out; the speaker acts on them.

import { familyAfiSafi } from './afi-safi-family.js';
import type { Family } from './route.js';

/** FRR's default warning threshold (GoBGP warns only when shutdown-threshold-pct is set). */
export const DEFAULT_WARNING_THRESHOLD_PCT = 75;

export interface PrefixLimit {
  /** max-prefixes: more routes of the family than this end the session (1..2^32-1). */
  maxPrefixes: number;
  /** shutdown-threshold-pct: warn when the count passes this share of maxPrefixes (default 75; 0: no warning). */
  warningThresholdPct?: number;
  /** restart-timer, seconds: connect again this long after the teardown (absent or 0: stay down). */
  restartTimer?: number;
  /** prevent-teardown (FRR's warning-only): log the excess, keep the session. */
  preventTeardown?: boolean;
}

export type PrefixLimitVerdict =
  | { type: 'ok' }
  | { type: 'warning'; family: Family; count: number; threshold: number; limit: PrefixLimit }
  | { type: 'exceeded'; family: Family; count: number; limit: PrefixLimit; teardown: boolean };

const OK: PrefixLimitVerdict = { type: 'ok' };

/** The count above which the warning is given (none when the percentage is 0). */
export function warningThreshold(limit: PrefixLimit): number | null {
  const pct = limit.warningThresholdPct ?? DEFAULT_WARNING_THRESHOLD_PCT;
  return pct <= 0 ? null : Math.floor((limit.maxPrefixes * pct) / 100);
}

/** RFC 4486 §4: the Cease / Maximum Number of Prefixes Reached data: AFI, SAFI, the upper bound. */
export function maxPrefixesData(family: Family, maxPrefixes: number): Buffer {
  const { afi, safi } = familyAfiSafi(family);
  const data = Buffer.alloc(7);
  data.writeUInt16BE(afi, 0);
  data.writeUInt8(safi, 2);
  data.writeUInt32BE(maxPrefixes, 3);
  return data;
}

/** The limits of one neighbor, and which warnings were given (per session). */
export class PrefixLimitGuard {
  private readonly warned = new Set<Family>();
  private readonly over = new Set<Family>();

  constructor(readonly limits: ReadonlyMap<Family, PrefixLimit>) {}

  limit(family: Family): PrefixLimit | undefined {
    return this.limits.get(family);
  }

  /** The family now holds `count` routes from the peer: what to do. */
  check(family: Family, count: number): PrefixLimitVerdict {
    const limit = this.limits.get(family);
    if (limit === undefined) return OK;
    if (count > limit.maxPrefixes) {
      // Reported once per crossing (warning-only keeps the session: no line per UPDATE).
      if (this.over.has(family)) return OK;
      this.over.add(family);
      this.warned.add(family);
      return { type: 'exceeded', family, count, limit, teardown: limit.preventTeardown !== true };
    }
    this.over.delete(family);
    const threshold = warningThreshold(limit);
    if (threshold === null) return OK;
    if (count <= threshold) {
      this.warned.delete(family);
      return OK;
    }
    if (this.warned.has(family)) return OK;
    this.warned.add(family);
    return { type: 'warning', family, count, threshold, limit };
  }

  /** A new session: every warning may be given again. */
  reset(): void {
    this.warned.clear();
    this.over.clear();
  }
}
