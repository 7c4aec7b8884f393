// Test topologies in network namespaces: namespaces, veth pairs, bridges,
// kernel VTEPs and hosts, made by a Topology that records everything it
// creates and removes all of it in destroy() (idempotent; call it from
// node:test's after() or a finally block, so a failing test cleans up too;
// a process 'exit' hook removes whatever a crashed run left).
//
// Everything here is async: the dataplane under test forwards on this
// process's event loop, so a synchronous child process (execFileSync) would
// stall it and every frame in flight. Every command has a timeout; every
// traffic generator (ping, iperf3, the crafted-datagram sender) is bounded in
// count and time, and sends only between addresses inside these namespaces
// (10.213.0.0/16, fd00:213::/64).

import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as pcap from '../../src/wire/pcap.js';

/** Namespaces, AF_PACKET, TAP and tcpdump need root: the reason to skip a test otherwise, or false. */
export const needsRoot: string | false =
  process.getuid?.() === 0 ? false : 'needs root (network namespaces, veth, bridges, AF_PACKET, TAP)';

// ---------------------------------------------------------------- names

let counter = 0;

/**
 * A name no other test process uses: vxt<pid>-<n>. IFNAMSIZ is 16 with the
 * NUL, so interface names are at most 15 characters: pid (up to 7 digits) +
 * 4 leaves 4 digits for the counter, which wraps within this process only
 * after 10,000 names.
 */
export function uniqueName(): string {
  const name = `vxt${process.pid}-${counter++ % 10_000}`;
  if (name.length > 15) throw new Error(`interface name too long: ${name}`);
  return name;
}

// ---------------------------------------------------------------- exec

export interface ExecOptions {
  /** Kill the command (SIGKILL) after this long and reject (default 10 s). */
  timeoutMs?: number;
  /** Resolve with the exit code instead of rejecting when it is not 0. */
  allowFailure?: boolean;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** argv run in namespace ns (null: this process's namespace). */
export function inNs(ns: string | null, argv: readonly string[]): string[] {
  return ns === null ? [...argv] : ['ip', 'netns', 'exec', ns, ...argv];
}

/** Run argv asynchronously; rejects on timeout, and on a non-zero exit unless allowFailure. */
export function exec(argv: readonly string[], options: ExecOptions = {}): Promise<ExecResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const [cmd, ...args] = argv;
  if (cmd === undefined) return Promise.reject(new Error('exec: empty argv'));
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (!err) {
          resolve({ code: 0, stdout, stderr });
          return;
        }
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: number | string };
        const line = argv.join(' ');
        if (e.killed || e.signal) {
          reject(new Error(`timed out after ${timeoutMs} ms (${e.signal ?? 'killed'}): ${line}\n${stdout}${stderr}`));
          return;
        }
        if (typeof e.code !== 'number') {
          reject(new Error(`could not run ${line}: ${e.message}`));
          return;
        }
        if (options.allowFailure) {
          resolve({ code: e.code, stdout, stderr });
          return;
        }
        reject(new Error(`exit ${e.code}: ${line}\n${stderr.trim() || stdout.trim()}`));
      },
    );
  });
}

/** Run cmd with args in namespace ns (null: here); resolves with stdout, rejects on failure or after 10 s. */
export async function run(ns: string | null, cmd: string, ...args: string[]): Promise<string> {
  return (await exec(inNs(ns, [cmd, ...args]))).stdout;
}

/** The names `ip netns list` shows. */
export async function listNamespaces(): Promise<string[]> {
  const out = await run(null, 'ip', 'netns', 'list');
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n !== '');
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Poll check() every intervalMs until it returns a value other than undefined/false, or throw after timeoutMs. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 5_000,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined && v !== false) return v;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(intervalMs);
  }
}

// ---------------------------------------------------------------- ping

