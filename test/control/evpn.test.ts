// EVPN instances and the manager: our Type 3 / Type 2 byte for byte as the
// reference speaker sent them and FRR accepted them; FRR's own routes field
// by field; import of the captured sessions by route target; PMSI rules;
// MAC mobility in every direction, ties, sticky MACs, duplicate detection
// (injected clock); ARP suppression; group MACs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AS4_CONTEXT } from '../../src/wire/bgp-context.js';
import type { PmsiTunnel } from '../../src/wire/attr-pmsi-tunnel.js';
import { zeroEsi } from '../../src/wire/esi.js';
import type { EvpnRoute } from '../../src/wire/evpn-nlri.js';
import { evpnRouteKey } from '../../src/wire/evpn-nlri.js';
import type { ExtendedCommunity } from '../../src/wire/extended-community.js';
import { parseRouteTarget } from '../../src/wire/extended-community.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { parseRd } from '../../src/wire/route-distinguisher.js';
import { AdjRibOut } from '../../src/control/adj-rib-out.js';
import { EvpnInstance } from '../../src/control/evpn-instance.js';
import { EvpnManager, MAX_IPS_PER_MAC } from '../../src/control/evpn-manager.js';
import type { EvpnLogEvent, EvpnManagerOptions } from '../../src/control/evpn-manager.js';
import { LocRib } from '../../src/control/loc-rib.js';
import type { Route } from '../../src/control/route.js';
import { parseRtMatcher, RtIndex } from '../../src/control/route-target-match.js';
import { Fdb } from '../../src/dataplane/fdb.js';
import { FRR_RR, Receiver, RecordingFdb, RecordingSink, attributeBytes, fdbPortOver, updatesFrom } from './control-helpers.js';

// ------------------------------------------------------------ origination, byte for byte

/** A speaker wired as speaker.ts will: manager -> Loc-RIB (originated) -> Adj-RIB-Out of the reflector. */
function speakerOf(routerId: string, vni: number, rd?: string) {
  const locRib = new LocRib();
  const fdb = new RecordingFdb();
  const sink = new RecordingSink();
  sink.locRib = locRib;
  const manager = new EvpnManager({
    speaker: { asn: 65000, routerId, vtep: routerId },
    instances: [rd === undefined ? { vni } : { vni, rd }],
    fdb,
    routes: sink,
    clock: () => 0,
  });
  fdb.manager = manager;
  locRib.subscribe((c) => manager.onLocRibChange(c));
  const out = new AdjRibOut({ self: { asn: 65000, routerId }, peer: FRR_RR, ctx: AS4_CONTEXT, families: ['l2vpn-evpn'] });
  return { locRib, fdb, sink, manager, out };
}

test('origination: our Type 3, Type 2s, End-of-RIB and withdrawals equal, byte for byte, what the reference speaker sent and FRR accepted', () => {
  const sent = updatesFrom('pyspeaker-frr-evpn-session', '10.212.0.40');
  const frame = (n: number, i = 0): Buffer => sent.find((m) => m.frame === n && m.index === i)!.bytes;
  const s = speakerOf('10.212.0.40', 100, '10.212.0.40:100');
  s.manager.start();
  s.fdb.learnLocal(100, '02:00:00:00:04:00');
  s.fdb.learnLocal(100, '02:00:00:00:04:01');
  const initial = s.out.initialTable(s.locRib.bests());
  assert.equal(initial.length, 3);
  assert.deepEqual(initial[0], frame(10), 'Type 3 with PMSI (frame 10)');
  assert.deepEqual(initial[1], frame(11), 'two Type 2 in one UPDATE (frame 11)');
  assert.deepEqual(initial[2], frame(12), 'End-of-RIB (frame 12)');
  s.locRib.subscribe((c) => s.out.apply(c));
  s.fdb.ageLocal(100, '02:00:00:00:04:00');
  s.fdb.ageLocal(100, '02:00:00:00:04:01');
  assert.deepEqual(s.out.flush(), [frame(21, 0)], 'withdrawal of both Type 2 (frame 21)');
  s.manager.removeInstance(100);
  assert.deepEqual(s.out.flush(), [frame(21, 1)], 'withdrawal of the Type 3 (frame 21)');
});

test("origination: with FRR's RD and RT, our routes carry FRR's own NLRI, PMSI, ORIGIN, AS_PATH, LOCAL_PREF bytes and the same extended communities", () => {
  const frr = updatesFrom('frr-frr-evpn-session', '10.212.0.1');
  const t3 = frr.find((m) => m.frame === 10 && m.index === 0)!.bytes;
  const t2 = frr.find((m) => m.frame === 18)!.bytes;
  const s = speakerOf('10.212.0.1', 100, '10.212.0.1:2');
  s.manager.start();
  s.fdb.learnLocal(100, '02:00:00:00:01:01');
  const [ours3, ours2] = s.out.initialTable(s.locRib.bests());
  for (const [ours, theirs, what] of [[ours3!, t3, 'Type 3'], [ours2!, t2, 'Type 2']] as const) {
    const a = attributeBytes(ours);
    const b = attributeBytes(theirs);
    assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort(), `${what}: same attributes`);
    for (const [code, bytes] of b) {
      if (code === 16) continue;
      const x = a.get(code)!;
      // FRR sets Extended Length on MP_REACH_NLRI even for short values; the rest is identical.
      assert.equal(x[0]! & ~0x10, bytes[0]! & ~0x10, `${what}: attribute ${code} flags`);
      const value = (v: Buffer): Buffer => v.subarray(v[0]! & 0x10 ? 4 : 3);
      assert.deepEqual(value(x), value(bytes), `${what}: attribute ${code} value`);
    }
    // FRR lists the encapsulation first; the set is the same.
    const communities = (x: Buffer): string[] => {
      const v = x.subarray(3);
      const out: string[] = [];
      for (let i = 0; i < v.length; i += 8) out.push(v.subarray(i, i + 8).toString('hex'));
      return out.sort();
    };
    assert.deepEqual(communities(a.get(16)!), communities(b.get(16)!), `${what}: extended communities`);
  }
});

