// A received EVPN MAC/IP route (Type 2) as the RIBs keep it: the RIB key
// (evpnRouteKey: RD, Ethernet Tag, MAC and IP packed in wire form, one flat
// string) and the few fields that are not in it, in one object. The NLRI
// object the rest of the control plane reads (route.nlri.nlri.route) is
// decoded from the key on demand, by a getter of the class: nothing per
// route holds a closure, and a million routes do not keep a million
// {family, nlri: {route: {type, rd, esi, etag, mac, labels}}} graphs
// (docs/memory.md has the byte counts).
//
// Forwarding and best path need nextHop, attributes and peer, which are
// plain fields; the NLRI's text fields (RD, MAC, IP) are needed for
// display and for the EVPN manager's import, once per change.

import type { Esi } from '../wire/esi.js';
import type { MacIpAdvertisementRoute } from '../wire/evpn-nlri.js';
import { formatIp } from '../wire/ip-address.js';
import { formatMac } from '../wire/mac-address.js';
import * as rdCodec from '../wire/route-distinguisher.js';
import type { RouteDistinguisher } from '../wire/route-distinguisher.js';
import type { PathAttribute } from '../wire/path-attribute.js';
import { Interner } from './interner.js';
import type { Family, PeerRef, Route, RouteNlri } from './route.js';

/** Offsets in a Type 2 key (evpnRouteKey): type, RD, Ethernet Tag, MAC, IP length, IP. */
const RD_AT = 1;
const ETAG_AT = RD_AT + rdCodec.RD_LENGTH;
const MAC_AT = ETAG_AT + 4;
const IP_LENGTH_AT = MAC_AT + 6;

/** The bytes of a key field, read out of the key's characters (latin1: one byte each). */
const SCRATCH = new Uint8Array(16);

function bytesOf(key: string, at: number, length: number): Uint8Array {
  for (let i = 0; i < length; i++) SCRATCH[i] = key.charCodeAt(at + i);
  return SCRATCH.subarray(0, length);
}

/**
 * The RD of a key. The routes of one VTEP and VNI share their RD, and reads
 * come in runs of them: the last RD decoded is returned again when the key
 * holds the same 8 bytes (RDs, like every decoded value in a route, are
 * shared and never mutated; update-reader.ts shares them the same way).
 */
let lastRdBytes = '';
let lastRd: RouteDistinguisher | null = null;

function rdOf(key: string): RouteDistinguisher {
  if (lastRd !== null && key.startsWith(lastRdBytes, RD_AT)) return lastRd;
  const bytes = Buffer.from(bytesOf(key, RD_AT, rdCodec.RD_LENGTH));
  const rd = rdCodec.decode(bytes, 0);
  lastRdBytes = key.slice(RD_AT, RD_AT + rdCodec.RD_LENGTH);
  lastRd = rd;
  return rd;
}

/** A received Type 2 route, compact. Implements Route; `nlri` is decoded on each read. */
export class PackedMacIpRoute implements Route {
  declare pathId?: number;
  constructor(
    readonly key: string,
    public nextHop: string,
    public attributes: PathAttribute[],
    public peer: PeerRef | null,
    public stale: boolean,
    public since: number,
    /** The two Type 2 fields the key leaves out (RFC 7432 §7.2): shared values, never mutated. */
    readonly esi: Esi,
    readonly labels: number[],
  ) {}

  get family(): Family {
    return 'l2vpn-evpn';
  }

  get nlri(): RouteNlri {
    // Read straight from the key's characters: nothing is allocated but the
    // values returned.
    const key = this.key;
    const route: MacIpAdvertisementRoute = {
      type: 2,
      rd: rdOf(key),
      esi: this.esi,
      etag: ((key.charCodeAt(ETAG_AT) << 24) | (key.charCodeAt(ETAG_AT + 1) << 16) | (key.charCodeAt(ETAG_AT + 2) << 8) | key.charCodeAt(ETAG_AT + 3)) >>> 0,
      mac: formatMac(bytesOf(key, MAC_AT, 6)),
      labels: this.labels,
    };
    const ipLength = key.charCodeAt(IP_LENGTH_AT);
    if (ipLength > 0) route.ip = formatIp(bytesOf(key, IP_LENGTH_AT + 1, ipLength));
    return { family: 'l2vpn-evpn', nlri: this.pathId === undefined ? { route } : { pathId: this.pathId, route } };
  }
}

const labelLists = new Interner<number[]>();

/** One shared list per distinct label values (a VNI's routes all carry the same). */
function internLabels(labels: number[]): number[] {
  return labelLists.intern(labels.length === 1 ? `${labels[0]}` : labels.join(','), labels);
}

/**
 * The form the RIBs keep a received route in, carrying `attributes` (an
 * interned set): a Type 2 becomes a PackedMacIpRoute (its decoded NLRI
 * objects become garbage); any other route is `route` itself, its
 * attributes replaced. Takes over `route` (fresh from the reader).
 */
export function storedRoute(route: Route, attributes: PathAttribute[]): Route {
  if (route.nlri.family === 'l2vpn-evpn' && route.peer !== null && !(route instanceof PackedMacIpRoute)) {
    const r = route.nlri.nlri.route;
    if (r.type === 2) {
      // Whole milliseconds: a fractional performance.now() would be a boxed
      // number per route (16 bytes); "Age" is shown in seconds.
      const since = Math.floor(route.since);
      const packed = new PackedMacIpRoute(route.key, route.nextHop, attributes, route.peer, route.stale, since, r.esi, internLabels(r.labels));
      if (route.pathId !== undefined) packed.pathId = route.pathId;
      return packed;
    }
  }
  route.attributes = attributes;
  return route;
}

/**
 * Whether two routes carry the same NLRI: the same object, or two packed
 * routes with the same key and the same shared ESI and labels (a packed
 * route's `nlri` is a new object on every read, so identity says nothing).
 */
export function sameNlri(a: Route, b: Route): boolean {
  if (a instanceof PackedMacIpRoute && b instanceof PackedMacIpRoute) {
    return a.key === b.key && a.esi === b.esi && a.labels === b.labels && a.pathId === b.pathId;
  }
  return a.nlri === b.nlri;
}

/** A copy of `route` with other attributes and next hop, of the same kind (packed stays packed). */
export function withAttributes(route: Route, attributes: PathAttribute[], nextHop: string): Route {
  if (route instanceof PackedMacIpRoute) {
    const copy = new PackedMacIpRoute(route.key, nextHop, attributes, route.peer, route.stale, route.since, route.esi, route.labels);
    if (route.pathId !== undefined) copy.pathId = route.pathId;
    return copy;
  }
  return { ...route, attributes, nextHop };
}
