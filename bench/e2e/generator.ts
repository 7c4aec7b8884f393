// The end-to-end bench's load generator: the project's native addon sending
// batches of Ethernet frames on an AF_PACKET socket (sendmmsg, qdisc
// bypassed), paced against the clock. Run by bench/e2e/index.ts, pinned to
// CPU 0 (taskset), one process per measurement run:
//
//   node dist/bench/e2e/generator.js '{"netns":"...","ifname":"vxg0","size":64,"seconds":3,"rate":0,...}'
//
// It prints "go" as sending starts, then one JSON line: { offered, sent,
// elapsed }. offered = frames it tried to send; sent = frames the kernel
// took. The bench counts loss against offered: with the qdisc bypassed, a
// veth whose peer's backlog is full refuses the frame (ENOBUFS), so a frame
// the VTEP's core could not take shows up as offered but not sent.
//
// Frames are unicast to the remote MAC the VTEP under test has a static
// entry for, IPv4/UDP inside, with FLOWS different inner flows (source
// address and ports vary) so the VXLAN source-port hash (RFC 7348 §5) varies.
// Bounded: at most `seconds` and MAX_FRAMES frames per run.

import { writeSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { FrameTx, loadNativeIo } from '../../src/dataplane/native-io.js';

export interface GeneratorJob {
  /** Network namespace (name under /run/netns) holding ifname. */
  netns: string;
  ifname: string;
  /** Frame length handed to the socket (no FCS), at least 64. */
  size: number;
  seconds: number;
  /** Frames per second to offer; 0 = as fast as the generator goes. */
  rate: number;
  dstMac: string;
  srcMac: string;
  /** Inner IPv4 destination (the source varies per flow). */
  dstIp: string;
}

export interface GeneratorResult {
  offered: number;
  sent: number;
  elapsed: number;
}

/** Distinct inner flows, one per frame slot of a batch. */
const FLOWS = 256;
const BATCH = 256;
const MAX_FRAMES = 60_000_000;

function macBytes(text: string): number[] {
  return text.split(':').map((h) => parseInt(h, 16));
}

/** RFC 791 header checksum over the 20-byte header at off. */
function ipv4Checksum(buf: Buffer, off: number): number {
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += buf.readUInt16BE(off + i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Write frame `flow` of `size` bytes at off: Ethernet, IPv4 (10.200.f.g ->
 * dstIp, checksum filled in), UDP (ports vary per flow, checksum 0 = none,
 * RFC 768), zero payload.
 */
export function writeFrame(buf: Buffer, off: number, job: GeneratorJob, flow: number): void {
  buf.fill(0, off, off + job.size);
  buf.set(macBytes(job.dstMac), off);
  buf.set(macBytes(job.srcMac), off + 6);
  buf.writeUInt16BE(0x0800, off + 12);
  const ip = off + 14;
  buf[ip] = 0x45;
  buf.writeUInt16BE(job.size - 14, ip + 2);
  buf.writeUInt16BE(flow, ip + 4);
  buf[ip + 8] = 64;
  buf[ip + 9] = 17;
  buf.set([10, 200, (flow >> 8) & 0xff, flow & 0xff], ip + 12);
  buf.set(job.dstIp.split('.').map(Number), ip + 16);
  buf.writeUInt16BE(ipv4Checksum(buf, ip), ip + 10);
  const udp = ip + 20;
  buf.writeUInt16BE(10000 + flow * 7, udp);
  buf.writeUInt16BE(5001 + (flow % 16), udp + 2);
  buf.writeUInt16BE(job.size - 34, udp + 4);
}

/** onStart is called once, right before the first frame is sent (the caller starts its clocks then). */
export function generate(job: GeneratorJob, onStart?: () => void): GeneratorResult {
  if (job.size < 64 || job.size > 1514) throw new RangeError(`frame size ${job.size} outside 64..1514`);
  const io = loadNativeIo();
  const port = io.openPacket(job.ifname, {
    netns: job.netns,
    qdiscBypass: true,
    promiscuous: false,
    batchSize: BATCH,
    sndbuf: 4 << 20,
  });
  const slot = 2048;
  const buf = Buffer.alloc(FLOWS * slot);
  const tx = new FrameTx(BATCH, Buffer.alloc(0));
  tx.src = buf;
  tx.lengths.fill(job.size);
  for (let f = 0; f < FLOWS; f++) writeFrame(buf, f * slot, job, f);
  for (let i = 0; i < BATCH; i++) tx.offsets[i] = (i % FLOWS) * slot;
  onStart?.();
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(job.seconds * 1e9));
  let sent = 0;
  let offered = 0;
  try {
    for (;;) {
      const now = process.hrtime.bigint();
      if (now >= end || offered >= MAX_FRAMES) break;
      let n = BATCH;
      if (job.rate > 0) {
        // Pace against the clock: offer what is due so far, at most one batch
        // at a time, spinning in between (CPU 0 is the generator's).
        const due = Math.floor((Number(now - start) / 1e9) * job.rate) - offered;
        if (due <= 0) continue;
        n = Math.min(BATCH, due);
      }
      offered += n;
      tx.count = n;
      sent += port.send(tx);
    }
  } finally {
    port.close();
  }
  return { offered, sent, elapsed: Number(process.hrtime.bigint() - start) / 1e9 };
}

// Run as a process: the job is argv[2].
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const job = JSON.parse(process.argv[2] ?? '{}') as GeneratorJob;
  // "go" first, so the bench samples its counters as sending starts.
  const result = generate(job, () => writeSync(1, 'go\n'));
  writeSync(1, JSON.stringify(result) + '\n');
}
