// The vxswitch daemon as the EVPN interop tests run it: a TOML config
// builder (gobgpd / goplane key names, DESIGN.md "Operator surface"), the
// daemon started inside a Topology namespace (`ip netns exec NS node
// bin/vxswitch.js run -f F --api-socket S`), its JSON log lines kept, and the
// `vxswitch --api-socket S <cmd> --json` read-outs parsed and polled.
//
// The daemon is a Topology child: destroy() (or its exit hook) kills it,
// also when a test fails. Every wait is bounded, and a wait that times out
// says what the daemon logged last, so a failing test shows vxswitch's side.

import { testWorkers } from '../helpers/workers-env.js';
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { exec, waitFor, type Topology } from '../helpers/netns.js';

/** bin/vxswitch.js from dist/test/control/. */
export const VXSWITCH_BIN = fileURLToPath(new URL('../../../bin/vxswitch.js', import.meta.url));

// ---------------------------------------------------------------- config

export interface VxNeighbor {
  address: string;
  peerAs: number;
  /** Seconds (defaults 1 / 9 / 3: fast reconnects in tests). */
  connectRetryS?: number;
  holdTimeS?: number;
  keepaliveS?: number;
  localAddress?: string;
  /** Only accept the peer's connection (transport passive-mode). */
  passive?: boolean;
  /** [neighbors.graceful-restart.config] enabled (absent: no section). */
  gracefulRestart?: boolean;
  /** Default ['l2vpn-evpn']. */
  families?: string[];
  /** [neighbors.afi-safis.prefix-limit.config] on every family (absent: no limit). */
  prefixLimit?: { maxPrefixes: number; shutdownThresholdPct?: number; restartTimer?: number };
}

export interface VxVni {
  vni: number;
  /** AF_PACKET member ports in the daemon's namespace. */
  members: string[];
  /** Default 4789. */
  vxlanPort?: number;
  /** Default 'evpn'. */
  mode?: 'evpn' | 'static' | 'multicast';
  rd?: string;
  importRts?: string[];
  exportRts?: string[];
  etag?: number;
}

export interface VxConfig {
  as: number;
  routerId: string;
  /** BGP listen port (default 179; -1 = do not listen). */
  port?: number;
  /** Listen addresses (default [routerId]). */
  listenAddresses?: string[];
  neighbors: VxNeighbor[];
  /** VTEP address (default routerId). */
  vtep?: string;
  /** Default 'ul0'. */
  underlay?: string;
  /** [dataplane] aging-time in seconds (absent: the daemon's default). */
  agingS?: number;
  vnis: VxVni[];
}

const q = (s: string): string => JSON.stringify(s);
const list = (xs: readonly string[]): string => `[${xs.map(q).join(', ')}]`;

/** The daemon's TOML config file. */
export function vxswitchToml(c: VxConfig): string {
  const l = ['[global.config]', `  as = ${c.as}`, `  router-id = ${q(c.routerId)}`, `  port = ${c.port ?? 179}`];
  l.push(`  local-address-list = ${list(c.listenAddresses ?? [c.routerId])}`);
  for (const n of c.neighbors) {
    l.push('', '[[neighbors]]', '  [neighbors.config]', `    neighbor-address = ${q(n.address)}`, `    peer-as = ${n.peerAs}`);
    l.push('  [neighbors.timers.config]');
    l.push(`    connect-retry = ${n.connectRetryS ?? 1}`, `    hold-time = ${n.holdTimeS ?? 9}`, `    keepalive-interval = ${n.keepaliveS ?? 3}`);
    l.push('  [neighbors.transport.config]', `    local-address = ${q(n.localAddress ?? c.vtep ?? c.routerId)}`);
    l.push(`    passive-mode = ${n.passive === true}`);
    if (n.gracefulRestart !== undefined) l.push('  [neighbors.graceful-restart.config]', `    enabled = ${n.gracefulRestart}`);
    for (const f of n.families ?? ['l2vpn-evpn']) {
      l.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', `      afi-safi-name = ${q(f)}`);
      const pl = n.prefixLimit;
      if (pl !== undefined) {
        l.push('    [neighbors.afi-safis.prefix-limit.config]', `      max-prefixes = ${pl.maxPrefixes}`);
        if (pl.shutdownThresholdPct !== undefined) l.push(`      shutdown-threshold-pct = ${pl.shutdownThresholdPct}`);
        if (pl.restartTimer !== undefined) l.push(`      restart-timer = ${pl.restartTimer}`);
      }
    }
  }
  l.push('', '[dataplane]', '  type = "userspace"', `  vtep-address = ${q(c.vtep ?? c.routerId)}`);
  l.push(`  underlay-interface = ${q(c.underlay ?? 'ul0')}`);
  if (c.agingS !== undefined) l.push(`  aging-time = ${c.agingS}`);
  const workers = testWorkers();
  if (workers !== undefined) l.push(`  workers = ${workers}`);
  for (const v of c.vnis) {
    l.push('', '[[dataplane.virtual-network-list]]', `  vni = ${v.vni}`, `  vxlan-port = ${v.vxlanPort ?? 4789}`);
    l.push(`  mode = ${q(v.mode ?? 'evpn')}`, `  member-interfaces = ${list(v.members)}`);
    if (v.rd !== undefined) l.push(`  rd = ${q(v.rd)}`);
    if (v.importRts !== undefined) l.push(`  import-route-targets = ${list(v.importRts)}`);
    if (v.exportRts !== undefined) l.push(`  export-route-targets = ${list(v.exportRts)}`);
    if (v.etag !== undefined) l.push(`  etag = ${v.etag}`);
  }
  return l.join('\n') + '\n';
}

