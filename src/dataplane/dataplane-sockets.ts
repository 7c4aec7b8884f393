// Opening the sockets a DataplaneConfig names: the member ports (AF_PACKET
// or TAP), the underlay's UDP sockets, the AF_PACKET link on the underlay
// interface and its plain sender. The main thread (dataplane.ts) and every
// forwarding worker (docs/workers.md) open theirs here, so both get the same
// options; a worker adds its share of the traffic: a PACKET_FANOUT_HASH group
// on each packet socket (packet(7)), a queue of a multi-queue TAP, and
// SO_REUSEPORT on the UDP sockets.

import { VXLAN_PORT_IANA } from '../wire/vxlan.js';
import type { DataplaneConfig, PortConfig, UnderlaySender } from './dataplane-config.js';
import type { FramePort, NativeIo, PacketPort, RxBatch, UdpUnderlay } from './native-io.js';
import { createRxBatch, GSO_FRAME_MAX } from './native-io.js';
import { underlayFilter } from './underlay-filter.js';
import { openXdpPort } from './xdp-io.js';

export const DEFAULT_BATCH = 64;
/** Free bytes before every received frame: VXLAN + UDP + IPv6 + Ethernet fit. */
const HEADROOM = 128;
/**
 * Receive buffer of a port or link whose frames are packed (ring, TAP):
 * room for a batch of ordinary frames or a few 64 KiB super-frames.
 */
const PACKED_BYTES = 512 << 10;
export const UNDERLAY_SOCKET_BUFFER = 4 << 20;

/** A send-only handle for the link's plain datagrams. */
export type PlainSender = Pick<FramePort, 'send' | 'close' | 'stats'>;
/**
 * The link's plain senders, fastest first, as bench/e2e measured them
 * (--vxswitch-config '{"underlaySender":...}', README "Benchmarks"): AF_XDP
 * about 1.4x sendmmsg's frames/s at 64 B, a TX ring in between.
 */
const PLAIN_SENDERS: readonly UnderlaySender[] = ['af-xdp', 'tx-ring', 'socket'];

/** How a thread shares each socket with the others (absent: it has them alone). */
export interface SocketShare {
  /**
   * PACKET_FANOUT_HASH group id (1..65535) per interface name: a group
   * belongs to one interface (packet(7)), so each port and the link have their own.
   */
  groups: Record<string, number>;
  /**
   * This thread only holds the interfaces and forwards nothing (the main
   * thread with workers > 1, docs/workers.md): its packet sockets receive
   * nothing and join no group, its TAP queue is detached. Its UDP sockets
   * stay in the SO_REUSEPORT group (the port must stay bound).
   */
  holdOnly?: boolean;
}

/** The share a forwarding worker gets from a thread's share: the same groups, forwarding. */
export function forwardingShare(share: SocketShare): SocketShare {
  return { groups: share.groups };
}

/** The fanout group of `ifname` (a missing name is a bug of whoever built the share). */
function groupOf(share: SocketShare, ifname: string): number {
  const g = share.groups[ifname];
  if (g === undefined) throw new Error(`no fanout group for ${ifname}`);
  return g;
}

function nsOf(c: DataplaneConfig): { netns?: string } {
  return c.netns !== undefined ? { netns: c.netns } : {};
}

/** A member port's socket, and how to open it again (after receive errors). */
export function openMemberPort(io: NativeIo, c: DataplaneConfig, pc: PortConfig, share?: SocketShare): { handle: FramePort; reopen: () => FramePort } {
  // Virtio-net headers: the host's GSO super-frames and partial checksums come as they are.
  const opts = { vnetHdr: c.vnetHeaders !== false, ...nsOf(c) };
  const hold = share?.holdOnly === true;
  const open = (name: string): FramePort =>
    pc.kind === 'tap'
      ? io.openTap(name, { ...opts, up: true, ...(share !== undefined ? { multiQueue: true } : {}), ...(hold ? { detachQueue: true } : {}) })
      : io.openPacket(name, {
          ...opts,
          ...(c.rxMode !== undefined && !hold ? { rxMode: c.rxMode } : {}),
          ...(hold ? { receive: false } : share !== undefined ? { fanoutGroup: groupOf(share, pc.name) } : {}),
        });
  const handle = open(pc.name);
  const name = handle.name;
  return { handle, reopen: () => open(name) };
}

/** The receive batch of a member port. */
export function memberRxBatch(handle: FramePort, c: DataplaneConfig): RxBatch {
  const packed = handle.kind === 'tap' || (handle.kind === 'af-packet' && (handle as PacketPort).rxMode === 'ring');
  return createRxBatch({ slots: c.batchSize ?? DEFAULT_BATCH, vnet: handle.vnetHdr, headroom: HEADROOM, ...(packed && handle.vnetHdr ? { bytes: PACKED_BYTES } : {}) });
}

/** The link's filter for the VXLAN ports and multicast groups configured now. */
export function linkFilterOf(c: DataplaneConfig, family: 4 | 6): Uint8Array {
  const ports = [...new Set(c.vnis.map((v) => v.vxlanPort ?? VXLAN_PORT_IANA))];
  const groups = [...new Set(c.vnis.flatMap((v) => (v.mode === 'multicast' && v.multicastGroup !== undefined ? [v.multicastGroup] : [])))];
  return underlayFilter({
    family,
    address: c.vtepAddress,
    groups,
    // A filter needs a port; with no VNI yet nothing is ours.
    ports: ports.length > 0 ? ports : [VXLAN_PORT_IANA],
  });
}

