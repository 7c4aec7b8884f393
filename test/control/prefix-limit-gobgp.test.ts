// Issue 9 item 9 against a real peer: gobgpd 3.10 sends one route more than
// vxswitch's max-prefixes allows. vxswitch warns at the threshold, sends
// Cease / Maximum Number of Prefixes Reached (gobgpd logs it), drops the
// routes, keeps the session down for restart-timer, then dials again; with
// gobgpd back under the limit the session stays up.
//
// Addresses: underlay 10.214.69.0/24 (vxswitch .40, gobgpd .30), VNI 100.
// gobgpd is passive (an active gobgpd waits 5-10 s before dialling).

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startGobgpd, type Gobgpd } from '../helpers/gobgp.js';
import { needsRoot, Topology } from '../helpers/netns.js';
import { remoteMac, startVxswitch, type Vxswitch } from './vxswitch-lab.js';

const AS = 65000;
const VNI = 100;
const VX_IP = '10.214.69.40';
const GB_IP = '10.214.69.30';
const GB_RD = `${GB_IP}:${VNI}`;
const RESTART_S = 4;
const mac = (i: number): string => `02:14:69:00:00:${i.toString(16).padStart(2, '0')}`;

function binaryMissing(): string | false {
  if (needsRoot) return needsRoot;
  for (const f of ['/usr/bin/gobgpd', '/usr/bin/gobgp']) if (!existsSync(f)) return `needs gobgpd (${f} missing)`;
  return false;
}

describe('max-prefixes against gobgpd: Cease/1 past the limit, back after restart-timer', { skip: binaryMissing(), timeout: 60_000 }, () => {
  const topo = new Topology();
  let vx: Vxswitch;
  let gb: Gobgpd;

  before(async () => {
    const ul = await topo.addNamespace();
    const br = await topo.bridge(ul);
    const [vxNs, gbNs] = await Promise.all([topo.addNamespace(), topo.addNamespace()]);
    await topo.underlayPort(ul, br, vxNs, `${VX_IP}/24`);
    await topo.underlayPort(ul, br, gbNs, `${GB_IP}/24`);
    await topo.host(vxNs, { ip: '10.214.70.3/24', mac: '02:14:70:00:03:03', peerName: 'hp0' });
    gb = await startGobgpd(topo, {
      ns: gbNs,
      config: {
        as: AS,
        routerId: GB_IP,
        listenAddresses: [GB_IP],
        neighbors: [{ address: VX_IP, peerAs: AS, localAddress: GB_IP, passive: true, connectRetryS: 1, idleHoldAfterResetS: 1 }],
      },
    });
    vx = await startVxswitch(topo, {
      name: 'vx-maxpfx',
      ns: vxNs,
      config: {
        as: AS,
        routerId: VX_IP,
        neighbors: [{ address: GB_IP, peerAs: AS, connectRetryS: 1, prefixLimit: { maxPrefixes: 5, shutdownThresholdPct: 60, restartTimer: RESTART_S } }],
        vnis: [{ vni: VNI, members: ['hp0'] }],
      },
    });
  });

  after(async () => {
    await topo.destroy();
  });

  test('6 routes with max-prefixes 5: warning, Cease/1 with AFI/SAFI/limit, routes gone, session back after restart-timer', async (t: TestContext) => {
    await vx.waitEstablished(GB_IP, 20_000);
    for (let i = 1; i <= 5; i++) await gb.addMacAdv({ mac: mac(i), label: VNI, rd: GB_RD, rts: [`${AS}:${VNI}`], nextHop: GB_IP });
    await vx.waitFdb('5 MACs from gobgpd', (e) => e.filter((x) => x.vni === VNI && x.kind === 'remote').length === 5);
    const before = await vx.neighbor(GB_IP);
    assert.equal(before?.state, 'established', 'the maximum itself is allowed');
    assert.deepEqual(before?.prefixLimits, [{ family: 'l2vpn-evpn', received: 5, maxPrefixes: 5, warningThreshold: 3, exceeded: 0 }]);
    assert.ok(vx.logsMatching(/over 60% of max-prefixes 5/).length === 1, 'one warning at the threshold');

    const t0 = performance.now();
    await gb.addMacAdv({ mac: mac(6), label: VNI, rd: GB_RD, rts: [`${AS}:${VNI}`], nextHop: GB_IP });
    const down = await vx.until('the session down', async () => {
      const n = await vx.neighbor(GB_IP);
      return n !== undefined && n.state !== 'established' && /Maximum Number of Prefixes Reached/.test(n.lastDown ?? '') ? n : undefined;
    });
    t.diagnostic(`down ${Math.round(performance.now() - t0)} ms after the CLI added the 6th route`);
    // gobgpd back under the limit while vxswitch waits out its restart timer.
    await gb.delMacAdv({ mac: mac(5), label: VNI, rd: GB_RD });
    await gb.delMacAdv({ mac: mac(6), label: VNI, rd: GB_RD });
    assert.equal((down.prefixLimits as Array<{ exceeded: number }>)[0]!.exceeded, 1);
    assert.equal(vx.logsMatching(/6 l2vpn-evpn route\(s\), over max-prefixes 5: session closed for 4 s/).length, 1);
    await vx.waitFdb("gobgpd's MACs gone with the session", (e) => remoteMac(e, VNI, mac(1)) === undefined);
    // gobgpd's own account of the NOTIFICATION it received.
    await vx.until('gobgpd logged the Cease', async () => /maximum.number.of.prefixes/i.test(gb.output) || undefined);

    await vx.waitEstablished(GB_IP, 15_000);
    const upAfter = (performance.now() - t0) / 1000;
    t.diagnostic(`established again ${upAfter.toFixed(1)} s after the 6th route (restart-timer ${RESTART_S} s)`);
    assert.ok(upAfter >= RESTART_S - 0.5, `down for the restart timer (${upAfter.toFixed(1)} s)`);
    await vx.waitFdb('4 MACs back', (e) => e.filter((x) => x.vni === VNI && x.kind === 'remote').length === 4);
    await new Promise((r) => setTimeout(r, 1000));
    const n = await vx.neighbor(GB_IP);
    assert.equal(n?.state, 'established', 'stays up under the limit');
    assert.equal((n?.prefixLimits as Array<{ received: number }>)[0]!.received, 4);
  });
});
