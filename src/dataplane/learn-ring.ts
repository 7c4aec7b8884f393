// What a forwarding worker learns, on its way to the FDB's one writer (the
// main thread, fdb-view.ts): a single-producer single-consumer ring of
// fixed-size records in a SharedArrayBuffer, filled without allocation on
// the fast path and drained in batches.
//
// - A record is written, then published by storing the new head with
//   Atomics.store; the consumer loads the head with Atomics.load before it
//   reads records, so it never sees a half-written one (ECMAScript §29: the
//   sequentially consistent store/load pair orders the plain stores before).
// - Wake-ups: the producer notifies (the caller posts one message) only when
//   it is the first to set the `pending` flag; the consumer clears the flag
//   before it drains, so a record pushed during a drain either is drained or
//   sets the flag again. No record waits for a wake-up that never comes, and
//   there is one message per batch, not per frame.
// - Not once per frame: until the writer has written the entry (and
//   FdbView.refresh answers true), every frame of a new source would push the
//   same learn. A small direct-mapped filter of recent pushes lets one
//   (key, place) through per tick per worker.
// - A full ring drops the learn and counts it; the next frame from that
//   source learns again (learning is soft state).

import { macHi, macLo } from './fdb.js';

/** Local learn: MAC behind local port `target`; the address, if any, is one ARP snooping bound to it. */
export const LEARN_KIND_LOCAL = 1;
/** Remote learn (static / multicast VNIs): MAC behind the VTEP whose address (4 or 16 bytes) is in the record. */
export const LEARN_KIND_REMOTE = 2;

const H_HEAD = 0;
const H_TAIL = 1;
const H_PENDING = 2;
const H_DROPPED = 3;
const HEADER_WORDS = 4;
/** kind, vni, MAC hi, MAC lo, port, address length, address (4 words). */
const RECORD_WORDS = 10;
/** Entries of the producer's filter of recent pushes. */
const FILTER_SIZE = 1024;

/** Bytes of the shared buffer of a ring of `records` records (a power of two). */
export function learnRingBytes(records: number): number {
  return (HEADER_WORDS + records * RECORD_WORDS) * 4;
}

/** One record as the consumer sees it (reused between calls: copy what you keep). */
export interface LearnRecord {
  kind: number;
  vni: number;
  /** The MAC, 6 bytes. */
  mac: Uint8Array;
  /** Local port index (LEARN_KIND_LOCAL), else -1. */
  port: number;
  /** Address bytes: the snooped IP (local) or the outer source (remote); length 0 when none. */
  address: Uint8Array;
}

class RingMemory {
  readonly header: Int32Array;
  readonly records: Int32Array;
  readonly mask: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_WORDS);
    const n = (buffer.byteLength / 4 - HEADER_WORDS) / RECORD_WORDS;
    if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0) throw new RangeError(`learn ring: ${buffer.byteLength} bytes is not a power-of-two number of records`);
    this.records = new Int32Array(buffer, HEADER_WORDS * 4, n * RECORD_WORDS);
    this.mask = n - 1;
  }
}

/** The worker's end: push learns from the fast path. */
export class LearnProducer {
  private readonly m: RingMemory;
  private readonly filterKey = new Int32Array(FILTER_SIZE * 4);
  private readonly filterTick = new Float64Array(FILTER_SIZE).fill(-1);

  constructor(buffer: SharedArrayBuffer) {
    this.m = new RingMemory(buffer);
  }

