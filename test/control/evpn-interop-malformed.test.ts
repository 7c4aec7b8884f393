// Issue 4, acceptance 4b: a peer sends malformed attributes to vxswitch.
// The project's test speaker (test/helpers/test-speaker.ts) is an iBGP
// (AS 65000) and an eBGP (AS 65099) neighbor of the same vxswitch, both
// sessions up at once, and for each:
// - ORIGIN 7 (RFC 7606 §7.1: treat-as-withdraw): the session stays, no
//   NOTIFICATION comes back, a valid route announced before for the same
//   key leaves vxswitch's RIB and FDB, a new route never enters them;
// - MP_REACH_NLRI twice in one UPDATE (RFC 7606 §3 g: Malformed Attribute
//   List, session reset): NOTIFICATION 3/1 on the wire, the connection
//   closes, everything that peer announced is withdrawn, the other peer is
//   untouched, and the peer can connect again.
//
// Addresses: underlay 10.214.70.0/24 (vxswitch .40, iBGP speaker .50,
// eBGP speaker .51), host 10.214.71.3 behind vxswitch, VNI 100.

import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, UpdateSubcode } from '../../src/wire/bgp-error-codes.js';
import { capabilities as openCapabilities } from '../../src/wire/bgp-open.js';
import { Afi, Safi } from '../../src/wire/afi-safi.js';
import { AttributeTypeCode } from '../../src/wire/path-attribute.js';
import type { BgpUpdate } from '../../src/wire/bgp-update.js';
import type { BgpContext } from '../../src/wire/bgp-context.js';
import { delay, needsRoot, Topology } from '../helpers/netns.js';
import {
  connectSpeaker,
  encodeAttributes,
  imetUpdate,
  macIpUpdate,
  malformedUpdate,
  originValue,
  rawUpdate,
  type EvpnPathInit,
  type TestSpeaker,
} from '../helpers/test-speaker.js';
import { remoteMac, startVxswitch, type VxFdbEntry, type Vxswitch } from './vxswitch-lab.js';

const AS = 65000;
const EB_AS = 65099;
const VNI = 100;
const RT = `${AS}:${VNI}`;
const VX_IP = '10.214.70.40';

const skip = needsRoot;

function since(from: number): number {
  return Math.round(performance.now() - from);
}

/** The UPDATE's attributes encoded, with MP_REACH_NLRI appearing twice (RFC 7606 §3 g). */
function duplicateMpReach(update: BgpUpdate, ctx: BgpContext): Buffer {
  const attrs = encodeAttributes(update, ctx);
  const reach = attrs.find((a) => a.typeCode === AttributeTypeCode.MpReachNlri);
  if (reach === undefined) throw new RangeError('no MP_REACH_NLRI');
  return rawUpdate([reach.bytes, ...attrs.map((a) => a.bytes)]);
}

interface Peer {
  kind: 'iBGP' | 'eBGP';
  ip: string;
  as: number;
  ns: string;
  macs: { valid: string; fresh: string; marker: string; duplicate: string };
  base: EvpnPathInit & { vni: number };
  sp?: TestSpeaker;
}

