// Issue 3's acceptance: vxswitch's Dataplane against the Linux vxlan driver,
// in network namespaces this file makes and always removes (Topology). Every
// Dataplane forwards on this process's event loop, so every command here is
// an async child process (never execFileSync while a Dataplane is open).
//
// Addresses: underlay 10.213.0.0/24 (vxswitch 10.213.0.1, kernel VTEP
// 10.213.0.2), hosts 10.213.1.0/24 and fd00:213::/64. Every ping and iperf3
// run is bounded in count and time, and only talks to these hosts.

import { testWorkers } from '../helpers/workers-env.js';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import type { DataplaneConfig, VniConfig } from '../../src/dataplane/dataplane-config.js';
import {
  Topology,
  delay,
  exec,
  flushNeighbours,
  inNs,
  iperf3Tcp,
  needsRoot,
  neighbour,
  ping,
  readCapture,
  run,
  waitFor,
  type Host,
  type HostOptions,
} from '../helpers/netns.js';
import { frames, icmpv4, isArp, pingPattern, vxlanDatagrams } from '../helpers/vxlan-capture.js';

const S_VTEP = '10.213.0.1';
const K_VTEP = '10.213.0.2';
/** The underlay carries 1500-byte inner frames plus 50 bytes of VXLAN/UDP/IPv4/Ethernet (BENCH-NOTES.md). */
const UNDERLAY_MTU = 1550;
const VNI = 100;

const HOST_A: HostOptions = { ip: '10.213.1.1/24', ip6: 'fd00:213::1/64', mac: '02:13:00:00:00:0a' };
const HOST_B: HostOptions = { ip: '10.213.1.2/24', ip6: 'fd00:213::2/64', mac: '02:13:00:00:00:0b' };

/** A switch namespace S and a kernel VTEP namespace K joined by one underlay veth. */
interface Pair {
  s: string;
  k: string;
  /** Underlay interface in S / in K. */
  su: string;
  ku: string;
}

async function underlayPair(topo: Topology): Promise<Pair> {
  const s = await topo.addNamespace();
  const k = await topo.addNamespace();
  const su = topo.name();
  const ku = topo.name();
  await topo.veth(s, su, k, ku, { mtu: UNDERLAY_MTU });
  await topo.address(s, su, `${S_VTEP}/24`);
  await topo.address(k, ku, `${K_VTEP}/24`);
  return { s, k, su, ku };
}

/** Open a Dataplane, collecting its warnings for the test's diagnostics. */
async function openDataplane(t: TestContext, config: DataplaneConfig, warnings: string[]): Promise<Dataplane> {
  const workers = testWorkers();
  const dp = await Dataplane.open(workers === undefined ? config : { ...config, workers }, { warn: (m) => warnings.push(m) });
  t.after(() => {
    for (const w of warnings) t.diagnostic(`dataplane warning: ${w}`);
  });
  return dp;
}

function staticVni(vni: number, port: string, dstport = 4789, kind: 'packet' | 'tap' = 'packet'): VniConfig {
  return { vni, mode: 'static', vxlanPort: dstport, ports: [{ name: port, kind }], floodList: [K_VTEP] };
}

async function pingAll(from: Host, to: Host, what: string, ipv6 = false, count = 3): Promise<void> {
  const target = ipv6 ? to.ip6! : to.ip!;
  const r = await ping(from.ns, target, { count, ipv6 });
  assert.equal(r.received, count, `${what}: ${from.ip} -> ${target} lost ${r.transmitted - r.received}/${r.transmitted}\n${r.output}`);
}

async function kernelFdbDst(ns: string, vxlan: string, mac: string): Promise<string | undefined> {
  const out = await run(null, 'bridge', '-n', ns, '-j', 'fdb', 'show', 'dev', vxlan);
  const entries = JSON.parse(out || '[]') as Array<{ mac: string; dst?: string }>;
  return entries.find((e) => e.mac.toLowerCase() === mac && e.dst !== undefined)?.dst;
}

