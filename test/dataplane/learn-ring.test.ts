import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { LearnConsumer, LearnProducer, learnRingBytes, LEARN_KIND_LOCAL, LEARN_KIND_REMOTE } from '../../src/dataplane/learn-ring.js';

test('learn ring: one push per (MAC, place) per tick; a new place or a new tick goes through', () => {
  const buf = new SharedArrayBuffer(learnRingBytes(16));
  const p = new LearnProducer(buf);
  const c = new LearnConsumer(buf);
  const mac = Uint8Array.of(0x02, 1, 2, 3, 4, 5);
  assert.equal(p.push(LEARN_KIND_LOCAL, 10, mac, 0, 1, 7), true, 'first push wakes the consumer');
  assert.equal(p.push(LEARN_KIND_LOCAL, 10, mac, 0, 1, 7), false, 'same learn, same tick: filtered');
  assert.equal(p.push(LEARN_KIND_LOCAL, 10, mac, 0, 2, 7), false, 'moved to port 2: queued, consumer already woken');
  assert.equal(p.push(LEARN_KIND_LOCAL, 10, mac, 0, 2, 8), false, 'next tick: queued again');
  const seen: string[] = [];
  assert.equal(c.drain((r) => seen.push(`${r.kind} ${r.vni} ${Buffer.from(r.mac).toString('hex')} ${r.port} ${r.address.length}`)), 3);
  assert.deepEqual(seen, ['1 10 020102030405 1 0', '1 10 020102030405 2 0', '1 10 020102030405 2 0']);
  assert.equal(p.push(LEARN_KIND_REMOTE, 10, mac, 0, -1, 8, Uint8Array.of(192, 0, 2, 9), 0, 4), true, 'drained: the next push wakes again');
  c.drain((r) => {
    assert.equal(r.kind, LEARN_KIND_REMOTE);
    assert.deepEqual([...r.address], [192, 0, 2, 9]);
    assert.equal(r.port, -1);
  });
});

test('learn ring: a full ring drops and counts, never overwrites', () => {
  const buf = new SharedArrayBuffer(learnRingBytes(4));
  const p = new LearnProducer(buf);
  const c = new LearnConsumer(buf);
  const mac = new Uint8Array(6);
  for (let i = 0; i < 6; i++) {
    mac[5] = i;
    p.push(LEARN_KIND_LOCAL, 1, mac, 0, 0, 0);
  }
  assert.equal(p.dropped, 2);
  const got: number[] = [];
  c.drain((r) => got.push(r.mac[5]!));
  assert.deepEqual(got, [0, 1, 2, 3]);
});

test('learn ring: a producer thread and a consumer thread lose nothing, duplicate nothing, keep order', async () => {
  const count = 200_000;
  const buf = new SharedArrayBuffer(learnRingBytes(1024));
  const c = new LearnConsumer(buf);
  const w = new Worker(new URL('../helpers/learn-producer-worker.js', import.meta.url), { workerData: { buffer: buf, count } });
  let next = 0;
  let received = 0;
  let backwards = 0;
  let badAddress = 0;
  let drains = 0;
  const drain = (): void => {
    drains++;
    c.drain((r) => {
      const i = ((r.mac[2]! << 24) | (r.mac[3]! << 16) | (r.mac[4]! << 8) | r.mac[5]!) >>> 0;
      if (i < next) backwards++;
      next = i + 1;
      received++;
      if (i % 3 === 0 ? r.kind !== LEARN_KIND_REMOTE || r.address.length !== 16 || r.address[15] !== 7 : r.kind !== LEARN_KIND_LOCAL || r.port !== i % 5 || r.vni !== 100 + (i % 7)) badAddress++;
    });
  };
  const result = await new Promise<{ wakes: number; dropped: number }>((resolve, reject) => {
    w.on('message', (m: 'wake' | { done: true; wakes: number; dropped: number }) => {
      drain();
      if (m !== 'wake') resolve(m);
    });
    w.on('error', reject);
  });
  drain();
  await w.terminate();
  assert.equal(badAddress, 0, 'every record arrives as it was pushed');
  // What the full ring dropped is all that is missing, and nothing comes twice or out of order.
  assert.equal(backwards, 0);
  assert.equal(received + result.dropped, count);
  assert.ok(received > 1024, 'more went through than the ring holds');
  assert.ok(result.wakes < count / 10, `one wake-up per batch, not per learn (${result.wakes} for ${count})`);
  console.log(`# ${count} learns, ${result.dropped} dropped (ring full), ${result.wakes} wake-ups, ${drains} drains`);
});
