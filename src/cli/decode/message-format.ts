// One line of text per BGP message, for `vxswitch decode`: what an operator
// needs to see why a peer misbehaves, in the words FRR and GoBGP use
// (FRR's EVPN prefix form with its RD, "RT:65000:100 ET:8", "Cease /
// Administrative Shutdown"), with RFC 7606 problems and the action a
// receiver takes next to the message they affect.

import { afiSafiName } from '../../wire/afi-safi.js';
import { CeaseSubcode, ErrorCode } from '../../wire/bgp-error-codes.js';
import { formatAsPath } from '../../wire/attr-as-path.js';
import type { MpReachNlri } from '../../wire/attr-mp-reach-nlri.js';
import type { MpUnreachNlri } from '../../wire/attr-mp-unreach-nlri.js';
import { PmsiTunnelType, type PmsiTunnel } from '../../wire/attr-pmsi-tunnel.js';
import { formatCommunity } from '../../wire/attr-communities.js';
import type { Capability } from '../../wire/bgp-capability.js';
import { GracefulRestartFlag } from '../../wire/bgp-capability.js';
import type { BgpMessage } from '../../wire/bgp-message.js';
import { describeNotification } from '../../wire/bgp-notification.js';
import type { BgpNotification } from '../../wire/bgp-notification.js';
import { AS_TRANS, capabilities, type BgpOpen } from '../../wire/bgp-open.js';
import { RouteRefreshSubtype, type BgpRouteRefresh } from '../../wire/bgp-route-refresh.js';
import { isEndOfRib, worstProblem, type BgpUpdate } from '../../wire/bgp-update.js';
import { formatEsiFrr, isZeroEsi } from '../../wire/esi.js';
import type { EvpnNlri, EvpnRoute } from '../../wire/evpn-nlri.js';
import { formatRouteFrr } from '../../wire/evpn-route-text.js';
import { formatExtCommunitiesFrr } from '../../wire/extended-community.js';
import { formatIpPrefix, type IpPrefixNlri } from '../../wire/ip-prefix-nlri.js';
import { attributeName } from '../../wire/path-attribute.js';
import type { PathAttribute } from '../../wire/path-attribute.js';
import { formatRd } from '../../wire/route-distinguisher.js';
import type { WireError } from '../../wire/wire-error.js';

/** Everything after "BGP ": "OPEN v4 as 65000 ...", "UPDATE ...". */
export function formatMessage(m: BgpMessage): string {
  switch (m.type) {
    case 'open':
      return `OPEN ${formatOpen(m.open)}`;
    case 'update':
      return `UPDATE ${formatUpdate(m.update)}`;
    case 'notification':
      return `NOTIFICATION ${formatNotification(m.notification)}`;
    case 'keepalive':
      return 'KEEPALIVE';
    case 'route-refresh':
      return `ROUTE-REFRESH ${formatRouteRefresh(m.routeRefresh)}`;
  }
}

// ---------------------------------------------------------------- OPEN

export function formatOpen(o: BgpOpen): string {
  const caps = capabilities(o);
  const as4 = caps.find((c) => c.type === 'four-octet-as');
  let as = `as ${o.myAs}`;
  // RFC 6793 §4.1: My AS is AS_TRANS when the real AS needs 4 octets; say which.
  if (o.myAs === AS_TRANS && as4 && as4.type === 'four-octet-as' && as4.as !== AS_TRANS) as += ` (as-trans, real as ${as4.as})`;
  let text = `v${o.version} ${as} hold ${o.holdTime} id ${o.bgpId} caps [${caps.map(formatCapability).join(', ')}]`;
  for (const p of o.optionalParameters) {
    if (p.type === 'unknown') text += ` param ${p.code} ${p.value.toString('hex') || '(empty)'}`;
  }
  return text;
}

