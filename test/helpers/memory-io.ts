// An in-memory NativeIo for testing the forwarder's decisions without
// sockets: frames are injected into a port's receive queue, the test calls
// the readable callback, and what the forwarder sends is recorded (bytes
// copied at send time, as the kernel would). A port may be made with
// virtio-net headers: then frames are injected with one and sent ones are
// recorded with theirs.
import type {
  DatagramTx,
  FramePort,
  FrameTx,
  IoStats,
  NativeIo,
  PacketPort,
  PacketPortOptions,
  PacketStats,
  ReadableCallback,
  RxBatch,
  TapOptions,
  TapPort,
  UdpUnderlay,
  UdpUnderlayOptions,
} from '../../src/dataplane/native-io.js';
import { RX_ALIGN, readAddress, VNET_LEN } from '../../src/dataplane/native-io.js';

function emptyStats(): PacketStats {
  return { rxFrames: 0, rxBytes: 0, rxTruncated: 0, txFrames: 0, txBytes: 0, txErrors: 0, txQueueFull: 0, lastTxError: '', kernelPackets: 0, kernelDrops: 0, ringFreezes: 0 };
}

/** Fill batch slot n (fixed stride, as recvmmsg does) with `frame` and its virtio_net_hdr. */
function place(batch: RxBatch, n: number, frame: Buffer, vnet: Buffer | undefined): void {
  const stride = Math.ceil((batch.headroom + batch.frameMax) / RX_ALIGN) * RX_ALIGN;
  const at = n * stride + batch.headroom;
  batch.offsets[n] = at;
  if (frame.length > batch.frameMax || at + frame.length > batch.buffer.length) {
    batch.lengths[n] = 0;
    return;
  }
  frame.copy(batch.buffer, at);
  batch.lengths[n] = frame.length;
  if (batch.vnet !== null) {
    batch.vnet.fill(0, n * VNET_LEN, n * VNET_LEN + VNET_LEN);
    if (vnet !== undefined) batch.vnet.set(vnet, n * VNET_LEN);
  }
}

function slotsOf(batch: RxBatch): number {
  const stride = Math.ceil((batch.headroom + batch.frameMax) / RX_ALIGN) * RX_ALIGN;
  return Math.min(batch.slots, Math.floor(batch.buffer.length / stride));
}

export interface SentFrame {
  frame: Buffer;
  /** Its virtio_net_hdr (ports with vnetHdr). */
  vnet?: Buffer;
}

/** One frame as it left a handle (MemoryIo.wire). */
export interface WireEntry {
  handle: string;
  frame: Buffer;
}

export class MemoryPort implements PacketPort, TapPort {
  readonly fd = -1;
  readonly ifindex = 0;
  readonly rxMode = 'recvmmsg' as const;
  closed = false;
  readonly rxQueue: Array<{ frame: Buffer; vnet?: Buffer }> = [];
  readonly sent: Buffer[] = [];
  /** Every sent frame with its virtio_net_hdr. */
  readonly sentWithVnet: SentFrame[] = [];
  private cb: ReadableCallback | undefined;
  private readonly s = emptyStats();
  /** Receive calls left that throw, and the errno code they throw (failReceive). */
  private failures = 0;
  private failCode = '';
  constructor(
    readonly name: string,
    readonly kind: 'af-packet' & 'tap',
    readonly vnetHdr = false,
    /** Shared by every handle of one MemoryIo: what left, in the order it left. */
    private readonly wire: WireEntry[] = [],
  ) {}
  onReadable(cb: ReadableCallback): void {
    this.cb = cb;
  }
  stopReadable(): void {
    this.cb = undefined;
  }
  close(): void {
    this.closed = true;
  }
  setFilter(): void {}
  /** Report the link going down, as the addon does (ENETDOWN from poll). */
  linkDown(): void {
    this.cb?.(Object.assign(new Error(`poll ${this.name}: ENETDOWN (Network is down)`), { code: 'ENETDOWN' }));
  }
  /**
   * Make the next `times` receive calls throw as the addon's do on a
   * receive error other than EAGAIN (an Error with code, errno, syscall).
   */
  failReceive(code: string, times = 1): void {
    this.failCode = code;
    this.failures = times;
  }
  /** Run the readable callback once (level-triggered polling calls it again while frames wait). */
  poll(): void {
    this.cb?.(null);
  }
  /** Queue frames and run the readable callback once. */
  inject(...frames: Buffer[]): void {
    this.rxQueue.push(...frames.map((frame) => ({ frame })));
    this.cb?.(null);
  }
  /** Queue one frame with its virtio_net_hdr and run the readable callback. */
  injectWithVnet(frame: Buffer, vnet: Buffer): void {
    this.rxQueue.push({ frame, vnet });
    this.cb?.(null);
  }
  receive(batch: RxBatch, max = batch.slots): number {
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error(`AF_PACKET recv ${this.name}: ${this.failCode}`), { code: this.failCode, syscall: 'AF_PACKET recv' });
    }
    let n = 0;
    const room = Math.min(max, slotsOf(batch));
    while (n < room && this.rxQueue.length > 0) {
      const f = this.rxQueue.shift()!;
      place(batch, n, f.frame, f.vnet);
      n++;
    }
    return n;
  }
  send(tx: FrameTx): number {
    for (let i = 0; i < tx.count; i++) {
      const from = tx.sel[i] === 1 ? tx.arena : tx.src!;
      const payload = from.subarray(tx.offsets[i]!, tx.offsets[i]! + tx.lengths[i]!);
      const hdr = tx.hdrLengths[i]! > 0 ? tx.arena.subarray(tx.hdrOffsets[i]!, tx.hdrOffsets[i]! + tx.hdrLengths[i]!) : Buffer.alloc(0);
      const frame = Buffer.concat([hdr, payload]);
      this.sent.push(frame);
      this.wire.push({ handle: this.name, frame });
      this.sentWithVnet.push(this.vnetHdr ? { frame, vnet: Buffer.from(tx.vnet.subarray(i * VNET_LEN, i * VNET_LEN + VNET_LEN)) } : { frame });
    }
    return tx.count;
  }
  stats(): PacketStats {
    return { ...this.s };
  }
}

