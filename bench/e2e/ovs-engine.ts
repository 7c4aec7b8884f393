// Open vSwitch's userspace datapath as the VTEP under test (Debian's
// openvswitch-switch, ovs-install.ts), configured as docs/benchmarking.md
// "Open vSwitch" describes:
//
//   switch ns:  vxs0 -- br-int (netdev) -- vxlan0 (type=vxlan, key VNI, remote 10.99.0.2)
//                                             | userspace tunnel push/pop
//               vxu0 -- br-phy (netdev, 10.99.0.1/24 on its internal port) -- rx ns
//
// No systemd and nothing system-wide: the database, sockets, pidfiles and
// logs live in a temp dir (OVS_RUNDIR, OVS_DBDIR, OVS_LOGDIR,
// OVS_SYSCONFDIR), and ovsdb-server and ovs-vswitchd run inside the switch
// namespace, ovs-vswitchd pinned to CPU 1 like the other engines' VTEP (with
// system ports only, the netdev datapath polls them in the main thread, so
// all its forwarding runs there). The VTEP address moves from vxu0 to
// br-phy's internal port while OVS runs (userspace tunnelling routes and
// resolves through its own tables, filled here with ovs/route/add and
// tnl/arp/set, since the receiver has no address to answer ARP with during
// the frame runs) and back on stop. An OpenFlow flow sends DST_MAC to the
// vxlan port, the known-unicast path the other engines take through their
// static FDB entries; everything else is NORMAL (learning switch, flooding),
// which the TCP run's ARP and ACKs use.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Engine, TcpWorkaround } from './engine.js';
import { ipn, niceCmd, nsRun, run, trackCleanup } from './netns.js';
import { OVS_SCHEMA } from './ovs-install.js';
import { DST_MAC, GEN_IF, LOCAL_VTEP, MEMBER_IF, REMOTE_VTEP, RX_IF, UNDERLAY_IF, UNDERLAY_MTU, VNI, VXLAN_PORT, type Topology } from './topology.js';

const VXLAN_PORT_NAME = 'vxlan0';

/**
 * OVS 3.1's netdev datapath reads its ports with AF_PACKET and no
 * virtio-net header, so it cannot tell a partial checksum (CHECKSUM_PARTIAL,
 * left for "the NIC" by a veth peer with tx checksum offload on) from a bad
 * one: host A's TCP segments would go into the tunnel with unfinished
 * checksums (and as 64 KB TSO frames), and the receiver VTEP's datagrams
 * carry a partial outer UDP checksum, so tunnel pop fails
 * (datapath_drop_tunnel_pop_error). other_config:userspace-tso-enable does
 * not help in 3.1 ("Tunneling packets with HW offload flags is not
 * supported"). So for OVS's TCP runs only, the veth ends that send into OVS
 * (vxg0 on host A, vxr0 on the receiver) finish checksums in software;
 * frame runs need nothing (the generator writes complete checksums).
 * docs/benchmarking.md "Open vSwitch".
 */
const vethTxChecksumOff: TcpWorkaround = {
  label: 'tx checksum offload off on the veth ends sending into OVS (vxg0, vxr0): OVS 3.1 drops partial checksums',
  async set(t: Topology, applied: boolean): Promise<void> {
    const v = applied ? 'off' : 'on';
    await nsRun(t.gen, 'ethtool', ['-K', GEN_IF, 'tx', v]);
    await nsRun(t.rx, 'ethtool', ['-K', RX_IF, 'tx', v]);
  },
};

function readPid(pidfile: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidfile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // gone already
  }
}

async function gone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return !alive(pid);
}

/**
 * End the daemon in pidfile: give it graceMs to exit by itself (after an
 * exit command), then SIGTERM, then SIGKILL. Resolves what it had to do,
 * or undefined when it went by itself (or was not running).
 */
