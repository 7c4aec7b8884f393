// The demo's lab: builds the namespaces and links of plan.ts with `ip`,
// starts the three vxswitch daemons in them (`ip netns exec vxd-vxN node
// bin/vxswitch.js --api-socket S run -f F`), waits until the BGP sessions are
// up and the flood lists complete, pings every host pair of each tenant and
// reads the tables with the CLI. teardown() removes everything the demo
// makes, found by name (vxd-*, RUN_DIR), so it works as well from a later
// `vxswitch demo --down` as from the run that built it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { apiCall } from '../api-client.js';
import {
  PREFIX,
  RUN_DIR,
  SWITCHES,
  TENANTS,
  UNDERLAY_NS,
  allNamespaces,
  apiSocket,
  configPath,
  hostIp,
  hostMac,
  hostName,
  hostNs,
  logPath,
  switchNs,
  switchToml,
  underlayIp,
  type Tenant,
} from './plan.js';
import { Runner, StoppedError, inNs } from './runner.js';

const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The demo's namespaces that exist now (`ip netns list`, names starting vxd-). */
export async function demoNamespaces(runner = new Runner()): Promise<string[]> {
  const out = await runner.run(null, 'ip', 'netns', 'list');
  return out
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter((n) => n.startsWith(PREFIX));
}

export interface PingPair {
  from: string;
  to: string;
  transmitted: number;
  received: number;
}

export interface TenantResult {
  tenant: Tenant;
  pairs: PingPair[];
  transmitted: number;
  received: number;
}

/** Packets per ordered host pair: enough to show the first one (it waits for ARP) gets through too. */
const PING_COUNT = 3;
/** Seconds of the demo's TCP transfer (iperf3, h1 -> h2 in the first tenant). */
export const TCP_SECONDS = 2;

export interface TcpResult {
  from: string;
  to: string;
  /** Received by the server, bits per second. */
  bitsPerSecond: number;
  retransmits: number;
}

export class DemoLab {
  readonly runner = new Runner();
  private readonly daemons = new Map<number, ChildProcess>();

  constructor(private readonly bin: string) {}

