// vxswitch as the bench runs it: `ip netns exec NS node [--cpu-prof]
// bin/vxswitch.js run -f CONFIG --api-socket S`, a Topology child (its
// destroy() and exit hook kill it), read through one persistent connection
// to its API socket (a unix socket: reachable from any namespace).

import type { ChildProcess } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { waitFor, type Topology } from '../../test/helpers/netns.js';

/** bin/vxswitch.js, from dist/bench/control-plane/. */
export const VXSWITCH_BIN = fileURLToPath(new URL('../../../bin/vxswitch.js', import.meta.url));
const STALL_PROBE = fileURLToPath(new URL('./stall-probe.js', import.meta.url));

export interface VxNeighborStatus {
  address: string;
  state: string;
  received: number;
  accepted: number;
  /** BGP messages of the session. */
  messages: { received: number; sent: number };
}

/** One connection to the daemon's API socket; requests answered in order (api-server.ts). */
export class ApiConnection {
  private buffered = '';
  private readonly waiting: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void }> = [];
  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffered += chunk;
      let nl: number;
      while ((nl = this.buffered.indexOf('\n')) >= 0) {
        const line = this.buffered.slice(0, nl);
        this.buffered = this.buffered.slice(nl + 1);
        const w = this.waiting.shift();
        if (w === undefined) continue;
        const res = JSON.parse(line) as { ok: boolean; result?: unknown; error?: string };
        if (res.ok) w.resolve(res.result);
        else w.reject(new Error(`vxswitch API: ${res.error ?? 'error'}`));
      }
    });
    const fail = (e: Error): void => {
      for (const w of this.waiting.splice(0)) w.reject(e);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('vxswitch API connection closed')));
  }

  static open(file: string): Promise<ApiConnection> {
    return new Promise((resolve, reject) => {
      const s = net.connect(file);
      s.once('connect', () => resolve(new ApiConnection(s)));
      s.once('error', reject);
    });
  }

  call<T>(method: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ resolve: resolve as (v: unknown) => void, reject });
      this.socket.write(`${JSON.stringify({ method })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface VxNeighborConfig {
  address: string;
  /** Only accept the peer's connection (the injector connects; it does not listen). */
  passive: boolean;
}

export interface VxswitchConfig {
  as: number;
  routerId: string;
  /** iBGP neighbors (peer AS = as). */
  neighbors: VxNeighborConfig[];
  holdS: number;
  /** One EVPN VNI with one member port (AF_PACKET); with `vnis`, none. */
  vni?: number;
  member?: string;
  /** More VNIs (the scale test's, the forwarding probe's). */
  vnis?: VxVniToml[];
  /** [dataplane] max-entries. */
  maxEntries: number;
  /** [dataplane] workers (absent: the default). */
  workers?: number;
}

/** One [[dataplane.virtual-network-list]] entry. */
export interface VxVniToml {
  vni: number;
  /** Default "evpn". */
  mode?: 'evpn' | 'static';
  members?: string[];
  /** 802.1Q-tagged members: frames with this VLAN ID on this port are the VNI's. */
  vlanMembers?: Array<{ interface: string; vlan: number }>;
  /** Static mode: the remote VTEPs BUM frames go to. */
  floodList?: string[];
}

/** The daemon's TOML (src/daemon/config-file.ts keys): one EVPN VNI, underlay ul0, VTEP address = router id. */
export function vxswitchToml(o: VxswitchConfig): string {
  const q = JSON.stringify;
  const l = ['[global.config]', `  as = ${o.as}`, `  router-id = ${q(o.routerId)}`, '  port = 179', `  local-address-list = [${q(o.routerId)}]`];
  for (const n of o.neighbors) {
    l.push('', '[[neighbors]]', '  [neighbors.config]', `    neighbor-address = ${q(n.address)}`, `    peer-as = ${o.as}`);
    l.push('  [neighbors.timers.config]', '    connect-retry = 1', `    hold-time = ${o.holdS}`, `    keepalive-interval = ${Math.floor(o.holdS / 3)}`);
    l.push('  [neighbors.transport.config]', `    local-address = ${q(o.routerId)}`, `    passive-mode = ${n.passive}`);
    l.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', '      afi-safi-name = "l2vpn-evpn"');
  }
  l.push('', '[dataplane]', '  type = "userspace"', `  vtep-address = ${q(o.routerId)}`, '  underlay-interface = "ul0"');
  // The default table (65,536 entries) is smaller than the injection.
  l.push(`  max-entries = ${o.maxEntries}`);
  if (o.workers !== undefined) l.push(`  workers = ${o.workers}`);
  const vnis = [...(o.vni !== undefined && o.member !== undefined ? [{ vni: o.vni, members: [o.member] }] : []), ...(o.vnis ?? [])];
  for (const v of vnis) {
    l.push('', '[[dataplane.virtual-network-list]]', `  vni = ${v.vni}`, `  mode = ${q(v.mode ?? 'evpn')}`);
    if (v.members !== undefined) l.push(`  member-interfaces = [${v.members.map((m) => q(m)).join(', ')}]`);
    if (v.vlanMembers !== undefined) l.push(`  vlan-members = [${v.vlanMembers.map((m) => `{ interface = ${q(m.interface)}, vlan = ${m.vlan} }`).join(', ')}]`);
    if (v.floodList !== undefined) l.push(`  flood-list = [${v.floodList.map((a) => q(a)).join(', ')}]`);
  }
  return `${l.join('\n')}\n`;
}

/** One event-loop stall seen by stall-probe.ts, ms. */
export interface StallSeen {
  ms: number;
  /** CPU time the process used meanwhile. */
  cpuMs: number;
  /** Time the main thread waited for a core meanwhile. */
  runQueueMs: number;
}

/** A running daemon; stop() ends it gracefully (so --cpu-prof writes its profile). */
export class Vxswitch {
  private constructor(
    readonly child: ChildProcess,
    readonly api: ApiConnection,
    private readonly output: { tail: string },
    private readonly dir: string,
  ) {}

  get pid(): number | undefined {
    return this.child.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** `vxswitch run` in ns (a Topology child: destroy() kills it); resolves once its API answers. */
  static async start(topo: Topology, ns: string, toml: string, cpuProfDir: string | undefined): Promise<Vxswitch> {
    const dir = await topo.tempDir();
    const conf = path.join(dir, 'vxswitch.toml');
    const socketPath = path.join(dir, 'api.sock');
    await writeFile(conf, toml);
    // The in-daemon event-loop stall probe (stall-probe.ts) writes next to the config.
    const node = [process.execPath, '--import', pathToFileURL(STALL_PROBE).href];
    if (cpuProfDir !== undefined) node.push('--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`);
    const child = topo.spawn(ns, [...node, VXSWITCH_BIN, 'run', '-f', conf, '--api-socket', socketPath]);
    // The log's tail, for failure messages.
    const output = { tail: '' };
    const keep = (d: Buffer): void => {
      output.tail = (output.tail + d.toString('utf8')).slice(-4096);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    const api = await waitFor(
      'the vxswitch API socket',
      async () => {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`vxswitch exited (${child.exitCode ?? child.signalCode}):\n${output.tail}`);
        return ApiConnection.open(socketPath).catch(() => undefined);
      },
      15_000,
      50,
    );
    return new Vxswitch(child, api, output, dir);
  }

  /**
   * The longest event-loop stall the daemon's probe saw between two epoch-ms
   * times, with the CPU time the process used during it and the time its
   * main thread waited on a run queue (ms; all 0: none above the probe's
   * threshold). A stall spent on a run queue is the process waiting for a
   * core, not holding the loop.
   */
  async maxStall(from: number, to: number): Promise<StallSeen> {
    const text = await readFile(path.join(this.dir, 'stalls.txt'), 'utf8').catch(() => '');
    let max: StallSeen = { ms: 0, cpuMs: 0, runQueueMs: 0 };
    for (const line of text.split('\n')) {
      const [t, lag, cpuMs, runQueueMs] = line.split(' ').map(Number);
      // A stall is logged when it ends: count the ones that overlap the window.
      if (t !== undefined && lag !== undefined && t >= from && t - lag <= to && lag > max.ms) max = { ms: lag, cpuMs: cpuMs ?? 0, runQueueMs: runQueueMs ?? 0 };
    }
    return max;
  }

  get log(): string {
    return this.output.tail;
  }

  async neighbor(address: string): Promise<VxNeighborStatus | undefined> {
    return (await this.api.call<VxNeighborStatus[]>('neighbors')).find((n) => n.address === address);
  }

  async fdbEntries(): Promise<number> {
    return (await this.api.call<{ fdb: { entries: number } }>('counters')).fdb.entries;
  }

  /**
   * SIGTERM (the daemon sends Cease and exits; --cpu-prof writes its profile
   * then), SIGKILL after graceMs (10 s; a million routes take longer to let
   * go and to write a profile of).
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.api.close();
    const c = this.child;
    if (c.exitCode !== null || c.signalCode !== null) return;
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), graceMs);
    await closed;
    clearTimeout(timer);
  }
}
