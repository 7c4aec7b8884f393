// Adj-RIB-Out, export policy and UPDATE packing: N routes -> ceil(N/k)
// messages, each within the session's maximum, every NLRI exactly once,
// decodable, End-of-RIB last; withdrawals packed likewise; iBGP / eBGP /
// reflected attributes; 2-octet peers; route refresh; 100,000 routes timed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { runs } from '../helpers/property.js';
import { performance } from 'node:perf_hooks';
import { AS_TRANS } from '../../src/wire/attr-as-path.js';
import { AS4_CONTEXT, DEFAULT_CONTEXT } from '../../src/wire/bgp-context.js';
import type { BgpContext } from '../../src/wire/bgp-context.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import type { BgpUpdate } from '../../src/wire/bgp-update.js';
import { isEndOfRib } from '../../src/wire/bgp-update.js';
import { evpnRouteKey } from '../../src/wire/evpn-nlri.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { AdjRibOut } from '../../src/control/adj-rib-out.js';
import { EvpnInstance } from '../../src/control/evpn-instance.js';
import type { LocalSpeaker } from '../../src/control/export-policy.js';
import type { PeerRef, Route } from '../../src/control/route.js';
import { peer } from './control-helpers.js';

const SELF: LocalSpeaker = { asn: 65000, routerId: '10.212.0.40' };
const SPEAKER = { asn: 65000, routerId: '10.212.0.40', vtep: '10.212.0.40' };
const RR = peer('10.212.0.254');

