// A RIB entry as the API and the CLI show it: the route strings of
// `gobgp global rib -a evpn` and of FRR's `show bgp l2vpn evpn route`, and
// the attributes an operator compares with theirs.

import type { Route } from '../control/route.js';
import { formatAsPath } from '../wire/attr-as-path.js';
import { formatCommunity } from '../wire/attr-communities.js';
import { PMSI_FLAG_LEAF_INFO_REQUIRED } from '../wire/attr-pmsi-tunnel.js';
import type { EvpnRoute } from '../wire/evpn-nlri.js';
import { formatLabelsGobgp, formatRouteFrr, formatRouteGobgp, gobgpRouteExtras } from '../wire/evpn-route-text.js';
import { formatExtCommunitiesGobgp, formatExtCommunityFrr, formatExtCommunityGobgp } from '../wire/extended-community.js';
import { AttributeTypeCode, type PathAttribute } from '../wire/path-attribute.js';
import { formatRd } from '../wire/route-distinguisher.js';

export interface RouteView {
  /** gobgp's Network column, e.g. "[type:macadv][rd:65000:10][etag:0][mac:...][ip:<nil>]". */
  nlri: string;
  /** FRR's prefix form without the RD, e.g. "[2]:[0]:[48]:[aa:bb:cc:dd:ee:ff]". */
  frr: string;
  family: string;
  rd: string | null;
  routeType: number | null;
  mac?: string;
  ip?: string;
  /** gobgp's Labels column ("[100]"), empty for Type 3. */
  labels: string;
  /** The labels as numbers (the VNI over VXLAN, RFC 8365). */
  labelValues: number[];
  nextHop: string;
  asPath: string;
  origin: string;
  localPref?: number;
  med?: number;
  extendedCommunities: string[];
  /** gobgp's rendering of the same communities ("65000:100", "VXLAN"). */
  extendedCommunitiesGobgp: string[];
  pmsi?: { tunnelType: number; label: number; tunnelId: string };
  /**
   * gobgp's Attrs column, e.g. "[{Origin: i} {LocalPref: 100} {Extcomms:
   * [65000:100], [VXLAN]} [ESI: single-homed]]" (gobgp 3.10's
   * getPathAttributeString: attributes by type code, then the ESI).
   */
  gobgpAttrs: string;
  originatorId?: string;
  clusterList?: string[];
  best: boolean;
  stale: boolean;
  /** Neighbor the route came from; null = originated here. */
  peer: string | null;
  /** Seconds since received or originated. */
  age: number;
}

function attr<T extends PathAttribute['type']>(attrs: readonly PathAttribute[], type: T): Extract<PathAttribute, { type: T }> | undefined {
  return attrs.find((a) => a.type === type) as Extract<PathAttribute, { type: T }> | undefined;
}

// ---------------------------------------------------------------- gobgp's Attrs column

const TYPE_CODES: Record<Exclude<PathAttribute['type'], 'unknown'>, number> = {
  origin: AttributeTypeCode.Origin,
  'as-path': AttributeTypeCode.AsPath,
  'next-hop': AttributeTypeCode.NextHop,
  'multi-exit-disc': AttributeTypeCode.MultiExitDisc,
  'local-pref': AttributeTypeCode.LocalPref,
  'atomic-aggregate': AttributeTypeCode.AtomicAggregate,
  aggregator: AttributeTypeCode.Aggregator,
  communities: AttributeTypeCode.Communities,
  'originator-id': AttributeTypeCode.OriginatorId,
  'cluster-list': AttributeTypeCode.ClusterList,
  'mp-reach-nlri': AttributeTypeCode.MpReachNlri,
  'mp-unreach-nlri': AttributeTypeCode.MpUnreachNlri,
  'extended-communities': AttributeTypeCode.ExtendedCommunities,
  'as4-path': AttributeTypeCode.As4Path,
  'as4-aggregator': AttributeTypeCode.As4Aggregator,
  'pmsi-tunnel': AttributeTypeCode.PmsiTunnel,
};

function typeCode(a: PathAttribute): number {
  return a.type === 'unknown' ? a.typeCode : TYPE_CODES[a.type];
}

/** gobgp's PmsiTunnelType.String(). */
const GOBGP_PMSI_TYPES = ['no-tunnel', 'rsvp-te-p2mp', 'mldp-p2mp', 'pim-ssm-tree', 'pim-sm-tree', 'bidir-pim-tree', 'ingress-repl', 'mldp-mp2mp'];

