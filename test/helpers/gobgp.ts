// gobgpd 3.10 peers for interop tests: a TOML config builder, the daemon in
// a Topology namespace, and wrappers around the `gobgp` CLI (the commands
// as tested on this machine).
//
// gobgpd's gRPC API listens on the namespace's own 127.0.0.1:<apiPort>, so
// every CLI call runs inside the namespace (`ip netns exec NS gobgp -p PORT`).
// The daemon is a child of the Topology: destroy() (or its exit hook) kills
// it by PID, also when a test fails.
//
// Timing (measured here): an ACTIVE gobgpd neighbor makes its first
// connection attempt only after a random 5-10 s, whatever connect-retry
// says; a PASSIVE one (passive: true) accepts a connection once its idle
// hold (about connect-retry seconds after start) is over. For a fast test
// let the other side connect and give gobgpd connectRetryS: 1.

import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exec, inNs, waitFor, type Topology } from './netns.js';

// ---------------------------------------------------------------- config

export interface GobgpNeighbor {
  address: string;
  peerAs: number;
  /** Source address of the session (transport local-address). */
  localAddress?: string;
  /** Only accept the peer's connection (transport passive-mode). */
  passive?: boolean;
  /** Seconds (defaults 5 / 9 / 3, as in the interop README). */
  connectRetryS?: number;
  holdTimeS?: number;
  keepaliveS?: number;
  /** Seconds gobgpd stays idle after a session reset (gobgpd's default 30). */
  idleHoldAfterResetS?: number;
  /** Remote port to dial (default 179). */
  remotePort?: number;
  /** This neighbor is our route-reflector client (cluster id = router id). */
  routeReflectorClient?: boolean;
  /** eBGP multihop TTL (eBGP across a router); absent = directly connected. */
  ebgpMultihopTtl?: number;
  /** Default ['l2vpn-evpn']. */
  families?: string[];
}

export interface GobgpConfig {
  as: number;
  routerId: string;
  /** BGP listen port (default 179; -1 = do not listen). */
  port?: number;
  /** Listen addresses (default: all). */
  listenAddresses?: string[];
  neighbors: GobgpNeighbor[];
}

function tomlString(s: string): string {
  return JSON.stringify(s);
}

