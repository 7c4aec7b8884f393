// All EVPN instances of the speaker, between the Loc-RIB, the dataplane's
// FDB and our own advertisements.
//
//   in   Loc-RIB best-path changes (onLocRibChange), for routes of peers;
//        local MAC events from the dataplane (localLearned / localAged).
//   out  FdbPort calls (remote MACs, flood lists, ARP-suppression
//        neighbors); our routes to advertise / withdraw (RouteSink), which
//        the speaker puts in the Loc-RIB as originated paths.
//
// Import is by route target only (route-target-match.ts): Type 3 -> the
// VNI's flood list gets the route's ORIGINATING ROUTER IP (not the next
// hop, not the PMSI tunnel id), and only when the route has an ingress
// replication PMSI Tunnel (without one a VTEP says "no flooding to me");
// Type 2 -> MAC -> next hop into the FDB, after MAC mobility (RFC 7432 §15,
// mac-mobility.ts) has chosen among every claim on the (VNI, MAC): all
// remote routes for it (any RD, any VTEP, MAC-only and MAC+IP) and ours.
// A withdrawal of a key we never imported is ignored.
//
// Indexed state only, nothing is rescanned per route (GoBGP's MAC mobility
// scanned its table per Type 2 and took 6 minutes for 13,000 routes):
//   per instance: MAC -> its claims and what the FDB was told;
//                 Type 3 key -> VTEP, VTEP -> count; IP -> neighbor claims.
// A route's instances are its route targets' matches, cached per
// attributes array (all routes of one UPDATE share it), as are its
// mobility values. The Loc-RIB change carries the previous best path, so
// no table of imported routes is kept: the previous path is taken out of
// the instances it matches and the new one put in. Both steps are
// idempotent (a claim is keyed by route key), so a withdrawal of a key we
// never imported changes nothing, and adding or removing an instance needs
// no bookkeeping.
//
// Re-entrancy: the dataplane answers addRemote over a local entry with a
// synchronous localAged, and the speaker answers our announcements with a
// Loc-RIB change for our own route. State is updated before each outward
// call, and both echoes find nothing to do.
//
// Convergence with the FDB (docs/fdb-limits.md): an install the FDB refuses
// for lack of room (addRemote returns false) leaves the MAC pending, not
// "installed"; retryPending() (called once a second by the daemon) installs
// pending MACs again, a bounded number per call, stopping at the first
// refusal, so a route's MAC appears once room frees. Pending MACs are counted
// and logged (rate-limited), never silently lost.
//
// Underlay family: a Type 2 next hop or Type 3 originator whose family is not
// our VTEP's cannot be reached over our underlay (an IPv6 address written into
// an IPv4 header keeps only its low 32 bits: a stranger's address). Such a
// route is treated as withdrawn for the instance, counted and logged
// (rate-limited).
//
// Amplification: one learned MAC gives one MAC-only route plus one MAC+IP
// route per IP that ARP/ND snooping bound to it; the IPs per MAC are capped
// (MAX_IPS_PER_MAC), so a host cycling sender addresses cannot make us
// advertise without bound. The number of MACs is bounded by the FDB's
// learning limits (per-port rate, per-VNI share).

import { isIPv4 } from 'node:net';
import { isMac } from '../wire/mac-address.js';
import { formatIp, isIp, parseIp } from '../wire/ip-address.js';
import type { EvpnRoute, MacIpAdvertisementRoute } from '../wire/evpn-nlri.js';
import type { PathAttribute } from '../wire/path-attribute.js';
import type { FdbPort } from './fdb-port.js';
import type { EvpnInstanceConfig, EvpnSpeaker } from './evpn-instance.js';
import { EvpnInstance } from './evpn-instance.js';
import { compareIp } from './ip-order.js';
import { isGroupMacKey, macKey, macKeyText } from './mac-key.js';
import type { LocRibChange } from './loc-rib.js';
import type { DuplicateDetection, MobilityClaim } from './mac-mobility.js';
import { DEFAULT_DUPLICATE_DETECTION, beats, mobilityOf, recordMove, takeOverSequence, winner } from './mac-mobility.js';
import { RtIndex, routeTargetsOf } from './route-target-match.js';
import type { Route } from './route.js';

