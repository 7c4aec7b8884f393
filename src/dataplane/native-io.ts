// The dataplane's door to the native I/O addon (build/Release/vxio.node, from
// src/dataplane/native): AF_PACKET ports, TAP ports and the UDP underlay.
//
// The addon only makes syscalls (DESIGN.md "Native I/O"); this module gives
// it types and nothing more, so a call here is one native call. Frames move
// in batches through buffers the caller allocates once (RxBatch, and
// offset/length arrays for sending): no allocation per packet on either side.
// js-fallback-io.ts implements the same NativeIo interface without the addon.

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isIPv4, isIPv6 } from 'node:net';
import { parseIpv6, formatIpv6 } from '../wire/ip-address.js';

/** How an AF_PACKET port receives: recvmmsg batches, or a TPACKET_V3 ring. */
export type RxMode = 'recvmmsg' | 'ring';

/** Bytes of the virtio_net_hdr each frame carries on a handle opened with vnetHdr. */
export const VNET_LEN = 10;
/**
 * The largest frame a handle with virtio-net headers hands over: a 64 KiB
 * GSO super-frame (IPv4 total length 65535) behind Ethernet and two VLAN tags.
 */
export const GSO_FRAME_MAX = 65536 + 64;
/** Received frames start at offsets aligned to this (the addon's VX_RX_ALIGN). */
export const RX_ALIGN = 64;

/**
 * Where received frames land. The addon fills frame i at offsets[i] (with
 * `headroom` free bytes before it: encapsulation writes the VXLAN and outer
 * headers there, DESIGN.md "The fast path"), lengths[i] bytes (0: the slot
 * holds no frame, one larger than frameMax, counted as rxTruncated: skip it),
 * and on handles with virtio-net headers the header at vnet[i * 10] (host
 * byte order; vnetWords views the same bytes as 16-bit words).
 */
export interface RxBatch {
  readonly buffer: Buffer;
  /** A DataView over buffer, for checksums on the fast path. */
  readonly view: DataView;
  readonly headroom: number;
  /** The largest frame one receive slot takes. */
  readonly frameMax: number;
  /** Most frames per receive call. */
  readonly slots: number;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  readonly vnet: Uint8Array | null;
  readonly vnetWords: Uint16Array | null;
}

export interface RxBatchOptions {
  /** Most frames per receive call. */
  slots: number;
  /** Largest frame taken (default 1984; GSO_FRAME_MAX with virtio-net headers). */
  frameMax?: number;
  /** Free bytes before each frame (default 128: outer IPv6 + UDP + VXLAN + Ethernet fit). */
  headroom?: number;
  /**
   * Buffer size. Default: room for `slots` frames of frameMax each, which
   * recvmmsg and the UDP socket need (they give every frame a whole slot);
   * a ring or a TAP packs frames by their real length and may take less.
   */
  bytes?: number;
  /** Room for a virtio_net_hdr per frame (handles opened with vnetHdr). */
  vnet?: boolean;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Allocate a batch once; receive() reuses it for every call. */
export function createRxBatch(o: RxBatchOptions): RxBatch {
  const slots = o.slots;
  const headroom = o.headroom ?? 128;
  const frameMax = o.frameMax ?? (o.vnet === true ? GSO_FRAME_MAX : 1984);
  if (!Number.isInteger(slots) || slots < 1) throw new RangeError(`slots must be a positive integer, got ${slots}`);
  if (!Number.isInteger(frameMax) || frameMax < 64 || !Number.isInteger(headroom) || headroom < 0 || headroom > 4096) {
    throw new RangeError(`frameMax (${frameMax}) must be an integer >= 64 and headroom (${headroom}) 0..4096`);
  }
  const bytes = o.bytes ?? slots * alignUp(headroom + frameMax, RX_ALIGN);
  if (!Number.isInteger(bytes) || bytes < headroom + frameMax) {
    throw new RangeError(`bytes (${bytes}) must hold at least one frame of frameMax (${frameMax}) after headroom (${headroom})`);
  }
  const buffer = Buffer.alloc(bytes);
  const vnet = o.vnet === true ? new Uint8Array(slots * VNET_LEN) : null;
  return {
    buffer,
    view: new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength),
    headroom,
    frameMax,
    slots,
    offsets: new Uint32Array(slots),
    lengths: new Uint32Array(slots),
    vnet,
    vnetWords: vnet === null ? null : new Uint16Array(vnet.buffer, vnet.byteOffset, vnet.length / 2),
  };
}

