// One EVPN instance = one VNI (RFC 8365 §5.1.2: VLAN-based service, one
// bridge domain per EVI): its configuration, with FRR's defaults, and the
// routes it originates.
//
// Defaults (what an FRR VTEP with advertise-all-vni does, so a vxswitch
// joins an FRR fabric with no per-VNI config):
//   rd          "<router-id>:<index>", a type 1 RD (FRR: "10.212.0.1:2")
//   export RT   "(AS & 0xFFFF):VNI", 2-octet-AS layout (RFC 8365 §5.1.2.1)
//   import RT   "*:VNI": any route target whose assigned number is the VNI
//   etag        0 (RFC 8365 §5.1.2: VLAN-based service)
//   vtep        the speaker's VTEP address
//   ARP suppression on
//
// Originated routes (all with next hop = the VTEP, ORIGIN IGP, an empty
// AS_PATH (export-policy.ts adds what each peer needs), the export route
// targets and the Encapsulation extended community, tunnel type VXLAN):
//   Type 3 (RFC 7432 §7.3): RD, etag, originating router IP = VTEP, and
//     ALWAYS a PMSI Tunnel attribute (RFC 7432 §11.2, RFC 6514 §5): flags 0,
//     ingress replication, label = VNI (RFC 8365 §5.1.3), tunnel id = VTEP.
//     FRR ignores a Type 3 without one (interop README c).
//   Type 2 (RFC 7432 §7.2): RD, ESI 0 (single-homed), etag, MAC, the IP when
//     known, Label1 = the VNI as a plain 24-bit number (RFC 8365 §5.1.3);
//     the MAC Mobility extended community (§7.7) when the sequence number is
//     above 0 or the MAC is sticky.
// Decision on MAC+IP: like FRR, a MAC whose IP is known is advertised both
// as a MAC-only route and as one MAC+IP route per IP. The MAC-only route
// carries the MAC's reachability on its own (peers that ignore IPs, and the
// MAC keeps being reachable when an IP ages); the MAC+IP routes feed remote
// ARP suppression. All carry the same mobility sequence number (§15).

import { isIP } from 'node:net';
import type { PmsiTunnel } from '../wire/attr-pmsi-tunnel.js';
import { PmsiTunnelType } from '../wire/attr-pmsi-tunnel.js';
import { zeroEsi } from '../wire/esi.js';
import type { MacIpAdvertisementRoute } from '../wire/evpn-nlri.js';
import { evpnRouteKey } from '../wire/evpn-nlri.js';
import type { ExtendedCommunity, RouteTarget } from '../wire/extended-community.js';
import { TunnelType } from '../wire/extended-community.js';
import { formatIp, parseIp } from '../wire/ip-address.js';
import type { PathAttribute } from '../wire/path-attribute.js';
import type { RouteDistinguisher } from '../wire/route-distinguisher.js';
import { formatRd, parseRd } from '../wire/route-distinguisher.js';
import type { RtMatcher } from './route-target-match.js';
import { parseRtMatcher } from './route-target-match.js';
import type { Route } from './route.js';

export interface EvpnInstanceConfig {
  vni: number;
  /** "65000:10", "10.0.0.1:5"; default "<router-id>:<index>". */
  rd?: string;
  /** Route targets (or "*:N" patterns) to import; default ["*:<vni>"]. */
  importRts?: readonly string[];
  /** Route targets attached to our routes; default ["<AS & 0xFFFF>:<vni>"]. */
  exportRts?: readonly string[];
  /** Ethernet Tag of our routes (import ignores it); default 0. */
  etag?: number;
  /** VTEP address of this VNI; default the speaker's. */
  vtep?: string;
  /** Push remote MAC+IP bindings to the neighbor table; default true. */
  arpSuppression?: boolean;
}

/** What the instances need of the speaker. */
export interface EvpnSpeaker {
  asn: number;
  routerId: string;
  /** VTEP address: next hop and originating IP of our routes. */
  vtep: string;
}

const MAX_VNI = 0xffffff;
const MOBILITY_CACHE_LIMIT = 256;

function configError(vni: number | undefined, key: string, value: unknown, expected: string): TypeError {
  const where = vni === undefined ? '' : `VNI ${vni}: `;
  return new TypeError(`${where}${key} = ${JSON.stringify(value)}: expected ${expected}`);
}

function routeTarget(m: RtMatcher, vni: number, key: string, text: string): RouteTarget {
  if (m.kind !== 'exact') throw configError(vni, key, text, 'a route target such as 65000:100 (no "*" in export lists)');
  return m.rt;
}

function evpnRoute(key: string, route: Route['nlri'] & { family: 'l2vpn-evpn' }, nextHop: string, attributes: PathAttribute[], now: number): Route {
  return { family: 'l2vpn-evpn', key, nlri: route, nextHop, attributes, peer: null, stale: false, since: now };
}

