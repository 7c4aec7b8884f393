// The injector's fabric (bench/control-plane/fabric.ts), which the CI scale
// test trusts for its expected answers: the placement of MACs (each VNI
// behind distinct VTEPs, every VTEP used) and the UPDATEs, decoded with our
// own codecs, announcing exactly that placement.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFabric, fabricMac, type FabricSpec } from '../../bench/control-plane/fabric.js';
import { AS4_CONTEXT } from '../../src/wire/bgp-context.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import { formatAdministrator, type RouteTarget } from '../../src/wire/extended-community.js';
import { formatRd } from '../../src/wire/route-distinguisher.js';

const SPEC: FabricSpec = { vteps: 20, firstVtep: '10.9.0.250', vnis: 50, firstVni: 5001, macs: 3000, macPrefix: 0xc5, vtepsPerVni: 4 };

test('fabricMac: every VNI behind vtepsPerVni distinct VTEPs, every VTEP used, MACs distinct', () => {
  const vtepsOf = new Map<number, Set<string>>();
  const macs = new Set<string>();
  for (let i = 0; i < SPEC.macs; i++) {
    const m = fabricMac(SPEC, i);
    assert.equal(m.vni, SPEC.firstVni + m.vniIndex);
    macs.add(m.mac);
    vtepsOf.set(m.vni, (vtepsOf.get(m.vni) ?? new Set()).add(m.vtep));
  }
  assert.equal(macs.size, SPEC.macs);
  assert.equal(vtepsOf.size, SPEC.vnis);
  for (const [vni, vteps] of vtepsOf) assert.equal(vteps.size, SPEC.vtepsPerVni, `VNI ${vni}`);
  const all = new Set([...vtepsOf.values()].flatMap((s) => [...s]));
  assert.equal(all.size, SPEC.vteps);
  // Addresses carry across octets: 10.9.0.250 + 19 = 10.9.1.13.
  assert.ok(all.has('10.9.1.13') && all.has('10.9.0.250'));
});

test('encodeFabric: one Type 3 per (VTEP, VNI) pair, then every MAC once with its VTEP as next hop, its VNI as label and RT', () => {
  const type3 = new Set<string>();
  const type2 = new Map<string, { nextHop: string; vni: number; rt: string; rd: string }>();
  let sawType2 = false;
  for (const buf of encodeFabric(SPEC, 65000, AS4_CONTEXT)) {
    assert.ok(buf.length <= 4096);
    const m = bgpMessage.decode(buf, 0, AS4_CONTEXT);
    if (m.type !== 'update') throw new Error(`expected an UPDATE, got ${m.type}`);
    const mp = m.update.attributes.find((a) => a.type === 'mp-reach-nlri');
    const ec = m.update.attributes.find((a) => a.type === 'extended-communities');
    if (mp?.type !== 'mp-reach-nlri' || mp.value.kind !== 'evpn' || ec?.type !== 'extended-communities') throw new Error('expected EVPN reach with communities');
    const rts = ec.value.filter((c) => c.kind === 'route-target');
    assert.equal(rts.length, 1);
    const rtText = formatAdministrator(rts[0] as RouteTarget);
    for (const { route } of mp.value.nlri) {
      if (route.type === 3) {
        assert.equal(sawType2, false, 'Type 3s come first');
        assert.equal(route.originatorIp, mp.value.nextHop);
        type3.add(`${route.originatorIp}/${rtText}`);
      } else if (route.type === 2) {
        sawType2 = true;
        assert.equal(type2.has(route.mac), false, `${route.mac} announced twice`);
        type2.set(route.mac, { nextHop: mp.value.nextHop, vni: route.labels[0]!, rt: rtText, rd: formatRd(route.rd) });
      }
    }
  }
  assert.equal(type3.size, SPEC.vnis * SPEC.vtepsPerVni);
  assert.equal(type2.size, SPEC.macs);
  for (let i = 0; i < SPEC.macs; i++) {
    const m = fabricMac(SPEC, i);
    const got = type2.get(m.mac);
    assert.deepEqual(got, { nextHop: m.vtep, vni: m.vni, rt: `65000:${m.vni}`, rd: `${m.vtep}:${m.vniIndex + 1}` }, m.mac);
    assert.ok(type3.has(`${m.vtep}/65000:${m.vni}`), `Type 3 for ${m.vtep} in VNI ${m.vni}`);
  }
});