export interface PingOptions {
  /** Echo requests sent (default 3). */
  count?: number;
  /** Seconds between requests (default 0.2). */
  intervalS?: number;
  /** Seconds each reply is waited for (ping -W, default 2). */
  replyTimeoutS?: number;
  /** Bound on the whole run, in seconds (default count * interval + replyTimeout + 5). */
  timeoutS?: number;
  ipv6?: boolean;
  /** ping -p: hex pad bytes filling the payload after the timestamp (marks a flow). */
  pattern?: string;
  /** ping -s: payload bytes (default 56). */
  size?: number;
}

export interface PingResult {
  transmitted: number;
  received: number;
  /** Lost fraction, 0..1. */
  loss: number;
  output: string;
}

/**
 * ping from namespace ns. Count- and time-bounded: -c and -W, no -w, so
 * "received === count" means every request got its reply, the first one
 * included (the one that waits for ARP / neighbour discovery).
 */
export async function ping(ns: string, target: string, options: PingOptions = {}): Promise<PingResult> {
  const count = options.count ?? 3;
  const interval = options.intervalS ?? 0.2;
  const replyTimeout = options.replyTimeoutS ?? 2;
  const timeoutS = options.timeoutS ?? count * interval + replyTimeout + 5;
  const args = ['ping', options.ipv6 ? '-6' : '-4', '-n', '-q', '-c', String(count), '-i', String(interval)];
  args.push('-W', String(replyTimeout));
  if (options.pattern !== undefined) args.push('-p', options.pattern);
  if (options.size !== undefined) args.push('-s', String(options.size));
  args.push(target);
  const r = await exec(inNs(ns, args), { timeoutMs: timeoutS * 1000, allowFailure: true });
  const output = r.stdout + r.stderr;
  const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(output);
  if (!m) throw new Error(`ping ${target} from ${ns} gave no summary (exit ${r.code}):\n${output}`);
  const transmitted = Number(m[1]);
  const received = Number(m[2]);
  return { transmitted, received, loss: transmitted === 0 ? 1 : (transmitted - received) / transmitted, output };
}

/** A neighbour entry of ns for ip, or undefined (FAILED and INCOMPLETE entries count as absent). */
export async function neighbour(ns: string, ip: string): Promise<{ lladdr: string; state: string[] } | undefined> {
  const out = await run(null, 'ip', '-n', ns, '-j', 'neigh', 'show', ip);
  const entries = JSON.parse(out || '[]') as Array<{ lladdr?: string; state?: string[] }>;
  const e = entries.find((x) => x.lladdr !== undefined);
  return e?.lladdr ? { lladdr: e.lladdr.toLowerCase(), state: e.state ?? [] } : undefined;
}

/** Forget every (non-permanent) neighbour of ns, so the next packet resolves afresh. */
export async function flushNeighbours(ns: string): Promise<void> {
  await run(null, 'ip', '-n', ns, 'neigh', 'flush', 'all');
}

// ---------------------------------------------------------------- captures

export interface CaptureOptions {
  /** tcpdump filter expression, as separate words (default: everything). */
  filter?: string[];
  /** -Q: only frames received ('in') or sent ('out') on the interface (default both). */
  direction?: 'in' | 'out' | 'inout';
  /** Bytes kept per frame (default 512: headers and the ping pattern). */
  snaplen?: number;
}

/** A running tcpdump; stop() ends it and resolves with the pcap path once the file is complete. */
export interface Capture {
  readonly path: string;
  stop(): Promise<string>;
}

/** Read a capture file (tcpdump -w writes classic pcap) with our own reader. */
export async function readCapture(file: string): Promise<pcap.PcapFile> {
  return pcap.decode(await readFile(file));
}

// ---------------------------------------------------------------- topology

export interface NamespaceOptions {
  /**
   * IPv6 on (hosts: no DAD and no router solicitations, so an address works
   * at once and the links stay quiet) or off (default: switches, kernel
   * VTEPs, underlays have no IPv6 chatter at all; bridging IPv6 frames still
   * works).
   */
  ipv6?: boolean;
}

export interface VethOptions {
  mtu?: number;
  /** Bring both ends up (default true). */
  up?: boolean;
}