test('origination: a MAC+IP is advertised as a MAC-only route and a MAC+IP route; group MACs never', () => {
  const s = speakerOf('10.0.0.1', 10);
  s.manager.start();
  s.fdb.learnLocal(10, '02:00:00:00:00:aa', '192.168.1.5');
  s.fdb.learnLocal(10, '02:00:00:00:00:aa', 'fe80::1');
  s.fdb.learnLocal(10, '33:33:00:00:00:01');
  s.fdb.learnLocal(10, '01:00:5e:00:00:fb');
  s.fdb.learnLocal(10, 'ff:ff:ff:ff:ff:ff');
  const type2 = [...s.sink.routes.values()].filter((r) => r.nlri.family === 'l2vpn-evpn' && r.nlri.nlri.route.type === 2);
  const shown = type2.map((r) => {
    const x = r.nlri.family === 'l2vpn-evpn' ? r.nlri.nlri.route : null;
    return x?.type === 2 ? `${x.mac} ${x.ip ?? '-'} ${x.labels.join(',')} ${x.etag}` : '';
  });
  assert.deepEqual(shown.sort(), ['02:00:00:00:00:aa - 10 0', '02:00:00:00:00:aa 192.168.1.5 10 0', '02:00:00:00:00:aa fe80::1 10 0']);
  for (const r of type2) {
    assert.equal(r.nextHop, '10.0.0.1');
    assert.equal(r.peer, null);
    const x = r.nlri.family === 'l2vpn-evpn' ? r.nlri.nlri.route : null;
    assert.ok(x?.type === 2 && x.esi.type === 0 && x.esi.value.every((b) => b === 0), 'ESI 0');
  }
  // Auto RD (router-id:1) and auto RT (65000:10) on the Type 3; PMSI always, label = VNI, tunnel id = VTEP.
  const t3 = s.sink.routes.get(s.manager.instance(10)!.inclusiveMulticast(0).key)!;
  const r3 = t3.nlri.family === 'l2vpn-evpn' ? t3.nlri.nlri.route : null;
  assert.deepEqual(r3, { type: 3, rd: parseRd('10.0.0.1:1'), etag: 0, originatorIp: '10.0.0.1' });
  const pmsi = t3.attributes.find((a) => a.type === 'pmsi-tunnel');
  assert.deepEqual(pmsi?.value, { flags: 0, tunnelType: 6, label: 10, tunnelId: '10.0.0.1' });
  const ecs = t3.attributes.find((a) => a.type === 'extended-communities')?.value as ExtendedCommunity[];
  assert.deepEqual(ecs, [parseRouteTarget('65000:10'), { kind: 'encapsulation', tunnelType: 8 }]);
});

test('instance config: bad values fail with one clear line naming the key', () => {
  const sp = { asn: 65000, routerId: '10.0.0.1', vtep: '10.0.0.1' };
  assert.throws(() => new EvpnInstance({ vni: 0 }, sp, 1), /vni = 0: expected an integer 1\.\.16777215/);
  assert.throws(() => new EvpnInstance({ vni: 10, rd: 'nope' }, sp, 1), /VNI 10: rd = "nope": expected a route distinguisher/);
  assert.throws(() => new EvpnInstance({ vni: 10, exportRts: ['*:10'] }, sp, 1), /VNI 10: export-rts = "\*:10"/);
  assert.throws(() => new EvpnInstance({ vni: 10, vtep: 'x' }, sp, 1), /VNI 10: vtep-address = "x"/);
  const i = new EvpnInstance({ vni: 10, rd: '65000:10', importRts: ['65001:10', '*:20'], exportRts: ['65001:10'], etag: 10 }, sp, 1);
  assert.equal(i.rdText, '65000:10');
  assert.equal(i.etag, 10);
});

// ------------------------------------------------------------ import from the captures

function importAs(capture: 'frr-frr-evpn-session' | 'gobgp-frr-evpn-session' | 'pyspeaker-frr-evpn-session', self: string) {
  const locRib = new LocRib();
  const fdb = new RecordingFdb();
  const manager = new EvpnManager({ speaker: { asn: 65000, routerId: self, vtep: self }, instances: [{ vni: 100 }], fdb, routes: new RecordingSink() });
  fdb.manager = manager;
  locRib.subscribe((c) => manager.onLocRibChange(c));
  const rx = new Receiver(FRR_RR, locRib, { localAs: 65000, routerId: self });
  const steps: Array<{ frame: number; calls: RecordingFdb['calls'] }> = [];
  for (const m of updatesFrom(capture, '10.212.0.254')) {
    fdb.calls = [];
    rx.receive(m.bytes);
    steps.push({ frame: m.frame, calls: fdb.calls });
  }
  return { fdb, manager, steps, locRib };
}

