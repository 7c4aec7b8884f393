// A RIB entry as the API and the CLI show it: the route strings of
// `gobgp global rib -a evpn` and of FRR's `show bgp l2vpn evpn route`, and
// the attributes an operator compares with theirs.

import type { Route } from '../control/route.js';
import { formatAsPath } from '../wire/attr-as-path.js';
import type { EvpnRoute } from '../wire/evpn-nlri.js';
import { formatLabelsGobgp, formatRouteFrr, formatRouteGobgp } from '../wire/evpn-route-text.js';
import { formatExtCommunityFrr, formatExtCommunityGobgp } from '../wire/extended-community.js';
import type { PathAttribute } from '../wire/path-attribute.js';
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
