// Issue 9 item 8: route refresh against FRR, which negotiates enhanced
// route refresh (RFC 7313). `clear bgp l2vpn evpn <vxswitch> soft in` on
// the FRR route reflector makes FRR send ROUTE-REFRESH (it keeps no
// Adj-RIB-In copy without soft-reconfiguration inbound); vxswitch answers
// with BoRR, its routes, EoRR. FRR marks our routes stale at BoRR and
// purges what is still stale at EoRR, so a refresh that left out a route
// would remove it at FRR: every route must still be there afterwards.
// Before the fix, vxswitch's answer threw ("send-update: not an UPDATE
// message") and FRR received nothing.
//
// Addresses: underlay 10.221.9.0/24 (RR .254, vxswitch .40), VNIs 100 and
// 200 (one member port each, no traffic: one Type 3 route per VNI).

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { frrMissing, routeReflectorConfig, startFrr, type FrrInstance } from '../helpers/frr.js';
import { Topology, delay, waitFor } from '../helpers/netns.js';
import { startVxswitch, type Vxswitch } from './vxswitch-lab.js';

const AS = 65000;
const RR_IP = '10.221.9.254';
const VX_IP = '10.221.9.40';
const VNIS = [100, 200];

describe('route refresh with FRR (enhanced route refresh, RFC 7313)', { skip: frrMissing(), timeout: 90_000 }, () => {
  const topo = new Topology();
  let rr: FrrInstance;
  let vx: Vxswitch;

  before(async () => {
    const ul = await topo.addNamespace();
    const br = await topo.bridge(ul);
    const [rrNs, vxNs] = await Promise.all([topo.addNamespace(), topo.addNamespace()]);
    await topo.underlayPort(ul, br, rrNs!, `${RR_IP}/24`);
    await topo.underlayPort(ul, br, vxNs!, `${VX_IP}/24`);
    await topo.host(vxNs!, { ip: '10.221.10.1/24', mac: '02:21:09:00:00:01', peerName: 'hp0' });
    await topo.host(vxNs!, { ip: '10.221.11.1/24', mac: '02:21:09:00:00:02', peerName: 'hp1' });
    rr = await startFrr(topo, {
      ns: rrNs!,
      bgpdConf: routeReflectorConfig({ hostname: 'rr', as: AS, routerId: RR_IP, neighbors: [{ address: VX_IP, passive: true }] }),
    });
    const vnis = VNIS.map((vni, i) => ({ vni, members: [`hp${i}`] }));
    vx = await startVxswitch(topo, { name: 'vx', ns: vxNs!, config: { as: AS, routerId: VX_IP, neighbors: [{ address: RR_IP, peerAs: AS }], vnis } });
  });

  after(async () => {
    await topo.destroy();
  });

  test('item 8: clear bgp ... soft in at FRR: BoRR, every route, EoRR; FRR keeps every route; nothing thrown', async (t: TestContext) => {
    await rr.waitEstablished(VX_IP);
    const ours = (): Promise<number> => rr.evpnRoutes().then((ps) => ps.filter((p) => p.routeType === 3 && p.originatorIp === VX_IP && p.valid).length);
    await waitFor('both Type 3 routes at FRR', async () => (await ours()) === VNIS.length || undefined, 15_000, 100);
    const before = (await rr.neighbor(VX_IP))!.messageStats;
    await rr.vtysh(`clear bgp l2vpn evpn ${VX_IP} soft in`);
    // FRR counts BoRR and EoRR as ROUTE-REFRESH received, and the routes between them as UPDATEs.
    const after = await waitFor(
      'BoRR and EoRR at FRR',
      async () => {
        const s = (await rr.neighbor(VX_IP))?.messageStats;
        return s !== undefined && (s['routeRefreshRecv'] ?? 0) >= (before['routeRefreshRecv'] ?? 0) + 2 ? s : undefined;
      },
      10_000,
      100,
    ).catch(async (e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${vx.logTail()}`);
    });
    t.diagnostic(`FRR message stats before ${JSON.stringify(before)}, after ${JSON.stringify(after)}`);
    assert.equal((after['routeRefreshSent'] ?? 0) - (before['routeRefreshSent'] ?? 0), 1, 'FRR asked once');
    assert.ok((after['updatesRecv'] ?? 0) > (before['updatesRecv'] ?? 0), 'the routes came again');
    // EoRR purged whatever was not sent again: both routes must still be there.
    await delay(500);
    assert.equal(await ours(), VNIS.length);
    assert.equal((await rr.neighbor(VX_IP))?.state, 'Established');
    assert.deepEqual(vx.errorLines(), [], 'no error logged by vxswitch');
    assert.deepEqual(vx.logsMatching(/threw/), []);
  });
});
