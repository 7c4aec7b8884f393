// FRR 8.4 peers for interop tests: zebra + bgpd inside a Topology
// namespace, config builders for a route reflector and a kernel VTEP, and
// parsed views of what FRR and the kernel hold (vtysh JSON, `bridge -j fdb`).
//
// The recipe, tested on this machine:
// one pathspace per instance (`-N`), only zebra and bgpd, `-P 0` (no TCP
// vty), `-f` per-daemon config in a temp dir owned by user frr (the daemons
// drop to it and write their logs there). The daemons run in the foreground
// as children of the Topology (no -d): their PIDs are known at once, the
// Topology kills them in destroy() and in its exit hook, and a cleanup
// registered with it removes /var/run/frr/<pathspace> (the daemons create
// it; it is the one thing they leave outside the namespace and the temp dir).
//
// Every wait is bounded; every command has a timeout (netns.ts exec).

import type { ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exec, needsRoot, run, waitFor, type HostOptions, type KernelVtep, type Topology } from './netns.js';

/** Where the Debian package puts the daemons. */
export const FRR_BIN = '/usr/lib/frr';
/** FRR's state directory; `-N ps` puts sockets and pid files in <FRR_RUN>/<ps>/. */
export const FRR_RUN = '/var/run/frr';

/** Why an FRR test must be skipped (not root, FRR not installed), or false. */
export function frrMissing(): string | false {
  if (needsRoot) return needsRoot;
  for (const f of [path.join(FRR_BIN, 'zebra'), path.join(FRR_BIN, 'bgpd'), '/usr/bin/vtysh']) {
    if (!existsSync(f)) return `needs FRR (${f} missing)`;
  }
  return false;
}

// ---------------------------------------------------------------- config builders

export interface FrrNeighbor {
  address: string;
  /** Default: the router's own AS (iBGP). */
  remoteAs?: number;
  /** Only wait for the peer to connect (`neighbor X passive`). */
  passive?: boolean;
  /** ConnectRetry in seconds (`neighbor X timers connect N`; datacenter default 10). */
  connectRetryS?: number;
  /** Source address of the session (`neighbor X update-source A`). */
  updateSource?: string;
  /** RR only (default true there): `route-reflector-client` in l2vpn evpn. */
  routeReflectorClient?: boolean;
}

export interface FrrTimers {
  /** Keepalive and hold time in seconds (`timers bgp K H`; datacenter defaults 3 and 9). */
  keepaliveS: number;
  holdS: number;
}

export interface FrrRouteReflectorOptions {
  hostname?: string;
  as: number;
  routerId: string;
  /** Default: the router id. */
  clusterId?: string;
  /**
   * Dynamic neighbors: every connection from this prefix joins a passive
   * iBGP peer-group of route-reflector clients (`bgp listen range`). The RR
   * never dials them: they must connect.
   */
  listenRange?: string;
  /** Static neighbors (route-reflector clients unless routeReflectorClient: false). */
  neighbors?: FrrNeighbor[];
  timers?: FrrTimers;
  /** Extra lines inside `router bgp` (before the address family). */
  extra?: string[];
}

/** The dynamic peer-group name of routeReflectorConfig. */
export const RR_PEER_GROUP = 'VTEPS';

function neighborLines(n: FrrNeighbor, as: number): string[] {
  const lines = [` neighbor ${n.address} remote-as ${n.remoteAs ?? as}`];
  if (n.passive) lines.push(` neighbor ${n.address} passive`);
  if (n.connectRetryS !== undefined) lines.push(` neighbor ${n.address} timers connect ${n.connectRetryS}`);
  if (n.updateSource !== undefined) lines.push(` neighbor ${n.address} update-source ${n.updateSource}`);
  return lines;
}

/**
 * bgpd.conf of an EVPN route reflector (README §a, "RR bgpd.conf"):
 * `frr defaults datacenter` first (hold 9, keepalive 3, no eBGP policy
 * requirement), no IPv4 unicast, l2vpn evpn activated for every neighbor.
 */
