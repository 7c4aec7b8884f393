// update-reader.ts and the import policy: every UPDATE of the captured
// sessions read into routes and compared with tshark's decode of the same
// bytes; FRR's reflected routes dropped by ORIGINATOR_ID; RFC 7606
// treat-as-withdraw / attribute-discard; unknown EVPN route types; legacy
// IPv4 NLRI; IPv6; add-path; AS4_PATH from a 2-octet peer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { WireError } from '../../src/wire/wire-error.js';
import { mutationArbitrary, runs } from '../helpers/property.js';
import { AS4_CONTEXT, DEFAULT_CONTEXT } from '../../src/wire/bgp-context.js';
import type { BgpContext } from '../../src/wire/bgp-context.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import type { EvpnNlri, EvpnRoute } from '../../src/wire/evpn-nlri.js';
import { evpnRouteKey } from '../../src/wire/evpn-nlri.js';
import * as pathAttribute from '../../src/wire/path-attribute.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import * as rdCodec from '../../src/wire/route-distinguisher.js';
import { zeroEsi } from '../../src/wire/esi.js';
import { AdjRibIn } from '../../src/control/adj-rib-in.js';
import { importRejection } from '../../src/control/import-policy.js';
import { applyUpdate } from '../../src/control/inbound.js';
import { LocRib } from '../../src/control/loc-rib.js';
import { readUpdate } from '../../src/control/update-reader.js';
import { bgpMessages, type CapturedBgpMessage } from '../helpers/bgp-captures.js';
import { capturePath, type CaptureName } from '../helpers/fixtures.js';
import { findAll, tsharkFrames, type TsharkTree, type TsharkValue } from '../helpers/tshark.js';
import { FRR_RR, decodeUpdate, peer } from './control-helpers.js';

const EVPN_CAPTURES: CaptureName[] = ['frr-frr-evpn-session', 'gobgp-frr-evpn-session', 'pyspeaker-frr-evpn-session'];
/** The VTEP at the other end of the route reflector in each capture. */
const VTEP_OF: Record<string, string> = {
  'frr-frr-evpn-session': '10.212.0.1',
  'gobgp-frr-evpn-session': '10.212.0.30',
  'pyspeaker-frr-evpn-session': '10.212.0.40',
};

const updates = bgpMessages(EVPN_CAPTURES).filter((m) => m.type === 2);

/** Source IP of each frame, read from tshark. */
function sources(capture: CaptureName): Map<number, string> {
  const out = new Map<number, string>();
  for (const f of tsharkFrames(capturePath(capture), 'bgp')) {
    const ip = f.layers['ip'];
    if (typeof ip === 'object' && !Array.isArray(ip) && typeof ip['ip.src'] === 'string') out.set(f.number, ip['ip.src']);
  }
  return out;
}
const SOURCES = new Map(EVPN_CAPTURES.map((c) => [c, sources(c)]));
const fromRr = (m: CapturedBgpMessage): boolean => SOURCES.get(m.capture)!.get(m.frame) === '10.212.0.254';

function str(t: TsharkValue, name: string): string {
  const v = findAll(t, name)[0];
  if (typeof v !== 'string') throw new Error(`tshark field ${name} missing`);
  return v;
}

function trees(v: TsharkValue): TsharkTree[] {
  if (Array.isArray(v)) return v.flatMap(trees);
  return typeof v === 'object' ? [v] : [];
}

/** The EVPN route tshark decoded, rebuilt from its fields (RD from its bytes). */
function tsharkRoute(n: TsharkTree): EvpnRoute {
  const rd = rdCodec.decode(Buffer.from(str(n, 'bgp.evpn.nlri.rd').replaceAll(':', ''), 'hex'));
  const etag = Number(str(n, 'bgp.evpn.nlri.etag'));
  const type = Number(str(n, 'bgp.evpn.nlri.rt'));
  if (type === 3) return { type: 3, rd, etag, originatorIp: str(n, 'bgp.evpn.nlri.ip.addr') };
  assert.equal(type, 2);
  const route: EvpnRoute = { type: 2, rd, esi: zeroEsi(), etag, mac: str(n, 'bgp.evpn.nlri.mac_addr'), labels: [] };
  if (Number(str(n, 'bgp.evpn.nlri.iplen')) > 0) route.ip = str(n, 'bgp.evpn.nlri.ip.addr');
  return route;
}

