// Issue 9 item 3: in evpn mode a datagram is accepted into a VNI only from a
// VTEP the control plane placed in that VNI (its flood list, a Type 2 next
// hop there), not from any VTEP the switch knows somewhere. Through
// Dataplane with in-memory ports and underlay (test/helpers/memory-io.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import type { VniConfig } from '../../src/dataplane/dataplane-config.js';
import { vxlanBroadcast } from '../helpers/frame-builder.js';
import { MemoryIo } from '../helpers/memory-io.js';

const vni = (n: number, mode: VniConfig['mode']): VniConfig => ({ vni: n, mode, ports: [{ name: `p${n}`, kind: 'packet' }] });

async function open(): Promise<{ dp: Dataplane; io: MemoryIo; unknownVtep: (n: number) => number; out: (n: number) => number }> {
  const io = new MemoryIo();
  const dp = await Dataplane.open({ vtepAddress: '10.0.0.1', underlayMtu: 1500, vnis: [vni(10, 'static'), vni(20, 'evpn'), vni(30, 'evpn')] }, { io });
  return {
    dp,
    io,
    unknownVtep: (n) => dp.counters().vnis.find((v) => v.vni === n)!.drops['unknown-vtep']!,
    out: (n) => io.port(`p${n}`).sent.length,
  };
}

test('evpn: a VTEP learned in a static VNI is not accepted into an evpn VNI', async () => {
  const { dp, io, unknownVtep, out } = await open();
  try {
    const u = io.underlay();
    u.inject('198.51.100.66', vxlanBroadcast(10, '02:00:00:00:66:01'));
    assert.equal(out(10), 1, 'the static VNI takes it (and learns the VTEP)');
    u.inject('198.51.100.66', vxlanBroadcast(20, '02:00:00:00:66:02'));
    assert.equal(out(20), 0, 'nothing reached the evpn VNI');
    assert.equal(unknownVtep(20), 1);
  } finally {
    await dp.close();
  }
});

test('evpn: a VTEP in one VNI\'s flood list is accepted there and nowhere else', async () => {
  const { dp, io, unknownVtep, out } = await open();
  try {
    const u = io.underlay();
    dp.setFloodList(20, ['192.0.2.20']);
    u.inject('192.0.2.20', vxlanBroadcast(30, '02:00:00:00:20:01'));
    assert.equal(out(30), 0, 'a VTEP known only in VNI 20 is refused for VNI 30');
    assert.equal(unknownVtep(30), 1);
    u.inject('192.0.2.20', vxlanBroadcast(20, '02:00:00:00:20:02'));
    assert.equal(out(20), 1, 'accepted in its own VNI');
    dp.setFloodList(20, []);
    u.inject('192.0.2.20', vxlanBroadcast(20, '02:00:00:00:20:03'));
    assert.equal(out(20), 1, 'refused once its Type 3 is gone');
    assert.equal(unknownVtep(20), 1);
  } finally {
    await dp.close();
  }
});

test('evpn: a Type 2 next hop is a member of its VNI until its last route there goes', async () => {
  const { dp, io, unknownVtep, out } = await open();
  try {
    const u = io.underlay();
    dp.addRemote(30, '02:00:00:00:31:01', '192.0.2.31');
    dp.addRemote(30, '02:00:00:00:31:02', '192.0.2.31');
    u.inject('192.0.2.31', vxlanBroadcast(30, '02:00:00:00:31:01'));
    assert.equal(out(30), 1, 'accepted from the next hop of a Type 2 in VNI 30');
    u.inject('192.0.2.31', vxlanBroadcast(20, '02:00:00:00:31:01'));
    assert.equal(out(20), 0, 'not in VNI 20');
    assert.equal(unknownVtep(20), 1);
    // One route moves to another VTEP, one is withdrawn: then no route of VNI 30 names 192.0.2.31.
    dp.addRemote(30, '02:00:00:00:31:01', '192.0.2.32', { seq: 1 });
    u.inject('192.0.2.31', vxlanBroadcast(30, '02:00:00:00:31:02'));
    assert.equal(out(30), 2, 'still one route there');
    assert.equal(dp.removeRemote(30, '02:00:00:00:31:02', '192.0.2.31'), true);
    u.inject('192.0.2.31', vxlanBroadcast(30, '02:00:00:00:31:02'));
    assert.equal(out(30), 2, 'refused after its last route in the VNI went');
    assert.equal(unknownVtep(30), 1);
    u.inject('192.0.2.32', vxlanBroadcast(30, '02:00:00:00:31:01'));
    assert.equal(out(30), 3, 'the new next hop is accepted');
  } finally {
    await dp.close();
  }
});