test("import (as FRR VTEP 10.212.0.1): the other VTEP's Type 3 -> flood list = its originating IP; its Type 2 -> FDB at the next hop; our reflected routes and their withdrawal ignored", () => {
  const { fdb, steps } = importAs('frr-frr-evpn-session', '10.212.0.1');
  assert.deepEqual(fdb.flood.get(100), ['10.212.0.2']);
  assert.deepEqual(fdb.entry(100, '02:00:00:00:02:02'), { kind: 'remote', vtep: '10.212.0.2', seq: 0, sticky: false });
  assert.equal(fdb.entry(100, '02:00:00:00:01:01'), undefined, 'our own MAC, reflected: not installed');
  // The reflector's withdrawal of our own route (frame 28) changes nothing.
  assert.deepEqual(steps.at(-1), { frame: 28, calls: [] });
});

test('import (as gobgpd 10.212.0.30): both FRR VTEPs in the flood list and FDB; 2 of 6 routes dropped', () => {
  const { fdb, locRib } = importAs('gobgp-frr-evpn-session', '10.212.0.30');
  assert.deepEqual(fdb.flood.get(100), ['10.212.0.1', '10.212.0.2']);
  assert.deepEqual(fdb.entry(100, '02:00:00:00:01:01'), { kind: 'remote', vtep: '10.212.0.1', seq: 0, sticky: false });
  assert.deepEqual(fdb.entry(100, '02:00:00:00:02:02'), { kind: 'remote', vtep: '10.212.0.2', seq: 0, sticky: false });
  assert.equal(fdb.entries.size, 2);
  assert.equal(locRib.size('l2vpn-evpn'), 4);
});

test('import (as the reference speaker 10.212.0.40): FRR RD 10.212.0.1:2 and RT 65000:100 imported by RT into VNI 100', () => {
  const { fdb } = importAs('pyspeaker-frr-evpn-session', '10.212.0.40');
  assert.deepEqual(fdb.flood.get(100), ['10.212.0.1', '10.212.0.2']);
  assert.equal(fdb.entries.size, 0);
});

// ------------------------------------------------------------ import rules

const RD2 = parseRd('10.0.0.2:2');

interface RemoteSpec {
  vtep?: string;
  rd?: string;
  etag?: number;
  rts?: string[];
  seq?: number;
  sticky?: boolean;
  ip?: string;
  pmsi?: PmsiTunnel | null;
  originatorIp?: string;
}

function remoteAttributes(spec: RemoteSpec, extra: PathAttribute[] = []): PathAttribute[] {
  const ecs: ExtendedCommunity[] = (spec.rts ?? ['65000:100']).map(parseRouteTarget);
  ecs.push({ kind: 'encapsulation', tunnelType: 8 });
  if ((spec.seq ?? 0) > 0 || spec.sticky) ecs.push({ kind: 'mac-mobility', sticky: spec.sticky ?? false, sequence: spec.seq ?? 0 });
  return [{ type: 'origin', value: 'igp' }, { type: 'as-path', value: [] }, { type: 'extended-communities', value: ecs }, ...extra];
}

function remoteRoute(route: EvpnRoute, nextHop: string, attributes: PathAttribute[]): Route {
  return { family: 'l2vpn-evpn', key: evpnRouteKey(route), nlri: { family: 'l2vpn-evpn', nlri: { route } }, nextHop, attributes, peer: FRR_RR, stale: false, since: 0 };
}

function type2(mac: string, spec: RemoteSpec = {}): Route {
  const vtep = spec.vtep ?? '10.0.0.2';
  const route: EvpnRoute = { type: 2, rd: spec.rd !== undefined ? parseRd(spec.rd) : parseRd(`${vtep}:2`), esi: zeroEsi(), etag: spec.etag ?? 0, mac, labels: [100] };
  if (spec.ip !== undefined) route.ip = spec.ip;
  return remoteRoute(route, vtep, remoteAttributes(spec));
}

function type3(spec: RemoteSpec = {}): Route {
  const vtep = spec.vtep ?? '10.0.0.2';
  const route: EvpnRoute = { type: 3, rd: spec.rd !== undefined ? parseRd(spec.rd) : RD2, etag: spec.etag ?? 0, originatorIp: spec.originatorIp ?? vtep };
  const pmsi = spec.pmsi === undefined ? { flags: 0, tunnelType: 6, label: 100, tunnelId: vtep } : spec.pmsi;
  return remoteRoute(route, vtep, remoteAttributes(spec, pmsi === null ? [] : [{ type: 'pmsi-tunnel', value: pmsi }]));
}

