// A forwarding worker's copies of the flood lists, ARP-suppression
// neighbours and next-hop MACs (table-replica.ts): a worker started late
// catches up from the snapshot, every later change reaches it by message,
// and a next hop resolved for a VTEP index is void in the worker once the
// index was recycled for another address (the shared generation), with no
// message at all.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { FloodLists } from '../../src/dataplane/flood-list.js';
import { NeighborTable } from '../../src/dataplane/neighbor-table.js';
import { OuterHeaders } from '../../src/dataplane/outer-header.js';
import { feedMembers, feedTables, type TableMessage } from '../../src/dataplane/table-replica.js';
import { VtepTable } from '../../src/dataplane/vtep-table.js';
import { VniVteps } from '../../src/dataplane/vni-vteps.js';
import type { ReplicaDump, ReplicaRequest, ReplicaWorkerData } from '../helpers/table-replica-worker.js';

const VNIS = [100, 200];
const SRC = Uint8Array.of(10, 0, 0, 1);

function mainDump(floods: FloodLists, neighbors: NeighborTable, outer: OuterHeaders, members: VniVteps): ReplicaDump {
  const hops: ReplicaDump['hops'] = [];
  for (let i = 0; i < outer.capacity; i++) {
    const mac = outer.macOf(i);
    if (mac !== undefined) hops.push([i, mac, outer.isGroup(i)]);
  }
  const m: number[] = [];
  for (let i = 0; i < outer.capacity; i++) if (members.has(i)) m.push(i);
  return { floods: VNIS.map((vni) => [vni, Array.from(floods.get(vni))]), neighbors: neighbors.entries(), hops, members: m };
}

test('table replica: a late worker catches up from the snapshot, then follows every change; a recycled VTEP index voids its next hop', async (t) => {
  const vteps = new VtepTable(16);
  const floods = new FloodLists(vteps);
  const neighbors = new NeighborTable();
  const outer = new OuterHeaders(vteps, 4, SRC);
  const members = new VniVteps(vteps.capacity);
  const posted: TableMessage[] = [];
  let worker: Worker | undefined;
  const send = (msg: TableMessage): void => {
    posted.push(msg);
    worker?.postMessage(msg);
  };
  const snapshot = feedTables(send, floods, neighbors, outer, () => new Map([[100, members]]));
  feedMembers(send, 100, members);
  const dump = async (): Promise<ReplicaDump> => {
    const reply = once(worker!, 'message');
    worker!.postMessage({ dump: VNIS } satisfies ReplicaRequest);
    return (await reply)[0] as ReplicaDump;
  };

  // State from before the worker exists.
  outer.setSourceMac(Uint8Array.of(2, 0, 0, 0, 0, 1));
  floods.set(100, ['10.0.0.2', '10.0.0.3']);
  floods.set(200, ['10.0.0.3']);
  neighbors.set(100, '192.168.1.20', '02:00:00:00:01:20');
  outer.resolve(vteps.find('10.0.0.2'), Uint8Array.of(2, 0, 0, 0, 0, 0xaa));
  const group = vteps.intern('239.1.1.1');
  vteps.retain(group);
  outer.resolveGroup(group);
  members.add(vteps.find('10.0.0.2'));
  members.add(vteps.find('10.0.0.3'));
  assert.ok(posted.length >= 6, 'each change was posted');

  worker = new Worker(new URL('../helpers/table-replica-worker.js', import.meta.url), {
    workerData: { share: vteps.share(), vtepAddress: SRC } satisfies ReplicaWorkerData,
  });
  t.after(() => worker!.terminate());
  worker.postMessage({ snapshot: snapshot() } satisfies ReplicaRequest);
  const first = await dump();
  assert.deepEqual(first, mainDump(floods, neighbors, outer, members));
  assert.equal(first.hops.length, 2);
  assert.deepEqual(first.hops.find((h) => h[2]), [group, '01:00:5e:01:01:01', true]);

  // Changes after the start arrive as messages.
  floods.add(100, '10.0.0.4');
  floods.remove(100, '10.0.0.3');
  floods.clear(200);
  neighbors.delete(100, '192.168.1.20');
  neighbors.set(100, '192.168.1.21', '02:00:00:00:01:21');
  outer.resolve(vteps.find('10.0.0.4'), Uint8Array.of(2, 0, 0, 0, 0, 0xbb));
  members.add(vteps.find('10.0.0.4'));
  members.remove(vteps.find('10.0.0.3'));
  const second = await dump();
  assert.deepEqual(second, mainDump(floods, neighbors, outer, members));
  assert.deepEqual(second.floods, [
    [100, [vteps.find('10.0.0.2'), vteps.find('10.0.0.4')]],
    [200, []],
  ]);
  assert.deepEqual(second.members, [vteps.find('10.0.0.2'), vteps.find('10.0.0.4')].sort((a, b) => a - b));
  assert.deepEqual(second.neighbors, [{ vni: 100, ip: '192.168.1.21', mac: '02:00:00:00:01:21' }]);

  // 10.0.0.2 leaves every list, its index is reclaimed and handed to another
  // address: the worker must stop sending to the old next hop by itself.
  const old = vteps.find('10.0.0.2');
  assert.ok(second.hops.some((h) => h[0] === old));
  floods.remove(100, '10.0.0.2');
  members.remove(old);
  vteps.reclaim();
  const sent = posted.length;
  // Other indexes were freed too (10.0.0.3 left every list): take free ones until the old comes back.
  let reused = -1;
  for (let k = 9; k < 16 && reused !== old; k++) {
    reused = vteps.intern(`10.0.0.${k}`);
    vteps.retain(reused);
  }
  assert.equal(reused, old, 'the table hands the freed index out again');
  assert.equal(outer.isResolved(reused), false);
  const third = await dump();
  assert.equal(third.hops.some((h) => h[0] === reused), false, 'void in the worker too');
  assert.deepEqual(third, mainDump(floods, neighbors, outer, members));
  assert.equal(posted.length, sent, 'with no message about it');
});
