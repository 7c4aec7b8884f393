// The families vxswitch speaks, by gobgp name (route.ts Family), and their
// AFI/SAFI numbers (RFC 4760 §3, RFC 7432 §20).

import { Afi, Safi } from '../wire/afi-safi.js';
import type { Family } from './route.js';

export interface AfiSafi {
  afi: number;
  safi: number;
}

const NUMBERS: Readonly<Record<Family, AfiSafi>> = {
  'l2vpn-evpn': { afi: Afi.L2vpn, safi: Safi.Evpn },
  'ipv4-unicast': { afi: Afi.Ipv4, safi: Safi.Unicast },
  'ipv6-unicast': { afi: Afi.Ipv6, safi: Safi.Unicast },
};

/** Every family vxswitch knows, in a fixed order. */
export const FAMILIES: readonly Family[] = ['l2vpn-evpn', 'ipv4-unicast', 'ipv6-unicast'];

export function familyAfiSafi(family: Family): AfiSafi {
  return NUMBERS[family];
}

/** The family of an AFI/SAFI pair, or undefined for one vxswitch does not speak. */
export function familyOf(afi: number, safi: number): Family | undefined {
  for (const f of FAMILIES) {
    const n = NUMBERS[f];
    if (n.afi === afi && n.safi === safi) return f;
  }
  return undefined;
}

export function isFamily(name: string): name is Family {
  return (FAMILIES as readonly string[]).includes(name);
}