export function formatCapability(c: Capability): string {
  switch (c.type) {
    case 'multiprotocol':
      return `mp ${afiSafiName(c.afi, c.safi)}`;
    case 'route-refresh':
      return 'route-refresh';
    case 'route-refresh-cisco':
      return 'route-refresh-cisco';
    case 'enhanced-route-refresh':
      return 'enhanced-route-refresh';
    case 'extended-message':
      return 'extended-message';
    case 'four-octet-as':
      return `4-octet-as ${c.as}`;
    case 'graceful-restart': {
      const flags: string[] = [];
      if (c.flags & GracefulRestartFlag.Restart) flags.push('R');
      if (c.flags & GracefulRestartFlag.Notification) flags.push('N');
      const fams = c.families.map((f) => `${afiSafiName(f.afi, f.safi)}${f.flags & 0x80 ? ' F' : ''}`);
      return `graceful-restart time ${c.restartTime}${flags.length ? ` flags ${flags.join('')}` : ''}${
        fams.length ? ` ${fams.join(' ')}` : ''
      }`;
    }
    case 'add-path':
      return `add-path ${c.families
        .map((f) => `${afiSafiName(f.afi, f.safi)} ${f.sendReceive === 1 ? 'receive' : f.sendReceive === 2 ? 'send' : 'send/receive'}`)
        .join(' ')}`;
    case 'long-lived-graceful-restart':
      return `llgr ${c.families.map((f) => `${afiSafiName(f.afi, f.safi)} stale ${f.staleTime}`).join(' ')}`.trimEnd();
    case 'extended-next-hop':
      return `extended-nexthop ${c.families.map((f) => `${afiSafiName(f.afi, f.safi)} via afi ${f.nextHopAfi}`).join(' ')}`.trimEnd();
    case 'fqdn':
      return `fqdn ${c.hostname}${c.domain ? `.${c.domain}` : ''}`;
    case 'unknown':
      return `cap ${c.code}${c.value.length ? ` ${c.value.toString('hex')}` : ''}`;
  }
}

// ---------------------------------------------------------------- UPDATE

export function formatUpdate(u: BgpUpdate): string {
  const eor = isEndOfRib(u);
  if (eor) return `End-of-RIB ${afiSafiName(eor.afi, eor.safi)}`;
  const parts: string[] = [];
  let reach: MpReachNlri | undefined;
  let unreach: MpUnreachNlri | undefined;
  for (const a of u.attributes) {
    if (a.type === 'mp-reach-nlri') {
      reach = a.value;
      parts.unshift(`nexthop ${formatNextHop(a.value)}`);
    } else if (a.type === 'mp-unreach-nlri') {
      unreach = a.value;
    } else {
      const text = formatAttribute(a);
      if (text !== '') parts.push(text);
    }
  }
  if (u.withdrawn.length) parts.push(`withdraw ${u.withdrawn.map(formatIpNlri).join(', ')}`);
  if (unreach) {
    const w = formatUnreach(unreach);
    parts.push(w === '' ? `withdraw ${afiSafiName(unreach.afi, unreach.safi)} (none)` : `withdraw ${w}`);
  }
  if (u.nlri.length) parts.push(`reach ${u.nlri.map(formatIpNlri).join(', ')}`);
  if (reach) {
    const r = formatReach(reach);
    parts.push(r === '' ? `reach ${afiSafiName(reach.afi, reach.safi)} (none)` : `reach ${r}`);
  }
  // RFC 7606: what a receiver does with this UPDATE, and why.
  const worst = worstProblem(u);
  if (worst) {
    parts.push(`!! ${worst.action}: ${u.problems.map(formatProblem).join('; ')}`);
  }
  return parts.join(' ');
}

function formatNextHop(r: MpReachNlri): string {
  if (r.kind === 'opaque') return r.nextHop.toString('hex') || '(none)';
  if (r.kind === 'ip-prefix' && r.linkLocalNextHop) return `${r.nextHop} ${r.linkLocalNextHop}`;
  return r.nextHop;
}

function formatAttribute(a: PathAttribute): string {
  switch (a.type) {
    case 'origin':
      return `origin ${a.value}`;
    case 'as-path':
      // iBGP routes carry an empty AS_PATH (RFC 4271 §5.1.2): nothing to show. A missing one is a problem, reported below.
      return a.value.length === 0 ? '' : `aspath "${formatAsPath(a.value)}"`;
    case 'as4-path':
      return `as4path "${formatAsPath(a.value)}"`;
    case 'next-hop':
      return `nexthop ${a.value}`;
    case 'multi-exit-disc':
      return `med ${a.value}`;
    case 'local-pref':
      return `localpref ${a.value}`;
    case 'atomic-aggregate':
      return 'atomic-aggregate';
    case 'aggregator':
    case 'as4-aggregator':
      return `${a.type} ${a.value.asn} ${a.value.address}`;
    case 'communities':
      return `communities [${a.value.map(formatCommunity).join(' ')}]`;
    case 'originator-id':
      return `originator ${a.value}`;
    case 'cluster-list':
      return `cluster-list [${a.value.join(' ')}]`;
    case 'extended-communities':
      return `[${formatExtCommunitiesFrr(a.value)}]`;
    case 'pmsi-tunnel':
      return `pmsi ${formatPmsi(a.value)}`;
    case 'mp-reach-nlri':
    case 'mp-unreach-nlri':
      return '';
    case 'unknown':
      return `attr ${attributeName(a.typeCode)} (${a.typeCode}) flags 0x${a.flags.toString(16)} ${a.value.toString('hex') || '(empty)'}`;
  }
}