export function routeReflectorConfig(o: FrrRouteReflectorOptions): string {
  const lines = ['frr defaults datacenter', `hostname ${o.hostname ?? 'rr'}`, 'log timestamp precision 3', '!'];
  lines.push(`router bgp ${o.as}`, ` bgp router-id ${o.routerId}`, ` bgp cluster-id ${o.clusterId ?? o.routerId}`);
  lines.push(' no bgp default ipv4-unicast', ' bgp log-neighbor-changes');
  if (o.timers) lines.push(` timers bgp ${o.timers.keepaliveS} ${o.timers.holdS}`);
  if (o.listenRange !== undefined) {
    lines.push(` neighbor ${RR_PEER_GROUP} peer-group`, ` neighbor ${RR_PEER_GROUP} remote-as ${o.as}`);
    lines.push(` bgp listen range ${o.listenRange} peer-group ${RR_PEER_GROUP}`);
  }
  for (const n of o.neighbors ?? []) lines.push(...neighborLines(n, o.as));
  for (const x of o.extra ?? []) lines.push(` ${x}`);
  lines.push(' !', ' address-family l2vpn evpn');
  if (o.listenRange !== undefined) {
    lines.push(`  neighbor ${RR_PEER_GROUP} activate`, `  neighbor ${RR_PEER_GROUP} route-reflector-client`);
  }
  for (const n of o.neighbors ?? []) {
    lines.push(`  neighbor ${n.address} activate`);
    if (n.routeReflectorClient ?? true) lines.push(`  neighbor ${n.address} route-reflector-client`);
  }
  lines.push(' exit-address-family', 'exit', '!', '');
  return lines.join('\n');
}

export interface FrrVni {
  vni: number;
  rd?: string;
  /** `route-target import X` lines (e.g. "*:100" to import any AS's RT for VNI 100). */
  importRts?: string[];
  exportRts?: string[];
}

export interface FrrVtepOptions {
  hostname?: string;
  as: number;
  /** Also the VTEP address FRR advertises (the vxlan device's `local`). */
  routerId: string;
  /** Usually the route reflector; remote-as defaults to `as`. */
  neighbors: FrrNeighbor[];
  timers?: FrrTimers;
  /** Per-VNI settings (`vni N` blocks under l2vpn evpn); without them FRR derives RD and RT itself. */
  vnis?: FrrVni[];
  /** Extra lines inside `address-family l2vpn evpn`. */
  extraEvpn?: string[];
}

/**
 * bgpd.conf of a VTEP (README §a, "VTEP bgpd.conf"): advertise-all-vni makes
 * bgpd originate a Type 3 per VNI zebra knows from the kernel's vxlan
 * devices, and a Type 2 per MAC the bridge learns on a local port. FRR
 * derives RD <router-id>:<n> and RT <AS>:<VNI> unless `vnis` says otherwise.
 */
export function vtepConfig(o: FrrVtepOptions): string {
  const lines = ['frr defaults datacenter', `hostname ${o.hostname ?? 'vtep'}`, 'log timestamp precision 3', '!'];
  lines.push(`router bgp ${o.as}`, ` bgp router-id ${o.routerId}`, ' no bgp default ipv4-unicast', ' bgp log-neighbor-changes');
  if (o.timers) lines.push(` timers bgp ${o.timers.keepaliveS} ${o.timers.holdS}`);
  for (const n of o.neighbors) lines.push(...neighborLines(n, o.as));
  lines.push(' !', ' address-family l2vpn evpn');
  for (const n of o.neighbors) lines.push(`  neighbor ${n.address} activate`);
  lines.push('  advertise-all-vni');
  for (const v of o.vnis ?? []) {
    lines.push(`  vni ${v.vni}`);
    if (v.rd !== undefined) lines.push(`   rd ${v.rd}`);
    for (const rt of v.importRts ?? []) lines.push(`   route-target import ${rt}`);
    for (const rt of v.exportRts ?? []) lines.push(`   route-target export ${rt}`);
    lines.push('  exit-vni');
  }
  for (const x of o.extraEvpn ?? []) lines.push(`  ${x}`);
  lines.push(' exit-address-family', 'exit', '!', '');
  return lines.join('\n');
}

export interface FrrVtepDataplaneOptions {
  /** The VTEP's namespace (its underlay address already configured). */
  ns: string;
  vni: number;
  /** Tunnel source = the VTEP address FRR advertises (its router id). */
  local: string;
  /** UDP port (default 4789). */
  dstport?: number;
  hosts?: HostOptions[];
  /** Bridge port option neigh_suppress (default off). */
  neighSuppress?: boolean;
}

/**
 * The kernel side of an FRR VTEP (README §a, "VTEP dataplane"): a vxlan
 * device with `nolearning` on a bridge, bridge-port learning off (so every
 * remote entry comes from zebra, as `extern_learn`), and hosts behind the
 * bridge.
 */
