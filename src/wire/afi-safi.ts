// Address family identifiers used by vxswitch (IANA "Address Family Numbers"
// and "SAFI Values"; RFC 4760 §3, RFC 7432 §20).

export const Afi = {
  Ipv4: 1,
  Ipv6: 2,
  L2vpn: 25,
} as const;

export const Safi = {
  Unicast: 1,
  Multicast: 2,
  Evpn: 70,
} as const;

/** gobgp's family names ("l2vpn-evpn", "ipv4-unicast"), used in config and output. */
export function afiSafiName(afi: number, safi: number): string {
  if (afi === Afi.L2vpn && safi === Safi.Evpn) return 'l2vpn-evpn';
  const a = afi === Afi.Ipv4 ? 'ipv4' : afi === Afi.Ipv6 ? 'ipv6' : `afi${afi}`;
  const s = safi === Safi.Unicast ? 'unicast' : safi === Safi.Multicast ? 'multicast' : `safi${safi}`;
  return `${a}-${s}`;
}
