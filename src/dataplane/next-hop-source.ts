// Where the dataplane learns the way to each remote VTEP, so it can write the
// outer Ethernet header itself: the next hop's MAC on the underlay link,
// followed as the kernel's routes and neighbours change. NextHopResolver
// (rtnetlink, next-hop-resolver.ts) is the implementation; tests give their
// own.

import type { NextHop } from './next-hop.js';

export type { NextHop };

export interface NextHopSource {
  /** Start following `address`; returns what is known now (maybe 'unresolved' first, a 'change' follows). */
  watch(address: string): NextHop;
  unwatch(address: string): void;
  /** A watched address's next hop changed. */
  on(event: 'change', listener: (hop: NextHop) => void): unknown;
  close(): void;
}
