// The soak injector's UPDATEs, encoded with the project's own builder
// (src/control/update-builder.ts): the whole table (a Type 3 per VNI per VTEP
// and every MAC's Type 2 where it is now) and a move burst (each moved MAC
// announced behind its new VTEP with the next MAC Mobility sequence number,
// then withdrawn where it was, as the old PE does on seeing the higher
// sequence, RFC 7432 §15.1). iBGP: empty AS_PATH, LOCAL_PREF; RT AS:VNI and
// the VXLAN encapsulation community (RFC 8365 §5.1.3); RD = VTEP:VNI.

import { packAnnouncements, packWithdrawals } from '../../src/control/update-builder.js';
import type { RouteNlri } from '../../src/control/route.js';
import { AS4_CONTEXT } from '../../src/wire/bgp-context.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import { zeroEsi } from '../../src/wire/esi.js';
import { parseRouteTarget, TunnelType, type ExtendedCommunity } from '../../src/wire/extended-community.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { parseRd } from '../../src/wire/route-distinguisher.js';
import { imetUpdate } from '../../test/helpers/test-speaker.js';
import { FIRST_VNI, macText, slotsPerVni, vniOf, vtepAddress, vtepOfSlot, type MacTable, type SoakShape } from './plan.js';

function type2(vtep: string, vni: number, mac: number): RouteNlri {
  const route = { type: 2 as const, rd: parseRd(`${vtep}:${vni}`), esi: zeroEsi(), etag: 0, mac: macText(mac), labels: [vni] };
  return { family: 'l2vpn-evpn', nlri: { route } };
}

function attributes(as: number, vni: number, seq: number): PathAttribute[] {
  const communities: ExtendedCommunity[] = [parseRouteTarget(`${as}:${vni}`), { kind: 'encapsulation', tunnelType: TunnelType.Vxlan }];
  // RFC 7432 §7.7: a MAC that never moved carries no MAC Mobility community (sequence 0).
  if (seq > 0) communities.push({ kind: 'mac-mobility', sticky: false, sequence: seq });
  return [
    { type: 'origin', value: 'igp' },
    { type: 'as-path', value: [] },
    { type: 'local-pref', value: 100 },
    { type: 'extended-communities', value: communities },
  ];
}

/** Announce `macs` where the table has them now: grouped by (VTEP, VNI, sequence), packed into 4096-octet UPDATEs. */
export function announceMacs(table: MacTable, as: number, macs: Iterable<number>, out: Buffer[]): void {
  const groups = new Map<string, { vtep: string; vni: number; seq: number; nlris: RouteNlri[] }>();
  for (const i of macs) {
    const vtep = vtepAddress(table.vtepOf(i));
    const vni = vniOf(table.shape, i);
    const seq = table.seq[i]!;
    const key = `${vtep}/${vni}/${seq}`;
    let g = groups.get(key);
    if (g === undefined) groups.set(key, (g = { vtep, vni, seq, nlris: [] }));
    g.nlris.push(type2(vtep, vni, i));
  }
  for (const g of groups.values()) packAnnouncements('l2vpn-evpn', g.vtep, attributes(as, g.vni, g.seq), g.nlris, AS4_CONTEXT, out);
}

/** Every Type 3 (one per VNI per VTEP slot) and every MAC's Type 2. */
export function fullTable(table: MacTable, as: number): Buffer[] {
  const s: SoakShape = table.shape;
  const out: Buffer[] = [];
  for (let v = 0; v < s.vnis; v++) {
    const vni = FIRST_VNI + v;
    for (let slot = 0; slot < slotsPerVni(s); slot++) {
      const vtep = vtepAddress(vtepOfSlot(s, v, slot));
      const update = imetUpdate({ rd: `${vtep}:${vni}`, nextHop: vtep, routeTargets: [`${as}:${vni}`], vni, localPref: 100 });
      out.push(bgpMessage.encode({ type: 'update', update }, undefined, 0, AS4_CONTEXT));
    }
  }
  announceMacs(table, as, Array.from({ length: s.macs }, (_, i) => i), out);
  return out;
}

/** Move `macs` in the table and return the UPDATEs: the announcements first, then the withdrawals at the old VTEPs. */
export function moveBurst(table: MacTable, as: number, macs: readonly number[]): Buffer[] {
  const withdrawn: RouteNlri[] = [];
  for (const i of macs) {
    const from = table.move(i);
    // Only two or more slots make a move; with one the MAC stays and only its sequence rises.
    if (from !== table.vtepOf(i)) withdrawn.push(type2(vtepAddress(from), vniOf(table.shape, i), i));
  }
  const out: Buffer[] = [];
  announceMacs(table, as, macs, out);
  packWithdrawals('l2vpn-evpn', withdrawn, AS4_CONTEXT, out);
  return out;
}
