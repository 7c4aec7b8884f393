// UPDATE bodies: every UPDATE of the captured sessions (FRR, GoBGP, a
// third-party speaker) decoded, compared with tshark's decode, re-encoded
// byte for byte; RFC 7606 at message level; End-of-RIB; properties.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { AsPathSegment } from '../../src/wire/attr-as-path.js';
import { AS4_CONTEXT, DEFAULT_CONTEXT } from '../../src/wire/bgp-context.js';
import type { BgpContext } from '../../src/wire/bgp-context.js';
import * as bgpUpdate from '../../src/wire/bgp-update.js';
import type { BgpUpdate } from '../../src/wire/bgp-update.js';
import { action, isEndOfRib, worstProblem } from '../../src/wire/bgp-update.js';
import type { EvpnNlri } from '../../src/wire/evpn-nlri.js';
import type { ExtendedCommunity } from '../../src/wire/extended-community.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { attributeFlags, attributeTypeCode } from '../../src/wire/path-attribute.js';
import * as rd from '../../src/wire/route-distinguisher.js';
import { ErrorCode } from '../../src/wire/bgp-error-codes.js';
import { isSessionReset } from '../helpers/bgp-errors.js';
import { reencodes, roundTrip, TO_END } from '../helpers/round-trip.js';
import { bgpMessages, field, type CapturedBgpMessage } from '../helpers/bgp-captures.js';
import { CAPTURES } from '../helpers/fixtures.js';
import { bytesArbitrary, mutationArbitrary, onlyWireError, runs } from '../helpers/property.js';
import { asList, fieldOffset, findAll, type TsharkTree, type TsharkValue } from '../helpers/tshark.js';
import { CONTEXTS, updateArbitrary } from '../helpers/update-arbitraries.js';

const BGP_HEADER_LENGTH = 19;

const updates: CapturedBgpMessage[] = bgpMessages(CAPTURES.filter((c) => c.includes('evpn'))).filter((m) => m.type === 2);

function body(m: CapturedBgpMessage): Buffer {
  return m.bytes.subarray(BGP_HEADER_LENGTH);
}

function tree(v: TsharkValue | undefined, what: string): TsharkTree {
  if (v === undefined || typeof v !== 'object' || Array.isArray(v)) throw new Error(`tshark: ${what} is not a tree`);
  return v;
}

function strings(t: TsharkValue, name: string): string[] {
  return findAll(t, name).map((v) => {
    if (typeof v !== 'string') throw new Error(`tshark field ${name} is not a string`);
    return v;
  });
}

const ORIGINS = ['igp', 'egp', 'incomplete'];

test('captures: there are UPDATEs to check, several of them in one segment', () => {
  assert.ok(updates.length >= 20, `found ${updates.length} UPDATEs`);
  assert.ok(updates.some((m) => m.index > 0), 'a frame with several BGP messages');
  for (const c of CAPTURES.filter((x) => x.includes('evpn'))) assert.ok(updates.some((m) => m.capture === c), c);
});

// Each check below compares a decoded value with tshark's decode of the same bytes.
let seen = { rt: 0, encapsulation: 0, pmsi: 0, type2: 0, type3: 0, originator: 0, clusters: 0, unreachNlri: 0 };

