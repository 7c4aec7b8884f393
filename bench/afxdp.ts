// AF_XDP against AF_PACKET, receive and send, on one veth pair in one run
// (docs/afxdp.md has the table and what it means).
//
//   node dist/bench/afxdp.js [--seconds 3] [--runs 3] [--rate 100000] [--sizes 64,1400] [--json 1]
//                            [--rx-modes ring,xdp-native,...] [--tx-modes packet,xdp,...]
//
// Needs root. The rig of bench/afpacket-rx.ts (bench/veth-rig.ts): one
// namespace vxx-<pid>, a veth pair xt<n> -> xr<n>; the generator pinned to
// CPU 0 sends on xt<n>, the receiver pinned to CPU 1 reads xr<n>, whose
// receive softirq RPS steers to CPU 1. Offloads stay at their defaults.
//
// Receive, the generator being the addon's AF_PACKET sendmmsg (qdisc
// bypassed), in four receiver modes:
//   - ring:        AF_PACKET, TPACKET_V3 ring (today's default);
//   - xdp-generic: AF_XDP, the program in the kernel's generic receive path
//                  (after RPS: on CPU 1);
//   - xdp-native:  AF_XDP, the program in veth's own NAPI poll, made a
//                  threaded NAPI whose kernel thread is pinned to CPU 1, so
//                  the receiving side keeps one core as in the other modes;
//   - xdp-native-softirq: the same without the thread: veth's NAPI runs as a
//                  softirq on the CPU that sent (CPU 0, the generator's),
//                  which is what a plain setup gets (RPS runs after XDP);
//   - xdp-native-1ms (only with --rx-modes): xdp-native, the receiver
//                  pausing its polling 1 ms after each wakeup, as the ring's
//                  block timer makes it wait.
// --rx-modes / --tx-modes pick a subset; ratios are to the first one.
// Two load points: overload (frames/s delivered to JS, loss) and a paced
// --rate (loss, the receiver process's CPU per frame, CPU 1's busy time per
// frame: softirq and kernel threads included, other work on a shared
// machine too).
//
// Send: frames/s one core gets out, AF_PACKET sendmmsg with
// PACKET_QDISC_BYPASS against AF_XDP copy-mode TX on a send-only port
// (attachMode 'none': no XDP program), with the kernel's default budget of
// 32 descriptors per syscall and with XDP_MAX_TX_SKB_BUDGET 256, and how
// many of them the peer received (its rx_packets).
//
// Then latency: one 64-byte frame every 2 ms, AF_XDP native vs the ring.

import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadNativeIo } from '../src/dataplane/native-io.js';
import { openXdpPort, type XdpAttachMode, type XdpPort } from '../src/dataplane/xdp-io.js';
import {
  benchArgs,
  frameLatency,
  generate,
  measureRun,
  median,
  printTable,
  runOptions,
  serveReceiver,
  sh,
  summarise,
  withVethNamespace,
  type RunResult,
} from './veth-rig.js';

const arg = benchArgs();
const SELF = fileURLToPath(import.meta.url);
const TX_IF = `xt${process.pid % 1_000_000}`;
const RX_IF = `xr${process.pid % 1_000_000}`;

const ALL_RX_MODES = ['ring', 'xdp-generic', 'xdp-native', 'xdp-native-softirq', 'xdp-native-1ms'] as const;
type RxBenchMode = (typeof ALL_RX_MODES)[number];
const ALL_TX_MODES = ['packet', 'xdp', 'xdp-budget256'] as const;
type TxBenchMode = (typeof ALL_TX_MODES)[number];
/** --rx-modes / --tx-modes: a comma-separated subset ('' for none); the first is the ratios' base. */
function modes<T extends string>(key: string, all: readonly T[], fallback: readonly T[]): T[] {
  const v = arg(key, fallback.join(','));
  const picked = v === '' ? [] : v.split(',');
  for (const m of picked) if (!all.includes(m as T)) throw new Error(`--${key}: unknown mode ${m} (${all.join(', ')})`);
  return picked as T[];
}
const RX_MODES = modes('rx-modes', ALL_RX_MODES, ['ring', 'xdp-generic', 'xdp-native', 'xdp-native-softirq']);
const TX_MODES = modes('tx-modes', ALL_TX_MODES, ALL_TX_MODES);

