import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { Codec } from '../../src/wire/codec.js';
import { isZeroEsi } from '../../src/wire/esi.js';
import * as evpn from '../../src/wire/evpn-nlri.js';
import * as ec from '../../src/wire/extended-community.js';
import type { ExtendedCommunity } from '../../src/wire/extended-community.js';
import { WireError } from '../../src/wire/wire-error.js';
import { extCommunityArb } from '../helpers/evpn-arbitraries.js';
import { allExtCommunities, evpnUpdates, field, fieldRaw, fixtureTextPath } from '../helpers/evpn-capture.js';
import type { CapturedItem } from '../helpers/evpn-capture.js';
import { bytesArbitrary, mutationArbitrary, onlyWireError, runs } from '../helpers/property.js';
import { reencodes, roundTrip } from '../helpers/round-trip.js';

const codec: Codec<ExtendedCommunity> = ec;

/** tshark's sub-type field is named after the type ("stype_tr_as2", "stype_tr_evpn", ...). */
function tsharkSubtype(item: CapturedItem): number {
  const name = Object.keys(item.tree).find((k) => k.startsWith('bgp.ext_com.stype_') && !k.endsWith('_raw'));
  assert.ok(name, 'tshark shows a sub-type');
  return Number(item.tree[name]);
}

function compareWithTshark(item: CapturedItem, value: ExtendedCommunity): string {
  const t = item.tree;
  const { type, subtype } = ec.typeAndSubtype(value);
  assert.equal(type, Number(field(t, 'bgp.ext_com.type')), 'type');
  assert.equal(subtype, tsharkSubtype(item), 'sub-type');
  switch (value.kind) {
    case 'route-target':
      if (value.format === 'as2') {
        assert.equal(value.asn, Number(field(t, 'bgp.ext_com.value_as2')));
        assert.equal(value.assigned, Number(field(t, 'bgp.ext_com.value_an4')));
      } else if (value.format === 'ipv4') {
        assert.equal(value.ip, field(t, 'bgp.ext_com.value_IP4'));
        assert.equal(value.assigned, Number(field(t, 'bgp.ext_com.value_an2')));
      } else {
        assert.equal(value.asn, Number(field(t, 'bgp.ext_com.value_as4')));
        assert.equal(value.assigned, Number(field(t, 'bgp.ext_com.value_an2')));
      }
      return `route-target/${value.format}`;
    case 'encapsulation':
      assert.equal(value.tunnelType, Number(field(t, 'bgp.ext_com.tunnel_type')));
      return 'encapsulation';
    case 'esi-label': {
      assert.equal(value.singleActive, field(t, 'bgp.ext_com_l2.esi_label_flag') === '1');
      // tshark shows the label as a 20-bit MPLS label; compare the 3 raw bytes as a 24-bit value.
      const raw = fieldRaw(t, 'bgp.update.path_attribute.mpls_label_value');
      assert.ok(raw && raw.length === 3);
      assert.equal(value.label, item.bytes.readUIntBE(raw.offset - item.offset, 3));
      return 'esi-label';
    }
    case 'router-mac':
      assert.equal(value.mac, field(t, 'bgp.ext_com_evpn.esi.router_mac'));
      return 'router-mac';
    case 'mac-mobility':
      assert.equal(value.sequence, Number(field(t, 'bgp.ext_com_evpn.mmac.seq')));
      assert.equal(value.sticky, field(t, 'bgp.ext_com_evpn.mmac.flags.sticky') === '1');
      return 'mac-mobility';
    default:
      return value.kind;
  }
}