function harness(options: Partial<EvpnManagerOptions> = {}) {
  let now = 0;
  const fdb = new RecordingFdb();
  const sink = new RecordingSink();
  const logs: EvpnLogEvent[] = [];
  const manager = new EvpnManager({
    speaker: { asn: 65000, routerId: '10.0.0.1', vtep: '10.0.0.1' },
    instances: [{ vni: 100 }],
    fdb,
    routes: sink,
    clock: () => now,
    log: (e) => logs.push(e),
    ...options,
  });
  fdb.manager = manager;
  manager.start();
  // The Loc-RIB's side of the contract: each change carries the previous best path.
  const current = new Map<string, Route>();
  const best = (route: Route): void => {
    manager.onLocRibChange({ type: 'best', family: route.family, key: route.key, route, previous: current.get(route.key) ?? null });
    current.set(route.key, route);
  };
  const gone = (route: Route): void => {
    manager.onLocRibChange({ type: 'withdrawn', family: route.family, key: route.key, previous: current.get(route.key) ?? route });
    current.delete(route.key);
  };
  const ours = (mac: string): Route[] =>
    [...sink.routes.values()].filter((r) => r.nlri.family === 'l2vpn-evpn' && r.nlri.nlri.route.type === 2 && r.nlri.nlri.route.mac === mac);
  const seqOf = (r: Route): number => {
    const ec = r.attributes.find((a) => a.type === 'extended-communities')?.value as ExtendedCommunity[];
    const mm = ec.find((e) => e.kind === 'mac-mobility');
    return mm?.kind === 'mac-mobility' ? mm.sequence : 0;
  };
  return { fdb, sink, manager, logs, best, gone, ours, seqOf, tick: (ms: number) => (now += ms) };
}

const MAC = '02:00:00:00:00:01';

test('import by route target only: any RD, any Ethernet Tag; a foreign RT is not imported', () => {
  const h = harness();
  h.best(type2(MAC, { rd: '10.212.0.1:2', etag: 100 }));
  assert.deepEqual(h.fdb.entry(100, MAC), { kind: 'remote', vtep: '10.0.0.2', seq: 0, sticky: false });
  h.best(type2('02:00:00:00:00:02', { rts: ['65000:999'] }));
  assert.equal(h.fdb.entry(100, '02:00:00:00:00:02'), undefined);
  // *:100 matches any global administrator (FRR's automatic import).
  h.best(type2('02:00:00:00:00:03', { rts: ['64512:100'] }));
  h.best(type2('02:00:00:00:00:04', { rts: ['192.0.2.1:100'] }));
  assert.ok(h.fdb.entry(100, '02:00:00:00:00:03'));
  assert.ok(h.fdb.entry(100, '02:00:00:00:00:04'));
  // A replacement with a foreign RT takes the MAC out again.
  h.best(type2(MAC, { rd: '10.212.0.1:2', etag: 100, rts: ['65000:999'] }));
  assert.equal(h.fdb.entry(100, MAC), undefined);
  // Withdrawal of a key never imported: no call at all.
  h.fdb.calls = [];
  h.gone(type2('02:00:00:00:00:99'));
  h.gone(type2('02:00:00:00:00:02', { rts: ['65000:999'] }));
  assert.deepEqual(h.fdb.calls, []);
});

test('import: explicit RT lists and two instances sharing a route', () => {
  const h = harness({ instances: [{ vni: 100, importRts: ['65000:1'] }, { vni: 200, importRts: ['65000:1', '65000:2'] }] });
  h.best(type2(MAC, { rts: ['65000:1'] }));
  h.best(type3({ rts: ['65000:2'] }));
  assert.ok(h.fdb.entry(100, MAC) && h.fdb.entry(200, MAC));
  assert.equal(h.fdb.flood.get(100), undefined);
  assert.deepEqual(h.fdb.flood.get(200), ['10.0.0.2']);
  h.gone(type2(MAC, { rts: ['65000:1'] }));
  assert.ok(!h.fdb.entry(100, MAC) && !h.fdb.entry(200, MAC));
  const idx = new RtIndex<string>();
  idx.add(parseRtMatcher('*:5'), 'a');
  idx.add(parseRtMatcher('65000:5'), 'b');
  assert.deepEqual(idx.match([parseRouteTarget('65000:5')]), ['b', 'a']);
  assert.deepEqual(idx.match([parseRouteTarget('4200000000:5')]), ['a']);
  assert.throws(() => parseRtMatcher('*:x'), /\*:N/);
});

test('Type 3: flood target is the ORIGINATING router IP, only with an ingress-replication PMSI; counted per VTEP', () => {
  const h = harness();
  // Next hop .33 and PMSI tunnel id .35 differ from the originating IP .30: .30 is used (as FRR does).
  const t = type3({ vtep: '10.0.0.33', originatorIp: '10.0.0.30', pmsi: { flags: 0, tunnelType: 6, label: 100, tunnelId: '10.0.0.35' } });
  h.best(t);
  assert.deepEqual(h.fdb.flood.get(100), ['10.0.0.30']);
  // No PMSI: "no flooding to me".
  h.best(type3({ vtep: '10.0.0.4', rd: '10.0.0.4:2', pmsi: null }));
  // A PMSI that is not ingress replication.
  h.best(type3({ vtep: '10.0.0.5', rd: '10.0.0.5:2', pmsi: { flags: 0, tunnelType: 3, label: 100, tunnelId: Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]) } }));
  assert.deepEqual(h.fdb.flood.get(100), ['10.0.0.30']);
  // The same VTEP under a second RD: still one entry; it stays until both are gone.
  const t2 = type3({ vtep: '10.0.0.30', rd: '10.0.0.30:9' });
  h.best(t2);
  const t10 = type3({ vtep: '10.0.0.10', rd: '10.0.0.10:2' });
  h.best(t10);
  assert.deepEqual(h.fdb.flood.get(100), ['10.0.0.10', '10.0.0.30'], 'numeric order');
  h.gone(t);
  assert.deepEqual(h.fdb.flood.get(100), ['10.0.0.10', '10.0.0.30']);
  h.gone(t2);
  assert.deepEqual(h.fdb.flood.get(100), ['10.0.0.10']);
  // A replacement without PMSI removes the VTEP.
  h.best(type3({ vtep: '10.0.0.10', rd: '10.0.0.10:2', pmsi: null }));
  assert.deepEqual(h.fdb.flood.get(100), []);
  // Our own Type 3 coming back is never a flood target.
  h.best(type3({ vtep: '10.0.0.1', rd: '10.0.0.1:1' }));
  assert.deepEqual(h.fdb.flood.get(100), []);
});

