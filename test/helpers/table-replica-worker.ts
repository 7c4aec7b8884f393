// A worker for test/dataplane/table-replica.test.ts: keeps a TableReplica
// over a VtepView from the main thread's messages and, when asked, reports
// what its copies hold.

import { parentPort, workerData } from 'node:worker_threads';
import { TableReplica, type TableMessage } from '../../src/dataplane/table-replica.js';
import { VtepView } from '../../src/dataplane/vtep-view.js';
import type { VtepShare } from '../../src/dataplane/vtep-table.js';

export interface ReplicaWorkerData {
  share: VtepShare;
  vtepAddress: Uint8Array;
}

/** What the copies hold: the same shape the test builds from the main thread's tables. */
export interface ReplicaDump {
  floods: Array<[number, number[]]>;
  neighbors: Array<{ vni: number; ip: string; mac: string }>;
  hops: Array<[number, string, boolean]>;
  /** Member VTEP indexes of VNI 100 (evpn). */
  members: number[];
}

export type ReplicaRequest = { dump: number[] } | { snapshot: TableMessage[] };

const d = workerData as ReplicaWorkerData;
const view = new VtepView(d.share);
const replica = new TableReplica(view, d.vtepAddress.length === 4 ? 4 : 6, d.vtepAddress, true);
parentPort!.on('message', (m: TableMessage | ReplicaRequest) => {
  if ('snapshot' in m) {
    for (const s of m.snapshot) replica.apply(s);
    return;
  }
  if ('dump' in m) {
    const outer = replica.outer!;
    const hops: ReplicaDump['hops'] = [];
    for (let i = 0; i < outer.capacity; i++) {
      const mac = outer.macOf(i);
      if (mac !== undefined) hops.push([i, mac, outer.isGroup(i)]);
    }
    const dump: ReplicaDump = {
      floods: m.dump.map((vni) => [vni, Array.from(replica.floods.get(vni))]),
      neighbors: replica.neighbors.entries(),
      hops,
      members: [],
    };
    const members = replica.membersOf(100);
    for (let i = 0; i < view.capacity; i++) if (members.has(i)) dump.members.push(i);
    parentPort!.postMessage(dump);
    return;
  }
  replica.apply(m);
});
