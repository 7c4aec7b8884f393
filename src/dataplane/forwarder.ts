// The forwarding decisions, one receive batch at a time (docs/architecture.md
// "The fast path"). Plain loops over typed arrays and preallocated buffers: no
// closure, no string, no Buffer.from, no Map.set per frame.
//
// Offloads. Ports and the underlay link carry virtio-net headers, so frames
// arrive as the host's stack made them: GSO super-frames up to 64 KiB and
// partial checksums. Such a frame passes to another port with virtio-net
// headers unchanged (its header rewritten for any VLAN tag added or
// removed); into the tunnel its checksum is finished and a super-frame is cut
// into segments (gso.ts), sent as one UDP GSO message on the link or one
// datagram each through the kernel. What arrives from the tunnel as a TCP
// super-frame (a kernel VTEP with TSO hands those over a veth) goes to the
// ports as one frame with its GSO header.
//
// Buffer ownership: a batch is received into its port's RxBatch, every frame
// is decided, and every transmit queue is flushed (the kernel copies on send)
// before the callback returns, so the next receive may overwrite the batch.
// Everything else a queued frame points at (VLAN-tagged Ethernet headers,
// outer headers, segments) lives in the forwarder's arena, which is reset
// only after every queue was flushed.

import { EtherType, ETH_HEADER_LENGTH } from '../wire/ethernet.js';
import * as vxlan from '../wire/vxlan.js';
import {
  VNET_F_DATA_VALID,
  VNET_F_NEEDS_CSUM,
  VNET_GSO_ECN,
  VNET_GSO_NONE,
  VNET_GSO_TCPV4,
  VNET_GSO_TCPV6,
  VNET_GSO_UDP_L4,
} from '../wire/virtio-net-hdr.js';
import { Drop, DROP_REASON_COUNT } from './drop-reason.js';
import { Fdb, FDB_LOCAL } from './fdb.js';
import { FdbLearner, type Learner } from './learner.js';
import type { FloodLists } from './flood-list.js';
import { flowHash } from './flow-hash.js';
import {
  LocalPort,
  P_DROPS,
  P_FLOODED,
  P_RX_BYTES,
  P_RX_FRAMES,
  P_TX_BYTES,
  P_TX_FRAMES,
  Underlay,
  UnderlayLink,
  type PlainSender,
  U_RX_BYTES,
  U_RX_DATAGRAMS,
  U_TX_BYTES,
  U_TX_DATAGRAMS,
  VniState,
  V_ARP_SUPPRESSED,
  V_COALESCED,
  V_DECAPSULATED,
  V_DROPS,
  V_ENCAPSULATED,
  V_FLOODED,
  V_RX_BYTES,
  V_RX_FRAMES,
  V_SEGMENTED,
  V_TX_BYTES,
  V_TX_FRAMES,
} from './forwarder-state.js';
import { TcpCoalescer } from './gro.js';
import { finishChecksum, isUdpTunnelGso, Segmenter } from './gso.js';
import type { DatagramTx, FrameTx } from './native-io.js';
import type { NeighborTable } from './neighbor-table.js';
import type { OuterHeaders } from './outer-header.js';
import { VtepTable } from './vtep-table.js';
import { writeU32 } from '../wire/byte-order.js';

/** Outer IPv4 (20) + UDP (8) + VXLAN (8) around the inner frame; the outer Ethernet header is not in the MTU. */
export const IPV4_ENCAP_OVERHEAD = 36;
/** Outer IPv6 (40) + UDP (8) + VXLAN (8). */
export const IPV6_ENCAP_OVERHEAD = 56;
const ARP_LENGTH = 28;
const ARP_SENDER_MAC = 8;
const ARP_SENDER_IP = 14;
/** Bounded work per readable callback, so one busy port cannot starve the others. */
const MAX_BATCHES_PER_WAKEUP = 16;
/** Default arena: outer headers, VLAN headers and segments of everything queued between two flushes. */
const ARENA_BYTES = 2 << 20;
/**
 * One UDP GSO message carries at most this many segments (the kernel's
 * UDP_MAX_SEGMENTS was 64 before Linux 6.4) and this many payload bytes
 * (the outer IP total length is 16 bits).
 */
const GSO_MESSAGE_SEGMENTS = 64;
/** Underlay senders, for orderUnderlay. */
const SENDER_NONE = 0;
const SENDER_LINK = 1;
const SENDER_PLAIN = 2;
const SENDER_RAW = 3;
const GSO_MESSAGE_BYTES = 65535 - 40 - 8;

/** What the forwarder reads of the FDB: the table itself (main thread) or a worker's FdbView. */
export type FdbReader = Pick<Fdb, 'lookup' | 'kindAt' | 'targetAt'>;
/** What the forwarder reads of the flood lists. */
export type FloodReader = Pick<FloodLists, 'get'>;
/** What the forwarder reads of the VTEP table: the table itself or a worker's VtepView. */
export type VtepReader = Pick<VtepTable, 'findBytes' | 'writeWords'>;

export interface ForwarderOptions {
  /** A reader alone (a worker's FdbView, VtepView) needs `learner` too. */
  fdb: Fdb | FdbReader;
  vteps: VtepTable | VtepReader;
  /** The lists themselves, or a worker's copy (table-replica.ts). */
  floodLists: FloodReader;
  neighbors: NeighborTable;
  /** Own VTEP address, 4 or 16 bytes (the underlay's family follows it). */
  vtepAddress: Uint8Array;
  underlayMtu: number;
  sourcePortLow: number;
  sourcePortHigh: number;
  arenaBytes?: number;
  /** Drops by reason (default: its own; a forwarding worker's live in its SharedArrayBuffer, worker-counters.ts). */
  drops?: Float64Array;
  /** Where learning goes (default: straight into `fdb` and `vteps`; a forwarding worker passes its own, learner.ts). */
  learner?: Learner;
}