describe('EVPN interop: malformed attributes from an iBGP and an eBGP peer (RFC 7606)', { skip, timeout: 60_000 }, () => {
  const topo = new Topology();
  let vx: Vxswitch;
  const peers: Peer[] = [];

  before(async () => {
    const t0 = performance.now();
    const ul = await topo.addNamespace();
    const br = await topo.bridge(ul);
    const [vxNs, spNs, ebNs] = await Promise.all([1, 2, 3].map(() => topo.addNamespace()));
    await topo.underlayPort(ul, br, vxNs!, `${VX_IP}/24`);
    const mk = (kind: Peer['kind'], ip: string, as: number, ns: string, n: number): Peer => ({
      kind,
      ip,
      as,
      ns,
      macs: {
        valid: `02:14:46:00:${n}0:01`,
        fresh: `02:14:46:00:${n}0:02`,
        marker: `02:14:46:00:${n}0:03`,
        duplicate: `02:14:46:00:${n}0:04`,
      },
      base: {
        rd: `${ip}:${VNI}`,
        nextHop: ip,
        routeTargets: [RT],
        vni: VNI,
        ...(kind === 'iBGP' ? { localPref: 100 } : { asPath: [{ type: 'as-sequence' as const, asns: [as] }] }),
      },
    });
    peers.push(mk('iBGP', '10.214.70.50', AS, spNs!, 5), mk('eBGP', '10.214.70.51', EB_AS, ebNs!, 6));
    for (const p of peers) await topo.underlayPort(ul, br, p.ns, `${p.ip}/24`);
    await topo.host(vxNs!, { ip: '10.214.71.3/24', mac: '02:14:46:00:00:03', peerName: 'hp0' });
    vx = await startVxswitch(topo, {
      name: 'vx',
      ns: vxNs!,
      config: {
        as: AS,
        routerId: VX_IP,
        neighbors: peers.map((p) => ({ address: p.ip, peerAs: p.as, passive: true, connectRetryS: 1 })),
        vnis: [{ vni: VNI, members: ['hp0'] }],
      },
    });
    for (const p of peers) {
      p.sp = await connectSpeaker(topo, p.ns, { host: VX_IP, localAddress: p.ip }, { as: p.as, bgpId: p.ip });
      await p.sp.waitEstablished();
      await vx.waitEstablished(p.ip);
    }
    console.log(`evpn-interop-malformed: lab up, both speakers Established, in ${since(t0)} ms`);
  });

  after(async () => {
    for (const p of peers) await p.sp?.close();
    await topo.destroy();
  });

  test("vxswitch's OPEN: AS, BGP ID, MP l2vpn-evpn, 4-octet AS", () => {
    for (const p of peers) {
      const open = p.sp!.peerOpen!;
      assert.equal(open.myAs, AS);
      assert.equal(open.bgpId, VX_IP);
      const caps = openCapabilities(open);
      assert.ok(caps.some((c) => c.type === 'multiprotocol' && c.afi === Afi.L2vpn && c.safi === Safi.Evpn));
      assert.ok(caps.some((c) => c.type === 'four-octet-as' && c.as === AS));
    }
  });

  for (const index of [0, 1]) {
    const label = index === 0 ? 'iBGP' : 'eBGP';

    test(`${label} peer: ORIGIN 7 is treated as withdraw, the session stays`, async (t: TestContext) => {
      const p = peers[index]!;
      const sp = p.sp!;
      const mark = sp.received.length;
      const has = (mac: string) => (e: VxFdbEntry[]) => remoteMac(e, VNI, mac) !== undefined;

      // A valid Type 3 and Type 2 first.
      sp.sendUpdate(imetUpdate({ ...p.base }));
      const announce = macIpUpdate({ ...p.base, mac: p.macs.valid });
      sp.sendUpdate(announce);
      const fdb = await vx.waitFdb(`${p.macs.valid} from the ${label} speaker`, has(p.macs.valid));
      assert.equal(remoteMac(fdb, VNI, p.macs.valid)?.vtep, p.ip);
      assert.equal(remoteMac(fdb, VNI, p.macs.valid)?.origin, 'control');
      await vx.waitVni(`${p.ip} in the flood list`, VNI, (v) => v.floodList.includes(p.ip));

      // The same route again with ORIGIN 7: the earlier one is withdrawn (RFC 7606 §2, §7.1).
      const t0 = performance.now();
      sp.send(malformedUpdate(announce, AttributeTypeCode.Origin, originValue(7), sp.context));
      await vx.waitFdb(`${p.macs.valid} withdrawn by the ORIGIN 7 UPDATE`, (e) => !has(p.macs.valid)(e));
      const tWithdrawn = since(t0);
      assert.ok(!(await vx.rib()).some((r) => r.mac === p.macs.valid), 'not in the RIB either');

      // A new key with ORIGIN 7, then a valid marker: UPDATEs are handled in
      // order, so once the marker is in, the malformed one was seen and dropped.
      sp.send(malformedUpdate(macIpUpdate({ ...p.base, mac: p.macs.fresh }), AttributeTypeCode.Origin, originValue(7), sp.context));
      sp.sendUpdate(macIpUpdate({ ...p.base, mac: p.macs.marker }));
      const after = await vx.waitFdb(`the marker ${p.macs.marker}`, has(p.macs.marker));
      assert.equal(remoteMac(after, VNI, p.macs.fresh), undefined, 'the ORIGIN 7 route never enters the FDB');
      const rib = await vx.rib();
      assert.ok(!rib.some((r) => r.mac === p.macs.fresh), 'nor the RIB');
      assert.ok(rib.some((r) => r.mac === p.macs.marker && r.peer === p.ip));

      // No NOTIFICATION, the session and the peer's other routes are intact.
      assert.deepEqual(sp.notifications, [], 'no NOTIFICATION from vxswitch');
      assert.deepEqual(sp.messages('notification', mark), []);
      assert.equal(sp.closed, false);
      assert.equal((await vx.neighbor(p.ip))?.state, 'established');
      assert.ok((await vx.vni(VNI))?.floodList.includes(p.ip), 'the Type 3 is untouched');
      t.diagnostic(`treat-as-withdraw took ${tWithdrawn} ms`);
      const lines = vx.logsMatching(/7606|withdraw|malformed|origin/i).slice(-3);
      t.diagnostic(`vxswitch logged: ${JSON.stringify(lines)}`);
    });

    test(`${label} peer: a duplicate MP_REACH_NLRI gets NOTIFICATION 3/1 and a session reset; the other peer is untouched`, async (t: TestContext) => {
      const p = peers[index]!;
      const other = peers[1 - index]!;
      const sp = p.sp!;
      const mark = sp.received.length;
      const t0 = performance.now();
      sp.send(duplicateMpReach(macIpUpdate({ ...p.base, mac: p.macs.duplicate }), sp.context));
      const n = await sp.waitForMessage('a NOTIFICATION', (r) => r.message?.type === 'notification', { from: mark });
      assert.ok(n.message?.type === 'notification');
      assert.equal(n.message.notification.code, ErrorCode.Update);
      assert.equal(n.message.notification.subcode, UpdateSubcode.MalformedAttributeList);
      // On the wire: header type 3 (NOTIFICATION), code 3, subcode 1.
      assert.equal(n.raw[18], 3);
      assert.equal(n.raw[19], 3);
      assert.equal(n.raw[20], 1);
      await sp.waitClosed();
      const tNotified = since(t0);
      await vx.until(`${p.ip} to leave established`, async () => (await vx.neighbor(p.ip))?.state !== 'established', 5_000);
      // Everything this peer announced is gone; the duplicate's route never came in.
      await vx.waitFdb(`no entry to ${p.ip}`, (e) => !e.some((x) => x.kind === 'remote' && x.vtep === p.ip));
      await vx.waitVni(`${p.ip} out of the flood list`, VNI, (v) => !v.floodList.includes(p.ip));
      assert.ok(!(await vx.rib()).some((r) => r.peer === p.ip), 'no route from the reset peer');

      // One peer's trouble never disturbs the others.
      if (other.sp !== undefined && !other.sp.closed) {
        assert.equal((await vx.neighbor(other.ip))?.state, 'established');
        assert.deepEqual(other.sp.notifications, []);
      }

      // The peer can come back: a new connection is accepted.
      await p.sp!.close();
      const t1 = performance.now();
      // RFC 4271 §8 lets a peer refuse connections for a while after a reset
      // (IdleHoldTimer): retry for up to 15 s.
      const deadline = Date.now() + 15_000;
      for (;;) {
        const again = await connectSpeaker(topo, p.ns, { host: VX_IP, localAddress: p.ip }, { as: p.as, bgpId: p.ip }).catch(() => undefined);
        const ok = again !== undefined && (await again.waitEstablished(5_000).then(() => true, () => false));
        if (ok) {
          p.sp = again;
          break;
        }
        await again?.close();
        if (Date.now() > deadline) throw new Error(`${label} speaker could not re-establish within 15 s\n${vx.logTail()}`);
        await delay(500);
      }
      await vx.waitEstablished(p.ip);
      t.diagnostic(`NOTIFICATION + close ${tNotified} ms after the UPDATE; re-established in ${since(t1)} ms`);
    });
  }

  test('vxswitch logged no error (malformed input is a warning, not an error of ours)', () => {
    assert.deepEqual(vx.errorLines().map((l) => l.msg), [], vx.logTail());
  });
});