test('ARP suppression: remote MAC+IP routes fill the neighbor table; withdrawals empty it; off per VNI', () => {
  const h = harness();
  const r = type2(MAC, { ip: '192.168.1.7' });
  h.best(r);
  h.best(type2(MAC));
  assert.equal(h.fdb.neighbors.get('100|192.168.1.7'), MAC);
  // The IP moves to another MAC with a higher sequence number.
  h.best(type2('02:00:00:00:00:02', { ip: '192.168.1.7', vtep: '10.0.0.3', seq: 1 }));
  assert.equal(h.fdb.neighbors.get('100|192.168.1.7'), '02:00:00:00:00:02');
  h.gone(type2('02:00:00:00:00:02', { ip: '192.168.1.7', vtep: '10.0.0.3', seq: 1 }));
  assert.equal(h.fdb.neighbors.get('100|192.168.1.7'), MAC);
  h.gone(r);
  assert.equal(h.fdb.neighbors.size, 0);
  assert.deepEqual(h.fdb.entry(100, MAC), { kind: 'remote', vtep: '10.0.0.2', seq: 0, sticky: false }, 'the MAC-only route still holds the MAC');
  const off = harness({ instances: [{ vni: 100, arpSuppression: false }] });
  off.best(type2(MAC, { ip: '192.168.1.7' }));
  assert.equal(off.fdb.neighbors.size, 0);
  assert.ok(off.fdb.entry(100, MAC));
});

test('group MACs from remote routes are not installed', () => {
  const h = harness();
  h.best(type2('33:33:00:00:00:01'));
  assert.equal(h.fdb.entries.size, 0);
  assert.deepEqual(h.logs.map((l) => l.event), ['group-mac-ignored']);
});

// ------------------------------------------------------------ MAC mobility

test('mobility remote -> remote: a higher sequence from another VTEP moves the FDB entry; the old withdrawal then changes nothing', () => {
  const h = harness();
  const a = type2(MAC, { vtep: '10.0.0.2' });
  h.best(a);
  const b = type2(MAC, { vtep: '10.0.0.3', seq: 1 });
  h.best(b);
  assert.deepEqual(h.fdb.entry(100, MAC), { kind: 'remote', vtep: '10.0.0.3', seq: 1, sticky: false });
  h.fdb.calls = [];
  h.gone(a);
  assert.deepEqual(h.fdb.calls, []);
  h.gone(b);
  assert.equal(h.fdb.entry(100, MAC), undefined);
  assert.deepEqual(h.fdb.calls, [['removeRemote', 100, MAC, '10.0.0.3']]);
});

test('mobility: a LOWER sequence does not win while the higher one stands, and does once it is withdrawn (the FRR bug)', () => {
  const h = harness();
  const a = type2(MAC, { vtep: '10.0.0.2', seq: 5 });
  h.best(a);
  h.best(type2(MAC, { vtep: '10.0.0.3', seq: 3 }));
  assert.deepEqual(h.fdb.entry(100, MAC), { kind: 'remote', vtep: '10.0.0.2', seq: 5, sticky: false });
  h.gone(a);
  assert.deepEqual(h.fdb.entry(100, MAC), { kind: 'remote', vtep: '10.0.0.3', seq: 3, sticky: false });
});

test('mobility: equal sequence numbers -> the lower VTEP IP wins, numerically, in either arrival order', () => {
  for (const order of [0, 1]) {
    const h = harness();
    const routes = [type2(MAC, { vtep: '10.0.0.9', seq: 2 }), type2(MAC, { vtep: '10.0.0.10', seq: 2 })];
    if (order) routes.reverse();
    for (const r of routes) h.best(r);
    assert.deepEqual(h.fdb.entry(100, MAC), { kind: 'remote', vtep: '10.0.0.9', seq: 2, sticky: false });
  }
});

test('mobility local -> remote: a remote route with a higher sequence withdraws ours (MAC-only and MAC+IP) and takes the FDB entry', () => {
  const h = harness();
  h.fdb.learnLocal(100, MAC, '192.168.1.5');
  assert.equal(h.ours(MAC).length, 2);
  assert.ok(h.ours(MAC).every((r) => h.seqOf(r) === 0));
  assert.deepEqual(h.manager.macState(100, MAC), { where: 'local', seq: 0, ips: ['192.168.1.5'] });
  h.best(type2(MAC, { vtep: '10.0.0.3', seq: 1 }));
  assert.deepEqual(h.ours(MAC), []);
  assert.deepEqual(h.fdb.entry(100, MAC), { kind: 'remote', vtep: '10.0.0.3', seq: 1, sticky: false });
  assert.deepEqual(h.manager.macState(100, MAC), { where: 'remote', vtep: '10.0.0.3', seq: 1, sticky: false });
  // A remote route with a LOWER sequence for a local MAC loses: ours stays.
  const h2 = harness();
  h2.fdb.learnLocal(100, MAC);
  h2.best(type2(MAC, { vtep: '10.0.0.3', seq: 5 }));
  h2.fdb.learnLocal(100, MAC); // back here: seq 6
  h2.best(type2(MAC, { vtep: '10.0.0.4', seq: 2 }));
  assert.equal(h2.fdb.entry(100, MAC)?.kind, 'local');
  assert.deepEqual(h2.ours(MAC).map(h2.seqOf), [6]);
});

