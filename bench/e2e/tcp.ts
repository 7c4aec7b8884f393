// TCP through the VTEP under test: iperf3 from host A (generator namespace,
// behind the switch) to host B, a kernel VTEP in the receiver namespace:
//
//   rx ns: vxr0 10.99.0.2/24 (underlay) -- vxv0 (kernel vxlan, VNI, flood
//          to 10.99.0.1) 192.168.77.2/24
//
// The receiver VTEP exists only for the TCP run (during the frame runs the
// receiver has no address, so the datagrams are counted and dropped). Client
// and server are pinned to CPU 0 with the receiver VTEP's softirq; CPU 1 is
// the switch's. Data flows host A -> switch (encapsulation) -> host B; ACKs
// come back through the switch's decapsulation path. The reverse run (-R)
// sends the data the other way.

import { sampleCpu, shares, type CpuShares } from './cpu-stat.js';
import { collect, ipn, niceCmd, nsRun, run, start, waitExit } from './netns.js';
import { GEN_IF, HOST_B_IP, LOCAL_VTEP, REMOTE_VTEP, RX_IF, VNI, VXLAN_PORT, type Topology } from './topology.js';

export interface TcpResult {
  gbps: number;
  /** TCP retransmissions the client counted. */
  retransmits: number;
  /** CPU 1 over the run (cpu-stat.ts). */
  cpu: CpuShares;
}

export interface TcpOptions {
  /**
   * Host B sends to host A (iperf3 -R): data comes through the switch's
   * decapsulation path and, for vxswitch, its receive coalescing; ACKs go
   * the other way.
   */
  reverse?: boolean;
}

const RX_VXLAN = 'vxv0';
/** Ping tries while host A resolves host B through the VTEP, each up to PING_WAIT_S. */
const PING_TRIES = 3;
const PING_WAIT_S = 2;
const HOST_B_MAC = '02:00:00:00:0b:0b';

async function receiverUp(t: Topology): Promise<void> {
  await ipn(t.rx, 'addr', 'add', `${REMOTE_VTEP}/24`, 'dev', RX_IF);
  // A fixed MAC: host A's ARP cache from an earlier run stays right.
  await ipn(t.rx, 'link', 'add', RX_VXLAN, 'address', HOST_B_MAC, 'type', 'vxlan', 'id', String(VNI), 'dstport', String(VXLAN_PORT), 'local', REMOTE_VTEP, 'dev', RX_IF);
  await run('bridge', ['-n', t.rx, 'fdb', 'append', '00:00:00:00:00:00', 'dev', RX_VXLAN, 'dst', LOCAL_VTEP]);
  // Host B at its defaults, as users' hosts are (docs/benchmarking.md "Offloads").
  await ipn(t.rx, 'addr', 'add', `${HOST_B_IP}/24`, 'dev', RX_VXLAN);
  await ipn(t.rx, 'link', 'set', RX_VXLAN, 'up');
}

async function receiverDown(t: Topology): Promise<void> {
  await ipn(t.rx, 'link', 'del', RX_VXLAN).catch(() => undefined);
  await ipn(t.rx, 'addr', 'flush', 'dev', RX_IF).catch(() => undefined);
}

/** One iperf3 run of `seconds` (the VTEP must be running); throws when the path does not work. */
export async function tcpRun(t: Topology, seconds: number, switchPid?: number, o: TcpOptions = {}): Promise<TcpResult> {
  await receiverUp(t);
  // Host A resolves host B afresh through this VTEP's flood path.
  await ipn(t.gen, 'neigh', 'flush', 'dev', GEN_IF).catch(() => undefined);
  try {
    // The first packets resolve ARP through the VTEP's flood path; a few
    // tries, as a lost broadcast is not what this measures.
    let reached = false;
    for (let i = 0; i < PING_TRIES && !reached; i++) {
      reached = await nsRun(t.gen, 'ping', ['-c', '1', '-W', String(PING_WAIT_S), HOST_B_IP], (PING_WAIT_S + 2) * 1000).then(() => true, () => false);
    }
    if (!reached) throw new Error(`no ping from host A to ${HOST_B_IP} through the VTEP (${PING_TRIES} tries)`);
    const server = start('ip', ['netns', 'exec', t.rx, ...niceCmd(['taskset', '-c', '0', 'iperf3', '-s', '-1', '-B', HOST_B_IP]).flat()]);
    try {
      // Wait until it listens (bounded).
      for (let i = 0; i < 50; i++) {
        const ss = await nsRun(t.rx, 'ss', ['-Hltn', 'sport', '=', ':5201']).catch(() => '');
        if (ss.includes('5201')) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      const client = start('ip', ['netns', 'exec', t.gen, ...niceCmd(['taskset', '-c', '0', 'iperf3', '-c', HOST_B_IP, '-t', String(seconds), '-J', '--connect-timeout', '3000', ...(o.reverse === true ? ['-R'] : [])]).flat()]);
      const out = collect(client);
      const c0 = sampleCpu(1, switchPid);
      // Bounded: a VTEP that stalls the connection (GSO frames it cannot
      // take) ends here as an error instead of holding up the bench.
      const code = await waitExit(client, (seconds + 10) * 1000);
      const c1 = sampleCpu(1, switchPid);
      if (code !== 0) throw new Error(`iperf3 client exit ${code}: ${out.stdout().slice(0, 500)} ${out.stderr().trim()}`);
      const j = JSON.parse(out.stdout()) as { error?: string; end?: { sum_received?: { bits_per_second: number }; sum_sent?: { retransmits?: number } } };
      if (j.end?.sum_received === undefined) throw new Error(`iperf3: ${j.error ?? 'no result'}`);
      return { gbps: j.end.sum_received.bits_per_second / 1e9, retransmits: j.end.sum_sent?.retransmits ?? 0, cpu: shares(c0, c1) };
    } finally {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
      await waitExit(server, 3000).catch(() => undefined);
    }
  } finally {
    await receiverDown(t);
  }
}