/**
 * What one send call sends out of a frame port (AF_PACKET or TAP): frame i's
 * payload is lengths[i] bytes at offsets[i] of `src`, or of `arena` when
 * sel[i] is 1; hdrLengths[i] bytes at hdrOffsets[i] of `arena` go before it
 * (a VLAN-tagged Ethernet header, the outer headers of a VXLAN datagram), and
 * on a handle with virtio-net headers the record at vnet[i * 10] before that.
 * Allocated once per queue; the caller fills entries [0, count).
 */
export class FrameTx {
  src: Buffer | null = null;
  count = 0;
  readonly sel: Uint8Array;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  readonly hdrOffsets: Uint32Array;
  readonly hdrLengths: Uint32Array;
  readonly vnet: Uint8Array;
  readonly vnetWords: Uint16Array;
  constructor(
    readonly capacity: number,
    readonly arena: Buffer,
  ) {
    this.sel = new Uint8Array(capacity);
    this.offsets = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
    this.hdrOffsets = new Uint32Array(capacity);
    this.hdrLengths = new Uint32Array(capacity);
    this.vnet = new Uint8Array(capacity * VNET_LEN);
    this.vnetWords = new Uint16Array(this.vnet.buffer, 0, capacity * (VNET_LEN / 2));
  }
}

/**
 * What one send call sends through the UDP underlay socket: payload i
 * (VXLAN header + inner frame, from `src` or `arena` as sel[i] says) to
 * dstAddrs/dstPorts from source port srcPorts[i]. Addresses as writeAddress
 * lays them out (stride 1 for IPv4, 4 for IPv6).
 */
export class DatagramTx {
  src: Buffer | null = null;
  count = 0;
  readonly sel: Uint8Array;
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  readonly dstAddrs: Uint32Array;
  readonly dstPorts: Uint32Array;
  readonly srcPorts: Uint32Array;
  constructor(
    readonly capacity: number,
    readonly arena: Buffer,
    readonly addressStride: 1 | 4,
  ) {
    this.sel = new Uint8Array(capacity);
    this.offsets = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
    this.dstAddrs = new Uint32Array(capacity * addressStride);
    this.dstPorts = new Uint32Array(capacity);
    this.srcPorts = new Uint32Array(capacity);
  }
}

export interface IoStats {
  rxFrames: number;
  rxBytes: number;
  /** Frames dropped on receive because they did not fit a slot (GSO super-frames, say). */
  rxTruncated: number;
  txFrames: number;
  /** Bytes handed over by the caller (for the underlay: UDP payload, no headers). */
  txBytes: number;
  /** Frames that failed on their own (EMSGSIZE with DF, no route, ...): skipped. */
  txErrors: number;
  /** Frames not sent because the kernel queue was full (EAGAIN/ENOBUFS): dropped. */
  txQueueFull: number;
  /** errno name of the latest txErrors frame, '' if none. */
  lastTxError: string;
}

export interface PacketStats extends IoStats {
  /** The kernel's PACKET_STATISTICS, accumulated: frames seen (drops included). */
  kernelPackets: number;
  /** Frames the socket lost because userspace did not keep up. */
  kernelDrops: number;
  /** TPACKET_V3: times the ring was full and froze. */
  ringFreezes: number;
}

/**
 * Called when the fd is readable (err null), level-triggered: while frames
 * are left after a receive, it is called again on the next loop turn. err is
 * set when the socket reported an error (ENETDOWN when the link went down:
 * polling goes on) or the device is gone (a deleted TAP: polling stops).
 */
export type ReadableCallback = (err: Error | null) => void;

interface Pollable {
  readonly fd: number;
  readonly closed: boolean;
  /** Start (or re-target) polling; the process stays alive while polling. */
  onReadable(callback: ReadableCallback): void;
  /** Stop polling; the handle stays open. */
  stopReadable(): void;
  /** Stop polling and close the fd. Idempotent. */
  close(): void;
}