test('mobility remote -> local: we advertise with max(seq) + 1 (the MAC Mobility community), the FDB entry is local', () => {
  const h = harness();
  const a = type2(MAC, { vtep: '10.0.0.2', seq: 3 });
  const b = type2(MAC, { vtep: '10.0.0.5', seq: 1 });
  h.best(a);
  h.best(b);
  h.fdb.learnLocal(100, MAC);
  const ours = h.ours(MAC);
  assert.deepEqual(ours.map(h.seqOf), [4]);
  assert.equal(h.fdb.entry(100, MAC)?.kind, 'local');
  // Their withdrawals (the host left them) change nothing here.
  h.fdb.calls = [];
  h.gone(a);
  h.gone(b);
  assert.deepEqual(h.fdb.calls, []);
  assert.deepEqual(h.ours(MAC).map(h.seqOf), [4]);
  // The MAC ages: our routes go.
  h.fdb.ageLocal(100, MAC);
  assert.deepEqual(h.ours(MAC), []);
  assert.equal(h.manager.macCount(), 0, 'no state left behind');
});

test('mobility: a local MAC that ages while a losing remote route stands goes remote', () => {
  const h = harness();
  h.fdb.learnLocal(100, MAC);
  h.best(type2(MAC, { vtep: '10.0.0.9', seq: 0 })); // tie: 10.0.0.1 (us) is lower, we keep it
  assert.equal(h.fdb.entry(100, MAC)?.kind, 'local');
  assert.equal(h.ours(MAC).length, 1);
  h.fdb.ageLocal(100, MAC);
  assert.deepEqual(h.fdb.entry(100, MAC), { kind: 'remote', vtep: '10.0.0.9', seq: 0, sticky: false });
  // A tie against a LOWER VTEP IP: we withdraw ours.
  const h2 = harness({ speaker: { asn: 65000, routerId: '10.0.0.50', vtep: '10.0.0.50' } });
  h2.fdb.learnLocal(100, MAC);
  h2.best(type2(MAC, { vtep: '10.0.0.9', seq: 0 }));
  assert.deepEqual(h2.ours(MAC), []);
  assert.deepEqual(h2.fdb.entry(100, MAC), { kind: 'remote', vtep: '10.0.0.9', seq: 0, sticky: false });
});

test('mobility: sticky MACs never move', () => {
  const h = harness();
  h.best(type2(MAC, { vtep: '10.0.0.2', sticky: true }));
  h.best(type2(MAC, { vtep: '10.0.0.3', seq: 9 }));
  assert.deepEqual(h.fdb.entry(100, MAC), { kind: 'remote', vtep: '10.0.0.2', seq: 0, sticky: true });
  // Learned here anyway: not advertised, the remote entry is put back, an operator is told.
  h.fdb.learnLocal(100, MAC);
  assert.deepEqual(h.ours(MAC), []);
  assert.deepEqual(h.fdb.entry(100, MAC), { kind: 'remote', vtep: '10.0.0.2', seq: 0, sticky: true });
  assert.deepEqual(h.logs.map((l) => l.event), ['sticky-conflict']);
  // A sticky route arriving for our local MAC takes it.
  const h2 = harness();
  h2.fdb.learnLocal(100, MAC);
  h2.best(type2(MAC, { vtep: '10.0.0.7', sticky: true }));
  assert.deepEqual(h2.ours(MAC), []);
  assert.deepEqual(h2.fdb.entry(100, MAC), { kind: 'remote', vtep: '10.0.0.7', seq: 0, sticky: true });
});

