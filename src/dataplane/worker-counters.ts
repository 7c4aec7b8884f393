// A forwarding worker's counters in a SharedArrayBuffer (docs/workers.md):
// the worker's forwarder counts straight into it (its LocalPort, VniState
// and Underlay arrays are views of it), the main thread adds every worker's
// block to its own counters when they are read. A reader may see a count a
// frame old, as any counter read while traffic flows.
//
// Layout, in Float64 cells: drops by reason, then PORT_COUNTERS per local
// port index (FDB entries name ports by the main thread's index, so a worker
// uses the same), then VNI_COUNTERS per VNI in `vnis` order, then
// UNDERLAY_COUNTERS per UDP port in `udpPorts` order.

import { DROP_REASON_COUNT } from './drop-reason.js';
import { PORT_COUNTERS, UNDERLAY_COUNTERS, VNI_COUNTERS } from './forwarder-state.js';

export interface CounterLayout {
  /** Local port indexes 0..ports-1. */
  ports: number;
  vnis: number[];
  udpPorts: number[];
}

export function workerCounterCells(l: CounterLayout): number {
  return DROP_REASON_COUNT + l.ports * PORT_COUNTERS + l.vnis.length * VNI_COUNTERS + l.udpPorts.length * UNDERLAY_COUNTERS;
}

export class WorkerCounters {
  readonly drops: Float64Array;
  private readonly cells: Float64Array;
  private readonly vniAt: Map<number, number>;
  private readonly udpAt: Map<number, number>;

  constructor(
    readonly buffer: SharedArrayBuffer,
    readonly layout: CounterLayout,
  ) {
    this.cells = new Float64Array(buffer);
    if (this.cells.length < workerCounterCells(layout)) throw new RangeError('worker counters: buffer smaller than its layout');
    this.drops = this.cells.subarray(0, DROP_REASON_COUNT);
    this.vniAt = new Map(layout.vnis.map((v, i) => [v, i]));
    this.udpAt = new Map(layout.udpPorts.map((p, i) => [p, i]));
  }

  static create(layout: CounterLayout): WorkerCounters {
    return new WorkerCounters(new SharedArrayBuffer(workerCounterCells(layout) * 8), layout);
  }

  /** P_* cells of local port `index`, or undefined when the layout has none. */
  port(index: number): Float64Array | undefined {
    if (index < 0 || index >= this.layout.ports) return undefined;
    const at = DROP_REASON_COUNT + index * PORT_COUNTERS;
    return this.cells.subarray(at, at + PORT_COUNTERS);
  }

  /** V_* cells of `vni`, or undefined. */
  vni(vni: number): Float64Array | undefined {
    const i = this.vniAt.get(vni);
    if (i === undefined) return undefined;
    const at = DROP_REASON_COUNT + this.layout.ports * PORT_COUNTERS + i * VNI_COUNTERS;
    return this.cells.subarray(at, at + VNI_COUNTERS);
  }

  /** U_* cells of UDP port `port`, or undefined. */
  underlay(port: number): Float64Array | undefined {
    const i = this.udpAt.get(port);
    if (i === undefined) return undefined;
    const at = DROP_REASON_COUNT + this.layout.ports * PORT_COUNTERS + this.layout.vnis.length * VNI_COUNTERS + i * UNDERLAY_COUNTERS;
    return this.cells.subarray(at, at + UNDERLAY_COUNTERS);
  }
}

/** `into` += every array of `blocks` (undefined ones skipped); returns `into`. Read-out path. */
export function addCounters(into: Float64Array, blocks: ReadonlyArray<Float64Array | undefined>): Float64Array {
  for (const b of blocks) {
    if (b === undefined) continue;
    for (let i = 0; i < into.length; i++) into[i]! += b[i]!;
  }
  return into;
}
