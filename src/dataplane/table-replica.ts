// The small tables a forwarding worker reads besides the FDB and the VTEP
// table (docs/workers.md): flood lists, remote neighbours for ARP
// suppression, the underlay link's next-hop MACs, and which VTEPs are
// members of each evpn VNI (vni-vteps.ts). They change at
// control-plane rate, so the main thread (their one writer) sends each
// change as a message and every worker applies it to its own copy; a worker
// (re)started later gets a snapshot first. A late copy only delays
// convergence by a message, as a late Type 3 or Type 2 route would.
//
// VTEPs travel as indexes of the shared VTEP table. A next hop is valid in a
// worker only while the index's generation (shared, vtep-words.ts) is the one
// it was resolved at, exactly as on the main thread (outer-header.ts).

import type { FloodLists } from './flood-list.js';
import { NeighborTable } from './neighbor-table.js';
import { OuterHeaders, type OuterListener, type OuterVteps } from './outer-header.js';
import { VniVteps } from './vni-vteps.js';

/** One change, as posted to a worker (structured clone: typed arrays travel as copies). */
export type TableMessage =
  | { t: 'flood'; vni: number; list: Int32Array }
  | { t: 'neighbor'; vni: number; ip: string; mac: string | null }
  | { t: 'sourceMac'; mac: Uint8Array }
  | { t: 'nextHop'; index: number; mac: Uint8Array | null }
  | { t: 'group'; index: number }
  | { t: 'member'; vni: number; index: number; member: boolean };

const EMPTY = new Int32Array(0);

/** A worker's flood lists: published whole, as the main thread's (flood-list.ts). */
export class FloodListCopy {
  private readonly lists = new Map<number, Int32Array>();

  /** Hot path: VTEP indexes to replicate to for `vni`. No allocation. */
  get(vni: number): Int32Array {
    return this.lists.get(vni) ?? EMPTY;
  }

  set(vni: number, list: Int32Array): void {
    if (list.length === 0) this.lists.delete(vni);
    else this.lists.set(vni, list);
  }
}

/** Hook one evpn VNI's member VTEPs (the owner calls it when it adds the VNI). */
export function feedMembers(send: (msg: TableMessage) => void, vni: number, members: VniVteps): void {
  members.onMember = (index, member) => send({ t: 'member', vni, index, member });
}

/**
 * Hook the main thread's tables so every change is posted with `send`
 * (a broadcast to the workers). Returns the snapshot function a newly
 * started worker's first messages come from.
 */
export function feedTables(
  send: (msg: TableMessage) => void,
  floods: FloodLists,
  neighbors: NeighborTable,
  outer: OuterHeaders | null,
  members: () => ReadonlyMap<number, VniVteps> = () => new Map(),
): () => TableMessage[] {
  floods.onPublish = (vni, list) => send({ t: 'flood', vni, list });
  neighbors.onChange = (vni, ip, mac) => send({ t: 'neighbor', vni, ip, mac });
  if (outer !== null) {
    const listener: OuterListener = {
      sourceMac: (mac) => send({ t: 'sourceMac', mac: Uint8Array.from(mac) }),
      resolved: (index, mac) => send({ t: 'nextHop', index, mac: mac === null ? null : Uint8Array.from(mac.subarray(0, 6)) }),
      group: (index) => send({ t: 'group', index }),
    };
    outer.listener = listener;
  }
  return () => snapshotTables(floods, neighbors, outer, members());
}

/** Everything a worker needs to start from, as messages. Slow path. */
export function snapshotTables(
  floods: FloodLists,
  neighbors: NeighborTable,
  outer: OuterHeaders | null,
  members: ReadonlyMap<number, VniVteps> = new Map(),
): TableMessage[] {
  const out: TableMessage[] = [];
  for (const [vni, m] of members) for (const index of m.members()) out.push({ t: 'member', vni, index, member: true });
  for (const vni of floods.vniList()) out.push({ t: 'flood', vni, list: floods.get(vni) });
  for (const n of neighbors.entries()) out.push({ t: 'neighbor', vni: n.vni, ip: n.ip, mac: n.mac });
  if (outer !== null) {
    out.push({ t: 'sourceMac', mac: Uint8Array.from(outer.sourceMac) });
    for (let i = 0; i < outer.capacity; i++) {
      if (outer.isGroup(i)) out.push({ t: 'group', index: i });
      else {
        const mac = outer.macBytes(i);
        if (mac !== undefined) out.push({ t: 'nextHop', index: i, mac });
      }
    }
  }
  return out;
}

/** A worker's copies, kept by applying the main thread's messages. */
export class TableReplica {
  readonly floods = new FloodListCopy();
  readonly neighbors = new NeighborTable();
  /** Member VTEPs of each evpn VNI; the worker puts them in its VniStates. */
  readonly members = new Map<number, VniVteps>();
  /** Present when the main thread has the underlay link (the worker writes outer headers too). */
  readonly outer: OuterHeaders | null;

  constructor(
    private readonly vteps: OuterVteps,
    family: 4 | 6,
    vtepAddress: Uint8Array,
    link: boolean,
  ) {
    this.outer = link ? new OuterHeaders(vteps, family, vtepAddress) : null;
  }

  /** The member set of `vni`, made on first use (before or after its messages). */
  membersOf(vni: number): VniVteps {
    let m = this.members.get(vni);
    if (m === undefined) {
      m = new VniVteps(this.vteps.capacity);
      this.members.set(vni, m);
    }
    return m;
  }

  apply(msg: TableMessage): void {
    switch (msg.t) {
      case 'flood':
        this.floods.set(msg.vni, msg.list);
        return;
      case 'neighbor':
        if (msg.mac === null) this.neighbors.delete(msg.vni, msg.ip);
        else this.neighbors.set(msg.vni, msg.ip, msg.mac);
        return;
      case 'sourceMac':
        this.outer?.setSourceMac(msg.mac);
        return;
      case 'nextHop':
        this.outer?.resolve(msg.index, msg.mac);
        return;
      case 'group':
        this.outer?.resolveGroup(msg.index);
        return;
      case 'member':
        this.membersOf(msg.vni).setMember(msg.index, msg.member);
        return;
    }
  }
}
