// Issue 9 item 4: the shared VTEP table cannot be filled from the data
// plane. Learned VTEPs (outer sources of datagrams into static VNIs) get
// their own share, the rest stays for the control plane, and a refusal is
// counted and logged, never thrown into the control plane (setFloodList is
// called from the BGP UPDATE handler).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { VtepTable } from '../../src/dataplane/vtep-table.js';
import * as vxlan from '../../src/wire/vxlan.js';
import { MemoryIo } from '../helpers/memory-io.js';
import { delay } from '../helpers/netns.js';

function datagram(vni: number, n: number): Buffer {
  const inner = Buffer.alloc(60);
  inner.fill(0xff, 0, 6);
  inner.writeUInt16BE(0x0200, 6);
  inner.writeUInt32BE(n, 8);
  inner.writeUInt16BE(0x88b5, 12);
  return Buffer.concat([vxlan.encode({ vni }), inner]);
}

function source(n: number): string {
  return `10.${(n >>> 16) & 0xff}.${(n >>> 8) & 0xff}.${n & 0xff}`;
}

test('VTEP table: 5,000 learned sources in a static VNI leave room for an evpn flood list; refusals counted and logged', async () => {
  const io = new MemoryIo();
  const warnings: string[] = [];
  const dp = await Dataplane.open(
    {
      vtepAddress: '192.0.2.1',
      underlayMtu: 1500,
      vnis: [
        { vni: 10, mode: 'static', ports: [{ name: 'p10', kind: 'packet' }] },
        { vni: 20, mode: 'evpn', ports: [{ name: 'p20', kind: 'packet' }] },
      ],
    },
    { io, warn: (m) => warnings.push(m) },
  );
  try {
    const u = io.underlay();
    for (let n = 1; n <= 5000; n++) u.inject(source(n), datagram(10, n));
    assert.equal(io.port('p10').sent.length, 5000, 'every datagram was still forwarded (only the learning was refused)');
    // The control plane's VTEPs still fit.
    assert.doesNotThrow(() => dp.setFloodList(20, ['192.0.2.20', '192.0.2.21']));
    assert.deepEqual(dp.floodList(20), ['192.0.2.20', '192.0.2.21']);
    dp.addRemote(20, '02:00:00:00:20:01', '192.0.2.22');
    assert.equal(dp.fdbEntries(20).find((e) => e.mac === '02:00:00:00:20:01')?.vtep, '192.0.2.22');

    const v = dp.counters().vteps!;
    assert.equal(v.learned, v.learnedLimit, 'the learned share is full');
    assert.ok(v.learnedLimit < v.capacity, 'and smaller than the table');
    assert.equal(v.learnRefused, 5000 - v.learnedLimit);

    // Logged once by the one-second timer, not once per refusal.
    await delay(1200);
    const lines = warnings.filter((w) => w.startsWith('VTEP table:'));
    assert.equal(lines.length, 1, warnings.join('\n'));
    assert.match(lines[0]!, /refused/);
  } finally {
    await dp.close();
  }
});

test('VTEP table: a flood list larger than the whole table is cut, counted and logged, not thrown', async () => {
  const io = new MemoryIo();
  const warnings: string[] = [];
  const dp = await Dataplane.open(
    { vtepAddress: '192.0.2.1', underlayMtu: 1500, vnis: [{ vni: 20, mode: 'evpn', ports: [{ name: 'p20', kind: 'packet' }] }] },
    { io, warn: (m) => warnings.push(m) },
  );
  try {
    const wanted = Array.from({ length: 5000 }, (_, i) => source(i + 1));
    assert.doesNotThrow(() => dp.setFloodList(20, wanted));
    const v = dp.counters().vteps!;
    assert.equal(dp.floodList(20).length, v.capacity);
    assert.equal(v.controlRefused, 5000 - v.capacity);
    assert.equal(warnings.filter((w) => w.startsWith('VTEP table:')).length, 1);
    // A second refusal within the minute is counted, not logged again.
    assert.doesNotThrow(() => dp.setFloodList(20, [...wanted, '10.200.0.1']));
    assert.equal(dp.counters().vteps!.controlRefused, 2 * (5000 - v.capacity) + 1);
    assert.equal(warnings.filter((w) => w.startsWith('VTEP table:')).length, 1);
  } finally {
    await dp.close();
  }
});

test('VtepTable: internLearned stops at the learned share; the control plane interns past it; reclaim frees the share', () => {
  const t = new VtepTable(8, 4);
  const a = Buffer.alloc(4);
  const learned: number[] = [];
  for (let n = 1; n <= 6; n++) {
    a.writeUInt32BE(0x0a000000 + n);
    learned.push(t.internLearned(a, 0, 4));
  }
  assert.deepEqual(learned.slice(4), [-1, -1], 'the fifth and sixth are refused');
  assert.equal(t.learnRefused, 2);
  assert.equal(t.learnedSize, 4);
  for (const idx of learned.slice(0, 4)) t.retain(idx);
  // The control plane still has the other half.
  for (let n = 1; n <= 4; n++) assert.ok(t.intern(`192.0.2.${n}`) >= 0);
  assert.equal(t.intern('192.0.2.5'), -1, 'now the whole table is full');
  // The control plane naming a learned address takes it out of the share.
  a.writeUInt32BE(0x0a000001);
  assert.equal(t.internBytes(a, 0, 4), learned[0]);
  assert.equal(t.learnedSize, 3);
  // Learned entries aged: their addresses go back.
  for (const idx of learned.slice(1, 4)) t.release(idx);
  t.reclaim();
  assert.equal(t.learnedSize, 0);
  a.writeUInt32BE(0x0a000009);
  assert.ok(t.internLearned(a, 0, 4) >= 0, 'room to learn again');
});
