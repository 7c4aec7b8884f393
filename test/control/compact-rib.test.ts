// The compact RIB (docs/memory.md): received Type 2 routes packed
// (packed-route.ts), attribute sets interned (attribute-set.ts). What the
// rest of the control plane reads from a packed route must be what it read
// from the route as decoded: the NLRI, the key, the `routes` view; and the
// Adj-RIB-In / Loc-RIB fed packed routes must answer like a plain Map model.
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AS4_CONTEXT } from '../../src/wire/bgp-context.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import type { Esi } from '../../src/wire/esi.js';
import { evpnRouteKey, type MacIpAdvertisementRoute } from '../../src/wire/evpn-nlri.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { parseRd } from '../../src/wire/route-distinguisher.js';
import { AdjRibIn } from '../../src/control/adj-rib-in.js';
import { AdjRibOut } from '../../src/control/adj-rib-out.js';
import { attributeSetCount, internAttributes } from '../../src/control/attribute-set.js';
import { applyUpdate } from '../../src/control/inbound.js';
import { LocRib } from '../../src/control/loc-rib.js';
import { PackedMacIpRoute, sameNlri, storedRoute, withAttributes } from '../../src/control/packed-route.js';
import type { PeerRef, Route } from '../../src/control/route.js';
import { readUpdate } from '../../src/control/update-reader.js';
import { routeView } from '../../src/daemon/route-view.js';
import { peer } from './control-helpers.js';

const POLICY = { localAs: 65000, routerId: '10.0.0.1' };

function attributes(localPref: number, rt = 100): PathAttribute[] {
  return [
    { type: 'origin', flags: 0x40, value: 'igp' },
    { type: 'as-path', flags: 0x40, value: [] },
    { type: 'local-pref', flags: 0x40, value: localPref },
    { type: 'extended-communities', flags: 0xc0, value: [{ kind: 'route-target', asn: 65000, assigned: rt }, { kind: 'encapsulation', tunnelType: 8 }] },
  ] as PathAttribute[];
}

function type2(fields: Partial<MacIpAdvertisementRoute> & { mac: string }): MacIpAdvertisementRoute {
  const esi: Esi = { type: 0, value: Buffer.alloc(9) };
  const r: MacIpAdvertisementRoute = { type: 2, rd: parseRd('10.0.0.2:2'), esi, etag: 0, labels: [100], ...fields };
  if (r.ip === undefined) delete r.ip;
  return r;
}

function received(r: MacIpAdvertisementRoute, from: PeerRef, attrs: PathAttribute[], nextHop = '10.0.0.2', pathId?: number): Route {
  const route: Route = {
    family: 'l2vpn-evpn',
    key: evpnRouteKey(r),
    nlri: { family: 'l2vpn-evpn', nlri: pathId === undefined ? { route: r } : { pathId, route: r } },
    nextHop,
    attributes: attrs,
    peer: from,
    stale: false,
    since: 1234,
  };
  if (pathId !== undefined) route.pathId = pathId;
  return route;
}

const CASES: Array<[string, MacIpAdvertisementRoute, number | undefined]> = [
  ['MAC only', type2({ mac: '02:00:00:00:00:01' }), undefined],
  ['MAC + IPv4', type2({ mac: '02:00:00:00:00:02', ip: '192.0.2.7' }), undefined],
  ['MAC + IPv6, Ethernet Tag, two labels', type2({ mac: 'aa:bb:cc:dd:ee:ff', ip: '2001:db8::7', etag: 42, labels: [100, 5000] }), undefined],
  ['type 0 RD, non-zero ESI, add-path', type2({ mac: '02:00:00:00:00:03', rd: parseRd('65000:7'), esi: { type: 3, systemMac: '02:11:22:33:44:55', discriminator: 9 } }), 17],
];

