// The forwarder alone, with ports that cost nothing: how many frames a second
// its decisions take (encapsulation to a known remote VTEP, and the decap
// path; and with hosts at default offloads: a TCP super-frame cut into a UDP
// GSO run on the underlay link, and a UDP GSO run from the link merged back
// into one super-frame for the port), and that the heap stays flat over 10
// million frames (DESIGN.md: no allocation per packet, the GSO paths
// included). Run alone: node dist/bench/forwarder.bench.js
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
import { FakeNextHops } from '../test/helpers/fake-next-hops.js';
import { superFrame, udpGsoRunVnet, underlayFrame, vxlanTcpRun } from '../test/helpers/gso-frames.js';

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
  constructor(
    readonly name: string,
    private readonly frame: Buffer | null,
    /** The frame's virtio_net_hdr (a GSO super-frame, a UDP GSO run); none: all zero. */
    private readonly vnet: Buffer | null = null,
  ) {}
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
    if (this.vnet !== null) for (let i = 0; i < n; i++) batch.vnet?.set(this.vnet, i * 10);
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
  /** TCP segments in each frame: 1, or for the GSO paths the super-frame's. */
  segmentsPerFrame: number;
  heapGrowthBytes: number;
}

type Path = 'encap' | 'decap' | 'encap-gso' | 'decap-gro';

const HOST_A = '02:00:00:00:0a:01';
const HOST_B = '02:00:00:00:0b:01';
const LINK_MAC = '02:00:00:00:77:01';
/** The TCP super-frames of the GSO paths: 45 segments of 1448 bytes, what a host at default offloads sends. */
const GSO_PAYLOAD = 45 * 1448;
/** A UDP GSO run holds at most 64 KiB: 43 VXLAN datagrams of 1448 bytes of TCP payload (what vxswitch itself sends). */
const RUN_PAYLOAD = 43 * 1448;

async function run(path: Path, frameSize: number, frames: number): Promise<ForwarderBenchResult> {
  const gso = path === 'encap-gso' || path === 'decap-gro';
  let local: ReplayPort;
  let link: ReplayPort | null = null;
  if (path === 'encap') local = new ReplayPort('p1', frame(HOST_B, HOST_A, frameSize));
  else if (path === 'encap-gso') {
    const sf = superFrame({ family: 4, protocol: 'tcp', payloadLength: GSO_PAYLOAD, gsoSize: 1448 });
    ethernet.encode({ dst: HOST_B, src: HOST_A, vlans: [], etherType: 0x0800 }, sf.frame, 0);
    local = new ReplayPort('p1', sf.frame, sf.vnet);
    link = new ReplayPort('ul0', null);
  } else local = new ReplayPort('p1', null);
  if (path === 'decap-gro') {
    const sf = superFrame({ family: 4, protocol: 'tcp', payloadLength: RUN_PAYLOAD, gsoSize: 1448 });
    ethernet.encode({ dst: HOST_A, src: HOST_B, vlans: [], etherType: 0x0800 }, sf.frame, 0);
    const r = vxlanTcpRun(sf, 100);
    link = new ReplayPort('ul0', underlayFrame('10.0.0.2', '10.0.0.1', LINK_MAC, r.run), udpGsoRunVnet(r.size, true));
  }
  const underlay = new ReplayUnderlay('10.0.0.1', 4789);
  const io: NativeIo = {
    kind: 'native',
    openPacket: (name: string) => (name === 'ul0' && link !== null ? link : local),
    openTap: (): TapPort => { throw new Error('no TAP in this bench'); },
    openUdp: async (_o: UdpUnderlayOptions) => underlay,
  };
  const dp = await Dataplane.open(
    {
      vtepAddress: '10.0.0.1',
      underlayMtu: gso ? 1550 : 9000,
      batchSize: 64,
      ...(gso ? { underlayInterface: 'ul0', underlaySender: 'socket' as const } : {}),
      vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }], floodList: ['10.0.0.2'] }],
    },
    { io, nextHops: async () => new FakeNextHops(2, '02:00:00:00:99:01', LINK_MAC) },
  );
  dp.addRemote(100, HOST_B, '10.0.0.2');
  if (path === 'decap') {
    const inner = frame(HOST_A, HOST_B, frameSize);
    underlay.datagram = Buffer.concat([vxlan.encode({ vni: 100 }), inner]);
    underlay.src = (10 << 24) | 2;
  }
  // Decapsulated frames go to host A's port: known local (learned from one frame of its own).
  if (path === 'decap' || path === 'decap-gro') {
    const learn = new ReplayPort('p1', frame(HOST_B, HOST_A, 64));
    learn.cb = local.cb;
    const was = local.receive.bind(local);
    local.receive = (b, max) => learn.receive(b, max === undefined ? 1 : Math.min(1, max));
    local.cb?.(null);
    local.receive = was;
  }
  const wake =
    path === 'encap' || path === 'encap-gso' ? (): void => local.cb!(null) : path === 'decap' ? (): void => underlay.cb!(null) : (): void => link!.cb!(null);
  // Frames through the VNI: from its ports (encapsulation) or to them (decapsulation; a merged super-frame is one).
  const through = (): number => {
    const v = dp.counters().vnis[0]!;
    return path.startsWith('encap') ? v.rxFrames : v.txFrames;
  };
  const warmup = gso ? 200 : 2000;
  for (let i = 0; i < warmup; i++) wake(); // warm up the JIT
  // Up to 16 batches of 64 per wake-up (MAX_BATCHES_PER_WAKEUP); fewer super-frames fit a batch.
  const perWake = Math.max(1, through() / warmup);
  global.gc?.();
  const before = through();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = process.hrtime.bigint();
  const wakes = Math.ceil(frames / perWake);
  for (let i = 0; i < wakes; i++) wake();
  const ns = Number(process.hrtime.bigint() - t0);
  global.gc?.();
  const heapAfter = process.memoryUsage().heapUsed;
  const done = through() - before;
  const c = dp.counters().vnis[0]!;
  await dp.close();
  if (path === 'encap-gso' && c.segmented === 0) throw new Error('encap-gso: no super-frame was segmented');
  if (path === 'decap-gro' && c.coalesced === 0) throw new Error('decap-gro: nothing was coalesced');
  const segmentsPerFrame = path === 'encap-gso' ? GSO_PAYLOAD / 1448 : path === 'decap-gro' ? RUN_PAYLOAD / 1448 : 1;
  return { path, frameSize, frames: done, framesPerSecond: done / (ns / 1e9), segmentsPerFrame, heapGrowthBytes: heapAfter - heapBefore };
}

export async function benchForwarder(frames = 10_000_000): Promise<ForwarderBenchResult[]> {
  // The GSO paths count super-frames: as many as make `frames` segments.
  const superFrames = Math.ceil(frames / 45);
  return [
    await run('encap', 64, frames),
    await run('decap', 64, frames),
    await run('encap', 1400, frames / 4),
    await run('encap-gso', 14 + 20 + 20 + GSO_PAYLOAD, superFrames),
    await run('decap-gro', 14 + 20 + 20 + RUN_PAYLOAD, superFrames),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchForwarder()) console.log(JSON.stringify(r));
}