export interface HostOptions {
  /** IPv4 address with prefix, e.g. 10.213.1.1/24. */
  ip?: string;
  /** IPv6 address with prefix, e.g. fd00:213::1/64 (the host namespace gets IPv6 on). */
  ip6?: string;
  /** MAC of the host's eth0 (locally administered, e.g. 02:13:00:00:00:01). */
  mac?: string;
  mtu?: number;
  /** Enslave the attach side of the veth to this bridge in the attach namespace. */
  bridge?: string;
  /** Name of the attach side (default: a unique name). */
  peerName?: string;
}

/** A host: a namespace with one interface eth0, the other end of its veth in attachNs. */
export interface Host {
  ns: string;
  ifname: 'eth0';
  attachNs: string;
  /** The veth end in attachNs (a switch port, or a bridge port). */
  peer: string;
  /** Addresses without prefix length. */
  ip?: string;
  ip6?: string;
  mac: string;
}

export interface KernelVtepOptions {
  /** Namespace holding the bridge and the vxlan device (its underlay already addressed). */
  ns: string;
  vni: number;
  /** UDP destination port (default 4789). */
  dstport?: number;
  /** Source address of the tunnel (static mode). */
  local?: string;
  /** Data-plane learning of remote MACs (default true; false adds `nolearning`). */
  learning?: boolean;
  /** Multicast mode: BUM to this group, joined on dev. */
  group?: string;
  dev?: string;
  /** Static mode: head-end replication to these VTEPs (all-zero MAC entries). */
  flood?: string[];
  /** Put the vxlan device on this existing bridge (default: a new bridge). */
  bridge?: string;
  /** Hosts behind the bridge. */
  hosts?: HostOptions[];
}

export interface KernelVtep {
  ns: string;
  bridge: string;
  vxlan: string;
  hosts: Host[];
}

const live = new Set<Topology>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // The last resort when a run dies before after() hooks run: the loop is
  // over at 'exit', so synchronous calls block nothing any more.
  process.on('exit', () => {
    for (const t of live) t.destroySync();
  });
}

/**
 * Everything one test builds. Methods take and return names; the topology
 * remembers the namespaces, links, child processes and temp dirs it made.
 */
export class Topology {
  readonly namespaces: string[] = [];
  /** Links made, as "ns/name" (they go away with their namespace). */
  readonly links: string[] = [];
  private readonly children = new Set<ChildProcess>();
  private readonly tempDirs: string[] = [];
  private readonly cleanups: Array<() => void> = [];
  private destroying: Promise<void> | undefined;

  constructor() {
    live.add(this);
    installExitHook();
  }

  /** A fresh unique name (namespaces, interfaces). */
  name(): string {
    return uniqueName();
  }

  async addNamespace(options: NamespaceOptions = {}): Promise<string> {
    const ns = uniqueName();
    await run(null, 'ip', 'netns', 'add', ns);
    this.namespaces.push(ns);
    await run(null, 'ip', '-n', ns, 'link', 'set', 'lo', 'up');
    const sysctls = options.ipv6
      ? [
          'net.ipv6.conf.all.accept_dad=0',
          'net.ipv6.conf.default.accept_dad=0',
          'net.ipv6.conf.all.router_solicitations=0',
          'net.ipv6.conf.default.router_solicitations=0',
        ]
      : ['net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'];
    await run(ns, 'sysctl', '-q', '-w', ...sysctls);
    return ns;
  }

  /**
   * A veth pair: nameA in nsA, nameB in nsB (created there directly, so a
   * name only has to be free in its own namespace). Offloads stay as the
   * kernel makes them (checksum offload, TSO and GSO on), as on users'
   * hosts, containers and VMs: the switch must take GSO super-frames and
   * partial checksums.
   */
  async veth(nsA: string, nameA: string, nsB: string, nameB: string, options: VethOptions = {}): Promise<void> {
    const args = ['-n', nsA, 'link', 'add', nameA];
    if (options.mtu !== undefined) args.push('mtu', String(options.mtu));
    args.push('type', 'veth', 'peer', 'name', nameB);
    if (options.mtu !== undefined) args.push('mtu', String(options.mtu));
    args.push('netns', nsB);
    await run(null, 'ip', ...args);
    this.links.push(`${nsA}/${nameA}`, `${nsB}/${nameB}`);
    if (options.up ?? true) {
      await this.linkUp(nsA, nameA);
      await this.linkUp(nsB, nameB);
    }
  }

