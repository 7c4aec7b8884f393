// Best-path selection (RFC 4271 §9.1.2.2, RFC 4456 §9) one tie-break at a
// time, Loc-RIB change events, Adj-RIB-In keys, rejection counts and
// graceful-restart stale handling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AsPathSegment } from '../../src/wire/attr-as-path.js';
import type { Origin } from '../../src/wire/attr-origin.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { AdjRibIn } from '../../src/control/adj-rib-in.js';
import { selectBest, selectBestWithReason } from '../../src/control/best-path.js';
import { dropPeer, purgeStale } from '../../src/control/inbound.js';
import { LocRib } from '../../src/control/loc-rib.js';
import type { LocRibChange } from '../../src/control/loc-rib.js';
import type { PeerRef, Route } from '../../src/control/route.js';
import { compareIp } from '../../src/control/ip-order.js';
import { peer } from './control-helpers.js';

interface PathSpec {
  from?: PeerRef | null;
  localPref?: number;
  asPath?: AsPathSegment[];
  origin?: Origin;
  med?: number;
  originatorId?: string;
  clusterList?: string[];
  pathId?: number;
  key?: string;
}

function path(spec: PathSpec): Route {
  const attributes: PathAttribute[] = [
    { type: 'origin', value: spec.origin ?? 'igp' },
    { type: 'as-path', value: spec.asPath ?? [] },
  ];
  if (spec.med !== undefined) attributes.push({ type: 'multi-exit-disc', value: spec.med });
  if (spec.localPref !== undefined) attributes.push({ type: 'local-pref', value: spec.localPref });
  if (spec.originatorId !== undefined) attributes.push({ type: 'originator-id', value: spec.originatorId });
  if (spec.clusterList !== undefined) attributes.push({ type: 'cluster-list', value: spec.clusterList });
  const r: Route = {
    family: 'ipv4-unicast',
    key: spec.key ?? '10.0.0.0/8',
    nlri: { family: 'ipv4-unicast', nlri: { prefix: '10.0.0.0', length: 8 } },
    nextHop: '192.0.2.1',
    attributes,
    peer: spec.from === undefined ? peer('192.0.2.1') : spec.from,
    stale: false,
    since: 0,
  };
  if (spec.pathId !== undefined) r.pathId = spec.pathId;
  return r;
}

const seq = (...asns: number[]): AsPathSegment[] => [{ type: 'as-sequence', asns }];
const ibgp = (address: string, routerId = address): PeerRef => peer(address, { routerId });
const ebgp = (address: string, asn: number, routerId = address): PeerRef => peer(address, { asn, routerId, ibgp: false });

/** `winner` must win in either order of the candidates, at `step`. */
function wins(winner: Route, others: Route[], step: string): void {
  for (const list of [[winner, ...others], [...others, winner], [...others.slice().reverse(), winner]]) {
    const r = selectBestWithReason(list)!;
    assert.equal(r.best, winner, `best at ${step}`);
    assert.equal(r.step, step);
  }
}

test('best path: a path we originate wins over any received one', () => {
  wins(path({ from: null }), [path({ localPref: 500, from: ibgp('10.0.0.1') })], 'local');
});

test('best path: highest LOCAL_PREF (default 100); one received over eBGP is ignored', () => {
  wins(path({ localPref: 200, from: ibgp('10.0.0.9') }), [path({ from: ibgp('10.0.0.1') })], 'local-pref');
  wins(path({ from: ibgp('10.0.0.1') }), [path({ localPref: 50, from: ibgp('10.0.0.2') })], 'local-pref');
  // eBGP path with LOCAL_PREF 500: counts as 100; a shorter AS_PATH then decides.
  const e = path({ localPref: 500, from: ebgp('10.0.0.1', 65001), asPath: seq(65001, 65002) });
  const i = path({ from: ibgp('10.0.0.2'), asPath: seq(65003) });
  wins(i, [e], 'as-path');
});

test('best path: shortest AS_PATH; an AS_SET counts 1, confederation segments 0', () => {
  wins(path({ asPath: seq(1, 2), from: ibgp('10.0.0.9') }), [path({ asPath: seq(1, 2, 3), from: ibgp('10.0.0.1') })], 'as-path');
  const withSet = path({ asPath: [{ type: 'as-sequence', asns: [1] }, { type: 'as-set', asns: [5, 6, 7, 8] }], from: ibgp('10.0.0.9') });
  wins(withSet, [path({ asPath: seq(1, 2, 3), from: ibgp('10.0.0.1') })], 'as-path');
  const confed = path({ asPath: [{ type: 'as-confed-sequence', asns: [64512, 64513, 64514] }, { type: 'as-sequence', asns: [1] }], from: ibgp('10.0.0.9') });
  wins(confed, [path({ asPath: seq(1, 2), from: ibgp('10.0.0.1') })], 'as-path');
});

test('best path: lowest ORIGIN (IGP < EGP < INCOMPLETE)', () => {
  wins(path({ origin: 'igp', from: ibgp('10.0.0.9') }), [path({ origin: 'egp', from: ibgp('10.0.0.1') }), path({ origin: 'incomplete', from: ibgp('10.0.0.2') })], 'origin');
  wins(path({ origin: 'egp', from: ibgp('10.0.0.9') }), [path({ origin: 'incomplete', from: ibgp('10.0.0.1') })], 'origin');
});

