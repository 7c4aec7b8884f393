// Issue 9 item 5: a port that takes untagged frames (an access port, a
// trunk's untagged VNI) drops VLAN-tagged ones, and a trunk drops a second
// tag behind its own, so no frame leaves another VNI's trunk as a VLAN it
// was never given (double-tagging VLAN hopping). Counted as unexpected-tag;
// a port configured with tagged: 'pass' keeps the old behaviour. Through
// Dataplane with in-memory ports (test/helpers/memory-io.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import type { PortConfig } from '../../src/dataplane/dataplane-config.js';
import * as ethernet from '../../src/wire/ethernet.js';
import * as vxlan from '../../src/wire/vxlan.js';
import { MemoryIo } from '../helpers/memory-io.js';

const A = '02:00:00:00:0a:01';
const BCAST = 'ff:ff:ff:ff:ff:ff';

/** A broadcast frame from A with the given tags (outermost first), local experimental EtherType. */
function frame(tags: Array<{ tpid: number; vid: number }>): Buffer {
  const h = ethernet.encode({ dst: BCAST, src: A, vlans: tags.map((t) => ({ ...t, pcp: 0, dei: false })), etherType: 0x88b5 });
  return Buffer.concat([h, Buffer.alloc(46, 0x5a)]);
}

/** VNI 10: access port acc and the trunk's VID 10; VNI 20: the trunk's VID 20 and access port acc20. */
async function open(acc: Partial<PortConfig> = {}): Promise<{ dp: Dataplane; io: MemoryIo }> {
  const io = new MemoryIo();
  const dp = await Dataplane.open(
    {
      vtepAddress: '10.0.0.1',
      underlayMtu: 1500,
      vnis: [
        { vni: 10, mode: 'static', ports: [{ name: 'acc', kind: 'packet', ...acc }, { name: 'trunk', kind: 'packet', vlan: 10 }] },
        { vni: 20, mode: 'static', ports: [{ name: 'trunk', kind: 'packet', vlan: 20 }, { name: 'acc20', kind: 'packet' }] },
      ],
    },
    { io },
  );
  return { dp, io };
}

test('access port: a frame tagged VID 20 is dropped, not carried to the trunk (counted unexpected-tag)', async () => {
  const { dp, io } = await open();
  try {
    io.port('acc').inject(frame([{ tpid: 0x8100, vid: 20 }]));
    io.port('acc').inject(frame([{ tpid: 0x88a8, vid: 20 }]));
    io.port('acc').inject(frame([{ tpid: 0x9100, vid: 20 }]));
    assert.deepEqual(io.port('trunk').sent, [], 'nothing left the trunk');
    assert.deepEqual(io.port('acc20').sent, []);
    const c = dp.counters();
    assert.equal(c.drops['unexpected-tag'], 3);
    assert.equal(c.ports.find((p) => p.name === 'acc')!.drops, 3);
    // Untagged frames still pass.
    io.port('acc').inject(frame([]));
    assert.deepEqual(io.port('trunk').sent, [frame([{ tpid: 0x8100, vid: 10 }])]);
  } finally {
    await dp.close();
  }
});

test('trunk port: a second tag behind the trunk\'s own is dropped (no VLAN hopping)', async () => {
  const { dp, io } = await open();
  try {
    io.port('trunk').inject(frame([{ tpid: 0x8100, vid: 10 }, { tpid: 0x8100, vid: 20 }]));
    assert.deepEqual(io.port('acc').sent, []);
    assert.deepEqual(io.port('acc20').sent, []);
    assert.equal(dp.counters().drops['unexpected-tag'], 1);
    io.port('trunk').inject(frame([{ tpid: 0x8100, vid: 20 }]));
    assert.deepEqual(io.port('acc20').sent, [frame([])], 'a single tag is the trunk\'s business as before');
  } finally {
    await dp.close();
  }
});

test("tagged: 'pass' keeps tagged frames on the port's VNI, as before", async () => {
  const { dp, io } = await open({ tagged: 'pass' });
  try {
    const f = frame([{ tpid: 0x8100, vid: 20 }]);
    io.port('acc').inject(f);
    assert.equal(io.port('trunk').sent.length, 1, 'carried into VNI 10 with its tag');
    assert.equal(dp.counters().drops['unexpected-tag'], 0);
  } finally {
    await dp.close();
  }
});

test('tunnel: a decapsulated frame with an inner VLAN tag is dropped (RFC 7348 §6.1), counted per VNI', async () => {
  const { dp, io } = await open();
  try {
    const d = Buffer.concat([vxlan.encode({ vni: 10 }), frame([{ tpid: 0x8100, vid: 20 }])]);
    io.underlay().inject('10.0.0.2', d);
    assert.deepEqual(io.port('trunk').sent, [], 'no double-tagged frame on the trunk');
    assert.deepEqual(io.port('acc').sent, []);
    assert.equal(dp.counters().vnis.find((v) => v.vni === 10)!.drops['unexpected-tag'], 1);
    io.underlay().inject('10.0.0.2', Buffer.concat([vxlan.encode({ vni: 10 }), frame([])]));
    assert.equal(io.port('acc').sent.length, 1, 'an untagged one passes');
  } finally {
    await dp.close();
  }
});
