// An in-memory NativeIo for testing the forwarder's decisions without
// sockets: frames are injected into a port's receive queue, the test calls
// the readable callback, and what the forwarder sends is recorded (bytes
// copied at send time, as the kernel would).
import type {
  FramePort,
  IoStats,
  NativeIo,
  PacketPort,
  PacketStats,
  ReadableCallback,
  RxBatch,
  TapPort,
  UdpUnderlay,
  UdpUnderlayOptions,
} from '../../src/dataplane/native-io.js';
import { readAddress } from '../../src/dataplane/native-io.js';

function emptyStats(): PacketStats {
  return { rxFrames: 0, rxBytes: 0, rxTruncated: 0, txFrames: 0, txBytes: 0, txErrors: 0, txQueueFull: 0, lastTxError: '', kernelPackets: 0, kernelDrops: 0, ringFreezes: 0 };
}

export class MemoryPort implements PacketPort, TapPort {
  readonly fd = -1;
  readonly ifindex = 0;
  readonly rxMode = 'recvmmsg' as const;
  closed = false;
  readonly rxQueue: Buffer[] = [];
  readonly sent: Buffer[] = [];
  private cb: ReadableCallback | undefined;
  private readonly s = emptyStats();
  constructor(
    readonly name: string,
    readonly kind: 'af-packet' & 'tap',
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
  /** Report the link going down, as the addon does (ENETDOWN from poll). */
  linkDown(): void {
    this.cb?.(Object.assign(new Error(`poll ${this.name}: ENETDOWN (Network is down)`), { code: 'ENETDOWN' }));
  }
  /** Queue frames and run the readable callback once. */
  inject(...frames: Buffer[]): void {
    this.rxQueue.push(...frames);
    this.cb?.(null);
  }
  receive(batch: RxBatch, max = batch.slots): number {
    let n = 0;
    while (n < max && n < batch.slots && this.rxQueue.length > 0) {
      const f = this.rxQueue.shift()!;
      const at = n * batch.slotSize + batch.headroom;
      if (f.length > batch.slotSize - batch.headroom) {
        batch.lengths[n] = 0;
      } else {
        f.copy(batch.buffer, at);
        batch.lengths[n] = f.length;
      }
      n++;
    }
    return n;
  }
  send(buffer: Buffer, offsets: Uint32Array, lengths: Uint32Array, count: number): number {
    for (let i = 0; i < count; i++) this.sent.push(Buffer.from(buffer.subarray(offsets[i]!, offsets[i]! + lengths[i]!)));
    return count;
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
  readonly rxQueue: Array<{ src: number; srcPort: number; payload: Buffer }> = [];
  readonly sent: SentDatagram[] = [];
  readonly groups: string[] = [];
  private cb: ReadableCallback | undefined;
  constructor(
    readonly address: string,
    readonly port: number,
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
  /** Queue a datagram from `src` (dotted quad) and run the readable callback. */
  inject(src: string, payload: Buffer, srcPort = 50000): void {
    const p = src.split('.').map(Number);
    this.rxQueue.push({ src: ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0, srcPort, payload });
    this.cb?.(null);
  }
  receive(batch: RxBatch, srcAddrs: Uint32Array, srcPorts: Uint32Array, max = batch.slots): number {
    let n = 0;
    while (n < max && n < batch.slots && this.rxQueue.length > 0) {
      const d = this.rxQueue.shift()!;
      d.payload.copy(batch.buffer, n * batch.slotSize + batch.headroom);
      batch.lengths[n] = d.payload.length;
      srcAddrs[n] = d.src;
      srcPorts[n] = d.srcPort;
      n++;
    }
    return n;
  }
  send(buffer: Buffer, offsets: Uint32Array, lengths: Uint32Array, dstAddrs: Uint32Array, dstPorts: Uint32Array, srcPorts: Uint32Array, count: number): number {
    for (let i = 0; i < count; i++) {
      this.sent.push({
        dst: readAddress(dstAddrs, i, 4),
        dstPort: dstPorts[i]!,
        srcPort: srcPorts[i]!,
        payload: Buffer.from(buffer.subarray(offsets[i]!, offsets[i]! + lengths[i]!)),
      });
    }
    return count;
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
  openPacket(ifname: string): PacketPort {
    const p = new MemoryPort(ifname, 'af-packet' as 'af-packet' & 'tap');
    this.ports.set(ifname, p);
    return p;
  }
  openTap(name: string): TapPort {
    const p = new MemoryPort(name, 'tap' as 'af-packet' & 'tap');
    this.ports.set(name, p);
    return p;
  }
  async openUdp(o: UdpUnderlayOptions): Promise<UdpUnderlay> {
    const u = new MemoryUnderlay(o.address, o.port ?? 4789);
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