/** An Ethernet port: AF_PACKET on an interface, or a TAP device. */
export interface FramePort extends Pollable {
  readonly kind: 'af-packet' | 'tap';
  /** Interface name (as the kernel named it, for a TAP made from a pattern). */
  readonly name: string;
  readonly ifindex: number;
  /** Frames carry virtio-net headers (opened with vnetHdr): GSO super-frames and partial checksums both ways. */
  readonly vnetHdr: boolean;
  /** Receive up to max (default batch.slots) frames; returns how many slots were filled (0: none waiting). */
  receive(batch: RxBatch, max?: number): number;
  /**
   * Send entries [0, tx.count) in one native call; returns how many the
   * kernel took. The rest were dropped: stats() says why (txErrors,
   * txQueueFull).
   */
  send(tx: FrameTx): number;
  stats(): IoStats;
}

export interface PacketPort extends FramePort {
  readonly kind: 'af-packet';
  readonly rxMode: RxMode;
  stats(): PacketStats;
  /** Replace the socket's classic BPF program (see PacketPortOptions.filter). */
  setFilter(filter: Uint8Array): void;
}

export interface TapPort extends FramePort {
  readonly kind: 'tap';
}

export interface PacketPortOptions {
  /**
   * 'ring' (PACKET_MMAP TPACKET_V3, default: the higher loss-free rate and
   * the lower CPU per frame) or 'recvmmsg' (the lower latency at low rates:
   * the ring hands over a partly filled block only after ringBlockTimeoutMs).
   * Measured by bench/afpacket-rx.ts; numbers in src/dataplane/native/README.md.
   */
  rxMode?: RxMode;
  /** PACKET_MR_PROMISC (default true): a switch port takes every frame. */
  promiscuous?: boolean;
  /** PACKET_IGNORE_OUTGOING (default true): never receive frames leaving this interface. */
  ignoreOutgoing?: boolean;
  /** Most frames per recvmmsg/sendmmsg call (default 256, at most 4096). */
  batchSize?: number;
  /** Ring block size in bytes, a multiple of the page size (default 256 KiB). */
  ringBlockSize?: number;
  /** Ring blocks (default 32: 8 MiB with the default block size). */
  ringBlockCount?: number;
  /** Milliseconds before the kernel hands over a partly filled block (default 1). */
  ringBlockTimeoutMs?: number;
  /** PACKET_QDISC_BYPASS: send straight to the driver (default false). */
  qdiscBypass?: boolean;
  /**
   * Send through a PACKET_TX_RING of this many slots instead of sendmmsg
   * (default 0: sendmmsg). Each slot holds one frame of up to
   * txRingFrameSize bytes (default 128 KiB, a page multiple: a UDP GSO run).
   */
  txRingFrames?: number;
  txRingFrameSize?: number;
  /** Give received frames back their VLAN tag, which the kernel strips into metadata (default true). */
  reinsertVlan?: boolean;
  /** SO_RCVBUF in bytes (default 4 MiB: the kernel's ~208 KiB overflows in one burst of full-size frames). */
  rcvbuf?: number;
  /** SO_SNDBUF in bytes (default: the kernel's). */
  sndbuf?: number;
  /**
   * PACKET_VNET_HDR (default false): every frame carries a virtio_net_hdr, so
   * GSO super-frames and partial checksums pass both ways instead of being
   * dropped (receive) or refused (send).
   */
  vnetHdr?: boolean;
  /** A classic BPF program (8-byte host-order struct sock_filter each) applied before bind. */
  filter?: Uint8Array;
  /** false: a send-only socket, bound with protocol 0 so the kernel hands it no frame (default true). */
  receive?: boolean;
  /**
   * Join PACKET_FANOUT_HASH group 1..65535 of the interface (default none):
   * sockets of several forwarding workers share its frames, each flow on one
   * socket (packet(7) PACKET_FANOUT).
   */
  fanoutGroup?: number;
  /** Open in this network namespace (a name under /run/netns, or a path). */
  netns?: string;
}

