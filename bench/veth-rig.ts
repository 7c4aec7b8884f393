// The rig that bench/afpacket-rx.ts and bench/afxdp.ts share: one network
// namespace with one veth pair, a generator pinned to CPU 0 sending on one
// end, a receiver pinned to CPU 1 on the other end (whose receive softirq is
// steered to CPU 1 with RPS), and the bookkeeping of one run: frames offered,
// sent, delivered to JS, the receiver's CPU time and CPU 1's busy share.
//
// Each script runs itself as the generator (--role tx) and the receiver
// (--role rx) in child processes; this module has both roles' loops and the
// orchestrator's run. Every sending loop is bounded in time and count; the
// namespace is removed at the end, also on failure. Offloads stay at the
// kernel's defaults.

import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createRxBatch, FrameTx, type ReadableCallback, type RxBatch } from '../src/dataplane/native-io.js';
import { sampleCpu } from './e2e/cpu-stat.js';

export const SLOT = 2048;
/** Hard bound on the frames of one generator run. */
export const MAX_FRAMES_PER_RUN = 50_000_000;
/** Frames per send() call of the generator. */
const GEN_BATCH = 256;

/** `--key value` pairs of this process's command line. */
export function benchArgs(): (key: string, fallback: string) => string {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
  return (k, d) => args.get(k) ?? d;
}

export interface RunOptions {
  /** Seconds of one generator run, runs per load point, the paced rate (frames/s), frame sizes. */
  seconds: number;
  runs: number;
  rate: number;
  sizes: number[];
}

/** --seconds (3), --runs (3), --rate (100000), --sizes (64,1400); the orchestrator needs root. */
export function runOptions(arg: (key: string, fallback: string) => string, needsRootFor: string): RunOptions {
  if (process.getuid?.() !== 0) throw new Error(`${needsRootFor} needs root`);
  return {
    seconds: Number(arg('seconds', '3')),
    runs: Number(arg('runs', '3')),
    rate: Number(arg('rate', '100000')),
    sizes: arg('sizes', '64,1400').split(',').map(Number),
  };
}

export function sh(cmd: string, a: string[]): string {
  return execFileSync(cmd, a, { encoding: 'utf8', timeout: 10_000 });
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function printTable(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((x, c) => x.padStart(widths[c]!)).join('  '));
}

// ------------------------------------------------------------ generator role

interface Sender {
  send(tx: FrameTx): number;
}

/** Writes generator frame i (`size` bytes) at buf[o]. */
export type FrameWriter = (buf: Buffer, o: number, size: number, i: number) => void;

/** The default frame: local experimental EtherType 0x88b5 and a sequence number. */
function writeTestFrame(buf: Buffer, o: number, _size: number, i: number): void {
  buf.set([0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa], o);
  buf.writeUInt16BE(0x88b5, o + 12);
  buf.writeUInt32BE(i, o + 14);
}

export interface GeneratorResult {
  offered: number;
  /** Frames the port took (send()'s return values, summed). */
  sent: number;
  elapsed: number;
}

/**
 * Send `size`-byte frames (local experimental EtherType 0x88b5, a sequence
 * number) for `seconds`, at `rate` frames/s (0: as fast as the port takes
 * them, spinning: the generator's core is its own).
 */
export function generate(port: Sender, size: number, seconds: number, rate: number, write: FrameWriter = writeTestFrame): GeneratorResult {
  const buf = Buffer.alloc(GEN_BATCH * SLOT);
  const tx = new FrameTx(GEN_BATCH, Buffer.alloc(0));
  tx.src = buf;
  tx.lengths.fill(size);
  for (let i = 0; i < GEN_BATCH; i++) {
    const o = i * SLOT;
    tx.offsets[i] = o;
    write(buf, o, size, i);
  }
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let sent = 0;
  let offered = 0;
  for (;;) {
    const now = process.hrtime.bigint();
    if (now >= end || offered >= MAX_FRAMES_PER_RUN) break;
    let n = GEN_BATCH;
    if (rate > 0) {
      const due = Math.floor((Number(now - start) / 1e9) * rate) - offered;
      if (due <= 0) continue;
      n = Math.min(GEN_BATCH, due);
    }
    offered += n;
    tx.count = n;
    sent += port.send(tx);
  }
  return { offered, sent, elapsed: Number(process.hrtime.bigint() - start) / 1e9 };
}