function macOf(i: number): string {
  const b = Buffer.alloc(6);
  b[0] = 0x02;
  b.writeUIntBE(i, 1, 5);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** `n` Type 2 routes of ours (MAC-only, no mobility: one shared attribute array). */
function ownType2(n: number, inst = new EvpnInstance({ vni: 100 }, SPEAKER, 1)): Route[] {
  const out: Route[] = [];
  for (let i = 0; i < n; i++) out.push(inst.macIp(macOf(i + 1), undefined, { seq: 0, sticky: false }, 0));
  return out;
}

function decodeAll(messages: readonly Buffer[], ctx: BgpContext): BgpUpdate[] {
  return messages.map((m) => {
    const d = bgpMessage.decode(m, 0, ctx);
    assert.equal(bgpMessage.decode.bytes, m.length);
    if (d.type !== 'update') throw new Error(`expected an UPDATE, got ${d.type}`);
    return d.update;
  });
}

function reachKeys(u: BgpUpdate): string[] {
  const mp = u.attributes.find((a) => a.type === 'mp-reach-nlri');
  return mp?.type === 'mp-reach-nlri' && mp.value.kind === 'evpn' ? mp.value.nlri.map((n) => evpnRouteKey(n.route)) : [];
}

function unreachKeys(u: BgpUpdate): string[] {
  const mp = u.attributes.find((a) => a.type === 'mp-unreach-nlri');
  return mp?.type === 'mp-unreach-nlri' && mp.value.kind === 'evpn' ? mp.value.withdrawn.map((n) => evpnRouteKey(n.route)) : [];
}

function attr<T extends PathAttribute['type']>(u: BgpUpdate, type: T): Extract<PathAttribute, { type: T }> | undefined {
  return u.attributes.find((a) => a.type === type) as Extract<PathAttribute, { type: T }> | undefined;
}

function packing(n: number, ctx: BgpContext, perMessage: number): void {
  const routes = ownType2(n);
  const out = new AdjRibOut({ self: SELF, peer: RR, ctx, families: ['l2vpn-evpn'] });
  const messages = out.initialTable(routes);
  const max = ctx.extendedMessage ? 65535 : 4096;
  assert.equal(messages.length, Math.ceil(n / perMessage) + 1, `${n} routes, ${perMessage} per UPDATE, + End-of-RIB`);
  for (const m of messages) assert.ok(m.length <= max, `message of ${m.length} octets`);
  const updates = decodeAll(messages, ctx);
  assert.deepEqual(isEndOfRib(updates.at(-1)!), { afi: 25, safi: 70 }, 'End-of-RIB last');
  const keys = updates.slice(0, -1).flatMap(reachKeys);
  assert.equal(keys.length, n);
  assert.equal(new Set(keys).size, n, 'every NLRI exactly once');
  assert.deepEqual(new Set(keys), new Set(routes.map((r) => r.key)));
  // Full messages: one more NLRI (35 octets) would not have fit.
  for (const m of messages.slice(0, -2)) assert.ok(m.length + 35 > max, `a non-final UPDATE of ${m.length} octets had room`);
  assert.equal(out.size('l2vpn-evpn'), n);
  // MP_REACH_NLRI first (RFC 7606 §5.1), then the others by type code.
  const types = updates[0]!.attributes.map((a) => a.type);
  assert.deepEqual(types, ['mp-reach-nlri', 'origin', 'as-path', 'local-pref', 'extended-communities']);
}

test('packing: 1000 Type 2 routes -> ceil(1000/115) UPDATEs of <= 4096 octets (115 per UPDATE, as the reference speaker packed) + End-of-RIB', () => {
  packing(1000, AS4_CONTEXT, 115);
  packing(115, AS4_CONTEXT, 115);
  packing(116, AS4_CONTEXT, 115);
  packing(1, AS4_CONTEXT, 115);
});

test('packing: with RFC 8654 extended messages, up to 65535 octets per UPDATE', () => {
  // (65535 - 19 - 4 - 33 attributes - 4 MP header - 5 - 4 next hop) / 35 = 1870.
  packing(5000, { ...AS4_CONTEXT, extendedMessage: true }, 1870);
});

test('packing: routes with equal attributes in different arrays share UPDATEs; different attributes do not', () => {
  const inst = new EvpnInstance({ vni: 100 }, SPEAKER, 1);
  const a = ownType2(3, inst);
  const copies = a.map((r) => ({ ...r, attributes: r.attributes.map((x) => ({ ...x })) }));
  const mobile = inst.macIp(macOf(99), undefined, { seq: 4, sticky: false }, 0);
  const out = new AdjRibOut({ self: SELF, peer: RR, ctx: AS4_CONTEXT, families: ['l2vpn-evpn'] });
  out.advertise(a[0]!);
  out.advertise({ ...copies[1]! });
  out.advertise({ ...copies[2]! });
  out.advertise(mobile);
  const updates = decodeAll(out.flush(), AS4_CONTEXT);
  assert.deepEqual(updates.map((u) => reachKeys(u).length), [3, 1]);
  const mm = attr(updates[1]!, 'extended-communities')!.value.find((ec) => ec.kind === 'mac-mobility');
  assert.deepEqual(mm, { kind: 'mac-mobility', sticky: false, sequence: 4 });
});

test('withdrawals: MP_UNREACH with the NLRI as announced (labels included), packed; the queue keeps only the last state', () => {
  const routes = ownType2(500);
  const out = new AdjRibOut({ self: SELF, peer: RR, ctx: AS4_CONTEXT, families: ['l2vpn-evpn'] });
  out.initialTable(routes);
  for (const r of routes) out.withdraw(r.family, r.key);
  out.withdraw('l2vpn-evpn', 'never-sent');
  const messages = out.flush();
  // (4096 - 19 - 4 - 4 - 3) / 35 = 116 per UPDATE.
  assert.equal(messages.length, Math.ceil(500 / 116));
  const updates = decodeAll(messages, AS4_CONTEXT);
  const keys = updates.flatMap(unreachKeys);
  assert.equal(new Set(keys).size, 500);
  for (const u of updates) {
    assert.equal(u.attributes.length, 1);
    const mp = attr(u, 'mp-unreach-nlri')!;
    assert.ok(mp.value.kind === 'evpn' && mp.value.withdrawn.every((n) => n.route.type === 2 && n.route.labels[0] === 100));
  }
  assert.equal(out.size(), 0);
  // Announce and withdraw before a flush: nothing goes out.
  out.advertise(routes[0]!);
  out.withdraw('l2vpn-evpn', routes[0]!.key);
  assert.deepEqual(out.flush(), []);
  // The same object again after it was sent: nothing goes out either.
  out.advertise(routes[1]!);
  assert.equal(out.flush().length, 1);
  out.advertise(routes[1]!);
  assert.deepEqual(out.flush(), []);
  assert.equal(out.pendingCount, 0);
});

test('export: iBGP gets LOCAL_PREF 100 and an empty AS_PATH; eBGP gets our AS prepended, no LOCAL_PREF, next hop = VTEP', () => {
  const [route] = ownType2(1);
  const ibgp = new AdjRibOut({ self: SELF, peer: RR, ctx: AS4_CONTEXT, families: ['l2vpn-evpn'] });
  const [ui] = decodeAll(ibgp.initialTable([route!]).slice(0, 1), AS4_CONTEXT);
  assert.equal(attr(ui!, 'local-pref')?.value, 100);
  assert.deepEqual(attr(ui!, 'as-path')?.value, []);
  const ebgpPeer = peer('10.0.0.2', { asn: 65002, ibgp: false });
  const ebgp = new AdjRibOut({ self: SELF, peer: ebgpPeer, ctx: AS4_CONTEXT, families: ['l2vpn-evpn'] });
  const [ue] = decodeAll(ebgp.initialTable([route!]).slice(0, 1), AS4_CONTEXT);
  assert.equal(attr(ue!, 'local-pref'), undefined);
  assert.deepEqual(attr(ue!, 'as-path')?.value, [{ type: 'as-sequence', asns: [65000] }]);
  const mp = attr(ue!, 'mp-reach-nlri')!;
  assert.equal(mp.value.kind === 'evpn' && mp.value.nextHop, '10.212.0.40');
});

test('export: a 2-octet peer gets AS_TRANS in AS_PATH and the real path in AS4_PATH (RFC 6793)', () => {
  const big: LocalSpeaker = { asn: 4200000000, routerId: '10.0.0.1' };
  const inst = new EvpnInstance({ vni: 100 }, { asn: 4200000000, routerId: '10.0.0.1', vtep: '10.0.0.1' }, 1);
  const route = inst.macIp(macOf(1), undefined, { seq: 0, sticky: false }, 0);
  const out = new AdjRibOut({ self: big, peer: peer('10.0.0.2', { asn: 65002, ibgp: false }), ctx: DEFAULT_CONTEXT, families: ['l2vpn-evpn'] });
  const [u] = decodeAll(out.initialTable([route]).slice(0, 1), DEFAULT_CONTEXT);
  assert.deepEqual(attr(u!, 'as-path')?.value, [{ type: 'as-sequence', asns: [AS_TRANS] }]);
  assert.deepEqual(attr(u!, 'as4-path')?.value, [{ type: 'as-sequence', asns: [4200000000] }]);
  // Auto RT of a 4-octet AS: (AS & 0xFFFF):VNI, as FRR does.
  const rt = attr(u!, 'extended-communities')!.value.find((ec) => ec.kind === 'route-target');
  assert.deepEqual(rt, { kind: 'route-target', format: 'as2', asn: 4200000000 & 0xffff, assigned: 100 });
});

function received(from: PeerRef, extra: PathAttribute[] = []): Route {
  return {
    family: 'ipv4-unicast',
    key: '10.9.0.0/16',
    nlri: { family: 'ipv4-unicast', nlri: { prefix: '10.9.0.0', length: 16 } },
    nextHop: from.address,
    attributes: [{ type: 'origin', value: 'igp' }, { type: 'as-path', value: from.ibgp ? [] : [{ type: 'as-sequence', asns: [from.asn] }] }, ...extra],
    peer: from,
    stale: false,
    since: 0,
  };
}

test('export: iBGP-learned routes are not sent to iBGP peers unless reflected (RFC 4456); never back to their source', () => {
  const client = peer('10.0.0.5', { rrClient: true });
  const nonClient = peer('10.0.0.6');
  const other = peer('10.0.0.7');
  const fromNonClient = received(nonClient, [{ type: 'local-pref', value: 300 }]);
  const plain = new AdjRibOut({ self: SELF, peer: other, ctx: AS4_CONTEXT, families: ['ipv4-unicast'] });
  assert.equal(plain.policy.apply(fromNonClient), null, 'not a reflector: iBGP -> iBGP never');
  const reflector: LocalSpeaker = { ...SELF, clusterId: '10.212.0.40' };
  const toOther = new AdjRibOut({ self: reflector, peer: other, ctx: AS4_CONTEXT, families: ['ipv4-unicast'] });
  assert.equal(toOther.policy.apply(fromNonClient), null, 'non-client -> non-client: no');
  const toClient = new AdjRibOut({ self: reflector, peer: client, ctx: AS4_CONTEXT, families: ['ipv4-unicast'] });
  const reflected = toClient.policy.apply(fromNonClient)!;
  assert.ok(reflected);
  const byType = new Map(reflected.attributes.map((a) => [a.type, a.value]));
  assert.equal(byType.get('originator-id'), '10.0.0.6');
  assert.deepEqual(byType.get('cluster-list'), ['10.212.0.40']);
  assert.equal(byType.get('local-pref'), 300);
  assert.equal(reflected.nextHop, '10.0.0.6', 'iBGP: next hop unchanged');
  // A client's route to a non-client, already reflected once elsewhere.
  const fromClient = received(client, [
    { type: 'originator-id', value: '10.9.9.9' },
    { type: 'cluster-list', value: ['1.1.1.1'] },
  ]);
  const again = toOther.policy.apply(fromClient)!;
  const t2 = new Map(again.attributes.map((a) => [a.type, a.value]));
  assert.equal(t2.get('originator-id'), '10.9.9.9');
  assert.deepEqual(t2.get('cluster-list'), ['10.212.0.40', '1.1.1.1']);
  assert.equal(toClient.policy.apply(fromClient), null, 'never back to the peer it came from');
  // eBGP-learned to iBGP: sent, LOCAL_PREF 100, AS_PATH unchanged.
  const e = received(peer('10.0.0.8', { asn: 65008, ibgp: false }), [{ type: 'multi-exit-disc', value: 7 }]);
  const toIbgp = plain.policy.apply(e)!;
  assert.deepEqual(toIbgp.attributes.map((a) => a.type), ['origin', 'as-path', 'multi-exit-disc', 'local-pref']);
  // eBGP-learned to another eBGP peer: MED dropped, next-hop-self for unicast.
  const toEbgp = new AdjRibOut({ self: { ...SELF, nextHopIpv4: '192.0.2.40' }, peer: peer('10.0.0.9', { asn: 65009, ibgp: false }), ctx: AS4_CONTEXT, families: ['ipv4-unicast'] });
  const x = toEbgp.policy.apply(e)!;
  assert.deepEqual(x.attributes.map((a) => a.type), ['origin', 'as-path']);
  assert.deepEqual(x.attributes[1]!.value, [{ type: 'as-sequence', asns: [65000, 65008] }]);
  assert.equal(x.nextHop, '192.0.2.40');
});

test('IPv4 unicast: NLRI field + NEXT_HOP, Withdrawn Routes, empty UPDATE as End-of-RIB', () => {
  const out = new AdjRibOut({ self: SELF, peer: peer('10.0.0.2', { asn: 65002, ibgp: false }), ctx: AS4_CONTEXT, families: ['ipv4-unicast'] });
  const mine: Route = { ...received(peer('x')), peer: null, nextHop: '192.0.2.40', attributes: [{ type: 'origin', value: 'igp' }, { type: 'as-path', value: [] }] };
  const updates = decodeAll(out.initialTable([mine]), AS4_CONTEXT);
  assert.equal(updates.length, 2);
  assert.deepEqual(updates[0]!.nlri, [{ prefix: '10.9.0.0', length: 16 }]);
  assert.equal(attr(updates[0]!, 'next-hop')?.value, '192.0.2.40');
  assert.deepEqual(updates[0]!.attributes.map((a) => a.type), ['origin', 'as-path', 'next-hop']);
  assert.deepEqual(isEndOfRib(updates[1]!), { afi: 1, safi: 1 });
  out.withdraw('ipv4-unicast', mine.key);
  const [w] = decodeAll(out.flush(), AS4_CONTEXT);
  assert.deepEqual(w!.withdrawn, [{ prefix: '10.9.0.0', length: 16 }]);
});

test('route refresh: the whole Adj-RIB-Out again; enhanced inside BoRR / EoRR (RFC 7313)', () => {
  const routes = ownType2(200);
  const out = new AdjRibOut({ self: SELF, peer: RR, ctx: AS4_CONTEXT, families: ['l2vpn-evpn'] });
  out.initialTable(routes);
  const plain = decodeAll(out.refresh('l2vpn-evpn', false), AS4_CONTEXT);
  assert.equal(new Set(plain.flatMap(reachKeys)).size, 200);
  const enhanced = out.refresh('l2vpn-evpn', true).map((m) => bgpMessage.decode(m, 0, AS4_CONTEXT));
  const first = enhanced[0]!;
  const last = enhanced.at(-1)!;
  assert.deepEqual(first, { type: 'route-refresh', routeRefresh: { afi: 25, subtype: 1, safi: 70 } });
  assert.deepEqual(last, { type: 'route-refresh', routeRefresh: { afi: 25, subtype: 2, safi: 70 } });
  const between = enhanced.slice(1, -1).map((m) => (m.type === 'update' ? m.update : assert.fail('UPDATE expected')));
  assert.equal(new Set(between.flatMap(reachKeys)).size, 200);
  assert.deepEqual(out.refresh('ipv4-unicast', true), [], 'not negotiated: nothing');
});

test('timing: 100,000 Type 2 routes packed into UPDATEs (reported; linear in N)', (t) => {
  /** CPU milliseconds of this process (other work on a shared machine does not count) and wall milliseconds. */
  const time = (routes: Route[]): { cpu: number; wall: number } => {
    const out = new AdjRibOut({ self: SELF, peer: RR, ctx: AS4_CONTEXT, families: ['l2vpn-evpn'] });
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const messages = out.initialTable(routes);
    const wall = performance.now() - t0;
    const c = process.cpuUsage(c0);
    assert.equal(messages.length, Math.ceil(routes.length / 115) + 1);
    return { cpu: (c.user + c.system) / 1000, wall };
  };
  const small = ownType2(10_000);
  const large = ownType2(100_000);
  time(small); // warm-up
  // Rounds of (10k, 100k) back to back on a shared machine; the first
  // round within the bound ends the test (linear: about 10; per-route
  // cost rises a little once the work outgrows the CPU caches).
  let ratio = Infinity;
  for (let round = 1; round <= 5 && ratio > 15; round++) {
    const a = time(small);
    const b = time(large);
    ratio = Math.min(ratio, b.cpu / a.cpu);
    t.diagnostic(
      `round ${round}: pack 10,000 Type 2: ${a.cpu.toFixed(0)} ms CPU (${a.wall.toFixed(0)} ms wall); 100,000: ${b.cpu.toFixed(0)} ms CPU (${b.wall.toFixed(0)} ms wall), ${Math.round(100_000 / (b.wall / 1000))} routes/s`,
    );
  }
  assert.ok(ratio <= 15, `100k/10k CPU time ratio ${ratio.toFixed(1)}`);
});

test('property: any mix of Type 2 / Type 3 routes and withdrawals -> UPDATEs within the limit, each key announced or withdrawn exactly once, decodable', () => {
  const inst = new EvpnInstance({ vni: 100 }, SPEAKER, 1);
  const other = new EvpnInstance({ vni: 200, rd: '65000:200' }, SPEAKER, 2);
  const routeArb = fc.oneof(
    fc.record({
      mac: fc.integer({ min: 1, max: 400 }),
      ip: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
      seq: fc.integer({ min: 0, max: 3 }),
      sticky: fc.boolean(),
      second: fc.boolean(),
    }).map(({ mac, ip, seq, sticky, second }) => (second ? other : inst).macIp(macOf(mac), ip === undefined ? undefined : `10.1.0.${ip}`, { seq, sticky }, 0)),
    fc.boolean().map((second) => (second ? other : inst).inclusiveMulticast(0)),
  );
  fc.assert(
    fc.property(fc.array(routeArb, { maxLength: 300 }), fc.array(fc.nat(), { maxLength: 100 }), fc.boolean(), (routes, drops, extended) => {
      const ctx = { ...AS4_CONTEXT, extendedMessage: extended };
      const out = new AdjRibOut({ self: SELF, peer: RR, ctx, families: ['l2vpn-evpn'] });
      for (const r of routes) out.advertise(r);
      out.flush();
      const gone = new Set(drops.filter((d) => d < routes.length).map((d) => routes[d]!.key));
      for (const k of gone) out.withdraw('l2vpn-evpn', k);
      const messages = out.flush();
      const updates = decodeAll(messages, ctx);
      for (const m of messages) assert.ok(m.length <= (extended ? 65535 : 4096));
      const withdrawn = updates.flatMap(unreachKeys);
      assert.equal(withdrawn.length, gone.size);
      assert.deepEqual(new Set(withdrawn), gone);
      const all = out.refresh('l2vpn-evpn', false);
      const keys = decodeAll(all, ctx).flatMap(reachKeys);
      const expected = new Set(routes.map((r) => r.key).filter((k) => !gone.has(k)));
      assert.equal(keys.length, expected.size);
      assert.deepEqual(new Set(keys), expected);
    }),
    runs(0.005),
  );
});

test('item 7: requestRefresh: requests until the next flush cost one resend, after the pending changes, between BoRR and EoRR', () => {
  const routes = ownType2(300);
  const out = new AdjRibOut({ self: SELF, peer: RR, ctx: AS4_CONTEXT, families: ['l2vpn-evpn'], enhancedRouteRefresh: true });
  out.initialTable(routes.slice(0, 200));
  // A change waiting, then 300 requests (a congested peer's burst).
  for (const r of routes.slice(200)) out.advertise(r);
  for (let i = 0; i < 300; i++) out.requestRefresh('l2vpn-evpn');
  out.requestRefresh('ipv4-unicast');
  assert.equal(out.refreshesPending, 1);
  const messages = out.flush().map((m) => bgpMessage.decode(m, 0, AS4_CONTEXT));
  const borr = messages.findIndex((m) => m.type === 'route-refresh' && m.routeRefresh.subtype === 1);
  const eorr = messages.findIndex((m) => m.type === 'route-refresh' && m.routeRefresh.subtype === 2);
  assert.equal(messages.filter((m) => m.type === 'route-refresh').length, 2, 'one BoRR, one EoRR');
  const keys = (ms: typeof messages): string[] => ms.flatMap((m) => (m.type === 'update' ? reachKeys(m.update) : []));
  assert.deepEqual(new Set(keys(messages.slice(0, borr))), new Set(routes.slice(200).map((r) => r.key)), 'the pending changes first');
  assert.equal(eorr, messages.length - 1);
  assert.deepEqual(new Set(keys(messages.slice(borr + 1, eorr))), new Set(routes.map((r) => r.key)), 'then all 300, once');
  assert.equal(keys(messages.slice(borr + 1, eorr)).length, 300);
  assert.equal(out.refreshesPending, 0);
  assert.deepEqual(out.flush(), [], 'answered once');
});

test('RFC 8654 §5: a route too large for the peer\'s UPDATEs is not sent, and withdraws the version it had; nothing thrown', () => {
  const [small, other] = ownType2(2);
  const out = new AdjRibOut({ self: SELF, peer: RR, ctx: AS4_CONTEXT, families: ['l2vpn-evpn'] });
  out.initialTable([small!, other!]);
  // The same key now with a 4,500-octet optional transitive attribute (learned over extended messages).
  const big: Route = { ...small!, attributes: [...small!.attributes, { type: 'unknown', flags: 0xd0, typeCode: 99, value: Buffer.alloc(4500) }] };
  out.advertise(big);
  const updates = decodeAll(out.flush(), AS4_CONTEXT);
  assert.deepEqual(updates.flatMap(unreachKeys), [small!.key], 'withdrawn');
  assert.deepEqual(updates.flatMap(reachKeys), []);
  assert.equal(out.tooLarge, 1);
  assert.equal(out.get('l2vpn-evpn', small!.key), undefined);
  assert.equal(out.size('l2vpn-evpn'), 1);
  // With extended messages the same route goes out.
  const ext = { ...AS4_CONTEXT, extendedMessage: true };
  const wide = new AdjRibOut({ self: SELF, peer: RR, ctx: ext, families: ['l2vpn-evpn'] });
  wide.advertise(big);
  assert.deepEqual(decodeAll(wide.flush(), ext).flatMap(reachKeys), [small!.key]);
  assert.equal(wide.tooLarge, 0);
});

test('flush(maxRoutes): the oldest changes first, the rest stay queued; a refresh waits for the queue to empty', () => {
  const routes = ownType2(3000);
  const out = new AdjRibOut({ self: SELF, peer: RR, ctx: AS4_CONTEXT, families: ['l2vpn-evpn'] });
  for (const r of routes) out.advertise(r);
  out.requestRefresh('l2vpn-evpn');
  const first = decodeAll(out.flush(1024), AS4_CONTEXT).flatMap(reachKeys);
  const second = decodeAll(out.flush(1024), AS4_CONTEXT).flatMap(reachKeys);
  assert.equal(out.refreshesPending, 1, 'the refresh waits while changes are queued');
  assert.equal(out.pendingCount, 3000 - 2048);
  const third = decodeAll(out.flush(1024), AS4_CONTEXT).flatMap(reachKeys);
  assert.deepEqual([first.length, second.length], [1024, 1024]);
  assert.deepEqual([...first, ...second, ...third.slice(0, 952)], routes.map((r) => r.key), 'every route once, in the order queued');
  assert.equal(third.length, 952 + 3000, 'the last changes, then (the queue empty) the whole table again');
  assert.equal(out.refreshesPending, 0);
  assert.equal(out.size('l2vpn-evpn'), 3000);
});