const PMSI_NAMES: Record<number, string> = {
  [PmsiTunnelType.NoTunnelInformation]: 'no-tunnel-info',
  [PmsiTunnelType.RsvpTeP2mpLsp]: 'rsvp-te-p2mp',
  [PmsiTunnelType.MldpP2mpLsp]: 'mldp-p2mp',
  [PmsiTunnelType.PimSsmTree]: 'pim-ssm',
  [PmsiTunnelType.PimSmTree]: 'pim-sm',
  [PmsiTunnelType.BidirPimTree]: 'bidir-pim',
  [PmsiTunnelType.IngressReplication]: 'ingress-repl',
  [PmsiTunnelType.MldpMp2mpLsp]: 'mldp-mp2mp',
};

function formatPmsi(p: PmsiTunnel): string {
  const name = PMSI_NAMES[p.tunnelType] ?? `type ${p.tunnelType}`;
  const id = typeof p.tunnelId === 'string' ? p.tunnelId : p.tunnelId.toString('hex') || '(none)';
  return `${name}${p.flags ? ` flags 0x${p.flags.toString(16)}` : ''} label ${p.label} tunnel ${id}`;
}

function formatReach(r: MpReachNlri): string {
  switch (r.kind) {
    case 'evpn':
      return r.nlri.map(formatEvpnNlri).join(', ');
    case 'ip-prefix':
      return r.nlri.map(formatIpNlri).join(', ');
    case 'opaque':
      return r.nlri.length ? `${afiSafiName(r.afi, r.safi)} ${r.nlri.toString('hex')}` : '';
  }
}

function formatUnreach(r: MpUnreachNlri): string {
  switch (r.kind) {
    case 'evpn':
      return r.withdrawn.map(formatEvpnNlri).join(', ');
    case 'ip-prefix':
      return r.withdrawn.map(formatIpNlri).join(', ');
    case 'opaque':
      return r.withdrawn.length ? `${afiSafiName(r.afi, r.safi)} ${r.withdrawn.toString('hex')}` : '';
  }
}

function formatIpNlri(n: IpPrefixNlri): string {
  return `${n.pathId !== undefined ? `path-id ${n.pathId} ` : ''}${formatIpPrefix(n)}`;
}

/**
 * FRR's prefix form, then the RD, then the NLRI fields FRR keeps out of the
 * prefix: labels (the VNI over VXLAN, RFC 8365 §5.1.3), a non-zero ESI, the
 * Type 5 gateway. "[3]:[0]:[32]:[10.212.0.40] rd 10.212.0.40:100".
 */
export function formatEvpnNlri(n: EvpnNlri): string {
  const r = n.route;
  const pathId = n.pathId !== undefined ? `path-id ${n.pathId} ` : '';
  if (r.type === 'unknown') return `${pathId}[type ${r.code}]:[${r.data.toString('hex')}]`;
  return `${pathId}${formatRouteFrr(r)} rd ${formatRd(r.rd)}${evpnExtras(r)}`;
}

function evpnExtras(r: Exclude<EvpnRoute, { type: 'unknown' }>): string {
  let s = '';
  if ('esi' in r && !isZeroEsi(r.esi)) s += ` esi ${formatEsiFrr(r.esi)}`;
  switch (r.type) {
    case 1:
      s += ` label ${r.label}`;
      break;
    case 2:
      s += ` vni ${r.labels.join('/')}`;
      break;
    case 5:
      s += ` gw ${r.gateway} vni ${r.label}`;
      break;
    default:
      break;
  }
  return s;
}

