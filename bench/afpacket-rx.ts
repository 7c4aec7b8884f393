// AF_PACKET receive: recvmmsg batches against a PACKET_MMAP TPACKET_V3 ring,
// on the same veth pair in one run (issue 3: measure both, keep the faster).
//
//   node dist/bench/afpacket-rx.js [--seconds 3] [--runs 3] [--rate 200000] [--sizes 64,1400]
//
// Needs root. Topology, as docs/benchmarking.md describes: one network
// namespace vxb-<pid> with a veth pair vxa0 -> vxb0. The generator (this
// script with --role tx: the addon's own AF_PACKET sendmmsg, qdisc bypassed)
// is pinned to CPU 0 and sends on vxa0; the receiver (--role rx: the addon's
// AF_PACKET socket in the mode under test, polled by libuv, the way the
// dataplane will use it) is pinned to CPU 1, and vxb0's receive work is
// steered to CPU 1 (rps_cpus), so the receiving side has one core.
//
// Two load points per mode and frame size:
//   - overload: the generator at full speed; reports frames/s delivered to JS
//     (received by the receiver over the send window) and the loss.
//   - fixed rate (--rate, default 100k frames/s, below both ceilings): what
//     each mode costs at the same load: the receiver process's own CPU time
//     (user+sys) per frame, and CPU 1's busy share (user+sys+softirq from
//     /proc/stat, which also counts anything else running on CPU 1: only
//     meaningful on a quiet machine).
// Every sending loop is bounded in time (--seconds) and count; the namespace
// is removed at the end, also on failure.

import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { createRxBatch, FrameTx, loadNativeIo, type RxMode } from '../src/dataplane/native-io.js';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i]!.replace(/^--/, ''), process.argv[i + 1] ?? '');
const arg = (k: string, d: string): string => args.get(k) ?? d;

const SELF = fileURLToPath(import.meta.url);
const SLOT = 2048;
const MAX_FRAMES_PER_RUN = 50_000_000; // hard bound for one generator run

// ------------------------------------------------------------ generator role

function generator(): void {
  const ns = arg('ns', '');
  const size = Number(arg('size', '64'));
  const seconds = Number(arg('seconds', '3'));
  const rate = Number(arg('rate', '0')); // 0: as fast as possible
  const io = loadNativeIo();
  const port = io.openPacket('vxa0', { netns: ns, qdiscBypass: true, promiscuous: false, sndbuf: 4 << 20 });
  const B = 256;
  const buf = Buffer.alloc(B * SLOT);
  const tx = new FrameTx(B, Buffer.alloc(0));
  tx.src = buf;
  tx.lengths.fill(size);
  for (let i = 0; i < B; i++) {
    const o = i * SLOT;
    tx.offsets[i] = o;
    buf.set([0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa], o);
    buf.writeUInt16BE(0x88b5, o + 12); // local experimental EtherType
    buf.writeUInt32BE(i, o + 14);
  }
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(seconds * 1e9));
  let sent = 0;
  let offered = 0;
  for (;;) {
    const now = process.hrtime.bigint();
    if (now >= end || offered >= MAX_FRAMES_PER_RUN) break;
    let n = B;
    if (rate > 0) {
      // Pace: offer what the clock allows, spinning (this core is the generator's).
      const due = Math.floor((Number(now - start) / 1e9) * rate) - offered;
      if (due <= 0) continue;
      n = Math.min(B, due);
    }
    offered += n;
    tx.count = n;
    sent += port.send(tx);
  }
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  port.close();
  process.stdout.write(JSON.stringify({ offered, sent, elapsed }) + '\n');
}

// ------------------------------------------------------------- receiver role