async function stopDaemon(pidfile: string, graceMs: number): Promise<'SIGTERM' | 'SIGKILL' | undefined> {
  const pid = readPid(pidfile);
  if (pid === undefined || (await gone(pid, graceMs))) return undefined;
  signal(pid, 'SIGTERM');
  if (await gone(pid, 3000)) return 'SIGTERM';
  signal(pid, 'SIGKILL');
  await gone(pid, 1000);
  return 'SIGKILL';
}

/** Log lines that say something went wrong; not the kernel datapath probe (there is none: netdev only). */
function logProblems(text: string): string[] {
  return text
    .split('\n')
    .filter((l) => /\|(ERR|EMER|WARN)\|/.test(l) && !l.includes('failed to enumerate system datapaths'))
    .map((l) => l.split('|').slice(-1)[0]!);
}

export function ovsEngine(): Engine {
  let dir = '';
  let sw = '';
  let topo: Topology | undefined;
  let vswitchdPid: number | undefined;
  let untrack: (() => void) | undefined;
  const notes: string[] = [];
  const env = (): NodeJS.ProcessEnv => ({ ...process.env, OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir, OVS_SYSCONFDIR: dir });
  const db = (): string => `unix:${join(dir, 'db.sock')}`;
  const vsctl = (...args: string[]): Promise<string> => run('ovs-vsctl', [`--db=${db()}`, '--timeout=10', ...args], 15_000, env());
  const appctl = (...args: string[]): Promise<string> =>
    run('ovs-appctl', ['-t', join(dir, 'ovs-vswitchd.ctl'), '--timeout=10', ...args], 15_000, env());
  const ofctl = (...args: string[]): Promise<string> => run('ovs-ofctl', args, 15_000, env());
  const pidfile = (daemon: string): string => join(dir, `${daemon}.pid`);
  // Ctrl-C or a failed run: end both daemons at once and drop the temp dir.
  const killNow = (d: string): void => {
    for (const daemon of ['ovs-vswitchd', 'ovsdb-server']) {
      const pid = readPid(join(d, `${daemon}.pid`));
      if (pid !== undefined) signal(pid, 'SIGKILL');
    }
    rmSync(d, { recursive: true, force: true });
  };

  return {
    name: 'ovs',
    async start(t: Topology): Promise<void> {
      sw = t.sw;
      topo = t;
      dir = mkdtempSync(join(tmpdir(), 'vxe-ovs-'));
      const d = dir;
      untrack = trackCleanup(() => killNow(d));
      await run('ovsdb-tool', ['create', join(dir, 'conf.db'), OVS_SCHEMA], 10_000, env());
      const daemonArgs = (daemon: string): string[] => [
        `--pidfile=${pidfile(daemon)}`,
        '--detach',
        '--no-chdir',
        `--log-file=${join(dir, `${daemon}.log`)}`,
        '-vconsole:off',
      ];
      // The database is control plane: CPU 0, away from the measured core.
      await run('ip', ['netns', 'exec', sw, 'taskset', '-c', '0', 'ovsdb-server', join(dir, 'conf.db'),
        `--remote=punix:${join(dir, 'db.sock')}`, `--unixctl=${join(dir, 'ovsdb-server.ctl')}`, ...daemonArgs('ovsdb-server')], 15_000, env());
      await vsctl('--no-wait', 'init');
      await run('ip', ['netns', 'exec', sw, ...niceCmd(['taskset', '-c', '1', 'ovs-vswitchd', db(),
        `--unixctl=${join(dir, 'ovs-vswitchd.ctl')}`, ...daemonArgs('ovs-vswitchd')]).flat()], 30_000, env());
      vswitchdPid = readPid(pidfile('ovs-vswitchd'));

      const underlayMac = (JSON.parse(await ipn(sw, '-j', 'link', 'show', 'dev', UNDERLAY_IF)) as Array<{ address: string }>)[0]!.address;
      // br-phy: the underlay. Its internal port takes the VTEP address (and
      // vxu0's MAC, so the receiver's neighbour entry stays right).
      await vsctl('add-br', 'br-phy', '--', 'set', 'bridge', 'br-phy', 'datapath_type=netdev', `other_config:hwaddr="${underlayMac}"`,
        '--', 'set', 'interface', 'br-phy', `mtu_request=${UNDERLAY_MTU}`);
      await vsctl('add-port', 'br-phy', UNDERLAY_IF);
      await ipn(sw, 'addr', 'flush', 'dev', UNDERLAY_IF);
      await ipn(sw, 'addr', 'add', `${LOCAL_VTEP}/24`, 'dev', 'br-phy');
      await ipn(sw, 'link', 'set', 'br-phy', 'up');
      // br-int: the member port and the VXLAN port (RFC 7348; key = VNI).
      await vsctl('add-br', 'br-int', '--', 'set', 'bridge', 'br-int', 'datapath_type=netdev');
      await vsctl('add-port', 'br-int', MEMBER_IF);
      await vsctl('add-port', 'br-int', VXLAN_PORT_NAME, '--', 'set', 'interface', VXLAN_PORT_NAME, 'type=vxlan',
        `options:remote_ip=${REMOTE_VTEP}`, `options:local_ip=${LOCAL_VTEP}`, `options:key=${VNI}`, `options:dst_port=${VXLAN_PORT}`);
      // Userspace tunnel routing: a route to the remote VTEP via br-phy (OVS
      // also learns br-phy's subnet from the kernel; this one does not
      // depend on that) and the remote VTEP's MAC, since nothing answers
      // ARP for it during the frame runs.
      await appctl('ovs/route/add', `${REMOTE_VTEP}/32`, 'br-phy').catch((e: unknown) => notes.push(`ovs/route/add: ${(e as Error).message}`));
      await appctl('tnl/arp/set', 'br-phy', REMOTE_VTEP, t.rxMac);
      await ofctl('add-flow', 'br-int', `priority=100,dl_dst=${DST_MAC},actions=output:${VXLAN_PORT_NAME}`);
    },
    async stop(): Promise<void> {
      if (dir === '') return;
      // exit --cleanup removes the bridges' datapath and their internal ports (br-phy, br-int).
      await appctl('exit', '--cleanup').catch((e: unknown) => notes.push(`ovs-appctl exit: ${(e as Error).message}`));
      for (const [daemon, graceMs] of [['ovs-vswitchd', 5000], ['ovsdb-server', 0]] as const) {
        const how = await stopDaemon(pidfile(daemon), graceMs);
        if (how !== undefined && graceMs > 0) notes.push(`ovs: ${daemon} did not exit when asked; ${how}`);
      }
      try {
        const problems = logProblems(readFileSync(join(dir, 'ovs-vswitchd.log'), 'utf8'));
        if (problems.length > 0) notes.push(`ovs-vswitchd log, ${problems.length} warnings: ${[...new Set(problems)].slice(-3).join(' | ')}`);
      } catch {
        // no log
      }
      untrack?.();
      untrack = undefined;
      rmSync(dir, { recursive: true, force: true });
      dir = '';
      vswitchdPid = undefined;
      for (const dev of ['br-int', 'br-phy']) await ipn(sw, 'link', 'del', dev).catch(() => undefined);
      // The underlay port as the topology made it.
      await ipn(sw, 'addr', 'replace', `${LOCAL_VTEP}/24`, 'dev', UNDERLAY_IF).catch(() => undefined);
      await ipn(sw, 'link', 'set', UNDERLAY_IF, 'up').catch(() => undefined);
      if (topo !== undefined) {
        await ipn(sw, 'neigh', 'replace', REMOTE_VTEP, 'lladdr', topo.rxMac, 'dev', UNDERLAY_IF, 'nud', 'permanent').catch(() => undefined);
      }
    },
    pid: () => vswitchdPid,
    notes: () => notes.splice(0),
    tcpWorkaround: vethTxChecksumOff,
  };
}