// ---------------------------------------------------------------- read-outs (the CLI's --json shapes)

export interface VxNeighborStatus {
  address: string;
  peerAs: number;
  /** Lower-cased by Vxswitch.neighbors(): 'established' | 'idle' | 'connect' | 'active' | 'opensent' | 'openconfirm'. */
  state: string;
  routerId: string | null;
  families: string[];
  received: number;
  accepted: number;
  advertised: number;
  holdTime?: number | null;
  lastDown?: string | null;
  [k: string]: unknown;
}

export interface VxRibPath {
  /** gobgp form: "[type:macadv][rd:...][etag:0][mac:...][ip:<nil>]". */
  nlri: string;
  /** FRR form: "[2]:[0]:[48]:[mac]". */
  frr: string;
  rd: string;
  routeType: number;
  mac?: string;
  ip?: string;
  labels?: number[];
  nextHop: string;
  best: boolean;
  /** The peer it came from; null for our own routes. */
  peer: string | null;
  /** ["RT:65000:100", "ET:8"]. */
  extendedCommunities: string[];
  pmsi?: { tunnelType: number; label: number; tunnelId: string };
  originatorId?: string;
  [k: string]: unknown;
}

export interface VxFdbEntry {
  vni: number;
  mac: string;
  kind: 'local' | 'remote';
  origin: 'learned' | 'control' | 'static';
  port?: string;
  vtep?: string;
  [k: string]: unknown;
}

export interface VxVniStatus {
  vni: number;
  mode: string;
  floodList: string[];
  [k: string]: unknown;
}

// ---------------------------------------------------------------- the daemon

/** One JSON log line (pino style: level 10..60, msg). */
export interface VxLogLine {
  level: number;
  msg: string;
  [k: string]: unknown;
}

const LOG_KEEP = 4_000;

export class Vxswitch {
  private child: ChildProcess | undefined;
  /** Every log line so far (the last LOG_KEEP), parsed where it is JSON. */
  readonly logs: Array<VxLogLine | string> = [];
  private stderrTail = '';
  private exited: Promise<number | null> | undefined;
  exitCode: number | null | undefined;
  exitSignal: NodeJS.Signals | null | undefined;