/** The kernel frees an XDP socket's queue shortly after close: a reopen waits for it (at most 2 s). */
function openXdpRetrying(ifname: string, ns: string, attachMode: XdpAttachMode, txBudget?: number): XdpPort {
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; ; i++) {
    try {
      return openXdpPort(ifname, { netns: ns, attachMode, txBudget });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EBUSY' || i >= 200) throw err;
      Atomics.wait(sleeper, 0, 0, 10);
    }
  }
}

// ------------------------------------------------------------ child roles

function generator(): void {
  const ns = arg('ns', '');
  const mode = arg('port', 'packet') as TxBenchMode;
  const ifname = arg('if', '');
  const port =
    mode === 'packet'
      ? loadNativeIo().openPacket(ifname, { netns: ns, qdiscBypass: true, promiscuous: false, sndbuf: 4 << 20 })
      : openXdpRetrying(ifname, ns, 'none', mode === 'xdp-budget256' ? 256 : undefined);
  const result = generate(port, Number(arg('size', '64')), Number(arg('seconds', '3')), Number(arg('rate', '0')));
  port.close();
  process.stdout.write(JSON.stringify(result) + '\n');
}

function receiver(): void {
  const ns = arg('ns', '');
  const mode = arg('mode', 'ring') as RxBenchMode;
  const ifname = arg('if', '');
  if (mode === 'ring') {
    const port = loadNativeIo().openPacket(ifname, { netns: ns, rxMode: 'ring' });
    serveReceiver(port, () => port.stats().kernelDrops);
  } else {
    const port = openXdpRetrying(ifname, ns, mode === 'xdp-generic' ? 'generic' : 'native');
    const drops = (): number => {
      const st = port.stats();
      return st.kernelDrops + st.rxRingFull + st.fillRingEmpty;
    };
    serveReceiver(port, drops, mode === 'xdp-native-1ms' ? 1 : 0);
  }
}

// ------------------------------------------------------------ orchestrator

/** Threaded NAPI on ifname (or not); when threaded, its kernel thread pinned to CPU 1. */
function placeNapi(ns: string, ifname: string, threaded: boolean): void {
  sh('ip', ['netns', 'exec', ns, 'sh', '-c', `echo ${threaded ? 1 : 0} > /sys/class/net/${ifname}/threaded`]);
  if (!threaded) return;
  // The thread is "napi/<ifname>-<napi id>", cut to 15 characters; ifname is ours alone.
  const prefix = `napi/${ifname}-`.slice(0, 15);
  const pids = readdirSync('/proc').filter((p) => {
    if (!/^\d+$/.test(p)) return false;
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').startsWith(prefix);
    } catch {
      return false;
    }
  });
  if (pids.length !== 1) throw new Error(`expected one NAPI thread ${prefix}*, found ${pids.length}`);
  sh('taskset', ['-p', '-c', '1', pids[0]!]);
}

function rxRun(ns: string, mode: RxBenchMode, size: number, seconds: number, rate: number): Promise<RunResult> {
  return measureRun({
    self: SELF,
    rxArgs: ['--ns', ns, '--mode', mode, '--if', RX_IF],
    txArgs: ['--ns', ns, '--port', 'packet', '--if', TX_IF, '--size', String(size), '--seconds', String(seconds), '--rate', String(rate)],
    whenReady: () => {
      if (mode.startsWith('xdp-native')) placeNapi(ns, RX_IF, mode !== 'xdp-native-softirq');
    },
  });
}

function rxPackets(ns: string, ifname: string): number {
  return Number(sh('ip', ['netns', 'exec', ns, 'cat', `/sys/class/net/${ifname}/statistics/rx_packets`]));
}

interface TxRun {
  sent: number;
  delivered: number;
  seconds: number;
}

function txRun(ns: string, mode: TxBenchMode, size: number, seconds: number): TxRun {
  const before = rxPackets(ns, RX_IF);
  const out = sh('taskset', [
    '-c', '0', process.execPath, SELF, '--role', 'tx', '--ns', ns, '--port', mode, '--if', TX_IF,
    '--size', String(size), '--seconds', String(seconds),
  ]);
  const r = JSON.parse(out) as { sent: number; elapsed: number };
  return { sent: r.sent, delivered: rxPackets(ns, RX_IF) - before, seconds: r.elapsed };
}