function checkAttribute(attr: PathAttribute, t: TsharkTree, msg: CapturedBgpMessage, where: string): void {
  assert.equal(attributeTypeCode(attr), Number(field(t, 'bgp.update.path_attribute.type_code')), `${where}: type code`);
  assert.equal(attributeFlags(attr), Number(field(t, 'bgp.update.path_attribute.flags')), `${where}: flags as received`);
  const v = attr.value;
  switch (attr.type) {
    case 'origin':
      assert.equal(attr.value, ORIGINS[Number(field(t, 'bgp.update.path_attribute.origin'))], `${where}: ORIGIN`);
      break;
    case 'as-path': {
      const asns = [...strings(t, 'bgp.update.path_attribute.as_path_segment.as4'), ...strings(t, 'bgp.update.path_attribute.as_path_segment.as2')];
      assert.deepEqual(attr.value.flatMap((s: AsPathSegment) => s.asns), asns.map(Number), `${where}: AS_PATH`);
      assert.equal(attr.value.length === 0, Number(field(t, 'bgp.update.path_attribute.length')) === 0);
      break;
    }
    case 'local-pref':
      assert.equal(attr.value, Number(field(t, 'bgp.update.path_attribute.local_pref')), `${where}: LOCAL_PREF`);
      break;
    case 'multi-exit-disc':
      assert.equal(attr.value, Number(field(t, 'bgp.update.path_attribute.multi_exit_disc')), `${where}: MED`);
      break;
    case 'originator-id':
      assert.equal(attr.value, field(t, 'bgp.update.path_attribute.originator_id'), `${where}: ORIGINATOR_ID`);
      seen.originator++;
      break;
    case 'cluster-list':
      assert.deepEqual(attr.value, strings(t, 'bgp.path_attribute.cluster_id'), `${where}: CLUSTER_LIST`);
      seen.clusters++;
      break;
    case 'mp-reach-nlri': {
      const r = attr.value;
      assert.equal(r.afi, Number(field(t, 'bgp.update.path_attribute.mp_reach_nlri.afi')), `${where}: AFI`);
      assert.equal(r.safi, Number(field(t, 'bgp.update.path_attribute.mp_reach_nlri.safi')), `${where}: SAFI`);
      assert.equal(r.reserved ?? 0, Number(field(t, 'bgp.update.path_attribute.mp_reach_nlri.nbr_snpa')), `${where}: reserved/SNPA`);
      const nh = [...strings(t, 'bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv4'), ...strings(t, 'bgp.update.path_attribute.mp_reach_nlri.next_hop.ipv6')];
      assert.equal(r.kind, 'evpn', `${where}: decoded as EVPN`);
      if (r.kind !== 'evpn') break;
      assert.deepEqual([r.nextHop], nh, `${where}: next hop`);
      checkEvpnNlri(r.nlri, tree(t['bgp.update.path_attribute.mp_reach_nlri'], 'MP_REACH NLRI'), msg, where);
      break;
    }
    case 'mp-unreach-nlri': {
      const u = attr.value;
      assert.equal(u.afi, Number(field(t, 'bgp.update.path_attribute.mp_unreach_nlri.afi')), `${where}: AFI`);
      assert.equal(u.safi, Number(field(t, 'bgp.update.path_attribute.mp_unreach_nlri.safi')), `${where}: SAFI`);
      if (u.kind !== 'evpn') assert.fail(`${where}: decoded as EVPN`);
      const nlriTree = t['bgp.update.path_attribute.mp_unreach_nlri'];
      if (u.withdrawn.length > 0) seen.unreachNlri++;
      // An empty MP_UNREACH (End-of-RIB) has no NLRI subtree in tshark's output.
      const hasTree = typeof nlriTree === 'object' && !Array.isArray(nlriTree);
      checkEvpnNlri(u.withdrawn, hasTree ? nlriTree : {}, msg, where);
      break;
    }
    case 'extended-communities':
      checkExtendedCommunities(attr.value, t, where);
      break;
    case 'pmsi-tunnel': {
      const p = attr.value;
      assert.equal(p.flags, Number(field(t, 'bgp.update.path_attribute.pmsi.tunnel.flags')), `${where}: PMSI flags`);
      assert.equal(p.tunnelType, Number(field(t, 'bgp.update.path_attribute.pmsi.tunnel.type')), `${where}: PMSI tunnel type`);
      // tshark shows the 3 PMSI label octets of an EVPN route as "VNI" (RFC 8365).
      assert.equal(p.label, Number(field(t, 'bgp.evpn.nlri.vni')), `${where}: PMSI label = VNI`);
      assert.deepEqual([p.tunnelId], strings(t, 'bgp.update.path_attribute.pmsi.ingress_rep_ip'), `${where}: PMSI tunnel id`);
      seen.pmsi++;
      break;
    }
    default:
      assert.fail(`${where}: unexpected attribute ${attr.type} ${JSON.stringify(v)}`);
  }
}