  constructor(
    private readonly topo: Topology,
    /** A short name for messages ("vx1"). */
    readonly name: string,
    readonly ns: string,
    readonly configPath: string,
    readonly apiSocket: string,
    readonly config: VxConfig,
    private readonly logLevel: string,
    /** Prepended to the daemon's argv (setpriv, a umask): VxStartOptions.launcher. */
    private readonly launcher: readonly string[] = [],
  ) {}

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.child!.pid : undefined;
  }

  /** Start the daemon and wait (bounded) until its API answers. */
  async start(timeoutMs = 15_000): Promise<void> {
    if (this.running) return;
    const argv = [...this.launcher, process.execPath, VXSWITCH_BIN, '--api-socket', this.apiSocket, 'run', '-f', this.configPath];
    argv.push('--log-level', this.logLevel);
    const child = this.topo.spawn(this.ns, argv);
    this.child = child;
    this.exitCode = undefined;
    this.exitSignal = undefined;
    this.exited = new Promise((resolve) =>
      child.on('close', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        resolve(code);
      }),
    );
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let entry: VxLogLine | string = line;
      try {
        const j = JSON.parse(line) as unknown;
        if (typeof j === 'object' && j !== null && !Array.isArray(j)) entry = j as VxLogLine;
      } catch {
        // not JSON: keep the text
      }
      this.logs.push(entry);
      if (this.logs.length > LOG_KEEP) this.logs.splice(0, this.logs.length - LOG_KEEP);
    });
    child.stderr!.on('data', (d: Buffer) => {
      this.stderrTail = (this.stderrTail + d.toString('utf8')).slice(-8192);
    });
    await waitFor(
      `${this.name}'s API socket ${this.apiSocket}`,
      async () => {
        if (!this.running) throw new Error(`${this.name} exited (${child.exitCode ?? child.signalCode}) during start\n${this.logTail()}`);
        const r = await exec([process.execPath, VXSWITCH_BIN, '--api-socket', this.apiSocket, 'neighbor', '--json'], {
          allowFailure: true,
          timeoutMs: 5_000,
        });
        return r.code === 0 || undefined;
      },
      timeoutMs,
      100,
    ).catch((e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${this.logTail()}`);
    });
  }

  /** SIGTERM (the daemon sends Cease to its peers and exits 0); SIGKILL after graceMs. Resolves with the exit code. */
  async stop(graceMs = 5_000): Promise<number | null> {
    const child = this.child;
    if (child === undefined || this.exited === undefined) return null;
    if (this.running) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    return this.exitCode ?? null;
  }

  /** The last n log lines and stderr, for failure messages. */
  logTail(n = 40): string {
    const lines = this.logs.slice(-n).map((l) => (typeof l === 'string' ? l : JSON.stringify(l)));
    const err = this.stderrTail.trim();
    return `--- ${this.name} log (last ${lines.length} lines) ---\n${lines.join('\n')}${err ? `\n--- ${this.name} stderr ---\n${err}` : ''}`;
  }

  /** Lines logged at error level or above (pino: error 50, fatal 60). */
  errorLines(): VxLogLine[] {
    return this.logs.filter((l): l is VxLogLine => typeof l !== 'string' && typeof l.level === 'number' && l.level >= 50);
  }

  /** Log lines whose msg matches re. */
  logsMatching(re: RegExp): VxLogLine[] {
    return this.logs.filter((l): l is VxLogLine => typeof l !== 'string' && re.test(String(l.msg)));
  }

  /** `vxswitch --api-socket S <args> --json`, parsed. */
  async cliJson<T>(...args: string[]): Promise<T> {
    const argv = [process.execPath, VXSWITCH_BIN, '--api-socket', this.apiSocket, ...args, '--json'];
    const r = await exec(argv, { timeoutMs: 10_000, allowFailure: true });
    if (r.code !== 0) throw new Error(`vxswitch ${args.join(' ')} --json (${this.name}): exit ${r.code}\n${r.stderr}${r.stdout}`);
    try {
      return JSON.parse(r.stdout) as T;
    } catch {
      throw new Error(`vxswitch ${args.join(' ')} --json (${this.name}) printed no JSON:\n${r.stdout.slice(0, 2000)}`);
    }
  }

  /** `neighbor --json`, with state in lower case (the FSM names states 'Established', gobgp 'established'). */
  async neighbors(): Promise<VxNeighborStatus[]> {
    const list = await this.cliJson<VxNeighborStatus[]>('neighbor');
    return list.map((n) => ({ ...n, state: String(n.state).toLowerCase() }));
  }

  async neighbor(address: string): Promise<VxNeighborStatus | undefined> {
    return (await this.neighbors()).find((n) => n.address === address);
  }

  /** `global rib -a evpn --json`, with labels as numbers (the API gives gobgp's Labels column text, "[100]"). */
  async rib(): Promise<VxRibPath[]> {
    const list = await this.cliJson<VxRibPath[]>('global', 'rib', '-a', 'evpn');
    return list.map((p) => {
      const out: VxRibPath = { ...p };
      delete out.labels;
      const parsed = parseLabels(p.labels as unknown);
      if (parsed !== undefined) out.labels = parsed;
      return out;
    });
  }

  fdb(): Promise<VxFdbEntry[]> {
    return this.cliJson<VxFdbEntry[]>('fdb');
  }

  vnis(): Promise<VxVniStatus[]> {
    return this.cliJson<VxVniStatus[]>('vni');
  }

  async vni(vni: number): Promise<VxVniStatus | undefined> {
    return (await this.vnis()).find((v) => v.vni === vni);
  }

  /** p, with this daemon's FDB and log tail added to its error (for waits on the other side, e.g. gobgpd's RIB). */
  async explain<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (e) {
      const fdb = await this.fdb().then((x) => JSON.stringify(x), (x: unknown) => String(x));
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n--- ${this.name} fdb ---\n${fdb}\n${this.logTail()}`);
    }
  }

  /** Poll check() until it gives a value; on timeout the error carries the daemon's log tail. */
  async until<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 10_000, intervalMs = 150): Promise<T> {
    try {
      return await waitFor(`${what} at ${this.name}`, check, timeoutMs, intervalMs);
    } catch (e) {
      throw new Error(`${e instanceof Error ? e.message : String(e)}\n${this.logTail()}`);
    }
  }

  waitEstablished(address: string, timeoutMs = 15_000): Promise<VxNeighborStatus> {
    return this.until(`${address} established`, async () => (await this.neighbors()).find((n) => n.address === address && n.state === 'established'), timeoutMs);
  }

  /** Wait until the FDB satisfies predicate; resolves with the entries. */
  waitFdb(what: string, predicate: (entries: VxFdbEntry[]) => boolean, timeoutMs = 10_000): Promise<VxFdbEntry[]> {
    return this.until(what, async () => {
      const e = await this.fdb();
      return predicate(e) ? e : undefined;
    }, timeoutMs);
  }

  waitRib(what: string, predicate: (p: VxRibPath) => boolean, timeoutMs = 10_000): Promise<VxRibPath> {
    return this.until(what, async () => (await this.rib()).find(predicate), timeoutMs);
  }

  waitVni(what: string, vni: number, predicate: (v: VxVniStatus) => boolean, timeoutMs = 10_000): Promise<VxVniStatus> {
    return this.until(what, async () => {
      const v = await this.vni(vni);
      return v !== undefined && predicate(v) ? v : undefined;
    }, timeoutMs);
  }
}

