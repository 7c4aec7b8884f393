// Receive coalescing: consecutive VXLAN datagrams that carry consecutive
// segments of one TCP flow are merged back into one inner super-frame, which
// goes to a port with virtio-net headers as a single GSO frame (gso_size =
// the segments' MSS) instead of one frame per segment: the host's stack then
// handles it as its own GRO would have.
//
// The merge rules are Linux's tcp_gro_receive: same Ethernet and IP
// addresses, same IP TOS/TTL (hop limit) and DF, same ports and ACK number,
// TCP headers (options included) byte-identical past the sequence number
// except window and checksum, every segment but the last exactly the first's
// payload size, no SYN/RST/URG, CWR only on the first, PSH/FIN only on the
// last; at most 64 KiB of IP packet.
//
// Only datagrams whose checksums are trusted are merged (the caller checks:
// the kernel verified the outer UDP checksum, or the data never left this
// host's memory), because the merged frame is handed on with its checksum
// left to compute (VNET_F_NEEDS_CSUM) and nobody verifies the originals.
//
// The merged datagram (VXLAN header + inner frame) is built at `out[at..)`;
// nothing is allocated.

import { EtherType } from '../wire/ethernet.js';
import { fold, onesComplementSum } from '../wire/inet-checksum.js';
import { IpProtocol, IPV4_CHECKSUM_OFFSET, IPV4_TOTAL_LENGTH_OFFSET } from '../wire/ipv4.js';
import { IPV6_HEADER_LENGTH, IPV6_PAYLOAD_LENGTH_OFFSET } from '../wire/ipv6.js';
import { TCP_CHECKSUM_OFFSET, TCP_FLAGS_OFFSET, TCP_SEQ_OFFSET, TcpFlag } from '../wire/tcp.js';
import { VNET_GSO_TCPV4, VNET_GSO_TCPV6 } from '../wire/virtio-net-hdr.js';
import { readU32 } from '../wire/byte-order.js';

const VXLAN = 8;
const ETH = 14;
/** The IP packet a merged frame may hold (IPv4 total length, IPv6 payload length: 16 bits). */
const MAX_IP = 65535;
const FLAGS_NEVER = TcpFlag.Syn | TcpFlag.Rst | TcpFlag.Urg;

export class TcpCoalescer {
  /** A merge is open at out[at..at+length). */
  active = false;
  at = 0;
  /** Bytes of the merged datagram so far (VXLAN header included). */
  length = 0;
  /** Datagrams merged so far. */
  count = 0;
  /** Where the first datagram was in its own buffer (a merge of one is sent from there). */
  firstOffset = 0;
  firstLength = 0;
  /** Results for the frame's virtio_net_hdr (valid after begin()). */
  gsoType = 0;
  mss = 0;
  /** Offset of the TCP header in the inner frame. */
  l4 = 0;
  /** Length of all inner headers. */
  hdrLen = 0;
  private l3 = 0;
  private v4 = true;
  private nextSeq = 0;
  private lastPayload = 0;
  private ended = false;

  /**
   * Open a merge with datagram src[dg..dg+len) (VXLAN header + inner frame)
   * copied to out[at..). False: it is not a TCP segment that can start one
   * (nothing was written).
   */
  begin(src: Buffer, dg: number, len: number, out: Buffer, at: number): boolean {
    this.active = false;
    const f = dg + VXLAN;
    if (len < VXLAN + ETH + 20 + 20) return false;
    const type = (src[f + 12]! << 8) | src[f + 13]!;
    let l4: number;
    if (type === EtherType.Ipv4) {
      const ihl = (src[f + ETH]! & 0x0f) * 4;
      // A fragment, or another protocol: not mergeable.
      if (ihl < 20 || src[f + ETH + 9] !== IpProtocol.Tcp || (((src[f + ETH + 6]! & 0x3f) << 8) | src[f + ETH + 7]!) !== 0) return false;
      l4 = ETH + ihl;
      this.v4 = true;
    } else if (type === EtherType.Ipv6) {
      if (src[f + ETH + 6] !== IpProtocol.Tcp) return false;
      l4 = ETH + IPV6_HEADER_LENGTH;
      this.v4 = false;
    } else {
      return false;
    }
    if (VXLAN + l4 + 20 > len) return false;
    const thl = (src[f + l4 + 12]! >> 4) * 4;
    const flags = src[f + l4 + TCP_FLAGS_OFFSET]!;
    const payload = len - VXLAN - l4 - thl;
    if (thl < 20 || payload <= 0 || (flags & (FLAGS_NEVER | TcpFlag.Fin)) !== 0 || (flags & TcpFlag.Ack) === 0) return false;
    // The IP length must agree with the datagram (no padding, nothing cut).
    const ipLen = this.v4 ? (src[f + ETH + 2]! << 8) | src[f + ETH + 3]! : ((src[f + ETH + 4]! << 8) | src[f + ETH + 5]!) + IPV6_HEADER_LENGTH;
    if (ipLen !== len - VXLAN - ETH) return false;
    if (at + len > out.length) return false;
    src.copy(out, at, dg, dg + len);
    this.active = true;
    this.at = at;
    this.length = len;
    this.count = 1;
    this.firstOffset = dg;
    this.firstLength = len;
    this.l3 = ETH;
    this.l4 = l4;
    this.hdrLen = l4 + thl;
    this.mss = payload;
    this.lastPayload = payload;
    this.ended = (flags & TcpFlag.Psh) !== 0;
    this.nextSeq = (readU32(src, f + l4 + TCP_SEQ_OFFSET) + payload) >>> 0;
    this.gsoType = this.v4 ? VNET_GSO_TCPV4 : VNET_GSO_TCPV6;
    return true;
  }