function checkExtendedCommunities(list: readonly ExtendedCommunity[], t: TsharkTree, where: string): void {
  const trees = findAll(t, 'bgp.ext_community').map((x) => tree(x, 'ext community'));
  assert.equal(list.length, trees.length, `${where}: number of extended communities`);
  list.forEach((ec, i) => {
    const et = trees[i]!;
    const type = Number(field(et, 'bgp.ext_com.type'));
    if (ec.kind === 'route-target') {
      assert.equal(type, 0x00, `${where}: RT type`);
      assert.equal(Number(field(et, 'bgp.ext_com.stype_tr_as2')), 0x02, `${where}: RT sub-type`);
      assert.equal(ec.format === 'as2' && ec.asn, Number(field(et, 'bgp.ext_com.value_as2')), `${where}: RT AS`);
      assert.equal(ec.assigned, Number(field(et, 'bgp.ext_com.value_an4')), `${where}: RT number`);
      seen.rt++;
    } else if (ec.kind === 'encapsulation') {
      assert.equal(type, 0x03, `${where}: encapsulation type`);
      assert.equal(Number(field(et, 'bgp.ext_com.stype_tr_opaque')), 0x0c, `${where}: encapsulation sub-type`);
      assert.equal(ec.tunnelType, Number(field(et, 'bgp.ext_com.tunnel_type')), `${where}: tunnel type`);
      seen.encapsulation++;
    } else {
      assert.fail(`${where}: unexpected extended community ${ec.kind}`);
    }
  });
}

function checkEvpnNlri(list: readonly EvpnNlri[], t: TsharkTree, msg: CapturedBgpMessage, where: string): void {
  const trees = findAll(t, 'bgp.evpn.nlri').map((x) => tree(x, 'EVPN NLRI'));
  assert.equal(list.length, trees.length, `${where}: number of EVPN NLRI`);
  const messageOffset = fieldOffset(msg.tree, 'bgp.marker');
  list.forEach((n, i) => {
    const nt = trees[i]!;
    const r = n.route;
    const w = `${where} NLRI ${i}`;
    assert.equal(r.type, Number(field(nt, 'bgp.evpn.nlri.rt')), `${w}: route type`);
    if (r.type !== 2 && r.type !== 3) assert.fail(`${w}: unexpected route type ${String(r.type)}`);
    assert.equal(rd.encode(r.rd).toString('hex'), field(nt, 'bgp.evpn.nlri.rd').replace(/:/g, ''), `${w}: RD`);
    assert.equal(r.etag, Number(field(nt, 'bgp.evpn.nlri.etag')), `${w}: Ethernet Tag`);
    if (r.type === 3) {
      assert.equal(r.originatorIp, field(nt, 'bgp.evpn.nlri.ip.addr'), `${w}: originating router IP`);
      seen.type3++;
    } else {
      assert.equal(r.mac, field(nt, 'bgp.evpn.nlri.mac_addr'), `${w}: MAC`);
      assert.deepEqual(r.ip === undefined ? [] : [r.ip], strings(nt, 'bgp.evpn.nlri.ip.addr'), `${w}: IP`);
      // tshark shows Label1 as a 20-bit MPLS label (mpls_ls1), or as "VNI" when
      // it saw the VXLAN encapsulation community first; the 3 octets are the
      // VNI as a plain 24-bit number (RFC 8365 §5.1.3): read them where tshark says they are.
      const labelField = nt['bgp.evpn.nlri.vni_raw'] !== undefined ? 'bgp.evpn.nlri.vni' : 'bgp.evpn.nlri.mpls_ls1';
      const at = fieldOffset(nt, labelField) - messageOffset;
      assert.equal(r.labels[0], msg.bytes.readUIntBE(at, 3), `${w}: Label1 = the 3 label octets`);
      if (labelField === 'bgp.evpn.nlri.vni') assert.equal(r.labels[0], Number(field(nt, labelField)), `${w}: Label1 = tshark's VNI`);
      seen.type2++;
    }
  });
}

