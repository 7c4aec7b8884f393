// A data-centre fabric as seen from one VTEP, for the injector to announce
// (injector-main.ts, `fabric` in its config): V remote VTEPs, N VNIs and M
// MACs spread over them, each VNI behind a few of the VTEPs. The injector
// sends, for every (VTEP, VNI) pair that has MACs, one Type 3 (so the VTEP
// is in the VNI's flood list) and that pair's Type 2 routes packed into as
// few UPDATEs as fit, each with the VTEP as next hop (RFC 8365 §5.1.3: RT
// per VNI, VXLAN encapsulation community, label = VNI). The route reflector
// case: one BGP session carries every VTEP's routes, third-party next hops.
//
// Where each MAC lives is a pure function of its index (fabricMac), so the
// test that checks forwarding knows the answer without asking the injector.

import type { RouteNlri } from '../../src/control/route.js';
import { packAnnouncements } from '../../src/control/update-builder.js';
import type { BgpContext } from '../../src/wire/bgp-context.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import { zeroEsi } from '../../src/wire/esi.js';
import { parseRouteTarget, TunnelType } from '../../src/wire/extended-community.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { parseRd } from '../../src/wire/route-distinguisher.js';
import { imetUpdate } from '../../test/helpers/test-speaker.js';

export interface FabricSpec {
  /** Remote VTEPs; VTEP t has address firstVtep + t. */
  vteps: number;
  firstVtep: string;
  /** VNIs; VNI k is firstVni + k. */
  vnis: number;
  firstVni: number;
  /** MACs; MAC i is 02:macPrefix:00 + i in the last three octets. */
  macs: number;
  macPrefix: number;
  /** VTEPs behind each VNI (at most vteps). */
  vtepsPerVni: number;
}

/** Where MAC i lives. */
export interface FabricMac {
  mac: string;
  /** Index of its VNI (0..vnis-1) and the VNI itself. */
  vniIndex: number;
  vni: number;
  /** Index of its VTEP (0..vteps-1) and the VTEP's address. */
  vtepIndex: number;
  vtep: string;
}

const hex = (b: number): string => b.toString(16).padStart(2, '0');

function ipv4Plus(base: string, n: number): string {
  const v = (base.split('.').reduce((a, o) => a * 256 + Number(o), 0) + n) >>> 0;
  return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff].join('.');
}

export function fabricVtep(spec: FabricSpec, t: number): string {
  return ipv4Plus(spec.firstVtep, t);
}

/**
 * MAC i is in VNI i mod vnis, behind the j-th of that VNI's VTEPs
 * (j = (i div vnis) mod vtepsPerVni); the VNI's VTEPs are k, k + s, k + 2s ...
 * (mod vteps) with s = vteps div vtepsPerVni, so they are distinct and every
 * VTEP serves some VNIs.
 */
export function fabricMac(spec: FabricSpec, i: number): FabricMac {
  const k = i % spec.vnis;
  const j = Math.floor(i / spec.vnis) % spec.vtepsPerVni;
  const t = (k + j * Math.floor(spec.vteps / spec.vtepsPerVni)) % spec.vteps;
  const mac = `02:${hex(spec.macPrefix & 0xff)}:00:${hex((i >>> 16) & 0xff)}:${hex((i >>> 8) & 0xff)}:${hex(i & 0xff)}`;
  return { mac, vniIndex: k, vni: spec.firstVni + k, vtepIndex: t, vtep: fabricVtep(spec, t) };
}

function checkSpec(spec: FabricSpec): void {
  if (spec.macs > 1 << 24) throw new RangeError('at most 2^24 MACs (the MAC carries the index in 3 octets)');
  if (spec.vtepsPerVni < 1 || spec.vtepsPerVni > spec.vteps) throw new RangeError('vtepsPerVni must be 1..vteps');
  // The RD's assigned number (RFC 7432 §7.9: type 1, IP:2-octet number) is the VNI index + 1.
  if (spec.vnis > 65535) throw new RangeError('at most 65,535 VNIs (one RD number each)');
}

/**
 * Every UPDATE of the fabric, Type 3s first: one per (VTEP, VNI) pair with
 * MACs, then each pair's Type 2s packed (RD = VTEP:VNI index + 1, RT =
 * AS:VNI, iBGP: empty AS_PATH, LOCAL_PREF 100).
 */
export function encodeFabric(spec: FabricSpec, as: number, ctx: BgpContext): Buffer[] {
  checkSpec(spec);
  const pairs = new Map<number, { vtep: string; vni: number; rdNumber: number; nlris: RouteNlri[] }>();
  const esi = zeroEsi();
  for (let i = 0; i < spec.macs; i++) {
    const m = fabricMac(spec, i);
    const key = m.vtepIndex * spec.vnis + m.vniIndex;
    let p = pairs.get(key);
    if (p === undefined) {
      p = { vtep: m.vtep, vni: m.vni, rdNumber: m.vniIndex + 1, nlris: [] };
      pairs.set(key, p);
    }
    const rd = parseRd(`${m.vtep}:${p.rdNumber}`);
    p.nlris.push({ family: 'l2vpn-evpn', nlri: { route: { type: 2, rd, esi, etag: 0, mac: m.mac, labels: [m.vni] } } });
  }
  const out: Buffer[] = [];
  for (const p of pairs.values()) {
    const update = imetUpdate({ rd: `${p.vtep}:${p.rdNumber}`, nextHop: p.vtep, routeTargets: [`${as}:${p.vni}`], vni: p.vni, localPref: 100 });
    out.push(bgpMessage.encode({ type: 'update', update }, undefined, 0, ctx));
  }
  for (const p of pairs.values()) {
    const attributes: PathAttribute[] = [
      { type: 'origin', value: 'igp' },
      { type: 'as-path', value: [] },
      { type: 'local-pref', value: 100 },
      { type: 'extended-communities', value: [parseRouteTarget(`${as}:${p.vni}`), { kind: 'encapsulation', tunnelType: TunnelType.Vxlan }] },
    ];
    packAnnouncements('l2vpn-evpn', p.vtep, attributes, p.nlris, ctx, out);
  }
  return out;
}
