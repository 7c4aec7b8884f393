// One measurement run: the generator (generator.ts, its own process pinned
// to CPU 0) offers `rate` frames/s of `size` bytes for `seconds` into the
// member link; delivered = the receiver veth's rx_packets growth (the
// receiver has no address: every datagram the VTEP sent is counted there and
// dropped by the IP layer); CPU 1's use is sampled (cpu-stat.ts) over the
// sending window. Loss counts against offered, not sent: with the qdisc
// bypassed, a frame the member port's backlog has no room for is refused
// by the kernel (ENOBUFS), and that is the VTEP's core not keeping up.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { sampleCpu, shares, type CpuSample, type CpuShares } from './cpu-stat.js';
import type { GeneratorJob, GeneratorResult } from './generator.js';
import { ifStat, niceCmd, track, waitExit } from './netns.js';
import { DST_MAC, GEN_IF, INNER_DST_IP, RX_IF, SRC_MAC, type Topology } from './topology.js';

const GENERATOR = fileURLToPath(new URL('./generator.js', import.meta.url));
/** Time for frames still queued in the VTEP to reach the receiver before it is read. */
const DRAIN_MS = 250;

export interface LoadRun {
  size: number;
  /** Frames/s asked of the generator (0 = its maximum). */
  rate: number;
  /** Frames the generator tried to send, and the rate that makes over its sending window. */
  offered: number;
  offeredRate: number;
  /** Frames the kernel took from the generator. */
  sent: number;
  delivered: number;
  deliveredRate: number;
  /** Share of offered frames not delivered, 0..1. */
  loss: number;
  seconds: number;
  /** CPU 1 (the switch's core) over the sending window: busy, softirq, switch process (cpu-stat.ts). */
  cpu: CpuShares;
}

export interface LoadRunOptions {
  /** Where delivered frames are counted (default: the receiver's veth). */
  countAt?: { ns: string; ifname: string };
  /** The switch process, whose CPU time is reported with the run. */
  switchPid?: number;
}

/** One run; the bench's generator calibration counts at the member port instead, with no VTEP running. */
export async function loadRun(t: Topology, size: number, seconds: number, rate: number, o: LoadRunOptions = {}): Promise<LoadRun> {
  const countAt = o.countAt ?? { ns: t.rx, ifname: RX_IF };
  const job: GeneratorJob = { netns: t.gen, ifname: GEN_IF, size, seconds, rate, dstMac: DST_MAC, srcMac: SRC_MAC, dstIp: INNER_DST_IP };
  const before = await ifStat(countAt.ns, countAt.ifname, 'rx_packets');
  const gen = track(spawn(...niceCmd(['taskset', '-c', '0', process.execPath, GENERATOR, JSON.stringify(job)]), { stdio: ['ignore', 'pipe', 'pipe'] }));
  let stderr = '';
  gen.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4096)));
  let c0: CpuSample | undefined;
  let c1: CpuSample | undefined;
  let result: GeneratorResult | undefined;
  const lines = createInterface({ input: gen.stdout! });
  lines.on('line', (l) => {
    if (l === 'go') c0 = sampleCpu(1, o.switchPid);
    else {
      c1 = sampleCpu(1, o.switchPid);
      result = JSON.parse(l) as GeneratorResult;
    }
  });
  const code = await waitExit(gen, (seconds + 15) * 1000);
  if (code !== 0 || result === undefined || c0 === undefined || c1 === undefined) {
    throw new Error(`generator failed (exit ${code}): ${stderr.trim()}`);
  }
  await new Promise((r) => setTimeout(r, DRAIN_MS));
  const after = await ifStat(countAt.ns, countAt.ifname, 'rx_packets');
  const delivered = after - before;
  const r = result;
  return {
    size,
    rate,
    offered: r.offered,
    offeredRate: r.offered / r.elapsed,
    sent: r.sent,
    delivered,
    deliveredRate: delivered / r.elapsed,
    loss: Math.max(0, r.offered - delivered) / Math.max(1, r.offered),
    seconds: r.elapsed,
    cpu: shares(c0, c1),
  };
}