  /** A bridge, up, with STP off, no forwarding delay and no multicast snooping (it floods all multicast). */
  async bridge(ns: string, name = uniqueName(), mtu?: number): Promise<string> {
    const args = ['-n', ns, 'link', 'add', name];
    if (mtu !== undefined) args.push('mtu', String(mtu));
    args.push('type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0');
    await run(null, 'ip', ...args);
    this.links.push(`${ns}/${name}`);
    await this.linkUp(ns, name);
    return name;
  }

  async setMaster(ns: string, ifname: string, bridge: string): Promise<void> {
    await run(null, 'ip', '-n', ns, 'link', 'set', ifname, 'master', bridge);
  }

  /** Add an address (with prefix); IPv6 ones with nodad so they work at once. */
  async address(ns: string, ifname: string, cidr: string): Promise<void> {
    const args = ['-n', ns, 'addr', 'add', cidr, 'dev', ifname];
    if (cidr.includes(':')) args.push('nodad');
    await run(null, 'ip', ...args);
  }

  async linkUp(ns: string, ifname: string): Promise<void> {
    await run(null, 'ip', '-n', ns, 'link', 'set', ifname, 'up');
  }

  async setMac(ns: string, ifname: string, mac: string): Promise<void> {
    await run(null, 'ip', '-n', ns, 'link', 'set', ifname, 'address', mac);
  }

  /** A host namespace whose eth0 is a veth to attachNs (optionally a port of a bridge there). */
  async host(attachNs: string, options: HostOptions = {}): Promise<Host> {
    const ns = await this.addNamespace({ ipv6: options.ip6 !== undefined });
    const peer = options.peerName ?? uniqueName();
    await this.veth(attachNs, peer, ns, 'eth0', { mtu: options.mtu, up: false });
    if (options.mac) await this.setMac(ns, 'eth0', options.mac);
    if (options.bridge) await this.setMaster(attachNs, peer, options.bridge);
    if (options.ip) await this.address(ns, 'eth0', options.ip);
    if (options.ip6) await this.address(ns, 'eth0', options.ip6);
    await this.linkUp(attachNs, peer);
    await this.linkUp(ns, 'eth0');
    const mac = options.mac?.toLowerCase() ?? (await this.macOf(ns, 'eth0'));
    const host: Host = { ns, ifname: 'eth0', attachNs, peer, mac };
    if (options.ip) host.ip = options.ip.split('/')[0]!;
    if (options.ip6) host.ip6 = options.ip6.split('/')[0]!;
    return host;
  }

  async macOf(ns: string, ifname: string): Promise<string> {
    const out = await run(null, 'ip', '-n', ns, '-j', 'link', 'show', ifname);
    const [link] = JSON.parse(out) as Array<{ address: string }>;
    if (!link) throw new Error(`no link ${ifname} in ${ns}`);
    return link.address.toLowerCase();
  }

  /**
   * A Linux VTEP: a vxlan device on a bridge, static (local + flood entries,
   * `bridge fdb append 00:00:00:00:00:00 dev VX dst IP` per remote) or
   * multicast (group + dev), and hosts behind the bridge.
   */
  async kernelVtep(options: KernelVtepOptions): Promise<KernelVtep> {
    const { ns } = options;
    const bridge = options.bridge ?? (await this.bridge(ns));
    const vxlan = uniqueName();
    const args = ['-n', ns, 'link', 'add', vxlan, 'type', 'vxlan', 'id', String(options.vni)];
    args.push('dstport', String(options.dstport ?? 4789));
    if (options.local) args.push('local', options.local);
    if (options.group) args.push('group', options.group);
    if (options.dev) args.push('dev', options.dev);
    if (options.learning === false) args.push('nolearning');
    await run(null, 'ip', ...args);
    this.links.push(`${ns}/${vxlan}`);
    await this.setMaster(ns, vxlan, bridge);
    await this.linkUp(ns, vxlan);
    for (const dst of options.flood ?? []) {
      await run(null, 'bridge', '-n', ns, 'fdb', 'append', '00:00:00:00:00:00', 'dev', vxlan, 'dst', dst);
    }
    const hosts: Host[] = [];
    for (const h of options.hosts ?? []) hosts.push(await this.host(ns, { ...h, bridge }));
    return { ns, bridge, vxlan, hosts };
  }

