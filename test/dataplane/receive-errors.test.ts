// Issue 9 item 16: a receive error on one port (the addon throws the errno
// of a receive call that failed with anything but EAGAIN) must not end the
// process. Thrown out of a libuv poll callback it reaches
// napi_fatal_exception; the in-memory handles here run the same callback
// synchronously, so there it would surface as an exception out of inject().
// Counted, logged (rate-limited), the port reopened when it is gone or keeps
// failing; the rest keeps forwarding.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import * as vxlan from '../../src/wire/vxlan.js';
import { MemoryIo } from '../helpers/memory-io.js';
import { delay } from '../helpers/netns.js';

function frame(src: number): Buffer {
  const f = Buffer.alloc(60);
  f.fill(0xff, 0, 6);
  f.writeUInt16BE(0x0200, 6);
  f.writeUInt32BE(src, 8);
  f.writeUInt16BE(0x88b5, 12);
  return f;
}

async function open(): Promise<{ dp: Dataplane; io: MemoryIo; warnings: string[] }> {
  const io = new MemoryIo();
  const warnings: string[] = [];
  const dp = await Dataplane.open(
    { vtepAddress: '10.0.0.1', underlayMtu: 1500, vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }, { name: 'p2', kind: 'packet' }] }] },
    { io, warn: (m) => warnings.push(m) },
  );
  return { dp, io, warnings };
}

const rxErrors = (dp: Dataplane, name: string): number => dp.counters().ports.find((p) => p.name === name)!.rxErrors!;

test('a receive error on one port is counted and logged, not thrown; both ports keep forwarding', async () => {
  const { dp, io, warnings } = await open();
  try {
    const p1 = io.port('p1');
    p1.failReceive('ENETDOWN');
    assert.doesNotThrow(() => p1.inject(frame(1)), 'the error stays inside the dataplane');
    assert.equal(rxErrors(dp, 'p1'), 1);
    assert.equal(warnings.filter((w) => w.includes('port p1: receive failed') && w.includes('ENETDOWN')).length, 1, warnings.join('\n'));
    // The other port forwards, to p1 too.
    io.port('p2').inject(frame(2));
    assert.deepEqual(p1.sent, [frame(2)]);
    // p1's next readable call takes the frame that waited.
    p1.poll();
    assert.deepEqual(io.port('p2').sent, [frame(1)]);
    // A burst of errors: counted every time, logged once per interval.
    p1.failReceive('EINVAL', 2);
    p1.poll();
    p1.poll();
    assert.equal(rxErrors(dp, 'p1'), 3);
    assert.equal(warnings.filter((w) => w.includes('port p1: receive failed')).length, 1, 'rate-limited');
    assert.equal(p1, io.port('p1'), 'errors with a success between are not a reason to reopen');
  } finally {
    await dp.close();
  }
});

test('a port whose device is gone, or that keeps failing, is reopened after a backoff and forwards again', async () => {
  const { dp, io, warnings } = await open();
  try {
    const old = io.port('p1');
    old.failReceive('ENODEV');
    assert.doesNotThrow(() => old.poll());
    await delay(800);
    const reopened = io.port('p1');
    assert.notEqual(reopened, old, 'a new handle was opened');
    assert.equal(old.closed, true, 'the old one closed');
    assert.ok(warnings.some((w) => w === 'port p1: reopened after receive errors'), warnings.join('\n'));
    reopened.inject(frame(3));
    assert.deepEqual(io.port('p2').sent, [frame(3)], 'the reopened port forwards');
    io.port('p2').inject(frame(4));
    assert.deepEqual(reopened.sent, [frame(4)], 'and takes frames');

    // Three failures in a row (no successful poll between): reopened too.
    reopened.failReceive('EINVAL', 3);
    for (let i = 0; i < 3; i++) reopened.poll();
    await delay(800);
    assert.notEqual(io.port('p1'), reopened);
    assert.equal(rxErrors(dp, 'p1'), 4);
  } finally {
    await dp.close();
  }
});

test('a receive error on the underlay socket is counted, not thrown, and the socket keeps receiving', async () => {
  const { dp, io } = await open();
  try {
    const u = io.underlay();
    u.failReceive('ENOMEM');
    const d = Buffer.concat([vxlan.encode({ vni: 100 }), frame(5)]);
    assert.doesNotThrow(() => u.inject('10.0.0.2', d));
    assert.equal(dp.counters().underlays[0]!.rxErrors, 1);
    u.poll();
    assert.deepEqual(io.port('p1').sent, [frame(5)]);
  } finally {
    await dp.close();
  }
});