/** The EVPN route of `route` (one read of its NLRI), or null for another family. */
function evpnRouteOf(route: Route): EvpnRoute | null {
  const n = route.nlri;
  return n.family === 'l2vpn-evpn' ? n.nlri.route : null;
}

/** Where our own routes go: the speaker adds them to (and removes them from) the Loc-RIB as originated paths. */
export interface RouteSink {
  announce(route: Route): void;
  withdraw(route: Route): void;
}

export type EvpnLogEvent =
  | { event: 'duplicate-mac'; vni: number; mac: string; moves: number; windowMs: number }
  | { event: 'sticky-conflict'; vni: number; mac: string; vtep: string }
  | { event: 'group-mac-ignored'; vni: number; mac: string; source: 'local' | 'remote' }
  // Rate-limited (at most one per LOG_INTERVAL_MS per event kind); `refused` counts since the previous line.
  | { event: 'vtep-family-refused'; vni: number; vtep: string; routeType: 2 | 3; refused: number; message: string }
  | { event: 'fdb-install-pending'; vni: number; mac: string; pending: number; refused: number; message: string }
  | { event: 'mac-ip-limit'; vni: number; mac: string; ip: string; refused: number; message: string };

/** What the manager refused or holds back (counters since start; `pendingInstalls` is a gauge). */
export interface EvpnCounters {
  /** Type 2 / Type 3 routes refused because their VTEP address is not of our underlay's family. */
  vtepFamilyRefused: number;
  /** FDB installs refused for lack of room (each retry that fails counts again). */
  installsRefused: number;
  /** Remote MACs waiting for room in the FDB now. */
  pendingInstalls: number;
  /** IPs of a local MAC not advertised because the MAC already has MAX_IPS_PER_MAC. */
  macIpsRefused: number;
}

/** MAC+IP routes per local MAC at most (IPv4 + link-local + global IPv6 addresses of a host fit). */
export const MAX_IPS_PER_MAC = 8;
/** Pending FDB installs retried per retryPending() call by default. */
export const RETRY_BUDGET = 256;
/** One log line per event kind per this many milliseconds at most. */
const LOG_INTERVAL_MS = 10_000;

export interface EvpnManagerOptions {
  speaker: EvpnSpeaker;
  instances?: readonly EvpnInstanceConfig[];
  fdb: FdbPort;
  routes: RouteSink;
  /** Monotonic milliseconds (injected in tests). Default performance.now. */
  clock?: () => number;
  /** RFC 7432 §15.1; false turns detection off. */
  duplicateDetection?: Partial<DuplicateDetection> | false;
  log?: (event: EvpnLogEvent) => void;
}

interface RemoteClaim extends MobilityClaim {
  key: string;
}

interface NeighborClaim extends MobilityClaim {
  mac: string;
}

interface LocalAdvert {
  seq: number;
  /** Our routes for the MAC: '' = the MAC-only route, else one per IP. */
  routes: Map<string, Route>;
}

/**
 * A MAC's remote claims, one per route key: none, one (nearly always: a
 * MAC behind one VTEP), or an array only while there are two or more. An
 * array per MAC cost about 56 bytes per route at 1M routes (docs/memory.md).
 */
type Claims = RemoteClaim | RemoteClaim[] | null;

interface MacState {
  /** The MAC's key (mac-key.ts), also its key in InstanceState.macs; macKeyText() gives the text. */
  mac: string;
  remote: Claims;
  /** The dataplane has the MAC on a local port (with the IPs seen), or null. */
  seen: Set<string> | null;
  /** What we advertise for it, or null. */
  local: LocalAdvert | null;
  /** The remote entry the FDB was given, or null. */
  installed: MobilityClaim | null;
  /** 'local' or a VTEP: the last location, for counting moves. */
  location: string | null;
  /** Recent moves and the duplicate flag (RFC 7432 §15.1), created on the first move. */
  moves: MoveHistory | null;
}

interface MoveHistory {
  /** Times of recent moves, oldest first. */
  times: number[];
  /** Declared duplicate: nothing changes until an operator clears it. */
  frozen: boolean;
}

interface InstanceState {
  inst: EvpnInstance;
  /** Our VTEP (the underlay) is IPv4. */
  v4: boolean;
  type3: Route | null;
  /** By MAC key (mac-key.ts). */
  macs: Map<string, MacState>;
  flood: Map<string, string>;
  floodCount: Map<string, number>;
  neighbors: Map<string, Map<string, NeighborClaim>>;
  installedNeighbors: Map<string, string>;
}