export interface TapOptions {
  /** Set the device up (IFF_UP) after opening (default false). */
  up?: boolean;
  /** Set the device MTU (default: leave it). */
  mtu?: number;
  /**
   * IFF_VNET_HDR with TUNSETOFFLOAD (default false): the host's stack sends
   * partial checksums and TCP/UDP GSO super-frames, as to a virtio NIC.
   */
  vnetHdr?: boolean;
  /**
   * Attach one queue of a multi-queue TAP (IFF_MULTI_QUEUE): each forwarding
   * worker opens its own, the kernel spreads the host's flows over them.
   * A TAP made without multi-queue refuses it (EINVAL).
   */
  multiQueue?: boolean;
  /**
   * With multiQueue: detach the queue at once (TUNSETQUEUE IFF_DETACH_QUEUE).
   * It takes no frames, and it keeps the TAP while no worker holds a queue.
   */
  detachQueue?: boolean;
  netns?: string;
}

export interface UdpUnderlayOptions {
  /** The VTEP address: source of every datagram sent, and bound for receiving unless bindAddress says otherwise. */
  address: string;
  /** UDP port to receive on: 4789 (IANA, default) or 8472 (Linux); 0 picks a free one. */
  port?: number;
  /** Receive on this address instead (multicast mode binds the wildcard, 0.0.0.0 or ::, to get group traffic). */
  bindAddress?: string;
  /** Underlay interface for multicast: joins and multicast sends use it. */
  multicastInterface?: string;
  /**
   * Receive only datagrams that arrived on this interface (SO_BINDTODEVICE
   * on the receiving socket): the underlay interface, so that a host on a
   * member port cannot reach the underlay by addressing our VTEP.
   */
  bindDevice?: string;
  /** TTL / hop limit of unicast datagrams (default 64) and of multicast ones (default 1, as Linux vxlan). */
  ttl?: number;
  multicastTtl?: number;
  /** IPv4 TOS / IPv6 traffic class (default 0). */
  tos?: number;
  batchSize?: number;
  rcvbuf?: number;
  sndbuf?: number;
  /** false: the socket only holds the port and sends; a filter drops what arrives (the AF_PACKET link receives). */
  receive?: boolean;
  /** SO_REUSEPORT: sockets of several forwarding workers bind the same port; the kernel spreads flows over them. */
  reusePort?: boolean;
  netns?: string;
}

export interface UdpUnderlay extends Pollable {
  readonly family: 4 | 6;
  readonly address: string;
  /** The port bound (the one picked when 0 was asked). */
  readonly port: number;
  /** Numbers per address in the address arrays: 1 for IPv4, 4 for IPv6. */
  readonly addressStride: 1 | 4;
  /**
   * Receive up to max datagrams (UDP payloads: VXLAN header + inner frame)
   * into batch; srcAddrs/srcPorts get each sender (see writeAddress for the
   * number layout), ifindexes (when given) the interface each arrived on
   * (IP_PKTINFO; 0 where unknown). Returns how many slots were filled.
   * Throws the addon's errno error on a receive error other than EAGAIN.
   */
  receive(batch: RxBatch, srcAddrs: Uint32Array, srcPorts: Uint32Array, max?: number, ifindexes?: Uint32Array): number;
  /**
   * Send entries [0, tx.count) to their dstAddrs / dstPorts from source port
   * srcPorts[i] (RFC 7348 §5: a hash of the inner flow), DF set. Several
   * entries may share one payload. Returns how many the kernel took.
   */
  send(tx: DatagramTx): number;
  /** Join / leave a multicast group (multicast mode) on ifname or multicastInterface. */
  addMembership(group: string, ifname?: string): void;
  dropMembership(group: string, ifname?: string): void;
  stats(): IoStats;
}

/** The dataplane's I/O: the native addon, or the pure-JS fallback. */
export interface NativeIo {
  readonly kind: 'native' | 'js-fallback';
  openPacket(ifname: string, options?: PacketPortOptions): PacketPort;
  openTap(name: string, options?: TapOptions): TapPort;
  /** Async because the fallback's dgram bind is; the native one resolves at once. */
  openUdp(options: UdpUnderlayOptions): Promise<UdpUnderlay>;
}

/**
 * Store an address as the underlay arrays hold it: IPv4 a.b.c.d as one
 * number (a<<24 | b<<16 | c<<8 | d) at out[index]; IPv6 as four big-endian
 * 32-bit words at out[index*4 ..]. For setup and tests, not per packet.
 */
