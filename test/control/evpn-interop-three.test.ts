// Issue 4, acceptance 3: three vxswitches in the goplane demo topology.
// eBGP full mesh (vx1 AS 65001, vx2 65002, vx3 65003), two VNIs with the
// same host IPs and MACs: tenant 10 = h1, h2, h3 and tenant 20 = j1, j2, j3
// (hN and jN share 10.214.69.N and 02:14:44:00:00:0N), plus j4 (10.214.69.4)
// behind vx2 that exists only in tenant 20. Every host pings the others of
// its tenant; captures on the other tenant's hosts see none of it; h1
// cannot reach j4's address; deleting h2's veth withdraws h2's MAC (VNI 10)
// from the other two switches while j2's identical MAC (VNI 20) stays.
// aging-time 5 everywhere, so a removed host's MAC goes within seconds.
//
// Addresses: underlay 10.214.68.0/24 (vxN .N), hosts 10.214.69.0/24.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { needsRoot, ping, readCapture, run, Topology, type Capture, type Host } from '../helpers/netns.js';
import { remoteMac, startVxswitch, type VxFdbEntry, type Vxswitch } from './vxswitch-lab.js';

const VNIS = [10, 20] as const;
const SWITCHES = [1, 2, 3] as const;
const asOf = (n: number): number => 65000 + n;
const vxIp = (n: number): string => `10.214.68.${n}`;
const hostIp = (n: number): string => `10.214.69.${n}`;
const hostMac = (n: number): string => `02:14:44:00:00:0${n}`;

const skip = needsRoot;

function since(from: number): number {
  return Math.round(performance.now() - from);
}

interface Tenant {
  vni: number;
  hosts: Host[];
}

