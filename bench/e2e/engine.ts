// A VTEP under test in the switch namespace: the kernel's bridge + vxlan, or
// vxswitch in its own process. Both forward VNI VNI between the member port
// and the underlay, know DST_MAC as behind REMOTE_VTEP (known unicast) and
// flood to REMOTE_VTEP (topology.ts).

import type { Topology } from './topology.js';

export interface Engine {
  readonly name: string;
  start(t: Topology): Promise<void>;
  /** Stop and remove everything start() made; safe to call twice. */
  stop(): Promise<void>;
  /** The switch process, when the engine is one (its CPU time is the VTEP's). */
  pid?(): number | undefined;
  /** Lines worth printing after stop (counters, warnings). */
  notes?(): string[];
}