  /** Namespaces, links, addresses, MACs; every veth at the kernel's default offloads, as users' hosts are. */
  async build(): Promise<void> {
    const r = this.runner;
    await mkdir(RUN_DIR, { recursive: true, mode: 0o700 });
    // Namespaces in parallel (each `ip netns add` is a mount), links after.
    await Promise.all(allNamespaces().map((ns) => r.run(null, 'ip', 'netns', 'add', ns)));
    await Promise.all(
      allNamespaces().map(async (ns) => {
        await r.run(null, 'ip', '-n', ns, 'link', 'set', 'lo', 'up');
        // No IPv6: router solicitations and MLD reports would be flooded
        // across the tenants' VNIs for nothing.
        await r.run(ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1');
      }),
    );
    await r.run(null, 'ip', '-n', UNDERLAY_NS, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'forward_delay', '0', 'mcast_snooping', '0');
    await r.run(null, 'ip', '-n', UNDERLAY_NS, 'link', 'set', 'br0', 'up');
    await Promise.all(
      SWITCHES.map(async (n) => {
        const sw = switchNs(n);
        // Underlay: MTU 1600, VXLAN adds 50 bytes to the hosts' 1500.
        await this.veth(UNDERLAY_NS, `u${n}`, sw, 'ul0', 1600);
        await r.run(null, 'ip', '-n', UNDERLAY_NS, 'link', 'set', `u${n}`, 'master', 'br0');
        await r.run(null, 'ip', '-n', sw, 'addr', 'add', `${underlayIp(n)}/24`, 'dev', 'ul0');
        await this.up(UNDERLAY_NS, `u${n}`);
        await this.up(sw, 'ul0');
        for (const t of TENANTS) {
          const h = hostNs(t, n);
          await this.veth(sw, t.port, h, 'eth0');
          await r.run(null, 'ip', '-n', h, 'link', 'set', 'eth0', 'address', hostMac(n));
          await r.run(null, 'ip', '-n', h, 'addr', 'add', `${hostIp(n)}/24`, 'dev', 'eth0');
          await this.up(sw, t.port);
          await this.up(h, 'eth0');
        }
      }),
    );
  }

  /** A veth pair created in nsA with its peer moved to nsB (offloads as the kernel makes them: on). */
  private async veth(nsA: string, nameA: string, nsB: string, nameB: string, mtu?: number): Promise<void> {
    const m = mtu === undefined ? [] : ['mtu', String(mtu)];
    await this.runner.run(null, 'ip', '-n', nsA, 'link', 'add', nameA, ...m, 'type', 'veth', 'peer', 'name', nameB, ...m, 'netns', nsB);
  }

  private async up(ns: string, ifname: string): Promise<void> {
    await this.runner.run(null, 'ip', '-n', ns, 'link', 'set', ifname, 'up');
  }

  /**
   * The three daemons, detached (their own session, output to RUN_DIR/vxN.log),
   * so that with --keep they outlive this process and a Ctrl-C in the
   * terminal reaches only the demo, which then stops them in order.
   */
  async startSwitches(): Promise<void> {
    for (const n of SWITCHES) await writeFile(configPath(n), switchToml(n));
    for (const n of SWITCHES) {
      if (this.runner.isStopped) throw new StoppedError();
      const log = openSync(logPath(n), 'w');
      try {
        const argv = inNs(switchNs(n), [process.execPath, this.bin, '--api-socket', apiSocket(n), 'run', '-f', configPath(n)]);
        const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', log, log], detached: true });
        child.on('error', () => undefined);
        child.unref();
        this.daemons.set(n, child);
      } finally {
        closeSync(log);
      }
    }
  }

  /** The last lines of switch n's log, for failure messages. */
  async logTail(n: number, lines = 15): Promise<string> {
    const text = await readFile(logPath(n), 'utf8').catch(() => '');
    return text.trimEnd().split('\n').slice(-lines).join('\n');
  }

  /** Until every switch has both sessions Established and both peers in each VNI's flood list. */
  async waitUp(timeoutMs: number): Promise<number> {
    const t0 = Date.now();
    let last = 'no answer yet';
    for (;;) {
      if (this.runner.isStopped) throw new StoppedError();
      for (const [n, child] of this.daemons) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`vx${n} exited (${child.exitCode ?? child.signalCode}) during start; its log (${logPath(n)}):\n${await this.logTail(n)}`);
        }
      }
      const states = await Promise.all(SWITCHES.map((n) => this.switchState(n)));
      const notReady = states.filter((s) => s !== 'ready');
      if (notReady.length === 0) return Date.now() - t0;
      last = notReady.join('; ');
      if (Date.now() - t0 > timeoutMs) throw new Error(`the switches were not up within ${timeoutMs / 1000} s: ${last}`);
      await delay(200);
    }
  }

  private async switchState(n: number): Promise<string> {
    const sock = apiSocket(n);
    try {
      const neighbors = await apiCall<Array<{ address: string; state: string }>>(sock, 'neighbors', {}, 2_000);
      const down = neighbors.filter((x) => x.state.toLowerCase() !== 'established');
      if (down.length > 0) return `vx${n}: ${down.map((x) => `${x.address} ${x.state}`).join(', ')}`;
      const vnis = await apiCall<Array<{ vni: number; floodList: string[] }>>(sock, 'vnis', {}, 2_000);
      const others = SWITCHES.filter((m) => m !== n).map(underlayIp);
      for (const t of TENANTS) {
        const v = vnis.find((x) => x.vni === t.vni);
        const missing = others.filter((ip) => !(v?.floodList ?? []).includes(ip));
        if (missing.length > 0) return `vx${n}: VNI ${t.vni} flood list lacks ${missing.join(', ')}`;
      }
      return 'ready';
    } catch (e) {
      return `vx${n}: API not answering (${(e as Error).message})`;
    }
  }

  /** Every host pings every other host of its tenant, all pairs at once; bounded by ping's -c and -W. */
  async pingTenants(): Promise<TenantResult[]> {
    return Promise.all(
      TENANTS.map(async (tenant) => {
        const pairs = await Promise.all(
          SWITCHES.flatMap((a) =>
            SWITCHES.filter((b) => b !== a).map(async (b): Promise<PingPair> => {
              const argv = ['ping', '-4', '-n', '-q', '-c', String(PING_COUNT), '-i', '0.2', '-W', '2', hostIp(b)];
              const r = await this.runner.exec(inNs(hostNs(tenant, a), argv), { timeoutMs: 10_000, allowFailure: true, interruptible: true });
              const m = /(\d+) packets transmitted, (\d+) (?:packets )?received/.exec(r.stdout + r.stderr);
              const transmitted = m ? Number(m[1]) : PING_COUNT;
              return { from: hostName(tenant, a), to: hostName(tenant, b), transmitted, received: m ? Number(m[2]) : 0 };
            }),
          ),
        );
        const transmitted = pairs.reduce((s, p) => s + p.transmitted, 0);
        const received = pairs.reduce((s, p) => s + p.received, 0);
        return { tenant, pairs, transmitted, received };
      }),
    );
  }

  /**
   * A short TCP transfer from host 1 to host 2 of a tenant, hosts at their
   * default offloads: what a user tries after the pings. Bounded: a
   * one-off iperf3 server, a client of TCP_SECONDS with a connect timeout.
   */
  async tcp(tenant: Tenant): Promise<TcpResult> {
    const [a, b] = [SWITCHES[0]!, SWITCHES[1]!];
    const server = this.runner.exec(inNs(hostNs(tenant, b), ['iperf3', '-s', '-1', '-B', hostIp(b)]), { timeoutMs: (TCP_SECONDS + 15) * 1000, allowFailure: true, interruptible: true });
    try {
      let last = '';
      // The server takes a moment to listen: a few tries, bounded.
      for (let attempt = 0; attempt < 20; attempt++) {
        const r = await this.runner.exec(
          inNs(hostNs(tenant, a), ['iperf3', '-c', hostIp(b), '-t', String(TCP_SECONDS), '-J', '--connect-timeout', '2000']),
          { timeoutMs: (TCP_SECONDS + 10) * 1000, allowFailure: true, interruptible: true },
        );
        last = r.stdout + r.stderr;
        if (r.code === 0) {
          const j = JSON.parse(r.stdout) as { error?: string; end?: { sum_received?: { bits_per_second?: number; bytes?: number }; sum_sent?: { retransmits?: number; bytes?: number } } };
          const received = j.end?.sum_received;
          // What iperf3 said, when it measured nothing: the demo's error shows it.
          if (received?.bits_per_second === undefined || j.error !== undefined) {
            throw new Error(`iperf3 ${hostName(tenant, a)} -> ${hostName(tenant, b)} gave no result: ${j.error ?? r.stdout.slice(-400)}`);
          }
          if (received.bits_per_second === 0) {
            throw new Error(`iperf3 ${hostName(tenant, a)} -> ${hostName(tenant, b)}: 0 bytes received of ${j.end?.sum_sent?.bytes ?? '?'} sent, ${j.end?.sum_sent?.retransmits ?? '?'} retransmits`);
          }
          return { from: hostName(tenant, a), to: hostName(tenant, b), bitsPerSecond: received.bits_per_second, retransmits: j.end?.sum_sent?.retransmits ?? 0 };
        }
        if (!/refused/i.test(last)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`iperf3 ${hostName(tenant, a)} -> ${hostName(tenant, b)} failed: ${last.trim().split('\n').slice(-3).join(' ')}`);
    } finally {
      // A one-off server exits after its test; if the client never connected, it is killed with the rest.
      await Promise.race([server, new Promise((r) => setTimeout(r, 2000))]);
    }
  }

  /** `vxswitch --api-socket S <args>` against switch n: its text output. */
  async cli(n: number, ...args: string[]): Promise<string> {
    const r = await this.runner.exec([process.execPath, this.bin, '--api-socket', apiSocket(n), ...args], { timeoutMs: 10_000, allowFailure: true, interruptible: true });
    if (r.code !== 0) throw new Error(`vxswitch ${args.join(' ')} on vx${n}: exit ${r.code}: ${r.stderr.trim()}`);
    return r.stdout;
  }
}