export interface SentDatagram {
  dst: string;
  dstPort: number;
  srcPort: number;
  payload: Buffer;
}

export class MemoryUnderlay implements UdpUnderlay {
  readonly fd = -1;
  readonly family = 4 as const;
  readonly addressStride = 1 as const;
  closed = false;
  readonly rxQueue: Array<{ src: number; srcPort: number; payload: Buffer; ifindex: number }> = [];
  readonly sent: SentDatagram[] = [];
  readonly groups: string[] = [];
  private cb: ReadableCallback | undefined;
  /** Receive calls left that throw (failReceive). */
  private failures = 0;
  private failCode = '';
  constructor(
    readonly address: string,
    readonly port: number,
    /** Shared by every handle of one MemoryIo (MemoryIo.wire); entries named `udp:${port}`. */
    private readonly wire: WireEntry[] = [],
  ) {}
  onReadable(cb: ReadableCallback): void {
    this.cb = cb;
  }
  stopReadable(): void {
    this.cb = undefined;
  }
  close(): void {
    this.closed = true;
  }
  /** Make the next `times` receive calls throw as the addon's do (see MemoryPort.failReceive). */
  failReceive(code: string, times = 1): void {
    this.failCode = code;
    this.failures = times;
  }
  /** Run the readable callback once. */
  poll(): void {
    this.cb?.(null);
  }
  /** Queue a datagram from `src` (dotted quad), arrived on interface `ifindex` (0: unknown), and run the readable callback. */
  inject(src: string, payload: Buffer, srcPort = 50000, ifindex = 0): void {
    const p = src.split('.').map(Number);
    this.rxQueue.push({ src: ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0, srcPort, payload, ifindex });
    this.cb?.(null);
  }
  receive(batch: RxBatch, srcAddrs: Uint32Array, srcPorts: Uint32Array, max = batch.slots, ifindexes?: Uint32Array): number {
    if (this.failures > 0) {
      this.failures--;
      throw Object.assign(new Error(`UDP recv ${this.address}:${this.port}: ${this.failCode}`), { code: this.failCode, syscall: 'UDP recv' });
    }
    let n = 0;
    const room = Math.min(max, slotsOf(batch));
    while (n < room && this.rxQueue.length > 0) {
      const d = this.rxQueue.shift()!;
      place(batch, n, d.payload, undefined);
      srcAddrs[n] = d.src;
      srcPorts[n] = d.srcPort;
      if (ifindexes !== undefined) ifindexes[n] = d.ifindex;
      n++;
    }
    return n;
  }
  send(tx: DatagramTx): number {
    for (let i = 0; i < tx.count; i++) {
      const from = tx.sel[i] === 1 ? tx.arena : tx.src!;
      this.wire.push({ handle: `udp:${this.port}`, frame: Buffer.from(from.subarray(tx.offsets[i]!, tx.offsets[i]! + tx.lengths[i]!)) });
      this.sent.push({
        dst: readAddress(tx.dstAddrs, i, 4),
        dstPort: tx.dstPorts[i]!,
        srcPort: tx.srcPorts[i]!,
        payload: Buffer.from(from.subarray(tx.offsets[i]!, tx.offsets[i]! + tx.lengths[i]!)),
      });
    }
    return tx.count;
  }
  addMembership(group: string): void {
    this.groups.push(group);
  }
  dropMembership(group: string): void {
    this.groups.splice(this.groups.indexOf(group), 1);
  }
  stats(): IoStats {
    return emptyStats();
  }
}

/** A NativeIo whose handles are the memory doubles above, kept by name / port. */
export class MemoryIo implements NativeIo {
  readonly kind = 'native' as const;
  readonly ports = new Map<string, MemoryPort>();
  readonly underlays = new Map<number, MemoryUnderlay>();
  /** Every frame any port or link handle sent, in order: the wire order across handles. */
  readonly wire: WireEntry[] = [];
  /** A send-only socket (receive: false) is kept as `${ifname}:send`, beside the interface's receiving one. */
  openPacket(ifname: string, options: PacketPortOptions = {}): PacketPort {
    const p = new MemoryPort(ifname, 'af-packet' as 'af-packet' & 'tap', options.vnetHdr === true, this.wire);
    this.ports.set(options.receive === false ? `${ifname}:send` : ifname, p);
    return p;
  }
  openTap(name: string, options: TapOptions = {}): TapPort {
    const p = new MemoryPort(name, 'tap' as 'af-packet' & 'tap', options.vnetHdr === true, this.wire);
    this.ports.set(name, p);
    return p;
  }
  async openUdp(o: UdpUnderlayOptions): Promise<UdpUnderlay> {
    const u = new MemoryUnderlay(o.address, o.port ?? 4789, this.wire);
    this.underlays.set(u.port, u);
    return u;
  }
  port(name: string): MemoryPort {
    const p = this.ports.get(name);
    if (!p) throw new Error(`no port ${name}`);
    return p;
  }
  underlay(port = 4789): MemoryUnderlay {
    const u = this.underlays.get(port);
    if (!u) throw new Error(`no underlay on ${port}`);
    return u;
  }
}

export type { FramePort };