const LOCAL = 'local';
const NO_STATES: InstanceState[] = [];

/** The key of a MAC given as text by the dataplane or an operator, or null when it is not a MAC. */
function keyOf(text: string): string | null {
  return isMac(text) ? macKey(text) : null;
}

function bestClaim(claims: Claims): RemoteClaim | undefined {
  if (claims === null) return undefined;
  return Array.isArray(claims) ? winner(claims) : claims;
}

/** `claims` with `claim` added, or put in place of the claim of the same route key. */
function withClaim(claims: Claims, claim: RemoteClaim): Claims {
  if (claims === null) return claim;
  if (!Array.isArray(claims)) return claims.key === claim.key ? claim : [claims, claim];
  const i = claims.findIndex((c) => c.key === claim.key);
  if (i >= 0) claims[i] = claim;
  else claims.push(claim);
  return claims;
}

/** `claims` without the claim of route key `key`, or undefined when there is none. */
function withoutClaim(claims: Claims, key: string): Claims | undefined {
  if (claims === null) return undefined;
  if (!Array.isArray(claims)) return claims.key === key ? null : undefined;
  const i = claims.findIndex((c) => c.key === key);
  if (i < 0) return undefined;
  if (claims.length === 2) return claims[1 - i]!;
  claims.splice(i, 1);
  return claims;
}

function isFrozen(m: MacState): boolean {
  return m.moves !== null && m.moves.frozen;
}

function sameClaim(a: MobilityClaim | null, b: MobilityClaim): boolean {
  return a !== null && a.vtep === b.vtep && a.seq === b.seq && a.sticky === b.sticky;
}

export class EvpnManager {
  private readonly speaker: EvpnSpeaker;
  private readonly fdb: FdbPort;
  private readonly sink: RouteSink;
  private readonly clock: () => number;
  private readonly dup: DuplicateDetection | null;
  private readonly log: (event: EvpnLogEvent) => void;
  private readonly byVni = new Map<number, InstanceState>();
  private readonly rtIndex = new RtIndex<InstanceState>();
  /** Our VTEP addresses: a route of ours that comes back is never imported. */
  private readonly ownVteps = new Set<string>();
  private matchCache = new WeakMap<readonly PathAttribute[], InstanceState[]>();
  private readonly mobilityCache = new WeakMap<readonly PathAttribute[], { seq: number; sticky: boolean }>();
  private nextIndex = 1;
  private started = false;
  /** MACs whose install the FDB refused for lack of room, oldest first. */
  private readonly pending = new Map<MacState, InstanceState>();
  /** Set by install() when the FDB refuses (stops a retry round). */
  private refusedNow = false;
  private readonly stats = { vtepFamilyRefused: 0, installsRefused: 0, macIpsRefused: 0 };
  /** Per log event kind: when the last line went out, and refusals since. */
  private readonly logGate = new Map<string, { last: number; refused: number }>();

  constructor(options: EvpnManagerOptions) {
    this.speaker = options.speaker;
    this.fdb = options.fdb;
    this.sink = options.routes;
    this.clock = options.clock ?? (() => performance.now());
    this.dup = options.duplicateDetection === false ? null : { ...DEFAULT_DUPLICATE_DETECTION, ...options.duplicateDetection };
    this.log = options.log ?? (() => {});
    this.ownVteps.add(formatIp(parseIp(options.speaker.vtep)));
    for (const c of options.instances ?? []) this.addInstance(c);
  }

  // ------------------------------------------------------------ instances

  /**
   * Add an instance (config load or reload). Once started, its Type 3 is
   * announced at once; `existing` (the Loc-RIB's EVPN best paths) is run
   * through import so routes already known reach the new VNI.
   */
  addInstance(config: EvpnInstanceConfig, existing: Iterable<Route> = []): EvpnInstance {
    if (this.byVni.has(config.vni)) throw new TypeError(`VNI ${config.vni}: configured twice`);
    const inst = new EvpnInstance(config, this.speaker, this.nextIndex++);
    const s: InstanceState = {
      inst,
      v4: isIPv4(inst.vtep),
      type3: null,
      macs: new Map(),
      flood: new Map(),
      floodCount: new Map(),
      neighbors: new Map(),
      installedNeighbors: new Map(),
    };
    this.byVni.set(inst.vni, s);
    this.ownVteps.add(inst.vtep);
    for (const m of inst.importRts) this.rtIndex.add(m, s);
    this.matchCache = new WeakMap();
    if (this.started) this.announceType3(s);
    for (const r of existing) if (r.peer !== null && r.family === 'l2vpn-evpn') this.importRoute(r, null);
    return inst;
  }