async function orchestrate(): Promise<void> {
  const { seconds, runs, rate, sizes } = runOptions(arg, 'afxdp (namespaces, BPF, AF_XDP)');
  const ns = `vxx-${process.pid}`;
  await withVethNamespace(ns, TX_IF, RX_IF, async () => {
    console.log(`AF_XDP vs AF_PACKET on one veth pair: ${runs} runs of ${seconds} s each, medians; kernel ${sh('uname', ['-r']).trim()}.`);
    console.log(`generator on CPU 0, receiver + ${RX_IF} softirq (RPS) on CPU 1; fixed rate ${rate} frames/s.`);
    if (RX_MODES.length) console.log('\n## Receive (generator: AF_PACKET sendmmsg, qdisc bypass)');
    const rows: string[][] = [
      ['mode', 'frame B', 'overload: offered/s', 'delivered/s', 'loss %', `x ${RX_MODES[0]}`, `at ${rate / 1000}k/s: loss %`, 'rx ns/frame', 'CPU1 ns/frame', 'CPU1 %'],
    ];
    const summary: Record<string, unknown>[] = [];
    for (const size of sizes) {
      const over = new Map<RxBenchMode, RunResult[]>(RX_MODES.map((m) => [m, []]));
      const fixed = new Map<RxBenchMode, RunResult[]>(RX_MODES.map((m) => [m, []]));
      // Modes interleaved within each run, so a noisy moment hits all of them; ratios are per run.
      for (let r = 0; r < runs; r++) {
        for (const mode of RX_MODES) {
          over.get(mode)!.push(await rxRun(ns, mode, size, seconds, 0));
          fixed.get(mode)!.push(await rxRun(ns, mode, size, seconds, rate));
        }
      }
      const ring = over.get(RX_MODES[0]!)!;
      for (const mode of RX_MODES) {
        const o = over.get(mode)!;
        const p = summarise(o, fixed.get(mode)!);
        const ratio = median(o.map((x, r) => x.received / x.seconds / Math.max(1, ring[r]!.received / ring[r]!.seconds)));
        rows.push([
          mode, String(size), p.offered.toFixed(0), p.delivered.toFixed(0), p.loss.toFixed(1), ratio.toFixed(2),
          p.fixedLoss.toFixed(2), p.rxNsPerFrame.toFixed(0), p.cpu1NsPerFrame.toFixed(0), (p.cpu1 * 100).toFixed(0),
        ]);
        summary.push({ side: 'rx', mode, size, ...p, ratioToRing: ratio, runs: { over: o, fixed: fixed.get(mode) } });
      }
    }
    if (RX_MODES.length) printTable(rows);

    if (TX_MODES.length) console.log('\n## Send: frames/s out of one core (CPU 0), and received by the peer');
    const txRows: string[][] = [['mode', 'frame B', 'sent/s', `x ${TX_MODES[0]}`, 'peer received/s']];
    for (const size of sizes) {
      const res = new Map<TxBenchMode, TxRun[]>(TX_MODES.map((m) => [m, []]));
      for (let r = 0; r < runs; r++) for (const mode of TX_MODES) res.get(mode)!.push(txRun(ns, mode, size, seconds));
      const base = res.get(TX_MODES[0]!)!;
      for (const mode of TX_MODES) {
        const t = res.get(mode)!;
        const sent = median(t.map((x) => x.sent / x.seconds));
        const ratio = median(t.map((x, r) => x.sent / x.seconds / Math.max(1, base[r]!.sent / base[r]!.seconds)));
        const delivered = median(t.map((x) => x.delivered / x.seconds));
        txRows.push([mode, String(size), sent.toFixed(0), ratio.toFixed(2), delivered.toFixed(0)]);
        summary.push({ side: 'tx', mode, size, sent, ratioToPacket: ratio, delivered, runs: t });
      }
    }
    if (TX_MODES.length) printTable(txRows);

    console.log('\n## Latency: one 64-byte frame every 2 ms');
    const io = loadNativeIo();
    const lat = [
      ['ring', await frameLatency(io.openPacket(RX_IF, { netns: ns, rxMode: 'ring' }), io.openPacket(TX_IF, { netns: ns }), 300)],
      ['xdp-native', await frameLatency(openXdpRetrying(RX_IF, ns, 'native'), io.openPacket(TX_IF, { netns: ns }), 300)],
    ] as const;
    for (const [mode, l] of lat) {
      console.log(`latency ${mode.padEnd(10)} p50 ${l.p50.toFixed(0)} us, p99 ${l.p99.toFixed(0)} us`);
      summary.push({ mode, latencyUs: l });
    }
    if (arg('json', '') !== '') console.log(JSON.stringify(summary));
  });
}

const role = arg('role', 'main');
if (role === 'tx') generator();
else if (role === 'rx') receiver();
else await orchestrate();
