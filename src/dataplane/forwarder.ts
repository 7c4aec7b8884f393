// The forwarding decisions, one receive batch at a time (DESIGN.md "The fast
// path"). Plain loops over typed arrays and preallocated buffers: no closure,
// no string, no Buffer.from, no Map.set per frame.
//
// Buffer ownership: a batch is received into its port's RxBatch, every frame
// is decided, and every transmit queue is flushed (sendmmsg copies into the
// kernel) before the callback returns, so the next receive may overwrite the
// batch. A transmit queue therefore refers to one source buffer per cycle:
// the batch being handled, or its port's own scratch buffer for VLAN-tagged
// egress (the only case that copies a frame).

import * as vxlan from '../wire/vxlan.js';
import { Drop, DROP_REASON_COUNT } from './drop-reason.js';
import type { Fdb } from './fdb.js';
import { FDB_LOCAL } from './fdb.js';
import type { FloodLists } from './flood-list.js';
import { flowHash } from './flow-hash.js';
import type { FramePort, RxBatch, UdpUnderlay } from './native-io.js';
import type { VniMode } from './dataplane-config.js';
import type { NeighborTable } from './neighbor-table.js';
import type { VtepTable } from './vtep-table.js';

/** Outer IPv4 (20) + UDP (8) + VXLAN (8) around the inner frame; the outer Ethernet header is not in the MTU. */
export const IPV4_ENCAP_OVERHEAD = 36;
const ETH_HEADER = 14;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_ARP = 0x0806;
const ARP_SENDER_MAC = 8;
const ARP_SENDER_IP = 14;
/** Bounded work per readable callback, so one busy port cannot starve the others. */
const MAX_BATCHES_PER_WAKEUP = 16;

// Port counters (Float64Array indexes).
export const P_RX_FRAMES = 0;
export const P_RX_BYTES = 1;
export const P_TX_FRAMES = 2;
export const P_TX_BYTES = 3;
export const P_FLOODED = 4;
export const P_DROPS = 5;
export const PORT_COUNTERS = 6;

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
export const V_DROPS = 8;
export const VNI_COUNTERS = V_DROPS + DROP_REASON_COUNT;

/** A queue of frames to send out of one local port (all from one buffer per cycle). */
class FrameTxQueue {
  readonly offsets: Uint32Array;
  readonly lengths: Uint32Array;
  count = 0;
  buffer: Buffer | null = null;
  constructor(readonly capacity: number) {
    this.offsets = new Uint32Array(capacity);
    this.lengths = new Uint32Array(capacity);
  }
}

/** A local port (AF_PACKET member or TAP) and the VNIs it carries. */
export class LocalPort {
  readonly counters = new Float64Array(PORT_COUNTERS);
  readonly tx: FrameTxQueue;
  /** VNI of untagged frames, or -1 (a trunk port without a native VNI). */
  untaggedVni = -1;
  /** VID -> VNI for a trunk port, -1 where unmapped; null on an access port. */
  vlanVni: Int32Array | null = null;
  /** VNI -> VID to tag egress frames with (absent or 0: untagged). */
  readonly vniVid = new Map<number, number>();
  /** Egress copies with a VLAN tag inserted are built here (ports with any VLAN). */
  scratch: Buffer | null = null;
  scratchUsed = 0;

  constructor(
    readonly index: number,
    readonly name: string,
    readonly kind: 'packet' | 'tap',
    readonly io: FramePort,
    readonly rx: RxBatch,
  ) {
    this.tx = new FrameTxQueue(rx.slots * 4);
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
    if (this.scratch === null) this.scratch = Buffer.alloc(this.tx.capacity * this.rx.slotSize);
  }
}

