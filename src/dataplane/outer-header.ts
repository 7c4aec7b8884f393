// The outer Ethernet + IP + UDP headers of a VXLAN datagram sent on the
// underlay link (an AF_PACKET socket on the underlay interface): vxswitch
// writes them itself instead of asking the kernel to route each datagram.
//
// Per remote VTEP (indexed as the VtepTable indexes addresses) this keeps the
// next hop's MAC, taken from the kernel's own route and neighbour tables by
// the dataplane (next-hop following over rtnetlink), and the precomputed sum
// of the address words, so a header costs a few stores and one fold. A VTEP
// without a resolved next hop is not sent here: the forwarder gives it to the
// UDP socket's raw-IP path, which also makes the kernel resolve it.
//
// IPv4 (RFC 791): DF set (an outer packet is dropped, never fragmented, RFC
// 7348 §4.3), identification 0 (RFC 6864 §4.1: atomic datagrams), TTL 64
// (1 to a multicast group, as Linux vxlan), UDP checksum 0 (RFC 7348 §5).
// IPv6 (RFC 8200): the UDP checksum is mandatory (§8.1; Linux vxlan drops
// zero-checksum UDPv6 by default): the header carries the pseudo-header sum
// and the virtio_net_hdr asks the kernel (or the NIC) to finish it.

import { fold } from '../wire/inet-checksum.js';
import { IpProtocol } from '../wire/ipv4.js';
import type { VtepTable } from './vtep-table.js';

/** What the headers read of the VTEP table: the table itself, or a worker's VtepView (vtep-view.ts). */
export type OuterVteps = Pick<VtepTable, 'capacity' | 'has' | 'writeAddress' | 'generationOf'>;

/** Told of every change, so forwarding workers can hold the same next hops (table-replica.ts). */
export interface OuterListener {
  sourceMac(mac: Uint8Array): void;
  resolved(index: number, mac: Uint8Array | null): void;
  group(index: number): void;
}

export const OUTER_IPV4_LENGTH = 14 + 20 + 8;
export const OUTER_IPV6_LENGTH = 14 + 40 + 8;
/** Offset of the UDP header in the outer headers (the virtio_net_hdr's csum_start). */
export const OUTER_UDP_OFFSET_V4 = 14 + 20;
export const OUTER_UDP_OFFSET_V6 = 14 + 40;

const UNICAST_TTL = 64;
const MULTICAST_TTL = 1;

const NONE = 0;
const RESOLVED = 1;

export class OuterHeaders {
  /** Header bytes before the UDP payload (Ethernet + IP + UDP). */
  readonly length: number;
  /** Where the UDP header starts. */
  readonly udpOffset: number;
  private readonly state: Uint8Array;
  /** The VtepTable generation of the index when it was resolved: a recycled index is unresolved again. */
  private readonly generation: Uint32Array;
  private readonly macs: Uint8Array;
  private readonly ttls: Uint8Array;
  /** Folded sum of source and destination address words (IPv4 header and UDP pseudo-header). */
  private readonly addrSums: Uint32Array;
  /** 1 once a second for every resolved VTEP: its next datagram goes through the kernel (see takeNudge). */
  private readonly nudge: Uint8Array;
  private readonly dst: Uint8Array;
  private readonly srcMac = new Uint8Array(6);
  private readonly srcSum: number;
  private readonly ethType: number;

  /** Set by the owner when workers forward too (table-replica.ts); null otherwise. */
  listener: OuterListener | null = null;

  constructor(
    private readonly vteps: OuterVteps,
    readonly family: 4 | 6,
    private readonly srcAddr: Uint8Array,
  ) {
    if (srcAddr.length !== (family === 4 ? 4 : 16)) throw new RangeError(`source address: ${family === 4 ? 4 : 16} bytes expected`);
    const n = vteps.capacity;
    this.state = new Uint8Array(n);
    this.generation = new Uint32Array(n);
    this.macs = new Uint8Array(n * 6);
    this.ttls = new Uint8Array(n);
    this.addrSums = new Uint32Array(n);
    this.nudge = new Uint8Array(n);
    this.dst = new Uint8Array(16);
    this.length = family === 4 ? OUTER_IPV4_LENGTH : OUTER_IPV6_LENGTH;
    this.udpOffset = family === 4 ? OUTER_UDP_OFFSET_V4 : OUTER_UDP_OFFSET_V6;
    this.ethType = family === 4 ? 0x0800 : 0x86dd;
    this.srcSum = sumWords(srcAddr, 0, srcAddr.length);
  }