test('duplicate detection (RFC 7432 §15.1): 5 moves within 180 s freeze the MAC; clearing it resumes; slower moves do not', () => {
  const h = harness();
  let seq = 0;
  const pingPong = (gap: number): void => {
    // remote (seq+1) -> local (seq+2) -> ...
    h.tick(gap);
    seq = (h.ours(MAC).map(h.seqOf)[0] ?? seq) + 1;
    h.best(type2(MAC, { vtep: '10.0.0.3', seq }));
    h.tick(gap);
    h.fdb.learnLocal(100, MAC);
  };
  h.fdb.learnLocal(100, MAC);
  pingPong(10_000); // moves 1, 2
  pingPong(10_000); // moves 3, 4
  assert.deepEqual(h.manager.duplicates(), []);
  h.tick(10_000);
  seq = h.ours(MAC).map(h.seqOf)[0]! + 1;
  h.best(type2(MAC, { vtep: '10.0.0.3', seq })); // move 5: frozen
  assert.deepEqual(h.manager.duplicates(), [{ vni: 100, mac: MAC }]);
  assert.deepEqual(h.logs.map((l) => l.event), ['duplicate-mac']);
  // Frozen: learning it again changes nothing, and nothing is advertised.
  const before = h.sink.log.length;
  h.fdb.calls = [];
  h.fdb.learnLocal(100, MAC);
  h.best(type2(MAC, { vtep: '10.0.0.3', seq: seq + 5 }));
  assert.equal(h.sink.log.length, before);
  assert.deepEqual(h.fdb.calls, []);
  // Corrective action: cleared, it is brought up to date: the MAC is here
  // (learned while frozen), so it is taken over above the latest remote sequence.
  assert.equal(h.manager.clearDuplicate(100, MAC), true);
  assert.deepEqual(h.manager.duplicates(), []);
  assert.equal(h.fdb.entry(100, MAC)?.kind, 'local');
  assert.deepEqual(h.ours(MAC).map(h.seqOf), [seq + 6]);
  assert.equal(h.manager.clearDuplicate(100, MAC), false, 'not frozen any more');

  const slow = harness();
  slow.fdb.learnLocal(100, MAC);
  let s = 0;
  for (let i = 0; i < 6; i++) {
    slow.tick(60_000);
    s = (slow.ours(MAC).map(slow.seqOf)[0] ?? s) + 1;
    slow.best(type2(MAC, { vtep: '10.0.0.3', seq: s }));
    slow.tick(60_000);
    slow.fdb.learnLocal(100, MAC);
  }
  assert.deepEqual(slow.manager.duplicates(), [], '12 moves, but never 5 within 180 s');
  assert.equal(slow.ours(MAC).length, 1);
});

test('removeInstance withdraws our routes and empties the FDB entries, flood list and neighbors it made', () => {
  const h = harness();
  h.best(type3());
  h.best(type2(MAC, { ip: '192.168.1.9' }));
  h.fdb.learnLocal(100, '02:00:00:00:00:55');
  h.manager.removeInstance(100);
  assert.deepEqual([...h.sink.routes.keys()], []);
  assert.deepEqual(h.fdb.flood.get(100), []);
  assert.equal(h.fdb.entry(100, MAC), undefined);
  assert.equal(h.fdb.neighbors.size, 0);
  // Re-added with the routes the Loc-RIB holds: imported again.
  h.manager.addInstance({ vni: 100 }, [type3(), type2(MAC)]);
  assert.deepEqual(h.fdb.flood.get(100), ['10.0.0.2']);
  assert.ok(h.fdb.entry(100, MAC));
});

// ------------------------------------------------------------ issue 9: the FDB and the control plane converge

/** A full FDB: `n` static entries in VNI 200 (not an EVPN VNI), removable one by one. */
function fullTable(n: number): { table: Fdb; free: (k: number) => void } {
  const table = new Fdb({ maxEntries: n, controlReserve: 0, seed: 1 });
  const mac = (i: number): string => `02:00:00:00:c8:${i.toString(16).padStart(2, '0')}`;
  for (let i = 0; i < n; i++) table.addStaticRemote(200, mac(i), '10.0.0.9');
  let next = 0;
  return { table, free: (k) => { for (const end = next + k; next < end; next++) table.removeStatic(200, mac(next)); } };
}

test('FDB full (issue 9 item 10): a refused install is pending, not "installed"; once room frees, the route\'s MAC appears in the FDB', () => {
  const { table, free } = fullTable(4);
  const h = harness({ fdb: fdbPortOver(table) });
  h.best(type2(MAC, { vtep: '10.0.0.2' }));
  assert.equal(table.get(100, MAC), undefined, 'the FDB had no room');
  assert.equal(h.manager.macState(100, MAC), null, "the control plane's view does not claim an entry the FDB lacks");
  assert.deepEqual(h.manager.pendingInstalls(), [{ vni: 100, mac: MAC, vtep: '10.0.0.2' }]);
  assert.equal(h.manager.retryPending(), 1, 'still full: still pending');
  free(1);
  assert.equal(h.manager.retryPending(), 0);
  assert.equal(table.get(100, MAC)?.vtep, '10.0.0.2');
  assert.deepEqual(h.manager.macState(100, MAC), { where: 'remote', vtep: '10.0.0.2', seq: 0, sticky: false });
  assert.equal(h.manager.counters().installsRefused, 2);
  // Said once (rate-limited), with the number pending.
  const lines = h.logs.filter((e) => e.event === 'fdb-install-pending');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!.event === 'fdb-install-pending' ? lines[0]!.message : '', /no room in the FDB for MAC 02:00:00:00:00:01 behind 10\.0\.0\.2; 1 remote MAC\(s\) pending/);
});