test('best path: lowest MED only among paths from the same neighboring AS; a missing MED is 0', () => {
  wins(path({ asPath: seq(65001), med: 10, from: ibgp('10.0.0.9') }), [path({ asPath: seq(65001), med: 20, from: ibgp('10.0.0.1') })], 'med');
  wins(path({ asPath: seq(65001), from: ibgp('10.0.0.9') }), [path({ asPath: seq(65001), med: 1, from: ibgp('10.0.0.1') })], 'med');
  // Different neighboring ASes: MED is not compared; the router id decides.
  const a = path({ asPath: seq(65001), med: 100, from: ibgp('10.0.0.1') });
  const b = path({ asPath: seq(65002), med: 0, from: ibgp('10.0.0.2') });
  wins(a, [b], 'router-id');
  // The set-wise rule, which a pairwise comparator gets wrong:
  // A(AS1, MED 5, id .1), B(AS1, MED 1, id .4), C(AS2, no MED, id .2).
  // Pairwise in the order A, C, B: A beats C (id), B beats A (MED) -> B.
  // RFC 4271 §9.1.2.2: the MED step removes A; then C (.2) beats B (.4).
  const A = path({ asPath: seq(1), med: 5, from: ibgp('10.0.0.1') });
  const B = path({ asPath: seq(1), med: 1, from: ibgp('10.0.0.4') });
  const C = path({ asPath: seq(2), from: ibgp('10.0.0.2') });
  for (const order of [[A, C, B], [A, B, C], [B, A, C], [B, C, A], [C, A, B], [C, B, A]]) {
    assert.equal(selectBest(order), C, order.map((r) => r.peer?.address).join(','));
  }
});

test('best path: eBGP over iBGP', () => {
  wins(path({ asPath: seq(65001), from: ebgp('10.0.0.9', 65001) }), [path({ asPath: seq(65002), from: ibgp('10.0.0.1') })], 'ebgp');
});

test('best path: lowest BGP Identifier, the ORIGINATOR_ID instead when present (RFC 4456 §9)', () => {
  wins(path({ from: ibgp('10.0.0.9', '1.1.1.1') }), [path({ from: ibgp('10.0.0.1', '2.2.2.2') })], 'router-id');
  // Numeric, not text: 9.0.0.0 < 10.0.0.0.
  wins(path({ from: ibgp('10.0.0.9', '9.0.0.0') }), [path({ from: ibgp('10.0.0.1', '10.0.0.0') })], 'router-id');
  // The reflector (id 1.1.1.1) passes on a path originated by 3.3.3.3; the other peer's own id is 2.2.2.2.
  wins(path({ from: ibgp('10.0.0.1', '2.2.2.2') }), [path({ from: ibgp('10.0.0.9', '1.1.1.1'), originatorId: '3.3.3.3' })], 'router-id');
});

test('best path: shortest CLUSTER_LIST, then lowest peer address, then path id', () => {
  wins(
    path({ from: ibgp('10.0.0.9', '1.1.1.1'), originatorId: '5.5.5.5', clusterList: ['1.1.1.1'] }),
    [path({ from: ibgp('10.0.0.1', '2.2.2.2'), originatorId: '5.5.5.5', clusterList: ['2.2.2.2', '3.3.3.3'] })],
    'cluster-list',
  );
  wins(
    path({ from: ibgp('10.0.0.9', '5.5.5.5') }),
    [path({ from: ibgp('10.0.0.10', '5.5.5.5') })],
    'peer-address',
  );
  const p = ibgp('10.0.0.9');
  wins(path({ from: p, pathId: 1 }), [path({ from: p, pathId: 2 })], 'path-id');
  assert.equal(selectBestWithReason([path({})])!.step, 'only-path');
  assert.equal(selectBest([]), undefined);
});

test('ip order is numeric', () => {
  assert.ok(compareIp('10.0.0.9', '10.0.0.10') < 0);
  assert.ok(compareIp('10.0.0.10', '10.0.0.9') > 0);
  assert.ok(compareIp('255.0.0.1', '2001:db8::1') < 0);
  assert.ok(compareIp('2001:db8::2', '2001:db8::10') < 0);
  assert.equal(compareIp('10.1.2.3', '10.1.2.3'), 0);
});

// ------------------------------------------------------------ Loc-RIB

