// The rate limit on a peer's ROUTE-REFRESH requests (RFC 2918), per
// family, sans-IO (the caller passes the clock and runs the timer).
//
// Each answer is the whole Adj-RIB-Out of the family. A request is
// answered at once when the last answer is at least `intervalMs` old;
// otherwise it waits for the end of the interval, and requests arriving
// while one waits are merged into it. So a peer that asks 300 times in a
// second gets two tables (now, and at the end of the interval), not 300.
// RFC 2918 puts no limit on how often a peer may ask, and none on how soon
// the answer must come: waiting is within the protocol.

import type { Family } from './route.js';

export type RefreshDecision =
  /** Answer now. */
  | { kind: 'now' }
  /** Answer at the end of the interval; `startTimer`: no timer runs yet, start one for `inMs`. */
  | { kind: 'deferred'; inMs: number; startTimer: boolean }
  /** One is already waiting: this request is part of it. */
  | { kind: 'merged' };

export class RouteRefreshLimit {
  private readonly answeredAt = new Map<Family, number>();
  private readonly waiting = new Set<Family>();
  /** Requests merged into one already waiting, since the start. */
  merged = 0;

  constructor(private readonly intervalMs: number) {}

  request(family: Family, now: number): RefreshDecision {
    if (this.waiting.has(family)) {
      this.merged++;
      return { kind: 'merged' };
    }
    const last = this.answeredAt.get(family);
    if (last === undefined || now - last >= this.intervalMs) {
      this.answeredAt.set(family, now);
      return { kind: 'now' };
    }
    const startTimer = this.waiting.size === 0;
    this.waiting.add(family);
    return { kind: 'deferred', inMs: Math.max(1, Math.ceil(last + this.intervalMs - now)), startTimer };
  }

  /** The timer fired: the families to answer now, and when to fire again (undefined: nothing waits). */
  due(now: number): { families: Family[]; nextInMs: number | undefined } {
    const families: Family[] = [];
    let next = Infinity;
    for (const family of [...this.waiting]) {
      const at = (this.answeredAt.get(family) ?? 0) + this.intervalMs;
      if (at > now) {
        next = Math.min(next, at);
        continue;
      }
      this.waiting.delete(family);
      this.answeredAt.set(family, now);
      families.push(family);
    }
    return { families, nextInMs: next === Infinity ? undefined : Math.max(1, Math.ceil(next - now)) };
  }

  /** The connection is gone: a new one starts with no history. */
  clear(): void {
    this.answeredAt.clear();
    this.waiting.clear();
  }
}