export async function frrVtepDataplane(topo: Topology, o: FrrVtepDataplaneOptions): Promise<KernelVtep> {
  const vtep = await topo.kernelVtep({
    ns: o.ns,
    vni: o.vni,
    local: o.local,
    dstport: o.dstport ?? 4789,
    learning: false,
    hosts: o.hosts ?? [],
  });
  const suppress = o.neighSuppress ? 'on' : 'off';
  await run(null, 'bridge', '-n', o.ns, 'link', 'set', 'dev', vtep.vxlan, 'learning', 'off', 'neigh_suppress', suppress);
  return vtep;
}

// ---------------------------------------------------------------- parsed views

/** One path of `show bgp l2vpn evpn route detail json`, flattened. */
export interface FrrEvpnPath {
  /** "10.214.0.1:2" (FRR's text form). */
  rd: string;
  /** FRR's prefix form: "[2]:[0]:[48]:[02:00:00:00:03:03]", "[2]:[0]:[48]:[mac]:[32]:[ip]", "[3]:[0]:[32]:[10.214.0.30]". */
  prefix: string;
  routeType: number;
  ethTag: number;
  /** Type 2. */
  mac?: string;
  /** Type 2 with IP, and Type 3 (the originating router's IP). */
  ip?: string;
  /** Type 3: the originating router's IP of the NLRI (RFC 7432 §7.3), the IP that becomes the flood target. */
  originatorIp?: string;
  /** The first next hop. */
  nextHop?: string;
  /** ORIGINATOR_ID attribute (set by a route reflector). */
  originatorId?: string;
  clusterList?: string[];
  /** FRR's text, e.g. "RT:65000:100 ET:8". */
  extendedCommunities: string;
  /** Type 3 received with a PMSI tunnel attribute. */
  pmsiTunnelType?: string;
  pmsiLabel?: number;
  /** FRR's "VNI" of a Type 2 (label 1 as a 24-bit VNI) and of local Type 3s. */
  vni?: number;
  bestpath: boolean;
  valid: boolean;
  /** The peer the path came from ("0.0.0.0" for local routes). */
  peerId?: string;
  local: boolean;
  origin?: string;
  localPref?: number;
  /** "Local" for an empty AS_PATH, else "65001 65002". */
  asPath?: string;
}

/** One neighbor in `show bgp summary json` (every family FRR lists). */
export interface FrrSummaryPeer {
  /** FRR's family key, e.g. "l2VpnEvpn". */
  family: string;
  address: string;
  /** "Established", "Active", "Connect", "Idle", "OpenSent", ... */
  state: string;
  remoteAs: number;
  dynamic: boolean;
  hostname?: string;
  prefixesReceived: number;
  prefixesSent: number;
  msgRcvd: number;
  msgSent: number;
}

/** What a test needs from `show bgp neighbors json` (raw keeps the rest). */
export interface FrrNeighborInfo {
  address: string;
  state: string;
  remoteAs: number;
  localAs: number;
  remoteRouterId?: string;
  hostLocal?: string;
  hostForeign?: string;
  portForeign?: number;
  holdTimeMs?: number;
  keepaliveMs?: number;
  connectionsEstablished: number;
  connectionsDropped: number;
  lastResetDueTo?: string;
  /** The last NOTIFICATION sent or received, e.g. "Hold Timer Expired", and its code+subcode in hex ("0400"). */
  lastNotificationReason?: string;
  lastErrorCodeSubcode?: string;
  messageStats: Record<string, number>;
  raw: Record<string, unknown>;
}

export interface FrrRemoteVtep {
  ip: string;
  /** From the text form: "HER" when FRR head-end replicates to it (a Type 3 with PMSI ingress replication arrived), "-" otherwise. */
  flood?: string;
}

export interface FrrEvpnVni {
  vni: number;
  type?: string;
  vxlanInterface?: string;
  vtepIp?: string;
  numMacs?: number;
  remoteVteps: FrrRemoteVtep[];
}

export interface FrrEvpnMac {
  mac: string;
  /** "local" or "remote". */
  type: string;
  remoteVtep?: string;
  intf?: string;
  localSequence?: number;
  remoteSequence?: number;
  isDuplicate?: boolean;
}

