// Remote VTEP addresses interned to small integer indexes. The FDB and the
// flood lists store an index per entry (an Int32Array cell) instead of an
// address string; the forwarder turns the index back into 4 or 16 address
// bytes when it builds the outer header.
//
// Addresses are keyed as 16 bytes (IPv4 as ::ffff:a.b.c.d, RFC 4291 §2.5.5.2)
// in an open-addressing hash over preallocated Int32Arrays, so the data plane
// can intern the outer source address of a VXLAN datagram (static and
// multicast modes learn MAC -> outer source IP) without allocating.
//
// Indexes are reference counted by their holders (FDB entries, flood lists).
// An index whose count drops to zero is only recycled by reclaim(), which the
// owner calls between batches: an index read earlier in the same batch still
// names the same address when the batch is sent.
//
// The data plane may fill only its own share (learnedLimit): addresses it
// interns from outer source addresses (internLearned) are counted apart, and
// the rest of the table stays free for the control plane's flood lists and
// Type 2 next hops, so datagrams from many sources into a static VNI cannot
// starve an evpn VNI of VTEPs (README "Limits and defences"). A learned
// address ages with the FDB entries that hold it; one the control plane
// interns as well stops counting as learned.

//
// Other threads (forwarding workers, docs/workers.md) read the table through
// VtepView over its SharedArrayBuffer: the address words, the families and
// the hash table live there. This table stays the one writer (as the FDB,
// fdb-view.ts); an intern or a reclaim changes the hash table under a
// seqlock, so a reader's probe never walks a half-shifted cluster. The
// address words of an index are written only while the index is free, so
// reading them by index needs no lock, provided an index is not handed out
// again while a reader may still hold it: with holdReclaimed(1), a reclaimed
// index waits one more reclaim round (one second of the coarse clock) before
// it is reused.

import { formatIpv4, formatIpv6, parseIp } from '../wire/ip-address.js';
import { SeqLock } from './seqlock.js';
import { hashWords, loadKey, probeTable, VtepAddresses, vtepArrays, vtepSharedBytes, VTEP_H_LOCK, VTEP_H_ROUND, type VtepShare } from './vtep-words.js';

export type { VtepShare };

export class VtepTable extends VtepAddresses {
  /** Maximum number of distinct VTEP addresses held at once. */
  readonly capacity: number;
  private held = 0;

  private readonly refCount: Int32Array;
  private readonly header: Int32Array;
  private readonly lock: SeqLock;
  /** Reclaim rounds a freed index waits before reuse (holdReclaimed). */
  private hold = 0;
  /** Freed indexes still cooling, with the reclaim round they become free at. */
  private cooling: number[] = [];
  private round = 0;
  /** Text form, built on first use (CLI, events). */
  private readonly text: (string | undefined)[];
  /** Hash table of index+1 (0 = empty), at most half full. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly free: Int32Array;
  private freeTop = 0;
  /** Indexes never handed out yet start here. */
  private fresh = 0;
  /** Indexes whose count reached zero (or were interned and never retained). */
  private readonly pending: Int32Array;
  private pendingCount = 0;
  private readonly isPending: Uint8Array;
  private readonly scratch = new Uint8Array(16);

  /** Most addresses held for the data plane's learning at once (the rest is the control plane's reserve). */
  readonly learnedLimit: number;
  private learnedHeld = 0;
  /** 1 where the index was interned by the data plane only (internLearned). */
  private readonly learned: Uint8Array;
  /** Data-plane interns refused because the learned share was full (a counter). */
  learnRefused = 0;