function vniCounters(dp: Dataplane, vni: number): ReturnType<Dataplane['counters']>['vnis'][number] {
  const v = dp.counters().vnis.find((x) => x.vni === vni);
  assert.ok(v, `counters for VNI ${vni}`);
  return v;
}

// ---------------------------------------------------------------- 1. static mode

for (const dstport of [4789, 8472]) {
  test(`static mode, dstport ${dstport}: ping both ways (IPv4, IPv6, first packet from either side), ARP through the flood, iperf3 TCP 5 s`, { skip: needsRoot, timeout: 90_000 }, async (t) => {
    const topo = new Topology();
    let dp: Dataplane | undefined;
    try {
      const { s, k, su } = await underlayPair(topo);
      const hA = await topo.host(s, HOST_A);
      const kv = await topo.kernelVtep({ ns: k, vni: VNI, dstport, local: K_VTEP, flood: [S_VTEP], hosts: [HOST_B] });
      const hB = kv.hosts[0]!;
      const learned: string[] = [];
      dp = await openDataplane(
        t,
        { vtepAddress: S_VTEP, underlayInterface: su, netns: s, vnis: [staticVni(VNI, hA.peer, dstport)] },
        [],
      );
      dp.on('localLearned', (vni, mac) => learned.push(`${vni}/${mac}`));

      // A first, on fresh neighbour caches: hA's ARP request is flooded by vxswitch to K.
      await flushNeighbours(hA.ns);
      await flushNeighbours(hB.ns);
      await pingAll(hA, hB, 'A first, IPv4');
      assert.equal((await neighbour(hA.ns, hB.ip!))?.lladdr, hB.mac, "hA's neighbour entry for hB came through the flood");
      await pingAll(hA, hB, 'A first, IPv6', true);
      assert.equal((await neighbour(hA.ns, hB.ip6!))?.lladdr, hB.mac, "hA's IPv6 neighbour entry for hB");

      // B first, on fresh ones: hB's ARP request is flooded by the kernel to vxswitch.
      await flushNeighbours(hA.ns);
      await flushNeighbours(hB.ns);
      await pingAll(hB, hA, 'B first, IPv4');
      assert.equal((await neighbour(hB.ns, hA.ip!))?.lladdr, hA.mac, "hB's neighbour entry for hA");
      await pingAll(hB, hA, 'B first, IPv6', true);

      // vxswitch learned hB behind K (static mode learns from the outer source) and hA on its port.
      const entries = dp.fdbEntries(VNI);
      const b = entries.find((e) => e.mac === hB.mac);
      assert.ok(b, `hB's MAC ${hB.mac} in the FDB: ${JSON.stringify(entries)}`);
      assert.equal(b.kind, 'remote');
      assert.equal(b.vtep, K_VTEP);
      const a = entries.find((e) => e.mac === hA.mac);
      assert.ok(a, `hA's MAC ${hA.mac} in the FDB: ${JSON.stringify(entries)}`);
      assert.equal(a.kind, 'local');
      assert.equal(a.port, hA.peer);
      assert.ok(learned.includes(`${VNI}/${hA.mac}`), `localLearned for hA: ${learned.join(', ')}`);
      // The kernel learned hA behind vxswitch's VTEP address: the outer source is right.
      assert.equal(await kernelFdbDst(k, kv.vxlan, hA.mac), S_VTEP);

      const iperf = await iperf3Tcp(topo, { ns: hB.ns, ip: hB.ip! }, { ns: hA.ns }, 5);
      t.diagnostic(`iperf3 TCP hA -> hB through vxswitch (dstport ${dstport}): ${(iperf.bitsPerSecond / 1e6).toFixed(1)} Mbit/s over ${iperf.seconds.toFixed(1)} s`);
      assert.ok(iperf.bitsPerSecond > 0, 'iperf3 reported a rate');
      assert.equal(iperf.serverExit, 0, 'the iperf3 server finished its one test');

      const c = vniCounters(dp, VNI);
      assert.ok(c.encapsulated > 0 && c.decapsulated > 0, JSON.stringify(c));
      assert.ok(c.flooded > 0, `the ARP / neighbour solicitations were flooded: ${JSON.stringify(c)}`);
      t.diagnostic(`VNI ${VNI} counters: ${JSON.stringify(c)}`);
    } finally {
      await dp?.close();
      await topo.destroy();
    }
  });
}