/** One UDP underlay socket (one per VXLAN destination port in use). */
export class Underlay {
  readonly rx: RxBatch;
  readonly srcAddrs: Uint32Array;
  readonly srcPorts: Uint32Array;
  // Transmit queue: entries may share a payload (head-end replication).
  readonly txOffsets: Uint32Array;
  readonly txLengths: Uint32Array;
  readonly txAddrs: Uint32Array;
  readonly txPorts: Uint32Array;
  readonly txSrcPorts: Uint32Array;
  txCount = 0;
  txBuffer: Buffer | null = null;
  readonly txCapacity: number;

  constructor(
    readonly io: UdpUnderlay,
    readonly port: number,
    rx: RxBatch,
  ) {
    this.rx = rx;
    this.srcAddrs = new Uint32Array(rx.slots * io.addressStride);
    this.srcPorts = new Uint32Array(rx.slots);
    this.txCapacity = rx.slots * 8;
    this.txOffsets = new Uint32Array(this.txCapacity);
    this.txLengths = new Uint32Array(this.txCapacity);
    this.txAddrs = new Uint32Array(this.txCapacity);
    this.txPorts = new Uint32Array(this.txCapacity);
    this.txSrcPorts = new Uint32Array(this.txCapacity);
  }
}

/** Per-VNI state the fast path needs. */
export class VniState {
  readonly counters = new Float64Array(VNI_COUNTERS);
  readonly ports: LocalPort[] = [];
  /** Multicast mode: the group as an IPv4 number; 0 otherwise. */
  groupAddr = 0;
  /** Answer ARP requests for remote hosts known from EVPN Type 2 MAC+IP routes (RFC 7432 §10). */
  arpSuppression = false;
  constructor(
    readonly vni: number,
    readonly mode: VniMode,
    readonly underlay: Underlay,
  ) {}
}

export interface ForwarderOptions {
  fdb: Fdb;
  vteps: VtepTable;
  floodLists: FloodLists;
  neighbors: NeighborTable;
  /** Own VTEP address as an IPv4 number. */
  vtepAddr: number;
  underlayMtu: number;
  sourcePortLow: number;
  sourcePortHigh: number;
}

export class Forwarder {
  readonly drops = new Float64Array(DROP_REASON_COUNT);
  readonly ports: LocalPort[] = [];
  readonly underlays: Underlay[] = [];
  /** VNI -> state. Map.get on a number key allocates nothing. */
  readonly vnis = new Map<number, VniState>();
  /** Coarse clock for FDB aging, advanced once a second by the owner. */
  tick = 0;

  private readonly fdb: Fdb;
  private readonly vteps: VtepTable;
  private readonly floodLists: FloodLists;
  private readonly neighbors: NeighborTable;
  private readonly vtepAddr: number;
  private readonly maxInner: number;
  private readonly portLow: number;
  private readonly portSpan: number;
  private readonly addrScratch = Buffer.alloc(4);