test('pending installs: oldest first, at most the budget per call, stop at the first refusal; a withdrawn or moved route is no longer pending', () => {
  const { table, free } = fullTable(8);
  const h = harness({ fdb: fdbPortOver(table) });
  const macs = [0, 1, 2, 3, 4, 5].map((i) => `02:00:00:00:01:0${i}`);
  const routes = macs.map((m) => type2(m, { vtep: '10.0.0.2' }));
  for (const r of routes) h.best(r);
  assert.equal(h.manager.counters().pendingInstalls, 6);
  h.gone(routes[0]!);
  assert.equal(h.manager.counters().pendingInstalls, 5, 'a withdrawn route is not installed later');
  // The host behind macs[5] shows up locally: it is ours now, nothing to install.
  h.fdb.learnLocal(100, macs[5]!);
  assert.equal(h.manager.counters().pendingInstalls, 4);
  free(3);
  assert.equal(h.manager.retryPending(2), 2, 'the budget bounds one call');
  assert.deepEqual([1, 2].map((i) => table.get(100, macs[i]!)?.vtep), ['10.0.0.2', '10.0.0.2']);
  assert.equal(h.manager.retryPending(), 1, 'one more fits, then the first refusal ends the round');
  assert.equal(table.get(100, macs[3]!)?.vtep, '10.0.0.2');
  free(5);
  assert.equal(h.manager.retryPending(), 0);
  assert.equal(table.get(100, macs[4]!)?.vtep, '10.0.0.2');
  assert.equal(table.get(100, macs[0]!), undefined);
  assert.equal(table.get(100, macs[5]!), undefined);
});

const V6_STRANGER = '2001:db8::c000:201'; // its low 32 bits are 192.0.2.1

test('IPv6 VTEP on an IPv4 underlay (issue 9 item 6): Type 3 and Type 2 refused, counted, logged once; never truncated into the flood list or the FDB', () => {
  const table = new Fdb({ seed: 1 }); // no family check in the FDB here: the manager alone refuses
  const h = harness({ fdb: fdbPortOver(table) });
  h.best(type3({ vtep: V6_STRANGER }));
  h.best(type2(MAC, { vtep: V6_STRANGER, rd: '10.0.0.2:2' }));
  assert.deepEqual(table.floodLists.addresses(100), []);
  assert.deepEqual(h.manager.floodList(100), []);
  assert.equal(table.get(100, MAC), undefined);
  assert.equal(table.vteps.find('192.0.2.1'), -1);
  assert.equal(h.manager.counters().vtepFamilyRefused, 2);
  const lines = h.logs.flatMap((e) => (e.event === 'vtep-family-refused' ? [[e.vtep, e.routeType, e.refused]] : []));
  assert.deepEqual(lines, [[V6_STRANGER, 3, 1]], 'one line per interval');
  h.tick(10_000);
  h.best(type3({ vtep: V6_STRANGER, rd: '10.0.0.7:2' }));
  assert.equal(h.logs.filter((e) => e.event === 'vtep-family-refused').length, 2, 'the next interval logs again');
  // A usable route replaced by one from an IPv6 VTEP (same key) takes the old entry out.
  h.best(type2(MAC, { vtep: '10.0.0.2', rd: '10.0.0.2:2' }));
  assert.equal(table.get(100, MAC)?.vtep, '10.0.0.2');
  h.best(type2(MAC, { vtep: V6_STRANGER, rd: '10.0.0.2:2' }));
  assert.equal(table.get(100, MAC), undefined);
});

test('IPv6 underlay (issue 9 item 6): an IPv6 originator and next hop install whole, all 128 bits; an IPv4 VTEP is refused', () => {
  const table = new Fdb({ seed: 1, underlayFamily: 6 });
  const h = harness({ fdb: fdbPortOver(table), speaker: { asn: 65000, routerId: '10.0.0.1', vtep: '2001:db8::1' } });
  h.best(type3({ vtep: V6_STRANGER }));
  h.best(type2(MAC, { vtep: V6_STRANGER, rd: '10.0.0.2:2' }));
  assert.deepEqual(table.floodLists.addresses(100), [V6_STRANGER]);
  const e = table.get(100, MAC)!;
  assert.equal(e.vtep, V6_STRANGER);
  const words = new Uint32Array(4);
  table.vteps.writeWords(e.vtepIndex!, words, 0, 4);
  assert.deepEqual([...words], [0x20010db8, 0, 0, 0xc0000201]);
  h.best(type3({ vtep: '10.0.0.3', rd: '10.0.0.3:2' }));
  assert.deepEqual(table.floodLists.addresses(100), [V6_STRANGER], 'an IPv4 originator is not reachable over this underlay');
  assert.equal(h.manager.counters().vtepFamilyRefused, 1);
  // Our own Type 3 carries the IPv6 VTEP as originator and next hop.
  const ours = [...h.sink.routes.values()].find((r) => r.nlri.family === 'l2vpn-evpn' && r.nlri.nlri.route.type === 3)!;
  assert.equal(ours.nextHop, '2001:db8::1');
  assert.equal(ours.nlri.family === 'l2vpn-evpn' && ours.nlri.nlri.route.type === 3 ? ours.nlri.nlri.route.originatorIp : '', '2001:db8::1');
});

test('no amplification (issue 9 item 2): a local MAC advertises at most MAX_IPS_PER_MAC MAC+IP routes however many sender IPs it shows', () => {
  const h = harness();
  for (let i = 1; i <= 20; i++) h.fdb.learnLocal(100, MAC, `192.168.1.${i}`);
  assert.equal(h.ours(MAC).length, 1 + MAX_IPS_PER_MAC, 'the MAC-only route and one per IP, up to the cap');
  assert.equal(h.manager.counters().macIpsRefused, 20 - MAX_IPS_PER_MAC);
  assert.equal(h.logs.filter((e) => e.event === 'mac-ip-limit').length, 1);
  // An IP already advertised is no refusal.
  h.fdb.learnLocal(100, MAC, '192.168.1.1');
  assert.equal(h.manager.counters().macIpsRefused, 20 - MAX_IPS_PER_MAC);
});