export class Forwarder {
  readonly drops: Float64Array;
  readonly ports: LocalPort[] = [];
  readonly underlays: Underlay[] = [];
  /** The AF_PACKET link on the underlay interface and its outer headers, when there is one. */
  link: UnderlayLink | null = null;
  outer: OuterHeaders | null = null;
  /** VNI -> state. Map.get on a number key allocates nothing. */
  readonly vnis = new Map<number, VniState>();
  /** Coarse clock for FDB aging, advanced once a second by the owner. */
  tick = 0;
  /**
   * Interface indexes of the local ports: a VXLAN datagram the underlay
   * socket received on one of them came from a host in a VNI, not from the
   * underlay, and is dropped (not-underlay). Kept by the owner.
   */
  readonly memberIfindexes = new Set<number>();
  /** Shared by every queue: see the header comment. */
  readonly arena: Buffer;
  private readonly arenaView: DataView;
  private arenaUsed = 0;

  private readonly fdb: FdbReader;
  private readonly learner: Learner;
  private readonly vteps: VtepReader;
  private readonly floodLists: FloodReader;
  private readonly neighbors: NeighborTable;
  private readonly vtepAddr: Uint8Array;
  private readonly maxInner: number;
  /** The largest outer frame the underlay MTU lets out: Ethernet + MTU. */
  readonly maxFrame: number;
  private readonly portLow: number;
  private readonly portSpan: number;
  private readonly addrScratch = Buffer.alloc(16);
  private readonly seg = new Segmenter();
  private readonly co = new TcpCoalescer();
  /** The underlay sender that has datagrams queued (orderUnderlay), and for SENDER_RAW its socket. */
  private pendingSender = SENDER_NONE;
  private pendingRaw: Underlay | null = null;
  /**
   * Set while a frame built in the arena (segments, a merged frame) is being
   * queued: the arena must not be flushed and reset under it, so running
   * out of room then drops instead.
   */
  private pinned = false;

  // The offload state of the frame being decided (from its virtio_net_hdr),
  // kept in fields so the helpers below need no extra arguments.
  private cFlags = 0;
  private cGso = 0;
  private cGsoSize = 0;
  private cStart = 0;
  private cOff = 0;
  private cHdrLen = 0;
  /** The current frame's tunnel segments: where they start in the arena (-1: not cut yet). */
  private cSegAt = -1;

  constructor(o: ForwarderOptions) {
    this.fdb = o.fdb;
    this.vteps = o.vteps;
    this.drops = o.drops ?? new Float64Array(DROP_REASON_COUNT);
    if (o.learner !== undefined) this.learner = o.learner;
    else if (o.fdb instanceof Fdb && o.vteps instanceof VtepTable) this.learner = new FdbLearner(o.fdb, o.vteps);
    else throw new TypeError('Forwarder: reading the FDB or VTEP table through a view needs a learner (learner.ts)');
    this.floodLists = o.floodLists;
    this.neighbors = o.neighbors;
    this.vtepAddr = Uint8Array.from(o.vtepAddress);
    this.maxInner = o.underlayMtu - (this.vtepAddr.length === 4 ? IPV4_ENCAP_OVERHEAD : IPV6_ENCAP_OVERHEAD);
    this.maxFrame = o.underlayMtu + ETH_HEADER_LENGTH;
    this.portLow = o.sourcePortLow;
    this.portSpan = o.sourcePortHigh - o.sourcePortLow + 1;
    this.arena = Buffer.alloc(o.arenaBytes ?? ARENA_BYTES);
    this.arenaView = new DataView(this.arena.buffer, this.arena.byteOffset, this.arena.byteLength);
  }

  // ---- local ports -> VNI ----

  /** Readable callback of a local port: receive and forward up to a few batches. */
  pollLocal(port: LocalPort): void {
    const rx = port.rx;
    for (let b = 0; b < MAX_BATCHES_PER_WAKEUP; b++) {
      const n = port.io.receive(rx);
      if (n === 0) break;
      this.handleLocalBatch(port, n);
      this.flushAll();
      if (n < rx.slots) break;
    }
  }

  handleLocalBatch(port: LocalPort, n: number): void {
    const rx = port.rx;
    const buf = rx.buffer;
    const lengths = rx.lengths;
    const offsets = rx.offsets;
    const vnet = rx.vnet;
    const words = rx.vnetWords;
    const pc = port.counters;
    for (let i = 0; i < n; i++) {
      let len = lengths[i]!;
      if (len === 0) continue; // too large for a slot: counted by the addon (rx-truncated)
      let o = offsets[i]!;
      this.clearOffload();
      if (vnet !== null && words !== null) this.loadOffload(vnet, words, i);
      pc[P_RX_FRAMES]!++;
      pc[P_RX_BYTES]! += len;
      if (len < ETH_HEADER_LENGTH) {
        this.dropPort(port, Drop.InnerRunt);
        continue;
      }
      // VNI from the port, or from the VLAN tag on a trunk port (tag removed in place).
      let vni = port.untaggedVni;
      const vlanVni = port.vlanVni;
      if (isTag(buf, o + 12)) {
        if (vlanVni !== null && ((buf[o + 12]! << 8) | buf[o + 13]!) === EtherType.Vlan && len >= ETH_HEADER_LENGTH + 4) {
          const vid = ((buf[o + 14]! & 0x0f) << 8) | buf[o + 15]!;
          vni = vlanVni[vid]!;
          if (vni >= 0) {
            buf.copyWithin(o + 4, o, o + 12);
            o += 4;
            len -= 4;
            this.shiftOffload(-4);
            // A second tag behind the trunk's own would leave another trunk
            // as that VLAN (double-tagging VLAN hopping): not without the port's say.
            if (!port.passTagged && isTag(buf, o + 12)) {
              this.dropPort(port, Drop.UnexpectedTag);
              continue;
            }
          }
        } else if (!port.passTagged) {
          // An access port (or a trunk's untagged VNI) takes untagged frames
          // only: a tagged one would leave the VNI's trunks as that VLAN.
          this.dropPort(port, Drop.UnexpectedTag);
          continue;
        }
      }
      const vs = vni >= 0 ? this.vnis.get(vni) : undefined;
      if (vs === undefined) {
        this.dropPort(port, Drop.NoVni);
        continue;
      }
      const vc = vs.counters;
      vc[V_RX_FRAMES]!++;
      vc[V_RX_BYTES]! += len;

      // Learn the source (group MACs are refused inside learnLocal); pass the
      // sender IP of an ARP packet whose sender is the frame's source.
      const isArp = ((buf[o + 12]! << 8) | buf[o + 13]!) === EtherType.Arp && len >= ETH_HEADER_LENGTH + ARP_LENGTH;
      if (isArp && sameMac(buf, o + 6, o + ETH_HEADER_LENGTH + ARP_SENDER_MAC)) {
        this.learner.learnLocal(vni, buf, o + 6, port.index, this.tick, buf, o + ETH_HEADER_LENGTH + ARP_SENDER_IP, 4);
        if (vs.arpSuppression && this.answerArp(port, vs, buf, o, len)) continue;
      } else {
        this.learner.learnLocal(vni, buf, o + 6, port.index, this.tick);
      }

      // Destination.
      if ((buf[o]! & 1) === 0) {
        const slot = this.fdb.lookup(vni, buf, o);
        if (slot >= 0) {
          const target = this.fdb.targetAt(slot);
          if (this.fdb.kindAt(slot) === FDB_LOCAL) {
            if (target === port.index) this.dropVni(vs, Drop.SamePort);
            else this.toPort(this.ports[target]!, vs, buf, rx.view, o, len);
          } else {
            this.encapsulate(vs, buf, rx.view, o, len, target);
          }
          continue;
        }
      }
      this.floodFromLocal(port, vs, buf, rx.view, o, len);
    }
  }