for (const [name, r, pathId] of CASES) {
  test(`packed Type 2 (${name}): same NLRI, key and routes view as decoded`, () => {
    const plain = received(r, peer('10.0.0.9'), attributes(100), '10.0.0.2', pathId);
    const expectedNlri = plain.nlri;
    const expectedView = routeView(plain, true, 5000);
    const packed = storedRoute({ ...plain }, plain.attributes);
    assert.ok(packed instanceof PackedMacIpRoute);
    assert.equal(packed.family, 'l2vpn-evpn');
    assert.equal(packed.key, plain.key);
    assert.equal(packed.pathId, pathId);
    assert.deepEqual(packed.nlri, expectedNlri);
    assert.deepEqual(routeView(packed, true, 5000), expectedView);
    assert.equal(evpnRouteKey((packed.nlri.nlri as { route: MacIpAdvertisementRoute }).route), plain.key, 'the key of the decoded NLRI is the key');
  });
}

test('packed routes: sameNlri by key and shared fields, copies stay packed', () => {
  const r = type2({ mac: '02:00:00:00:00:09', ip: '192.0.2.9' });
  const a = storedRoute(received(r, peer('10.0.0.9'), attributes(100)), attributes(100));
  const b = storedRoute(received({ ...r, labels: [100] }, peer('10.0.0.9'), attributes(100)), attributes(100));
  assert.ok(sameNlri(a, b), 'same key, same interned labels, the same (shared) ESI object');
  const moved = storedRoute(received(type2({ mac: '02:00:00:00:00:0a' }), peer('10.0.0.9'), attributes(100)), attributes(100));
  assert.ok(!sameNlri(a, moved));
  const copy = withAttributes(a, attributes(200), '10.0.0.3');
  assert.ok(copy instanceof PackedMacIpRoute);
  assert.equal(copy.nextHop, '10.0.0.3');
  assert.deepEqual(copy.nlri, a.nlri);
});

test('attribute sets: equal sets are one frozen array, different ones are not', () => {
  const a = internAttributes(attributes(100));
  const b = internAttributes(attributes(100));
  const c = internAttributes(attributes(200));
  assert.equal(a, b);
  assert.notEqual(a, c);
  assert.ok(Object.isFrozen(a));
  assert.ok(attributeSetCount() >= 2);
});

test('attribute sets: a set no route holds any more is let go', async () => {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  const before = attributeSetCount();
  // 50 sets nobody keeps (distinct LOCAL_PREFs no other test uses).
  for (let i = 0; i < 50; i++) internAttributes(attributes(10_000 + i));
  assert.equal(attributeSetCount(), before + 50);
  const kept = internAttributes(attributes(100));
  // Finalizers run after a collection, on a later turn: a bounded wait.
  for (let round = 0; round < 20 && attributeSetCount() > before; round++) {
    collect();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  assert.ok(attributeSetCount() <= before, `${attributeSetCount()} sets held, ${before} before`);
  assert.equal(internAttributes(attributes(100)), kept, 'a set still held stays the one shared');
});

test('attribute sets: routes of different UPDATEs with the same attributes share one array', () => {
  const from = peer('10.0.0.2');
  const out = new AdjRibOut({ self: { asn: 65000, routerId: '10.0.0.2' }, peer: peer('10.0.0.1'), ctx: AS4_CONTEXT, families: ['l2vpn-evpn'] });
  const routes = [1, 2].map((i) => ({ ...received(type2({ mac: `02:00:00:00:00:0${i}` }), null as unknown as PeerRef, attributes(100)), peer: null }));
  // Two separate UPDATEs: one announcement each.
  const messages = routes.map((r) => out.initialTable([r])).flat();
  const adj = new AdjRibIn(from);
  const loc = new LocRib();
  for (const m of messages) {
    const msg = bgpMessage.decode(m, 0, AS4_CONTEXT);
    assert.equal(msg.type, 'update');
    if (msg.type === 'update') applyUpdate(readUpdate(msg.update, from, 0), adj, loc, POLICY);
  }
  const stored = [...adj.routes()];
  assert.equal(stored.length, 2);
  assert.ok(stored.every((r) => r instanceof PackedMacIpRoute));
  assert.equal(stored[0]!.attributes, stored[1]!.attributes);
});

// ---- property: the compact store answers like a plain Map model

type Op =
  | { op: 'announce'; peer: number; mac: number; ip: boolean; localPref: number; nextHop: number }
  | { op: 'withdraw'; peer: number; mac: number; ip: boolean };

const PEERS = [peer('10.0.0.2'), peer('10.0.0.3'), peer('10.0.0.4')];
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('announce' as const),
    peer: fc.integer({ min: 0, max: 2 }),
    mac: fc.integer({ min: 1, max: 6 }),
    ip: fc.boolean(),
    localPref: fc.constantFrom(100, 200),
    nextHop: fc.integer({ min: 2, max: 4 }),
  }),
  fc.record({ op: fc.constant('withdraw' as const), peer: fc.integer({ min: 0, max: 2 }), mac: fc.integer({ min: 1, max: 6 }), ip: fc.boolean() }),
);