  constructor(o: ForwarderOptions) {
    this.fdb = o.fdb;
    this.vteps = o.vteps;
    this.floodLists = o.floodLists;
    this.neighbors = o.neighbors;
    this.vtepAddr = o.vtepAddr >>> 0;
    this.maxInner = o.underlayMtu - IPV4_ENCAP_OVERHEAD;
    this.portLow = o.sourcePortLow;
    this.portSpan = o.sourcePortHigh - o.sourcePortLow + 1;
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
    const pc = port.counters;
    for (let i = 0; i < n; i++) {
      let len = lengths[i]!;
      if (len === 0) continue; // too large for a slot: counted by the addon (rx-truncated)
      let o = i * rx.slotSize + rx.headroom;
      pc[P_RX_FRAMES]!++;
      pc[P_RX_BYTES]! += len;
      if (len < ETH_HEADER) {
        this.dropPort(port, Drop.InnerRunt);
        continue;
      }
      // VNI from the port, or from the VLAN tag on a trunk port (tag removed in place).
      let vni = port.untaggedVni;
      const vlanVni = port.vlanVni;
      if (vlanVni !== null && ((buf[o + 12]! << 8) | buf[o + 13]!) === ETHERTYPE_VLAN && len >= ETH_HEADER + 4) {
        const vid = ((buf[o + 14]! & 0x0f) << 8) | buf[o + 15]!;
        vni = vlanVni[vid]!;
        if (vni >= 0) {
          buf.copyWithin(o + 4, o, o + 12);
          o += 4;
          len -= 4;
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
      const isArp = ((buf[o + 12]! << 8) | buf[o + 13]!) === ETHERTYPE_ARP && len >= ETH_HEADER + 28;
      if (isArp && sameMac(buf, o + 6, o + ETH_HEADER + ARP_SENDER_MAC)) {
        this.fdb.learnLocal(vni, buf, o + 6, port.index, this.tick, buf, o + ETH_HEADER + ARP_SENDER_IP, 4);
        if (vs.arpSuppression && this.answerArp(port, vs, buf, o, len)) continue;
      } else {
        this.fdb.learnLocal(vni, buf, o + 6, port.index, this.tick);
      }

      // Destination.
      if ((buf[o]! & 1) === 0) {
        const slot = this.fdb.lookup(vni, buf, o);
        if (slot >= 0) {
          const target = this.fdb.targetAt(slot);
          if (this.fdb.kindAt(slot) === FDB_LOCAL) {
            if (target === port.index) this.dropVni(vs, Drop.SamePort);
            else this.toPort(this.ports[target]!, vs, buf, o, len);
          } else {
            this.encapsulate(vs, buf, o, len, target);
          }
          continue;
        }
      }
      this.floodFromLocal(port, vs, buf, o, len);
    }
  }

  /**
   * ARP suppression: a request (Ethernet/IPv4, opcode 1) for an address the
   * control plane knows from a remote Type 2 MAC+IP route is turned into the
   * reply in place and sent back out the ingress port. False: not answered.
   */
  private answerArp(port: LocalPort, vs: VniState, buf: Buffer, o: number, len: number): boolean {
    const a = o + ETH_HEADER;
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
    this.toPort(port, vs, buf, o, len);
    return true;
  }

  /** BUM from a local port: head-end replication (or the group) plus every other local port of the VNI. */
  private floodFromLocal(ingress: LocalPort, vs: VniState, buf: Buffer, o: number, len: number): void {
    let copies = 0;
    const ports = vs.ports;
    for (let p = 0; p < ports.length; p++) {
      const out = ports[p]!;
      if (out === ingress) continue;
      this.toPort(out, vs, buf, o, len);
      copies++;
    }
    if (vs.mode === 'multicast') {
      if (vs.groupAddr !== 0 && this.writeVxlan(vs, buf, o, len)) {
        this.queueUnderlay(vs.underlay, buf, o - vxlan.VXLAN_HEADER_LENGTH, len + vxlan.VXLAN_HEADER_LENGTH, vs.groupAddr, flowHash(buf, o, len));
        vs.counters[V_ENCAPSULATED]!++;
        copies++;
      }
    } else {
      const list = this.floodLists.get(vs.vni);
      if (list.length > 0 && this.writeVxlan(vs, buf, o, len)) {
        const hash = flowHash(buf, o, len);
        const u = vs.underlay;
        for (let k = 0; k < list.length; k++) {
          this.queueUnderlay(u, buf, o - vxlan.VXLAN_HEADER_LENGTH, len + vxlan.VXLAN_HEADER_LENGTH, this.vteps.ipv4(list[k]!), hash);
        }
        vs.counters[V_ENCAPSULATED]! += list.length;
        copies += list.length;
      }
    }
    if (copies === 0) this.dropVni(vs, Drop.NoFloodTarget);
    else {
      vs.counters[V_FLOODED]!++;
      ingress.counters[P_FLOODED]!++;
    }
  }

  /** Known remote destination: one datagram to that VTEP. */
  private encapsulate(vs: VniState, buf: Buffer, o: number, len: number, vtepIndex: number): void {
    if (!this.writeVxlan(vs, buf, o, len)) return;
    this.queueUnderlay(vs.underlay, buf, o - vxlan.VXLAN_HEADER_LENGTH, len + vxlan.VXLAN_HEADER_LENGTH, this.vteps.ipv4(vtepIndex), flowHash(buf, o, len));
    vs.counters[V_ENCAPSULATED]!++;
  }

  /** Write the VXLAN header into the headroom; false (dropped, counted) when the frame exceeds the underlay MTU. */
  private writeVxlan(vs: VniState, buf: Buffer, o: number, len: number): boolean {
    if (len > this.maxInner) {
      this.dropVni(vs, Drop.Mtu);
      return false;
    }
    vxlan.writeHeader(buf, o - vxlan.VXLAN_HEADER_LENGTH, vs.vni);
    return true;
  }

  private queueUnderlay(u: Underlay, buf: Buffer, offset: number, length: number, dstAddr: number, hash: number): void {
    if (u.txBuffer !== buf && u.txCount > 0) this.flushUnderlay(u);
    if (u.txCount === u.txCapacity) this.flushUnderlay(u);
    u.txBuffer = buf;
    const i = u.txCount++;
    u.txOffsets[i] = offset;
    u.txLengths[i] = length;
    u.txAddrs[i] = dstAddr;
    u.txPorts[i] = u.port;
    u.txSrcPorts[i] = this.portLow + (hash % this.portSpan);
  }

  // ---- underlay -> VNI ----

  /** Readable callback of an underlay socket. */
  pollUnderlay(u: Underlay): void {
    const rx = u.rx;
    for (let b = 0; b < MAX_BATCHES_PER_WAKEUP; b++) {
      const n = u.io.receive(rx, u.srcAddrs, u.srcPorts);
      if (n === 0) break;
      this.handleUnderlayBatch(u, n);
      this.flushAll();
      if (n < rx.slots) break;
    }
  }

  handleUnderlayBatch(u: Underlay, n: number): void {
    const rx = u.rx;
    const buf = rx.buffer;
    const lengths = rx.lengths;
    for (let i = 0; i < n; i++) {
      const len = lengths[i]!;
      if (len === 0) continue;
      const o = i * rx.slotSize + rx.headroom;
      if (len < vxlan.VXLAN_HEADER_LENGTH) {
        this.drop(Drop.VxlanTruncated);
        continue;
      }
      // RFC 7348 §5: the I flag must be set; the reserved bits are ignored.
      if (!vxlan.hasValidFlags(buf, o)) {
        this.drop(Drop.VxlanFlags);
        continue;
      }
      const vs = this.vnis.get(vxlan.readVni(buf, o));
      if (vs === undefined || vs.underlay !== u) {
        this.drop(Drop.VxlanUnknownVni);
        continue;
      }
      const src = u.srcAddrs[i]!;
      if (src === this.vtepAddr) {
        this.dropVni(vs, Drop.OwnVtep);
        continue;
      }
      const inner = o + vxlan.VXLAN_HEADER_LENGTH;
      const innerLen = len - vxlan.VXLAN_HEADER_LENGTH;
      if (innerLen < ETH_HEADER) {
        this.dropVni(vs, Drop.InnerRunt);
        continue;
      }
      const a = this.addrScratch;
      a[0] = src >>> 24;
      a[1] = (src >>> 16) & 0xff;
      a[2] = (src >>> 8) & 0xff;
      a[3] = src & 0xff;
      if (vs.mode === 'evpn') {
        // evpn mode: remote VTEPs come only from the control plane (Type 3 / Type 2).
        const idx = this.vteps.findBytes(a, 0, 4);
        if (idx < 0 || this.vteps.refs(idx) === 0) {
          this.dropVni(vs, Drop.UnknownVtep);
          continue;
        }
      } else {
        // static / multicast: learn inner source MAC -> outer source IP, as the kernel's vxlan does.
        const idx = this.vteps.internBytes(a, 0, 4);
        if (idx >= 0) this.fdb.learnRemote(vs.vni, buf, inner + 6, idx, this.tick);
      }
      const vc = vs.counters;
      vc[V_DECAPSULATED]!++;
      // Decapsulated frames go to local ports only: never back to the underlay (split horizon).
      if ((buf[inner]! & 1) === 0) {
        const slot = this.fdb.lookup(vs.vni, buf, inner);
        if (slot >= 0) {
          if (this.fdb.kindAt(slot) === FDB_LOCAL) this.toPort(this.ports[this.fdb.targetAt(slot)]!, vs, buf, inner, innerLen);
          else this.dropVni(vs, Drop.SplitHorizon);
          continue;
        }
      }
      const ports = vs.ports;
      if (ports.length === 0) {
        this.dropVni(vs, Drop.NoFloodTarget);
        continue;
      }
      for (let p = 0; p < ports.length; p++) this.toPort(ports[p]!, vs, buf, inner, innerLen);
      vc[V_FLOODED]!++;
    }
  }

  // ---- transmit ----

  /** Queue a frame out of a local port, adding the port's VLAN tag for this VNI if it has one. */
  private toPort(out: LocalPort, vs: VniState, buf: Buffer, o: number, len: number): void {
    const q = out.tx;
    vs.counters[V_TX_FRAMES]!++;
    vs.counters[V_TX_BYTES]! += len;
    const scratch = out.scratch;
    if (scratch === null) {
      if ((q.buffer !== buf && q.count > 0) || q.count === q.capacity) this.flushPort(out);
      q.buffer = buf;
      q.offsets[q.count] = o;
      q.lengths[q.count++] = len;
      return;
    }
    // A port with VLANs sends copies from its scratch buffer (the frame may
    // also go untagged elsewhere, so it is not rewritten in place).
    const slot = out.rx.slotSize;
    if (q.count === q.capacity || out.scratchUsed + len + 4 > scratch.length) this.flushPort(out);
    const vid = out.vniVid.get(vs.vni) ?? 0;
    const at = out.scratchUsed;
    let l = len;
    if (vid === 0) {
      buf.copy(scratch, at, o, o + len);
    } else {
      buf.copy(scratch, at, o, o + 12);
      scratch[at + 12] = 0x81;
      scratch[at + 13] = 0x00;
      scratch[at + 14] = (vid >>> 8) & 0x0f;
      scratch[at + 15] = vid & 0xff;
      buf.copy(scratch, at + 16, o + 12, o + len);
      l += 4;
    }
    q.buffer = scratch;
    q.offsets[q.count] = at;
    q.lengths[q.count++] = l;
    out.scratchUsed = at + Math.min(slot, l + ((8 - (l & 7)) & 7));
  }

  flushPort(p: LocalPort): void {
    const q = p.tx;
    if (q.count === 0 || q.buffer === null) return;
    const sent = p.io.send(q.buffer, q.offsets, q.lengths, q.count);
    const c = p.counters;
    c[P_TX_FRAMES]! += sent;
    for (let i = 0; i < sent; i++) c[P_TX_BYTES]! += q.lengths[i]!;
    q.count = 0;
    q.buffer = null;
    p.scratchUsed = 0;
  }

  flushUnderlay(u: Underlay): void {
    if (u.txCount === 0 || u.txBuffer === null) return;
    u.io.send(u.txBuffer, u.txOffsets, u.txLengths, u.txAddrs, u.txPorts, u.txSrcPorts, u.txCount);
    u.txCount = 0;
    u.txBuffer = null;
  }

  /** Send everything queued; called before a receive buffer may be reused. */
  flushAll(): void {
    const ports = this.ports;
    for (let i = 0; i < ports.length; i++) this.flushPort(ports[i]!);
    const us = this.underlays;
    for (let i = 0; i < us.length; i++) this.flushUnderlay(us[i]!);
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