  /** Start argv in ns as a child this topology kills in destroy(); output is piped. */
  spawn(ns: string | null, argv: readonly string[]): ChildProcess {
    const [cmd, ...args] = inNs(ns, argv);
    const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    child.on('exit', () => this.children.delete(child));
    // An ENOENT would otherwise be an unhandled 'error' event.
    child.on('error', () => this.children.delete(child));
    return child;
  }

  /**
   * Run cleanup in destroy() (and in the exit hook) after the children are
   * killed and before the namespaces go: for state outside the namespaces
   * that a child leaves behind (FRR's /var/run/frr/<pathspace>). It must be
   * synchronous and must not throw (the exit hook cannot wait).
   */
  addCleanup(cleanup: () => void): void {
    this.cleanups.push(cleanup);
  }

  /**
   * An underlay port: a veth whose end `ifname` (default ul0) in ns gets
   * cidr, the other end a port of `bridge` in bridgeNs. MTU 1600 by default
   * (VXLAN adds 50 bytes to the overlay's 1500).
   */
  async underlayPort(
    bridgeNs: string,
    bridge: string,
    ns: string,
    cidr: string,
    options: { ifname?: string; mtu?: number } = {},
  ): Promise<string> {
    const ifname = options.ifname ?? 'ul0';
    const port = uniqueName();
    await this.veth(bridgeNs, port, ns, ifname, { mtu: options.mtu ?? 1600, up: false });
    await this.setMaster(bridgeNs, port, bridge);
    await this.address(ns, ifname, cidr);
    await this.linkUp(bridgeNs, port);
    await this.linkUp(ns, ifname);
    return port;
  }

  /** A temp directory removed in destroy(). */
  async tempDir(): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'vxt-'));
    this.tempDirs.push(dir);
    return dir;
  }

  /**
   * tcpdump on ifname in ns, writing a pcap; resolves once tcpdump says it
   * is listening (so nothing sent afterwards is missed). --immediate-mode
   * and -U hand over and write each frame as it comes: without them libpcap's
   * TPACKET_V3 ring passes frames up only per filled block or after a 1 s
   * timeout, and the frames of the last second before stop() are lost.
   * -Z root because Debian's tcpdump otherwise drops to a user that cannot
   * write the (root-only) temp dir.
   */
  async startCapture(ns: string, ifname: string, options: CaptureOptions = {}): Promise<Capture> {
    const dir = await this.tempDir();
    const file = path.join(dir, `${ifname}.pcap`);
    const argv = ['tcpdump', '-i', ifname, '-n', '-U', '--immediate-mode', '-Z', 'root'];
    argv.push('-s', String(options.snaplen ?? 512), '-w', file);
    if (options.direction) argv.push('-Q', options.direction);
    argv.push(...(options.filter ?? []));
    const child = this.spawn(ns, argv);
    let stderr = '';
    let exited = false;
    const exit = new Promise<void>((resolve) => child.on('close', () => ((exited = true), resolve())));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`tcpdump on ${ns}/${ifname} did not start: ${stderr}`)), 5_000);
      child.stderr!.on('data', (d: Buffer) => {
        stderr += d.toString('utf8');
        if (stderr.includes('listening on')) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exit.then(() => {
        clearTimeout(timer);
        reject(new Error(`tcpdump on ${ns}/${ifname} exited: ${stderr}`));
      });
    });
    child.stdout!.resume();
    return {
      path: file,
      stop: async () => {
        if (!exited) {
          // A frame sent just before stop() may still be on its way through the kernel to tcpdump.
          await delay(100);
          child.kill('SIGINT');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
          await exit;
          clearTimeout(timer);
        }
        return file;
      },
    };
  }

  /** Kill children, delete the namespaces (and with them every link in them), remove temp dirs. Idempotent. */
  destroy(): Promise<void> {
    this.destroying ??= this.doDestroy();
    return this.destroying;
  }

  private async doDestroy(): Promise<void> {
    const errors: string[] = [];
    await Promise.all(
      [...this.children].map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('close', () => resolve());
            child.kill('SIGKILL');
            setTimeout(resolve, 2_000).unref();
          }),
      ),
    );
    this.runCleanups();
    for (const ns of this.namespaces) {
      const r = await exec(['ip', 'netns', 'del', ns], { allowFailure: true });
      if (r.code !== 0 && !/No such file/.test(r.stderr)) errors.push(`ip netns del ${ns}: ${r.stderr.trim()}`);
    }
    for (const dir of this.tempDirs) await rm(dir, { recursive: true, force: true });
    live.delete(this);
    if (errors.length) throw new Error(`Topology.destroy: ${errors.join('; ')}`);
  }

  /** Each cleanup once, in reverse order of registration; a throwing one does not stop the others. */
  private runCleanups(): void {
    for (const cleanup of this.cleanups.splice(0).reverse()) {
      try {
        cleanup();
      } catch {
        // best effort: the namespaces still go
      }
    }
  }

  /** The exit hook's version: synchronous, best effort. */
  destroySync(): void {
    for (const child of this.children) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    this.runCleanups();
    for (const ns of this.namespaces) {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5_000 });
      } catch {
        // already gone
      }
    }
    for (const dir of this.tempDirs) rmSync(dir, { recursive: true, force: true });
    live.delete(this);
  }
}

