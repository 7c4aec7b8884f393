// A reader's view of the VTEP table from another thread (a forwarding
// worker, docs/workers.md), over the table's SharedArrayBuffer. The table
// on the main thread is the one writer (vtep-table.ts says what is under
// its seqlock and why reading an index's address needs none).

import { SeqLock } from './seqlock.js';
import { loadKey, probeTable, VtepAddresses, vtepArrays, VTEP_H_LOCK, VTEP_H_ROUND, type VtepShare } from './vtep-words.js';

/** Consistent probes tried before findBytes answers "not found" (the writer descheduled mid-write). */
const MAX_READ_TRIES = 64;

export class VtepView extends VtepAddresses {
  readonly capacity: number;
  private readonly header: Int32Array;
  private readonly lock: SeqLock;
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly key = new Int32Array(4);
  /** Probes retried because a write overlapped them. */
  retries = 0;
  gaveUp = 0;

  constructor(share: VtepShare) {
    const a = vtepArrays(share);
    super(a.words, a.family, a.generations);
    this.capacity = share.capacity;
    this.mask = share.size - 1;
    this.header = a.header;
    this.lock = new SeqLock(this.header, VTEP_H_LOCK);
    this.table = a.table;
  }

  /**
   * The writer's reclaim round. An index found in round r names the same
   * address until round r + 1 + hold (VtepTable.holdReclaimed); a worker's
   * batch lasts far less than the second between two rounds.
   */
  get round(): number {
    return Atomics.load(this.header, VTEP_H_ROUND);
  }

  /** Index of the 4- or 16-byte address at buf[offset] at one instant, or -1. No allocation. */
  findBytes(buf: Uint8Array, offset: number, length: number): number {
    loadKey(buf, offset, length, this.key);
    for (let tries = 0; tries < MAX_READ_TRIES; tries++) {
      const start = this.lock.readBegin();
      const i = probeTable(this.table, this.words, this.mask, this.key);
      if (this.lock.readValid(start)) return i >= 0 ? i : -1;
      this.retries++;
    }
    this.gaveUp++;
    return -1;
  }
}