/** One line of `bridge -j fdb show dev X`. */
export interface FdbEntry {
  mac: string;
  /** Remote VTEP of a vxlan device entry. */
  dst?: string;
  /** e.g. ["self"], ["self", "extern_learn"], ["extern_learn"]. */
  flags: string[];
  /** "permanent", "static", "" ... */
  state: string;
  master?: string;
  vlan?: number;
}

/** `bridge -j fdb show dev <dev>` in ns, parsed. */
export async function kernelFdb(ns: string, dev: string): Promise<FdbEntry[]> {
  const out = await run(null, 'bridge', '-j', '-n', ns, 'fdb', 'show', 'dev', dev);
  const raw = JSON.parse(out.trim() || '[]') as Array<Record<string, unknown>>;
  return raw.map((e) => {
    const entry: FdbEntry = {
      mac: String(e['mac']).toLowerCase(),
      flags: Array.isArray(e['flags']) ? (e['flags'] as string[]) : [],
      state: typeof e['state'] === 'string' ? e['state'] : '',
    };
    if (typeof e['dst'] === 'string') entry.dst = e['dst'];
    if (typeof e['master'] === 'string') entry.master = e['master'];
    if (typeof e['vlan'] === 'number') entry.vlan = e['vlan'];
    return entry;
  });
}

/** The vxlan device's own entries toward remote VTEPs (`dst` set): MACs and the 00:00:00:00:00:00 flood entries. */
export function remoteFdb(entries: readonly FdbEntry[]): FdbEntry[] {
  return entries.filter((e) => e.dst !== undefined && e.flags.includes('self'));
}

/** The VTEPs a vxlan device head-end replicates BUM to: the dst of its all-zero MAC entries. */
export function floodTargets(entries: readonly FdbEntry[]): string[] {
  return remoteFdb(entries)
    .filter((e) => e.mac === '00:00:00:00:00:00')
    .map((e) => e.dst!)
    .sort();
}

// ---------------------------------------------------------------- JSON readers

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' ? x : undefined;
}

function num(x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  if (typeof x === 'string' && /^\d+$/.test(x)) return Number(x);
  return undefined;
}

/** Flatten `show bgp l2vpn evpn route detail json` (RD -> prefix -> paths[][]). */
export function parseEvpnRoutes(json: unknown): FrrEvpnPath[] {
  const out: FrrEvpnPath[] = [];
  if (!isObject(json)) return out;
  for (const [rdKey, rdValue] of Object.entries(json)) {
    if (!isObject(rdValue)) continue; // numPrefix, numPaths
    const rd = str(rdValue['rd']) ?? rdKey;
    for (const [prefixKey, entry] of Object.entries(rdValue)) {
      if (!isObject(entry) || !Array.isArray(entry['paths'])) continue;
      // FRR 8.4 prints paths as an array of arrays (one inner array per path).
      const paths = (entry['paths'] as unknown[]).flat().filter(isObject);
      for (const p of paths) out.push(flattenPath(rd, prefixKey, entry, p));
    }
  }
  return out;
}

function flattenPath(rd: string, prefixKey: string, entry: Json, p: Json): FrrEvpnPath {
  const routeType = num(entry['routeType']) ?? num(p['routeType']) ?? 0;
  const nexthops = Array.isArray(p['nexthops']) ? (p['nexthops'] as unknown[]).filter(isObject) : [];
  const best = p['bestpath'];
  const peer = isObject(p['peer']) ? p['peer'] : undefined;
  const path: FrrEvpnPath = {
    rd,
    prefix: str(entry['prefix']) ?? prefixKey,
    routeType,
    ethTag: num(entry['ethTag']) ?? 0,
    extendedCommunities: isObject(p['extendedCommunity']) ? (str(p['extendedCommunity']['string']) ?? '') : '',
    // The summary form has "bestpath": true; the detail form {"overall": true, ...}.
    bestpath: best === true || (isObject(best) && best['overall'] === true),
    valid: p['valid'] === true,
    local: p['local'] === true,
  };
  const mac = str(entry['mac']);
  if (mac !== undefined) path.mac = mac.toLowerCase();
  const ip = str(entry['ip']);
  if (ip !== undefined) path.ip = ip;
  if (routeType === 3 && ip !== undefined) path.originatorIp = ip;
  const nh = nexthops[0] !== undefined ? str(nexthops[0]['ip']) : undefined;
  if (nh !== undefined) path.nextHop = nh;
  const originatorId = str(p['originatorId']);
  if (originatorId !== undefined) path.originatorId = originatorId;
  if (isObject(p['clusterList']) && Array.isArray(p['clusterList']['list'])) {
    path.clusterList = (p['clusterList']['list'] as unknown[]).map(String);
  }
  if (isObject(p['pmsi'])) {
    const t = str(p['pmsi']['tunnelType']);
    if (t !== undefined) path.pmsiTunnelType = t;
    const l = num(p['pmsi']['label']);
    if (l !== undefined) path.pmsiLabel = l;
  }
  const vni = num(p['vni']) ?? num(p['VNI']);
  if (vni !== undefined) path.vni = vni;
  const peerId = peer !== undefined ? str(peer['peerId']) : str(p['peerId']);
  if (peerId !== undefined) path.peerId = peerId;
  const origin = str(p['origin']);
  if (origin !== undefined) path.origin = origin;
  const locPrf = num(p['locPrf']);
  if (locPrf !== undefined) path.localPref = locPrf;
  const asPath = isObject(p['aspath']) ? str(p['aspath']['string']) : str(p['path']);
  if (asPath !== undefined) path.asPath = asPath;
  return path;
}