function nlriOf(mac: number, ip: boolean): MacIpAdvertisementRoute {
  return type2(ip ? { mac: `02:00:00:00:00:0${mac}`, ip: `192.0.2.${mac}` } : { mac: `02:00:00:00:00:0${mac}` });
}

test('property: Adj-RIB-In and Loc-RIB fed packed routes answer like a Map model', () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const adj = PEERS.map((p) => new AdjRibIn(p));
      const loc = new LocRib();
      // The model: per peer, key -> what was announced.
      const model = PEERS.map(() => new Map<string, { r: MacIpAdvertisementRoute; localPref: number; nextHop: string }>());
      for (const o of ops) {
        const r = nlriOf(o.mac, o.ip);
        const key = evpnRouteKey(r);
        if (o.op === 'announce') {
          const nextHop = `10.0.0.${o.nextHop}`;
          model[o.peer]!.set(key, { r, localPref: o.localPref, nextHop });
          applyUpdate({ announced: [received(nlriOf(o.mac, o.ip), PEERS[o.peer]!, attributes(o.localPref), nextHop)], withdrawn: [] }, adj[o.peer]!, loc, POLICY);
        } else {
          model[o.peer]!.delete(key);
          applyUpdate({ announced: [], withdrawn: [{ family: 'l2vpn-evpn', key }] }, adj[o.peer]!, loc, POLICY);
        }
      }
      const keys = new Set<string>();
      PEERS.forEach((_, i) => {
        assert.equal(adj[i]!.size(), model[i]!.size);
        for (const [key, want] of model[i]!) {
          keys.add(key);
          const got = adj[i]!.get('l2vpn-evpn', key);
          assert.ok(got !== undefined);
          assert.deepEqual(got.nlri, { family: 'l2vpn-evpn', nlri: { route: want.r } });
          assert.equal(got.nextHop, want.nextHop);
          assert.deepEqual(got.attributes, attributes(want.localPref));
        }
      });
      assert.equal(loc.size('l2vpn-evpn'), keys.size);
      for (const key of keys) {
        // Best: highest LOCAL_PREF, then the lowest router id (= peer address here).
        const holders = PEERS.map((p, i) => ({ p, v: model[i]!.get(key) })).filter((h) => h.v !== undefined);
        const top = Math.max(...holders.map((h) => h.v!.localPref));
        const want = holders.filter((h) => h.v!.localPref === top)[0]!;
        const best = loc.best('l2vpn-evpn', key)!;
        assert.equal(best.peer?.address, want.p.address);
        assert.equal(best.nextHop, want.v!.nextHop);
        assert.equal(loc.paths('l2vpn-evpn', key).length, holders.length);
      }
    }),
    { numRuns: 300 },
  );
});
