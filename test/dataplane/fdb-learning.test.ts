// Issue 9 items 2 and 6 through the Dataplane, with in-memory ports and
// underlay (test/helpers/memory-io.ts): a host flooding source MACs is held
// to its port's learning rate and its VNI's share, said in counters and one
// warning, while another VNI keeps learning and installing; a remote VTEP of
// the other family never reaches the wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import type { DataplaneConfig } from '../../src/dataplane/dataplane-config.js';
import * as ethernet from '../../src/wire/ethernet.js';
import { formatMac } from '../../src/wire/mac-address.js';
import { MemoryIo } from '../helpers/memory-io.js';

function frame(dst: string, src: string): Buffer {
  const h = ethernet.encode({ dst, src, vlans: [], etherType: 0x88b5 });
  return Buffer.concat([h, Buffer.alloc(46)]);
}

function hostMac(i: number): string {
  const b = Buffer.alloc(6);
  b[0] = 0x02;
  b.writeUIntBE(i, 1, 5);
  return formatMac(b);
}

async function open(partial: Partial<DataplaneConfig> = {}): Promise<{ dp: Dataplane; io: MemoryIo; warnings: string[] }> {
  const io = new MemoryIo();
  const warnings: string[] = [];
  const dp = await Dataplane.open(
    {
      vtepAddress: '10.0.0.1',
      underlayMtu: 1500,
      vnis: [
        { vni: 10, mode: 'evpn', ports: [{ name: 'p1', kind: 'packet' }] },
        { vni: 20, mode: 'evpn', ports: [{ name: 'p2', kind: 'packet' }] },
      ],
      ...partial,
    },
    { io, warn: (m) => warnings.push(m) },
  );
  return { dp, io, warnings };
}

const BCAST = 'ff:ff:ff:ff:ff:ff';

test('a host flooding 2,000 source MACs learns its port\'s burst only; counted on the port and the VNI, one warning; VNI 20 unaffected', async () => {
  const { dp, io, warnings } = await open();
  try {
    for (let i = 0; i < 2000; i++) io.port('p1').inject(frame(BCAST, hostMac(i)));
    const c = dp.counters();
    assert.equal(dp.fdb.count(10), 1000, 'the default burst of the default learning rate (100/s, burst 1,000)');
    assert.equal(c.fdb.refusedLearnRate, 1000);
    assert.equal(c.ports.find((p) => p.name === 'p1')?.learnRefused, 1000);
    assert.equal(c.ports.find((p) => p.name === 'p2')?.learnRefused, 0);
    assert.equal(c.vnis.find((v) => v.vni === 10)?.learnRefused, 1000);
    const lines = warnings.filter((w) => w.startsWith('FDB learn-rate'));
    assert.deepEqual(lines, ['FDB learn-rate limit 100 reached (port p1, VNI 10): 1 learn(s) refused']);
    // VNI 20 learns, installs EVPN routes, and its known unicast is not flooded.
    io.port('p2').inject(frame(BCAST, hostMac(50_000)));
    assert.equal(dp.fdb.count(20), 1);
    assert.equal(dp.addRemote(20, hostMac(50_001), '10.0.0.2'), true);
    dp.setFloodList(20, ['10.0.0.3']);
    io.port('p2').inject(frame(hostMac(50_001), hostMac(50_000)));
    assert.deepEqual(io.underlay().sent.map((d) => d.dst), ['10.0.0.2'], 'known unicast goes to its VTEP only');
  } finally {
    await dp.close();
  }
});

test('dataplane config: learn-rate, learn-burst and the per-VNI share reach the FDB', async () => {
  const { dp, io } = await open({ learnRate: 5, learnBurst: 10, maxEntriesPerVni: 8 });
  try {
    for (let i = 0; i < 20; i++) io.port('p1').inject(frame(BCAST, hostMac(i)));
    assert.equal(dp.fdb.count(10), 8, 'the share (8) is below the burst (10)');
    assert.equal(dp.fdb.learnRate, 5);
    assert.equal(dp.fdb.learnBurst, 10);
    assert.equal(dp.counters().fdb.refusedVniLimit, 12);
  } finally {
    await dp.close();
  }
});

test('an IPv6 VTEP on an IPv4 underlay is refused by the FDB: nothing is sent to its low 32 bits (192.0.2.1)', async () => {
  const { dp, io } = await open();
  try {
    const host = hostMac(1);
    const remote = hostMac(2);
    dp.addRemote(10, remote, '2001:db8::c000:201');
    assert.equal(dp.fdb.get(10, remote), undefined);
    assert.equal(dp.counters().fdb.refusedFamily, 1);
    io.port('p1').inject(frame(remote, host));
    assert.deepEqual(io.underlay().sent.map((d) => d.dst), [], 'no datagram to a stranger');
  } finally {
    await dp.close();
  }
});
