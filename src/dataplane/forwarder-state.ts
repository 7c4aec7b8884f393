// The state the forwarder keeps per local port, per VNI and per underlay
// socket or link, and the indexes of their counters. Plain classes with typed
// arrays; the decisions over them are in forwarder.ts.

import { DROP_REASON_COUNT } from './drop-reason.js';
import type { VniMode } from './dataplane-config.js';
import { DatagramTx, FrameTx, type FramePort, type RxBatch, type UdpUnderlay } from './native-io.js';
import type { VniVteps } from './vni-vteps.js';

// Port counters (Float64Array indexes).
export const P_RX_FRAMES = 0;
export const P_RX_BYTES = 1;
export const P_TX_FRAMES = 2;
export const P_TX_BYTES = 3;
export const P_FLOODED = 4;
export const P_DROPS = 5;
/** Receive calls that failed with an error other than EAGAIN (the port goes on or is reopened). */
export const P_RX_ERRORS = 6;
export const PORT_COUNTERS = 7;

// VNI counters; drops by reason follow at V_DROPS + reason.
export const V_RX_FRAMES = 0;
export const V_RX_BYTES = 1;
export const V_TX_FRAMES = 2;
export const V_TX_BYTES = 3;
export const V_ENCAPSULATED = 4;
export const V_DECAPSULATED = 5;
export const V_FLOODED = 6;
/** ARP requests answered locally from remote EVPN MAC+IP routes instead of flooded. */
export const V_ARP_SUPPRESSED = 7;
/** GSO super-frames from local ports cut into segments for the tunnel. */
export const V_SEGMENTED = 8;
/** Decapsulated TCP segments merged into larger frames for a port (receive coalescing). */
export const V_COALESCED = 9;
export const V_DROPS = 10;
export const VNI_COUNTERS = V_DROPS + DROP_REASON_COUNT;

/** A local port (AF_PACKET member or TAP) and the VNIs it carries. */
export class LocalPort {
  readonly tx: FrameTx;
  /** Frames carry virtio-net headers (GSO and partial checksums pass through). */
  readonly vnet: boolean;
  /** VNI of untagged frames, or -1 (a trunk port without a native VNI). */
  untaggedVni = -1;
  /** VID -> VNI for a trunk port, -1 where unmapped; null on an access port. */
  vlanVni: Int32Array | null = null;
  /** VNI -> VID to tag egress frames with (absent or 0: untagged). */
  readonly vniVid = new Map<number, number>();
  /**
   * Tagged frames where the port takes none (access port, native VNI, a
   * second tag) enter the VNI with their tag instead of being dropped
   * (PortConfig.tagged 'pass').
   */
  passTagged = false;
  /** The handle is closed while the port is being reopened: frames queued for it are dropped (tx-error). */
  down = false;

  constructor(
    readonly index: number,
    readonly name: string,
    readonly kind: 'packet' | 'tap',
    /** Replaced when the port is reopened after receive errors (Dataplane). */
    public io: FramePort,
    readonly rx: RxBatch,
    arena: Buffer,
    /** P_* counters; a forwarding worker's live in its SharedArrayBuffer (worker-counters.ts). */
    readonly counters: Float64Array = new Float64Array(PORT_COUNTERS),
  ) {
    this.vnet = io.vnetHdr;
    this.tx = new FrameTx(rx.slots * 4, arena);
  }

  /** Map frames tagged `vid` (or untagged when vid is undefined) to `vni`. */
  addVni(vni: number, vid: number | undefined): void {
    if (vid === undefined) {
      this.untaggedVni = vni;
      return;
    }
    if (this.vlanVni === null) this.vlanVni = new Int32Array(4096).fill(-1);
    this.vlanVni[vid] = vni;
    this.vniVid.set(vni, vid);
  }
}

// Underlay counters kept by the forwarder for what the link carries (the
// socket's own are the addon's).
export const U_RX_DATAGRAMS = 0;
export const U_RX_BYTES = 1;
export const U_TX_DATAGRAMS = 2;
export const U_TX_BYTES = 3;
/** Receive calls on the socket that failed with an error other than EAGAIN. */
export const U_RX_ERRORS = 4;
export const UNDERLAY_COUNTERS = 5;

/**
 * One UDP underlay socket (one per VXLAN destination port in use). It sends
 * what goes to VTEPs whose next hop is not resolved (and everything when
 * there is no underlay link), and receives when there is no link.
 */
export class Underlay {
  readonly srcAddrs: Uint32Array;
  readonly srcPorts: Uint32Array;
  /** Ingress interface of each received datagram (0: unknown), for the member-port check. */
  readonly ifindexes: Uint32Array;
  readonly tx: DatagramTx;
  constructor(
    readonly io: UdpUnderlay,
    readonly port: number,
    readonly rx: RxBatch,
    arena: Buffer,
    txCapacity = rx.slots * 8,
    /** Datagrams of this UDP port that went through the underlay link (U_* indexes). */
    readonly linkCounters: Float64Array = new Float64Array(UNDERLAY_COUNTERS),
  ) {
    this.srcAddrs = new Uint32Array(rx.slots * io.addressStride);
    this.srcPorts = new Uint32Array(rx.slots);
    this.ifindexes = new Uint32Array(rx.slots);
    this.tx = new DatagramTx(txCapacity, arena, io.addressStride);
  }
}

/**
 * The underlay link: an AF_PACKET socket with virtio-net headers on the
 * underlay interface. It receives every VXLAN datagram for us (a BPF filter
 * picks them) with the kernel's offload state, and sends datagrams whose
 * Ethernet, IP and UDP headers the forwarder wrote (outer-header.ts).
 */
/** A send-only handle beside the underlay link and its queue (UnderlayLink.plain). */
export interface PlainSender {
  readonly io: Pick<FramePort, 'send' | 'close' | 'stats'>;
  readonly tx: FrameTx;
}

export class UnderlayLink {
  readonly tx: FrameTx;
  /**
   * Where datagrams that need nothing of the kernel go (IPv4, no GSO run):
   * a sender cheaper per frame than the offload-capable socket (a TX ring
   * of small slots, an AF_XDP socket), or null: the socket itself.
   */
  readonly plain: PlainSender | null;
  constructor(
    readonly io: FramePort,
    readonly rx: RxBatch,
    arena: Buffer,
    plain: Pick<FramePort, 'send' | 'close' | 'stats'> | null = null,
  ) {
    this.tx = new FrameTx(rx.slots * 8, arena);
    this.plain = plain === null ? null : { io: plain, tx: new FrameTx(rx.slots * 8, arena) };
  }
}

/** Per-VNI state the fast path needs. */
export class VniState {
  readonly ports: LocalPort[] = [];
  /** Multicast mode: the group's VTEP-table index (its address as an outer destination); -1 otherwise. */
  groupIndex = -1;
  /** Answer ARP requests for remote hosts known from EVPN Type 2 MAC+IP routes (RFC 7432 §10). */
  arpSuppression = false;
  /** evpn mode: the remote VTEPs the control plane placed in this VNI (datagrams from others are dropped). */
  vteps: VniVteps | null = null;
  /** Decapsulated frames with an inner VLAN tag are delivered, not dropped (a port of the VNI says tagged: 'pass'). */
  passTagged = false;
  constructor(
    readonly vni: number,
    readonly mode: VniMode,
    readonly underlay: Underlay,
    /** V_* counters; a forwarding worker's live in its SharedArrayBuffer (worker-counters.ts). */
    readonly counters: Float64Array = new Float64Array(VNI_COUNTERS),
  ) {}
}