// ---------------------------------------------------------------- iperf3

export interface IperfResult {
  /** Receiver-side TCP goodput over the run. */
  bitsPerSecond: number;
  seconds: number;
  bytes: number;
  /** TCP retransmissions the sender counted (the server's in reverse mode). */
  retransmits: number;
  /** The server's exit code (0 when its one test completed). */
  serverExit: number | null;
}

export interface IperfOptions {
  /** -R: the server sends, the client receives. */
  reverse?: boolean;
}

/**
 * iperf3 TCP from client host to server host for seconds: the server runs
 * with -1 (one test, then it exits), the client with -J; both are bounded.
 */
export async function iperf3Tcp(
  topo: Topology,
  server: { ns: string; ip: string },
  client: { ns: string },
  seconds: number,
  options: IperfOptions = {},
): Promise<IperfResult> {
  const port = 5201;
  const srv = topo.spawn(server.ns, ['iperf3', '-s', '-1', '-B', server.ip, '-p', String(port)]);
  srv.stdout!.resume();
  srv.stderr!.resume();
  const serverDone = new Promise<number | null>((resolve) => srv.on('close', (code) => resolve(code)));
  await waitFor(`iperf3 server listening in ${server.ns}`, async () => {
    const out = await run(server.ns, 'ss', '-Hltn', `sport = :${port}`);
    return out.trim() !== '' || undefined;
  });
  const r = await exec(
    inNs(client.ns, ['iperf3', '-c', server.ip, '-p', String(port), '-t', String(seconds), '-J', '--connect-timeout', '3000', ...(options.reverse ? ['-R'] : [])]),
    { timeoutMs: (seconds + 15) * 1000, allowFailure: true },
  );
  if (r.code !== 0) throw new Error(`iperf3 client exited ${r.code}:\n${r.stdout}${r.stderr}`);
  const json = JSON.parse(r.stdout) as {
    end?: { sum_received?: { bits_per_second?: number; seconds?: number; bytes?: number }; sum_sent?: { retransmits?: number } };
  };
  const sum = json.end?.sum_received;
  const timer = setTimeout(() => srv.kill('SIGKILL'), 5_000);
  const serverExit = await serverDone;
  clearTimeout(timer);
  return { bitsPerSecond: sum?.bits_per_second ?? 0, seconds: sum?.seconds ?? 0, bytes: sum?.bytes ?? 0, retransmits: json.end?.sum_sent?.retransmits ?? 0, serverExit };
}
