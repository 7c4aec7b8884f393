// Issue 4, acceptance 2: gobgpd 3.10 peering directly with vxswitch, once
// iBGP (both AS 65000) and once eBGP (gobgpd AS 65001). Routes added with
// `gobgp global rib -a evpn add macadv|multicast` reach vxswitch's FDB and
// flood list; vxswitch's own Type 2 (a host behind it sent a frame) and
// Type 3 appear in `gobgp global rib -a evpn -j` with the expected fields;
// withdraws go both ways (gobgp del; a vxswitch port going down in the iBGP
// lab, the MAC aging out (aging-time 5) in the eBGP lab); SIGTERM ends the
// daemon with exit 0 and a Cease that makes gobgpd drop its routes.
//
// vxswitch imports `*:100` by default, so gobgp's `rt 65001:100` (eBGP)
// imports as well as `rt 65000:100`.
//
// gobgpd is passive (an active gobgpd waits 5-10 s before its first
// connection); vxswitch dials it.
//
// Addresses: underlay 10.214.66.0/24 (vxswitch .40, gobgpd .30), host h3
// 10.214.67.3 behind vxswitch, VNI 100.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startGobgpd, type Gobgpd, type GobgpEvpnPath } from '../helpers/gobgp.js';
import { needsRoot, ping, run, Topology, type Host } from '../helpers/netns.js';
import { localMac, remoteMac, startVxswitch, type Vxswitch } from './vxswitch-lab.js';

const VX_AS = 65000;
const VNI = 100;
const VX_IP = '10.214.66.40';
const GB_IP = '10.214.66.30';
const H3 = { ip: '10.214.67.3', mac: '02:14:42:00:03:03' };
const GB_MAC = '02:14:42:00:0b:0b';
const GB_MAC_IP = '10.214.67.30';
const GB_RD = `${GB_IP}:${VNI}`;
const VX_RD = `${VX_IP}:1`;
const VX_RT = `${VX_AS}:${VNI}`;

function binaryMissing(): string | false {
  if (needsRoot) return needsRoot;
  for (const f of ['/usr/bin/gobgpd', '/usr/bin/gobgp']) if (!existsSync(f)) return `needs gobgpd (${f} missing)`;
  return false;
}

const skip = binaryMissing();

function since(from: number): number {
  return Math.round(performance.now() - from);
}