// ------------------------------------------------------------- receiver role

interface Receiver {
  receive(batch: RxBatch, max?: number): number;
  onReadable(callback: ReadableCallback): void;
  stopReadable(): void;
  close(): void;
}

/**
 * The receiver child: counts frames delivered to JS, draining a bounded
 * number of batches per wakeup as the forwarder does. Talks to the
 * orchestrator over stdio: prints `ready`; `reset` zeroes the counts,
 * `stop` prints them as JSON and closes the port. drops() is the port's
 * cumulative count of frames the kernel lost for it. With coalesceMs, the
 * receiver stops polling for that long after each wakeup, so frames
 * gather between wakeups as in a TPACKET_V3 block.
 */
export function serveReceiver(
  port: Receiver,
  drops: () => number,
  coalesceMs = 0,
  batch: RxBatch = createRxBatch({ slots: 256, frameMax: SLOT - 64, headroom: 64 }),
): void {
  let frames = 0;
  let drops0 = drops();
  let cpu0 = process.cpuUsage();
  let stopped = false;
  const rearm = (): void => {
    if (!stopped) port.onReadable(onReadable);
  };
  const onReadable = (): void => {
    for (let round = 0; round < 16; round++) {
      const n = port.receive(batch);
      if (n === 0) break;
      frames += n;
    }
    if (coalesceMs > 0) {
      port.stopReadable();
      setTimeout(rearm, coalesceMs);
    }
  };
  port.onReadable(onReadable);
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line === 'reset') {
      frames = 0;
      drops0 = drops();
      cpu0 = process.cpuUsage();
      process.stdout.write('reset\n');
    } else if (line === 'stop') {
      const cpu = process.cpuUsage(cpu0);
      const kernelDrops = drops() - drops0;
      stopped = true;
      port.close();
      rl.close();
      process.stdout.write(JSON.stringify({ frames, cpuMicros: cpu.user + cpu.system, kernelDrops }) + '\n');
    }
  });
  process.stdout.write('ready\n');
}

/**
 * One 64-byte frame at a time, every 2 ms, sender and receiver in this
 * process: microseconds from send() to the receive callback having the
 * frame, p50 and p99 over `samples`. Closes both ports.
 */
export async function frameLatency(rx: Receiver, tx: Sender & { close(): void }, samples: number): Promise<{ p50: number; p99: number }> {
  const batch = createRxBatch({ slots: 16, frameMax: SLOT - 64, headroom: 64 });
  const frame = Buffer.alloc(64);
  frame.set([0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa]);
  frame.writeUInt16BE(0x88b5, 12);
  const one = new FrameTx(1, Buffer.alloc(0));
  one.src = frame;
  one.lengths[0] = 64;
  one.count = 1;
  const us: number[] = [];
  let waiting: ((t: bigint) => void) | undefined;
  rx.onReadable(() => {
    const n = rx.receive(batch);
    if (n > 0 && waiting) waiting(process.hrtime.bigint());
  });
  try {
    for (let i = 0; i < samples; i++) {
      const t0 = process.hrtime.bigint();
      const arrived = new Promise<bigint | undefined>((resolve) => {
        const timer = setTimeout(() => resolve(undefined), 100);
        waiting = (t) => {
          clearTimeout(timer);
          resolve(t);
        };
      });
      tx.send(one);
      const t1 = await arrived;
      waiting = undefined;
      if (t1 !== undefined) us.push(Number(t1 - t0) / 1000);
      await new Promise((r) => setTimeout(r, 2));
    }
  } finally {
    rx.close();
    tx.close();
  }
  us.sort((a, b) => a - b);
  return { p50: us[Math.floor(us.length / 2)] ?? NaN, p99: us[Math.floor(us.length * 0.99)] ?? NaN };
}

// ---------------------------------------------------------- orchestrator

export interface RunResult {
  offered: number;
  sent: number;
  received: number;
  seconds: number;
  kernelDrops: number;
  /** Share of CPU 1, 0..1, between the generator's start and end (counts anything else running there too). */
  cpu1Busy: number;
  /** The receiver process's own user+sys time. */
  rxCpuMicros: number;
}