test('captures: every UPDATE decodes without problems, re-encodes byte for byte, and matches tshark field by field', () => {
  seen = { rt: 0, encapsulation: 0, pmsi: 0, type2: 0, type3: 0, originator: 0, clusters: 0, unreachNlri: 0 };
  for (const m of updates) {
    const where = `${m.capture} frame ${m.frame} message ${m.index}`;
    const u = reencodes(bgpUpdate, body(m), AS4_CONTEXT, TO_END);
    assert.deepEqual(u.problems, [], `${where}: no RFC 7606 problems`);
    assert.equal(action(u), null);
    assert.deepEqual(u.withdrawn, [], `${where}: no IPv4 withdrawn routes (tshark length ${field(m.tree, 'bgp.update.withdrawn_routes.length')})`);
    assert.equal(Number(field(m.tree, 'bgp.update.withdrawn_routes.length')), 0);
    assert.deepEqual(u.nlri, [], `${where}: no IPv4 NLRI`);
    const attrTrees = asList(tree(m.tree['bgp.update.path_attributes'], 'path attributes')['bgp.update.path_attribute']);
    assert.equal(u.attributes.length, attrTrees.length, `${where}: number of attributes`);
    u.attributes.forEach((a, i) => checkAttribute(a, tree(attrTrees[i], 'attribute'), m, `${where} ${a.type}`));
  }
  // The captures hold all of these; a decoder that lost one would make its checks vacuous.
  for (const [what, n] of Object.entries(seen)) assert.ok(n > 0, `checked at least one ${what}`);
});

test('captures: End-of-RIB (RFC 4724 §2) is found exactly where tshark shows an empty MP_UNREACH_NLRI', () => {
  let found = 0;
  for (const m of updates) {
    const u = bgpUpdate.decode(body(m), 0, AS4_CONTEXT);
    const attrTrees = asList(tree(m.tree['bgp.update.path_attributes'], 'path attributes')['bgp.update.path_attribute']);
    const only = attrTrees.length === 1 ? tree(attrTrees[0], 'attribute') : undefined;
    const tsharkEor =
      only !== undefined && field(only, 'bgp.update.path_attribute.type_code') === '15' && field(only, 'bgp.update.path_attribute.length') === '3';
    assert.deepEqual(isEndOfRib(u), tsharkEor ? { afi: 25, safi: 70 } : null, `${m.capture} frame ${m.frame}`);
    if (tsharkEor) found++;
  }
  assert.ok(found >= 2, 'FRR and the reference speaker both send an EVPN End-of-RIB');
});

// ------------------------------------------------------------------ message level, RFC 7606

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function updateBody(attrs: readonly number[], nlri: readonly number[] = [], withdrawn: readonly number[] = []): Buffer {
  return Buffer.concat([u16(withdrawn.length), Buffer.from(withdrawn), u16(attrs.length), Buffer.from(attrs), Buffer.from(nlri)]);
}

const ORIGIN = [0x40, 1, 1, 0];
const AS_PATH = [0x40, 2, 0];
const NEXT_HOP = [0x40, 3, 4, 10, 0, 0, 1];
const EVPN_T3 = [3, 17, 0, 1, 10, 212, 0, 1, 0, 2, 0, 0, 0, 0, 32, 10, 212, 0, 1];
const MP_REACH = [0x80, 14, 9 + EVPN_T3.length, 0, 25, 70, 4, 10, 212, 0, 1, 0, ...EVPN_T3];

function throwsReset(fn: () => unknown, subcode: number): void {
  assert.throws(fn, isSessionReset(ErrorCode.Update, subcode));
}