/** gobgpd.toml (README §b), iBGP when peerAs = as, eBGP otherwise. */
export function gobgpdToml(c: GobgpConfig): string {
  const l: string[] = ['[global.config]', `  as = ${c.as}`, `  router-id = ${tomlString(c.routerId)}`, `  port = ${c.port ?? 179}`];
  if (c.listenAddresses !== undefined) l.push(`  local-address-list = [${c.listenAddresses.map(tomlString).join(', ')}]`);
  for (const n of c.neighbors) {
    l.push('', '[[neighbors]]', '  [neighbors.config]', `    neighbor-address = ${tomlString(n.address)}`, `    peer-as = ${n.peerAs}`);
    l.push('  [neighbors.timers.config]');
    l.push(`    connect-retry = ${n.connectRetryS ?? 5}`, `    hold-time = ${n.holdTimeS ?? 9}`, `    keepalive-interval = ${n.keepaliveS ?? 3}`);
    if (n.idleHoldAfterResetS !== undefined) l.push(`    idle-hold-time-after-reset = ${n.idleHoldAfterResetS}`);
    const transport: string[] = [];
    if (n.localAddress !== undefined) transport.push(`    local-address = ${tomlString(n.localAddress)}`);
    if (n.passive) transport.push('    passive-mode = true');
    if (n.remotePort !== undefined) transport.push(`    remote-port = ${n.remotePort}`);
    if (transport.length > 0) l.push('  [neighbors.transport.config]', ...transport);
    if (n.routeReflectorClient) {
      l.push('  [neighbors.route-reflector.config]', '    route-reflector-client = true', `    route-reflector-cluster-id = ${tomlString(c.routerId)}`);
    }
    if (n.ebgpMultihopTtl !== undefined) {
      l.push('  [neighbors.ebgp-multihop.config]', '    enabled = true', `    multihop-ttl = ${n.ebgpMultihopTtl}`);
    }
    for (const f of n.families ?? ['l2vpn-evpn']) {
      l.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = ${tomlString(f)}`);
    }
  }
  return l.join('\n') + '\n';
}

// ---------------------------------------------------------------- routes (CLI arguments)

export interface GobgpMacAdv {
  mac: string;
  /** Absent: MAC-only route (the CLI's 0.0.0.0). */
  ip?: string;
  etag?: number;
  /** Label 1 = the VNI (RFC 8365). */
  label: number;
  /** "10.214.0.30:100" or "65000:100". */
  rd: string;
  /** Route targets, e.g. ["65000:100"]. */
  rts?: string[];
  /** Default "vxlan" (encapsulation extended community, tunnel type 8). */
  encap?: string | null;
  esi?: string;
  nextHop: string;
  /** Default "igp". */
  origin?: 'igp' | 'egp' | 'incomplete';
  localPref?: number;
  med?: number;
  /** AS_PATH as the CLI takes it, e.g. "65010 65011". */
  asPath?: string;
}

export interface GobgpMulticast {
  /** Originating router's IP = the VTEP address (the flood target at the receivers). */
  ip: string;
  etag?: number;
  rd: string;
  rts?: string[];
  encap?: string | null;
  /** PMSI ingress replication label (= VNI); absent: no PMSI attribute. */
  pmsiLabel?: number;
  /** PMSI tunnel id (default: ip). */
  pmsiTunnelId?: string;
  nextHop: string;
  origin?: 'igp' | 'egp' | 'incomplete';
  localPref?: number;
  med?: number;
  asPath?: string;
}

function commonTail(r: { rts?: string[]; encap?: string | null }): string[] {
  const a: string[] = [];
  if (r.rts !== undefined && r.rts.length > 0) a.push('rt', ...r.rts);
  const encap = r.encap === undefined ? 'vxlan' : r.encap;
  if (encap !== null) a.push('encap', encap);
  return a;
}

function pathAttrs(r: { nextHop: string; origin?: string; localPref?: number; med?: number; asPath?: string }): string[] {
  const a = ['nexthop', r.nextHop, 'origin', r.origin ?? 'igp'];
  if (r.asPath !== undefined) a.push('aspath', r.asPath);
  if (r.med !== undefined) a.push('med', String(r.med));
  if (r.localPref !== undefined) a.push('local-pref', String(r.localPref));
  return a;
}

/** The NLRI part of `macadv` (also what `del` takes). */
function macAdvNlri(r: Pick<GobgpMacAdv, 'mac' | 'ip' | 'esi' | 'etag' | 'label' | 'rd'>): string[] {
  const a = ['macadv', r.mac, r.ip ?? '0.0.0.0'];
  if (r.esi !== undefined) a.push('esi', r.esi);
  a.push('etag', String(r.etag ?? 0), 'label', String(r.label), 'rd', r.rd);
  return a;
}

function multicastNlri(r: Pick<GobgpMulticast, 'ip' | 'etag' | 'rd'>): string[] {
  return ['multicast', r.ip, 'etag', String(r.etag ?? 0), 'rd', r.rd];
}

/** `gobgp global rib -a evpn add macadv ...` arguments (after `add`). */
export function macAdvArgs(r: GobgpMacAdv): string[] {
  return [...macAdvNlri(r), ...commonTail(r), ...pathAttrs(r)];
}

/** `gobgp global rib -a evpn add multicast ...` arguments (after `add`). */
export function multicastArgs(r: GobgpMulticast): string[] {
  const a = [...multicastNlri(r), ...commonTail(r)];
  if (r.pmsiLabel !== undefined) a.push('pmsi', 'ingress-repl', String(r.pmsiLabel), r.pmsiTunnelId ?? r.ip);
  return [...a, ...pathAttrs(r)];
}

// ---------------------------------------------------------------- parsed views

/** gobgp's apipb.PeerState.SessionState numbers. */
export const GOBGP_SESSION_STATES = ['unknown', 'idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'] as const;
export type GobgpSessionState = (typeof GOBGP_SESSION_STATES)[number];

export interface GobgpNeighborInfo {
  address: string;
  peerAs: number;
  state: GobgpSessionState;
  /** Message counters by type ("open", "update", "keepalive", "notification", "total", ...). */
  received: Record<string, number>;
  sent: Record<string, number>;
  raw: Record<string, unknown>;
}

/** One path of `gobgp global rib -a evpn -j` (keys are gobgp's NLRI strings, values arrays of paths). */
export interface GobgpEvpnPath {
  /** gobgp's NLRI text: "[type:macadv][rd:10.214.0.30:100][etag:0][mac:02:..][ip:<nil>]". */
  key: string;
  /** 2 (macadv), 3 (multicast), ... */
  routeType: number;
  /** "admin:assigned" from the JSON RD object. */
  rd: string;
  etag: number;
  mac?: string;
  /** Absent for a MAC-only Type 2 (gobgp prints "<nil>"). */
  ip?: string;
  labels?: number[];
  esi?: string;
  nextHop?: string;
  /** Route targets and other "type:subtype"-less values, e.g. ["65000:100"]. */
  routeTargets: string[];
  /** Tunnel type of the encapsulation extended community (8 = VXLAN). */
  encapsulation?: number;
  /** Extended communities as gobgp prints them. */
  extendedCommunities: Array<Record<string, unknown>>;
  pmsi?: { tunnelType: number; label: number; tunnelId: string; leafInfoRequired: boolean };
  origin?: number;
  localPref?: number;
  med?: number;
  asPath?: number[];
  originatorId?: string;
  clusterList?: string[];
  best: boolean;
  stale: boolean;
  /** Who sent it; absent for gobgpd's own routes. */
  neighborIp?: string;
}

type Json = Record<string, unknown>;

function isObject(x: unknown): x is Json {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function counters(x: unknown): Record<string, number> {
  const out: Record<string, number> = {};
  if (isObject(x)) for (const [k, v] of Object.entries(x)) if (typeof v === 'number') out[k] = v;
  return out;
}

export function parseGobgpNeighbors(json: unknown): GobgpNeighborInfo[] {
  if (!Array.isArray(json)) return [];
  return json.filter(isObject).map((n) => {
    const state = isObject(n['state']) ? n['state'] : {};
    const conf = isObject(n['conf']) ? n['conf'] : {};
    const messages = isObject(state['messages']) ? state['messages'] : {};
    const code = typeof state['session_state'] === 'number' ? state['session_state'] : 0;
    return {
      address: String(state['neighbor_address'] ?? conf['neighbor_address'] ?? ''),
      peerAs: Number(state['peer_asn'] ?? conf['peer_asn'] ?? 0),
      state: GOBGP_SESSION_STATES[code] ?? 'unknown',
      received: counters(messages['received']),
      sent: counters(messages['sent']),
      raw: n,
    };
  });
}

function rdText(rd: unknown): string {
  if (!isObject(rd)) return String(rd);
  return `${String(rd['admin'])}:${String(rd['assigned'])}`;
}

/** Flatten `gobgp ... rib -a evpn -j` ({nlriKey: [path, ...]}). */
export function parseGobgpEvpnRib(json: unknown): GobgpEvpnPath[] {
  const out: GobgpEvpnPath[] = [];
  if (!isObject(json)) return out;
  for (const [key, paths] of Object.entries(json)) {
    if (!Array.isArray(paths)) continue;
    for (const p of paths.filter(isObject)) {
      const nlri = isObject(p['nlri']) ? p['nlri'] : {};
      const v = isObject(nlri['value']) ? nlri['value'] : {};
      const path: GobgpEvpnPath = {
        key,
        routeType: Number(nlri['type'] ?? 0),
        rd: rdText(v['rd']),
        etag: Number(v['etag'] ?? 0),
        routeTargets: [],
        extendedCommunities: [],
        best: p['best'] === true,
        stale: p['stale'] === true,
      };
      if (typeof v['mac'] === 'string') path.mac = v['mac'].toLowerCase();
      if (typeof v['ip'] === 'string' && v['ip'] !== '<nil>') path.ip = v['ip'];
      if (Array.isArray(v['labels'])) path.labels = v['labels'].map(Number);
      if (typeof v['esi'] === 'string') path.esi = v['esi'];
      if (typeof p['neighbor-ip'] === 'string') path.neighborIp = p['neighbor-ip'];
      for (const a of Array.isArray(p['attrs']) ? p['attrs'].filter(isObject) : []) {
        switch (a['type']) {
          case 1:
            path.origin = Number(a['value']);
            break;
          case 2:
            path.asPath = (Array.isArray(a['as_paths']) ? a['as_paths'].filter(isObject) : []).flatMap((s) =>
              Array.isArray(s['asns']) ? s['asns'].map(Number) : [],
            );
            break;
          case 4:
            path.med = Number(a['metric']);
            break;
          case 5:
            path.localPref = Number(a['value']);
            break;
          case 9:
            path.originatorId = String(a['value']);
            break;
          case 10:
            path.clusterList = Array.isArray(a['value']) ? a['value'].map(String) : [];
            break;
          case 14:
            if (typeof a['nexthop'] === 'string') path.nextHop = a['nexthop'];
            break;
          case 16:
            for (const ec of Array.isArray(a['value']) ? a['value'].filter(isObject) : []) {
              path.extendedCommunities.push(ec);
              if (ec['subtype'] === 2 && typeof ec['value'] === 'string') path.routeTargets.push(ec['value']);
              if (ec['type'] === 3 && ec['subtype'] === 12) path.encapsulation = Number(ec['tunnel_type']);
            }
            break;
          case 22:
            path.pmsi = {
              tunnelType: Number(a['tunnel-type']),
              label: Number(a['label']),
              tunnelId: String(a['tunnel-id']),
              leafInfoRequired: a['is-leaf-info-required'] === true,
            };
            break;
        }
      }
      out.push(path);
    }
  }
  return out;
}

// ---------------------------------------------------------------- the daemon

export interface GobgpdStartOptions {
  ns: string;
  config: GobgpConfig;
  /** gRPC API port on the namespace's 127.0.0.1 (default 50051). */
  apiPort?: number;
  /** gobgpd -l (default "info"). */
  logLevel?: string;
}

/** A running gobgpd in a namespace; made by startGobgpd(). */
export class Gobgpd {
  private child: ChildProcess | undefined;
  private log = '';

  constructor(
    private readonly topo: Topology,
    readonly ns: string,
    readonly config: GobgpConfig,
    readonly apiPort: number,
    /** The temp dir holding gobgpd.toml. */
    readonly dir: string,
    private readonly logLevel: string,
  ) {}

  get pid(): number | undefined {
    const c = this.child;
    return c !== undefined && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  }

  /** gobgpd's stdout+stderr so far (its log; the last 64 KiB). */
  get output(): string {
    return this.log;
  }

  /** Start gobgpd and wait until its API answers (bounded, 10 s). */
  async start(): Promise<void> {
    if (this.pid !== undefined) return;
    const argv = ['gobgpd', '-f', path.join(this.dir, 'gobgpd.toml'), '-t', 'toml', '-p', '-l', this.logLevel];
    argv.push('--api-hosts', `127.0.0.1:${this.apiPort}`, '--pprof-disable');
    const child = this.topo.spawn(this.ns, argv);
    this.child = child;
    const keep = (d: Buffer): void => {
      this.log = (this.log + d.toString('utf8')).slice(-65536);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    await waitFor(
      `gobgpd API in ${this.ns}`,
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`gobgpd in ${this.ns} exited (${child.exitCode ?? child.signalCode}):\n${this.log}`);
        }
        const r = await exec(this.cliArgv(['global', '-j']), { allowFailure: true, timeoutMs: 5_000 });
        return r.code === 0 || undefined;
      },
      10_000,
      50,
    );
  }

  /** SIGTERM (gobgpd sends Cease NOTIFICATIONs), SIGKILL after 3 s. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
    await closed;
    clearTimeout(timer);
  }

  private cliArgv(args: readonly string[]): string[] {
    return inNs(this.ns, ['gobgp', '-p', String(this.apiPort), ...args]);
  }

  /** `gobgp <args>` in the namespace; resolves with stdout, rejects on a non-zero exit. */
  async cli(...args: string[]): Promise<string> {
    const r = await exec(this.cliArgv(args), { timeoutMs: 10_000, allowFailure: true });
    // gobgp prints errors on stdout or stderr and sometimes exits 0 with "error:" text.
    if (r.code !== 0 || /^error:/im.test(r.stderr) || /^error:/im.test(r.stdout)) {
      throw new Error(`gobgp ${args.join(' ')}: exit ${r.code}\n${r.stdout}${r.stderr}`);
    }
    return r.stdout;
  }

  async cliJson(...args: string[]): Promise<unknown> {
    const out = await this.cli(...args, '-j');
    return JSON.parse(out.trim() || 'null') as unknown;
  }

  async addMacAdv(r: GobgpMacAdv): Promise<void> {
    await this.cli('global', 'rib', '-a', 'evpn', 'add', ...macAdvArgs(r));
  }

  /** Withdraw: the NLRI (MAC, IP, ESI, etag, label, RD) must match the one added. */
  async delMacAdv(r: Pick<GobgpMacAdv, 'mac' | 'ip' | 'esi' | 'etag' | 'label' | 'rd'>): Promise<void> {
    await this.cli('global', 'rib', '-a', 'evpn', 'del', ...macAdvNlri(r));
  }

  async addMulticast(r: GobgpMulticast): Promise<void> {
    await this.cli('global', 'rib', '-a', 'evpn', 'add', ...multicastArgs(r));
  }

  async delMulticast(r: Pick<GobgpMulticast, 'ip' | 'etag' | 'rd'>): Promise<void> {
    await this.cli('global', 'rib', '-a', 'evpn', 'del', ...multicastNlri(r));
  }

  /** `gobgp global rib -a evpn -j`: best paths of every source, gobgpd's own included. */
  async rib(): Promise<GobgpEvpnPath[]> {
    return parseGobgpEvpnRib(await this.cliJson('global', 'rib', '-a', 'evpn'));
  }

  /** `gobgp neighbor ADDR adj-in -a evpn -j`: what the neighbor sent, accepted or not. */
  async adjIn(address: string): Promise<GobgpEvpnPath[]> {
    return parseGobgpEvpnRib(await this.cliJson('neighbor', address, 'adj-in', '-a', 'evpn'));
  }

  async neighbors(): Promise<GobgpNeighborInfo[]> {
    return parseGobgpNeighbors(await this.cliJson('neighbor'));
  }

  async waitEstablished(address: string, timeoutMs = 20_000): Promise<GobgpNeighborInfo> {
    return waitFor(
      `gobgpd in ${this.ns}: ${address} established`,
      async () => (await this.neighbors()).find((n) => n.address === address && n.state === 'established'),
      timeoutMs,
      100,
    );
  }

  async waitRoute(what: string, predicate: (p: GobgpEvpnPath) => boolean, timeoutMs = 10_000): Promise<GobgpEvpnPath> {
    return waitFor(`${what} in gobgpd (${this.ns})`, async () => (await this.rib()).find(predicate), timeoutMs, 100);
  }

  async waitNoRoute(what: string, predicate: (p: GobgpEvpnPath) => boolean, timeoutMs = 10_000): Promise<void> {
    await waitFor(`${what} gone from gobgpd (${this.ns})`, async () => !(await this.rib()).some(predicate), timeoutMs, 100);
  }
}

/** Write the TOML, start gobgpd in opts.ns, wait for its API. Killed by topo.destroy(). */
export async function startGobgpd(topo: Topology, opts: GobgpdStartOptions): Promise<Gobgpd> {
  const dir = await topo.tempDir();
  await writeFile(path.join(dir, 'gobgpd.toml'), gobgpdToml(opts.config));
  const g = new Gobgpd(topo, opts.ns, opts.config, opts.apiPort ?? 50051, dir, opts.logLevel ?? 'info');
  await g.start();
  return g;
}