describe('EVPN interop: three vxswitches, eBGP full mesh, two tenants with the same IPs and MACs', { skip, timeout: 120_000 }, () => {
  const topo = new Topology();
  const vx: Vxswitch[] = [];
  const tenants: Tenant[] = [];
  let j4: Host;
  let vxNs: string[] = [];

  before(async () => {
    const t0 = performance.now();
    const ul = await topo.addNamespace();
    const br = await topo.bridge(ul);
    vxNs = await Promise.all(SWITCHES.map(() => topo.addNamespace()));
    for (const n of SWITCHES) await topo.underlayPort(ul, br, vxNs[n - 1]!, `${vxIp(n)}/24`);
    for (const vni of VNIS) {
      const hosts: Host[] = [];
      for (const n of SWITCHES) {
        hosts.push(await topo.host(vxNs[n - 1]!, { ip: `${hostIp(n)}/24`, mac: hostMac(n), peerName: `hp${vni}` }));
      }
      tenants.push({ vni, hosts });
    }
    j4 = await topo.host(vxNs[1]!, { ip: `${hostIp(4)}/24`, mac: hostMac(4), peerName: 'hq20' });
    const tTopo = since(t0);
    vx.push(
      ...(await Promise.all(
        SWITCHES.map((n) =>
          startVxswitch(topo, {
            name: `vx${n}`,
            ns: vxNs[n - 1]!,
            config: {
              as: asOf(n),
              routerId: vxIp(n),
              neighbors: SWITCHES.filter((m) => m !== n).map((m) => ({ address: vxIp(m), peerAs: asOf(m), connectRetryS: 1 })),
              agingS: 5,
              vnis: VNIS.map((vni) => ({ vni, members: n === 2 && vni === 20 ? ['hp20', 'hq20'] : [`hp${vni}`] })),
            },
          }),
        ),
      )),
    );
    console.log(`evpn-interop-three: topology ${tTopo} ms, switches up ${since(t0)} ms`);
  });

  after(async () => {
    await topo.destroy();
  });

  test('every switch has both eBGP sessions Established and both peers in each flood list', async (t: TestContext) => {
    const t0 = performance.now();
    await Promise.all(
      SWITCHES.flatMap((n) => SWITCHES.filter((m) => m !== n).map((m) => vx[n - 1]!.waitEstablished(vxIp(m), 20_000))),
    );
    t.diagnostic(`full mesh Established after ${since(t0)} ms`);
    await Promise.all(
      SWITCHES.flatMap((n) =>
        VNIS.map((vni) => {
          const others = SWITCHES.filter((m) => m !== n).map(vxIp);
          return vx[n - 1]!.waitVni(`flood list of VNI ${vni}`, vni, (x) => others.every((ip) => x.floodList.includes(ip)), 20_000);
        }),
      ),
    );
    t.diagnostic(`every flood list complete after ${since(t0)} ms`);
    for (const n of SWITCHES) {
      const s = vx[n - 1]!;
      const [neighbors, vnis] = await Promise.all([s.neighbors(), s.vnis()]);
      const others = SWITCHES.filter((m) => m !== n);
      assert.deepEqual(
        neighbors.map((x) => [x.address, x.peerAs, x.state]).sort(),
        others.map((m) => [vxIp(m), asOf(m), 'established']),
        `vx${n} neighbors`,
      );
      for (const vni of VNIS) {
        const v = vnis.find((x) => x.vni === vni);
        assert.deepEqual([...(v?.floodList ?? [])].sort(), others.map(vxIp), `vx${n} VNI ${vni}: no VTEP but the other two`);
      }
    }
  });

  for (const [index, vni] of VNIS.entries()) {
    test(`tenant ${vni}: every host pings every other host of the tenant; the other tenant sees nothing`, async (t: TestContext) => {
      const tenant = tenants[index]!;
      const members = vni === 20 ? [...tenant.hosts, j4] : tenant.hosts;
      const others = vni === 20 ? tenants[0]!.hosts : [...tenants[1]!.hosts, j4];
      const captures: Capture[] = await Promise.all(others.map((h) => topo.startCapture(h.ns, 'eth0', { filter: ['arp', 'or', 'icmp'] })));
      const t0 = performance.now();
      const results = await Promise.all(
        members.flatMap((from) =>
          members
            .filter((to) => to !== from)
            .map(async (to) => ({ from: from.ip!, to: to.ip!, r: await ping(from.ns, to.ip!, { count: 3, intervalS: 0.2, replyTimeoutS: 2 }) })),
        ),
      );
      const tPing = since(t0);
      const files = await Promise.all(captures.map((c) => c.stop()));
      const failed = results.filter((x) => x.r.received !== x.r.transmitted).map((x) => `${x.from} -> ${x.to}: ${x.r.received}/${x.r.transmitted}`);
      assert.deepEqual(failed, [], `tenant ${vni} pings`);
      for (const [i, f] of files.entries()) {
        const records = (await readCapture(f)).records;
        assert.equal(records.length, 0, `${others[i]!.ip} (other tenant) received ${records.length} ARP/ICMP frames of tenant ${vni}`);
      }
      // Each switch holds the other switches' hosts of this tenant as remote,
      // in this VNI (read at once: with aging-time 5 they go a few seconds
      // after the pings).
      await Promise.all(
        SWITCHES.map(async (n) => {
          const expected = members.map((h, i) => ({ h, at: h === j4 ? 2 : i + 1 })).filter((x) => x.at !== n);
          const fdb = await vx[n - 1]!.waitFdb(
            `tenant ${vni} remote MACs`,
            (e) => expected.every((x) => remoteMac(e, vni, x.h.mac)?.vtep === vxIp(x.at)),
            4_000,
          );
          for (const x of expected) assert.equal(remoteMac(fdb, vni, x.h.mac)?.origin, 'control');
        }),
      );
      t.diagnostic(`${results.length} pings in ${tPing} ms`);
    });
  }

  test("no cross-tenant reachability: h1 (VNI 10) cannot reach j4's address, j1 (VNI 20) can", async () => {
    const h1 = tenants[0]!.hosts[0]!;
    const j1 = tenants[1]!.hosts[0]!;
    const [fromH1, fromJ1] = await Promise.all([
      ping(h1.ns, hostIp(4), { count: 3, intervalS: 0.2, replyTimeoutS: 1 }),
      ping(j1.ns, hostIp(4), { count: 3, intervalS: 0.2, replyTimeoutS: 2 }),
    ]);
    assert.equal(fromH1.received, 0, `h1 -> ${hostIp(4)}:\n${fromH1.output}`);
    assert.equal(fromJ1.received, 3, `j1 -> ${hostIp(4)}:\n${fromJ1.output}`);
    for (const n of SWITCHES) {
      const fdb = await vx[n - 1]!.fdb();
      assert.equal(fdb.find((e) => e.vni === 10 && e.mac === hostMac(4)), undefined, `vx${n}: j4's MAC never in VNI 10`);
    }
  });

  test("removing h2 (its veth deleted) withdraws its MAC in VNI 10 everywhere; j2's identical MAC in VNI 20 stays", async (t: TestContext) => {
    const h2 = tenants[0]!.hosts[1]!;
    const j2 = tenants[1]!.hosts[1]!;
    const h1 = tenants[0]!.hosts[0]!;
    const j1 = tenants[1]!.hosts[0]!;
    const mac = hostMac(2);
    const present = (e: VxFdbEntry[]): boolean => remoteMac(e, 10, mac) !== undefined && remoteMac(e, 20, mac) !== undefined;
    // j2 keeps talking for the whole test, so its MAC never ages.
    // (bounded: -c 100 at 0.3 s, killed when the test ends)
    const j2Talks = topo.spawn(j2.ns, ['ping', '-4', '-n', '-q', '-c', '100', '-i', '0.3', j1.ip!]);
    j2Talks.stdout!.resume();
    j2Talks.stderr!.resume();
    try {
      await ping(h2.ns, h1.ip!, { count: 1, replyTimeoutS: 2 });
      await Promise.all([vx[0]!.waitFdb('h2 and j2 before', present, 5_000), vx[2]!.waitFdb('h2 and j2 before', present, 5_000)]);
      const t0 = performance.now();
      await run(null, 'ip', '-n', vxNs[1]!, 'link', 'del', 'hp10');
      await Promise.all(
        [vx[0]!, vx[2]!].map((s) => s.waitFdb(`h2's MAC gone from VNI 10`, (e) => remoteMac(e, 10, mac) === undefined, 20_000)),
      );
      const tGone = since(t0);
      for (const s of [vx[0]!, vx[2]!]) {
        const e = await s.fdb();
        assert.equal(remoteMac(e, 20, mac)?.vtep, vxIp(2), `${s.name}: j2 (VNI 20, same MAC) is still there`);
        assert.ok(
          !(await s.rib()).some((p) => p.routeType === 2 && p.mac === mac && p.extendedCommunities.some((c) => /:10$/.test(c))),
          `${s.name}: no VNI 10 route for ${mac} left`,
        );
      }
      assert.equal((await vx[1]!.fdb()).find((e) => e.vni === 10 && e.mac === mac), undefined, 'vx2: no local entry left');
      assert.ok(vx.every((s) => s.running), 'no switch died when its member port went away');
      t.diagnostic(`h2's MAC withdrawn from vx1 and vx3 ${tGone} ms after the veth was deleted`);
    } finally {
      j2Talks.kill('SIGINT');
    }
  });

  test('no switch logged an error', () => {
    for (const s of vx) assert.deepEqual(s.errorLines().map((l) => l.msg), [], `${s.name}\n${s.logTail()}`);
  });
});
