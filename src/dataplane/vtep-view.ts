// A reader's view of the VTEP table from another thread (a forwarding
// worker, docs/workers.md), over the table's SharedArrayBuffer. The table
// on the main thread is the one writer (vtep-table.ts says what is under
// its seqlock and why reading an index's address needs none).

import { SeqLock } from './seqlock.js';
import { VTEP_H_ROUND, type VtepShare } from './vtep-table.js';
import { loadKey, probeTable, writeAddressOf, writeWordsOf } from './vtep-words.js';

/** Consistent probes tried before findBytes answers "not found" (the writer descheduled mid-write). */
const MAX_READ_TRIES = 64;
const HEADER_WORDS = 2;

export class VtepView {
  readonly capacity: number;
  private readonly header: Int32Array;
  private readonly lock: SeqLock;
  private readonly words: Int32Array;
  private readonly table: Int32Array;
  private readonly family: Uint8Array;
  private readonly mask: number;
  private readonly key = new Int32Array(4);
  /** Probes retried because a write overlapped them. */
  retries = 0;
  gaveUp = 0;

  constructor(share: VtepShare) {
    this.capacity = share.capacity;
    this.mask = share.size - 1;
    const words = HEADER_WORDS * 4;
    const table = words + share.capacity * 16;
    const family = table + share.size * 4;
    this.header = new Int32Array(share.buffer, 0, HEADER_WORDS);
    this.lock = new SeqLock(this.header, 0);
    this.words = new Int32Array(share.buffer, words, share.capacity * 4);
    this.table = new Int32Array(share.buffer, table, share.size);
    this.family = new Uint8Array(share.buffer, family, share.capacity);
  }

  /**
   * The writer's reclaim round. An index found in round r names the same
   * address until round r + hold (VtepTable.holdReclaimed); a worker's batch
   * lasts far less than the second between two rounds.
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

  /** As VtepTable.writeWords: the address of `index` as the UDP underlay's arrays hold it. */
  writeWords(index: number, out: Uint32Array, at: number, stride: 1 | 4): void {
    writeWordsOf(this.words, index, out, at, stride);
  }

  isIpv4(index: number): boolean {
    return this.family[index] === 4;
  }

  ipv4(index: number): number {
    return this.words[(index << 2) + 3]! >>> 0;
  }

  /** Write the address (4 or 16 bytes) at buf[offset]; returns the byte count, 0 for a free index. */
  writeAddress(index: number, buf: Uint8Array, offset: number): number {
    return writeAddressOf(this.words, this.family, index, buf, offset);
  }
}