  /** The underlay interface's MAC: the source of every frame. */
  setSourceMac(mac: Uint8Array): void {
    this.srcMac.set(mac.subarray(0, 6));
    this.listener?.sourceMac(this.srcMac);
  }

  /** VTEP indexes covered (the table's capacity). */
  get capacity(): number {
    return this.state.length;
  }

  /** The underlay interface's MAC as set (a worker's copy starts from it). */
  get sourceMac(): Uint8Array {
    return this.srcMac;
  }

  /**
   * The next hop of VTEP `index` is `mac` (its own, or its gateway's), or
   * unknown (null): then datagrams to it take the kernel's path.
   */
  resolve(index: number, mac: Uint8Array | null): void {
    this.listener?.resolved(index, mac);
    this.resolveHere(index, mac);
  }

  private resolveHere(index: number, mac: Uint8Array | null): void {
    if (mac === null || !this.vteps.has(index)) {
      this.state[index] = NONE;
      return;
    }
    const n = this.vteps.writeAddress(index, this.dst, 0);
    if (n !== (this.family === 4 ? 4 : 16)) {
      this.state[index] = NONE;
      return;
    }
    this.macs.set(mac.subarray(0, 6), index * 6);
    this.addrSums[index] = fold(this.srcSum + sumWords(this.dst, 0, n));
    this.ttls[index] = UNICAST_TTL;
    this.generation[index] = this.vteps.generationOf(index);
    this.state[index] = RESOLVED;
  }

  /** VTEP `index` is a multicast group: its MAC follows from the address (RFC 1112 §6.4, RFC 2464 §7), TTL 1. */
  resolveGroup(index: number): void {
    const n = this.vteps.writeAddress(index, this.dst, 0);
    const d = this.dst;
    const mac = n === 4 ? Uint8Array.of(0x01, 0x00, 0x5e, d[1]! & 0x7f, d[2]!, d[3]!) : Uint8Array.of(0x33, 0x33, d[12]!, d[13]!, d[14]!, d[15]!);
    this.listener?.group(index);
    this.resolveHere(index, mac);
    if (this.state[index] === RESOLVED) this.ttls[index] = MULTICAST_TTL;
  }

  /** True when `index` was resolved as a multicast group (TTL 1). */
  isGroup(index: number): boolean {
    return this.isResolved(index) && this.ttls[index] === MULTICAST_TTL;
  }

  /** Hot path: may datagrams to `index` go out on the link? */
  isResolved(index: number): boolean {
    return this.state[index] === RESOLVED && this.generation[index] === this.vteps.generationOf(index);
  }

  /** The resolved next-hop MAC of `index` as bytes (a copy), or undefined (a worker's snapshot). */
  macBytes(index: number): Uint8Array | undefined {
    return this.isResolved(index) ? this.macs.slice(index * 6, index * 6 + 6) : undefined;
  }

  /** The resolved next-hop MAC of `index` as text, or undefined (read-out and tests). */
  macOf(index: number): string | undefined {
    if (!this.isResolved(index)) return undefined;
    return Array.from(this.macs.subarray(index * 6, index * 6 + 6), (b) => b.toString(16).padStart(2, '0')).join(':');
  }

  /** Once a second: the next datagram to each resolved VTEP goes through the kernel (see takeNudge). */
  armNudges(): void {
    this.nudge.fill(1);
  }

  /**
   * Hot path: true once after armNudges() for `index`. The forwarder then
   * sends that one datagram through the kernel's path instead of the link,
   * so the kernel keeps using (and re-validating, RFC 4861 §7.3-style NUD)
   * the neighbour entry we read: a next hop whose MAC changed without a
   * gratuitous ARP is found by the kernel's own probes and reaches us as a
   * neighbour update.
   */
  takeNudge(index: number): boolean {
    if (this.nudge[index] === 0) return false;
    this.nudge[index] = 0;
    return true;
  }

