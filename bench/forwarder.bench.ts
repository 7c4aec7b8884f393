// The forwarder alone, with ports that cost nothing: how many frames a second
// its decisions take (encapsulation to a known remote VTEP, and the decap
// path), and that the heap stays flat over 10 million frames (DESIGN.md: no
// allocation per packet). Run alone: node dist/bench/forwarder.bench.js
import { Dataplane } from '../src/dataplane/dataplane.js';
import { RX_ALIGN } from '../src/dataplane/native-io.js';
import type {
  DatagramTx,
  FrameTx,
  IoStats,
  NativeIo,
  PacketPort,
  PacketStats,
  ReadableCallback,
  RxBatch,
  TapPort,
  UdpUnderlay,
  UdpUnderlayOptions,
} from '../src/dataplane/native-io.js';
import * as ethernet from '../src/wire/ethernet.js';
import * as vxlan from '../src/wire/vxlan.js';

const stats = (): PacketStats => ({ rxFrames: 0, rxBytes: 0, rxTruncated: 0, txFrames: 0, txBytes: 0, txErrors: 0, txQueueFull: 0, lastTxError: '', kernelPackets: 0, kernelDrops: 0, ringFreezes: 0 });

/** A port whose every receive returns a full batch of the same frame; sends are counted, not copied. */
class ReplayPort implements PacketPort {
  readonly kind = 'af-packet' as const;
  readonly rxMode = 'ring' as const;
  readonly fd = -1;
  readonly ifindex = 0;
  readonly vnetHdr = true;
  closed = false;
  sent = 0;
  cb: ReadableCallback | undefined;
  constructor(readonly name: string, private readonly frame: Buffer | null) {}
  onReadable(cb: ReadableCallback): void { this.cb = cb; }
  stopReadable(): void {}
  close(): void { this.closed = true; }
  setFilter(): void {}
  receive(batch: RxBatch, max = batch.slots): number {
    if (this.frame === null) return 0;
    const stride = Math.ceil((batch.headroom + this.frame.length) / RX_ALIGN) * RX_ALIGN;
    const n = Math.min(max, Math.floor(batch.buffer.length / stride));
    for (let i = 0; i < n; i++) {
      batch.offsets[i] = i * stride + batch.headroom;
      this.frame.copy(batch.buffer, batch.offsets[i]);
      batch.lengths[i] = this.frame.length;
    }
    batch.vnet?.fill(0, 0, n * 10);
    return n;
  }
  send(tx: FrameTx): number { this.sent += tx.count; return tx.count; }
  stats(): PacketStats { return stats(); }
}

class ReplayUnderlay implements UdpUnderlay {
  readonly family = 4 as const;
  readonly addressStride = 1 as const;
  readonly fd = -1;
  closed = false;
  sent = 0;
  cb: ReadableCallback | undefined;
  datagram: Buffer | null = null;
  src = 0;
  constructor(readonly address: string, readonly port: number) {}
  onReadable(cb: ReadableCallback): void { this.cb = cb; }
  stopReadable(): void {}
  close(): void { this.closed = true; }
  receive(batch: RxBatch, srcAddrs: Uint32Array, srcPorts: Uint32Array, max = batch.slots): number {
    if (this.datagram === null) return 0;
    const stride = Math.ceil((batch.headroom + batch.frameMax) / RX_ALIGN) * RX_ALIGN;
    for (let i = 0; i < max; i++) {
      batch.offsets[i] = i * stride + batch.headroom;
      this.datagram.copy(batch.buffer, batch.offsets[i]);
      batch.lengths[i] = this.datagram.length;
      srcAddrs[i] = this.src;
      srcPorts[i] = 50000;
    }
    return max;
  }
  send(tx: DatagramTx): number { this.sent += tx.count; return tx.count; }
  addMembership(): void {}
  dropMembership(): void {}
  stats(): IoStats { return stats(); }
}

function frame(dst: string, src: string, size: number): Buffer {
  const h = ethernet.encode({ dst, src, vlans: [], etherType: 0x0800 });
  const f = Buffer.alloc(size);
  h.copy(f);
  f[14] = 0x45; // IPv4, so the flow hash reads addresses and ports
  f[23] = 17;
  return f;
}

export interface ForwarderBenchResult {
  path: string;
  frameSize: number;
  frames: number;
  framesPerSecond: number;
  heapGrowthBytes: number;
}

async function run(path: 'encap' | 'decap', frameSize: number, frames: number): Promise<ForwarderBenchResult> {
  const local = new ReplayPort('p1', path === 'encap' ? frame('02:00:00:00:0b:01', '02:00:00:00:0a:01', frameSize) : null);
  const underlay = new ReplayUnderlay('10.0.0.1', 4789);
  const io: NativeIo = {
    kind: 'native',
    openPacket: () => local,
    openTap: (): TapPort => { throw new Error('no TAP in this bench'); },
    openUdp: async (_o: UdpUnderlayOptions) => underlay,
  };
  const dp = await Dataplane.open(
    { vtepAddress: '10.0.0.1', underlayMtu: 9000, batchSize: 64, vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }], floodList: ['10.0.0.2'] }] },
    { io },
  );
  dp.addRemote(100, '02:00:00:00:0b:01', '10.0.0.2');
  if (path === 'decap') {
    const inner = frame('02:00:00:00:0a:01', '02:00:00:00:0b:01', frameSize);
    underlay.datagram = Buffer.concat([vxlan.encode({ vni: 100 }), inner]);
    underlay.src = (10 << 24) | 2;
    // Make the destination known-local so the path is learn + lookup + one port.
    local.cb?.(null);
  }
  const wake = path === 'encap' ? (): void => local.cb!(null) : (): void => underlay.cb!(null);
  // 16 batches of 64 per wake-up (MAX_BATCHES_PER_WAKEUP).
  const perWake = 16 * 64;
  for (let i = 0; i < 2000; i++) wake(); // warm up the JIT
  global.gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  const wakes = Math.ceil(frames / perWake);
  for (let i = 0; i < wakes; i++) wake();
  const ns = Number(process.hrtime.bigint() - t0);
  global.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  await dp.close();
  return { path, frameSize, frames: wakes * perWake, framesPerSecond: (wakes * perWake) / (ns / 1e9), heapGrowthBytes: heapAfter - heapBefore };
}

export async function benchForwarder(frames = 10_000_000): Promise<ForwarderBenchResult[]> {
  return [await run('encap', 64, frames), await run('decap', 64, frames), await run('encap', 1400, frames / 4)];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchForwarder()) console.log(JSON.stringify(r));
}