  /** Remove an instance: withdraw its routes, empty its FDB entries, flood list and neighbors. */
  removeInstance(vni: number): void {
    const s = this.byVni.get(vni);
    if (s === undefined) return;
    this.byVni.delete(vni);
    for (const m of s.inst.importRts) this.rtIndex.remove(m, s);
    this.matchCache = new WeakMap();
    if (s.type3 !== null) this.sink.withdraw(s.type3);
    s.type3 = null;
    for (const m of s.macs.values()) {
      this.pending.delete(m);
      if (m.local !== null) for (const r of m.local.routes.values()) this.sink.withdraw(r);
      if (m.installed !== null) this.fdb.removeRemote(vni, macKeyText(m.mac), m.installed.vtep);
    }
    s.macs.clear();
    if (s.floodCount.size > 0) this.fdb.setFloodList(vni, []);
    for (const ip of s.installedNeighbors.keys()) this.fdb.removeRemoteNeighbor(vni, ip);
  }

  instance(vni: number): EvpnInstance | undefined {
    return this.byVni.get(vni)?.inst;
  }

  instances(): EvpnInstance[] {
    return [...this.byVni.values()].map((s) => s.inst);
  }

  /** Announce every instance's Type 3 (once the speaker is ready for routes). */
  start(): void {
    if (this.started) return;
    this.started = true;
    for (const s of this.byVni.values()) this.announceType3(s);
  }

  private announceType3(s: InstanceState): void {
    s.type3 = s.inst.inclusiveMulticast(this.clock());
    this.sink.announce(s.type3);
  }

  /** Every route we originate now (Type 3s and Type 2s). */
  *originated(): IterableIterator<Route> {
    for (const s of this.byVni.values()) {
      if (s.type3 !== null) yield s.type3;
      for (const m of s.macs.values()) if (m.local !== null) yield* m.local.routes.values();
    }
  }

  // ------------------------------------------------------------ import

  /** Follow the Loc-RIB (subscribe this, or call it with each change, in order). */
  onLocRibChange(change: LocRibChange): void {
    if (change.family !== 'l2vpn-evpn') return;
    const previous = change.previous !== null && change.previous.peer !== null ? change.previous : null;
    if (change.type === 'best' && change.route.peer !== null) this.importRoute(change.route, previous);
    else if (previous !== null) this.unimport(previous);
  }

  private matches(attributes: readonly PathAttribute[]): InstanceState[] {
    let hit = this.matchCache.get(attributes);
    if (hit === undefined) {
      const rts = routeTargetsOf(attributes);
      hit = rts.length === 0 ? NO_STATES : this.rtIndex.match(rts);
      this.matchCache.set(attributes, hit);
    }
    return hit;
  }

  private mobility(attributes: readonly PathAttribute[]): { seq: number; sticky: boolean } {
    let hit = this.mobilityCache.get(attributes);
    if (hit === undefined) {
      hit = mobilityOf(attributes);
      this.mobilityCache.set(attributes, hit);
    }
    return hit;
  }

  /** `route` is the new best path of its key; `old` the previous one (from a peer), if any. */
  // A packed route's `nlri` is decoded from its key on every read
  // (packed-route.ts): each change reads it once and passes the route on.
  private importRoute(route: Route, old: Route | null): void {
    const n = route.nlri;
    if (n.family !== 'l2vpn-evpn') return;
    const r = n.nlri.route;
    if (r.type !== 2 && r.type !== 3) return;
    const states = this.matches(route.attributes);
    if (old !== null) {
      let oldRoute: EvpnRoute | null = null;
      for (const s of this.matches(old.attributes)) {
        if (states.includes(s)) continue;
        oldRoute ??= evpnRouteOf(old);
        if (oldRoute !== null) this.remove(s, old, oldRoute);
      }
    }
    for (const s of states) this.upsert(s, route, r);
  }