// ---------------------------------------------------------------- 2. multicast mode

test('multicast mode: two vxswitches and a kernel vxlan with group 239.1.1.1, every pair of hosts pings', { skip: needsRoot, timeout: 90_000 }, async (t) => {
  const GROUP = '239.1.1.1';
  const topo = new Topology();
  const dps: Dataplane[] = [];
  try {
    // One underlay L2 segment: a bridge (no multicast snooping: it floods the group) in namespace U.
    const u = await topo.addNamespace();
    const ubr = await topo.bridge(u, undefined, UNDERLAY_MTU);
    const members: Array<{ ns: string; ifname: string; ip: string }> = [];
    for (const ip of ['10.213.0.1', '10.213.0.2', '10.213.0.3']) {
      const ns = await topo.addNamespace();
      const ifname = topo.name();
      const port = topo.name();
      await topo.veth(ns, ifname, u, port, { mtu: UNDERLAY_MTU });
      await topo.setMaster(u, port, ubr);
      await topo.address(ns, ifname, `${ip}/24`);
      members.push({ ns, ifname, ip });
    }
    const [m1, m2, mk] = members as [(typeof members)[0], (typeof members)[0], (typeof members)[0]];
    const hA = await topo.host(m1.ns, { ip: '10.213.1.1/24', mac: '02:13:00:00:00:0a' });
    const hB = await topo.host(m2.ns, { ip: '10.213.1.2/24', mac: '02:13:00:00:00:0b' });
    const kv = await topo.kernelVtep({
      ns: mk.ns,
      vni: VNI,
      group: GROUP,
      dev: mk.ifname,
      hosts: [{ ip: '10.213.1.3/24', mac: '02:13:00:00:00:0c' }],
    });
    const hC = kv.hosts[0]!;
    for (const [m, h] of [
      [m1, hA],
      [m2, hB],
    ] as const) {
      const warnings: string[] = [];
      dps.push(
        await openDataplane(
          t,
          {
            vtepAddress: m.ip,
            underlayInterface: m.ifname,
            netns: m.ns,
            vnis: [{ vni: VNI, mode: 'multicast', multicastGroup: GROUP, ports: [{ name: h.peer, kind: 'packet' }] }],
          },
          warnings,
        ),
      );
    }
    const hosts = [hA, hB, hC];
    for (const from of hosts) {
      for (const to of hosts) {
        if (from === to) continue;
        await pingAll(from, to, 'multicast mode');
      }
    }
    // Both switches learned the others' hosts behind the right VTEPs (multicast mode learns as the kernel does).
    const [dp1, dp2] = dps as [Dataplane, Dataplane];
    const at = (dp: Dataplane, mac: string): string | undefined => dp.fdbEntries(VNI).find((e) => e.mac === mac)?.vtep;
    assert.equal(at(dp1, hB.mac), m2.ip);
    assert.equal(at(dp1, hC.mac), mk.ip);
    assert.equal(at(dp2, hA.mac), m1.ip);
    assert.equal(at(dp2, hC.mac), mk.ip);
    t.diagnostic(`switch 1 VNI counters: ${JSON.stringify(vniCounters(dp1, VNI))}`);
  } finally {
    for (const dp of dps) await dp.close();
    await topo.destroy();
  }
});

// ---------------------------------------------------------------- 3. TAP mode