  /** Append the next datagram's payload if it continues the merge; false leaves everything as it was. */
  append(src: Buffer, dg: number, len: number, out: Buffer): boolean {
    if (!this.active || this.ended || this.lastPayload !== this.mss) return false;
    const f = dg + VXLAN;
    const m = this.at + VXLAN;
    const hdr = this.hdrLen;
    const payload = len - VXLAN - hdr;
    if (payload <= 0 || payload > this.mss) return false;
    if (this.length + payload - VXLAN - ETH > MAX_IP || this.at + this.length + payload > out.length) return false;
    // VXLAN header (flags, VNI) and Ethernet addresses and type.
    for (let i = 0; i < VXLAN; i++) if (src[dg + i] !== out[this.at + i]) return false;
    for (let i = 0; i < ETH; i++) if (src[f + i] !== out[m + i]) return false;
    const l3 = this.l3;
    const l4 = this.l4;
    if (this.v4) {
      // Same header length, TOS, DF/flags, TTL, protocol, addresses; and the IP length must match the datagram.
      if (src[f + l3] !== out[m + l3] || src[f + l3 + 1] !== out[m + l3 + 1] || src[f + l3 + 6] !== out[m + l3 + 6] || src[f + l3 + 7] !== out[m + l3 + 7]) return false;
      for (let i = 8; i < l4 - l3; i++) if (i !== 10 && i !== 11 && src[f + l3 + i] !== out[m + l3 + i]) return false;
      if (((src[f + l3 + 2]! << 8) | src[f + l3 + 3]!) !== len - VXLAN - ETH) return false;
    } else {
      // Version/traffic class/flow label, next header, hop limit, addresses.
      for (let i = 0; i < 4; i++) if (src[f + l3 + i] !== out[m + l3 + i]) return false;
      for (let i = 6; i < IPV6_HEADER_LENGTH; i++) if (src[f + l3 + i] !== out[m + l3 + i]) return false;
      if (((src[f + l3 + 4]! << 8) | src[f + l3 + 5]!) !== len - VXLAN - ETH - IPV6_HEADER_LENGTH) return false;
    }
    // TCP: ports, the expected sequence number, ACK number, header length, flags, options.
    for (let i = 0; i < 4; i++) if (src[f + l4 + i] !== out[m + l4 + i]) return false;
    if (readU32(src, f + l4 + TCP_SEQ_OFFSET) !== this.nextSeq) return false;
    for (let i = 8; i < 13; i++) if (src[f + l4 + i] !== out[m + l4 + i]) return false;
    const flags = src[f + l4 + TCP_FLAGS_OFFSET]!;
    const first = out[m + l4 + TCP_FLAGS_OFFSET]!;
    if ((flags & TcpFlag.Cwr) !== 0 || ((flags ^ first) & ~(TcpFlag.Psh | TcpFlag.Fin | TcpFlag.Cwr)) !== 0) return false;
    for (let i = 20; i < hdr - l4; i++) if (src[f + l4 + i] !== out[m + l4 + i]) return false;
    src.copy(out, this.at + this.length, f + hdr, f + hdr + payload);
    this.length += payload;
    this.count++;
    this.lastPayload = payload;
    this.nextSeq = (this.nextSeq + payload) >>> 0;
    if ((flags & (TcpFlag.Psh | TcpFlag.Fin)) !== 0) {
      // The last segment's PSH/FIN end the merge and carry over.
      out[m + l4 + TCP_FLAGS_OFFSET] = first | (flags & (TcpFlag.Psh | TcpFlag.Fin));
      this.ended = true;
    }
    return true;
  }

  /**
   * Close the merge: the IP length (and IPv4 header checksum) of the whole,
   * and the TCP checksum field set to the pseudo-header sum, as a GSO frame
   * with its checksum left to compute carries it.
   */
  finish(out: Buffer): void {
    this.active = false;
    if (this.count < 2) return;
    const m = this.at + VXLAN;
    const l3 = m + this.l3;
    const tcpLen = this.length - VXLAN - this.l4;
    let pseudo: number;
    if (this.v4) {
      const total = this.length - VXLAN - this.l3;
      out[l3 + IPV4_TOTAL_LENGTH_OFFSET] = total >>> 8;
      out[l3 + IPV4_TOTAL_LENGTH_OFFSET + 1] = total & 0xff;
      out[l3 + IPV4_CHECKSUM_OFFSET] = 0;
      out[l3 + IPV4_CHECKSUM_OFFSET + 1] = 0;
      const c = ~onesComplementSum(out, l3, this.l4 - this.l3) & 0xffff;
      out[l3 + IPV4_CHECKSUM_OFFSET] = c >>> 8;
      out[l3 + IPV4_CHECKSUM_OFFSET + 1] = c & 0xff;
      pseudo = fold(onesComplementSum(out, l3 + 12, 8) + IpProtocol.Tcp + tcpLen);
    } else {
      const pl = this.length - VXLAN - this.l3 - IPV6_HEADER_LENGTH;
      out[l3 + IPV6_PAYLOAD_LENGTH_OFFSET] = pl >>> 8;
      out[l3 + IPV6_PAYLOAD_LENGTH_OFFSET + 1] = pl & 0xff;
      pseudo = fold(onesComplementSum(out, l3 + 8, 32) + IpProtocol.Tcp + tcpLen);
    }
    const c = m + this.l4 + TCP_CHECKSUM_OFFSET;
    out[c] = pseudo >>> 8;
    out[c + 1] = pseudo & 0xff;
  }
}
