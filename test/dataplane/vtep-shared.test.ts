// The VTEP table read from other threads (vtep-view.ts): addresses that stay
// are always found at their index while others are interned and reclaimed
// around them (the backward shift of the hash table moves them), and a
// reclaimed index is not handed out again while a reader may still hold it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { VtepTable } from '../../src/dataplane/vtep-table.js';
import type { VtepReaderData, VtepReaderResult } from '../helpers/vtep-reader-worker.js';

test('VTEP table: holdReclaimed(1) keeps a reclaimed index out of reuse for one more round', () => {
  const t = new VtepTable(4);
  t.holdReclaimed(1);
  const a = t.intern('192.0.2.1');
  t.retain(a);
  t.release(a);
  assert.equal(t.reclaim(), 1);
  assert.equal(t.has(a), false);
  // Every other index is taken: the cooling one is not handed out, so the table is full.
  for (const x of ['192.0.2.2', '192.0.2.3', '192.0.2.4']) t.retain(t.intern(x));
  assert.equal(t.intern('192.0.2.5'), -1);
  t.reclaim();
  assert.equal(t.intern('192.0.2.5'), a, 'free again one round later');
  // Without the hold (the default) an index is reused at once, as before.
  const u = new VtepTable(1);
  const b = u.intern('192.0.2.1');
  u.reclaim();
  assert.equal(u.intern('192.0.2.9'), b);
});

test('VTEP table: readers in worker threads always find the addresses that stay while others come and go', async () => {
  // A small table (capacity 64, 128 positions) with many entries: long clusters.
  const t = new VtepTable(64, 64);
  t.holdReclaimed(1);
  const stable: VtepReaderData['stable'] = [];
  for (let i = 0; i < 24; i++) {
    const address = [198, 51, 100, i + 1];
    const index = t.intern(address.join('.'));
    t.retain(index);
    stable.push({ address, index });
  }
  // Half IPv6, so both key shapes race.
  const churn: number[][] = [];
  for (let i = 0; i < 32; i++) churn.push(i % 2 === 0 ? [203, 0, 113, i + 1] : [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, i + 1]);
  const stop = new SharedArrayBuffer(4);
  const readers = [0, 1].map(
    () => new Worker(new URL('../helpers/vtep-reader-worker.js', import.meta.url), { workerData: { share: t.share(), stable, churn, stop } satisfies VtepReaderData }),
  );
  const ready = readers.map((w) => new Promise<void>((resolve) => w.once('message', () => resolve())));
  await Promise.all(ready);
  const results = readers.map(
    (w) =>
      new Promise<VtepReaderResult>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      }),
  );
  const bufs = churn.map((c) => Uint8Array.from(c));
  const end = Date.now() + 400;
  let rounds = 0;
  while (Date.now() < end) {
    // Interned, never retained: every reclaim unlinks them all again.
    for (const b of bufs) t.internLearned(b, 0, b.length);
    t.reclaim();
    rounds++;
  }
  Atomics.store(new Int32Array(stop), 0, 1);
  const got = await Promise.all(results);
  await Promise.all(readers.map((w) => w.terminate()));
  for (const r of got) {
    assert.deepEqual(r.violations, []);
    assert.ok(r.lookups > 0);
  }
  for (const s of stable) assert.equal(t.find(s.address.join('.')), s.index);
  console.log(`# ${rounds} intern/reclaim rounds; ${got.map((r) => `${r.lookups} lookups, ${r.retries} retried, ${r.gaveUp} gave up, churn found ${r.churnFound}`).join('; ')}`);
});
