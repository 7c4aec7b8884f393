// The interop helpers on their own (test/helpers/frr.ts, gobgp.ts,
// test-speaker.ts), no vxswitch involved: an FRR route reflector, an FRR
// VTEP (kernel vxlan, nolearning, advertise-all-vni) with a host, gobgpd as
// a second VTEP (test/helpers/gobgp.ts), and the project's test
// speaker as an iBGP and an eBGP client of the RR. If this fails, the
// vxswitch interop tests' failures say nothing about vxswitch.
//
// What FRR 8.4 does with a malformed attribute is asserted as observed:
// it relaxes error handling (RFC 7606) for eBGP peers only. From an iBGP
// peer, ORIGIN 7 gets NOTIFICATION UPDATE Message Error / Invalid ORIGIN
// and the session goes down; from an eBGP peer the same UPDATE, and an
// AS_PATH segment overrun, are treated as withdraw with the session kept;
// a PMSI tunnel attribute of the wrong length resets even an eBGP session
// (NOTIFICATION 3/1 Malformed Attribute List, bgpd logs "Bad PMSI tunnel
// attribute length 8 for IR").
//
// Addresses: underlay 10.214.0.0/24 (RR .254, FRR VTEP .1, gobgpd .30,
// iBGP speaker .40, eBGP speaker .41), hosts 10.214.100.0/24, VNI 100.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { Afi, Safi } from '../../src/wire/afi-safi.js';
import { capabilities as openCapabilities } from '../../src/wire/bgp-open.js';
import { ErrorCode, UpdateSubcode } from '../../src/wire/bgp-error-codes.js';
import { formatRouteFrr } from '../../src/wire/evpn-route-text.js';
import { formatRd } from '../../src/wire/route-distinguisher.js';
import { AttributeTypeCode } from '../../src/wire/path-attribute.js';
import { findAttribute } from '../../src/wire/path-attributes.js';
import {
  floodTargets,
  frrVtepDataplane,
  kernelFdb,
  remoteFdb,
  routeReflectorConfig,
  startFrr,
  vtepConfig,
  waitFdb,
  type FdbEntry,
  type FrrInstance,
} from '../helpers/frr.js';
import { startGobgpd, type Gobgpd } from '../helpers/gobgp.js';
import { Topology, needsRoot, ping, waitFor, type KernelVtep } from '../helpers/netns.js';
import {
  asPathOverrun,
  connectSpeaker,
  imetUpdate,
  macIpUpdate,
  malformedUpdate,
  originValue,
  truncateValue,
  type AdjRibInEntry,
  type TestSpeaker,
} from '../helpers/test-speaker.js';

const AS = 65000;
const EBGP_AS = 65099;
const VNI = 100;
const RT = `${AS}:${VNI}`;
const RR_IP = '10.214.0.254';
const V1_IP = '10.214.0.1';
const GB_IP = '10.214.0.30';
const SP_IP = '10.214.0.40';
const EB_IP = '10.214.0.41';
const H1_MAC = '02:14:00:00:01:01';
const GB_MAC = '02:14:00:00:03:03';
const SP_MAC = '02:14:00:00:04:01';
const EB_MAC = '02:14:00:00:05:01';
const GB_RD = `${GB_IP}:${VNI}`;

function binaryMissing(): string | false {
  if (needsRoot) return needsRoot;
  for (const f of ['/usr/lib/frr/zebra', '/usr/lib/frr/bgpd', '/usr/bin/vtysh', '/usr/bin/gobgpd', '/usr/bin/gobgp']) {
    if (!existsSync(f)) return `needs FRR and gobgpd (${f} missing)`;
  }
  return false;
}

const skip = binaryMissing();

/** Elapsed ms since `from`, for the timings printed as diagnostics. */
function since(from: number): number {
  return Math.round(performance.now() - from);
}

function remoteEntry(entries: readonly FdbEntry[], mac: string, dst: string): FdbEntry | undefined {
  return remoteFdb(entries).find((e) => e.mac === mac && e.dst === dst);
}

function speakerRoute(sp: TestSpeaker, text: string): AdjRibInEntry | undefined {
  return [...sp.adjRibIn.values()].find((e) => formatRouteFrr(e.nlri.route) === text);
}