  /**
   * ARP suppression: a request (Ethernet/IPv4, opcode 1) for an address the
   * control plane knows from a remote Type 2 MAC+IP route is turned into the
   * reply in place and sent back out the ingress port. False: not answered.
   */
  private answerArp(port: LocalPort, vs: VniState, buf: Buffer, o: number, len: number): boolean {
    const a = o + ETH_HEADER_LENGTH;
    // htype 1, ptype 0x0800, hlen 6, plen 4, op 1 (RFC 826)
    if (buf[a]! !== 0 || buf[a + 1]! !== 1 || buf[a + 2]! !== 0x08 || buf[a + 3]! !== 0 || buf[a + 4]! !== 6 || buf[a + 5]! !== 4) return false;
    if (buf[a + 6]! !== 0 || buf[a + 7]! !== 1) return false;
    const target = ((buf[a + 24]! << 24) | (buf[a + 25]! << 16) | (buf[a + 26]! << 8) | buf[a + 27]!) >>> 0;
    const cell = this.neighbors.lookup(vs.vni, target);
    if (cell < 0) return false;
    // Ethernet: to the requester, from the remote host.
    buf.copyWithin(o, o + 6, o + 12);
    this.neighbors.writeMac(cell, buf, o + 6);
    // ARP: op 2; target <- old sender; sender <- remote host.
    buf[a + 7] = 2;
    buf.copyWithin(a + 18, a + 8, a + 18);
    this.neighbors.writeMac(cell, buf, a + 8);
    buf[a + 14] = target >>> 24;
    buf[a + 15] = (target >>> 16) & 0xff;
    buf[a + 16] = (target >>> 8) & 0xff;
    buf[a + 17] = target & 0xff;
    vs.counters[V_ARP_SUPPRESSED]!++;
    this.toPort(port, vs, buf, port.rx.view, o, len);
    return true;
  }

  /** BUM from a local port: head-end replication (or the group) plus every other local port of the VNI. */
  private floodFromLocal(ingress: LocalPort, vs: VniState, buf: Buffer, view: DataView, o: number, len: number): void {
    let copies = 0;
    const list = vs.mode === 'multicast' ? null : this.floodLists.get(vs.vni);
    const tunnelCopies = list === null ? (vs.groupIndex >= 0 ? 1 : 0) : list.length;
    // A partial checksum is finished before any copy is queued: the copies
    // that keep the virtio_net_hdr then say the checksum is complete too.
    if (tunnelCopies > 0 && this.cGso === VNET_GSO_NONE && !this.finishOffload(vs, buf, view, o, len)) return;
    const ports = vs.ports;
    for (let p = 0; p < ports.length; p++) {
      const out = ports[p]!;
      if (out === ingress) continue;
      this.toPort(out, vs, buf, view, o, len);
      copies++;
    }
    if (tunnelCopies > 0 && this.prepareTunnel(vs, buf, view, o, len, tunnelCopies)) {
      const hash = flowHash(buf, o, len);
      const was = this.pinned;
      this.pinned = was || this.cSegAt >= 0;
      if (list === null) this.sendTunnel(vs, buf, o, len, vs.groupIndex, hash);
      else for (let k = 0; k < list.length; k++) this.sendTunnel(vs, buf, o, len, list[k]!, hash);
      this.pinned = was;
      vs.counters[V_ENCAPSULATED]! += tunnelCopies;
      copies += tunnelCopies;
    }
    if (copies === 0) this.dropVni(vs, Drop.NoFloodTarget);
    else {
      vs.counters[V_FLOODED]!++;
      ingress.counters[P_FLOODED]!++;
    }
  }

  /** Known remote destination: one datagram (or one run of segments) to that VTEP. */
  private encapsulate(vs: VniState, buf: Buffer, view: DataView, o: number, len: number, vtepIndex: number): void {
    if (this.cGso === VNET_GSO_NONE && !this.finishOffload(vs, buf, view, o, len)) return;
    if (!this.prepareTunnel(vs, buf, view, o, len, 1)) return;
    const was = this.pinned;
    this.pinned = was || this.cSegAt >= 0;
    this.sendTunnel(vs, buf, o, len, vtepIndex, flowHash(buf, o, len));
    this.pinned = was;
    vs.counters[V_ENCAPSULATED]!++;
  }