function tsharkNlris(m: CapturedBgpMessage, typeCode: number): TsharkTree[] {
  const out: TsharkTree[] = [];
  for (const a of findAll(m.tree, 'bgp.update.path_attribute').flatMap(trees)) {
    if (Number(a['bgp.update.path_attribute.type_code']) !== typeCode) continue;
    out.push(...findAll(a, 'bgp.evpn.nlri').flatMap(trees));
  }
  return out;
}

test('captures: every UPDATE read into the routes and withdrawals tshark sees', () => {
  let announced = 0;
  let withdrawn = 0;
  let eors = 0;
  for (const m of updates) {
    const where = `${m.capture} frame ${m.frame}#${m.index}`;
    const read = readUpdate(decodeUpdate(m.bytes), FRR_RR, 7);
    assert.equal(read.action, null, where);
    assert.equal(read.ignored, 0, where);
    const reach = tsharkNlris(m, 14);
    const unreach = tsharkNlris(m, 15);
    assert.deepEqual(
      read.announced.map((r) => r.key),
      reach.map((n) => evpnRouteKey(tsharkRoute(n))),
      `${where}: announced keys`,
    );
    assert.deepEqual(
      read.withdrawn.map((w) => w.key),
      unreach.map((n) => evpnRouteKey(tsharkRoute(n))),
      `${where}: withdrawn keys`,
    );
    for (const w of read.withdrawn) assert.equal(w.family, 'l2vpn-evpn');
    const attrCount = findAll(m.tree, 'bgp.update.path_attribute').flatMap(trees).length;
    const isEor = attrCount === 1 && unreach.length === 0 && reach.length === 0;
    assert.equal(read.endOfRib, isEor ? 'l2vpn-evpn' : null, `${where}: End-of-RIB`);
    if (isEor) eors++;
    for (const r of read.announced) {
      assert.equal(r.family, 'l2vpn-evpn');
      assert.equal(r.nextHop, str(m.tree, 'bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv4'), `${where}: next hop`);
      assert.equal(r.peer, FRR_RR);
      assert.equal(r.since, 7);
      assert.equal(r.stale, false);
      assert.equal(r.attributes, read.announced[0]!.attributes, `${where}: one shared attributes array`);
      assert.ok(!r.attributes.some((a) => a.type === 'mp-reach-nlri' || a.type === 'mp-unreach-nlri' || a.type === 'next-hop'));
      // Every other attribute tshark shows is kept.
      assert.equal(r.attributes.length, attrCount - 1, `${where}: attributes kept`);
    }
    announced += read.announced.length;
    withdrawn += read.withdrawn.length;
  }
  assert.ok(announced >= 20 && withdrawn >= 8 && eors >= 3, `announced ${announced} withdrawn ${withdrawn} EoR ${eors}`);
});

test("captures: FRR reflects each VTEP's own routes back (ORIGINATOR_ID = its id); the import policy drops exactly those", () => {
  for (const capture of EVPN_CAPTURES) {
    const self = VTEP_OF[capture]!;
    const policy = { localAs: 65000, routerId: self };
    let own = 0;
    let others = 0;
    for (const m of updates.filter((u) => u.capture === capture && fromRr(u))) {
      for (const r of readUpdate(decodeUpdate(m.bytes), FRR_RR, 0).announced) {
        const originator = str(m.tree, 'bgp.update.path_attribute.originator_id');
        const expected = originator === self ? 'originator-id' : null;
        assert.equal(importRejection(r, policy), expected, `${capture} frame ${m.frame}: ${r.key}`);
        if (expected === null) others++;
        else own++;
      }
    }
    assert.ok(own >= 1 && others >= 1, `${capture}: own ${own}, others ${others}`);
  }
});

test('captures: gobgpd\'s "Received 6 Accepted 4" from the FRR reflector, and its reflected withdrawals ignored', () => {
  const rib = new AdjRibIn(FRR_RR);
  const loc = new LocRib();
  const policy = { localAs: 65000, routerId: '10.212.0.30' };
  const frame15 = updates.filter((u) => u.capture === 'gobgp-frr-evpn-session' && fromRr(u) && u.frame === 15);
  for (const m of frame15) applyUpdate(readUpdate(decodeUpdate(m.bytes), FRR_RR, 0), rib, loc, policy);
  assert.equal(rib.size(), 6);
  assert.equal(rib.acceptedCount(), 4);
  assert.equal(loc.size('l2vpn-evpn'), 4);
  // The reflector then withdraws gobgpd's own routes (frame 21): Adj-RIB-In
  // drops them, the Loc-RIB never had them.
  const later = updates.filter((u) => u.capture === 'gobgp-frr-evpn-session' && fromRr(u) && u.frame > 15);
  assert.ok(later.length >= 1);
  let changes = 0;
  for (const m of later) changes += applyUpdate(readUpdate(decodeUpdate(m.bytes), FRR_RR, 0), rib, loc, policy).changes.length;
  assert.equal(changes, 0);
  assert.equal(rib.size(), 4);
  assert.equal(loc.size('l2vpn-evpn'), 4);
});