/** Flatten `show bgp summary json` ({family: {peers: {addr: {...}}}}). */
export function parseSummary(json: unknown): FrrSummaryPeer[] {
  const out: FrrSummaryPeer[] = [];
  if (!isObject(json)) return out;
  for (const [family, f] of Object.entries(json)) {
    if (!isObject(f) || !isObject(f['peers'])) continue;
    for (const [address, p] of Object.entries(f['peers'])) {
      if (!isObject(p)) continue;
      const peer: FrrSummaryPeer = {
        family,
        address,
        state: str(p['state']) ?? 'unknown',
        remoteAs: num(p['remoteAs']) ?? 0,
        dynamic: p['dynamicPeer'] === true,
        prefixesReceived: num(p['pfxRcd']) ?? 0,
        prefixesSent: num(p['pfxSnt']) ?? 0,
        msgRcvd: num(p['msgRcvd']) ?? 0,
        msgSent: num(p['msgSent']) ?? 0,
      };
      const hostname = str(p['hostname']);
      if (hostname !== undefined) peer.hostname = hostname;
      out.push(peer);
    }
  }
  return out;
}

/** `show bgp neighbors json` ({addr: {...}}). */
export function parseNeighbors(json: unknown): FrrNeighborInfo[] {
  const out: FrrNeighborInfo[] = [];
  if (!isObject(json)) return out;
  for (const [address, n] of Object.entries(json)) {
    if (!isObject(n) || n['bgpState'] === undefined) continue;
    const stats: Record<string, number> = {};
    if (isObject(n['messageStats'])) {
      for (const [k, v] of Object.entries(n['messageStats'])) if (typeof v === 'number') stats[k] = v;
    }
    const info: FrrNeighborInfo = {
      address,
      state: str(n['bgpState']) ?? 'unknown',
      remoteAs: num(n['remoteAs']) ?? 0,
      localAs: num(n['localAs']) ?? 0,
      connectionsEstablished: num(n['connectionsEstablished']) ?? 0,
      connectionsDropped: num(n['connectionsDropped']) ?? 0,
      messageStats: stats,
      raw: n,
    };
    const set = <K extends keyof FrrNeighborInfo>(k: K, v: FrrNeighborInfo[K] | undefined): void => {
      if (v !== undefined) info[k] = v;
    };
    set('remoteRouterId', str(n['remoteRouterId']));
    set('hostLocal', str(n['hostLocal']));
    set('hostForeign', str(n['hostForeign']));
    set('portForeign', num(n['portForeign']));
    set('holdTimeMs', num(n['bgpTimerHoldTimeMsecs']));
    set('keepaliveMs', num(n['bgpTimerKeepAliveIntervalMsecs']));
    set('lastResetDueTo', str(n['lastResetDueTo']));
    set('lastNotificationReason', str(n['lastNotificationReason']));
    set('lastErrorCodeSubcode', str(n['lastErrorCodeSubcode']));
    out.push(info);
  }
  return out;
}

/**
 * `show evpn vni N json` plus the flood type of each remote VTEP, which
 * FRR 8.4 prints only in the text form ("  10.214.0.30 flood: HER"). The
 * JSON lists the remote VTEPs under "numRemoteVteps" (an array, despite the
 * name) and omits the key when there are none.
 */