  /**
   * Get the current frame ready to enter the tunnel to `copies` VTEPs: the
   * VXLAN header written in its headroom, or for a GSO super-frame its
   * segments cut into the arena, each behind its own VXLAN header, with room
   * reserved for every copy's outer headers. False: dropped and counted.
   */
  private prepareTunnel(vs: VniState, buf: Buffer, view: DataView, o: number, len: number, copies: number): boolean {
    if (this.cGso === VNET_GSO_NONE) {
      if (len > this.maxInner) {
        this.dropVni(vs, Drop.Mtu);
        return false;
      }
      vxlan.writeHeader(buf, o - vxlan.VXLAN_HEADER_LENGTH, vs.vni);
      return true;
    }
    const seg = this.seg;
    const prefix = vxlan.VXLAN_HEADER_LENGTH;
    const room = seg.room(buf, o, len, this.cGso, this.cGsoSize, this.cStart, prefix);
    if (room === 0) {
      this.dropVni(vs, Drop.BadOffload);
      return false;
    }
    // Outer headers for every copy: at most one message per segment.
    const outerRoom = this.outer === null ? 0 : copies * seg.roomCount * align8(this.outer.length);
    if (!this.ensureArena(room + outerRoom)) {
      this.dropVni(vs, Drop.TxQueueFull);
      return false;
    }
    const at = this.arenaUsed;
    if (!seg.segment(buf, o, len, this.cGso, this.cGsoSize, this.cStart, this.arena, this.arenaView, at, prefix)) {
      this.dropVni(vs, Drop.BadOffload);
      return false;
    }
    if (seg.stride - prefix > this.maxInner) {
      this.dropVni(vs, Drop.Mtu);
      return false;
    }
    this.arenaUsed = at + align8(seg.total);
    for (let k = 0; k < seg.count; k++) vxlan.writeHeader(this.arena, at + k * seg.stride, vs.vni);
    this.cSegAt = at;
    vs.counters[V_SEGMENTED]!++;
    return true;
  }

  /** Queue the prepared frame (see prepareTunnel) to VTEP `idx`. */
  private sendTunnel(vs: VniState, buf: Buffer, o: number, len: number, idx: number, hash: number): void {
    const srcPort = this.portLow + (hash % this.portSpan);
    const outer = this.outer;
    const useLink = outer !== null && outer.isResolved(idx) && !outer.takeNudge(idx);
    if (this.cSegAt < 0) {
      const at = o - vxlan.VXLAN_HEADER_LENGTH;
      const n = len + vxlan.VXLAN_HEADER_LENGTH;
      if (useLink) this.queueLink(vs, buf, at, n, idx, srcPort, 0);
      else this.queueRaw(vs.underlay, buf, at, n, idx, srcPort);
      return;
    }
    const seg = this.seg;
    const segAt = this.cSegAt;
    if (!useLink) {
      for (let k = 0; k < seg.count; k++) {
        this.queueRaw(vs.underlay, this.arena, segAt + k * seg.stride, k === seg.count - 1 ? seg.lastLength : seg.stride, idx, srcPort);
      }
      return;
    }
    // UDP GSO on the link: runs of whole segments, one message each.
    const perMessage = Math.max(1, Math.min(GSO_MESSAGE_SEGMENTS, Math.floor(GSO_MESSAGE_BYTES / seg.stride)));
    for (let k = 0; k < seg.count; k += perMessage) {
      const n = Math.min(perMessage, seg.count - k);
      const bytes = (n - 1) * seg.stride + (k + n === seg.count ? seg.lastLength : seg.stride);
      this.queueLink(vs, this.arena, segAt + k * seg.stride, bytes, idx, srcPort, n > 1 ? seg.stride : 0);
    }
  }

  /**
   * One message on the underlay link: outer headers (in the arena) + payload.
   * gsoSize > 0: the payload is VXLAN datagrams of gsoSize bytes (the last
   * may be shorter), sent as one UDP GSO message.
   */
  private queueLink(vs: VniState, buf: Buffer, at: number, len: number, idx: number, srcPort: number, gsoSize: number): void {
    const link = this.link!;
    const outer = this.outer!;
    // A datagram the kernel has nothing to finish goes to the plain sender.
    const plain = gsoSize === 0 && outer.family === 4 ? link.plain : null;
    const tx = plain === null ? link.tx : plain.tx;
    this.orderUnderlay(plain === null ? SENDER_LINK : SENDER_PLAIN, null);
    let sel = this.sourceOf(tx, buf);
    if (sel < 0 || tx.count === tx.capacity) {
      this.flushLink();
      sel = this.sourceOf(tx, buf);
    }
    if (!this.ensureArena(outer.length)) {
      this.dropVni(vs, Drop.TxQueueFull);
      return;
    }
    const h = this.arenaTake(outer.length);
    outer.write(this.arena, h, idx, srcPort, vs.underlay.port, len);
    const uc = vs.underlay.linkCounters;
    uc[U_TX_DATAGRAMS]! += gsoSize > 0 ? Math.ceil(len / gsoSize) : 1;
    uc[U_TX_BYTES]! += len;
    const i = tx.count++;
    tx.sel[i] = sel;
    tx.offsets[i] = at;
    tx.lengths[i] = len;
    tx.hdrOffsets[i] = h;
    tx.hdrLengths[i] = outer.length;
    if (plain !== null) return;
    const v = i * 10;
    const w = i * 5;
    const vn = tx.vnet;
    const vw = tx.vnetWords;
    if (gsoSize > 0) {
      outer.writeGsoPseudoSum(this.arena, h, idx, len);
      vn[v] = VNET_F_NEEDS_CSUM;
      vn[v + 1] = VNET_GSO_UDP_L4;
      vw[w + 1] = outer.length;
      vw[w + 2] = gsoSize;
      vw[w + 3] = outer.udpOffset;
      vw[w + 4] = 6;
    } else if (outer.family === 6) {
      vn[v] = VNET_F_NEEDS_CSUM;
      vn[v + 1] = VNET_GSO_NONE;
      vw[w + 1] = 0;
      vw[w + 2] = 0;
      vw[w + 3] = outer.udpOffset;
      vw[w + 4] = 6;
    } else {
      vn[v] = 0;
      vn[v + 1] = 0;
      vw[w + 1] = 0;
      vw[w + 2] = 0;
      vw[w + 3] = 0;
      vw[w + 4] = 0;
    }
  }