  private unimport(old: Route): void {
    const states = this.matches(old.attributes);
    if (states.length === 0) return;
    const r = evpnRouteOf(old);
    if (r !== null) for (const s of states) this.remove(s, old, r);
  }

  private upsert(s: InstanceState, route: Route, r: EvpnRoute): void {
    if (r.type === 3) this.upsertType3(s, route.key, r.originatorIp, route.attributes);
    else if (r.type === 2) this.upsertType2(s, route, r);
  }

  private remove(s: InstanceState, route: Route, r: EvpnRoute): void {
    if (r.type === 3) this.removeType3(s, route.key);
    else if (r.type === 2) this.removeType2(s, route.key, r);
  }

  // ---- Type 3: flood list

  private upsertType3(s: InstanceState, key: string, originatorIp: string, attributes: readonly PathAttribute[]): void {
    let ir = false;
    for (const a of attributes) if (a.type === 'pmsi-tunnel') ir = a.value.tunnelType === 6;
    const vtep = formatIp(parseIp(originatorIp));
    if (!this.sameFamily(s, vtep, 3)) {
      this.removeType3(s, key);
      return;
    }
    // No ingress-replication PMSI: "no flooding to me" (FRR since 4.x); a
    // replacement without one takes the VTEP out again.
    if (!ir || this.ownVteps.has(vtep)) {
      this.removeType3(s, key);
      return;
    }
    const previous = s.flood.get(key);
    if (previous === vtep) return;
    s.flood.set(key, vtep);
    let changed = this.countVtep(s, vtep, 1);
    if (previous !== undefined) changed = this.countVtep(s, previous, -1) || changed;
    if (changed) this.pushFloodList(s);
  }

  private removeType3(s: InstanceState, key: string): void {
    const previous = s.flood.get(key);
    if (previous === undefined) return;
    s.flood.delete(key);
    if (this.countVtep(s, previous, -1)) this.pushFloodList(s);
  }

  /** Change a VTEP's Type 3 count; true when it joined or left the flood list. */
  private countVtep(s: InstanceState, vtep: string, delta: number): boolean {
    const n = (s.floodCount.get(vtep) ?? 0) + delta;
    if (n <= 0) {
      s.floodCount.delete(vtep);
      return true;
    }
    s.floodCount.set(vtep, n);
    return n === 1 && delta > 0;
  }

  private pushFloodList(s: InstanceState): void {
    this.fdb.setFloodList(s.inst.vni, [...s.floodCount.keys()].sort(compareIp));
  }

  // ---- Type 2: MACs and neighbors

  private upsertType2(s: InstanceState, route: Route, r: MacIpAdvertisementRoute): void {
    const vtep = route.nextHop;
    if (this.ownVteps.has(vtep)) return;
    if (!this.sameFamily(s, vtep, 2)) {
      // A replacement from an unusable VTEP takes the key's earlier claim out.
      this.removeType2(s, route.key, r);
      return;
    }
    // No Buffer per route: the key is read from the text (mac-key.ts).
    const mac = macKey(r.mac);
    if (isGroupMacKey(mac)) {
      this.log({ event: 'group-mac-ignored', vni: s.inst.vni, mac: r.mac, source: 'remote' });
      return;
    }
    const { seq, sticky } = this.mobility(route.attributes);
    const m = this.mac(s, mac, true)!;
    m.remote = withClaim(m.remote, { key: route.key, vtep, seq, sticky });
    if (r.ip !== undefined && s.inst.arpSuppression) this.upsertNeighbor(s, r.ip, route.key, { mac: r.mac, vtep, seq, sticky });
    this.reconcile(s, m);
  }

  private removeType2(s: InstanceState, key: string, r: MacIpAdvertisementRoute): void {
    const m = s.macs.get(macKey(r.mac));
    const remaining = m === undefined ? undefined : withoutClaim(m.remote, key);
    if (m === undefined || remaining === undefined) return;
    m.remote = remaining;
    if (r.ip !== undefined && s.inst.arpSuppression) this.removeNeighbor(s, r.ip, key);
    this.reconcile(s, m);
  }