/** One route an UPDATE announces or withdraws, in text, for JSON consumers (jq). */
export interface RouteSummary {
  action: 'reach' | 'withdraw';
  family: string;
  /** FRR's prefix form ("[2]:[0]:[48]:[02:00:00:00:01:01]") or "10.0.0.0/24". */
  prefix: string;
  rd?: string;
  /** Type 2 labels / Type 1 and 5 label: the VNI over VXLAN. */
  vni?: number[];
  nextHop?: string;
  pathId?: number;
}

/** Every NLRI of the UPDATE (IPv4 fields and MP attributes), in wire order. */
export function updateRoutes(u: BgpUpdate): RouteSummary[] {
  const out: RouteSummary[] = [];
  const ip = (action: RouteSummary['action'], family: string, n: IpPrefixNlri, nextHop?: string): void => {
    const r: RouteSummary = { action, family, prefix: formatIpPrefix(n) };
    if (nextHop !== undefined) r.nextHop = nextHop;
    if (n.pathId !== undefined) r.pathId = n.pathId;
    out.push(r);
  };
  const evpn = (action: RouteSummary['action'], n: EvpnNlri, nextHop?: string): void => {
    const route = n.route;
    const r: RouteSummary =
      route.type === 'unknown'
        ? { action, family: 'l2vpn-evpn', prefix: `[type ${route.code}]:[${route.data.toString('hex')}]` }
        : { action, family: 'l2vpn-evpn', prefix: formatRouteFrr(route), rd: formatRd(route.rd) };
    if (route.type === 2) r.vni = route.labels;
    else if (route.type === 1 || route.type === 5) r.vni = [route.label];
    if (nextHop !== undefined) r.nextHop = nextHop;
    if (n.pathId !== undefined) r.pathId = n.pathId;
    out.push(r);
  };
  for (const n of u.withdrawn) ip('withdraw', 'ipv4-unicast', n);
  for (const a of u.attributes) {
    if (a.type === 'mp-unreach-nlri' && a.value.kind !== 'opaque') {
      const family = afiSafiName(a.value.afi, a.value.safi);
      if (a.value.kind === 'evpn') for (const n of a.value.withdrawn) evpn('withdraw', n);
      else for (const n of a.value.withdrawn) ip('withdraw', family, n);
    }
  }
  const nextHop = u.attributes.find((a) => a.type === 'next-hop');
  for (const n of u.nlri) ip('reach', 'ipv4-unicast', n, nextHop?.type === 'next-hop' ? nextHop.value : undefined);
  for (const a of u.attributes) {
    if (a.type === 'mp-reach-nlri' && a.value.kind !== 'opaque') {
      const family = afiSafiName(a.value.afi, a.value.safi);
      if (a.value.kind === 'evpn') for (const n of a.value.nlri) evpn('reach', n, a.value.nextHop);
      else for (const n of a.value.nlri) ip('reach', family, n, a.value.nextHop);
    }
  }
  return out;
}

// ---------------------------------------------------------------- others

export function formatNotification(n: BgpNotification): string {
  let text = describeNotification(n);
  // The data is shown unless the description already carries all of it:
  // an RFC 8538 Hard Reset's first two bytes are the cause it names.
  const hardReset = n.code === ErrorCode.Cease && n.subcode === CeaseSubcode.HardReset;
  const rest = hardReset ? n.data.subarray(Math.min(2, n.data.length)) : n.data;
  if (rest.length > 0 && n.shutdownMessage === undefined) text += ` data ${rest.toString('hex')}`;
  return text;
}

export function formatRouteRefresh(r: BgpRouteRefresh): string {
  const sub =
    r.subtype === RouteRefreshSubtype.Normal
      ? ''
      : r.subtype === RouteRefreshSubtype.BeginningOfRouteRefresh
        ? ' BoRR'
        : r.subtype === RouteRefreshSubtype.EndOfRouteRefresh
          ? ' EoRR'
          : ` subtype ${r.subtype}`;
  return `${afiSafiName(r.afi, r.safi)}${sub}`;
}

/** "UPDATE Message Error / Attribute Length Error: PMSI_TUNNEL: length 3 (offset 45)". */
export function formatProblem(e: WireError): string {
  const code = e.codeText;
  return `${code ? `${code}: ` : ''}${e.message} (offset ${e.offset})`;
}