export function writeAddress(text: string, out: Uint32Array, index: number): void {
  if (isIPv4(text)) {
    const p = text.split('.').map(Number);
    out[index] = ((p[0]! << 24) | (p[1]! << 16) | (p[2]! << 8) | p[3]!) >>> 0;
    return;
  }
  if (isIPv6(text)) {
    const b = parseIpv6(text);
    for (let w = 0; w < 4; w++) out[index * 4 + w] = b.readUInt32BE(w * 4);
    return;
  }
  throw new TypeError(`not an IP address: "${text}"`);
}

/** The text form of the address at index (family 4: out[index]; 6: out[index*4..]). */
export function readAddress(arr: Uint32Array, index: number, family: 4 | 6): string {
  if (family === 4) {
    const a = arr[index]!;
    return `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
  }
  const b = Buffer.alloc(16);
  for (let w = 0; w < 4; w++) b.writeUInt32BE(arr[index * 4 + w]!, w * 4);
  return formatIpv6(b);
}

// ---- the addon's own surface (what src/dataplane/native exports) ----

export interface AddonHandle {
  readonly fd: number;
  readonly ifindex: number;
  readonly name: string;
  startPolling(cb: ReadableCallback): void;
  stopPolling(): void;
  close(): void;
  isOpen(): boolean;
}
export interface AddonFrameHandle extends AddonHandle {
  readonly vnetHdr: boolean;
  recv(buf: Buffer, offsets: Uint32Array, lens: Uint32Array, vnet: Uint8Array | null, headroom: number, frameMax: number, max: number): number;
  send(
    src: Buffer,
    arena: Buffer,
    sel: Uint8Array,
    offsets: Uint32Array,
    lens: Uint32Array,
    hdrOffsets: Uint32Array,
    hdrLens: Uint32Array,
    vnet: Uint8Array | null,
    count: number,
  ): number;
}
interface AddonPacketHandle extends AddonFrameHandle {
  readonly rxMode: RxMode;
  stats(): PacketStats;
  setFilter(filter: Uint8Array): void;
}
interface AddonTapHandle extends AddonFrameHandle {
  stats(): IoStats;
}
interface AddonUdpHandle extends AddonHandle {
  readonly family: 4 | 6;
  readonly port: number;
  readonly address: string;
  recv(
    buf: Buffer,
    offsets: Uint32Array,
    lens: Uint32Array,
    addrs: Uint32Array,
    ports: Uint32Array,
    headroom: number,
    frameMax: number,
    max: number,
    ifindexes?: Uint32Array | null,
  ): number;
  send(
    src: Buffer,
    arena: Buffer,
    sel: Uint8Array,
    offsets: Uint32Array,
    lens: Uint32Array,
    addrs: Uint32Array,
    dports: Uint32Array,
    sports: Uint32Array,
    count: number,
  ): number;
  addMembership(group: string, ifname?: string): void;
  dropMembership(group: string, ifname?: string): void;
  stats(): IoStats;
}
export interface Addon {
  openPacket(ifname: string, options: PacketPortOptions): AddonPacketHandle;
  openTap(name: string, options: TapOptions): AddonTapHandle;
  openUdp(options: UdpUnderlayOptions): AddonUdpHandle;
  readonly batchMax: number;
}

/** A FramePort's common half over any addon frame handle (AF_PACKET, TAP, AF_XDP in xdp-io.ts). */
export class NativeFramePort<H extends AddonFrameHandle> {
  readonly fd: number;
  readonly name: string;
  readonly ifindex: number;
  readonly vnetHdr: boolean;
  constructor(protected readonly h: H) {
    this.fd = h.fd;
    this.name = h.name;
    this.ifindex = h.ifindex;
    this.vnetHdr = h.vnetHdr === true;
  }
  get closed(): boolean {
    return !this.h.isOpen();
  }
  receive(batch: RxBatch, max = batch.slots): number {
    return this.h.recv(batch.buffer, batch.offsets, batch.lengths, batch.vnet, batch.headroom, batch.frameMax, max);
  }
  send(tx: FrameTx): number {
    if (tx.count === 0 || tx.src === null) return 0;
    return this.h.send(tx.src, tx.arena, tx.sel, tx.offsets, tx.lengths, tx.hdrOffsets, tx.hdrLengths, this.vnetHdr ? tx.vnet : null, tx.count);
  }
  onReadable(callback: ReadableCallback): void {
    this.h.startPolling(callback);
  }
  stopReadable(): void {
    this.h.stopPolling();
  }
  close(): void {
    this.h.close();
  }
}

class NativePacketPort extends NativeFramePort<AddonPacketHandle> implements PacketPort {
  readonly kind = 'af-packet' as const;
  readonly rxMode: RxMode;
  constructor(h: AddonPacketHandle) {
    super(h);
    this.rxMode = h.rxMode;
  }
  stats(): PacketStats {
    return this.h.stats();
  }
  setFilter(filter: Uint8Array): void {
    this.h.setFilter(filter);
  }
}

class NativeTapPort extends NativeFramePort<AddonTapHandle> implements TapPort {
  readonly kind = 'tap' as const;
  stats(): IoStats {
    return this.h.stats();
  }
}

class NativeUdpUnderlay implements UdpUnderlay {
  readonly fd: number;
  readonly family: 4 | 6;
  readonly address: string;
  readonly port: number;
  readonly addressStride: 1 | 4;
  constructor(private readonly h: AddonUdpHandle) {
    this.fd = h.fd;
    this.family = h.family;
    this.address = h.address;
    this.port = h.port;
    this.addressStride = h.family === 4 ? 1 : 4;
  }
  get closed(): boolean {
    return !this.h.isOpen();
  }
  receive(batch: RxBatch, srcAddrs: Uint32Array, srcPorts: Uint32Array, max = batch.slots, ifindexes?: Uint32Array): number {
    return this.h.recv(batch.buffer, batch.offsets, batch.lengths, srcAddrs, srcPorts, batch.headroom, batch.frameMax, max, ifindexes ?? null);
  }
  send(tx: DatagramTx): number {
    if (tx.count === 0 || tx.src === null) return 0;
    return this.h.send(tx.src, tx.arena, tx.sel, tx.offsets, tx.lengths, tx.dstAddrs, tx.dstPorts, tx.srcPorts, tx.count);
  }
  addMembership(group: string, ifname?: string): void {
    this.h.addMembership(group, ifname);
  }
  dropMembership(group: string, ifname?: string): void {
    this.h.dropMembership(group, ifname);
  }
  stats(): IoStats {
    return this.h.stats();
  }
  onReadable(callback: ReadableCallback): void {
    this.h.startPolling(callback);
  }
  stopReadable(): void {
    this.h.stopPolling();
  }
  close(): void {
    this.h.close();
  }
}

/** Where the addon is looked for: $VXSWITCH_NATIVE_IO, then build/Release under the project root. */
export function nativeAddonPath(): string {
  const fromEnv = process.env['VXSWITCH_NATIVE_IO'];
  if (fromEnv) return path.resolve(fromEnv);
  // src/dataplane (run from source) or dist/src/dataplane (compiled).
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [path.resolve(here, '..', '..', '..'), path.resolve(here, '..', '..')].map((root) =>
    path.join(root, 'build', 'Release', 'vxio.node'),
  );
  return candidates.find((p) => existsSync(p)) ?? candidates[0]!;
}

/** The addon itself, loaded once; throws (the loader's error as cause) when it is missing or does not load. */
export function loadAddon(): Addon {
  const file = nativeAddonPath();
  try {
    return createRequire(import.meta.url)(file) as Addon;
  } catch (cause) {
    throw new Error(`the native I/O addon did not load from ${file}: ${(cause as Error).message}`, { cause });
  }
}

let cached: NativeIo | undefined;

/**
 * Load the addon and wrap it. Throws when it is missing or does not load;
 * js-fallback-io.ts's loadIo() catches that.
 */
export function loadNativeIo(): NativeIo {
  if (cached) return cached;
  const addon = loadAddon();
  cached = {
    kind: 'native',
    openPacket: (ifname, options = {}) => new NativePacketPort(addon.openPacket(ifname, options)),
    openTap: (name, options = {}) => new NativeTapPort(addon.openTap(name, options)),
    // async, so an open error rejects like the fallback's does.
    openUdp: async (options) => new NativeUdpUnderlay(addon.openUdp(options)),
  };
  return cached;
}
