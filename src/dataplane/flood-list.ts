// Per-VNI flood lists for head-end replication: the VTEPs that get a copy of
// every broadcast, unknown-unicast and multicast frame of the VNI (RFC 7432
// §11 / RFC 8365 §8.3: filled from Type 3 routes in evpn mode, from config
// in static mode).
//
// The forwarder reads get(vni) once per BUM frame: an Int32Array of VTEP
// indexes (see vtep-table.ts). A list is never modified after it is
// published; a change builds a new array (control-plane rate, not packet
// rate), so a forwarder holding the old array mid-batch sees a consistent
// list. Split horizon (never back to the VTEP a frame came from) is the
// forwarder's loop skipping its source index.

import { VniIndex } from './vni-index.js';
import type { VtepTable } from './vtep-table.js';

const EMPTY = new Int32Array(0);

export class FloodLists {
  private readonly vnis: VniIndex;
  /** Dense VNI slot -> published list. */
  private readonly lists: Int32Array[];
  /** Told of every published list, so forwarding workers hold the same (table-replica.ts). */
  onPublish: ((vni: number, list: Int32Array) => void) | null = null;

  constructor(
    private readonly vteps: VtepTable,
    maxVnis = 4096,
  ) {
    this.vnis = new VniIndex(maxVnis);
    this.lists = new Array<Int32Array>(maxVnis).fill(EMPTY);
  }

  /** Hot path: VTEP indexes to replicate to for `vni` (empty when none). No allocation. */
  get(vni: number): Int32Array {
    const s = this.vnis.find(vni);
    return s < 0 ? EMPTY : this.lists[s]!;
  }

  /**
   * Replace the list of `vni` (setFloodList of the FDB API). Duplicates are
   * dropped; order is kept. Throws TypeError on a bad address, RangeError when
   * the VTEP table or the VNI index is full (nothing is changed then).
   */
  set(vni: number, addresses: readonly string[]): void {
    checkVni(vni);
    const { wanted, refused } = this.intern(addresses);
    if (refused.length > 0) throw new RangeError(`VTEP table full (${this.vteps.capacity} addresses): cannot add ${refused[0]}`);
    this.publish(vni, wanted);
  }

  /**
   * As set(), but with the VTEP table full the addresses that fit are
   * published and the others returned (the control plane's path: a full
   * table is counted and logged, never thrown into an UPDATE handler).
   * Throws TypeError on a bad address, RangeError on a bad VNI.
   */
  setFitting(vni: number, addresses: readonly string[]): string[] {
    checkVni(vni);
    const { wanted, refused } = this.intern(addresses);
    this.publish(vni, wanted);
    return refused;
  }

  /** Indexes of `addresses` (duplicates dropped, order kept) and those the full table refused. */
  private intern(addresses: readonly string[]): { wanted: number[]; refused: string[] } {
    const wanted: number[] = [];
    const refused: string[] = [];
    for (const a of addresses) {
      const idx = this.vteps.intern(a);
      if (idx < 0) refused.push(a);
      else if (!wanted.includes(idx)) wanted.push(idx);
    }
    return { wanted, refused };
  }

  /** Add one VTEP (a Type 3 route arrived). Returns false when it was already listed. */
  add(vni: number, address: string): boolean {
    checkVni(vni);
    const idx = this.vteps.intern(address);
    if (idx < 0) throw new RangeError(`VTEP table full (${this.vteps.capacity} addresses): cannot add ${address}`);
    const cur = this.get(vni);
    if (cur.includes(idx)) return false;
    this.publish(vni, [...cur, idx]);
    return true;
  }

  /** Remove one VTEP (its Type 3 route was withdrawn). Returns false when it was not listed. */
  remove(vni: number, address: string): boolean {
    checkVni(vni);
    const idx = this.vteps.find(address);
    const cur = this.get(vni);
    if (idx < 0 || !cur.includes(idx)) return false;
    this.publish(
      vni,
      Array.from(cur).filter((x) => x !== idx),
    );
    return true;
  }

  /** Drop the whole list of `vni`. */
  clear(vni: number): void {
    this.publish(vni, []);
  }

  /** Addresses of the list, in order (CLI, tests). */
  addresses(vni: number): string[] {
    return Array.from(this.get(vni), (i) => this.vteps.address(i));
  }

  /** VNIs that have a non-empty list, ascending. */
  vniList(): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.lists.length; s++) if (this.lists[s]!.length > 0) out.push(this.vnis.vniAt(s));
    return out.sort((a, b) => a - b);
  }

  private publish(vni: number, indexes: number[]): void {
    let s = this.vnis.find(vni);
    if (s < 0) {
      if (indexes.length === 0) return;
      s = this.vnis.add(vni);
      if (s < 0) throw new RangeError(`too many VNIs with flood lists (${this.vnis.capacity})`);
    }
    const old = this.lists[s]!;
    // Retain the new before releasing the old: a VTEP in both never hits zero.
    for (const i of indexes) this.vteps.retain(i);
    for (const i of old) this.vteps.release(i);
    if (indexes.length === 0) {
      this.lists[s] = EMPTY;
      this.vnis.remove(vni);
    } else {
      this.lists[s] = Int32Array.from(indexes);
    }
    this.onPublish?.(vni, this.get(vni));
  }
}

function checkVni(vni: number): void {
  if (!Number.isInteger(vni) || vni < 0 || vni > 0xffffff) {
    throw new RangeError(`VNI must be an integer in 0..16777215, got ${vni}`);
  }
}