  /** One datagram through the UDP socket (the kernel routes it and resolves its next hop). */
  private queueRaw(u: Underlay, buf: Buffer, at: number, len: number, idx: number, srcPort: number): void {
    this.orderUnderlay(SENDER_RAW, u);
    const tx = u.tx;
    let sel = this.sourceOf(tx, buf);
    if (sel < 0 || tx.count === tx.capacity) {
      this.flushUnderlay(u);
      sel = this.sourceOf(tx, buf);
    }
    const i = tx.count++;
    tx.sel[i] = sel;
    tx.offsets[i] = at;
    tx.lengths[i] = len;
    this.vteps.writeWords(idx, tx.dstAddrs, i, tx.addressStride);
    tx.dstPorts[i] = u.port;
    tx.srcPorts[i] = srcPort;
  }

  // ---- underlay -> VNI ----

  /** Readable callback of an underlay socket (used when there is no underlay link). */
  pollUnderlay(u: Underlay): void {
    const rx = u.rx;
    for (let b = 0; b < MAX_BATCHES_PER_WAKEUP; b++) {
      const n = u.io.receive(rx, u.srcAddrs, u.srcPorts, rx.slots, u.ifindexes);
      if (n === 0) break;
      this.handleUnderlayBatch(u, n);
      this.flushAll();
      if (n < rx.slots) break;
    }
  }

  handleUnderlayBatch(u: Underlay, n: number): void {
    const rx = u.rx;
    const a = this.addrScratch;
    const v6 = u.io.addressStride === 4;
    const members = this.memberIfindexes;
    const ifindexes = u.ifindexes;
    for (let i = 0; i < n; i++) {
      const len = rx.lengths[i]!;
      if (len === 0) continue;
      // The socket hears our address on every interface of the namespace:
      // a datagram that came in on a member port is a host's, whatever
      // source address it claims (issue 9 item 1).
      if (members.size > 0 && members.has(ifindexes[i]!)) {
        this.drop(Drop.NotUnderlay);
        continue;
      }
      this.clearOffload();
      if (v6) {
        for (let w = 0; w < 4; w++) writeU32(a, w * 4, u.srcAddrs[i * 4 + w]!);
      } else {
        writeU32(a, 0, u.srcAddrs[i]!);
      }
      this.decapsulate(u, a, 0, v6 ? 16 : 4, rx.buffer, rx.view, rx.offsets[i]!, len);
    }
  }

  /** Readable callback of the underlay link. */
  pollLink(): void {
    const link = this.link;
    if (link === null) return;
    const rx = link.rx;
    for (let b = 0; b < MAX_BATCHES_PER_WAKEUP; b++) {
      const n = link.io.receive(rx);
      if (n === 0) break;
      this.handleLinkBatch(n);
      this.flushAll();
      if (n < rx.slots) break;
    }
  }

  /**
   * Frames from the underlay link: Ethernet + IPv4/IPv6 + UDP (the socket's
   * filter let only UDP to our address and ports through) with the kernel's
   * offload state. One frame holds one VXLAN datagram, or (UDP GSO, from a
   * sender that used it) several of gso_size bytes each.
   */
  handleLinkBatch(n: number): void {
    const link = this.link!;
    const rx = link.rx;
    const buf = rx.buffer;
    const vnet = rx.vnet!;
    const words = rx.vnetWords!;
    for (let i = 0; i < n; i++) {
      const len = rx.lengths[i]!;
      if (len === 0) continue;
      const o = rx.offsets[i]!;
      const end = o + len;
      const type = (buf[o + 12]! << 8) | buf[o + 13]!;
      const ip = o + ETH_HEADER_LENGTH;
      let udp: number;
      let srcAt: number;
      let srcLen: number;
      if (type === EtherType.Ipv4 && ip + 20 <= end) {
        udp = ip + (buf[ip]! & 0x0f) * 4;
        srcAt = ip + 12;
        srcLen = 4;
      } else if (type === EtherType.Ipv6 && ip + 40 <= end) {
        udp = ip + 40;
        srcAt = ip + 8;
        srcLen = 16;
      } else {
        this.drop(Drop.VxlanTruncated);
        continue;
      }
      if (udp + 8 > end) {
        this.drop(Drop.VxlanTruncated);
        continue;
      }
      const u = this.underlayFor((buf[udp + 2]! << 8) | buf[udp + 3]!);
      if (u === undefined) {
        this.drop(Drop.VxlanUnknownVni);
        continue;
      }
      const uc = u.linkCounters;
      const flags = vnet[i * 10]!;
      const gso = vnet[i * 10 + 1]! & ~VNET_GSO_ECN;
      const gsoSize = words[i * 5 + 2]!;
      const csumStart = words[i * 5 + 3]!;
      const payload = udp + 8;
      let dgEnd = end;
      if (gso === VNET_GSO_NONE) {
        // The UDP length bounds the datagram (Ethernet may pad a short frame).
        const udpLen = (buf[udp + 4]! << 8) | buf[udp + 5]!;
        if (udpLen >= 8 && udp + udpLen < end) dgEnd = udp + udpLen;
      }
      if (gso === VNET_GSO_UDP_L4 && gsoSize > 0) {
        // Several whole datagrams (inner checksums complete; only the outer
        // one was left to finish). Their checksums are trusted when the
        // kernel checked them or they never left this host: then segments of
        // one TCP flow are merged back for the ports (gro.ts).
        const trusted = (flags & (VNET_F_NEEDS_CSUM | VNET_F_DATA_VALID)) !== 0;
        this.receiveRun(u, buf, rx.view, srcAt, srcLen, payload, dgEnd, gsoSize, trusted);
        continue;
      }
      uc[U_RX_DATAGRAMS]!++;
      uc[U_RX_BYTES]! += dgEnd - payload;
      this.clearOffload();
      const inner = payload + vxlan.VXLAN_HEADER_LENGTH;
      if (gso === VNET_GSO_TCPV4 || gso === VNET_GSO_TCPV6) {
        // A kernel VTEP's TSO frame handed over whole (on a veth): its inner
        // TCP super-frame goes to the ports as one GSO frame.
        this.cGso = vnet[i * 10 + 1]!;
        this.cGsoSize = gsoSize;
        this.cFlags = VNET_F_NEEDS_CSUM;
        this.cStart = csumStart - (inner - o);
        this.cOff = words[i * 5 + 4]!;
      } else if (gso !== VNET_GSO_NONE) {
        this.drop(Drop.BadOffload);
        continue;
      } else if ((flags & VNET_F_NEEDS_CSUM) !== 0 && csumStart >= inner - o) {
        // The inner checksum is the partial one (a kernel VTEP's checksum offload, on a veth).
        this.cFlags = VNET_F_NEEDS_CSUM;
        this.cStart = csumStart - (inner - o);
        this.cOff = words[i * 5 + 4]!;
      }
      this.decapsulate(u, buf, srcAt, srcLen, buf, rx.view, payload, dgEnd - payload);
    }
  }