test('TAP mode: vxswitch creates a TAP, its address answers ping from a host behind a kernel VTEP', { skip: needsRoot, timeout: 60_000 }, async (t) => {
  const topo = new Topology();
  let dp: Dataplane | undefined;
  try {
    const { s, k, su } = await underlayPair(topo);
    const tap = topo.name();
    const kv = await topo.kernelVtep({ ns: k, vni: VNI, local: K_VTEP, flood: [S_VTEP], hosts: [HOST_B] });
    const hB = kv.hosts[0]!;
    dp = await openDataplane(
      t,
      { vtepAddress: S_VTEP, underlayInterface: su, netns: s, vnis: [staticVni(VNI, tap, 4789, 'tap')] },
      [],
    );
    // The TAP exists now (vxswitch made it in S); the test gives it an address, as an operator would.
    await topo.address(s, tap, '10.213.1.10/24');
    await topo.linkUp(s, tap);
    const tapMac = await topo.macOf(s, tap);
    const r = await ping(hB.ns, '10.213.1.10', { count: 3 });
    assert.equal(r.received, 3, r.output);
    assert.equal((await neighbour(hB.ns, '10.213.1.10'))?.lladdr, tapMac, "hB resolved the TAP's MAC");
    const local = dp.fdbEntries(VNI).find((e) => e.mac === tapMac);
    assert.equal(local?.kind, 'local');
    assert.equal(local?.port, tap);
  } finally {
    await dp?.close();
    await topo.destroy();
  }
});

// ---------------------------------------------------------------- 4. two tenants

test('two tenants (VNI 100 and 200) with the same IPs and MACs: each pings within itself, no frame crosses', { skip: needsRoot, timeout: 90_000 }, async (t) => {
  const topo = new Topology();
  let dp: Dataplane | undefined;
  try {
    const { s, k, su, ku } = await underlayPair(topo);
    const same = { a: { ip: '10.213.1.1/24', mac: '02:13:00:00:00:0a' }, b: { ip: '10.213.1.2/24', mac: '02:13:00:00:00:0b' } };
    // ping -p pad bytes tell the tenants' echoes apart (their IPs and MACs are the same).
    const tenants = [
      { vni: 100, pattern: 0xa1, a: await topo.host(s, same.a), b: undefined as Host | undefined },
      { vni: 200, pattern: 0xb2, a: await topo.host(s, same.a), b: undefined as Host | undefined },
    ];
    for (const tn of tenants) {
      const kv = await topo.kernelVtep({ ns: k, vni: tn.vni, local: K_VTEP, flood: [S_VTEP], hosts: [same.b] });
      tn.b = kv.hosts[0]!;
    }
    dp = await openDataplane(
      t,
      { vtepAddress: S_VTEP, underlayInterface: su, netns: s, vnis: tenants.map((tn) => staticVni(tn.vni, tn.a.peer)) },
      [],
    );

    for (const tn of tenants) {
      const other = tenants.find((x) => x !== tn)!;
      const pat = tn.pattern.toString(16);
      // Fresh neighbour caches everywhere: ARP is flooded (the case where a leak would show), and the idle tenant stays silent.
      for (const x of tenants) {
        await flushNeighbours(x.a.ns);
        await flushNeighbours(x.b!.ns);
      }
      const underlay = await topo.startCapture(k, ku, { filter: ['udp', 'port', '4789'] });
      const idle = [
        await topo.startCapture(other.a.ns, 'eth0', { direction: 'in' }),
        await topo.startCapture(other.b!.ns, 'eth0', { direction: 'in' }),
      ];
      for (const [from, to] of [
        [tn.a, tn.b!],
        [tn.b!, tn.a],
      ] as const) {
        const r = await ping(from.ns, to.ip!, { count: 5, pattern: pat });
        assert.equal(r.received, 5, `VNI ${tn.vni}: ${r.output}`);
      }
      const datagrams = vxlanDatagrams(await readCapture(await underlay.stop()));
      // While only this tenant talks, every VXLAN datagram on the underlay carries its VNI.
      for (const d of datagrams) {
        const icmp = icmpv4(d.inner);
        const p = icmp ? pingPattern(icmp.payload) : undefined;
        assert.equal(d.vni, tn.vni, `frame ${d.number} (${d.outerSrc} -> ${d.outerDst}, inner pattern ${p?.toString(16)}) while VNI ${tn.vni} pinged`);
      }
      const echoes = datagrams.filter((d) => {
        const icmp = icmpv4(d.inner);
        return icmp !== undefined && pingPattern(icmp.payload) === tn.pattern;
      });
      // 5 + 5 requests and 5 + 5 replies, each crossing the underlay once.
      const listing = datagrams
        .map((d) => {
          const icmp = icmpv4(d.inner);
          const what = icmp ? `icmp type ${icmp.type} pattern ${pingPattern(icmp.payload)?.toString(16)}` : `ethertype 0x${d.inner.readUInt16BE(12).toString(16)}`;
          return `#${d.number} ${d.outerSrc} -> ${d.outerDst} vni ${d.vni} ${what}`;
        })
        .join('\n');
      assert.equal(echoes.filter((d) => icmpv4(d.inner)!.type === 8).length, 10, `echo requests on the underlay:\n${listing}`);
      assert.equal(echoes.filter((d) => icmpv4(d.inner)!.type === 0).length, 10, `echo replies on the underlay:\n${listing}`);
      // Nothing of this tenant reached the other tenant's hosts: no echo with its pattern, no (flooded) ARP.
      for (const cap of idle) {
        const got = frames(await readCapture(await cap.stop()));
        const leaked = got.filter((f) => {
          const icmp = icmpv4(f);
          return isArp(f) || (icmp !== undefined && pingPattern(icmp.payload) === tn.pattern);
        });
        assert.equal(leaked.length, 0, `VNI ${tn.vni} frames reached VNI ${other.vni}'s host (${cap.path})`);
      }
    }
    // One MAC in two VNIs: two local entries on two ports, two remote ones.
    for (const tn of tenants) {
      const e = dp.fdbEntries(tn.vni);
      assert.equal(e.find((x) => x.mac === same.a.mac)?.port, tn.a.peer, `VNI ${tn.vni} local entry`);
      assert.equal(e.find((x) => x.mac === same.b.mac)?.vtep, K_VTEP, `VNI ${tn.vni} remote entry`);
    }
  } finally {
    await dp?.close();
    await topo.destroy();
  }
});

