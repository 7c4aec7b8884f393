// Issue 5: SIGHUP reloads a running daemon. Two vxswitches peer over eBGP
// (vx1 AS 65001, vx2 AS 65002), both serving VNI 10; vx2 also serves VNI 30.
// On vx1, SIGHUP with VNI 30 and a neighbor added: VNI 30 appears in
// `vni --json`, its Type 3 reaches vx2, hosts of VNI 30 ping across — and
// the vx1-vx2 session never flaps (one "established" and no "down" line on
// either side, uptime keeps growing). SIGHUP with a broken file: the daemon
// keeps running, logs the problem, state unchanged. SIGHUP removing VNI 30
// and the neighbor: gone, and the Type 3 withdrawn at vx2.
//
// Also diffConfig (pure) on parsed configs.
//
// Addresses: underlay 10.218.0.0/24 (vxN .N), hosts 10.218.1.0/24.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { parseConfig } from '../../src/daemon/config-file.js';
import { diffConfig } from '../../src/daemon/reload.js';
import { needsRoot, ping, Topology, type Host } from '../helpers/netns.js';
import { startVxswitch, vxswitchToml, type VxConfig, type Vxswitch } from '../control/vxswitch-lab.js';

const vxIp = (n: number): string => `10.218.0.${n}`;
const hostIp = (n: number): string => `10.218.1.${n}`;
const GHOST = '10.218.0.9';

test('diffConfig: neighbors by address, VNIs by number, changed ones, and what needs a restart', () => {
  const exists = { interfaceExists: (): boolean => true };
  const cfg = (c: VxConfig): ReturnType<typeof parseConfig> => parseConfig('t.toml', vxswitchToml(c), exists);
  const base: VxConfig = {
    as: 65001,
    routerId: vxIp(1),
    neighbors: [
      { address: vxIp(2), peerAs: 65002 },
      { address: vxIp(3), peerAs: 65003 },
    ],
    vnis: [
      { vni: 10, members: ['a'] },
      { vni: 20, members: ['b'] },
    ],
  };
  const next: VxConfig = {
    ...base,
    as: 65009,
    neighbors: [
      { address: vxIp(2), peerAs: 65002 },
      { address: vxIp(3), peerAs: 65003, holdTimeS: 30 },
      { address: vxIp(4), peerAs: 65004 },
    ],
    vnis: [
      { vni: 10, members: ['a'] },
      { vni: 20, members: ['b', 'c'] },
      { vni: 30, members: ['d'] },
    ],
  };
  const d = diffConfig(cfg(base), cfg({ ...next, vnis: next.vnis.filter((v) => v.vni !== 10) }));
  assert.deepEqual(d.neighbors.added.map((n) => n.neighborAddress), [vxIp(4)]);
  assert.deepEqual(d.neighbors.changed.map((n) => n.neighborAddress), [vxIp(3)]);
  assert.deepEqual(d.neighbors.removed, []);
  assert.deepEqual(d.vnis, { added: [30], removed: [10], changed: [20] });
  assert.deepEqual(d.needRestart, ['global.config.as: 65001 -> 65009']);
  const none = diffConfig(cfg(base), cfg(base));
  assert.deepEqual(none, { neighbors: { added: [], removed: [], changed: [] }, vnis: { added: [], removed: [], changed: [] }, needRestart: [] });
});

