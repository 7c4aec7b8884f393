// Issue 9 item 13: a SIGHUP reload never takes away a running VNI or
// neighbor. A changed entry used to be removed and then added; values the
// schema accepted but the add refused (RD 99999999999:1, an 81-byte MD5
// password) left it removed. Now such a file is rejected before anything
// changes, and a change that fails only when applied (a VNI turned
// multicast on a UDP port whose socket was opened without multicast) puts
// the old settings back.
//
// One daemon (VNIs 10 and 20 on UDP 4789, a neighbor that never comes up);
// a host on each VNI's port. Addresses: underlay 10.219.0.0/24, hosts
// 10.219.1.0/24.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { needsRoot, ping, Topology, type Host } from '../helpers/netns.js';
import { localMac, startVxswitch, vxswitchToml, type VxConfig, type Vxswitch } from '../control/vxswitch-lab.js';

const VX = '10.219.0.1';
const GHOST = '10.219.0.9';

const config: VxConfig = {
  as: 65001,
  routerId: VX,
  neighbors: [{ address: GHOST, peerAs: 65009 }],
  vnis: [
    { vni: 10, members: ['hp10'], rd: `${VX}:10` },
    { vni: 20, members: ['hp20'], rd: `${VX}:20` },
  ],
};
const goodToml = vxswitchToml(config);

describe('SIGHUP reload keeps what runs when a change cannot be applied', { skip: needsRoot, timeout: 90_000 }, () => {
  const topo = new Topology();
  let vx: Vxswitch;
  let h10: Host;

  const hup = async (text: string): Promise<void> => {
    await writeFile(vx.configPath, text);
    assert.ok(vx.pid !== undefined, 'the daemon is running');
    process.kill(vx.pid, 'SIGHUP');
  };
  /** Wait for the n-th outcome line of a reload ("config reloaded" or "reload rejected: ..."). */
  const reloads = (): number => vx.logsMatching(/^(config reloaded|reload rejected: the running config stays)$/).length;
  const hupAndWait = async (text: string): Promise<void> => {
    const n = reloads();
    await hup(text);
    await vx.until('the reload finished', async () => reloads() > n || undefined);
  };
  const vniState = async (): Promise<Array<{ vni: number; mode: string; rd: unknown; ports: unknown }>> =>
    (await vx.vnis()).map((v) => ({ vni: v.vni, mode: v.mode, rd: v['rd'], ports: v['ports'] }));
  const expected = [
    { vni: 10, mode: 'evpn', rd: `${VX}:10`, ports: ['hp10'] },
    { vni: 20, mode: 'evpn', rd: `${VX}:20`, ports: ['hp20'] },
  ];

  before(async () => {
    const ul = await topo.addNamespace();
    const br = await topo.bridge(ul);
    const ns = await topo.addNamespace();
    await topo.underlayPort(ul, br, ns, `${VX}/24`);
    h10 = await topo.host(ns, { ip: '10.219.1.1/24', mac: '02:19:10:00:00:01', peerName: 'hp10' });
    await topo.host(ns, { ip: '10.219.1.2/24', mac: '02:19:20:00:00:01', peerName: 'hp20' });
    vx = await startVxswitch(topo, { name: 'vx', ns, config });
    assert.deepEqual(await vniState(), expected);
  });

  after(async () => {
    await topo.destroy();
  });

  test('an RD the add would refuse (99999999999:1): the file is rejected, VNI 10 keeps running as it was', async () => {
    await hupAndWait(goodToml.replace(`rd = "${VX}:10"`, 'rd = "99999999999:1"'));
    assert.equal(vx.logsMatching(/^reload rejected: the running config stays$/).length, 1, vx.logTail());
    assert.ok(vx.logsMatching(/virtual-network-list\[0\]\.rd = "99999999999:1": expected a route distinguisher in range/).length === 1, vx.logTail());
    assert.equal(vx.logsMatching(/^reload: VNI (removed|changed)$/).length, 0, 'nothing was removed');
    assert.deepEqual(await vniState(), expected);
  });

  test('an 81-byte MD5 password: the file is rejected, the neighbor stays configured', async () => {
    const text = goodToml.replace('peer-as = 65009', `peer-as = 65009\n    auth-password = "${'p'.repeat(81)}"`);
    assert.notEqual(text, goodToml);
    await hupAndWait(text);
    assert.equal(vx.logsMatching(/^reload rejected: the running config stays$/).length, 2, vx.logTail());
    assert.ok(vx.logsMatching(/neighbors\[0\]\.config\.auth-password = "…": expected a password of 1\.\.80 bytes/).length === 1, vx.logTail());
    assert.ok(!vx.logs.some((l) => JSON.stringify(l).includes('p'.repeat(81))), 'the password is not logged');
    assert.equal(vx.logsMatching(/^reload: neighbor removed$/).length, 0);
    assert.ok((await vx.neighbor(GHOST)) !== undefined, 'the neighbor is still configured');
  });

  test('a change that fails when applied (VNI 10 to multicast on the open UDP 4789): the old VNI 10 is put back and forwards', async () => {
    const text = goodToml
      .replace(/vni = 10\n(\s*)vxlan-port = 4789\n(\s*)mode = "evpn"/, 'vni = 10\n$1vxlan-port = 4789\n$2mode = "multicast"\n$2multicast-group = "239.1.1.10"')
      .replace(`rd = "${VX}:10"\n`, '');
    assert.notEqual(text, goodToml);
    await hupAndWait(text);
    const failed = vx.logsMatching(/^VNI 10: change not applied: .*needs a restart.*; the previous settings keep running$/);
    assert.equal(failed.length, 1, vx.logTail());
    assert.deepEqual(await vniState(), expected);
    // Its port is attached again: a frame from the host is learned in VNI 10.
    await ping(h10.ns, '10.219.1.99', { count: 1, replyTimeoutS: 1 });
    await vx.waitFdb('the host MAC learned in VNI 10 again', (e) => localMac(e, 10, '02:19:10:00:00:01') !== undefined);
    // The running config is the old one: reloading the good file changes nothing.
    await hupAndWait(goodToml);
    const last = vx.logsMatching(/^config reloaded$/).at(-1)!;
    assert.deepEqual([last['vnisAdded'], last['vnisRemoved'], last['vnisChanged'], last['neighborsChanged'], last['failures']], [0, 0, 0, 0, 0], JSON.stringify(last));
    assert.ok(vx.running);
  });
});