  /**
   * Write the outer headers for a UDP payload of `payloadLength` bytes to
   * VTEP `index` at out[at..at+length): Ethernet, IP, UDP. The caller checked
   * isResolved(index). For IPv6 the UDP checksum field holds the
   * pseudo-header sum, to be finished as the virtio_net_hdr says.
   */
  write(out: Uint8Array, at: number, index: number, srcPort: number, dstPort: number, payloadLength: number): void {
    const m = index * 6;
    const macs = this.macs;
    out[at] = macs[m]!;
    out[at + 1] = macs[m + 1]!;
    out[at + 2] = macs[m + 2]!;
    out[at + 3] = macs[m + 3]!;
    out[at + 4] = macs[m + 4]!;
    out[at + 5] = macs[m + 5]!;
    const s = this.srcMac;
    out[at + 6] = s[0]!;
    out[at + 7] = s[1]!;
    out[at + 8] = s[2]!;
    out[at + 9] = s[3]!;
    out[at + 10] = s[4]!;
    out[at + 11] = s[5]!;
    out[at + 12] = this.ethType >>> 8;
    out[at + 13] = this.ethType & 0xff;
    const udpLength = 8 + payloadLength;
    const ip = at + 14;
    const ttl = this.ttls[index]!;
    let u: number;
    if (this.family === 4) {
      const total = 20 + udpLength;
      out[ip] = 0x45;
      out[ip + 1] = 0;
      out[ip + 2] = total >>> 8;
      out[ip + 3] = total & 0xff;
      out[ip + 4] = 0;
      out[ip + 5] = 0;
      out[ip + 6] = 0x40; // DF
      out[ip + 7] = 0;
      out[ip + 8] = ttl;
      out[ip + 9] = IpProtocol.Udp;
      const c = ~fold(0x4500 + 0x4000 + (ttl << 8) + IpProtocol.Udp + total + this.addrSums[index]!) & 0xffff;
      out[ip + 10] = c >>> 8;
      out[ip + 11] = c & 0xff;
      out.set(this.srcAddr, ip + 12);
      this.vteps.writeAddress(index, out, ip + 16);
      u = ip + 20;
    } else {
      out[ip] = 0x60;
      out[ip + 1] = 0;
      out[ip + 2] = 0;
      out[ip + 3] = 0;
      out[ip + 4] = udpLength >>> 8;
      out[ip + 5] = udpLength & 0xff;
      out[ip + 6] = IpProtocol.Udp;
      out[ip + 7] = ttl;
      out.set(this.srcAddr, ip + 8);
      this.vteps.writeAddress(index, out, ip + 24);
      u = ip + 40;
    }
    out[u] = srcPort >>> 8;
    out[u + 1] = srcPort & 0xff;
    out[u + 2] = dstPort >>> 8;
    out[u + 3] = dstPort & 0xff;
    out[u + 4] = udpLength >>> 8;
    out[u + 5] = udpLength & 0xff;
    if (this.family === 4) {
      out[u + 6] = 0;
      out[u + 7] = 0;
    } else {
      // Pseudo-header sum (RFC 8200 §8.1), not complemented: finished by whoever computes the checksum.
      const p = fold(this.addrSums[index]! + IpProtocol.Udp + udpLength);
      out[u + 6] = p >>> 8;
      out[u + 7] = p & 0xff;
    }
  }

  /**
   * For a UDP GSO message, the partial checksum the UDP header must carry for
   * IPv4 too (the kernel computes every segment's): the pseudo-header sum.
   */
  writeGsoPseudoSum(out: Uint8Array, at: number, index: number, payloadLength: number): void {
    const u = at + this.udpOffset;
    const p = fold(this.addrSums[index]! + IpProtocol.Udp + 8 + payloadLength);
    out[u + 6] = p >>> 8;
    out[u + 7] = p & 0xff;
  }
}

function sumWords(b: Uint8Array, o: number, n: number): number {
  let s = 0;
  for (let i = 0; i < n; i += 2) s += (b[o + i]! << 8) | b[o + i + 1]!;
  return fold(s);
}