test('extended community: every captured one decodes as tshark decodes it and re-encodes exactly', () => {
  const seen = new Set<string>();
  let n = 0;
  for (const item of allExtCommunities()) {
    assert.equal(item.bytes.length, 8);
    const value = reencodes(codec, item.bytes);
    seen.add(compareWithTshark(item, value));
    n++;
  }
  assert.ok(n >= 40, `expected the captures' communities, got ${n}`);
  for (const kind of ['route-target/as2', 'route-target/ipv4', 'route-target/as4', 'encapsulation', 'esi-label', 'router-mac', 'mac-mobility', 'default-gateway']) {
    assert.ok(seen.has(kind), `captures hold ${kind}`);
  }
  // FRR and GoBGP both tag EVPN routes with RT 65000:100 and VXLAN encapsulation.
  const frr = evpnUpdates('frr-frr-evpn-session').flatMap((u) => u.extCommunities.map((e) => ec.decode(e.bytes)));
  assert.ok(frr.some((x) => x.kind === 'route-target' && x.format === 'as2' && x.asn === 65000 && x.assigned === 100));
  assert.ok(frr.some((x) => x.kind === 'encapsulation' && x.tunnelType === ec.TunnelType.Vxlan));
});

test('extended community: RFC layouts of the kinds the captures lack, and transitivity', () => {
  const cases: Array<[ExtendedCommunity, string]> = [
    [{ kind: 'route-origin', format: 'as2', asn: 65000, assigned: 100 }, '0003fde800000064'],
    [{ kind: 'route-origin', format: 'ipv4', ip: '10.0.0.1', assigned: 5 }, '01030a0000010005'],
    [{ kind: 'route-target', format: 'as4', asn: 4200000000, assigned: 5 }, '0202fa56ea000005'],
    // RFC 7432 §7.7: flags (sticky = low bit), reserved, 4-byte sequence.
    [{ kind: 'mac-mobility', sticky: true, sequence: 5 }, '0600010000000005'],
    [{ kind: 'mac-mobility', sticky: false, sequence: 0xffffffff, otherFlags: 0x80, reserved: 1 }, '06008001ffffffff'],
    // RFC 7432 §7.5: flags (single-active = low bit), 2 reserved, 3-byte label.
    [{ kind: 'esi-label', singleActive: true, label: 300 }, '060101000000012c'],
    // RFC 7432 §7.6: ES-Import Route Target, a MAC.
    [{ kind: 'es-import', mac: 'aa:bb:cc:dd:ee:ff' }, '0602aabbccddeeff'],
    [{ kind: 'router-mac', mac: '02:00:00:00:01:01' }, '0603020000000101'],
    [{ kind: 'encapsulation', tunnelType: 8 }, '030c000000000008'],
    [{ kind: 'default-gateway' }, '030d000000000000'],
    // A non-transitive "route target" (0x40) is not one: it stays unknown, byte for byte.
    [{ kind: 'unknown', type: 0x40, subtype: 0x02, value: Buffer.from('fde800000064', 'hex') }, '4002fde800000064'],
    [{ kind: 'unknown', type: 0x06, subtype: 0x08, value: Buffer.from('010000000000', 'hex') }, '0608010000000000'],
  ];
  for (const [value, hex] of cases) assert.equal(roundTrip(codec, value).toString('hex'), hex, hex);
  assert.ok(ec.isTransitive({ kind: 'route-target', format: 'as2', asn: 1, assigned: 1 }));
  assert.ok(!ec.isTransitive(ec.decode(Buffer.from('4002fde800000064', 'hex'))));
  assert.throws(() => ec.decode(Buffer.alloc(7)), (e: unknown) => e instanceof WireError && e.action === 'treat-as-withdraw');
  assert.throws(() => ec.encode({ kind: 'unknown', type: 0, subtype: 2, value: Buffer.alloc(6) }), RangeError);
  assert.throws(() => ec.encode({ kind: 'mac-mobility', sticky: false, sequence: 1, otherFlags: 1 }), RangeError);
  assert.throws(() => ec.encode({ kind: 'route-target', format: 'as2', asn: 65536, assigned: 1 }), RangeError);
});