test('IPv4 unicast: withdrawn routes, attributes and NLRI; ADD-PATH per the 1/1 key', () => {
  const bytes = updateBody([...ORIGIN, ...AS_PATH, ...NEXT_HOP], [24, 10, 1, 2, 0], [16, 172, 16]);
  const u = reencodes(bgpUpdate, bytes, DEFAULT_CONTEXT, TO_END);
  assert.deepEqual(u.withdrawn, [{ prefix: '172.16.0.0', length: 16 }]);
  assert.deepEqual(u.nlri, [{ prefix: '10.1.2.0', length: 24 }, { prefix: '0.0.0.0', length: 0 }]);
  const addPath: BgpContext = { ...DEFAULT_CONTEXT, addPath: new Set(['1/1']) };
  const ap = reencodes(bgpUpdate, updateBody([...ORIGIN, ...AS_PATH, ...NEXT_HOP], [0, 0, 0, 7, 24, 10, 1, 2]), addPath, TO_END);
  assert.deepEqual(ap.nlri, [{ pathId: 7, prefix: '10.1.2.0', length: 24 }]);
});

test('RFC 7606 §3 d: missing NEXT_HOP with IPv4 NLRI is treat-as-withdraw (the routes are kept to be withdrawn)', () => {
  const u = bgpUpdate.decode(updateBody([...ORIGIN, ...AS_PATH], [24, 10, 1, 2]));
  assert.equal(action(u), 'treat-as-withdraw');
  assert.equal(u.problems.length, 1);
  assert.equal(u.problems[0]!.subcode, 3);
  assert.deepEqual(u.problems[0]!.data, Buffer.from([3]));
  assert.deepEqual(u.nlri, [{ prefix: '10.1.2.0', length: 24 }]);
});

test('RFC 7606 §3 b: lengths that do not add up are a session reset, Malformed Attribute List', () => {
  throwsReset(() => bgpUpdate.decode(Buffer.from([0, 5, 24, 10, 1])), 1);
  throwsReset(() => bgpUpdate.decode(Buffer.from([0, 0, 0, 9, ...ORIGIN])), 1);
  throwsReset(() => bgpUpdate.decode(Buffer.from([0, 0, 0])), 1);
  throwsReset(() => bgpUpdate.decode(Buffer.alloc(0)), 1);
});

test('RFC 7606 §3 i, §5.3: a Withdrawn Routes or NLRI field that cannot be parsed is a session reset, Invalid Network Field', () => {
  throwsReset(() => bgpUpdate.decode(updateBody([], [], [33, 1, 2, 3, 4, 5])), 10);
  throwsReset(() => bgpUpdate.decode(updateBody([...ORIGIN, ...AS_PATH, ...NEXT_HOP], [24, 10, 1])), 10);
});

test('RFC 7606 §4: the Total Path Attribute Length locates the NLRI even when the last attribute overruns it', () => {
  // LOCAL_PREF claims 4 octets but the attribute block ends after 2; the two
  // octets that follow are NLRI, not attribute.
  const attrs = [...ORIGIN, ...AS_PATH, ...NEXT_HOP, 0x40, 5, 4, 0, 0];
  const u = bgpUpdate.decode(updateBody(attrs, [8, 10]));
  assert.equal(action(u), 'treat-as-withdraw');
  assert.deepEqual(u.nlri, [{ prefix: '10.0.0.0', length: 8 }]);
});

test('RFC 7606 §5.2: no reachable NLRI and a treat-as-withdraw error: session reset', () => {
  // A withdrawal carrying a malformed ORIGIN.
  throwsReset(() => bgpUpdate.decode(updateBody([0x40, 1, 1, 5], [], [8, 10])), 6);
  // Attribute discard alone does not escalate.
  const u = bgpUpdate.decode(updateBody([0x40, 6, 1, 0], [], [8, 10]));
  assert.equal(action(u), 'attribute-discard');
  // With reachable NLRI (in MP_REACH) it stays treat-as-withdraw.
  assert.equal(action(bgpUpdate.decode(updateBody([...MP_REACH, 0x40, 1, 1, 5, ...AS_PATH]))), 'treat-as-withdraw');
});