  /** True when `vtep` is of the underlay's family; else counted and logged (rate-limited). */
  private sameFamily(s: InstanceState, vtep: string, routeType: 2 | 3): boolean {
    if (isIPv4(vtep) === s.v4) return true;
    this.stats.vtepFamilyRefused++;
    const refused = this.gate('vtep-family-refused');
    if (refused > 0) {
      const vni = s.inst.vni;
      const message = `VNI ${vni}: Type ${routeType} route with VTEP ${vtep} refused: not reachable over our IPv${s.v4 ? 4 : 6} underlay (${refused} refused since the last report)`;
      this.log({ event: 'vtep-family-refused', vni, vtep, routeType, refused, message });
    }
    return false;
  }

  /**
   * Count one occurrence of a rate-limited log event; returns how many
   * occurred since the last line when a line is due now, else 0.
   */
  private gate(kind: string): number {
    const now = this.clock();
    let g = this.logGate.get(kind);
    if (g === undefined) {
      g = { last: -Infinity, refused: 0 };
      this.logGate.set(kind, g);
    }
    g.refused++;
    if (now - g.last < LOG_INTERVAL_MS) return 0;
    const n = g.refused;
    g.last = now;
    g.refused = 0;
    return n;
  }

  private upsertNeighbor(s: InstanceState, ip: string, key: string, claim: NeighborClaim): void {
    let claims = s.neighbors.get(ip);
    if (claims === undefined) {
      claims = new Map();
      s.neighbors.set(ip, claims);
    }
    claims.set(key, claim);
    this.pushNeighbor(s, ip, claims);
  }

  private removeNeighbor(s: InstanceState, ip: string, key: string): void {
    const claims = s.neighbors.get(ip);
    if (claims === undefined || !claims.delete(key)) return;
    if (claims.size === 0) s.neighbors.delete(ip);
    this.pushNeighbor(s, ip, claims);
  }

  private pushNeighbor(s: InstanceState, ip: string, claims: Map<string, NeighborClaim>): void {
    const best = winner(claims.values());
    const installed = s.installedNeighbors.get(ip);
    if (best === undefined) {
      if (installed !== undefined) {
        s.installedNeighbors.delete(ip);
        this.fdb.removeRemoteNeighbor(s.inst.vni, ip);
      }
      return;
    }
    if (installed === best.mac) return;
    s.installedNeighbors.set(ip, best.mac);
    this.fdb.addRemoteNeighbor(s.inst.vni, ip, best.mac);
  }

  private mac(s: InstanceState, mac: string, create: boolean): MacState | undefined {
    let m = s.macs.get(mac);
    if (m === undefined && create) {
      m = { mac, remote: null, seen: null, local: null, installed: null, location: null, moves: null };
      s.macs.set(mac, m);
    }
    return m;
  }

  // ------------------------------------------------------------ local events

  /** The dataplane learned `mac` on a local port of `vni` (with `ip` when ARP/ND snooping saw it). */
  localLearned(vni: number, mac: string, ip?: string): void {
    const s = this.byVni.get(vni);
    if (s === undefined) return;
    const key = keyOf(mac);
    if (key === null) return;
    if (isGroupMacKey(key)) {
      // Never advertise a group MAC (goplane advertised 33:33:...).
      this.log({ event: 'group-mac-ignored', vni, mac: macKeyText(key), source: 'local' });
      return;
    }
    const m = this.mac(s, key, true)!;
    if (m.seen === null) m.seen = new Set();
    if (ip !== undefined && isIp(ip)) {
      const text = formatIp(parseIp(ip));
      if (m.seen.has(text) || m.seen.size < MAX_IPS_PER_MAC) m.seen.add(text);
      else this.refuseIp(vni, macKeyText(key), text);
    }
    this.reconcile(s, m);
  }

  private refuseIp(vni: number, mac: string, ip: string): void {
    this.stats.macIpsRefused++;
    const refused = this.gate('mac-ip-limit');
    if (refused === 0) return;
    const message = `VNI ${vni}: MAC ${mac} already has ${MAX_IPS_PER_MAC} IPs advertised; ${ip} not advertised (${refused} refused since the last report)`;
    this.log({ event: 'mac-ip-limit', vni, mac, ip, refused, message });
  }

  /** The dataplane's local entry for `mac` aged out (or its port went down). */
  localAged(vni: number, mac: string): void {
    const s = this.byVni.get(vni);
    const key = keyOf(mac);
    if (s === undefined || key === null) return;
    const m = s.macs.get(key);
    if (m === undefined || m.seen === null) return;
    m.seen = null;
    this.reconcile(s, m);
  }

  // ------------------------------------------------------------ decisions

