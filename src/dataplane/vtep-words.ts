// The VTEP table's address words, as the writer (vtep-table.ts) and readers
// in other threads (vtep-view.ts) both use them: an address is 16 bytes as
// four big-endian int32 words, IPv4 as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2).

/** Header words of the shared buffer: the seqlock count, the reclaim round. */
const HEADER_WORDS = 2;
export const VTEP_H_LOCK = 0;
export const VTEP_H_ROUND = 1;

/** A VTEP table's shared memory as another thread's VtepView opens it (VtepTable.share()). */
export interface VtepShare {
  buffer: SharedArrayBuffer;
  capacity: number;
  /** Hash table positions (a power of two). */
  size: number;
}

/** Bytes of the shared buffer: header, address words, hash table, generations, families. */
export function vtepSharedBytes(capacity: number, size: number): number {
  return HEADER_WORDS * 4 + capacity * 16 + size * 4 + capacity * 4 + capacity;
}

/** The parts of a shared buffer, as the writer and the readers view them. */
export function vtepArrays(share: VtepShare): {
  header: Int32Array;
  words: Int32Array;
  table: Int32Array;
  generations: Uint32Array;
  family: Uint8Array;
} {
  const { buffer, capacity, size } = share;
  const words = HEADER_WORDS * 4;
  const table = words + capacity * 16;
  const generations = table + size * 4;
  const family = generations + capacity * 4;
  return {
    header: new Int32Array(buffer, 0, HEADER_WORDS),
    words: new Int32Array(buffer, words, capacity * 4),
    table: new Int32Array(buffer, table, size),
    generations: new Uint32Array(buffer, generations, capacity),
    family: new Uint8Array(buffer, family, capacity),
  };
}

/** Load the 4- or 16-byte address at buf[offset] into key[0..3]. No allocation. */
export function loadKey(buf: Uint8Array, offset: number, length: number, key: Int32Array): void {
  if (length === 4) {
    key[0] = 0;
    key[1] = 0;
    key[2] = 0xffff;
    key[3] = (buf[offset]! << 24) | (buf[offset + 1]! << 16) | (buf[offset + 2]! << 8) | buf[offset + 3]!;
    return;
  }
  if (length !== 16) throw new RangeError(`a VTEP address is 4 or 16 bytes, got ${length}`);
  for (let k = 0; k < 4; k++) {
    const o = offset + (k << 2);
    key[k] = (buf[o]! << 24) | (buf[o + 1]! << 16) | (buf[o + 2]! << 8) | buf[o + 3]!;
  }
}

/** murmur3-style mix of four words (the address is not attacker-free: mix well). */
export function hashWords(a: number, b: number, c: number, d: number): number {
  let h = Math.imul(a ^ 0x2545f491, 0xcc9e2d51);
  h = Math.imul((h << 15) | (h >>> 17), 0x1b873593) ^ b;
  h = Math.imul((h << 13) | (h >>> 19), 5) + 0xe6546b64;
  h = Math.imul(h ^ c, 0xcc9e2d51);
  h = Math.imul((h << 15) | (h >>> 17), 0x1b873593) ^ d;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * Store the address of `index` as the UDP underlay's arrays hold it
 * (native-io writeAddress): IPv4 as one number at out[at], IPv6 as four
 * big-endian words at out[at * 4 ..]. No allocation.
 */
export function writeWordsOf(words: Int32Array, index: number, out: Uint32Array, at: number, stride: 1 | 4): void {
  const w = index << 2;
  if (stride === 1) {
    out[at] = words[w + 3]! >>> 0;
    return;
  }
  const o = at * 4;
  out[o] = words[w]! >>> 0;
  out[o + 1] = words[w + 1]! >>> 0;
  out[o + 2] = words[w + 2]! >>> 0;
  out[o + 3] = words[w + 3]! >>> 0;
}

/** Write the address of `index` (4 or 16 bytes by its family) at buf[offset]; the byte count, 0 for a free index. */
export function writeAddressOf(words: Int32Array, family: Uint8Array, index: number, buf: Uint8Array, offset: number): number {
  const fam = family[index];
  if (fam === 0) return 0;
  const w = index << 2;
  const first = fam === 4 ? 3 : 0;
  let o = offset;
  for (let k = first; k < 4; k++) {
    const v = words[w + k]!;
    buf[o++] = v >>> 24;
    buf[o++] = (v >>> 16) & 0xff;
    buf[o++] = (v >>> 8) & 0xff;
    buf[o++] = v & 0xff;
  }
  return o - offset;
}

/** Index of key[0..3] in an open-addressing table of index+1 (0 = empty), or ~(the empty position). */
export function probeTable(table: Int32Array, words: Int32Array, mask: number, key: Int32Array): number {
  const k0 = key[0]!;
  const k1 = key[1]!;
  const k2 = key[2]!;
  const k3 = key[3]!;
  let p = hashWords(k0, k1, k2, k3) & mask;
  for (let n = 0; n <= mask; n++) {
    const idx = table[p]! - 1;
    if (idx < 0) return ~p;
    const w = idx << 2;
    if (words[w + 3] === k3 && words[w + 2] === k2 && words[w + 1] === k1 && words[w] === k0) return idx;
    p = (p + 1) & mask;
  }
  // Only a reader racing a writer sees a full cycle: "not found", the read is retried.
  return ~0;
}

/**
 * Reading addresses by index, as the writer (VtepTable) and readers in other
 * threads (VtepView) both do over the same arrays. No allocation.
 */
export class VtepAddresses {
  constructor(
    /** 4 words per index: the address as 16 bytes, big-endian words. */
    protected readonly words: Int32Array,
    /** 0 = free, 4 = IPv4, 6 = IPv6, per index. */
    protected readonly family: Uint8Array,
    /**
     * Bumped each time an index is handed out, so per-index state kept
     * elsewhere (a worker's next-hop MACs too, outer-header.ts) can tell a
     * recycled index. Shared: a worker reads the writer's count.
     */
    protected readonly generations: Uint32Array,
  ) {}

  /** How many times `index` was handed out; state keyed by index is stale when this moved on. */
  generationOf(index: number): number {
    return this.generations[index]!;
  }

  /** True when the index currently holds an address. */
  has(index: number): boolean {
    return index >= 0 && index < this.family.length && this.family[index] !== 0;
  }

  /**
   * Store the address of `index` as the UDP underlay's arrays hold it
   * (native-io writeAddress): IPv4 as one number at out[at], IPv6 as four
   * big-endian words at out[at * 4 ..].
   */
  writeWords(index: number, out: Uint32Array, at: number, stride: 1 | 4): void {
    writeWordsOf(this.words, index, out, at, stride);
  }

  /** True when the index holds an IPv4 address. */
  isIpv4(index: number): boolean {
    return this.family[index] === 4;
  }

  /** IPv4 address of the index as an unsigned 32-bit number (host order). */
  ipv4(index: number): number {
    return this.words[(index << 2) + 3]! >>> 0;
  }

  /** Write the address (4 or 16 bytes) at buf[offset]; returns the byte count, 0 for a free index. */
  writeAddress(index: number, buf: Uint8Array, offset: number): number {
    return writeAddressOf(this.words, this.family, index, buf, offset);
  }
}
