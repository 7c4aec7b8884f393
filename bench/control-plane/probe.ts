// The forwarding probe of the control-plane bench (issue 10: "longest gap in
// forwarding while 100k routes load"): a 10,000 frames/s flow through
// vxswitch while the routes load, and the largest inter-arrival gap at the
// receiver. A switch whose event loop stalls for 400 ms forwards nothing for
// 400 ms: the flow shows it as one 400 ms gap, whatever the API said.
//
//   sender ns  eth0 --veth-- port p  vxswitch  ul0 ==underlay==> receiver ns ul0/eth0
//   (probe-sender.ts,        (VNI PROBE_VNI, static mode,        (tcpdump; a kernel vxlan
//    paced, seq numbers)      flood list = the receiver)          device takes the datagrams)
//
// The probe has its own VNI in static mode (flood list = the receiver's
// address), so it does not depend on the routes being loaded, and its frames
// go to a MAC nobody has: flooded to the one receiver, the same
// forwarding-loop work as a known unicast (one lookup, one encapsulation,
// one send). Arrival times are the kernel's receive timestamps in the
// receiver's capture (tcpdump -w, microseconds); the sender reports its own
// longest pause, so a gap it made itself is told apart.

import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { delay, readCapture, run, type Capture, type Topology } from '../../test/helpers/netns.js';
import { vxlanDatagrams } from '../../test/helpers/vxlan-capture.js';
import * as ethernet from '../../src/wire/ethernet.js';
import type { VxVniToml } from './vxswitch-daemon.js';
import { PROBE_ETHERTYPE, type ProbeSenderConfig, type ProbeSenderDone } from './probe-sender.js';

const SENDER_MAIN = fileURLToPath(new URL('./probe-sender.js', import.meta.url));

export const PROBE_VNI = 4000;
export const PROBE_RATE = 10_000;
/** Frames per sender wake-up: 4 every 0.4 ms (probe-sender.ts says why). */
const PROBE_BURST = 4;
/** Seconds of the flow before the first UPDATE: the same run's baseline. */
export const BASELINE_S = 1;
const SENDER_MAC = '02:9e:00:00:00:01';
/** Nobody's MAC: flooded (to the one flood-list entry). */
const DEST_MAC = '02:9e:00:00:00:02';
/** A gap longer than this is counted (issue 10's target). */
export const GAP_TARGET_MS = 10;

/** What the probe measured; times in ms. */
export interface ProbeResult {
  rate: number;
  offered: number;
  sent: number;
  /** Distinct sequence numbers that arrived. */
  received: number;
  lost: number;
  /**
   * The largest inter-arrival gap at the receiver while loading (a gap that
   * ends after the injector's first write), and when it began (s from that
   * write).
   */
  maxGapMs: number;
  maxGapAtS?: number;
  /** Gaps longer than GAP_TARGET_MS while loading. */
  gapsOverTarget: number;
  /**
   * The largest gap before the first write (BASELINE_S of the flow through
   * the idle switch, same run): what the machine alone does to the flow.
   */
  baselineMaxGapMs: number;
  /** The sender's own longest pause between sends. */
  senderMaxGapMs: number;
  /** From the first to the last arrival (s). */
  spanS: number;
}

/** One arrival: sequence number and receive time (epoch seconds). */
export interface Arrival {
  seq: number;
  time: number;
}

/**
 * Gaps and loss of arrivals in capture order. t0 (epoch ms, the injector's
 * first write) splits the baseline from the load and places the largest
 * gap; without it every gap counts as loading.
 */
export function probeGaps(
  arrivals: readonly Arrival[],
  offered: number,
  t0?: number,
): Pick<ProbeResult, 'received' | 'lost' | 'maxGapMs' | 'maxGapAtS' | 'gapsOverTarget' | 'baselineMaxGapMs' | 'spanS'> {
  const seqs = new Set<number>();
  const start = t0 === undefined ? -Infinity : t0 / 1000;
  let maxGapMs = 0;
  let baselineMaxGapMs = 0;
  let at: number | undefined;
  let over = 0;
  for (let i = 0; i < arrivals.length; i++) {
    seqs.add(arrivals[i]!.seq);
    if (i === 0) continue;
    const gap = (arrivals[i]!.time - arrivals[i - 1]!.time) * 1000;
    if (arrivals[i]!.time < start) {
      baselineMaxGapMs = Math.max(baselineMaxGapMs, gap);
      continue;
    }
    if (gap > GAP_TARGET_MS) over++;
    if (gap > maxGapMs) {
      maxGapMs = gap;
      at = arrivals[i - 1]!.time;
    }
  }
  const out: ReturnType<typeof probeGaps> = {
    received: seqs.size,
    lost: Math.max(0, offered - seqs.size),
    maxGapMs,
    gapsOverTarget: over,
    baselineMaxGapMs,
    spanS: arrivals.length > 1 ? arrivals[arrivals.length - 1]!.time - arrivals[0]!.time : 0,
  };
  if (at !== undefined && t0 !== undefined) out.maxGapAtS = at - start;
  return out;
}

