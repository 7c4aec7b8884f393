// AF_XDP ports: the typed door to the addon's openXdp (src/dataplane/native/xdp.c).
//
// An XdpPort is a FramePort (receive/send/onReadable, the same RxBatch and
// offset/length arrays as AF_PACKET) over one XDP socket bound to one
// receive queue of an interface, with the addon's own XDP program attached
// to that interface while the port is open. What it needs and what changes
// on the interface while it is open: docs/afxdp.md. Measured against the
// AF_PACKET ring by bench/afxdp.ts.

import { loadAddon, NativeFramePort, type Addon, type AddonFrameHandle, type FramePort, type IoStats } from './native-io.js';

/**
 * How the XDP program runs: 'native' in the driver (veth, most 10G+ NICs),
 * 'generic' in the kernel's receive path after the skb is built (any
 * interface; the AF_XDP socket then always copies), or 'none': no program,
 * a send-only port (copy-mode TX needs none; receive() returns 0) that
 * leaves the interface's receive path as it is.
 */
export type XdpAttachMode = 'native' | 'generic' | 'none';

export interface XdpPortOptions {
  /** The receive queue to bind (default 0). Frames of other queues go on to the kernel stack. */
  queue?: number;
  /** Default 'native'; its open fails with EOPNOTSUPP on a driver without native XDP. */
  attachMode?: XdpAttachMode;
  /** XDP_ZEROCOPY instead of XDP_COPY (default false; veth has none: ENOTSUP). */
  zeroCopy?: boolean;
  /** UMEM frame size, a power of two from 2048 to the page size (default 2048: frames up to 1792 bytes received). */
  frameSize?: number;
  /** Entries of each ring, a power of two (default 2048); the UMEM holds twice as many frames. */
  ringSize?: number;
  /** XDP_MAX_TX_SKB_BUDGET (Linux 6.17+): descriptors one send syscall handles in copy mode (default: the kernel's 32). */
  txBudget?: number;
  /** Open in this network namespace (a name under /run/netns, or a path). */
  netns?: string;
}

export interface XdpStats extends IoStats {
  /** The socket's XDP_STATISTICS, cumulative since open: frames dropped for other reasons (too large for a frame, say). */
  kernelDrops: number;
  /** Frames dropped because the RX ring was full (userspace did not keep up). */
  rxRingFull: number;
  /** Times the kernel found no free frame on the FILL ring. */
  fillRingEmpty: number;
  rxInvalid: number;
  txInvalid: number;
}

export interface XdpPort extends Omit<FramePort, 'kind' | 'stats'> {
  readonly kind: 'af-xdp';
  readonly queue: number;
  readonly attachMode: XdpAttachMode;
  readonly zeroCopy: boolean;
  stats(): XdpStats;
}

interface AddonXdpHandle extends AddonFrameHandle {
  readonly queue: number;
  readonly attachMode: XdpAttachMode;
  readonly zeroCopy: boolean;
  stats(): XdpStats;
}

interface XdpAddon {
  openXdp(ifname: string, options: XdpPortOptions): AddonXdpHandle;
}

class NativeXdpPort extends NativeFramePort<AddonXdpHandle> implements XdpPort {
  readonly kind = 'af-xdp' as const;
  readonly queue: number;
  readonly attachMode: XdpAttachMode;
  readonly zeroCopy: boolean;
  constructor(h: AddonXdpHandle) {
    super(h);
    this.queue = h.queue;
    this.attachMode = h.attachMode;
    this.zeroCopy = h.zeroCopy;
  }
  stats(): XdpStats {
    return this.h.stats();
  }
}

/**
 * Open an AF_XDP port on ifname: socket, UMEM, rings, the XDP program
 * attached through a BPF link. Throws errno-named errors ("AF_XDP attach
 * eth1: EBUSY ..." when the interface already has an XDP program). Closing
 * the port (or the process ending) detaches the program; the kernel frees
 * the queue a few tens of milliseconds after close, so an immediate reopen
 * of the same queue can fail with EBUSY.
 */
export function openXdpPort(ifname: string, options: XdpPortOptions = {}): XdpPort {
  const addon: Addon & Partial<XdpAddon> = loadAddon();
  if (typeof addon.openXdp !== 'function') {
    throw new Error('the native I/O addon has no AF_XDP (built from older sources: npm rebuild)');
  }
  return new NativeXdpPort(addon.openXdp(ifname, options));
}
