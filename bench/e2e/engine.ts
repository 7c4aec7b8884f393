// A VTEP under test in the switch namespace: the kernel's bridge + vxlan,
// Open vSwitch's userspace datapath, or vxswitch in its own process. Each
// forwards VNI VNI between the member port and the underlay, knows DST_MAC as
// behind REMOTE_VTEP (known unicast) and floods to REMOTE_VTEP (topology.ts).

import type { Topology } from './topology.js';

export const ENGINE_NAMES = ['kernel', 'ovs', 'vxswitch'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];
/** How tables and the chart name each engine. */
export const ENGINE_LABELS: Record<EngineName, string> = { kernel: 'kernel', ovs: 'OVS', vxswitch: 'vxswitch' };

export function isEngineName(s: string): s is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(s);
}

/**
 * Host settings an engine cannot carry TCP without while hosts are at their
 * default offloads. Applied around that engine's TCP runs only, and named
 * next to the figures it changes.
 */
export interface TcpWorkaround {
  /** What was changed, for the table's footnote. */
  readonly label: string;
  /** Apply (true) or undo (false). */
  set(t: Topology, applied: boolean): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  start(t: Topology): Promise<void>;
  /** Stop and remove everything start() made; safe to call twice. */
  stop(): Promise<void>;
  /** The switch process, when the engine is one (its CPU time is the VTEP's). */
  pid?(): number | undefined;
  /** Lines worth printing after stop (counters, warnings). */
  notes?(): string[];
  readonly tcpWorkaround?: TcpWorkaround;
}