function receiver(): void {
  const ns = arg('ns', '');
  const mode = arg('mode', 'recvmmsg') as RxMode;
  const io = loadNativeIo();
  const port = io.openPacket('vxb0', { netns: ns, rxMode: mode });
  const batch = createRxBatch({ slots: 256, frameMax: SLOT - 64, headroom: 64 });
  let frames = 0;
  let bytes = 0;
  let cpu0 = process.cpuUsage();
  port.onReadable(() => {
    // Drain a bounded number of batches per wakeup, as the forwarder will.
    for (let round = 0; round < 16; round++) {
      const n = port.receive(batch);
      if (n === 0) break;
      frames += n;
      for (let i = 0; i < n; i++) bytes += batch.lengths[i]!;
    }
  });
  const rl = createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line === 'reset') {
      frames = 0;
      bytes = 0;
      cpu0 = process.cpuUsage();
      port.stats(); // reads and clears the kernel's counters
      process.stdout.write('reset\n');
    } else if (line === 'stop') {
      const cpu = process.cpuUsage(cpu0);
      const st = port.stats();
      port.close();
      rl.close();
      process.stdout.write(JSON.stringify({ frames, bytes, cpuMicros: cpu.user + cpu.system, kernelDrops: st.kernelDrops, ringFreezes: st.ringFreezes }) + '\n');
    }
  });
  process.stdout.write('ready\n');
}

// ---------------------------------------------------------- orchestrator role

function sh(cmd: string, a: string[]): string {
  return execFileSync(cmd, a, { encoding: 'utf8', timeout: 10_000 });
}