  /** The datagrams of one UDP GSO run, merged where they continue one TCP flow. */
  private receiveRun(u: Underlay, buf: Buffer, view: DataView, srcAt: number, srcLen: number, from: number, end: number, size: number, trusted: boolean): void {
    const uc = u.linkCounters;
    const co = this.co;
    const merge = trusted && this.ensureArena(end - from + 64);
    for (let d = from; d < end; d += size) {
      const dl = Math.min(size, end - d);
      uc[U_RX_DATAGRAMS]!++;
      uc[U_RX_BYTES]! += dl;
      if (merge) {
        if (co.active && co.append(buf, d, dl, this.arena)) continue;
        if (co.active) this.endMerge(u, buf, view, srcAt, srcLen);
        if (co.begin(buf, d, dl, this.arena, this.arenaUsed)) continue;
      }
      this.clearOffload();
      this.decapsulate(u, buf, srcAt, srcLen, buf, view, d, dl);
    }
    if (co.active) this.endMerge(u, buf, view, srcAt, srcLen);
  }

  /** Decapsulate what the coalescer holds: one datagram as it was, or the merged frame as one GSO frame. */
  private endMerge(u: Underlay, buf: Buffer, view: DataView, srcAt: number, srcLen: number): void {
    const co = this.co;
    co.finish(this.arena);
    this.clearOffload();
    if (co.count < 2) {
      this.decapsulate(u, buf, srcAt, srcLen, buf, view, co.firstOffset, co.firstLength);
      return;
    }
    this.arenaUsed = co.at + align8(co.length);
    this.cFlags = VNET_F_NEEDS_CSUM;
    this.cGso = co.gsoType;
    this.cGsoSize = co.mss;
    this.cStart = co.l4;
    this.cOff = 16;
    this.cHdrLen = co.hdrLen;
    const was = this.pinned;
    this.pinned = true;
    const vs = this.decapsulate(u, buf, srcAt, srcLen, this.arena, this.arenaView, co.at, co.length);
    this.pinned = was;
    if (vs !== undefined) vs.counters[V_COALESCED]! += co.count;
  }

  private underlayFor(port: number): Underlay | undefined {
    const us = this.underlays;
    for (let k = 0; k < us.length; k++) if (us[k]!.port === port) return us[k];
    return undefined;
  }

  /**
   * One VXLAN datagram (`dg`, `len` bytes from its VXLAN header) from the
   * VTEP whose address is src[srcAt..srcAt+srcLen): checked, then its inner
   * frame goes to local ports only (split horizon).
   */
  private decapsulate(u: Underlay, src: Uint8Array, srcAt: number, srcLen: number, buf: Buffer, view: DataView, dg: number, len: number): VniState | undefined {
    if (len < vxlan.VXLAN_HEADER_LENGTH) {
      this.drop(Drop.VxlanTruncated);
      return undefined;
    }
    // RFC 7348 §5: the I flag must be set; the reserved bits are ignored.
    if (!vxlan.hasValidFlags(buf, dg)) {
      this.drop(Drop.VxlanFlags);
      return undefined;
    }
    const vs = this.vnis.get(vxlan.readVni(buf, dg));
    if (vs === undefined || vs.underlay !== u) {
      this.drop(Drop.VxlanUnknownVni);
      return undefined;
    }
    if (this.isOwnAddress(src, srcAt, srcLen)) {
      this.dropVni(vs, Drop.OwnVtep);
      return undefined;
    }
    const inner = dg + vxlan.VXLAN_HEADER_LENGTH;
    const innerLen = len - vxlan.VXLAN_HEADER_LENGTH;
    if (innerLen < ETH_HEADER_LENGTH) {
      this.dropVni(vs, Drop.InnerRunt);
      return undefined;
    }
    // RFC 7348 §6.1: a decapsulated frame with an inner VLAN tag SHOULD be
    // discarded unless configured otherwise (it would leave a trunk
    // double-tagged, a VLAN of the remote sender's choosing).
    if (!vs.passTagged && isTag(buf, inner + 12)) {
      this.dropVni(vs, Drop.UnexpectedTag);
      return undefined;
    }
    if (vs.mode === 'evpn') {
      // evpn mode: remote VTEPs come only from the control plane, and only
      // the ones it placed in this VNI (Type 3 / a Type 2 next hop here).
      const idx = this.vteps.findBytes(src, srcAt, srcLen);
      const members = vs.vteps;
      if (idx < 0 || members === null || !members.has(idx)) {
        this.dropVni(vs, Drop.UnknownVtep);
        return undefined;
      }
    } else {
      // static / multicast: learn inner source MAC -> outer source IP, as the
      // kernel's vxlan does, within the data plane's share of the VTEP table.
      this.learner.learnRemote(vs.vni, buf, inner + 6, src, srcAt, srcLen, this.tick);
    }
    const vc = vs.counters;
    vc[V_DECAPSULATED]!++;
    // Decapsulated frames go to local ports only: never back to the underlay (split horizon).
    if ((buf[inner]! & 1) === 0) {
      const slot = this.fdb.lookup(vs.vni, buf, inner);
      if (slot >= 0) {
        if (this.fdb.kindAt(slot) === FDB_LOCAL) this.toPort(this.ports[this.fdb.targetAt(slot)]!, vs, buf, view, inner, innerLen);
        else this.dropVni(vs, Drop.SplitHorizon);
        return vs;
      }
    }
    const ports = vs.ports;
    if (ports.length === 0) {
      this.dropVni(vs, Drop.NoFloodTarget);
      return vs;
    }
    for (let p = 0; p < ports.length; p++) this.toPort(ports[p]!, vs, buf, view, inner, innerLen);
    vc[V_FLOODED]!++;
    return vs;
  }