/** The AF_PACKET link on the underlay interface and its receive batch. */
export function openLinkSocket(io: NativeIo, c: DataplaneConfig, ifname: string, family: 4 | 6, share?: SocketShare): { handle: PacketPort; rx: RxBatch } {
  const handle = io.openPacket(ifname, {
    vnetHdr: true,
    promiscuous: false,
    qdiscBypass: true,
    filter: linkFilterOf(c, family),
    sndbuf: UNDERLAY_SOCKET_BUFFER,
    ...(c.rxMode !== undefined && share?.holdOnly !== true ? { rxMode: c.rxMode } : {}),
    ...(share?.holdOnly === true ? { receive: false } : share !== undefined ? { fanoutGroup: groupOf(share, ifname) } : {}),
    ...nsOf(c),
  });
  const rx = createRxBatch({ slots: c.batchSize ?? DEFAULT_BATCH, vnet: true, headroom: 0, ...(handle.rxMode === 'ring' ? { bytes: PACKED_BYTES } : {}) });
  return { handle, rx };
}

/**
 * The link's sender for datagrams that need nothing of the kernel (see
 * DataplaneConfig.underlaySender). Not asked for: the fastest that opens
 * here (AF_XDP where the kernel, the memlock limit and the MTU allow it,
 * else a TX ring), said once with `warn`; asked for: that one or an error.
 * `frame` is the largest outer frame the underlay MTU lets out.
 */
export function openPlainSender(
  io: NativeIo,
  c: DataplaneConfig,
  ifname: string,
  frame: number,
  warn: (message: string) => void,
): { sender: PlainSender | null; kind: UnderlaySender } {
  const ns = nsOf(c);
  const open = (kind: UnderlaySender): PlainSender | null => {
    if (kind === 'socket') return null;
    // Slots for the largest datagram the underlay MTU lets through.
    const slot = frame <= 2048 ? 2048 : 4096;
    if (kind === 'tx-ring') return io.openPacket(ifname, { ...ns, receive: false, qdiscBypass: true, txRingFrames: 1024, txRingFrameSize: 4096 * Math.ceil(frame / 4096) });
    if (io.kind !== 'native') throw new Error('underlay-sender af-xdp needs the native addon');
    // One UMEM frame per datagram (no multi-buffer): an underlay MTU above a page needs another sender.
    if (frame > 4096) throw new Error(`underlay-sender af-xdp: frames of ${frame} bytes (the underlay MTU) do not fit a 4096-byte UMEM frame`);
    // A send-only AF_XDP socket: no XDP program, the interface's receive path untouched.
    return openXdpPort(ifname, { ...ns, attachMode: 'none', frameSize: slot, ringSize: 2048 });
  };
  const asked = c.underlaySender;
  if (asked !== undefined) return { sender: open(asked), kind: asked };
  for (const kind of PLAIN_SENDERS) {
    try {
      return { sender: open(kind), kind };
    } catch (e) {
      warn(`underlay link ${ifname}: ${kind} unavailable (${(e as Error).message}), trying the next sender`);
    }
  }
  return { sender: null, kind: 'socket' };
}

/**
 * The UDP socket of one VXLAN port and its receive batch. With the link
 * (`link`) it only holds the port and sends through the kernel.
 */
export async function openUnderlaySocket(
  io: NativeIo,
  c: DataplaneConfig,
  port: number,
  multicast: boolean,
  link: boolean,
  share?: SocketShare,
): Promise<{ udp: UdpUnderlay; rx: RxBatch }> {
  const batch = c.batchSize ?? DEFAULT_BATCH;
  const udp = await io.openUdp({
    address: c.vtepAddress,
    port,
    // Group traffic is addressed to the group, not to us: bind the wildcard.
    ...(multicast ? { bindAddress: '0.0.0.0' } : {}),
    ...(c.underlayInterface !== undefined ? { multicastInterface: c.underlayInterface } : {}),
    // Receiving here: only what came in on the underlay interface (issue 9 item 1).
    ...(c.underlayInterface !== undefined && !link ? { bindDevice: c.underlayInterface } : {}),
    batchSize: batch,
    // Datagrams stay charged to the sending socket until the receiver
    // frees them; the kernel's ~208 KiB default filled up under load
    // (tx-queue-full drops in the end-to-end bench). 4 MiB each way.
    sndbuf: UNDERLAY_SOCKET_BUFFER,
    // With the link, this socket only holds the port and sends through the kernel.
    ...(link ? { receive: false } : { rcvbuf: UNDERLAY_SOCKET_BUFFER }),
    ...(share !== undefined ? { reusePort: true } : {}),
    ...nsOf(c),
  });
  // A kernel VTEP on a veth hands over 64 KiB datagrams (its TSO frames whole): room for them.
  const rx = createRxBatch(link ? { slots: 1, frameMax: 64, headroom: 0 } : { slots: batch, frameMax: GSO_FRAME_MAX, headroom: 0 });
  return { udp, rx };
}