export function parseEvpnVni(json: unknown, text: string): FrrEvpnVni {
  const j = isObject(json) ? json : {};
  const flood = new Map<string, string>();
  for (const m of text.matchAll(/^\s+(\S+) flood: (\S+)/gm)) flood.set(m[1]!, m[2]!);
  const listed = Array.isArray(j['numRemoteVteps'])
    ? (j['numRemoteVteps'] as unknown[]).map(String)
    : Array.isArray(j['remoteVteps'])
      ? (j['remoteVteps'] as unknown[]).map(String)
      : [];
  const ips = [...new Set([...listed, ...flood.keys()])].sort();
  const v: FrrEvpnVni = {
    vni: num(j['vni']) ?? 0,
    remoteVteps: ips.map((ip) => {
      const r: FrrRemoteVtep = { ip };
      const f = flood.get(ip);
      if (f !== undefined) r.flood = f;
      return r;
    }),
  };
  const type = str(j['type']);
  if (type !== undefined) v.type = type;
  const vx = str(j['vxlanInterface']);
  if (vx !== undefined) v.vxlanInterface = vx;
  const vtepIp = str(j['vtepIp']);
  if (vtepIp !== undefined) v.vtepIp = vtepIp;
  const numMacs = num(j['numMacs']);
  if (numMacs !== undefined) v.numMacs = numMacs;
  return v;
}

/** `show evpn mac vni N json` ({numMacs, macs: {mac: {...}}}). */
export function parseEvpnMacs(json: unknown): FrrEvpnMac[] {
  if (!isObject(json) || !isObject(json['macs'])) return [];
  return Object.entries(json['macs']).map(([mac, m]) => {
    const o = isObject(m) ? m : {};
    const e: FrrEvpnMac = { mac: mac.toLowerCase(), type: str(o['type']) ?? 'unknown' };
    const remoteVtep = str(o['remoteVtep']);
    if (remoteVtep !== undefined) e.remoteVtep = remoteVtep;
    const intf = str(o['intf']);
    if (intf !== undefined) e.intf = intf;
    const ls = num(o['localSequence']);
    if (ls !== undefined) e.localSequence = ls;
    const rs = num(o['remoteSequence']);
    if (rs !== undefined) e.remoteSequence = rs;
    if (typeof o['isDuplicate'] === 'boolean') e.isDuplicate = o['isDuplicate'];
    return e;
  });
}

// ---------------------------------------------------------------- instances

export interface FrrStartOptions {
  /** The namespace the daemons run in. */
  ns: string;
  /** bgpd.conf text (routeReflectorConfig / vtepConfig). */
  bgpdConf: string;
  /** zebra.conf text (default: just a hostname line). */
  zebraConf?: string;
  /** Pathspace (-N); default: the namespace's name, unique per test process (uniqueName). */
  pathspace?: string;
  /** Bound on each daemon's start (default 10 s). */
  startTimeoutMs?: number;
}

type Daemon = 'zebra' | 'bgpd';

/** How long stop() waits for a daemon after SIGTERM before SIGKILL. */
const STOP_GRACE_MS = 3_000;

/**
 * One FRR instance (zebra + bgpd) in a namespace. Made by startFrr();
 * stop()/start() restart it with the same config (the fault tests'
 * "stop the route reflector, restart it"), pause()/resume() freeze bgpd with
 * SIGSTOP/SIGCONT so its TCP sessions stay open but silent (the way to make a
 * peer's hold timer expire: a killed bgpd closes its sockets instead).
 */
export class FrrInstance {
  private readonly children = new Map<Daemon, ChildProcess>();
  private readonly stderr = new Map<Daemon, string>();

  constructor(
    private readonly topo: Topology,
    readonly ns: string,
    readonly pathspace: string,
    /** The temp dir with zebra.conf, bgpd.conf, zebra.log, bgpd.log (owned by frr). */
    readonly dir: string,
    private readonly startTimeoutMs: number,
  ) {}

  /** /var/run/frr/<pathspace>: vty sockets, zserv.api, pid files. */
  get runDir(): string {
    return path.join(FRR_RUN, this.pathspace);
  }

  /** PID of a running daemon. */
  pid(daemon: Daemon): number | undefined {
    const c = this.children.get(daemon);
    return c !== undefined && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  }

