// Where the forwarder's learning goes (docs/workers.md). On the main thread
// the FDB itself (FdbLearner); in a forwarding worker, which only reads the
// shared tables, a refresh of what the table already holds or a record in
// the learn ring for the FDB's one writer (WorkerLearner), applied there by
// applyLearn. Both allocate nothing per frame.

import type { Fdb } from './fdb.js';
import { FDB_LOCAL, FDB_REMOTE } from './fdb.js';
import type { FdbView } from './fdb-view.js';
import type { LearnProducer, LearnRecord } from './learn-ring.js';
import { LEARN_KIND_LOCAL, LEARN_KIND_REMOTE } from './learn-ring.js';
import type { VtepTable } from './vtep-table.js';
import type { VtepView } from './vtep-view.js';

export interface Learner {
  /** The source MAC at buf[macOffset] was seen on local port `port`; ipBuf..ipLength: an address ARP bound to it. */
  learnLocal(vni: number, buf: Uint8Array, macOffset: number, port: number, tick: number, ipBuf?: Uint8Array, ipOffset?: number, ipLength?: number): void;
  /** The inner source MAC at buf[macOffset] came from the VTEP at src[srcAt..+srcLen] (static / multicast VNIs). */
  learnRemote(vni: number, buf: Uint8Array, macOffset: number, src: Uint8Array, srcAt: number, srcLen: number, tick: number): void;
}

/** The main thread: straight into the FDB and the VTEP table (their limits and events apply). */
export class FdbLearner implements Learner {
  constructor(
    private readonly fdb: Fdb,
    private readonly vteps: VtepTable,
  ) {}

  learnLocal(vni: number, buf: Uint8Array, macOffset: number, port: number, tick: number, ipBuf?: Uint8Array, ipOffset = 0, ipLength = 0): void {
    this.fdb.learnLocal(vni, buf, macOffset, port, tick, ipBuf, ipOffset, ipLength);
  }

  learnRemote(vni: number, buf: Uint8Array, macOffset: number, src: Uint8Array, srcAt: number, srcLen: number, tick: number): void {
    // Within the data plane's share of the VTEP table, as the kernel's vxlan learns.
    const idx = this.vteps.internLearned(src, srcAt, srcLen);
    if (idx >= 0) this.fdb.learnRemote(vni, buf, macOffset, idx, tick);
  }
}

/**
 * A forwarding worker: a frame from where the table already has its source
 * only stamps the entry's last-seen tick; anything else (new, moved, or not
 * yet written by the main thread) goes to the learn ring, once per tick.
 * `wake` is called when the main thread must be told (one message per batch).
 */
export class WorkerLearner implements Learner {
  constructor(
    private readonly fdb: FdbView,
    private readonly vteps: VtepView,
    private readonly ring: LearnProducer,
    private readonly wake: () => void,
  ) {}

  learnLocal(vni: number, buf: Uint8Array, macOffset: number, port: number, tick: number, ipBuf?: Uint8Array, ipOffset = 0, ipLength = 0): void {
    // RFC 7042 §2.1: a group source is never a station; the FDB would refuse it anyway.
    if ((buf[macOffset]! & 1) !== 0 || this.fdb.refresh(vni, buf, macOffset, FDB_LOCAL, port)) return;
    if (this.ring.push(LEARN_KIND_LOCAL, vni, buf, macOffset, port, tick, ipBuf, ipOffset, ipLength)) this.wake();
  }

  learnRemote(vni: number, buf: Uint8Array, macOffset: number, src: Uint8Array, srcAt: number, srcLen: number, tick: number): void {
    if ((buf[macOffset]! & 1) !== 0) return;
    const idx = this.vteps.findBytes(src, srcAt, srcLen);
    if (idx >= 0 && this.fdb.refresh(vni, buf, macOffset, FDB_REMOTE, idx)) return;
    if (this.ring.push(LEARN_KIND_REMOTE, vni, buf, macOffset, -1, tick, src, srcAt, srcLen)) this.wake();
  }
}

/** Apply one drained learn record on the main thread (LearnConsumer.drain's callback). */
export function applyLearn(learner: FdbLearner, r: LearnRecord, tick: number): void {
  const a = r.address;
  if (r.kind === LEARN_KIND_LOCAL) learner.learnLocal(r.vni, r.mac, 0, r.port, tick, a.length > 0 ? a : undefined, 0, a.length);
  else if (r.kind === LEARN_KIND_REMOTE && a.length > 0) learner.learnRemote(r.vni, r.mac, 0, a, 0, a.length, tick);
}