export class EvpnInstance {
  readonly vni: number;
  readonly rd: RouteDistinguisher;
  readonly etag: number;
  readonly vtep: string;
  readonly exportRts: readonly RouteTarget[];
  readonly importRts: readonly RtMatcher[];
  readonly arpSuppression: boolean;
  private readonly base: PathAttribute[];
  private readonly type3Attributes: PathAttribute[];
  private readonly withMobility = new Map<string, PathAttribute[]>();
  private readonly communities: ExtendedCommunity[];

  /** `index` numbers the instance for its automatic RD (FRR: "<router-id>:<n>"). */
  constructor(config: EvpnInstanceConfig, speaker: EvpnSpeaker, index: number) {
    const vni = config.vni;
    if (!Number.isInteger(vni) || vni < 1 || vni > MAX_VNI) throw configError(undefined, 'vni', vni, `an integer 1..${MAX_VNI}`);
    this.vni = vni;
    const etag = config.etag ?? 0;
    if (!Number.isInteger(etag) || etag < 0 || etag > 0xffffffff) throw configError(vni, 'etag', etag, 'an integer 0..4294967295');
    this.etag = etag;
    const vtep = config.vtep ?? speaker.vtep;
    if (isIP(vtep) === 0) throw configError(vni, 'vtep-address', vtep, 'an IPv4 or IPv6 address');
    this.vtep = formatIp(parseIp(vtep));
    try {
      this.rd = parseRd(config.rd ?? `${speaker.routerId}:${index}`);
    } catch (e) {
      throw configError(vni, 'rd', config.rd ?? `${speaker.routerId}:${index}`, `a route distinguisher (${(e as Error).message})`);
    }
    const parse = (key: string, text: string): RtMatcher => {
      try {
        return parseRtMatcher(text);
      } catch (e) {
        throw configError(vni, key, text, `a route target (${(e as Error).message})`);
      }
    };
    const exportTexts = config.exportRts ?? [`${speaker.asn & 0xffff}:${vni}`];
    if (exportTexts.length === 0) throw configError(vni, 'export-rts', exportTexts, 'at least one route target');
    this.exportRts = exportTexts.map((t) => routeTarget(parse('export-rts', t), vni, 'export-rts', t));
    const importTexts = config.importRts ?? [`*:${vni}`];
    if (importTexts.length === 0) throw configError(vni, 'import-rts', importTexts, 'at least one route target');
    this.importRts = importTexts.map((t) => parse('import-rts', t));
    this.arpSuppression = config.arpSuppression ?? true;

    this.communities = [...this.exportRts, { kind: 'encapsulation', tunnelType: TunnelType.Vxlan }];
    this.base = [
      { type: 'origin', value: 'igp' },
      { type: 'as-path', value: [] },
      { type: 'extended-communities', value: this.communities },
    ];
    const pmsi: PmsiTunnel = { flags: 0, tunnelType: PmsiTunnelType.IngressReplication, label: vni, tunnelId: this.vtep };
    this.type3Attributes = [...this.base, { type: 'pmsi-tunnel', value: pmsi }];
  }

  /** "10.212.0.1:2". */
  get rdText(): string {
    return formatRd(this.rd);
  }

  /** The Type 3 (Inclusive Multicast Ethernet Tag) route of this VNI. */
  inclusiveMulticast(now: number): Route {
    const route = { type: 3 as const, rd: this.rd, etag: this.etag, originatorIp: this.vtep };
    return evpnRoute(evpnRouteKey(route), { family: 'l2vpn-evpn', nlri: { route } }, this.vtep, this.type3Attributes, now);
  }

  /** RIB key of our Type 2 route for `mac` (and `ip`). */
  macIpKey(mac: string, ip?: string): string {
    return evpnRouteKey(this.macIpNlri(mac, ip));
  }

  private macIpNlri(mac: string, ip: string | undefined): MacIpAdvertisementRoute {
    const route: MacIpAdvertisementRoute = { type: 2, rd: this.rd, esi: zeroEsi(), etag: this.etag, mac, labels: [this.vni] };
    if (ip !== undefined) route.ip = ip;
    return route;
  }

  /**
   * A Type 2 (MAC/IP Advertisement) route of ours. The caller has checked
   * that `mac` is a unicast MAC (never a group MAC: goplane's mistake).
   */
  macIp(mac: string, ip: string | undefined, mobility: { seq: number; sticky: boolean }, now: number): Route {
    const route = this.macIpNlri(mac, ip);
    return evpnRoute(evpnRouteKey(route), { family: 'l2vpn-evpn', nlri: { route } }, this.vtep, this.type2Attributes(mobility), now);
  }

  private type2Attributes(m: { seq: number; sticky: boolean }): PathAttribute[] {
    if (m.seq === 0 && !m.sticky) return this.base;
    const k = `${m.seq}${m.sticky ? 's' : ''}`;
    let attrs = this.withMobility.get(k);
    if (attrs === undefined) {
      if (this.withMobility.size >= MOBILITY_CACHE_LIMIT) this.withMobility.clear();
      attrs = [
        this.base[0]!,
        this.base[1]!,
        { type: 'extended-communities', value: [...this.communities, { kind: 'mac-mobility', sticky: m.sticky, sequence: m.seq }] },
      ];
      this.withMobility.set(k, attrs);
    }
    return attrs;
  }
}