describe('SIGHUP reload on a running daemon', { skip: needsRoot, timeout: 120_000 }, () => {
  const topo = new Topology();
  let vx1: Vxswitch;
  let vx2: Vxswitch;
  const h10: Host[] = [];
  const h30: Host[] = [];

  const config1 = (withNew: boolean): VxConfig => ({
    as: 65001,
    routerId: vxIp(1),
    neighbors: [{ address: vxIp(2), peerAs: 65002 }, ...(withNew ? [{ address: GHOST, peerAs: 65009 }] : [])],
    vnis: [{ vni: 10, members: ['hp10'] }, ...(withNew ? [{ vni: 30, members: ['hp30'], rd: `${vxIp(1)}:30` }] : [])],
  });

  const hup = async (vx: Vxswitch, text: string): Promise<void> => {
    await writeFile(vx.configPath, text);
    assert.ok(vx.pid !== undefined, `${vx.name} is running`);
    process.kill(vx.pid, 'SIGHUP');
  };

  /**
   * The vx1 session as both sides see it: no "established" or "down" line
   * since the baseline taken once the session settled. (Both sides dial, so
   * at start-up RFC 4271 §6.8 collision resolution may legitimately close
   * one connection after it reached Established; that is not a reload flap.)
   */
  const sessionLines = (): number[] =>
    ([
      [vx1, vxIp(2)],
      [vx2, vxIp(1)],
    ] as const).flatMap(([vx, peer]) => [
      vx.logsMatching(new RegExp(`^neighbor ${peer.replaceAll('.', '\\.')} established`)).length,
      vx.logsMatching(new RegExp(`^neighbor ${peer.replaceAll('.', '\\.')} down`)).length,
    ]);
  let baseline: number[] = [];
  const assertNoFlap = (): void => {
    assert.deepEqual(sessionLines(), baseline, `the vx1-vx2 session went down or came up again after the reload\n${vx1.logTail()}\n${vx2.logTail()}`);
  };

  const type3From1 = (vni: number) => (p: { routeType: number; rd: string; nextHop: string; extendedCommunities: string[] }): boolean =>
    p.routeType === 3 && p.nextHop === vxIp(1) && p.extendedCommunities.some((c) => c === `RT:65001:${vni}`);

  before(async () => {
    const ul = await topo.addNamespace();
    const br = await topo.bridge(ul);
    const ns = [await topo.addNamespace(), await topo.addNamespace()];
    for (const n of [1, 2]) await topo.underlayPort(ul, br, ns[n - 1]!, `${vxIp(n)}/24`);
    for (const n of [1, 2]) {
      h10.push(await topo.host(ns[n - 1]!, { ip: `${hostIp(n)}/24`, mac: `02:18:10:00:00:0${n}`, peerName: 'hp10' }));
      // vx1's hp30 exists from the start but is not in its config until the reload.
      h30.push(await topo.host(ns[n - 1]!, { ip: `${hostIp(n)}/24`, mac: `02:18:30:00:00:0${n}`, peerName: 'hp30' }));
    }
    [vx1, vx2] = await Promise.all([
      startVxswitch(topo, { name: 'vx1', ns: ns[0]!, config: config1(false) }),
      startVxswitch(topo, {
        name: 'vx2',
        ns: ns[1]!,
        config: {
          as: 65002,
          routerId: vxIp(2),
          neighbors: [{ address: vxIp(1), peerAs: 65001 }],
          vnis: [
            { vni: 10, members: ['hp10'] },
            { vni: 30, members: ['hp30'] },
          ],
        },
      }),
    ]);
    await Promise.all([vx1.waitEstablished(vxIp(2)), vx2.waitEstablished(vxIp(1))]);
    await vx2.waitRib('vx1 Type 3 of VNI 10', type3From1(10));
    baseline = sessionLines();
    assert.ok(baseline[0]! >= 1 && baseline[2]! >= 1, 'each side logged the session up');
  });

  after(async () => {
    await topo.destroy();
  });

  test('SIGHUP adding a VNI and a neighbor: the VNI serves, its Type 3 reaches the peer, the session stays up', async () => {
    const before10 = await ping(h10[0]!.ns, hostIp(2), { count: 3 });
    assert.equal(before10.received, 3, before10.output);
    const uptime0 = Number((await vx1.neighbor(vxIp(2)))!.since ?? 0);
    await hup(vx1, vxswitchToml(config1(true)));
    const v30 = await vx1.waitVni('VNI 30 after reload', 30, () => true);
    assert.equal(v30.mode, 'evpn');
    assert.deepEqual(v30.ports, ['hp30']);
    assert.equal(v30.rd, `${vxIp(1)}:30`);
    await vx2.waitRib('vx1 Type 3 of VNI 30', type3From1(30));
    await vx1.until('vx2 in the VNI 30 flood list', async () => (await vx1.vni(30))?.floodList.includes(vxIp(2)));
    // The new VNI forwards: its hosts reach each other across the two VTEPs.
    const p30 = await ping(h30[0]!.ns, hostIp(2), { count: 5 });
    assert.equal(p30.received, 5, p30.output);
    // The old VNI is untouched.
    const p10 = await ping(h10[0]!.ns, hostIp(2), { count: 3 });
    assert.equal(p10.received, 3, p10.output);
    const ghost = await vx1.neighbor(GHOST);
    assert.ok(ghost !== undefined, 'the added neighbor is configured');
    assert.notEqual(ghost.state, 'established');
    const peer = await vx1.neighbor(vxIp(2));
    assert.equal(peer?.state, 'established');
    assert.ok(Number(peer.since ?? 0) >= uptime0, `uptime ${String(peer.since)} went back from ${uptime0}`);
    assertNoFlap();
    assert.equal(vx1.logsMatching(/^config reloaded$/).length, 1);
  });

  test('SIGHUP with a broken file: rejected, logged, the daemon keeps running unchanged', async () => {
    const vnisBefore = (await vx1.vnis()).map((v) => v.vni);
    const neighborsBefore = (await vx1.neighbors()).map((n) => n.address).sort();
    const errorsBefore = vx1.errorLines().length;
    await hup(vx1, vxswitchToml(config1(true)).replace('vni = 30', 'vni = 16777216').replace('peer-as = 65009', 'peer-az = 65009'));
    await vx1.until('the reload rejected', async () => vx1.logsMatching(/^reload rejected: the running config stays$/).length === 1 || undefined);
    assert.ok(vx1.running, 'still running');
    const problems = vx1
      .errorLines()
      .slice(errorsBefore)
      .map((l) => String(l.msg));
    assert.ok(problems.some((m) => m.includes('dataplane.virtual-network-list[1].vni = 16777216: expected a VNI 1..16777215 (24 bits)')), problems.join('\n'));
    assert.ok(problems.some((m) => m.includes('neighbors[1].config.peer-az: unknown key; did you mean "peer-as"?')), problems.join('\n'));
    assert.deepEqual((await vx1.vnis()).map((v) => v.vni), vnisBefore);
    assert.deepEqual((await vx1.neighbors()).map((n) => n.address).sort(), neighborsBefore);
    const p30 = await ping(h30[0]!.ns, hostIp(2), { count: 3 });
    assert.equal(p30.received, 3, p30.output);
    assertNoFlap();
  });

  test('SIGHUP removing the VNI and the neighbor: gone, Type 3 withdrawn at the peer, VNI 10 still forwards', async () => {
    await hup(vx1, vxswitchToml(config1(false)));
    await vx1.until('VNI 30 gone', async () => (await vx1.vnis()).every((v) => v.vni !== 30) || undefined);
    await vx2.until('vx1 Type 3 of VNI 30 withdrawn', async () => !(await vx2.rib()).some(type3From1(30)) || undefined);
    assert.equal(await vx1.neighbor(GHOST), undefined);
    assert.ok((await vx2.rib()).some(type3From1(10)), 'VNI 10 Type 3 stays');
    assert.ok(!(await vx1.fdb()).some((e) => e.vni === 30), 'no FDB entries of VNI 30 remain');
    const p30 = await ping(h30[0]!.ns, hostIp(2), { count: 2, replyTimeoutS: 1 });
    assert.equal(p30.received, 0, 'VNI 30 no longer forwards at vx1');
    const p10 = await ping(h10[0]!.ns, hostIp(2), { count: 3 });
    assert.equal(p10.received, 3, p10.output);
    assertNoFlap();
  });
});
