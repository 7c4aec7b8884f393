// 24-bit VNI -> dense slot number (0 .. capacity-1), so per-VNI state (entry
// counts, limits, flood lists) lives in plain arrays indexed by slot instead of
// a Map. Open addressing with linear probing and backward-shift deletion over
// preallocated Int32Arrays: find/add/remove never allocate.

/** Largest VNI (RFC 7348 §5: the VNI is 24 bits). */
export const MAX_VNI = 0xffffff;

export class VniIndex {
  /** Maximum number of distinct VNIs held at once. */
  readonly capacity: number;
  private held = 0;

  /** Hash table of slot+1 (0 = empty); at most half full. */
  private readonly table: Int32Array;
  private readonly mask: number;
  private readonly shift: number;
  /** Dense slot -> VNI, -1 when the slot is free. */
  private readonly vnis: Int32Array;
  /** Stack of free dense slots. */
  private readonly free: Int32Array;
  private freeTop: number;

  constructor(capacity = 4096) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1 << 24) {
      throw new RangeError(`VniIndex capacity must be an integer in 1..${1 << 24}, got ${capacity}`);
    }
    this.capacity = capacity;
    let bits = 1;
    while (1 << bits < capacity * 2) bits++;
    this.table = new Int32Array(1 << bits);
    this.mask = (1 << bits) - 1;
    this.shift = 32 - bits;
    this.vnis = new Int32Array(capacity).fill(-1);
    this.free = new Int32Array(capacity);
    // Hand out slot 0 first: the stack top is the end of the array.
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  /** Number of VNIs held. */
  get size(): number {
    return this.held;
  }

  /** Fibonacci hashing: VNIs are often consecutive, the multiply spreads them. */
  private home(vni: number): number {
    return Math.imul(vni, 0x9e3779b1) >>> this.shift;
  }

  /** Dense slot of `vni`, or -1. */
  find(vni: number): number {
    const table = this.table;
    const vnis = this.vnis;
    const mask = this.mask;
    let i = this.home(vni);
    for (;;) {
      const s = table[i]! - 1;
      if (s < 0) return -1;
      if (vnis[s] === vni) return s;
      i = (i + 1) & mask;
    }
  }

  /** Slot of `vni`, adding it if absent; -1 when the index is full. */
  add(vni: number): number {
    const table = this.table;
    const vnis = this.vnis;
    const mask = this.mask;
    let i = this.home(vni);
    for (;;) {
      const s = table[i]! - 1;
      if (s < 0) break;
      if (vnis[s] === vni) return s;
      i = (i + 1) & mask;
    }
    if (this.freeTop === 0) return -1;
    const s = this.free[--this.freeTop]!;
    vnis[s] = vni;
    table[i] = s + 1;
    this.held++;
    return s;
  }

  /** Remove `vni`; its slot number may be handed out again by a later add(). */
  remove(vni: number): boolean {
    const table = this.table;
    const vnis = this.vnis;
    const mask = this.mask;
    let hole = this.home(vni);
    for (;;) {
      const s = table[hole]! - 1;
      if (s < 0) return false;
      if (vnis[s] === vni) break;
      hole = (hole + 1) & mask;
    }
    const slot = table[hole]! - 1;
    vnis[slot] = -1;
    this.free[this.freeTop++] = slot;
    this.held--;
    // Backward-shift deletion (no tombstones): pull later members of the
    // cluster into the hole when the hole lies between their home and them.
    let j = hole;
    for (;;) {
      j = (j + 1) & mask;
      const s = table[j]! - 1;
      if (s < 0) break;
      const h = this.home(vnis[s]!);
      if (((j - h) & mask) >= ((j - hole) & mask)) {
        table[hole] = table[j]!;
        hole = j;
      }
    }
    table[hole] = 0;
    return true;
  }

  /** VNI held in `slot`, or -1 when the slot is free. */
  vniAt(slot: number): number {
    return this.vnis[slot]!;
  }
}