  get running(): boolean {
    return this.pid('bgpd') !== undefined;
  }

  /** Start zebra, wait for zserv.api, start bgpd, wait for its vty socket. */
  async start(): Promise<void> {
    if (this.running) return;
    // A killed daemon leaves its sockets behind; waiting for them would then prove nothing.
    for (const f of ['zserv.api', 'zebra.vty', 'bgpd.vty']) await rm(path.join(this.runDir, f), { force: true });
    await this.startDaemon('zebra', 'zserv.api');
    await this.startDaemon('bgpd', 'bgpd.vty');
  }

  private async startDaemon(daemon: Daemon, socket: string): Promise<void> {
    const argv = [path.join(FRR_BIN, daemon), '-N', this.pathspace, '-P', '0'];
    argv.push('-f', path.join(this.dir, `${daemon}.conf`), '--log', `file:${path.join(this.dir, `${daemon}.log`)}`);
    const child = this.topo.spawn(this.ns, argv);
    this.children.set(daemon, child);
    this.stderr.set(daemon, '');
    child.stdout!.resume();
    child.stderr!.on('data', (d: Buffer) => {
      // Keep the tail only: a chatty daemon must not grow this without bound.
      this.stderr.set(daemon, ((this.stderr.get(daemon) ?? '') + d.toString('utf8')).slice(-4096));
    });
    const file = path.join(this.runDir, socket);
    await waitFor(
      `${daemon} of ${this.pathspace} to create ${socket}`,
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`${daemon} (${this.pathspace}) exited (${child.exitCode ?? child.signalCode}): ${await this.failureText(daemon)}`);
        }
        return (await stat(file).catch(() => undefined))?.isSocket() === true || undefined;
      },
      this.startTimeoutMs,
      25,
    );
  }

  private async failureText(daemon: Daemon): Promise<string> {
    const log = await readFile(path.join(this.dir, `${daemon}.log`), 'utf8').catch(() => '');
    return `${this.stderr.get(daemon) ?? ''}\n${log.slice(-2048)}`.trim();
  }

  /** SIGTERM bgpd then zebra (bgpd sends Cease NOTIFICATIONs on the way out), SIGKILL after 3 s. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    for (const daemon of ['bgpd', 'zebra'] as const) {
      const child = this.children.get(daemon);
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) continue;
      const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
      try {
        // A paused daemon would not see SIGTERM until continued.
        child.kill('SIGCONT');
        child.kill(signal);
      } catch {
        // gone already
      }
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await closed;
      clearTimeout(timer);
    }
  }

  /** SIGSTOP bgpd: sessions stay open, nothing is sent or read, peers' hold timers run out. */
  pause(): void {
    const pid = this.pid('bgpd');
    if (pid === undefined) throw new Error(`bgpd of ${this.pathspace} is not running`);
    process.kill(pid, 'SIGSTOP');
  }

  resume(): void {
    const pid = this.pid('bgpd');
    if (pid !== undefined) process.kill(pid, 'SIGCONT');
  }

  /** The synchronous cleanup the Topology runs: kill what still runs, remove the pathspace directory. */
  cleanupSync(): void {
    for (const child of this.children.values()) {
      if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) continue;
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    rmSync(this.runDir, { recursive: true, force: true });
  }

  // ------------------------------------------------------------ vtysh

  /** Run vtysh commands (each one -c); resolves with stdout. stderr (e.g. the missing vtysh.conf notice) is dropped. */
  async vtysh(...commands: string[]): Promise<string> {
    const argv = ['vtysh', '-N', this.pathspace];
    for (const c of commands) argv.push('-c', c);
    const r = await exec(argv, { timeoutMs: 10_000, allowFailure: true });
    if (r.code !== 0) throw new Error(`vtysh -N ${this.pathspace} ${commands.join(' / ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    return r.stdout;
  }

  /** One `show ... json` command, parsed. */
  async vtyshJson(command: string): Promise<unknown> {
    const out = await this.vtysh(command);
    try {
      return JSON.parse(out.trim() || '{}') as unknown;
    } catch {
      throw new Error(`vtysh -N ${this.pathspace} -c '${command}' printed no JSON:\n${out.slice(0, 2000)}`);
    }
  }

  /** `configure terminal` then the lines, e.g. ['router bgp 65000', 'neighbor 10.0.0.9 shutdown']. */
  async configure(lines: string[]): Promise<string> {
    return this.vtysh('configure terminal', ...lines);
  }

  /** Every path of `show bgp l2vpn evpn route detail json` (the detail form carries VNI, ORIGINATOR_ID, PMSI). */
  async evpnRoutes(): Promise<FrrEvpnPath[]> {
    return parseEvpnRoutes(await this.vtyshJson('show bgp l2vpn evpn route detail json'));
  }

  async summary(): Promise<FrrSummaryPeer[]> {
    return parseSummary(await this.vtyshJson('show bgp summary json'));
  }

  async neighbors(): Promise<FrrNeighborInfo[]> {
    return parseNeighbors(await this.vtyshJson('show bgp neighbors json'));
  }

  async neighbor(address: string): Promise<FrrNeighborInfo | undefined> {
    return (await this.neighbors()).find((n) => n.address === address);
  }

  async evpnVni(vni: number): Promise<FrrEvpnVni> {
    const json = await this.vtyshJson(`show evpn vni ${vni} json`);
    const text = await this.vtysh(`show evpn vni ${vni}`);
    return parseEvpnVni(json, text);
  }

  async evpnMacs(vni: number): Promise<FrrEvpnMac[]> {
    return parseEvpnMacs(await this.vtyshJson(`show evpn mac vni ${vni} json`));
  }

  /** bgpd's log so far (for failure messages). */
  async bgpdLog(): Promise<string> {
    return readFile(path.join(this.dir, 'bgpd.log'), 'utf8').catch(() => '');
  }

  // ------------------------------------------------------------ waits

  /** Wait until FRR shows address Established (summary of any family); resolves with the summary line. */
  async waitEstablished(address: string, timeoutMs = 15_000): Promise<FrrSummaryPeer> {
    return waitFor(
      `${address} Established at ${this.pathspace}`,
      async () => (await this.summary()).find((p) => p.address === address && p.state === 'Established'),
      timeoutMs,
      100,
    );
  }

  /** Wait until some path satisfies predicate; resolves with it. */
  async waitRoute(what: string, predicate: (p: FrrEvpnPath) => boolean, timeoutMs = 10_000): Promise<FrrEvpnPath> {
    return waitFor(`${what} at ${this.pathspace}`, async () => (await this.evpnRoutes()).find(predicate), timeoutMs, 100);
  }

  /** Wait until no path satisfies predicate. */
  async waitNoRoute(what: string, predicate: (p: FrrEvpnPath) => boolean, timeoutMs = 10_000): Promise<void> {
    await waitFor(`${what} gone at ${this.pathspace}`, async () => !(await this.evpnRoutes()).some(predicate), timeoutMs, 100);
  }
}

/**
 * zebra + bgpd in opts.ns with the given configs; resolves once both
 * sockets exist. The instance is killed (and its /var/run/frr/<pathspace>
 * removed) by topo.destroy(), also when the test fails.
 */
export async function startFrr(topo: Topology, opts: FrrStartOptions): Promise<FrrInstance> {
  const pathspace = opts.pathspace ?? opts.ns;
  const dir = await topo.tempDir();
  const hostname = /^hostname (\S+)/m.exec(opts.bgpdConf)?.[1] ?? pathspace;
  await writeFile(path.join(dir, 'zebra.conf'), opts.zebraConf ?? `hostname ${hostname}\n`);
  await writeFile(path.join(dir, 'bgpd.conf'), opts.bgpdConf);
  // The daemons drop to user frr: they must read the configs and write the logs.
  await run(null, 'chown', '-R', 'frr:frr', dir);
  const frr = new FrrInstance(topo, opts.ns, pathspace, dir, opts.startTimeoutMs ?? 10_000);
  topo.addCleanup(() => frr.cleanupSync());
  try {
    await frr.start();
  } catch (e) {
    await frr.stop('SIGKILL');
    throw e;
  }
  return frr;
}

/** Wait until `bridge fdb show dev` in ns satisfies predicate; resolves with the entries. */
export async function waitFdb(
  ns: string,
  dev: string,
  what: string,
  predicate: (entries: FdbEntry[]) => boolean,
  timeoutMs = 10_000,
): Promise<FdbEntry[]> {
  return waitFor(
    `${what} in the FDB of ${ns}/${dev}`,
    async () => {
      const entries = await kernelFdb(ns, dev);
      return predicate(entries) ? entries : undefined;
    },
    timeoutMs,
    100,
  );
}