  /**
   * Queue a learn of the MAC at buf[macOffset..+6] in `vni`, behind local
   * `port` (kind LOCAL) or behind the VTEP at addr[addrOffset..+addrLength]
   * (kind REMOTE). Returns true when the consumer must be woken (the caller
   * posts one message); false when it is awake already, or the learn was
   * filtered (pushed this tick already) or dropped (ring full).
   */
  push(
    kind: number,
    vni: number,
    buf: Uint8Array,
    macOffset: number,
    port: number,
    tick: number,
    addr?: Uint8Array,
    addrOffset = 0,
    addrLength = 0,
  ): boolean {
    const hi = macHi(buf, macOffset);
    const lo = macLo(buf, macOffset);
    // Where the MAC is: the port, or the first address word (enough to tell VTEPs apart for the filter).
    const place = kind === LEARN_KIND_LOCAL ? port : addrLength >= 4 ? (addr![addrOffset + addrLength - 4]! << 24) | (addr![addrOffset + addrLength - 3]! << 16) | (addr![addrOffset + addrLength - 2]! << 8) | addr![addrOffset + addrLength - 1]! : 0;
    const f = (Math.imul(lo ^ Math.imul(hi ^ vni, 0x9e3779b1), 0x85ebca6b) >>> 22) & (FILTER_SIZE - 1);
    const fk = this.filterKey;
    const fb = f << 2;
    if (this.filterTick[f] === tick && fk[fb] === vni && fk[fb + 1] === hi && fk[fb + 2] === lo && fk[fb + 3] === (place ^ kind)) return false;
    const m = this.m;
    const h = m.header;
    const head = Atomics.load(h, H_HEAD);
    if (((head - Atomics.load(h, H_TAIL)) | 0) > m.mask) {
      Atomics.add(h, H_DROPPED, 1);
      return false;
    }
    fk[fb] = vni;
    fk[fb + 1] = hi;
    fk[fb + 2] = lo;
    fk[fb + 3] = place ^ kind;
    this.filterTick[f] = tick;
    const r = m.records;
    const b = (head & m.mask) * RECORD_WORDS;
    r[b] = kind;
    r[b + 1] = vni;
    r[b + 2] = hi;
    r[b + 3] = lo;
    r[b + 4] = kind === LEARN_KIND_LOCAL ? port : -1;
    const n = addrLength === 4 || addrLength === 16 ? addrLength : 0;
    r[b + 5] = n;
    for (let w = 0; w < n >> 2; w++) {
      const o = addrOffset + (w << 2);
      r[b + 6 + w] = (addr![o]! << 24) | (addr![o + 1]! << 16) | (addr![o + 2]! << 8) | addr![o + 3]!;
    }
    Atomics.store(h, H_HEAD, (head + 1) | 0);
    return Atomics.compareExchange(h, H_PENDING, 0, 1) === 0;
  }

  /** Learns dropped because the ring was full. */
  get dropped(): number {
    return Atomics.load(this.m.header, H_DROPPED);
  }
}

/** The main thread's end: drain what the worker pushed. */
export class LearnConsumer {
  private readonly m: RingMemory;
  private readonly record: LearnRecord = { kind: 0, vni: 0, mac: new Uint8Array(6), port: -1, address: new Uint8Array(0) };
  private readonly addr4 = new Uint8Array(4);
  private readonly addr16 = new Uint8Array(16);
  private readonly none = new Uint8Array(0);

  constructor(buffer: SharedArrayBuffer) {
    this.m = new RingMemory(buffer);
  }

  /** Hand every queued record to `apply`, oldest first; returns how many. */
  drain(apply: (r: LearnRecord) => void): number {
    const m = this.m;
    const h = m.header;
    Atomics.store(h, H_PENDING, 0);
    const head = Atomics.load(h, H_HEAD);
    let tail = Atomics.load(h, H_TAIL);
    let n = 0;
    const rec = this.record;
    const r = m.records;
    while (tail !== head) {
      const b = (tail & m.mask) * RECORD_WORDS;
      rec.kind = r[b]!;
      rec.vni = r[b + 1]!;
      const hi = r[b + 2]!;
      const lo = r[b + 3]!;
      rec.mac[0] = hi >>> 8;
      rec.mac[1] = hi;
      rec.mac[2] = lo >>> 24;
      rec.mac[3] = lo >>> 16;
      rec.mac[4] = lo >>> 8;
      rec.mac[5] = lo;
      rec.port = r[b + 4]!;
      const len = r[b + 5]!;
      const a = len === 4 ? this.addr4 : len === 16 ? this.addr16 : this.none;
      for (let w = 0; w < len >> 2; w++) {
        const v = r[b + 6 + w]!;
        a[w << 2] = v >>> 24;
        a[(w << 2) + 1] = v >>> 16;
        a[(w << 2) + 2] = v >>> 8;
        a[(w << 2) + 3] = v;
      }
      rec.address = a;
      // Free the slot only after it was read.
      tail = (tail + 1) | 0;
      Atomics.store(h, H_TAIL, tail);
      apply(rec);
      n++;
    }
    return n;
  }

  /** Learns the producer dropped because the ring was full. */
  get dropped(): number {
    return Atomics.load(this.m.header, H_DROPPED);
  }
}
