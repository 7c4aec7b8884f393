// The forwarding probe's sender (probe.ts starts it): a child process that
// sends a paced flow of small frames on one port through the switch under
// test, each carrying its sequence number, so the receiver can tell gaps and
// loss apart.
//
//   node dist/bench/control-plane/probe-sender.js '<ProbeSenderConfig JSON>'
//
// Pacing: frames are due at start + n / rate; the sender sends what is due,
// `burst` frames at a time (one sendmmsg through the project's addon, qdisc
// bypassed) and then sleeps until the next burst is due with Atomics.wait, a futex wait with a
// sub-millisecond timeout, so it needs no spinning core (the machine's cores
// belong to the switch and the control plane under test) and is not at the
// mercy of timer coalescing the way setTimeout (1 ms granularity) is. A late
// wake-up sends the frames that fell due together; the sender records its
// own longest pause between two sends, so a gap the sender made is not
// charged to the switch. It yields to its event loop every SLICE_MS to read
// "stop" on stdin.
//
// Bounded: at most maxFrames frames and maxSeconds seconds. stdout, JSON lines:
//   {"started": {"t"}}                                   first frame handed over (epoch ms)
//   {"done": {"offered", "sent", "maxSendGapMs", "first", "last"}}

import { writeSync } from 'node:fs';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { FrameTx, loadNativeIo } from '../../src/dataplane/native-io.js';
import * as ethernet from '../../src/wire/ethernet.js';

export interface ProbeSenderConfig {
  /** Network namespace (name under /run/netns) holding ifname. */
  netns: string;
  ifname: string;
  rate: number;
  maxFrames: number;
  maxSeconds: number;
  dstMac: string;
  srcMac: string;
  /**
   * Frames per wake-up (default 1): 4 at 10,000 frames/s wakes every 0.4 ms,
   * a quarter of the wake-ups (the sender's CPU is mostly the wake-up) and
   * still 25 times finer than the 10 ms the probe judges.
   */
  burst?: number;
}

export interface ProbeSenderDone {
  /** Frames due and offered to the socket; frames the kernel took. */
  offered: number;
  sent: number;
  /** The sender's own longest pause between two sends (ms). */
  maxSendGapMs: number;
  /** Epoch ms of the first and last send. */
  first: number;
  last: number;
}

/** IEEE 802 local experimental EtherType: nothing on the way parses the payload. */
export const PROBE_ETHERTYPE = 0x88b5;
export const PROBE_FRAME = 64;
/** Most frames of one send (a catch-up after a late wake-up). */
const BATCH = 64;
const SLICE_MS = 20;

const epochMs = (): number => performance.timeOrigin + performance.now();

function emit(line: Record<string, unknown>): void {
  writeSync(1, `${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const c = JSON.parse(process.argv[2] ?? '{}') as ProbeSenderConfig;
  let stopping = false;
  const input = readline.createInterface({ input: process.stdin });
  input.on('line', (l) => {
    if (l.trim() === 'stop') stopping = true;
  });
  input.on('close', () => (stopping = true));

  const port = loadNativeIo().openPacket(c.ifname, { netns: c.netns, qdiscBypass: true, receive: false });
  const header = ethernet.encode({ dst: c.dstMac, src: c.srcMac, vlans: [], etherType: PROBE_ETHERTYPE });
  const buf = Buffer.alloc(BATCH * PROBE_FRAME);
  const tx = new FrameTx(BATCH, Buffer.alloc(0));
  tx.src = buf;
  for (let i = 0; i < BATCH; i++) {
    header.copy(buf, i * PROBE_FRAME);
    tx.offsets[i] = i * PROBE_FRAME;
    tx.lengths[i] = PROBE_FRAME;
  }
  const seqAt = header.length;
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const intervalMs = 1000 / c.rate;
  const burst = Math.max(1, Math.min(c.burst ?? 1, BATCH));
  const start = performance.now();
  const end = start + c.maxSeconds * 1000;
  let offered = 0;
  let sent = 0;
  let lastSend = 0;
  let maxGap = 0;
  let first = 0;
  let last = 0;
  try {
    while (!stopping && offered < c.maxFrames) {
      const sliceEnd = performance.now() + SLICE_MS;
      for (let now = performance.now(); now < sliceEnd && now < end && offered < c.maxFrames; now = performance.now()) {
        const due = Math.min(Math.floor((now - start) / intervalMs) + 1, c.maxFrames) - offered;
        if (due >= burst || (due > 0 && offered + due >= c.maxFrames)) {
          const n = Math.min(due, BATCH);
          for (let i = 0; i < n; i++) buf.writeUInt32BE(offered + i, i * PROBE_FRAME + seqAt);
          tx.count = n;
          sent += port.send(tx);
          offered += n;
          if (lastSend !== 0) maxGap = Math.max(maxGap, now - lastSend);
          else {
            first = epochMs();
            emit({ started: { t: first } });
          }
          lastSend = now;
          last = epochMs();
          continue;
        }
        // Until the next burst is due (Atomics.wait takes fractional ms).
        Atomics.wait(sleeper, 0, 0, start + (offered + burst - 1) * intervalMs - now);
      }
      if (performance.now() >= end) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  } finally {
    port.close();
  }
  const done: ProbeSenderDone = { offered, sent, maxSendGapMs: maxGap, first, last };
  emit({ done });
  input.close();
}

// Run as a process: the config is argv[2] (probe.ts imports the constants and types).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void main().catch((e: unknown) => {
    emit({ error: { message: (e as Error).message } });
    process.exit(1);
  });
}