// ---------------------------------------------------------------- 5. bad underlay input

/** A small datagram sender run in a namespace: node's dgram, bounded count, exits by itself. */
const SENDER = `
const dgram = require('node:dgram');
const spec = JSON.parse(process.argv[process.argv.length - 1]);
(async () => {
  for (const s of spec.sends) {
    const sock = dgram.createSocket('udp4');
    await new Promise((res, rej) => { sock.once('error', rej); sock.bind({ address: s.from, port: 0 }, res); });
    const buf = Buffer.from(s.hex, 'hex');
    for (let i = 0; i < Math.min(s.count, 100); i++) {
      await new Promise((res, rej) => sock.send(buf, spec.port, spec.to, (e) => (e ? rej(e) : res())));
    }
    sock.close();
  }
})().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
`;

function vxlanHeader(flags: number, vni: number): Buffer {
  const h = Buffer.alloc(8);
  h[0] = flags;
  h.writeUIntBE(vni, 4, 3);
  return h;
}

/** A 60-byte broadcast frame from src (EtherType 0x88b5, IEEE local experimental). */
function innerFrame(src: string): Buffer {
  const f = Buffer.alloc(60);
  f.fill(0xff, 0, 6);
  Buffer.from(src.split(':').map((x) => parseInt(x, 16))).copy(f, 6);
  f.writeUInt16BE(0x88b5, 12);
  return f;
}