export interface TeardownReport {
  processes: number;
  namespaces: string[];
}

/**
 * Remove everything the demo makes: the processes in its namespaces (the
 * daemons get SIGTERM — they send Cease to their peers and exit — and
 * SIGKILL after 3 s), the vxd-* namespaces, and RUN_DIR with the configs,
 * sockets and logs. Idempotent; uses its own Runner (the lab's may be stopped).
 */
export async function teardown(): Promise<TeardownReport> {
  const runner = new Runner();
  const namespaces = await demoNamespaces(runner);
  const pids = new Set<number>();
  for (const ns of namespaces) {
    const out = await runner.exec(['ip', 'netns', 'pids', ns], { allowFailure: true });
    for (const p of out.stdout.split(/\s+/)) if (/^\d+$/.test(p)) pids.add(Number(p));
  }
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + 3_000;
  while ([...pids].some(alive) && Date.now() < deadline) await delay(50);
  for (const pid of pids) if (alive(pid)) signal(pid, 'SIGKILL');
  const killDeadline = Date.now() + 2_000;
  while ([...pids].some(alive) && Date.now() < killDeadline) await delay(50);
  const errors: string[] = [];
  for (const ns of namespaces) {
    const r = await runner.exec(['ip', 'netns', 'del', ns], { allowFailure: true });
    if (r.code !== 0 && !/No such file/.test(r.stderr)) errors.push(`ip netns del ${ns}: ${r.stderr.trim()}`);
  }
  await rm(RUN_DIR, { recursive: true, force: true });
  if (errors.length > 0) throw new Error(errors.join('; '));
  return { processes: pids.size, namespaces };
}

/** A process that exists and is not a zombie (a child of ours not yet reaped counts as gone). */
function alive(pid: number): boolean {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  // "pid (comm) S ...": the state letter follows the last ')'.
  return stat.charAt(stat.lastIndexOf(')') + 2) !== 'Z';
}