  private isOwnAddress(src: Uint8Array, at: number, n: number): boolean {
    const own = this.vtepAddr;
    if (n !== own.length) return false;
    for (let k = 0; k < n; k++) if (src[at + k] !== own[k]) return false;
    return true;
  }

  // ---- offload state of the current frame ----

  private clearOffload(): void {
    this.cFlags = 0;
    this.cGso = 0;
    this.cGsoSize = 0;
    this.cStart = 0;
    this.cOff = 0;
    this.cHdrLen = 0;
    this.cSegAt = -1;
  }

  private loadOffload(vnet: Uint8Array, words: Uint16Array, i: number): void {
    this.cFlags = vnet[i * 10]!;
    this.cGso = vnet[i * 10 + 1]!;
    this.cHdrLen = words[i * 5 + 1]!;
    this.cGsoSize = words[i * 5 + 2]!;
    this.cStart = words[i * 5 + 3]!;
    this.cOff = words[i * 5 + 4]!;
  }

  /** The frame's start moved by `delta` bytes relative to its L3 header (a VLAN tag removed: -4, added: +4). */
  private shiftOffload(delta: number): void {
    if ((this.cFlags & VNET_F_NEEDS_CSUM) !== 0) this.cStart += delta;
    if (this.cHdrLen !== 0) this.cHdrLen += delta;
  }

  /**
   * A frame without GSO whose checksum is partial: finish it in place before
   * it goes where partial checksums are not understood. False: the offsets
   * did not fit the frame (dropped, counted).
   */
  private finishOffload(vs: VniState, buf: Buffer, view: DataView, o: number, len: number): boolean {
    if ((this.cFlags & VNET_F_NEEDS_CSUM) === 0) return true;
    if (!finishChecksum(buf, view, o, len, this.cStart, this.cOff)) {
      this.dropVni(vs, Drop.BadOffload);
      return false;
    }
    this.cFlags &= ~VNET_F_NEEDS_CSUM;
    return true;
  }

  // ---- transmit ----

  /** Queue a frame out of a local port, with the port's VLAN tag for this VNI if it has one. */
  private toPort(out: LocalPort, vs: VniState, buf: Buffer, view: DataView, o: number, len: number): void {
    if (!out.vnet && (this.cGso !== VNET_GSO_NONE || (this.cFlags & VNET_F_NEEDS_CSUM) !== 0)) {
      this.toPlainPort(out, vs, buf, view, o, len);
      return;
    }
    // A UDP-tunnel super-frame cannot leave with its virtio_net_hdr (the
    // kernel takes the outer UDP for the L4 header and refuses it): cut here.
    if (this.cGso !== VNET_GSO_NONE && isUdpTunnelGso(buf, o, len, this.cGso, this.cStart)) {
      this.toPlainPort(out, vs, buf, view, o, len);
      return;
    }
    const q = out.tx;
    vs.counters[V_TX_FRAMES]!++;
    vs.counters[V_TX_BYTES]! += len;
    const vid = out.vlanVni === null ? 0 : (out.vniVid.get(vs.vni) ?? 0);
    let sel = this.sourceOf(q, buf);
    if (sel < 0 || q.count === q.capacity) {
      this.flushPort(out);
      sel = this.sourceOf(q, buf);
    }
    if (vid !== 0 && !this.ensureArena(16)) {
      this.dropVni(vs, Drop.TxQueueFull);
      return;
    }
    const i = q.count++;
    q.sel[i] = sel;
    if (vid === 0) {
      q.offsets[i] = o;
      q.lengths[i] = len;
      q.hdrLengths[i] = 0;
    } else {
      // A port with VLANs gets the MACs and the tag from the arena and the
      // rest of the frame from where it is (it may also go untagged elsewhere).
      const h = this.arenaTake(16);
      const a = this.arena;
      buf.copy(a, h, o, o + 12);
      a[h + 12] = 0x81;
      a[h + 13] = 0x00;
      a[h + 14] = (vid >>> 8) & 0x0f;
      a[h + 15] = vid & 0xff;
      q.hdrOffsets[i] = h;
      q.hdrLengths[i] = 16;
      q.offsets[i] = o + 12;
      q.lengths[i] = len - 12;
    }
    if (out.vnet) this.writeVnet(q, i, vid === 0 ? 0 : 4);
  }

  /** The current frame's virtio_net_hdr for entry i of q, its offsets moved by `shift` (a VLAN tag added). */
  private writeVnet(q: FrameTx, i: number, shift: number): void {
    const v = i * 10;
    const w = i * 5;
    const vn = q.vnet;
    const vw = q.vnetWords;
    vn[v] = this.cFlags & VNET_F_NEEDS_CSUM;
    vn[v + 1] = this.cGso;
    vw[w + 1] = this.cHdrLen === 0 ? 0 : this.cHdrLen + shift;
    vw[w + 2] = this.cGsoSize;
    vw[w + 3] = (this.cFlags & VNET_F_NEEDS_CSUM) !== 0 ? this.cStart + shift : 0;
    vw[w + 4] = (this.cFlags & VNET_F_NEEDS_CSUM) !== 0 ? this.cOff : 0;
  }