for (const mode of ['iBGP', 'eBGP'] as const) {
  const GB_AS = mode === 'iBGP' ? VX_AS : 65001;
  const GB_RT = `${GB_AS}:${VNI}`;

  describe(`EVPN interop: gobgpd peers with vxswitch (${mode}, gobgpd AS ${GB_AS})`, { skip, timeout: 75_000 }, () => {
    const topo = new Topology();
    let vx: Vxswitch;
    let gb: Gobgpd;
    let h3: Host;
    let vxNs: string;

    before(async () => {
      const t0 = performance.now();
      const ul = await topo.addNamespace();
      const br = await topo.bridge(ul);
      const [vxNs_, gbNs] = await Promise.all([topo.addNamespace(), topo.addNamespace()]);
      vxNs = vxNs_;
      await topo.underlayPort(ul, br, vxNs, `${VX_IP}/24`);
      await topo.underlayPort(ul, br, gbNs, `${GB_IP}/24`);
      h3 = await topo.host(vxNs, { ip: `${H3.ip}/24`, mac: H3.mac, peerName: 'hp0' });
      gb = await startGobgpd(topo, {
        ns: gbNs,
        config: {
          as: GB_AS,
          routerId: GB_IP,
          listenAddresses: [GB_IP],
          neighbors: [{ address: VX_IP, peerAs: VX_AS, localAddress: GB_IP, passive: true, connectRetryS: 1, idleHoldAfterResetS: 1 }],
        },
      });
      vx = await startVxswitch(topo, {
        name: `vx-${mode}`,
        ns: vxNs,
        config: {
          as: VX_AS,
          routerId: VX_IP,
          neighbors: [{ address: GB_IP, peerAs: GB_AS, connectRetryS: 1 }],
          // eBGP lab: MACs age after 5 s, for the withdraw-by-aging test.
          ...(mode === 'eBGP' ? { agingS: 5 } : {}),
          vnis: [{ vni: VNI, members: ['hp0'] }],
        },
      });
      console.log(`evpn-interop-gobgp ${mode}: lab up in ${since(t0)} ms`);
    });

    after(async () => {
      await topo.destroy();
    });

    test('session Established on both sides', async (t: TestContext) => {
      const t0 = performance.now();
      const [n] = await Promise.all([vx.waitEstablished(GB_IP, 20_000), gb.waitEstablished(VX_IP, 20_000)]);
      t.diagnostic(`Established after ${since(t0)} ms`);
      assert.equal(n.peerAs, GB_AS);
      assert.equal(n.routerId, GB_IP);
      const g = (await gb.neighbors()).find((x) => x.address === VX_IP);
      assert.equal(g?.peerAs, VX_AS);
    });

    test('gobgp add macadv / multicast: in vxswitch FDB, flood list and RIB', async (t: TestContext) => {
      const t0 = performance.now();
      await gb.addMulticast({ ip: GB_IP, rd: GB_RD, rts: [GB_RT], pmsiLabel: VNI, nextHop: GB_IP });
      await gb.addMacAdv({ mac: GB_MAC, label: VNI, rd: GB_RD, rts: [GB_RT], nextHop: GB_IP });
      await gb.addMacAdv({ mac: GB_MAC, ip: GB_MAC_IP, label: VNI, rd: GB_RD, rts: [GB_RT], nextHop: GB_IP });
      const fdb = await vx.waitFdb(`${GB_MAC} from gobgp`, (e) => remoteMac(e, VNI, GB_MAC) !== undefined);
      const entry = remoteMac(fdb, VNI, GB_MAC)!;
      assert.equal(entry.vtep, GB_IP);
      assert.equal(entry.origin, 'control');
      const v = await vx.waitVni('gobgp in the flood list', VNI, (x) => x.floodList.includes(GB_IP));
      assert.equal(v.mode, 'evpn');
      t.diagnostic(`in vxswitch FDB + flood list ${since(t0)} ms after the CLI adds`);

      const rib = await vx.rib();
      const fromGb = rib.filter((p) => p.peer === GB_IP);
      const macOnly = fromGb.find((p) => p.routeType === 2 && p.mac === GB_MAC && p.ip === undefined);
      const macIp = fromGb.find((p) => p.routeType === 2 && p.mac === GB_MAC && p.ip === GB_MAC_IP);
      const imet = fromGb.find((p) => p.routeType === 3);
      assert.ok(macOnly && macIp && imet, `RIB from gobgp: ${JSON.stringify(fromGb.map((p) => p.nlri))}`);
      for (const p of [macOnly, macIp, imet]) {
        assert.equal(p.rd, GB_RD);
        assert.equal(p.nextHop, GB_IP);
        assert.equal(p.best, true);
        assert.ok(p.extendedCommunities.includes(`RT:${GB_RT}`), JSON.stringify(p.extendedCommunities));
        assert.ok(p.extendedCommunities.includes('ET:8'), JSON.stringify(p.extendedCommunities));
      }
      assert.deepEqual(macOnly.labels, [VNI]);
      assert.equal(macOnly.frr, `[2]:[0]:[48]:[${GB_MAC}]`);
      assert.equal(macIp.frr, `[2]:[0]:[48]:[${GB_MAC}]:[32]:[${GB_MAC_IP}]`);
      assert.deepEqual(imet.pmsi, { tunnelType: 6, label: VNI, tunnelId: GB_IP });
      assert.equal(imet.frr, `[3]:[0]:[32]:[${GB_IP}]`);
    });

    test("vxswitch's Type 2 and Type 3 in gobgp's RIB with the expected fields", async (t: TestContext) => {
      const t0 = performance.now();
      // A frame from h3 (ARP for an address nobody has) makes vxswitch learn its MAC.
      await ping(h3.ns, '10.214.67.99', { count: 1, replyTimeoutS: 1 });
      const fromVx = (p: GobgpEvpnPath): boolean => p.neighborIp === VX_IP;
      const t2 = await vx.explain(gb.waitRoute("vxswitch's Type 2 for h3", (p) => fromVx(p) && p.routeType === 2 && p.mac === H3.mac && p.ip === undefined));
      const t3 = await vx.explain(gb.waitRoute("vxswitch's Type 3", (p) => fromVx(p) && p.routeType === 3));
      t.diagnostic(`h3's Type 2 in gobgp ${since(t0)} ms after the frame`);
      for (const p of [t2, t3]) {
        assert.equal(p.rd, VX_RD);
        assert.equal(p.etag, 0);
        assert.equal(p.nextHop, VX_IP);
        assert.deepEqual(p.routeTargets, [VX_RT]);
        assert.equal(p.encapsulation, 8, 'encapsulation extended community: VXLAN');
        assert.equal(p.origin, 0, 'ORIGIN IGP');
        if (mode === 'iBGP') {
          assert.equal(p.localPref, 100, 'LOCAL_PREF on iBGP');
          assert.deepEqual(p.asPath ?? [], []);
        } else {
          assert.equal(p.localPref, undefined, 'no LOCAL_PREF on eBGP');
          assert.deepEqual(p.asPath, [VX_AS]);
        }
        assert.equal(p.best, true);
      }
      assert.deepEqual(t2.labels, [VNI]);
      assert.equal(t3.ip, VX_IP, 'originating router IP = VTEP');
      assert.deepEqual(t3.pmsi, { tunnelType: 6, label: VNI, tunnelId: VX_IP, leafInfoRequired: false });
      const own = localMac(await vx.fdb(), VNI, H3.mac);
      assert.equal(own?.origin, 'learned');
      assert.equal(own?.port, 'hp0');
      // Never a group MAC: nothing but h3's MAC is advertised, MAC-only and
      // (ARP snooping saw h3's address in its ARP request) MAC+IP.
      const type2 = (await gb.rib()).filter((p) => fromVx(p) && p.routeType === 2);
      assert.deepEqual(type2.map((p) => p.mac), type2.map(() => H3.mac), 'only h3 is advertised');
      assert.ok(type2.some((p) => p.ip === undefined), 'a MAC-only Type 2');
      assert.ok(type2.every((p) => p.ip === undefined || p.ip === H3.ip), JSON.stringify(type2.map((p) => p.key)));
      t.diagnostic(`vxswitch's Type 2 routes in gobgp: ${JSON.stringify(type2.map((p) => p.key))}`);
    });

    test('gobgp del: the MAC leaves vxswitch FDB, the VTEP its flood list', async (t: TestContext) => {
      const t0 = performance.now();
      await gb.delMacAdv({ mac: GB_MAC, label: VNI, rd: GB_RD });
      await gb.delMacAdv({ mac: GB_MAC, ip: GB_MAC_IP, label: VNI, rd: GB_RD });
      await vx.waitFdb(`${GB_MAC} withdrawn`, (e) => remoteMac(e, VNI, GB_MAC) === undefined);
      await gb.delMulticast({ ip: GB_IP, rd: GB_RD });
      await vx.waitVni('gobgp out of the flood list', VNI, (v) => !v.floodList.includes(GB_IP));
      assert.deepEqual((await vx.rib()).filter((p) => p.peer === GB_IP).map((p) => p.nlri), []);
      assert.equal((await vx.neighbor(GB_IP))?.state, 'established');
      t.diagnostic(`withdrawn in ${since(t0)} ms`);
    });

    if (mode === 'iBGP') {
      test("vxswitch's port goes down: h3's Type 2 is withdrawn from gobgp", async (t: TestContext) => {
        const hasH3 = (p: GobgpEvpnPath): boolean => p.neighborIp === VX_IP && p.routeType === 2 && p.mac === H3.mac;
        await gb.waitRoute("h3's Type 2 before", hasH3);
        const t0 = performance.now();
        await run(null, 'ip', '-n', vxNs, 'link', 'set', 'hp0', 'down');
        await vx.explain(gb.waitNoRoute("h3's Type 2 after link down", hasH3, 10_000));
        assert.equal(localMac(await vx.fdb(), VNI, H3.mac), undefined, "h3's local entry is gone");
        assert.ok((await gb.rib()).some((p) => p.neighborIp === VX_IP && p.routeType === 3), 'the Type 3 stays');
        t.diagnostic(`withdrawn ${since(t0)} ms after link down`);
      });
    } else {
      test("h3's MAC ages out (aging-time 5): its Type 2 is withdrawn from gobgp", async (t: TestContext) => {
        const hasH3 = (p: GobgpEvpnPath): boolean => p.neighborIp === VX_IP && p.routeType === 2 && p.mac === H3.mac;
        const t0 = performance.now();
        // h3 is silent since the ARP attempts of the earlier test (at most ~3 s of them).
        await vx.explain(gb.waitNoRoute("h3's Type 2 after aging", hasH3, 20_000));
        assert.equal(localMac(await vx.fdb(), VNI, H3.mac), undefined, "h3's local entry aged out");
        t.diagnostic(`withdrawn ${since(t0)} ms into the wait`);
        // A new frame brings it back.
        await ping(h3.ns, '10.214.67.99', { count: 1, replyTimeoutS: 1 });
        await gb.waitRoute("h3's Type 2 again", hasH3);
      });
    }

    test('SIGTERM: vxswitch exits 0 after a Cease, gobgpd drops its routes', async (t: TestContext) => {
      const before = (await gb.neighbors()).find((n) => n.address === VX_IP);
      const t0 = performance.now();
      const code = await vx.stop();
      assert.equal(code, 0, `exit code ${code} (signal ${vx.exitSignal})\n${vx.logTail()}`);
      await gb.waitNoRoute("vxswitch's routes", (p) => p.neighborIp === VX_IP, 10_000);
      const after = (await gb.neighbors()).find((n) => n.address === VX_IP);
      assert.notEqual(after?.state, 'established');
      assert.ok(
        (after?.received['notification'] ?? 0) > (before?.received['notification'] ?? 0),
        `gobgpd counted a NOTIFICATION: ${JSON.stringify(after?.received)}`,
      );
      t.diagnostic(`routes gone from gobgp ${since(t0)} ms after SIGTERM`);
    });

    test('vxswitch logged no error', () => {
      assert.deepEqual(vx.errorLines().map((l) => l.msg), [], vx.logTail());
    });
  });
}