test('RFC 7606 §3 h: the strongest approach of several problems wins', () => {
  const u = bgpUpdate.decode(updateBody([...MP_REACH, 0x40, 6, 1, 0, 0x40, 1, 1, 7, ...AS_PATH]));
  assert.deepEqual(u.problems.map((p) => p.action), ['attribute-discard', 'treat-as-withdraw']);
  assert.equal(action(u), 'treat-as-withdraw');
  assert.equal(worstProblem(u)?.subcode, 6);
  assert.equal(action({ problems: [] }), null);
});

test('RFC 4724 §2: End-of-RIB markers', () => {
  const empty = bgpUpdate.decode(updateBody([]));
  assert.deepEqual(isEndOfRib(empty), { afi: 1, safi: 1 });
  assert.deepEqual(isEndOfRib(bgpUpdate.decode(updateBody([0x80, 15, 3, 0, 25, 70]))), { afi: 25, safi: 70 });
  assert.deepEqual(isEndOfRib(bgpUpdate.decode(updateBody([0x80, 15, 3, 0, 2, 1]))), { afi: 2, safi: 1 });
  assert.equal(isEndOfRib(bgpUpdate.decode(updateBody([0x80, 15, 3 + EVPN_T3.length, 0, 25, 70, ...EVPN_T3]))), null, 'a withdrawal');
  assert.equal(isEndOfRib(bgpUpdate.decode(updateBody([0x80, 15, 3, 0, 25, 70, ...ORIGIN]))), null, 'another attribute too');
  assert.equal(isEndOfRib(bgpUpdate.decode(updateBody([], [], [8, 10]))), null, 'an IPv4 withdrawal');
});

test('encode: an UPDATE built without flags uses the RFC flags', () => {
  const u: BgpUpdate = {
    withdrawn: [],
    attributes: [
      { type: 'origin', value: 'igp' },
      { type: 'as-path', value: [] },
      { type: 'next-hop', value: '10.0.0.1' },
    ],
    nlri: [{ prefix: '10.1.2.0', length: 24 }],
    problems: [],
  };
  assert.deepEqual(bgpUpdate.encode(u), updateBody([...ORIGIN, ...AS_PATH, ...NEXT_HOP], [24, 10, 1, 2]));
});

// ------------------------------------------------------------------ properties

const contextArbitrary = fc.constantFrom(...CONTEXTS);
const bodies = updates.map(body);

test('property: generated UPDATEs round-trip (2/4-octet ASNs, ADD-PATH on and off)', () => {
  fc.assert(
    fc.property(contextArbitrary.chain((ctx) => updateArbitrary(ctx).map((u) => [ctx, u] as [BgpContext, BgpUpdate])), ([ctx, u]) => {
      roundTrip(bgpUpdate, u, ctx, TO_END);
    }),
    runs(0.2),
  );
});

/** Random bytes, or random fields framed by correct length fields (so decoding gets past the lengths). */
const randomBody = fc.oneof(
  bytesArbitrary(128),
  fc.tuple(bytesArbitrary(12), bytesArbitrary(96), bytesArbitrary(12)).map(([w, a, n]) => updateBody([...w], [...n], [...a])),
  fc.tuple(bytesArbitrary(12), bytesArbitrary(96), bytesArbitrary(12)).map(([w, a, n]) => updateBody([...a], [...n], [...w])),
);

test('property: random bytes as an UPDATE body throw only WireError; session resets are thrown, never recorded', () => {
  fc.assert(
    fc.property(randomBody, contextArbitrary, (bytes, ctx) => {
      onlyWireError(() => {
        const u = bgpUpdate.decode(bytes, 0, ctx);
        for (const p of u.problems) assert.ok(p.action === 'treat-as-withdraw' || p.action === 'attribute-discard');
      });
    }),
    runs(0.2),
  );
});

test('property: mutated captured UPDATE bodies throw only WireError', () => {
  fc.assert(
    fc.property(fc.constantFrom(...bodies).chain(mutationArbitrary), contextArbitrary, (bytes, ctx) => {
      onlyWireError(() => bgpUpdate.decode(bytes, 0, ctx));
    }),
    runs(0.3),
  );
});
