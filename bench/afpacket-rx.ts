// AF_PACKET receive: recvmmsg batches against a PACKET_MMAP TPACKET_V3 ring,
// on the same veth pair in one run (issue 3: measure both, keep the faster).
//
//   node dist/bench/afpacket-rx.js [--seconds 3] [--runs 3] [--rate 200000] [--sizes 64,1400]
//
// Needs root. Topology (docs/benchmarking.md, "AF_PACKET receive"): one network
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

import { fileURLToPath } from 'node:url';
import { loadNativeIo, type RxMode } from '../src/dataplane/native-io.js';
import { benchArgs, frameLatency, generate, measureRun, printTable, runOptions, serveReceiver, summarise, withVethNamespace, type RunResult } from './veth-rig.js';

const arg = benchArgs();
const hasJson = process.argv.includes('--json');
const SELF = fileURLToPath(import.meta.url);

function generator(): void {
  const ns = arg('ns', '');
  const port = loadNativeIo().openPacket('vxa0', { netns: ns, qdiscBypass: true, promiscuous: false, sndbuf: 4 << 20 });
  const result = generate(port, Number(arg('size', '64')), Number(arg('seconds', '3')), Number(arg('rate', '0')));
  port.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

function receiver(): void {
  const port = loadNativeIo().openPacket('vxb0', { netns: arg('ns', ''), rxMode: arg('mode', 'recvmmsg') as RxMode });
  // stats() reads the kernel's counters (which it resets) and accumulates them.
  serveReceiver(port, () => port.stats().kernelDrops);
}

function oneRun(ns: string, mode: RxMode, size: number, seconds: number, rate: number): Promise<RunResult> {
  return measureRun({
    self: SELF,
    rxArgs: ['--ns', ns, '--mode', mode],
    txArgs: ['--ns', ns, '--size', String(size), '--seconds', String(seconds), '--rate', String(rate)],
  });
}

/**
 * The ring hands over a block when it is full or after ringBlockTimeoutMs
 * (1 ms), so at low rates each frame waits for the timer.
 */
function latency(ns: string, mode: RxMode, samples: number): Promise<{ p50: number; p99: number }> {
  const io = loadNativeIo();
  return frameLatency(io.openPacket('vxb0', { netns: ns, rxMode: mode }), io.openPacket('vxa0', { netns: ns }), samples);
}

async function orchestrate(): Promise<void> {
  const { seconds, runs, rate, sizes } = runOptions(arg, 'afpacket-rx (namespaces, AF_PACKET)');
  const ns = `vxb-${process.pid}`;
  await withVethNamespace(ns, 'vxa0', 'vxb0', async () => {
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
        const p = summarise(over, fixed);
        rows.push([
          mode,
          String(size),
          p.offered.toFixed(0),
          p.delivered.toFixed(0),
          p.loss.toFixed(1),
          p.fixedLoss.toFixed(2),
          p.rxNsPerFrame.toFixed(0),
          (p.cpu1 * 100).toFixed(0),
        ]);
        summary.push({ mode, size, ...p, runs: { over, fixed } });
      }
    }
    printTable(rows);
    for (const mode of ['recvmmsg', 'ring'] as const) {
      const l = await latency(ns, mode, 300);
      console.log(`latency ${mode.padEnd(8)} one 64-byte frame every 2 ms: p50 ${l.p50.toFixed(0)} us, p99 ${l.p99.toFixed(0)} us`);
      summary.push({ mode, latencyUs: l });
    }
    if (hasJson) console.log(JSON.stringify(summary));
  });
}

const role = arg('role', 'main');
if (role === 'tx') generator();
else if (role === 'rx') receiver();
else await orchestrate();
