// EVPN routes as GoBGP and FRR print them, so `vxswitch global rib -a evpn`
// reads like `gobgp global rib -a evpn` and log lines match what an
// operator sees in `vtysh -c "show bgp l2vpn evpn route"`.
//
// GoBGP: the String() methods of EVPN*Route in pkg/packet/bgp/bgp.go and the
// Labels column of cmd/gobgp, checked against gobgp 3.10.0. GoBGP prints
// IPs with Go's net.IP.String(): an IPv4-mapped IPv6 address as plain IPv4,
// and no embedded-IPv4 forms otherwise.
//
// FRR: prefixevpn2str() in lib/prefix.c of FRR 8.4 (format strings checked
// in the installed 8.4.4 libfrr). FRR prints the Ethernet Tag of types 2, 3
// and 5 with "%d", so a tag of 2^31 or more shows as a negative number; we
// print what FRR prints.

import { formatEsiFrr, formatEsiGobgp } from './esi.js';
import type { EvpnRoute } from './evpn-nlri.js';
import { formatIpv4, formatIpv6, parseIp } from './ip-address.js';
import { formatRd, formatRdGobgp } from './route-distinguisher.js';

// ---------------------------------------------------------------- GoBGP

/** Go's net.IP.String() of an address given as text. */
export function formatIpGo(text: string): string {
  const b = parseIp(text);
  if (b.length === 4) return formatIpv4(b);
  // IPv4-mapped (::ffff:a.b.c.d): Go's To4() succeeds and it prints IPv4.
  let mapped = b[10] === 0xff && b[11] === 0xff;
  for (let i = 0; i < 10 && mapped; i++) if (b[i] !== 0) mapped = false;
  if (mapped) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  // Longest run of zero groups, at least 2 long, first one on a tie.
  let bestAt = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]): string => g.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(groups);
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLen))}`;
}

/**
 * The Network column of `gobgp global rib -a evpn`, e.g.
 * "[type:macadv][rd:65000:10][etag:0][mac:aa:aa:aa:aa:aa:01][ip:<nil>]".
 * GoBGP keeps the ESI and labels of a Type 2 out of it (they are attributes
 * of the route, RFC 7432 §7.2): see formatLabelsGobgp and gobgpRouteExtras.
 */
export function formatRouteGobgp(route: EvpnRoute): string {
  switch (route.type) {
    case 1:
      return `[type:A-D][rd:${formatRdGobgp(route.rd)}][esi:${formatEsiGobgp(route.esi)}][etag:${route.etag}]`;
    case 2:
      return (
        `[type:macadv][rd:${formatRdGobgp(route.rd)}][etag:${route.etag}][mac:${route.mac.toLowerCase()}]` +
        `[ip:${route.ip === undefined ? '<nil>' : formatIpGo(route.ip)}]`
      );
    case 3:
      return `[type:multicast][rd:${formatRdGobgp(route.rd)}][etag:${route.etag}][ip:${formatIpGo(route.originatorIp)}]`;
    case 4:
      return `[type:esi][rd:${formatRdGobgp(route.rd)}][esi:${formatEsiGobgp(route.esi)}][ip:${formatIpGo(route.originatorIp)}]`;
    case 5:
      return `[type:Prefix][rd:${formatRdGobgp(route.rd)}][etag:${route.etag}][prefix:${formatIpGo(route.prefix)}/${route.prefixLength}]`;
    case 'unknown':
      // GoBGP rejects unknown route types; its EVPNNLRI.String() fallback is "type:length".
      return `${route.code}:${route.data.length}`;
  }
}

/**
 * The one-line form GoBGP 1.x printed for a Type 2 (the goplane demo's
 * `gobgp global rib -a evpn` output, and what older tooling greps for):
 * "[type:macadv][rd:65000:10][esi:single-homed][etag:0][mac:aa:aa:aa:aa:aa:01][ip:<nil>][labels:[10]]".
 * Later GoBGP (2.x, 3.x) moved the ESI and labels out of the Network column
 * (formatRouteGobgp). Other route types print as formatRouteGobgp does.
 */
export function formatRouteGobgpLegacy(route: EvpnRoute): string {
  if (route.type !== 2) return formatRouteGobgp(route);
  return (
    `[type:macadv][rd:${formatRdGobgp(route.rd)}][esi:${formatEsiGobgp(route.esi)}][etag:${route.etag}]` +
    `[mac:${route.mac.toLowerCase()}][ip:${route.ip === undefined ? '<nil>' : formatIpGo(route.ip)}]` +
    `[labels:[${route.labels.join(' ')}]]`
  );
}

/** The Labels column of `gobgp global rib -a evpn`: "[10]", "[10,20]", or "" for types 3 and 4. */
export function formatLabelsGobgp(route: EvpnRoute): string {
  switch (route.type) {
    case 1:
    case 5:
      return `[${route.label}]`;
    case 2:
      return `[${route.labels.join(',')}]`;
    default:
      return '';
  }
}

/**
 * What GoBGP appends to the Attrs column for the NLRI fields it keeps out of
 * the Network column: "[ESI: single-homed]" for Types 2 and 5, and
 * "[GW: 0.0.0.0]" for Type 5.
 */
export function gobgpRouteExtras(route: EvpnRoute): string[] {
  switch (route.type) {
    case 2:
      return [`[ESI: ${formatEsiGobgp(route.esi)}]`];
    case 5:
      return [`[ESI: ${formatEsiGobgp(route.esi)}]`, `[GW: ${formatIpGo(route.gateway)}]`];
    default:
      return [];
  }
}

// ---------------------------------------------------------------- FRR

function ipBits(text: string): number {
  return parseIp(text).length * 8;
}

/** C's "%d" of a uint32: values of 2^31 and above wrap negative. */
function cInt(n: number): number {
  return n | 0;
}

/**
 * FRR 8.4's prefix form without the RD, as in the "Network" column of
 * `show bgp l2vpn evpn route` (under its "Route Distinguisher:" line):
 *
 *   [1]:[EthTag]:[ESI]:[32]:[0.0.0.0]:[0]   (FRR zeroes the VTEP IP and fragment id of received EADs)
 *   [2]:[EthTag]:[48]:[MAC]  or  [2]:[EthTag]:[48]:[MAC]:[IPlen]:[IP]
 *   [3]:[EthTag]:[IPlen]:[OrigIP]
 *   [4]:[ESI]:[IPlen]:[OrigIP]
 *   [5]:[EthTag]:[IPlen]:[IP]
 */
export function formatRouteFrr(route: EvpnRoute): string {
  switch (route.type) {
    case 1:
      return `[1]:[${route.etag}]:[${formatEsiFrr(route.esi)}]:[32]:[0.0.0.0]:[0]`;
    case 2: {
      const head = `[2]:[${cInt(route.etag)}]:[48]:[${route.mac.toLowerCase()}]`;
      if (route.ip === undefined) return head;
      const bytes = parseIp(route.ip);
      return `${head}:[${bytes.length * 8}]:[${formatIpFrr(route.ip)}]`;
    }
    case 3:
      return `[3]:[${cInt(route.etag)}]:[${ipBits(route.originatorIp)}]:[${formatIpFrr(route.originatorIp)}]`;
    case 4:
      return `[4]:[${formatEsiFrr(route.esi)}]:[${ipBits(route.originatorIp)}]:[${formatIpFrr(route.originatorIp)}]`;
    case 5:
      return `[5]:[${cInt(route.etag)}]:[${route.prefixLength}]:[${formatIpFrr(route.prefix)}]`;
    case 'unknown':
      return 'Unsupported EVPN prefix';
  }
}

/** FRR's "RD:prefix" form, as in "BGP routing table entry for 10.212.0.30:100:[2]:[0]:[48]:[02:00:00:00:03:03]". */
export function formatRouteFrrWithRd(route: EvpnRoute): string {
  if (route.type === 'unknown') return formatRouteFrr(route);
  return `${formatRd(route.rd)}:${formatRouteFrr(route)}`;
}

/** inet_ntop's form (FRR), which node:net shares: RFC 5952, "::ffff:1.2.3.4" kept mapped. */
function formatIpFrr(text: string): string {
  const b = parseIp(text);
  return b.length === 4 ? formatIpv4(b) : formatIpv6(b);
}