export interface RunSpec {
  /** The script that serves --role rx / --role tx. */
  self: string;
  /** Extra arguments of the receiver and of the generator child. */
  rxArgs: string[];
  txArgs: string[];
  /** Called once the receiver is ready, before the load (e.g. to pin a kernel thread). */
  whenReady?: () => void;
}

/** One run: start the receiver on CPU 1, run the generator on CPU 0 to the end, collect both. */
export async function measureRun(spec: RunSpec): Promise<RunResult> {
  const rx = spawn('taskset', ['-c', '1', process.execPath, spec.self, '--role', 'rx', ...spec.rxArgs], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: rx.stdout! });
  const next = async (): Promise<string> => {
    const [l] = (await once(lines, 'line')) as [string];
    return l;
  };
  try {
    if ((await next()) !== 'ready') throw new Error('receiver did not start');
    spec.whenReady?.();
    rx.stdin!.write('reset\n');
    await next();
    const c0 = sampleCpu(1);
    const txOut = sh('taskset', ['-c', '0', process.execPath, spec.self, '--role', 'tx', ...spec.txArgs]);
    const c1 = sampleCpu(1);
    await new Promise((r) => setTimeout(r, 300)); // let the receiver drain
    rx.stdin!.write('stop\n');
    const res = JSON.parse(await next()) as { frames: number; kernelDrops: number; cpuMicros: number };
    const tx = JSON.parse(txOut) as GeneratorResult;
    return {
      offered: tx.offered,
      sent: tx.sent,
      received: res.frames,
      seconds: tx.elapsed,
      kernelDrops: res.kernelDrops,
      rxCpuMicros: res.cpuMicros,
      cpu1Busy: (c1.busy - c0.busy) / Math.max(1, c1.total - c0.total),
    };
  } finally {
    rx.kill();
  }
}

export interface LoadPoints {
  /** Generator at full speed: frames/s it got out, frames/s delivered to JS, loss %. */
  offered: number;
  delivered: number;
  loss: number;
  /** At the fixed rate: loss %, the receiver process's ns per frame, CPU 1's busy ns per frame and share. */
  fixedLoss: number;
  rxNsPerFrame: number;
  cpu1NsPerFrame: number;
  cpu1: number;
}

/** Medians over the runs at overload and at the fixed rate. */
export function summarise(over: RunResult[], fixed: RunResult[]): LoadPoints {
  const loss = (x: RunResult): number => (100 * (x.sent - x.received)) / Math.max(1, x.sent);
  return {
    offered: median(over.map((x) => x.sent / x.seconds)),
    delivered: median(over.map((x) => x.received / x.seconds)),
    loss: median(over.map(loss)),
    fixedLoss: median(fixed.map(loss)),
    rxNsPerFrame: median(fixed.map((x) => (x.rxCpuMicros * 1000) / Math.max(1, x.received))),
    cpu1NsPerFrame: median(fixed.map((x) => (x.cpu1Busy * x.seconds * 1e9) / Math.max(1, x.received))),
    cpu1: median(fixed.map((x) => x.cpu1Busy)),
  };
}

/**
 * A namespace `ns` with the veth pair a -> b, both up, IPv6 off (no
 * autoconfiguration chatter), b's receive softirq steered to CPU 1 (RPS).
 * Runs fn and deletes the namespace, also when fn throws.
 */
export async function withVethNamespace<T>(ns: string, a: string, b: string, fn: () => Promise<T>): Promise<T> {
  sh('ip', ['netns', 'add', ns]);
  try {
    sh('ip', ['netns', 'exec', ns, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6']);
    sh('ip', ['-n', ns, 'link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
    sh('ip', ['-n', ns, 'link', 'set', a, 'up']);
    sh('ip', ['-n', ns, 'link', 'set', b, 'up']);
    sh('ip', ['netns', 'exec', ns, 'sh', '-c', `echo 2 > /sys/class/net/${b}/queues/rx-0/rps_cpus`]);
    return await fn();
  } finally {
    sh('ip', ['netns', 'del', ns]);
  }
}