test('extended community: parseRouteTarget', () => {
  assert.deepEqual(ec.parseRouteTarget('65000:100'), { kind: 'route-target', format: 'as2', asn: 65000, assigned: 100 });
  assert.deepEqual(ec.parseRouteTarget('10.0.0.1:5'), { kind: 'route-target', format: 'ipv4', ip: '10.0.0.1', assigned: 5 });
  assert.deepEqual(ec.parseRouteTarget('4200000000:5'), { kind: 'route-target', format: 'as4', asn: 4200000000, assigned: 5 });
  assert.deepEqual(ec.parseRouteTarget('64086.59904:5'), { kind: 'route-target', format: 'as4', asn: 4200000000, assigned: 5 });
  assert.equal(ec.encode(ec.parseRouteTarget('65000:100')).toString('hex'), '0002fde800000064');
  for (const bad of ['*:100', '65000:*', '65000', '70000:65536', 'rt 65000:100']) {
    assert.throws(
      () => ec.parseRouteTarget(bad),
      (e: unknown) => e instanceof TypeError && e.message.includes(`"${bad}"`) && e.message.includes('route target'),
      bad,
    );
  }
});

test('extended community: GoBGP text, as gobgp 3.10 printed the captured ones', () => {
  const rib = readFileSync(fixtureTextPath('gobgp-evpn-route-types.rib.txt'), 'utf8');
  let n = 0;
  for (const u of evpnUpdates('gobgp-evpn-route-types')) {
    for (const item of u.extCommunities) {
      const text = ec.formatExtCommunityGobgp(ec.decode(item.bytes));
      assert.ok(rib.includes(`[${text}]`), `"[${text}]" in gobgp's listing`);
      n++;
    }
  }
  assert.ok(n > 20);
  const cases: Array<[ExtendedCommunity, string]> = [
    [{ kind: 'route-target', format: 'as2', asn: 65000, assigned: 100 }, '65000:100'],
    [{ kind: 'route-target', format: 'ipv4', ip: '10.0.0.1', assigned: 5 }, '10.0.0.1:5'],
    [{ kind: 'route-target', format: 'as4', asn: 4200000000, assigned: 5 }, '64086.59904:5'],
    [{ kind: 'encapsulation', tunnelType: 8 }, 'VXLAN'],
    [{ kind: 'encapsulation', tunnelType: 99 }, 'tunnel: 99'],
    [{ kind: 'mac-mobility', sticky: true, sequence: 5 }, 'mac-mobility: 5, sticky'],
    [{ kind: 'esi-label', singleActive: true, label: 300 }, 'esi-label: 300, single-active'],
    [{ kind: 'es-import', mac: 'aa:bb:cc:dd:ee:ff' }, 'es-import rt: aa:bb:cc:dd:ee:ff'],
    [{ kind: 'router-mac', mac: 'aa:bb:cc:00:00:01' }, "router's mac: aa:bb:cc:00:00:01"],
    [{ kind: 'default-gateway' }, 'default-gateway'],
    [{ kind: 'unknown', type: 0x40, subtype: 0x02, value: Buffer.from('fde800000064', 'hex') }, '65000:100'],
    [{ kind: 'unknown', type: 0x80, subtype: 0x01, value: Buffer.from('000000000001', 'hex') }, String(0x01000000000001)],
  ];
  for (const [value, text] of cases) assert.equal(ec.formatExtCommunityGobgp(value), text);
  assert.equal(
    ec.formatExtCommunitiesGobgp([cases[0]![0], cases[3]![0]]),
    '{Extcomms: [65000:100], [VXLAN]}',
  );
});