/** One attribute as gobgp's PathAttribute*.String() prints it; undefined for those gobgp leaves out of Attrs. */
function gobgpAttr(a: PathAttribute): string | undefined {
  switch (a.type) {
    case 'origin':
      return `{Origin: ${a.value === 'igp' ? 'i' : a.value === 'egp' ? 'e' : '?'}}`;
    case 'multi-exit-disc':
      return `{Med: ${a.value}}`;
    case 'local-pref':
      return `{LocalPref: ${a.value}}`;
    case 'atomic-aggregate':
      return '{AtomicAggregate}';
    case 'aggregator':
      return `{Aggregate: {AS: ${a.value.asn}, Address: ${a.value.address}}}`;
    case 'as4-aggregator':
      return `{As4Aggregator: {AS: ${a.value.asn}, Address: ${a.value.address}}}`;
    case 'communities':
      return `{Communities: ${a.value.map(formatCommunity).join(', ')}}`;
    case 'originator-id':
      return `{Originator: ${a.value}}`;
    case 'cluster-list':
      // Go's %v of a []net.IP: space-separated in brackets.
      return `{ClusterList: [${a.value.join(' ')}]}`;
    case 'extended-communities':
      return formatExtCommunitiesGobgp(a.value);
    case 'pmsi-tunnel': {
      const p = a.value;
      const type = GOBGP_PMSI_TYPES[p.tunnelType] ?? `PmsiTunnelType(${p.tunnelType})`;
      const leaf = (p.flags & PMSI_FLAG_LEAF_INFO_REQUIRED) !== 0 ? ' leaf-info-required,' : '';
      const id = typeof p.tunnelId === 'string' ? p.tunnelId : `[${[...p.tunnelId].join(' ')}]`;
      return `{Pmsi: type: ${type},${leaf} label: ${p.label}, tunnel-id: ${id}}`;
    }
    case 'unknown':
      return `{Flags: 0x${a.flags.toString(16)}, Type: ${a.typeCode}, Value: [${[...a.value].join(' ')}]}`;
    // gobgp shows these in their own columns (Next Hop, AS_PATH) or not at all.
    case 'as-path':
    case 'as4-path':
    case 'next-hop':
    case 'mp-reach-nlri':
    case 'mp-unreach-nlri':
      return undefined;
  }
}

/** The Attrs column of `gobgp global rib`: attributes by type code, then the NLRI fields gobgp keeps out of Network (ESI, GW). */
export function gobgpAttrs(route: Route): string {
  const parts = [...route.attributes]
    .sort((x, y) => typeCode(x) - typeCode(y))
    .map(gobgpAttr)
    .filter((s): s is string => s !== undefined);
  if (route.nlri.family === 'l2vpn-evpn') parts.push(...gobgpRouteExtras(route.nlri.nlri.route));
  return `[${parts.join(' ')}]`;
}

export function routeView(route: Route, best: boolean, now: number): RouteView {
  const a = route.attributes;
  const ext = attr(a, 'extended-communities')?.value ?? [];
  const view: RouteView = {
    nlri: '',
    frr: '',
    family: route.family,
    rd: null,
    routeType: null,
    labels: '',
    labelValues: [],
    nextHop: route.nextHop,
    asPath: formatAsPath(attr(a, 'as-path')?.value ?? []),
    origin: attr(a, 'origin')?.value ?? 'incomplete',
    extendedCommunities: ext.map(formatExtCommunityFrr),
    extendedCommunitiesGobgp: ext.map(formatExtCommunityGobgp),
    gobgpAttrs: gobgpAttrs(route),
    best,
    stale: route.stale,
    peer: route.peer?.address ?? null,
    age: Math.max(0, Math.round((now - route.since) / 1000)),
  };
  if (route.nlri.family === 'l2vpn-evpn') {
    const r: EvpnRoute = route.nlri.nlri.route;
    view.nlri = formatRouteGobgp(r);
    view.frr = formatRouteFrr(r);
    view.labels = formatLabelsGobgp(r);
    if (r.type !== 'unknown') {
      view.routeType = r.type;
      view.rd = formatRd(r.rd);
    }
    if (r.type === 2) view.labelValues = r.labels;
    else if (r.type === 1 || r.type === 5) view.labelValues = [r.label];
    if (r.type === 2) {
      view.mac = r.mac;
      if (r.ip !== undefined) view.ip = r.ip;
    }
  } else {
    const p = route.nlri.nlri;
    view.nlri = `${p.prefix}/${p.length}`;
    view.frr = view.nlri;
  }
  const lp = attr(a, 'local-pref');
  if (lp !== undefined) view.localPref = lp.value;
  const med = attr(a, 'multi-exit-disc');
  if (med !== undefined) view.med = med.value;
  const pmsi = attr(a, 'pmsi-tunnel');
  if (pmsi !== undefined) {
    const t = pmsi.value.tunnelId;
    view.pmsi = { tunnelType: pmsi.value.tunnelType, label: pmsi.value.label, tunnelId: typeof t === 'string' ? t : t.toString('hex') };
  }
  const orig = attr(a, 'originator-id');
  if (orig !== undefined) view.originatorId = orig.value;
  const cl = attr(a, 'cluster-list');
  if (cl !== undefined) view.clusterList = cl.value;
  return view;
}