// ------------------------------------------------------------ synthetic UPDATEs

const rd = rdCodec.parseRd('10.0.0.2:7');
const type2 = (mac: string, ip?: string): EvpnNlri => {
  const route: EvpnRoute = { type: 2, rd, esi: zeroEsi(), etag: 0, mac, labels: [100] };
  if (ip !== undefined) route.ip = ip;
  return { route };
};
const base: PathAttribute[] = [
  { type: 'origin', value: 'igp' },
  { type: 'as-path', value: [] },
];

function message(attributes: PathAttribute[], ctx: BgpContext = AS4_CONTEXT, nlri: Array<{ prefix: string; length: number }> = [], withdrawn: Array<{ prefix: string; length: number }> = []): Buffer {
  return bgpMessage.encode({ type: 'update', update: { withdrawn, attributes, nlri, problems: [] } }, undefined, 0, ctx);
}

/** An UPDATE from raw attribute bytes (to carry malformed ones). */
function rawMessage(attrs: Buffer[], nlri: Buffer = Buffer.alloc(0)): Buffer {
  const a = Buffer.concat(attrs);
  const body = Buffer.concat([Buffer.from([0, 0, a.length >> 8, a.length & 0xff]), a, nlri]);
  const header = Buffer.alloc(19, 0xff);
  header.writeUInt16BE(19 + body.length, 16);
  header[18] = 2;
  return Buffer.concat([header, body]);
}

const enc = (a: PathAttribute): Buffer => pathAttribute.encode(a, undefined, 0, AS4_CONTEXT);
const mpReach = (nlri: EvpnNlri[]): PathAttribute => ({ type: 'mp-reach-nlri', value: { kind: 'evpn', afi: 25, safi: 70, nextHop: '10.0.0.2', nlri } });

test('RFC 7606 treat-as-withdraw: every NLRI of the UPDATE becomes a withdrawal', () => {
  const bytes = rawMessage([
    enc(mpReach([type2('02:00:00:00:00:01'), type2('02:00:00:00:00:02', '10.1.1.2')])),
    Buffer.from([0x40, 0x01, 0x01, 0x07]), // ORIGIN 7: malformed (RFC 7606 §7.1)
    enc({ type: 'as-path', value: [] }),
  ]);
  const read = readUpdate(decodeUpdate(bytes), FRR_RR, 0);
  assert.equal(read.action, 'treat-as-withdraw');
  assert.equal(read.announced.length, 0);
  assert.deepEqual(
    read.withdrawn.map((w) => w.key),
    [type2('02:00:00:00:00:01'), type2('02:00:00:00:00:02', '10.1.1.2')].map((n) => evpnRouteKey(n.route)),
  );
  assert.equal(read.problems.length, 1);
  // ...and a route held before is withdrawn from the RIBs.
  const rib = new AdjRibIn(FRR_RR);
  const loc = new LocRib();
  const policy = { localAs: 65000, routerId: '10.0.0.1' };
  applyUpdate(readUpdate(decodeUpdate(message([mpReach([type2('02:00:00:00:00:01')]), ...base])), FRR_RR, 0), rib, loc, policy);
  assert.equal(loc.size(), 1);
  const res = applyUpdate(read, rib, loc, policy);
  assert.equal(loc.size(), 0);
  assert.equal(res.changes.length, 1);
  assert.equal(res.changes[0]!.type, 'withdrawn');
});

test('RFC 7606 treat-as-withdraw covers the IPv4 NLRI field too', () => {
  const bytes = rawMessage(
    [Buffer.from([0x40, 0x01, 0x01, 0x09]), enc({ type: 'as-path', value: [] }), enc({ type: 'next-hop', value: '192.0.2.1' })],
    Buffer.from([24, 10, 1, 2]),
  );
  const read = readUpdate(decodeUpdate(bytes), FRR_RR, 0);
  assert.equal(read.action, 'treat-as-withdraw');
  assert.deepEqual(read.withdrawn, [{ family: 'ipv4-unicast', key: '10.1.2.0/24' }]);
});

