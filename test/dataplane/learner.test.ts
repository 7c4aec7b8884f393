// Learning from a forwarding worker (learner.ts): what the worker sees goes
// through the learn ring to the FDB's one writer, which applies it with its
// limits and events; once written, the worker only refreshes the entry.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Fdb } from '../../src/dataplane/fdb.js';
import { FdbView } from '../../src/dataplane/fdb-view.js';
import { LearnConsumer, LearnProducer, learnRingBytes } from '../../src/dataplane/learn-ring.js';
import { applyLearn, FdbLearner, WorkerLearner } from '../../src/dataplane/learner.js';
import { VtepTable } from '../../src/dataplane/vtep-table.js';
import { VtepView } from '../../src/dataplane/vtep-view.js';
import { parseMac } from '../../src/wire/mac-address.js';

function rig(): { fdb: Fdb; events: string[]; worker: WorkerLearner; drain: (tick: number) => number; wakes: () => number } {
  const events: string[] = [];
  const vteps = new VtepTable();
  const fdb = new Fdb({
    vteps,
    listener: {
      onLearned: (vni, mac, where) => events.push(`learned ${vni} ${mac} ${where.kind === 'local' ? `port ${where.port}` : `vtep ${where.vtep}`}`),
      onMoved: (vni, mac, from, to) => events.push(`moved ${vni} ${mac} ${from.kind === 'local' ? from.port : from.vtep} -> ${to.kind === 'local' ? to.port : to.vtep}`),
    },
  });
  const ring = new SharedArrayBuffer(learnRingBytes(64));
  let woken = 0;
  const worker = new WorkerLearner(new FdbView(fdb.share()), new VtepView(vteps.share()), new LearnProducer(ring), () => woken++);
  const consumer = new LearnConsumer(ring);
  const main = new FdbLearner(fdb, vteps);
  return { fdb, events, worker, drain: (tick) => consumer.drain((r) => applyLearn(main, r, tick)), wakes: () => woken };
}

test('worker learning, local: one record until the writer has the entry, then only refreshes; a move goes through again', () => {
  const { fdb, events, worker, drain, wakes } = rig();
  const mac = parseMac('02:00:00:00:00:01');
  worker.learnLocal(100, mac, 0, 2, 5);
  worker.learnLocal(100, mac, 0, 2, 5);
  assert.equal(wakes(), 1, 'one wake-up');
  assert.equal(fdb.size, 0, 'the worker does not write');
  assert.equal(drain(5), 1, 'the second frame of the same tick was not queued again');
  assert.deepEqual(events, ['learned 100 02:00:00:00:00:01 port 2']);
  // Written: later frames only stamp the last-seen tick the writer published.
  fdb.publishTick(9);
  worker.learnLocal(100, mac, 0, 2, 9);
  assert.equal(drain(9), 0);
  assert.equal(fdb.get(100, '02:00:00:00:00:01')?.lastSeen, 9);
  // The host moved to port 3.
  worker.learnLocal(100, mac, 0, 3, 9);
  assert.equal(drain(9), 1);
  assert.deepEqual(events.slice(1), ['moved 100 02:00:00:00:00:01 2 -> 3']);
  assert.equal(wakes(), 2);
  // A group source is never queued.
  worker.learnLocal(100, parseMac('01:00:5e:00:00:01'), 0, 3, 9);
  assert.equal(drain(9), 0);
});

test('worker learning, remote (static VNI): the outer source reaches the VTEP table and the FDB through the writer', () => {
  const { fdb, events, worker, drain } = rig();
  const mac = parseMac('02:00:00:00:00:02');
  const src = Uint8Array.of(192, 0, 2, 7);
  worker.learnRemote(200, mac, 0, src, 0, 4, 1);
  assert.equal(drain(1), 1);
  assert.deepEqual(events, ['learned 200 02:00:00:00:00:02 vtep 192.0.2.7']);
  assert.equal(fdb.get(200, '02:00:00:00:00:02')?.vtep, '192.0.2.7');
  // Known: the worker finds the VTEP and the entry, and queues nothing.
  worker.learnRemote(200, mac, 0, src, 0, 4, 2);
  assert.equal(drain(2), 0);
  // From another VTEP now: queued, and the writer moves it.
  worker.learnRemote(200, mac, 0, Uint8Array.of(192, 0, 2, 8), 0, 4, 2);
  assert.equal(drain(2), 1);
  assert.equal(fdb.get(200, '02:00:00:00:00:02')?.vtep, '192.0.2.8');
});