/** CPU n's busy and total jiffies (busy = user+nice+system+irq+softirq). */
function cpuTimes(n: number): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${n} `))!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = v as [number, ...number[]];
  const busy = user + nice! + system! + irq! + softirq!;
  return { busy, total: busy + idle! + iowait! + steal! };
}

interface RunResult {
  offered: number;
  sent: number;
  received: number;
  seconds: number;
  kernelDrops: number;
  cpu1Busy: number; // share of CPU 1, 0..1 (includes anything else running there)
  rxCpuMicros: number; // the receiver process's own user+sys time
}

async function oneRun(ns: string, mode: RxMode, size: number, seconds: number, rate: number): Promise<RunResult> {
  const rx = spawn('taskset', ['-c', '1', process.execPath, SELF, '--role', 'rx', '--ns', ns, '--mode', mode], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: rx.stdout! });
  const next = async (): Promise<string> => {
    const [l] = (await once(lines, 'line')) as [string];
    return l;
  };
  try {
    if ((await next()) !== 'ready') throw new Error('receiver did not start');
    rx.stdin!.write('reset\n');
    await next();
    const c0 = cpuTimes(1);
    const txOut = sh('taskset', [
      '-c', '0', process.execPath, SELF, '--role', 'tx', '--ns', ns, '--size', String(size),
      '--seconds', String(seconds), '--rate', String(rate),
    ]);
    const c1 = cpuTimes(1);
    await new Promise((r) => setTimeout(r, 300)); // let the receiver drain
    rx.stdin!.write('stop\n');
    const res = JSON.parse(await next()) as { frames: number; kernelDrops: number; cpuMicros: number };
    const tx = JSON.parse(txOut) as { offered: number; sent: number; elapsed: number };
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

/**
 * One frame at a time at a low rate (every 2 ms), sender and receiver in
 * this process: microseconds from send() to the receive callback having the
 * frame. The ring hands over a block when it is full or after
 * ringBlockTimeoutMs (1 ms), so at low rates each frame waits for the timer.
 */
async function latency(ns: string, mode: RxMode, samples: number): Promise<{ p50: number; p99: number }> {
  const io = loadNativeIo();
  const rx = io.openPacket('vxb0', { netns: ns, rxMode: mode });
  const tx = io.openPacket('vxa0', { netns: ns });
  const batch = createRxBatch({ slots: 16, frameMax: SLOT - 64, headroom: 64 });
  const frame = Buffer.alloc(64);
  frame.set([0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa]);
  frame.writeUInt16BE(0x88b5, 12);
  const one = new FrameTx(1, Buffer.alloc(0));
  one.src = frame;
  one.lengths[0] = 64;
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
      one.count = 1;
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function orchestrate(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('afpacket-rx needs root (namespaces, AF_PACKET)');
  const seconds = Number(arg('seconds', '3'));
  const runs = Number(arg('runs', '3'));
  const rate = Number(arg('rate', '100000'));
  const sizes = arg('sizes', '64,1400').split(',').map(Number);
  const ns = `vxb-${process.pid}`;
  sh('ip', ['netns', 'add', ns]);
  try {
    sh('ip', ['netns', 'exec', ns, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6']);
    sh('ip', ['-n', ns, 'link', 'add', 'vxa0', 'type', 'veth', 'peer', 'name', 'vxb0']);
    sh('ip', ['-n', ns, 'link', 'set', 'vxa0', 'up']);
    sh('ip', ['-n', ns, 'link', 'set', 'vxb0', 'up']);
    // vxb0's receive softirq on CPU 1, with the receiver.
    sh('ip', ['netns', 'exec', ns, 'sh', '-c', 'echo 2 > /sys/class/net/vxb0/queues/rx-0/rps_cpus']);
    console.log(`AF_PACKET receive, recvmmsg vs TPACKET_V3 ring: ${runs} runs of ${seconds} s each, medians.`);
    console.log(`generator on CPU 0 (sendmmsg, qdisc bypass), receiver + vxb0 softirq on CPU 1; fixed rate ${rate} frames/s.`);
    const rows: string[][] = [
      ['mode', 'frame B', 'overload: offered/s', 'delivered/s', 'loss %', `at ${rate / 1000}k/s: loss %`, 'rx ns/frame', 'CPU1 %'],
    ];
    const summary: Record<string, unknown>[] = [];
    for (const size of sizes) {
      for (const mode of ['recvmmsg', 'ring'] as const) {
        const over: RunResult[] = [];
        const fixed: RunResult[] = [];
        for (let r = 0; r < runs; r++) {
          // Alternate so a noisy moment hits both load points.
          over.push(await oneRun(ns, mode, size, seconds, 0));
          fixed.push(await oneRun(ns, mode, size, seconds, rate));
        }
        const offered = median(over.map((x) => x.sent / x.seconds));
        const delivered = median(over.map((x) => x.received / x.seconds));
        const loss = median(over.map((x) => (100 * (x.sent - x.received)) / Math.max(1, x.sent)));
        const fixedLoss = median(fixed.map((x) => (100 * (x.sent - x.received)) / Math.max(1, x.sent)));
        const cpu = median(fixed.map((x) => x.cpu1Busy));
        const nsPerFrame = median(fixed.map((x) => (x.rxCpuMicros * 1000) / Math.max(1, x.received)));
        rows.push([
          mode,
          String(size),
          offered.toFixed(0),
          delivered.toFixed(0),
          loss.toFixed(1),
          fixedLoss.toFixed(2),
          nsPerFrame.toFixed(0),
          (cpu * 100).toFixed(0),
        ]);
        summary.push({ mode, size, offered, delivered, loss, fixedLoss, rxNsPerFrame: nsPerFrame, cpu1: cpu, runs: { over, fixed } });
      }
    }
    const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
    for (const r of rows) console.log(r.map((x, c) => x.padStart(widths[c]!)).join('  '));
    for (const mode of ['recvmmsg', 'ring'] as const) {
      const l = await latency(ns, mode, 300);
      console.log(`latency ${mode.padEnd(8)} one 64-byte frame every 2 ms: p50 ${l.p50.toFixed(0)} us, p99 ${l.p99.toFixed(0)} us`);
      summary.push({ mode, latencyUs: l });
    }
    if (args.has('json')) console.log(JSON.stringify(summary));
  } finally {
    sh('ip', ['netns', 'del', ns]);
  }
}

const role = arg('role', 'main');
if (role === 'tx') generator();
else if (role === 'rx') receiver();
else await orchestrate();