  /**
   * `learnedLimit` defaults to three quarters of the capacity: a quarter
   * (1,024 of the default 4,096) is always left for the control plane.
   */
  constructor(capacity = 4096, learnedLimit = capacity - (capacity >>> 2)) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 24) {
      throw new RangeError(`VtepTable capacity must be an integer in 1..${1 << 24}, got ${capacity}`);
    }
    if (!Number.isInteger(learnedLimit) || learnedLimit < 0 || learnedLimit > capacity) {
      throw new RangeError(`VtepTable learnedLimit must be an integer in 0..${capacity}, got ${learnedLimit}`);
    }
    let size = 2;
    while (size < capacity * 2) size *= 2;
    const a = vtepArrays({ buffer: new SharedArrayBuffer(vtepSharedBytes(capacity, size)), capacity, size });
    super(a.words, a.family, a.generations);
    this.capacity = capacity;
    this.learnedLimit = learnedLimit;
    this.learned = new Uint8Array(capacity);
    this.header = a.header;
    this.lock = new SeqLock(this.header, VTEP_H_LOCK);
    this.table = a.table;
    this.mask = size - 1;
    this.refCount = new Int32Array(capacity);
    this.text = new Array<string | undefined>(capacity).fill(undefined);
    this.free = new Int32Array(capacity);
    this.pending = new Int32Array(capacity);
    this.isPending = new Uint8Array(capacity);
  }

  /** What a VtepView in another thread opens. */
  share(): VtepShare {
    return { buffer: this.header.buffer as SharedArrayBuffer, capacity: this.capacity, size: this.mask + 1 };
  }

  /**
   * Keep reclaimed indexes out of reuse for `rounds` more reclaim() calls
   * (default 0: reused at once). Readers in other threads need 1: an index
   * they looked up in the FDB an instant before it was released still names
   * its old address when they build the outer header.
   */
  holdReclaimed(rounds: number): void {
    this.hold = rounds;
  }

  /** Number of addresses held (referenced or awaiting reclaim). */
  get size(): number {
    return this.held;
  }

  /** Number of addresses held for data-plane learning only (counted against learnedLimit). */
  get learnedSize(): number {
    return this.learnedHeld;
  }

  /** Index of an address given as text (IPv4 or IPv6), adding it; -1 when full. Throws TypeError on bad text. */
  intern(address: string): number {
    const b = parseIp(address);
    return this.internBytes(b, 0, b.length);
  }

  /** Index of an address given as text, or -1. Throws TypeError on bad text. */
  find(address: string): number {
    const b = parseIp(address);
    return this.findBytes(b, 0, b.length);
  }

  /** Index of the 4- or 16-byte address at buf[offset], adding it; -1 when full. No allocation. */
  internBytes(buf: Uint8Array, offset: number, length: number): number {
    const i = this.probe(buf, offset, length);
    if (i >= 0) {
      // The control plane names it too: no longer the data plane's alone.
      if (this.learned[i] === 1) {
        this.learned[i] = 0;
        this.learnedHeld--;
      }
      return i;
    }
    return this.insert(~i, length);
  }

  /**
   * The data plane's intern (an outer source address to learn): as
   * internBytes, but a new address is refused (-1, counted in learnRefused)
   * once learnedLimit addresses are held for learning. No allocation.
   */
  internLearned(buf: Uint8Array, offset: number, length: number): number {
    const i = this.probe(buf, offset, length);
    if (i >= 0) return i;
    if (this.learnedHeld >= this.learnedLimit) {
      this.learnRefused++;
      return -1;
    }
    const idx = this.insert(~i, length);
    if (idx >= 0) {
      this.learned[idx] = 1;
      this.learnedHeld++;
    } else {
      this.learnRefused++;
    }
    return idx;
  }

  /** Add the key of the last probe at table position `pos`; -1 when full. */
  private insert(pos: number, length: number): number {
    let idx: number;
    if (this.freeTop > 0) idx = this.free[--this.freeTop]!;
    else if (this.fresh < this.capacity) idx = this.fresh++;
    else return -1;
    const w = idx << 2;
    const words = this.words;
    // Bumped before the address appears: a worker never pairs the new address with the old generation.
    this.generations[idx] = (this.generations[idx]! + 1) >>> 0;
    this.lock.writeBegin();
    words.set(this.key, w);
    this.family[idx] = length === 4 ? 4 : 6;
    this.table[pos] = idx + 1;
    this.lock.writeEnd();
    this.refCount[idx] = 0;
    this.held++;
    // Until someone retains it, it is reclaimable.
    this.markPending(idx);
    return idx;
  }

  /** Index of the 4- or 16-byte address at buf[offset], or -1. No allocation. */
  findBytes(buf: Uint8Array, offset: number, length: number): number {
    const i = this.probe(buf, offset, length);
    return i >= 0 ? i : -1;
  }

  /** Key of the last probe, as four int32 words (a scratch array: no tuple allocation). */
  private readonly key = new Int32Array(4);

  /** Index (>= 0) when found, else ~(empty table position). */
  private probe(buf: Uint8Array, offset: number, length: number): number {
    loadKey(buf, offset, length, this.key);
    return probeTable(this.table, this.words, this.mask, this.key);
  }

  /** Take a reference (an FDB entry or a flood list now names this index). */
  retain(index: number): void {
    this.refCount[index]!++;
  }

  /** Drop a reference; at zero the index becomes reclaimable. */
  release(index: number): void {
    if (--this.refCount[index]! === 0) this.markPending(index);
  }

  refs(index: number): number {
    return this.refCount[index]!;
  }

  private markPending(index: number): void {
    if (this.isPending[index] === 0) {
      this.isPending[index] = 1;
      this.pending[this.pendingCount++] = index;
    }
  }

  /**
   * Recycle the indexes nobody references any more. Call between batches
   * (the FDB's sweep() does): until then a released index keeps its address.
   * Returns how many were freed.
   */
  reclaim(): number {
    this.round++;
    Atomics.store(this.header, VTEP_H_ROUND, this.round);
    if (this.cooling.length > 0 && this.cooling[1]! <= this.round) {
      const still: number[] = [];
      for (let n = 0; n < this.cooling.length; n += 2) {
        if (this.cooling[n + 1]! <= this.round) this.free[this.freeTop++] = this.cooling[n]!;
        else still.push(this.cooling[n]!, this.cooling[n + 1]!);
      }
      this.cooling = still;
    }
    let freed = 0;
    for (let n = 0; n < this.pendingCount; n++) {
      const idx = this.pending[n]!;
      this.isPending[idx] = 0;
      if (this.refCount[idx] !== 0 || this.family[idx] === 0) continue;
      this.lock.writeBegin();
      this.unlink(idx);
      this.family[idx] = 0;
      this.lock.writeEnd();
      this.text[idx] = undefined;
      if (this.learned[idx] === 1) {
        this.learned[idx] = 0;
        this.learnedHeld--;
      }
      if (this.hold > 0) this.cooling.push(idx, this.round + this.hold);
      else this.free[this.freeTop++] = idx;
      this.held--;
      freed++;
    }
    this.pendingCount = 0;
    return freed;
  }

  /** Remove index from the hash table with backward-shift deletion. */
  private unlink(idx: number): void {
    const table = this.table;
    const words = this.words;
    const mask = this.mask;
    const w = idx << 2;
    let hole = hashWords(words[w]!, words[w + 1]!, words[w + 2]!, words[w + 3]!) & mask;
    while (table[hole] !== idx + 1) hole = (hole + 1) & mask;
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const other = table[j]! - 1;
      if (other < 0) break;
      const o = other << 2;
      const h = hashWords(words[o]!, words[o + 1]!, words[o + 2]!, words[o + 3]!) & mask;
      if (((j - h) & mask) >= ((j - hole) & mask)) {
        table[hole] = table[j]!;
        hole = j;
      }
    }
    table[hole] = 0;
  }

  /** Text form ("10.0.0.2", "2001:db8::2"); throws RangeError for a free index. */
  address(index: number): string {
    const cached = this.text[index];
    if (cached !== undefined) return cached;
    const n = this.writeAddress(index, this.scratch, 0);
    if (n === 0) throw new RangeError(`VTEP index ${index} is not in use`);
    const s = n === 4 ? formatIpv4(this.scratch, 0) : formatIpv6(this.scratch, 0);
    this.text[index] = s;
    return s;
  }

  /** Indexes referenced now (slow path: control-plane and read-out rate). */
  inUse(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.fresh; i++) if (this.family[i] !== 0 && this.refCount[i]! > 0) out.push(i);
    return out;
  }
}