test('extended community: FRR text, as FRR 8.4 printed the captured ones', () => {
  const frr = readFileSync(fixtureTextPath('gobgp-evpn-route-types.frr.txt'), 'utf8');
  const words = new Set(frr.split(/\s+/));
  for (const u of evpnUpdates('gobgp-evpn-route-types')) {
    // FRR treats a Type 5 with both ESI and gateway set as withdrawn, so never lists it.
    const routes = u.reach.map((r) => evpn.decode(r.bytes).route);
    if (routes.some((r) => r.type === 5 && !isZeroEsi(r.esi) && r.gateway !== '0.0.0.0')) continue;
    for (const item of u.extCommunities) {
      const value = ec.decode(item.bytes);
      if (value.kind === 'mac-mobility') continue; // only sent to the GoBGP peer
      const text = ec.formatExtCommunityFrr(value);
      assert.ok(frr.includes(text) && text.split(' ').every((w) => words.has(w)), `"${text}" in FRR's listing`);
    }
  }
  const cases: Array<[ExtendedCommunity, string]> = [
    [{ kind: 'route-target', format: 'as2', asn: 65000, assigned: 100 }, 'RT:65000:100'],
    [{ kind: 'route-target', format: 'as4', asn: 4200000000, assigned: 5 }, 'RT:4200000000:5'],
    [{ kind: 'route-origin', format: 'ipv4', ip: '10.0.0.1', assigned: 5 }, 'SoO:10.0.0.1:5'],
    [{ kind: 'encapsulation', tunnelType: 8 }, 'ET:8'],
    [{ kind: 'mac-mobility', sticky: false, sequence: 5 }, 'MM:5'],
    [{ kind: 'mac-mobility', sticky: true, sequence: 5 }, 'MM:5, sticky MAC'],
    [{ kind: 'esi-label', singleActive: true, label: 1 }, 'ESI-label-Rt:SA'],
    [{ kind: 'esi-label', singleActive: false, label: 1 }, 'ESI-label-Rt:AA'],
    [{ kind: 'es-import', mac: 'aa:bb:cc:dd:ee:ff' }, 'ES-Import-Rt:aa:bb:cc:dd:ee:ff'],
    [{ kind: 'router-mac', mac: 'aa:bb:cc:00:00:01' }, 'Rmac:aa:bb:cc:00:00:01'],
    [{ kind: 'default-gateway' }, 'Default Gateway'],
    [{ kind: 'unknown', type: 0x06, subtype: 0x08, value: Buffer.from('010000000000', 'hex') }, 'ND:Router Flag'],
    [{ kind: 'unknown', type: 0x06, subtype: 0x08, value: Buffer.from('030000000000', 'hex') }, 'ND:Proxy'],
    [{ kind: 'unknown', type: 0x40, subtype: 0x02, value: Buffer.from('fde800000064', 'hex') }, 'UNK:64, 2'],
    // Link bandwidth: AS 65000, 1 Gbps = 125,000,000 bytes/s as an IEEE float.
    [{ kind: 'unknown', type: 0x40, subtype: 0x04, value: Buffer.from('fde84cee6b28', 'hex') }, 'LB:65000:125000000 (1.000 Gbps)'],
  ];
  for (const [value, text] of cases) assert.equal(ec.formatExtCommunityFrr(value), text);
  // Interop README: FRR shows a reflected route's communities as "RT:65000:100 ET:8", its own as "ET:8 RT:65000:100".
  const own: ExtendedCommunity[] = [{ kind: 'encapsulation', tunnelType: 8 }, { kind: 'route-target', format: 'as2', asn: 65000, assigned: 100 }];
  assert.equal(ec.formatExtCommunitiesFrr(own), 'RT:65000:100 ET:8');
  assert.equal(ec.formatExtCommunitiesFrr(own, { asReceived: false }), 'ET:8 RT:65000:100');
  assert.equal(ec.formatExtCommunitiesFrr([{ kind: 'default-gateway' }, { kind: 'default-gateway' }]), 'Default Gateway');
});

test('extended community: property: round trip; random and mutated bytes', () => {
  fc.assert(fc.property(extCommunityArb, (value) => void roundTrip(codec, value)), runs(0.4));
  const exact = (bytes: Buffer): void =>
    onlyWireError(() => {
      const v = ec.decode(bytes);
      assert.deepEqual(ec.encode(v), bytes.subarray(0, 8));
      ec.formatExtCommunityFrr(v);
      ec.formatExtCommunityGobgp(v);
    });
  fc.assert(fc.property(bytesArbitrary(10), exact), runs(0.3));
  const samples = allExtCommunities().map((e) => e.bytes);
  fc.assert(fc.property(fc.constantFrom(...samples).chain((b) => mutationArbitrary(b)), exact), runs(0.3));
});