test('RFC 7606 attribute-discard: the attribute is gone, the routes are used', () => {
  const bytes = rawMessage([
    enc(mpReach([type2('02:00:00:00:00:01')])),
    enc(base[0]!),
    enc(base[1]!),
    Buffer.from([0x40, 0x06, 0x01, 0x00]), // ATOMIC_AGGREGATE of length 1 (RFC 7606 §7.6)
  ]);
  const read = readUpdate(decodeUpdate(bytes), FRR_RR, 0);
  assert.equal(read.action, 'attribute-discard');
  assert.equal(read.announced.length, 1);
  assert.deepEqual(
    read.announced[0]!.attributes.map((a) => a.type),
    ['origin', 'as-path'],
  );
});

test('RFC 7432 §7: unknown EVPN route types are ignored, announced or withdrawn', () => {
  const unknown: EvpnNlri = { route: { type: 'unknown', code: 9, data: Buffer.from([1, 2, 3]) } };
  const bytes = message([mpReach([unknown, type2('02:00:00:00:00:01')]), ...base]);
  const read = readUpdate(decodeUpdate(bytes), FRR_RR, 0);
  assert.equal(read.announced.length, 1);
  assert.equal(read.ignored, 1);
  const w = message([{ type: 'mp-unreach-nlri', value: { kind: 'evpn', afi: 25, safi: 70, withdrawn: [unknown] } }]);
  const readW = readUpdate(decodeUpdate(w), FRR_RR, 0);
  assert.equal(readW.withdrawn.length, 0);
  assert.equal(readW.ignored, 1);
});

test('legacy IPv4 NLRI with NEXT_HOP, Withdrawn Routes, and the IPv4 End-of-RIB', () => {
  const bytes = message(
    [...base, { type: 'next-hop', value: '192.0.2.9' }, { type: 'multi-exit-disc', value: 5 }],
    AS4_CONTEXT,
    [{ prefix: '10.1.0.0', length: 16 }, { prefix: '10.2.3.0', length: 24 }],
    [{ prefix: '10.9.0.0', length: 16 }],
  );
  const read = readUpdate(decodeUpdate(bytes), FRR_RR, 0);
  assert.deepEqual(read.announced.map((r) => [r.family, r.key, r.nextHop]), [
    ['ipv4-unicast', '10.1.0.0/16', '192.0.2.9'],
    ['ipv4-unicast', '10.2.3.0/24', '192.0.2.9'],
  ]);
  assert.deepEqual(read.announced[0]!.attributes.map((a) => a.type), ['origin', 'as-path', 'multi-exit-disc']);
  assert.deepEqual(read.withdrawn, [{ family: 'ipv4-unicast', key: '10.9.0.0/16' }]);
  assert.equal(readUpdate(decodeUpdate(message([])), FRR_RR, 0).endOfRib, 'ipv4-unicast');
});

test('IPv6 unicast in MP_REACH / MP_UNREACH; families not negotiated are ignored', () => {
  const bytes = message([
    { type: 'mp-reach-nlri', value: { kind: 'ip-prefix', afi: 2, safi: 1, nextHop: '2001:db8::1', nlri: [{ prefix: '2001:db8:1::', length: 48 }] } },
    ...base,
  ]);
  const read = readUpdate(decodeUpdate(bytes), FRR_RR, 0);
  assert.deepEqual(read.announced.map((r) => [r.family, r.key, r.nextHop]), [['ipv6-unicast', '2001:db8:1::/48', '2001:db8::1']]);
  const only = readUpdate(decodeUpdate(bytes), FRR_RR, 0, { families: new Set(['l2vpn-evpn'] as const) });
  assert.equal(only.announced.length, 0);
  assert.equal(only.ignored, 1);
});

test('add-path: the path identifier rides on routes and withdrawals', () => {
  const ctx: BgpContext = { ...AS4_CONTEXT, addPath: new Set(['25/70']) };
  const bytes = message([mpReach([{ pathId: 3, route: type2('02:00:00:00:00:01').route }]), ...base], ctx);
  const read = readUpdate(decodeUpdate(bytes, ctx), FRR_RR, 0);
  assert.equal(read.announced[0]!.pathId, 3);
  const w = message([{ type: 'mp-unreach-nlri', value: { kind: 'evpn', afi: 25, safi: 70, withdrawn: [{ pathId: 3, route: type2('02:00:00:00:00:01').route }] } }], ctx);
  assert.equal(readUpdate(decodeUpdate(w, ctx), FRR_RR, 0).withdrawn[0]!.pathId, 3);
});

