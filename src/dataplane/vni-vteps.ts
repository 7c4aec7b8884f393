// The remote VTEPs the control plane placed in one evpn VNI: those in its
// flood list (Type 3, RFC 8365 §8.3) and those a Type 2 route of the VNI
// names as next hop (RFC 7432 §9.2.2). In evpn mode a datagram is accepted
// into a VNI only from one of these (RFC 8365 §8.3.1 leaves the check to the
// implementation; a VTEP known in another VNI, or learned in a static one,
// is no member here).
//
// The fast path asks has(index): one typed-array read. The reference count
// per VTEP index (flood list + Type 2 entries) lives in a Map on the slow
// path, changed at control-plane rate by the Dataplane's FDB API.

export class VniVteps {
  /** 1 where the VTEP index is a member (the fast path's view). */
  private readonly member: Uint8Array;
  /** VTEP index -> references (flood list: 1, plus one per Type 2 entry pointing there). */
  private readonly refs = new Map<number, number>();
  /** Told when a VTEP becomes or stops being a member, so forwarding workers hold the same (table-replica.ts). */
  onMember: ((index: number, member: boolean) => void) | null = null;

  constructor(vtepCapacity: number) {
    this.member = new Uint8Array(vtepCapacity);
  }

  /** Hot path: is VTEP `index` (from VtepTable.findBytes, >= 0) a member? No allocation. */
  has(index: number): boolean {
    return this.member[index] === 1;
  }

  /** One more reference to VTEP `index`. */
  add(index: number): void {
    this.refs.set(index, (this.refs.get(index) ?? 0) + 1);
    if (this.member[index] === 1) return;
    this.member[index] = 1;
    this.onMember?.(index, true);
  }

  /** Set membership as the main thread's copy says (a worker's copy, table-replica.ts). */
  setMember(index: number, member: boolean): void {
    this.member[index] = member ? 1 : 0;
  }

  /** Member VTEP indexes (a worker's snapshot, slow path). */
  members(): number[] {
    return [...this.refs.keys()];
  }

  /** One reference fewer; the VTEP stops being a member at zero. */
  remove(index: number): void {
    const n = this.refs.get(index);
    if (n === undefined) return;
    if (n > 1) {
      this.refs.set(index, n - 1);
      return;
    }
    this.refs.delete(index);
    this.member[index] = 0;
    this.onMember?.(index, false);
  }

  /** Number of member VTEPs (CLI, tests). */
  get size(): number {
    return this.refs.size;
  }
}