test('bad underlay input: each malformed or foreign datagram is dropped and counted by reason while forwarding continues', { skip: needsRoot, timeout: 60_000 }, async (t) => {
  const EVPN_VNI = 300;
  const STRANGER = '10.213.0.99';
  const topo = new Topology();
  let dp: Dataplane | undefined;
  try {
    const { s, k, su, ku } = await underlayPair(topo);
    // A second address in K: a VTEP the evpn-mode VNI's control plane never told vxswitch about.
    await topo.address(k, ku, `${STRANGER}/24`);
    const hA = await topo.host(s, HOST_A);
    const h300 = await topo.host(s, { ip: '10.213.3.1/24', mac: '02:13:00:00:03:01' });
    const kv = await topo.kernelVtep({ ns: k, vni: VNI, local: K_VTEP, flood: [S_VTEP], hosts: [HOST_B] });
    const hB = kv.hosts[0]!;
    dp = await openDataplane(
      t,
      {
        vtepAddress: S_VTEP,
        underlayInterface: su,
        netns: s,
        vnis: [staticVni(VNI, hA.peer), { vni: EVPN_VNI, mode: 'evpn', ports: [{ name: h300.peer, kind: 'packet' }] }],
      },
      [],
    );
    // The control plane knows K (a Type 3 route, say), not STRANGER.
    dp.setFloodList(EVPN_VNI, [K_VTEP]);

    // Distinct counts per reason, so a datagram counted under the wrong reason shows.
    const bogus = ['02:13:ee:00:00:01', '02:13:ee:00:00:02', '02:13:ee:00:00:05'];
    const sends = [
      { reason: 'vxlan-flags', from: K_VTEP, count: 3, bytes: Buffer.concat([vxlanHeader(0x00, VNI), innerFrame(bogus[0]!)]) },
      { reason: 'vxlan-unknown-vni', from: K_VTEP, count: 4, bytes: Buffer.concat([vxlanHeader(0x08, 999), innerFrame(bogus[1]!)]) },
      { reason: 'vxlan-truncated', from: K_VTEP, count: 5, bytes: Buffer.from([0x08, 0, 0, 0, 0]) },
      { reason: 'inner-runt', from: K_VTEP, count: 6, bytes: Buffer.concat([vxlanHeader(0x08, VNI), Buffer.alloc(6, 0xff)]) },
      { reason: 'unknown-vtep', from: STRANGER, count: 7, bytes: Buffer.concat([vxlanHeader(0x08, EVPN_VNI), innerFrame(bogus[2]!)]) },
    ];

    // Warm up (ARP resolved both ways), then read the counters.
    await pingAll(hA, hB, 'warm-up', false, 2);
    const before = dp.counters();
    const pinging = ping(hA.ns, hB.ip!, { count: 30, intervalS: 0.1 });
    await delay(500);
    const spec = { to: S_VTEP, port: 4789, sends: sends.map((x) => ({ from: x.from, hex: x.bytes.toString('hex'), count: x.count })) };
    await exec(inNs(k, [process.execPath, '-e', SENDER, JSON.stringify(spec)]), { timeoutMs: 15_000 });
    const r = await pinging;
    assert.equal(r.received, 30, `forwarding went on: ${r.output}`);

    const delta = (c: ReturnType<Dataplane['counters']>, reason: string): number => (c.drops[reason] ?? 0) - (before.drops[reason] ?? 0);
    await waitFor('drop counters', () => sends.every((x) => delta(dp!.counters(), x.reason) >= x.count) || undefined, 3_000).catch(() => undefined);
    await delay(200);
    const after = dp.counters();
    for (const x of sends) assert.equal(delta(after, x.reason), x.count, `drops['${x.reason}']`);
    const vniDelta = (vni: number, reason: string): number =>
      (after.vnis.find((v) => v.vni === vni)?.drops[reason] ?? 0) - (before.vnis.find((v) => v.vni === vni)?.drops[reason] ?? 0);
    assert.equal(vniDelta(VNI, 'inner-runt'), 6, `VNI ${VNI} drops['inner-runt']`);
    assert.equal(vniDelta(EVPN_VNI, 'unknown-vtep'), 7, `VNI ${EVPN_VNI} drops['unknown-vtep']`);
    // Nothing else was dropped: the ping's frames all went through.
    const others = Object.keys(after.drops).filter((r) => !sends.some((x) => x.reason === r) && delta(after, r) !== 0);
    assert.deepEqual(
      others.map((r) => `${r}: +${delta(after, r)}`),
      [],
      'no other drop reason moved',
    );
    // A dropped datagram teaches nothing.
    const macs = dp.fdbEntries().map((e) => e.mac);
    for (const m of bogus) assert.ok(!macs.includes(m), `${m} was not learned`);
    t.diagnostic(`drops after: ${JSON.stringify(after.drops)}`);
  } finally {
    await dp?.close();
    await topo.destroy();
  }
});