test('RFC 6793: AS4_PATH of a 2-octet peer is merged into AS_PATH; a 4-octet peer\'s is discarded', () => {
  const attrs: PathAttribute[] = [
    { type: 'origin', value: 'igp' },
    { type: 'as-path', value: [{ type: 'as-sequence', asns: [65001, 23456, 23456] }] },
    { type: 'next-hop', value: '192.0.2.1' },
    { type: 'as4-path', value: [{ type: 'as-sequence', asns: [4200000001, 4200000002] }] },
  ];
  const bytes = message(attrs, DEFAULT_CONTEXT, [{ prefix: '10.0.0.0', length: 8 }]);
  const read = readUpdate(decodeUpdate(bytes, DEFAULT_CONTEXT), peer('192.0.2.1', { ibgp: false, asn: 65001 }), 0, { as4: false });
  const path = read.announced[0]!.attributes.find((a) => a.type === 'as-path');
  assert.deepEqual(path?.value, [
    { type: 'as-sequence', asns: [65001] },
    { type: 'as-sequence', asns: [4200000001, 4200000002] },
  ]);
  assert.ok(!read.announced[0]!.attributes.some((a) => a.type === 'as4-path'));
  // From a 4-octet peer, AS4_PATH must not appear: it is discarded (RFC 6793 §4.1).
  const four = message(
    [{ type: 'origin', value: 'igp' }, { type: 'as-path', value: [{ type: 'as-sequence', asns: [4200000001] }] }, { type: 'next-hop', value: '192.0.2.1' }, attrs[3]!],
    AS4_CONTEXT,
    [{ prefix: '10.0.0.0', length: 8 }],
  );
  const r4 = readUpdate(decodeUpdate(four), peer('192.0.2.1', { ibgp: false }), 0, { as4: true });
  assert.deepEqual(r4.announced[0]!.attributes.map((a) => a.type), ['origin', 'as-path']);
});

test('import policy: AS_PATH loop (with allowas-in), CLUSTER_LIST loop when reflecting, originated routes pass', () => {
  const route = readUpdate(
    decodeUpdate(
      message(
        [
          { type: 'origin', value: 'igp' },
          { type: 'as-path', value: [{ type: 'as-sequence', asns: [65001, 65000, 65002] }] },
          { type: 'cluster-list', value: ['10.0.0.99'] },
          mpReach([type2('02:00:00:00:00:01')]),
        ],
      ),
    ),
    peer('192.0.2.1', { ibgp: false, asn: 65001 }),
    0,
  ).announced[0]!;
  assert.equal(importRejection(route, { localAs: 65000, routerId: '10.0.0.1' }), 'as-path-loop');
  assert.equal(importRejection(route, { localAs: 65000, routerId: '10.0.0.1', allowOwnAs: 1 }), null);
  assert.equal(importRejection(route, { localAs: 65003, routerId: '10.0.0.1', clusterId: '10.0.0.99' }), 'cluster-list-loop');
  assert.equal(importRejection(route, { localAs: 65003, routerId: '10.0.0.1' }), null);
  assert.equal(importRejection({ ...route, peer: null }, { localAs: 65000, routerId: '10.0.0.1' }), null);
});

test('property: mutated captured UPDATEs either fail to decode (WireError) or are read and applied without throwing', () => {
  const policy = { localAs: 65000, routerId: '10.212.0.1' };
  const samples = updates.map((m) => m.bytes);
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: samples.length - 1 }).chain((i) => mutationArbitrary(samples[i]!)),
      (bytes) => {
        let message;
        try {
          message = bgpMessage.decode(bytes, 0, AS4_CONTEXT);
        } catch (e) {
          if (e instanceof WireError) return;
          throw e;
        }
        if (message.type !== 'update') return;
        const read = readUpdate(message.update, FRR_RR, 0);
        applyUpdate(read, new AdjRibIn(FRR_RR), new LocRib(), policy);
        if (read.action === 'treat-as-withdraw') assert.equal(read.announced.length, 0);
      },
    ),
    runs(0.05),
  );
});