  /**
   * A port without virtio-net headers (the JS fallback's, a test's), or a
   * frame no port can take with one (a UDP-tunnel super-frame): what the
   * port cannot take is done first: a partial checksum finished, a
   * super-frame cut into frames.
   */
  private toPlainPort(out: LocalPort, vs: VniState, buf: Buffer, view: DataView, o: number, len: number): void {
    if (this.cGso === VNET_GSO_NONE) {
      if (!this.finishOffload(vs, buf, view, o, len)) return;
      this.toPort(out, vs, buf, view, o, len);
      return;
    }
    const seg = this.seg;
    const room = seg.room(buf, o, len, this.cGso, this.cGsoSize, this.cStart, 0);
    // Room for a VLAN header per segment too: toPort must not flush the segments away.
    if (room === 0 || !this.ensureArena(room + seg.roomCount * 16)) {
      this.dropVni(vs, room === 0 ? Drop.BadOffload : Drop.TxQueueFull);
      return;
    }
    const at = this.arenaUsed;
    if (!seg.segment(buf, o, len, this.cGso, this.cGsoSize, this.cStart, this.arena, this.arenaView, at, 0)) {
      this.dropVni(vs, Drop.BadOffload);
      return;
    }
    this.arenaUsed = at + align8(seg.total);
    vs.counters[V_SEGMENTED]!++;
    const flags = this.cFlags;
    const gso = this.cGso;
    const was = this.pinned;
    this.cFlags = 0;
    this.cGso = VNET_GSO_NONE;
    this.pinned = true;
    for (let k = 0; k < seg.count; k++) {
      this.toPort(out, vs, this.arena, this.arenaView, at + k * seg.stride, k === seg.count - 1 ? seg.lastLength : seg.stride);
    }
    this.pinned = was;
    this.cFlags = flags;
    this.cGso = gso;
  }

  /**
   * Where an entry's payload in `buf` comes from in queue q: 1 for the
   * arena, 0 for q's source (set to buf), or -1 when q holds entries of
   * another source buffer and must be flushed first (one source per send).
   */
  private sourceOf(q: FrameTx | DatagramTx, buf: Buffer): number {
    if (buf === this.arena) {
      if (q.src === null) q.src = buf;
      return 1;
    }
    if (q.src !== buf) {
      if (q.count > 0 && q.src !== this.arena) return -1;
      q.src = buf;
    }
    return 0;
  }

  /** Make room for `n` more arena bytes, flushing every queue if needed; false when it cannot. */
  private ensureArena(n: number): boolean {
    if (this.arenaUsed + n <= this.arena.length) return true;
    if (n > this.arena.length || this.pinned) return false;
    this.flushAll();
    return true;
  }

  private arenaTake(n: number): number {
    const at = this.arenaUsed;
    this.arenaUsed = at + align8(n);
    return at;
  }

  flushPort(p: LocalPort): void {
    const q = p.tx;
    if (q.count === 0) return;
    if (p.down) {
      this.drops[Drop.TxError]! += q.count;
      q.count = 0;
      q.src = null;
      return;
    }
    const sent = p.io.send(q);
    const c = p.counters;
    c[P_TX_FRAMES]! += sent;
    for (let i = 0; i < sent; i++) c[P_TX_BYTES]! += q.lengths[i]! + q.hdrLengths[i]!;
    q.count = 0;
    q.src = null;
  }

  flushUnderlay(u: Underlay): void {
    if (u.tx.count === 0) return;
    u.io.send(u.tx);
    u.tx.count = 0;
    u.tx.src = null;
  }

  flushLink(): void {
    const link = this.link;
    if (link === null) return;
    // At most one underlay sender has anything queued (orderUnderlay), so
    // the order here does not reorder the wire.
    this.flushLinkSocket(link);
    if (link.plain !== null) this.flushPlain(link.plain);
  }

  /**
   * Wire order is queue order across the underlay senders (the link socket,
   * the plain sender, a UDP socket): before a datagram is queued on one,
   * what waits on another leaves. Queued per sender and flushed one sender
   * after the other, a TCP flow's short segment overtook the GSO run before
   * it, and a super-frame sent through the kernel (a nudge) arrived after
   * the ones behind it: the receiver saw reordering and its sender
   * retransmitted a whole window (spurious fast retransmits).
   */
  private orderUnderlay(kind: number, u: Underlay | null): void {
    const was = this.pendingSender;
    if (was !== SENDER_NONE && (was !== kind || this.pendingRaw !== u)) {
      if (was === SENDER_LINK) this.flushLinkSocket(this.link!);
      else if (was === SENDER_PLAIN) this.flushPlain(this.link!.plain!);
      else this.flushUnderlay(this.pendingRaw!);
    }
    this.pendingSender = kind;
    this.pendingRaw = u;
  }

  private flushLinkSocket(link: UnderlayLink): void {
    if (link.tx.count === 0) return;
    link.io.send(link.tx);
    link.tx.count = 0;
    link.tx.src = null;
  }

  private flushPlain(plain: PlainSender): void {
    if (plain.tx.count === 0) return;
    plain.io.send(plain.tx);
    plain.tx.count = 0;
    plain.tx.src = null;
  }

  /** Send everything queued; called before a receive buffer may be reused. */
  flushAll(): void {
    const ports = this.ports;
    for (let i = 0; i < ports.length; i++) this.flushPort(ports[i]!);
    this.flushLink();
    const us = this.underlays;
    for (let i = 0; i < us.length; i++) this.flushUnderlay(us[i]!);
    this.pendingSender = SENDER_NONE;
    this.pendingRaw = null;
    this.arenaUsed = 0;
  }

  // ---- drops ----

  drop(reason: number): void {
    this.drops[reason]!++;
  }

  private dropVni(vs: VniState, reason: number): void {
    this.drops[reason]!++;
    vs.counters[V_DROPS + reason]!++;
  }

  private dropPort(p: LocalPort, reason: number): void {
    this.drops[reason]!++;
    p.counters[P_DROPS]!++;
  }
}

/** True when the EtherType at buf[at] is a VLAN tag's TPID (802.1Q, 802.1ad, pre-standard QinQ). */
function isTag(buf: Uint8Array, at: number): boolean {
  const t = (buf[at]! << 8) | buf[at + 1]!;
  return t === EtherType.Vlan || t === EtherType.QinQ || t === EtherType.QinQ9100;
}

function sameMac(buf: Uint8Array, a: number, b: number): boolean {
  return (
    buf[a] === buf[b] &&
    buf[a + 1] === buf[b + 1] &&
    buf[a + 2] === buf[b + 2] &&
    buf[a + 3] === buf[b + 3] &&
    buf[a + 4] === buf[b + 4] &&
    buf[a + 5] === buf[b + 5]
  );
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

export { LocalPort, Underlay, UnderlayLink, VniState };
export * from './forwarder-state.js';