  /**
   * Bring one MAC's advertisements and FDB entry in line with its claims
   * (RFC 7432 §15). Nothing changes while the MAC is frozen as a duplicate.
   */
  private reconcile(s: InstanceState, m: MacState): void {
    if (isFrozen(m)) return;
    // Decided afresh below; install() queues it again if the FDB still has no room.
    this.pending.delete(m);
    const vni = s.inst.vni;
    const best = bestClaim(m.remote);
    if (m.seen !== null) {
      if (m.local !== null) {
        const ours: MobilityClaim = { vtep: s.inst.vtep, seq: m.local.seq, sticky: false };
        if (best !== undefined && beats(best, ours)) {
          // The host moved to another VTEP (a higher sequence number, or
          // the same one from a lower VTEP IP): ours goes, theirs is used.
          m.seen = null;
          this.withdrawLocal(m);
          this.install(s, m, best);
          this.moved(vni, m, best.vtep);
        } else {
          this.advertiseIps(s, m, m.local);
        }
      } else if (best !== undefined && best.sticky) {
        // RFC 7432 §15.2: a sticky MAC does not move here; keep the remote entry.
        this.log({ event: 'sticky-conflict', vni, mac: macKeyText(m.mac), vtep: best.vtep });
        m.seen = null;
        m.installed = null;
        this.install(s, m, best);
      } else {
        // Learned here: take it over with max(seq) + 1 (§15.1). The
        // dataplane already replaced any remote entry with the local one.
        const others = m.remote === null ? [] : Array.isArray(m.remote) ? m.remote : [m.remote];
        const local: LocalAdvert = { seq: others.length > 0 ? takeOverSequence(others) : 0, routes: new Map() };
        m.local = local;
        m.installed = null;
        this.advertiseIps(s, m, local);
        this.moved(vni, m, LOCAL);
      }
    } else {
      if (m.local !== null) this.withdrawLocal(m);
      if (best !== undefined) {
        this.install(s, m, best);
        this.moved(vni, m, best.vtep);
      } else {
        if (m.installed !== null) {
          const vtep = m.installed.vtep;
          m.installed = null;
          this.fdb.removeRemote(vni, macKeyText(m.mac), vtep);
        }
        m.location = null;
      }
    }
    this.forgetIfIdle(s, m);
  }

  private advertiseIps(s: InstanceState, m: MacState, local: LocalAdvert): void {
    const mobility = { seq: local.seq, sticky: false };
    const now = this.clock();
    const mac = macKeyText(m.mac);
    if (!local.routes.has('')) {
      const r = s.inst.macIp(mac, undefined, mobility, now);
      local.routes.set('', r);
      this.sink.announce(r);
    }
    for (const ip of m.seen ?? []) {
      if (local.routes.has(ip)) continue;
      const r = s.inst.macIp(mac, ip, mobility, now);
      local.routes.set(ip, r);
      this.sink.announce(r);
    }
  }

  private withdrawLocal(m: MacState): void {
    const local = m.local;
    if (local === null) return;
    m.local = null;
    for (const r of local.routes.values()) this.sink.withdraw(r);
  }

  private install(s: InstanceState, m: MacState, claim: MobilityClaim): void {
    if (sameClaim(m.installed, claim)) return;
    const previous = m.installed;
    m.installed = claim; // claims are never mutated, only replaced
    const vni = s.inst.vni;
    if (this.fdb.addRemote(vni, macKeyText(m.mac), claim.vtep, { seq: claim.seq, sticky: claim.sticky }) !== false) return;
    // No room: the FDB still holds what it held before. Keep the MAC pending
    // (at the back of the queue) and say so, rate-limited.
    m.installed = previous;
    this.pending.delete(m);
    this.pending.set(m, s);
    this.refusedNow = true;
    this.stats.installsRefused++;
    const refused = this.gate('fdb-install-pending');
    if (refused > 0) {
      const mac = macKeyText(m.mac);
      const message = `VNI ${vni}: no room in the FDB for MAC ${mac} behind ${claim.vtep}; ${this.pending.size} remote MAC(s) pending, retried as room frees (${refused} refused since the last report)`;
      this.log({ event: 'fdb-install-pending', vni, mac, pending: this.pending.size, refused, message });
    }
  }