export interface ProbeSetup {
  /** The VNI to add to vxswitch's config. */
  vni: VxVniToml;
  senderNs: string;
  receiverNs: string;
  receiverIf: string;
}

/**
 * The probe's two ends: a sender host on a new port of vxswitch (in vxNs) and
 * a kernel vxlan device at `receiver` (a namespace on the underlay, its
 * interface and address), which takes the datagrams so that the receiver
 * sends no ICMP back. Returns the VNI entry for vxswitch's config.
 */
export async function setupProbe(topo: Topology, vxNs: string, vxIp: string, receiver: { ns: string; ifname: string; ip: string }): Promise<ProbeSetup> {
  const sender = await topo.host(vxNs, { mac: SENDER_MAC });
  const dev = 'vxprobe';
  await run(receiver.ns, 'ip', 'link', 'add', dev, 'type', 'vxlan', 'id', String(PROBE_VNI), 'local', receiver.ip, 'remote', vxIp, 'dstport', '4789', 'dev', receiver.ifname);
  topo.links.push(`${receiver.ns}/${dev}`);
  await topo.linkUp(receiver.ns, dev);
  return {
    vni: { vni: PROBE_VNI, mode: 'static', members: [sender.peer], floodList: [receiver.ip] },
    senderNs: sender.ns,
    receiverNs: receiver.ns,
    receiverIf: receiver.ifname,
  };
}

/** A running probe: the receiver's capture and the sender child. */
export class ForwardingProbe {
  private done: ProbeSenderDone | undefined;
  private error = '';
  private constructor(
    private readonly child: ChildProcess,
    private readonly capture: Capture,
    private readonly finished: Promise<void>,
  ) {}

  /** Capture, then start sending; resolves once the first frame is out. Bounded by maxSeconds. */
  static async start(topo: Topology, setup: ProbeSetup, maxSeconds: number): Promise<ForwardingProbe> {
    const capture = await topo.startCapture(setup.receiverNs, setup.receiverIf, { filter: ['udp', 'dst', 'port', '4789'], snaplen: 96, direction: 'in' });
    const config: ProbeSenderConfig = {
      netns: setup.senderNs,
      ifname: 'eth0',
      rate: PROBE_RATE,
      maxFrames: Math.ceil(PROBE_RATE * maxSeconds),
      maxSeconds,
      dstMac: DEST_MAC,
      srcMac: SENDER_MAC,
      burst: PROBE_BURST,
    };
    // Real-time priority (SCHED_FIFO) for the sender only: it sleeps between
    // frames, so it takes little CPU, but wakes on time on a busy machine.
    const child = spawn('chrt', ['-f', '10', process.execPath, SENDER_MAIN, JSON.stringify(config)], { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.on('error', () => {});
    topo.addCleanup(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let started: () => void = () => {};
    const startedP = new Promise<void>((resolve) => (started = resolve));
    const finished = new Promise<void>((resolve) => child.on('close', () => resolve()));
    const probe = new ForwardingProbe(child, capture, finished);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = JSON.parse(line) as { started?: unknown; done?: ProbeSenderDone; error?: { message: string } };
      if (m.started !== undefined) started();
      if (m.done !== undefined) probe.done = m.done;
      if (m.error !== undefined) probe.error += m.error.message;
    });
    child.stderr!.on('data', (d: Buffer) => (probe.error += d.toString('utf8')));
    await Promise.race([
      startedP,
      finished.then(() => Promise.reject(new Error(`probe sender exited before sending: ${probe.error}`))),
      delay(10_000).then(() => Promise.reject(new Error(`probe sender did not start: ${probe.error}`))),
    ]);
    return probe;
  }

  /** Stop sending and capturing (cheap: the capture is read by result()). */
  async stop(): Promise<void> {
    this.child.stdin!.write('stop\n');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000);
    await this.finished;
    clearTimeout(timer);
    await this.capture.stop();
  }

  /** After stop(): what arrived; t0 = the injector's first write (epoch ms). */
  async result(t0: number | undefined): Promise<ProbeResult> {
    const file = this.capture.path;
    const done = this.done;
    if (done === undefined) throw new Error(`probe sender gave no result: ${this.error}`);
    const pcap = await readCapture(file);
    const arrivals: Arrival[] = [];
    for (const d of vxlanDatagrams(pcap, [4789])) {
      if (d.vni !== PROBE_VNI || d.inner.length < ethernet.ETH_HEADER_LENGTH + 4) continue;
      if (ethernet.readEtherType(d.inner, 0) !== PROBE_ETHERTYPE) continue;
      arrivals.push({ seq: d.inner.readUInt32BE(ethernet.headerLength(d.inner, 0)), time: pcap.records[d.number - 1]!.time });
    }
    return { rate: PROBE_RATE, offered: done.offered, sent: done.sent, senderMaxGapMs: done.maxSendGapMs, ...probeGaps(arrivals, done.offered, t0) };
  }
}