export interface VxStartOptions {
  /** A short name for messages. */
  name: string;
  ns: string;
  config: VxConfig;
  /** Default 'info'. */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** A command that execs the rest of argv (e.g. setpriv ... --): how the daemon is run. Its pid stays the daemon's. */
  launcher?: readonly string[];
  /** Appended to the TOML config (extra tables such as [api]). */
  extraToml?: string;
  /** Called with the temp dir before the daemon starts (permissions for an unprivileged daemon). */
  prepare?: (dir: string, configPath: string) => Promise<void>;
}

/** Write the config into a Topology temp dir, start the daemon in opts.ns, wait for its API. */
export async function startVxswitch(topo: Topology, opts: VxStartOptions): Promise<Vxswitch> {
  const dir = await topo.tempDir();
  const configPath = path.join(dir, `${opts.name}.toml`);
  await writeFile(configPath, vxswitchToml(opts.config) + (opts.extraToml ?? ''));
  await opts.prepare?.(dir, configPath);
  const vx = new Vxswitch(topo, opts.name, opts.ns, configPath, path.join(dir, `${opts.name}.sock`), opts.config, opts.logLevel ?? 'info', opts.launcher);
  await vx.start();
  return vx;
}

/** [100] or "[100]" or "[10,20]" -> numbers; "" (a Type 3) -> undefined. */
function parseLabels(x: unknown): number[] | undefined {
  if (Array.isArray(x)) return x.map(Number);
  if (typeof x !== 'string') return undefined;
  const nums = x.match(/\d+/g);
  return nums === null ? undefined : nums.map(Number);
}

// ---------------------------------------------------------------- FDB predicates

export function remoteMac(entries: readonly VxFdbEntry[], vni: number, mac: string): VxFdbEntry | undefined {
  return entries.find((e) => e.vni === vni && e.mac.toLowerCase() === mac && e.kind === 'remote');
}

export function localMac(entries: readonly VxFdbEntry[], vni: number, mac: string): VxFdbEntry | undefined {
  return entries.find((e) => e.vni === vni && e.mac.toLowerCase() === mac && e.kind === 'local');
}
