// A reader's view of the FDB from another thread (a forwarding worker,
// docs/workers.md): lookups over the table's SharedArrayBuffer, no locks.
//
// Discipline: single writer + seqlock.
// - One writer: the Fdb on the main thread is the only code that inserts,
//   moves or removes entries. Limits, learning rates, MAC mobility sequence
//   numbers and the events the control plane consumes all need one place that
//   sees every change in order; workers send what they learn there in
//   batches (learn-ring.ts) instead of writing. With one writer there is no
//   writer-writer race to lock against.
// - A seqlock (seqlock.ts) over the whole table for readers: a write is a few
//   word stores, or a backward-shift deletion that moves entries between
//   slots (fdb.ts), during which a probe could walk past an entry that is
//   being shifted and report a MAC missing, or pair one slot's key with
//   another's target. Readers note the count, probe, copy what they need and
//   check the count; a read that overlapped a write is retried, so a frame
//   never goes to a target the table did not hold at one instant. A stripe
//   per cache line would let more reads through during a write, but writes
//   come at control-plane rate (learns, routes, aging) and last well under
//   a microsecond, so one count is simpler and costs the same.
// - After a bounded number of retries (the writer thread descheduled in the
//   middle of a write) the lookup answers "not found": the forwarder floods
//   the frame as unknown unicast in its VNI, which is correct forwarding,
//   never a misdelivery. Such give-ups are counted.
// - The one store a reader makes is the last-seen tick of an entry it just
//   found at the same place (a refresh). It is a benign race: if the writer
//   shifted another entry into that slot meanwhile, that entry is refreshed
//   once by mistake (it ages one period later); the store is redone when
//   the count moved, so the entry looked up is refreshed too.

import { fdbArrays, fdbHash, macHi, macLo, FDB_LOCAL, FDB_REMOTE, H_LOCK, H_TICK, probeSlot, type FdbShare } from './fdb.js';
import { SeqLock } from './seqlock.js';

/** Consistent reads tried before a lookup answers "not found". */
const MAX_READ_TRIES = 64;
const KIND_MASK = 3;

export class FdbView {
  readonly capacity: number;
  private readonly mask: number;
  private readonly seed: number;
  private readonly header: Int32Array;
  private readonly lock: SeqLock;
  private readonly hot: Int32Array;
  private readonly seen: Uint32Array;
  /** What the last successful lookup found (kindAt / targetAt / flagsAt answer from it). */
  private lastKind = 0;
  private lastTarget = -1;
  private lastFlags = 0;
  /** Reads retried because a write overlapped them. */
  retries = 0;
  /** Lookups that answered "not found" after MAX_READ_TRIES overlapping writes. */
  gaveUp = 0;

  constructor(share: FdbShare) {
    this.capacity = share.capacity;
    this.mask = share.capacity - 1;
    this.seed = share.seed;
    const shared = fdbArrays(share.buffer, share.capacity);
    this.header = shared.header;
    this.lock = new SeqLock(this.header, H_LOCK);
    this.hot = shared.hot;
    this.seen = shared.seen;
  }

  /** The coarse clock the writer published. */
  get tick(): number {
    return Atomics.load(this.header, H_TICK);
  }

  /**
   * Slot of (vni, MAC at buf[macOffset..+6]) at one instant, or -1. The
   * entry's kind and target are copied in the same consistent read:
   * kindAt / targetAt / flagsAt return them until the next lookup.
   */
  lookup(vni: number, buf: Uint8Array, macOffset: number): number {
    const hi = macHi(buf, macOffset);
    const lo = macLo(buf, macOffset);
    const hot = this.hot;
    const home = fdbHash(vni, hi, lo, this.seed) & this.mask;
    for (let tries = 0; tries < MAX_READ_TRIES; tries++) {
      const start = this.lock.readBegin();
      const slot = probeSlot(hot, this.mask, home, vni, hi, lo);
      // Copied inside the read: valid only together with the slot.
      const w0 = slot >= 0 ? hot[slot << 2]! : 0;
      const target = slot >= 0 ? hot[(slot << 2) + 3]! : -1;
      if (this.lock.readValid(start)) {
        if (slot >= 0) {
          this.lastFlags = w0 & 0xff;
          this.lastKind = w0 & KIND_MASK;
          this.lastTarget = target;
        }
        return slot;
      }
      this.retries++;
    }
    this.gaveUp++;
    return -1;
  }

  /** Entry kind (FDB_LOCAL / FDB_REMOTE) found by the last lookup; `slot` is that lookup's answer. */
  kindAt(_slot: number): number {
    return this.lastKind;
  }

  /** Local port or VTEP index found by the last lookup. */
  targetAt(_slot: number): number {
    return this.lastTarget;
  }

  /** Flags byte (kind | origin | sticky) found by the last lookup. */
  flagsAt(_slot: number): number {
    return this.lastFlags;
  }

  /**
   * A frame from (vni, MAC) arrived from `kind` (FDB_LOCAL / FDB_REMOTE)
   * `target`: if the table already holds exactly that, stamp its last-seen
   * tick and return true (nothing for the writer to do); else false (the
   * caller sends the learn to the writer).
   */
  refresh(vni: number, buf: Uint8Array, macOffset: number, kind: number, target: number): boolean {
    for (let tries = 0; tries < 2; tries++) {
      const start = this.lock.readBegin();
      const slot = this.lookup(vni, buf, macOffset);
      if (slot < 0 || this.lastKind !== kind || this.lastTarget !== target) return false;
      this.seen[slot] = Atomics.load(this.header, H_TICK);
      // The entry did not move while we stamped it: done. Else stamp where it is now.
      if (this.lock.readValid(start)) return true;
    }
    return true;
  }
}

export { FDB_LOCAL, FDB_REMOTE };