describe('interop harness: FRR RR + FRR VTEP + gobgpd + test speaker', { skip, timeout: 90_000 }, () => {
  const topo = new Topology();
  let rr: FrrInstance;
  let v1: FrrInstance;
  let gb: Gobgpd;
  let vtep: KernelVtep;
  let spNs: string;
  let ebNs: string;
  let sp: TestSpeaker;

  before(async () => {
    const t0 = performance.now();
    const ul = await topo.addNamespace();
    const br = await topo.bridge(ul);
    const [rrNs, v1Ns, gbNs, spNs_, ebNs_] = await Promise.all([1, 2, 3, 4, 5].map(() => topo.addNamespace()));
    spNs = spNs_!;
    ebNs = ebNs_!;
    await topo.underlayPort(ul, br, rrNs!, `${RR_IP}/24`);
    await topo.underlayPort(ul, br, v1Ns!, `${V1_IP}/24`);
    await topo.underlayPort(ul, br, gbNs!, `${GB_IP}/24`);
    await topo.underlayPort(ul, br, spNs, `${SP_IP}/24`);
    await topo.underlayPort(ul, br, ebNs, `${EB_IP}/24`);
    vtep = await frrVtepDataplane(topo, { ns: v1Ns!, vni: VNI, local: V1_IP, hosts: [{ ip: '10.214.100.1/24', mac: H1_MAC }] });
    const tTopo = since(t0);

    // gobgpd is passive and the RR dials it (connect timer 1 s): an active
    // gobgpd waits a random 5-10 s before its first connection attempt.
    [rr, v1, gb] = await Promise.all([
      startFrr(topo, {
        ns: rrNs!,
        bgpdConf: routeReflectorConfig({
          hostname: 'rr',
          as: AS,
          routerId: RR_IP,
          listenRange: '10.214.0.0/24',
          neighbors: [
            { address: GB_IP, connectRetryS: 1 },
            { address: EB_IP, remoteAs: EBGP_AS, passive: true, routeReflectorClient: false },
          ],
        }),
      }),
      startFrr(topo, {
        ns: v1Ns!,
        // Hold 3 s (keepalive 1) so the fault test below sees it expire quickly.
        bgpdConf: vtepConfig({
          hostname: 'v1',
          as: AS,
          routerId: V1_IP,
          neighbors: [{ address: RR_IP, connectRetryS: 1 }],
          timers: { keepaliveS: 1, holdS: 3 },
        }),
      }),
      startGobgpd(topo, {
        ns: gbNs!,
        config: {
          as: AS,
          routerId: GB_IP,
          listenAddresses: [GB_IP],
          neighbors: [{ address: RR_IP, peerAs: AS, localAddress: GB_IP, passive: true, connectRetryS: 1, idleHoldAfterResetS: 1 }],
        },
      }),
    ]);
    console.log(`interop harness: topology ${tTopo} ms, daemons started ${since(t0)} ms`);
  });

  after(async () => {
    await sp?.close();
    await topo.destroy();
  });

  test('sessions: FRR VTEP (listen range) and gobgpd (static) are Established on both sides', async (t: TestContext) => {
    const t0 = performance.now();
    const [v1AtRr, gbAtRr, rrAtV1, rrAtGb] = await Promise.all([
      rr.waitEstablished(V1_IP),
      rr.waitEstablished(GB_IP),
      v1.waitEstablished(RR_IP),
      gb.waitEstablished(RR_IP),
    ]);
    t.diagnostic(`all Established after ${since(t0)} ms`);
    assert.equal(v1AtRr.dynamic, true, 'the FRR VTEP joined through the listen range');
    assert.equal(v1AtRr.family, 'l2VpnEvpn');
    assert.equal(gbAtRr.dynamic, false);
    assert.equal(rrAtV1.remoteAs, AS);
    assert.equal(rrAtGb.peerAs, AS);
    const n = await rr.neighbor(GB_IP);
    assert.equal(n?.state, 'Established');
    assert.equal(n?.holdTimeMs, 9_000, 'datacenter defaults: hold 9 s');
    assert.equal(n?.remoteRouterId, GB_IP);
    // FRR's own Type 3 for the VNI reaches gobgpd through the RR.
    const imet = await gb.waitRoute('the FRR VTEP Type 3', (p) => p.routeType === 3 && p.ip === V1_IP);
    assert.equal(imet.nextHop, V1_IP);
    assert.equal(imet.neighborIp, RR_IP);
    assert.equal(imet.originatorId, V1_IP);
    assert.deepEqual(imet.clusterList, [RR_IP]);
    assert.deepEqual(imet.routeTargets, [RT]);
    assert.equal(imet.encapsulation, 8);
    assert.deepEqual(imet.pmsi, { tunnelType: 6, label: VNI, tunnelId: V1_IP, leafInfoRequired: false });
    assert.match(imet.rd, /^10\.214\.0\.1:\d+$/);
    t.diagnostic(`FRR VTEP's Type 3 in gobgpd after ${since(t0)} ms`);
  });

  test('gobgp-announced Type 2 and Type 3 reach the FRR VTEP: BGP table, zebra, kernel FDB', async (t: TestContext) => {
    const t0 = performance.now();
    await gb.addMulticast({ ip: GB_IP, rd: GB_RD, rts: [RT], pmsiLabel: VNI, nextHop: GB_IP });
    await gb.addMacAdv({ mac: GB_MAC, label: VNI, rd: GB_RD, rts: [RT], nextHop: GB_IP });
    const tAdded = since(t0);
    const own = await gb.rib();
    assert.ok(own.some((p) => p.routeType === 2 && p.mac === GB_MAC && p.neighborIp === undefined && p.labels?.[0] === VNI));

    const t2 = await v1.waitRoute('gobgp Type 2', (p) => p.rd === GB_RD && p.routeType === 2 && p.mac === GB_MAC && p.bestpath);
    assert.equal(t2.prefix, `[2]:[0]:[48]:[${GB_MAC}]`);
    assert.equal(t2.nextHop, GB_IP);
    assert.equal(t2.vni, VNI, 'label 1 = VNI 100');
    assert.equal(t2.originatorId, GB_IP);
    assert.deepEqual(t2.clusterList, [RR_IP]);
    assert.equal(t2.peerId, RR_IP);
    assert.equal(t2.bestpath, true);
    assert.equal(t2.valid, true);
    assert.equal(t2.localPref, 100);
    assert.match(t2.extendedCommunities, new RegExp(`(^| )RT:${RT}( |$)`));
    assert.match(t2.extendedCommunities, /(^| )ET:8( |$)/);
    const t3 = await v1.waitRoute('gobgp Type 3', (p) => p.rd === GB_RD && p.routeType === 3 && p.bestpath);
    assert.equal(t3.prefix, `[3]:[0]:[32]:[${GB_IP}]`);
    assert.equal(t3.originatorIp, GB_IP);
    assert.equal(t3.nextHop, GB_IP);
    assert.equal(t3.pmsiLabel, VNI);
    assert.equal(t3.pmsiTunnelType, 'Ingress Replication');
    const tBgp = since(t0);

    const fdb = await waitFdb(vtep.ns, vtep.vxlan, `${GB_MAC} and the flood entry to ${GB_IP}`, (e) =>
      remoteEntry(e, GB_MAC, GB_IP) !== undefined && floodTargets(e).includes(GB_IP),
    );
    assert.deepEqual(remoteEntry(fdb, GB_MAC, GB_IP)?.flags, ['self', 'extern_learn']);
    assert.equal(remoteEntry(fdb, '00:00:00:00:00:00', GB_IP)?.state, 'permanent');
    const vni = await v1.evpnVni(VNI);
    assert.equal(vni.vtepIp, V1_IP);
    assert.deepEqual(vni.remoteVteps.find((r) => r.ip === GB_IP), { ip: GB_IP, flood: 'HER' });
    const macs = await v1.evpnMacs(VNI);
    assert.deepEqual(macs.find((m) => m.mac === GB_MAC)?.remoteVtep, GB_IP);
    t.diagnostic(`CLI adds ${tAdded} ms, in FRR's BGP table ${tBgp} ms, in the kernel FDB ${since(t0)} ms`);
  });

  test('the test speaker (iBGP, listen range) establishes with the RR and decodes its routes', async (t: TestContext) => {
    const t0 = performance.now();
    // A frame from h1 makes the bridge learn its MAC, and FRR advertise it.
    const learned = ping(vtep.hosts[0]!.ns, '10.214.100.99', { count: 1, replyTimeoutS: 1 });
    sp = await connectSpeaker(topo, spNs, { host: RR_IP, localAddress: SP_IP }, { as: AS, bgpId: SP_IP });
    await sp.waitEstablished();
    const tEst = since(t0);
    const open = sp.peerOpen!;
    assert.equal(open.myAs, AS);
    assert.equal(open.holdTime, 9);
    assert.equal(open.bgpId, RR_IP);
    const caps = openCapabilities(open);
    assert.ok(caps.some((c) => c.type === 'multiprotocol' && c.afi === Afi.L2vpn && c.safi === Safi.Evpn));
    assert.ok(caps.some((c) => c.type === 'four-octet-as' && c.as === AS));
    assert.equal(sp.context.as4, true);
    assert.equal(sp.holdTime, 9);
    await learned;

    const gbType2 = await sp.until('gobgp Type 2 and h1 Type 2 reflected', () => {
      const a = speakerRoute(sp, `[2]:[0]:[48]:[${GB_MAC}]`);
      return a !== undefined && speakerRoute(sp, `[2]:[0]:[48]:[${H1_MAC}]`) !== undefined && a;
    });
    const tRoutes = since(t0);
    assert.equal(gbType2.nextHop, GB_IP);
    const route = gbType2.nlri.route;
    assert.ok(route.type === 2);
    assert.deepEqual(route.labels, [VNI]);
    assert.equal(formatRd(route.rd), GB_RD);
    assert.equal(findAttribute(gbType2.attributes, 'originator-id')?.value, GB_IP);
    assert.deepEqual(findAttribute(gbType2.attributes, 'cluster-list')?.value, [RR_IP]);
    assert.equal(findAttribute(gbType2.attributes, 'local-pref')?.value, 100);
    const ecs = findAttribute(gbType2.attributes, 'extended-communities')?.value ?? [];
    assert.ok(ecs.some((e) => e.kind === 'route-target' && e.format === 'as2' && e.asn === AS && e.assigned === VNI));
    assert.ok(ecs.some((e) => e.kind === 'encapsulation' && e.tunnelType === 8));
    const v1Imet = speakerRoute(sp, `[3]:[0]:[32]:[${V1_IP}]`);
    assert.ok(v1Imet, 'the FRR VTEP Type 3');
    assert.deepEqual(findAttribute(v1Imet.attributes, 'pmsi-tunnel')?.value, { flags: 0, tunnelType: 6, label: VNI, tunnelId: V1_IP });
    const h1 = speakerRoute(sp, `[2]:[0]:[48]:[${H1_MAC}]`)!;
    assert.equal(h1.nextHop, V1_IP);
    // Every message FRR sent decoded, none with an RFC 7606 problem.
    assert.deepEqual(sp.received.filter((r) => r.error !== undefined).map((r) => r.error!.message), []);
    assert.ok(sp.updates.every((u) => u.problems.length === 0));
    const firstUpdate = sp.messages('update')[0]!;
    const established = sp.received.find((r) => r.message?.type === 'keepalive')!;
    t.diagnostic(
      `Established ${tEst} ms, first UPDATE ${Math.round(firstUpdate.t - established.t)} ms after it, routes ${tRoutes} ms; ` +
        `${sp.received.length} messages (${sp.updates.length} UPDATEs)`,
    );

    // The speaker's own routes go the other way, into FRR's kernel FDB.
    const t1 = performance.now();
    const base = { rd: `${SP_IP}:${VNI}`, nextHop: SP_IP, routeTargets: [RT], vni: VNI, localPref: 100 };
    sp.sendUpdate(imetUpdate(base));
    sp.sendUpdate(macIpUpdate({ ...base, mac: SP_MAC }));
    await waitFdb(vtep.ns, vtep.vxlan, `${SP_MAC} and the flood entry to ${SP_IP}`, (e) =>
      remoteEntry(e, SP_MAC, SP_IP) !== undefined && floodTargets(e).includes(SP_IP),
    );
    t.diagnostic(`speaker routes in FRR VTEP's FDB after ${since(t1)} ms`);
  });

  test('gobgp withdraws: gone from FRR and its FDB, and the speaker sees the MP_UNREACH', async (t: TestContext) => {
    const t0 = performance.now();
    const mark = sp.received.length;
    await gb.delMacAdv({ mac: GB_MAC, label: VNI, rd: GB_RD });
    await gb.delMulticast({ ip: GB_IP, rd: GB_RD });
    await v1.waitNoRoute('gobgp routes', (p) => p.rd === GB_RD);
    await waitFdb(vtep.ns, vtep.vxlan, `no entry to ${GB_IP}`, (e) => !remoteFdb(e).some((x) => x.dst === GB_IP));
    const tGone = since(t0);
    const vni = await v1.evpnVni(VNI);
    assert.ok(!vni.remoteVteps.some((r) => r.ip === GB_IP), 'no longer a remote VTEP');
    await sp.until('the withdraws at the speaker', () =>
      speakerRoute(sp, `[2]:[0]:[48]:[${GB_MAC}]`) === undefined && speakerRoute(sp, `[3]:[0]:[32]:[${GB_IP}]`) === undefined,
    );
    const unreach = sp.messages('update', mark).filter((m) => findAttribute(m.update.attributes, 'mp-unreach-nlri') !== undefined);
    assert.ok(unreach.length >= 1);
    t.diagnostic(`withdrawn from FRR + FDB in ${tGone} ms`);
  });

  test('iBGP peer sends ORIGIN 7: FRR 8.4 answers NOTIFICATION Invalid ORIGIN and drops the session', async (t: TestContext) => {
    const t0 = performance.now();
    const bytes = malformedUpdate(
      macIpUpdate({ rd: `${SP_IP}:${VNI}`, nextHop: SP_IP, routeTargets: [RT], vni: VNI, localPref: 100, mac: SP_MAC }),
      AttributeTypeCode.Origin,
      originValue(7),
      sp.context,
    );
    sp.send(bytes);
    const n = await sp.waitForMessage('a NOTIFICATION', (r) => r.message?.type === 'notification');
    assert.ok(n.message?.type === 'notification');
    assert.equal(n.message.notification.code, ErrorCode.Update);
    assert.equal(n.message.notification.subcode, UpdateSubcode.InvalidOriginAttribute);
    assert.equal(n.message.notification.data.toString('hex'), '40010107', 'the data is the bad attribute');
    await sp.waitClosed();
    // Session loss withdraws everything the speaker announced.
    await waitFdb(vtep.ns, vtep.vxlan, `no entry to ${SP_IP}`, (e) => !remoteFdb(e).some((x) => x.dst === SP_IP));
    assert.equal(await rr.neighbor(SP_IP), undefined, 'the dynamic neighbor is deleted');
    t.diagnostic(`NOTIFICATION after ${Math.round(n.t - (performance.timeOrigin + t0))} ms, FDB clean after ${since(t0)} ms`);
  });

  test('eBGP peer: ORIGIN 7 and an AS_PATH overrun are treated as withdraw, a bad PMSI length resets', async (t: TestContext) => {
    const t0 = performance.now();
    const eb = await connectSpeaker(topo, ebNs, { host: RR_IP, localAddress: EB_IP }, { as: EBGP_AS, bgpId: EB_IP });
    try {
      await eb.waitEstablished();
      const base = {
        rd: `${EB_IP}:${VNI}`,
        nextHop: EB_IP,
        routeTargets: [RT],
        vni: VNI,
        asPath: [{ type: 'as-sequence' as const, asns: [EBGP_AS] }],
      };
      const announce = macIpUpdate({ ...base, mac: EB_MAC });
      const withMac = (e: FdbEntry[]): boolean => remoteEntry(e, EB_MAC, EB_IP) !== undefined;

      for (const [name, typeCode, fault] of [
        ['ORIGIN 7', AttributeTypeCode.Origin, originValue(7)],
        ['AS_PATH segment overrun', AttributeTypeCode.AsPath, asPathOverrun(2)],
      ] as const) {
        eb.sendUpdate(announce);
        await waitFdb(vtep.ns, vtep.vxlan, `${EB_MAC} via the eBGP speaker`, withMac);
        const t1 = performance.now();
        eb.send(malformedUpdate(announce, typeCode, fault, eb.context));
        await waitFdb(vtep.ns, vtep.vxlan, `${EB_MAC} withdrawn after ${name}`, (e) => !withMac(e));
        await v1.waitNoRoute(`${EB_MAC} after ${name}`, (p) => p.mac === EB_MAC);
        assert.equal((await rr.neighbor(EB_IP))?.state, 'Established', `${name}: session kept`);
        assert.equal(eb.closed, false);
        assert.deepEqual(eb.notifications, [], `${name}: no NOTIFICATION`);
        t.diagnostic(`${name}: treated as withdraw, FDB clean after ${since(t1)} ms`);
      }

      eb.sendUpdate(imetUpdate({ ...base }));
      await waitFdb(vtep.ns, vtep.vxlan, `flood entry to ${EB_IP}`, (e) => floodTargets(e).includes(EB_IP));
      eb.send(malformedUpdate(imetUpdate({ ...base }), AttributeTypeCode.PmsiTunnel, truncateValue(1), eb.context));
      const n = await eb.waitForMessage('a NOTIFICATION', (r) => r.message?.type === 'notification');
      assert.ok(n.message?.type === 'notification');
      assert.equal(n.message.notification.code, ErrorCode.Update);
      assert.equal(n.message.notification.subcode, UpdateSubcode.MalformedAttributeList);
      await eb.waitClosed();
      await waitFdb(vtep.ns, vtep.vxlan, `no entry to ${EB_IP}`, (e) => !remoteFdb(e).some((x) => x.dst === EB_IP));
      t.diagnostic(`eBGP case done in ${since(t0)} ms`);
    } finally {
      await eb.close();
    }
    assert.deepEqual(
      remoteFdb(await kernelFdb(vtep.ns, vtep.vxlan)).map((e) => e.dst),
      [],
      'only gobgp, speaker and eBGP routes were remote: none left',
    );
  });

  test('fault helpers: a paused RR lets the VTEP hold timer expire; stop/start brings the sessions back', async (t: TestContext) => {
    const gbMac = (e: FdbEntry[]): boolean => remoteEntry(e, GB_MAC, GB_IP) !== undefined;
    await gb.addMacAdv({ mac: GB_MAC, label: VNI, rd: GB_RD, rts: [RT], nextHop: GB_IP });
    await waitFdb(vtep.ns, vtep.vxlan, `${GB_MAC} again`, gbMac);

    // SIGSTOP: the RR's sockets stay open but silent; the VTEP (hold 3 s)
    // gives up on it and flushes what it learned through it.
    const t0 = performance.now();
    rr.pause();
    try {
      await waitFor('the FRR VTEP to drop the paused RR', async () => (await v1.neighbor(RR_IP))?.state !== 'Established', 8_000, 100);
      await waitFdb(vtep.ns, vtep.vxlan, `${GB_MAC} flushed`, (e) => !gbMac(e), 5_000);
    } finally {
      rr.resume();
    }
    const tDown = since(t0);
    const afterHold = await v1.neighbor(RR_IP);
    assert.equal(afterHold?.lastNotificationReason, 'Hold Timer Expired');
    assert.equal(afterHold?.lastErrorCodeSubcode, '0400');
    await v1.waitEstablished(RR_IP, 15_000);
    await waitFdb(vtep.ns, vtep.vxlan, `${GB_MAC} back after resume`, gbMac);
    const tBack = since(t0);

    // SIGTERM and a fresh start with the same config.
    const t1 = performance.now();
    await rr.stop();
    assert.equal(rr.running, false);
    await waitFor('gobgpd to see the RR go', async () => (await gb.neighbors())[0]?.state !== 'established', 5_000, 100);
    await rr.start();
    await Promise.all([v1.waitEstablished(RR_IP, 20_000), gb.waitEstablished(RR_IP, 20_000)]);
    await waitFdb(vtep.ns, vtep.vxlan, `${GB_MAC} back after restart`, gbMac);
    t.diagnostic(`hold expiry + flush ${tDown} ms, back after resume ${tBack} ms, restart to routes back ${since(t1)} ms`);
  });
});