test('Loc-RIB: best changes and withdrawals are reported once; non-best changes are not', () => {
  const rib = new LocRib();
  const seen: LocRibChange[] = [];
  const unsubscribe = rib.subscribe((c) => seen.push(c));
  const a = path({ from: ibgp('10.0.0.1'), localPref: 100 });
  const b = path({ from: ibgp('10.0.0.2'), localPref: 200 });
  const c1 = rib.update(a);
  assert.deepEqual(c1, { type: 'best', family: 'ipv4-unicast', key: '10.0.0.0/8', route: a, previous: null });
  const c2 = rib.update(b);
  assert.equal(c2?.type, 'best');
  assert.equal(c2?.type === 'best' && c2.previous, a);
  // a replaced by a path still worse than b: no event.
  const a2 = path({ from: ibgp('10.0.0.1'), localPref: 150 });
  assert.equal(rib.update(a2), null);
  assert.equal(rib.update(a2), null, 'same object again');
  assert.equal(rib.paths('ipv4-unicast', '10.0.0.0/8').length, 2);
  // b replaced by a worse version: a2 takes over.
  const b2 = path({ from: ibgp('10.0.0.2'), localPref: 120 });
  const c3 = rib.update(b2);
  assert.equal(c3?.type === 'best' && c3.route, a2);
  assert.equal(rib.withdraw('ipv4-unicast', '10.0.0.0/8', '10.0.0.9'), null, 'unknown source');
  assert.equal(rib.withdraw('ipv4-unicast', '10.9.0.0/16', null), null, 'unknown key');
  const c4 = rib.withdraw('ipv4-unicast', '10.0.0.0/8', ibgp('10.0.0.1'));
  assert.equal(c4?.type === 'best' && c4.route, b2);
  const c5 = rib.withdraw('ipv4-unicast', '10.0.0.0/8', '10.0.0.2');
  assert.deepEqual(c5, { type: 'withdrawn', family: 'ipv4-unicast', key: '10.0.0.0/8', previous: b2 });
  assert.equal(rib.size(), 0);
  assert.deepEqual(seen, [c1, c2, c3, c4, c5]);
  unsubscribe();
  rib.update(a);
  assert.equal(seen.length, 5);
  assert.deepEqual([...rib.bests()], [a]);
});

test('Loc-RIB: a path we originate is its own source (peer null)', () => {
  const rib = new LocRib();
  const mine = path({ from: null });
  const theirs = path({ from: ibgp('10.0.0.1'), localPref: 900 });
  rib.update(theirs);
  assert.equal(rib.update(mine)?.type, 'best');
  assert.equal(rib.best('ipv4-unicast', '10.0.0.0/8'), mine);
  const c = rib.withdraw('ipv4-unicast', '10.0.0.0/8', null);
  assert.equal(c?.type === 'best' && c.route, theirs);
});

// ------------------------------------------------------------ Adj-RIB-In

test('Adj-RIB-In: keyed by key and add-path id; rejected routes counted apart', () => {
  const p = ibgp('10.0.0.1');
  const rib = new AdjRibIn(p);
  const r1 = path({ from: p, pathId: 1 });
  const r2 = path({ from: p, pathId: 2 });
  assert.equal(rib.set(r1), undefined);
  assert.equal(rib.set(r2, 'originator-id'), undefined);
  assert.equal(rib.size(), 2);
  assert.equal(rib.acceptedCount(), 1);
  assert.equal(rib.rejection('ipv4-unicast', '10.0.0.0/8', 2), 'originator-id');
  const r2b = path({ from: p, pathId: 2 });
  assert.equal(rib.set(r2b), r2);
  assert.equal(rib.acceptedCount(), 2);
  assert.equal(rib.get('ipv4-unicast', '10.0.0.0/8', 1), r1);
  assert.equal(rib.delete('ipv4-unicast', '10.0.0.0/8', 1), r1);
  assert.equal(rib.delete('ipv4-unicast', '10.0.0.0/8', 1), undefined);
  assert.equal(rib.size('ipv4-unicast'), 1);
});

test('Adj-RIB-In: graceful restart keeps routes stale, re-advertised ones turn fresh, End-of-RIB purges the rest', () => {
  const p = ibgp('10.0.0.1');
  const rib = new AdjRibIn(p);
  const loc = new LocRib();
  const routes = ['10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16'].map((key) => path({ from: p, key }));
  for (const r of routes) {
    rib.set(r);
    loc.update(r);
  }
  const evpn: Route = { ...path({ from: p, key: 'evpn-key' }), family: 'l2vpn-evpn' };
  rib.set(evpn);
  assert.equal(rib.markStale(['ipv4-unicast']), 3);
  assert.ok(routes.every((r) => r.stale));
  assert.equal(evpn.stale, false, 'other families untouched');
  assert.equal(loc.best('ipv4-unicast', '10.1.0.0/16')?.stale, true, 'stale routes stay usable');
  const fresh = path({ from: p, key: '10.2.0.0/16' });
  rib.set(fresh);
  loc.update(fresh);
  assert.equal(rib.staleCount('ipv4-unicast'), 2);
  const changes = purgeStale(rib, loc, 'ipv4-unicast');
  assert.deepEqual(changes.map((c) => [c.type, c.key]), [['withdrawn', '10.1.0.0/16'], ['withdrawn', '10.3.0.0/16']]);
  assert.equal(rib.size('ipv4-unicast'), 1);
  assert.equal(loc.size('ipv4-unicast'), 1);
  assert.equal(purgeStale(rib, loc, 'ipv4-unicast').length, 0);
  // Session lost without graceful restart: everything leaves.
  assert.deepEqual(dropPeer(rib, loc).map((c) => c.type), ['withdrawn']);
  assert.equal(rib.size(), 0);
});
