// MAC mobility, RFC 7432 §15, as pure decisions over "claims": each claim
// says "MAC m of this EVPN instance is behind VTEP v, sequence s, sticky or
// not". A claim comes from a remote Type 2 route (MAC-only or MAC+IP), or is
// our own local one.
//
//   - a sticky (static) claim beats every non-sticky one (§15.2: a static
//     MAC never moves);
//   - otherwise the higher sequence number wins (§15.1);
//   - equal sequence numbers: the lower VTEP IP wins (§15.1);
//   - a VTEP that learns a MAC others advertise advertises it with the
//     highest sequence number seen + 1 (§15.1).
// §15.1 duplicate detection: N moves (default 5) within M seconds (default
// 180) and the MAC is declared duplicate: its state is frozen and an
// operator has to clear it.

import type { PathAttribute } from '../wire/path-attribute.js';
import { compareIp } from './ip-order.js';

export interface MobilityClaim {
  vtep: string;
  seq: number;
  sticky: boolean;
}

/** The mobility extended community of a route: sequence 0 and not sticky when absent (§7.7). */
export function mobilityOf(attributes: readonly PathAttribute[]): { seq: number; sticky: boolean } {
  for (const a of attributes) {
    if (a.type !== 'extended-communities') continue;
    for (const ec of a.value) if (ec.kind === 'mac-mobility') return { seq: ec.sequence, sticky: ec.sticky };
  }
  return { seq: 0, sticky: false };
}

/** True when claim `a` wins over claim `b` (and they differ). */
export function beats(a: MobilityClaim, b: MobilityClaim): boolean {
  if (a.sticky !== b.sticky) return a.sticky;
  if (a.seq !== b.seq) return a.seq > b.seq;
  return compareIp(a.vtep, b.vtep) < 0;
}

/** The winning claim, or undefined when there is none. */
export function winner<C extends MobilityClaim>(claims: Iterable<C>): C | undefined {
  let best: C | undefined;
  for (const c of claims) if (best === undefined || beats(c, best)) best = c;
  return best;
}

/** The sequence number a VTEP uses when it takes over a MAC others advertise: max + 1 (§15.1), capped at 2^32-1. */
export function takeOverSequence(claims: Iterable<MobilityClaim>): number {
  let max = -1;
  for (const c of claims) if (c.seq > max) max = c.seq;
  return Math.min(max + 1, 0xffffffff);
}

export interface DuplicateDetection {
  /** Moves that make a MAC duplicate (RFC 7432 §15.1 N; default 5). */
  maxMoves: number;
  /** Window in milliseconds (§15.1 M; default 180 s). */
  windowMs: number;
}

export const DEFAULT_DUPLICATE_DETECTION: DuplicateDetection = { maxMoves: 5, windowMs: 180_000 };

/**
 * Record a move at `now` in `moves` (timestamps, oldest first, at most
 * maxMoves kept) and tell whether the MAC is now a duplicate: maxMoves moves
 * within windowMs.
 */
export function recordMove(moves: number[], now: number, config: DuplicateDetection): boolean {
  moves.push(now);
  while (moves.length > config.maxMoves) moves.shift();
  while (moves.length > 0 && now - moves[0]! > config.windowMs) moves.shift();
  return moves.length >= config.maxMoves;
}