  /**
   * Install again up to `budget` MACs the FDB had no room for, oldest first;
   * stops at the first refusal (the FDB is still full). Returns how many stay
   * pending. The daemon calls it once a second; cheap when nothing is pending.
   */
  retryPending(budget = RETRY_BUDGET): number {
    let n = 0;
    for (const [m, s] of this.pending) {
      if (n++ >= budget) break;
      this.pending.delete(m);
      if (this.byVni.get(s.inst.vni) !== s) continue;
      this.refusedNow = false;
      this.reconcile(s, m);
      if (this.refusedNow) break;
    }
    return this.pending.size;
  }

  /** Remote MACs waiting for room in the FDB: VNI, MAC and the VTEP they belong behind. */
  pendingInstalls(): Array<{ vni: number; mac: string; vtep: string }> {
    const out: Array<{ vni: number; mac: string; vtep: string }> = [];
    for (const [m, s] of this.pending) {
      const best = bestClaim(m.remote);
      if (best !== undefined) out.push({ vni: s.inst.vni, mac: macKeyText(m.mac), vtep: best.vtep });
    }
    return out;
  }

  counters(): EvpnCounters {
    return { ...this.stats, pendingInstalls: this.pending.size };
  }

  /** Count a change of location (RFC 7432 §15.1) and freeze the MAC after too many. */
  private moved(vni: number, m: MacState, location: string): void {
    const from = m.location;
    m.location = location;
    if (from === null || from === location || this.dup === null) return;
    m.moves ??= { times: [], frozen: false };
    if (recordMove(m.moves.times, this.clock(), this.dup)) {
      m.moves.frozen = true;
      this.log({ event: 'duplicate-mac', vni, mac: macKeyText(m.mac), moves: m.moves.times.length, windowMs: this.dup.windowMs });
    }
  }

  /**
   * A MAC with nothing left (not local, no remote claim, nothing installed)
   * is forgotten, move history included: its location is already unset, so
   * a later appearance does not count as a move anyway, and the state stays
   * bounded by the MACs that exist.
   */
  private forgetIfIdle(s: InstanceState, m: MacState): void {
    if (m.seen !== null || m.local !== null || m.installed !== null || m.remote !== null || isFrozen(m)) return;
    s.macs.delete(m.mac);
  }

  // ------------------------------------------------------------ operator view

  /** MACs frozen by duplicate detection. */
  duplicates(): Array<{ vni: number; mac: string }> {
    const out: Array<{ vni: number; mac: string }> = [];
    for (const s of this.byVni.values()) for (const m of s.macs.values()) if (isFrozen(m)) out.push({ vni: s.inst.vni, mac: macKeyText(m.mac) });
    return out;
  }

  /** The corrective action of RFC 7432 §15.1: unfreeze and bring the MAC up to date. */
  clearDuplicate(vni: number, mac: string): boolean {
    const s = this.byVni.get(vni);
    const key = keyOf(mac);
    const m = s === undefined || key === null ? undefined : s.macs.get(key);
    if (s === undefined || m === undefined || !isFrozen(m)) return false;
    m.moves = null;
    this.reconcile(s, m);
    return true;
  }

  /** The flood list pushed for `vni` (sorted). */
  floodList(vni: number): string[] {
    const s = this.byVni.get(vni);
    return s === undefined ? [] : [...s.floodCount.keys()].sort(compareIp);
  }

  /** What the FDB was told about a MAC: remote (VTEP, sequence, sticky), local (our sequence), or nothing. */
  macState(vni: number, mac: string): { where: 'remote'; vtep: string; seq: number; sticky: boolean } | { where: 'local'; seq: number; ips: string[] } | null {
    const key = keyOf(mac);
    const m = key === null ? undefined : this.byVni.get(vni)?.macs.get(key);
    if (m === undefined) return null;
    if (m.local !== null) return { where: 'local', seq: m.local.seq, ips: [...m.local.routes.keys()].filter((k) => k !== '') };
    if (m.installed !== null) return { where: 'remote', vtep: m.installed.vtep, seq: m.installed.seq, sticky: m.installed.sticky };
    return null;
  }

  /** Number of MACs with state in `vni` (or all). */
  macCount(vni?: number): number {
    if (vni !== undefined) return this.byVni.get(vni)?.macs.size ?? 0;
    let n = 0;
    for (const s of this.byVni.values()) n += s.macs.size;
    return n;
  }
}
