// What the kernel leaves undone on a frame it hands over with a
// virtio_net_hdr, done in userspace before the frame goes into a tunnel:
//
// - a partial checksum (VNET_F_NEEDS_CSUM) is finished: the field already
//   holds the pseudo-header sum, so the ones' complement sum from csum_start
//   to the end of the frame, complemented, is the checksum (the kernel's
//   skb_checksum_help does the same);
// - a GSO super-frame (TCPv4, TCPv6, UDP) is cut into gso_size segments, each
//   a complete frame with its own IP length, IPv4 identification and header
//   checksum, TCP sequence number and flags, and L4 checksum (the kernel's
//   tcp_gso_segment / __udp_gso_segment rules: FIN and PSH on the last TCP
//   segment only, CWR on the first only, IPv4 ids counting up).
//
// A UDP-tunnel super-frame (the host's own VXLAN, Geneve or any UDP
// encapsulation over the port: SKB_GSO_UDP_TUNNEL[_CSUM] in the kernel) is
// described by the virtio_net_hdr as plain TCP (or UDP) GSO with csum_start
// at the INNER L4 header: the header has no "tunnel" bit (virtio 1.2
// §5.1.6.2; the kernel's virtio_net_hdr_from_skb drops it). It is recognised
// by its first IP header carrying UDP with csum_start beyond that UDP header,
// and cut as the kernel's skb_udp_tunnel_segment does: every segment gets
// its inner IP and L4 headers fixed as above and its outer ones too (outer
// IPv4 length, identification counting up and header checksum; outer UDP
// length, and its checksum when the super-frame had one or the outer header
// is IPv6, where RFC 8200 §8.1 requires it).
//
// Segments are written one after another at a fixed stride, each behind
// `prefix` free bytes (the VXLAN header's room when they go into a tunnel).
// That is the layout a UDP GSO send wants (UDP_SEGMENT / VIRTIO_NET_HDR_GSO_
// UDP_L4: every segment but the last exactly gso_size bytes), so the whole
// run can leave as one message, or segment by segment.
//
// Plain loops over the caller's buffers, nothing allocated: the results are
// fields of the Segmenter.

import { EtherType, ETH_TYPE_OFFSET, VLAN_TAG_LENGTH } from '../wire/ethernet.js';
import { fold, onesComplementSum, onesComplementSumView } from '../wire/inet-checksum.js';
import {
  IpProtocol,
  IPV4_CHECKSUM_OFFSET,
  IPV4_IDENTIFICATION_OFFSET,
  IPV4_MIN_HEADER_LENGTH,
  IPV4_PROTOCOL_OFFSET,
  IPV4_TOTAL_LENGTH_OFFSET,
} from '../wire/ipv4.js';
import { IPV6_HEADER_LENGTH, IPV6_PAYLOAD_LENGTH_OFFSET } from '../wire/ipv6.js';
import { TCP_CHECKSUM_OFFSET, TCP_DATA_OFFSET_OFFSET, TCP_FLAGS_OFFSET, TCP_SEQ_OFFSET, TcpFlag } from '../wire/tcp.js';
import { UDP_CHECKSUM_OFFSET, UDP_HEADER_LENGTH, UDP_LENGTH_OFFSET } from '../wire/udp.js';
import { VNET_GSO_ECN, VNET_GSO_TCPV4, VNET_GSO_TCPV6, VNET_GSO_UDP_L4 } from '../wire/virtio-net-hdr.js';
import { readU32, writeU16, writeU32 } from '../wire/byte-order.js';

/** RFC 768: a computed UDP checksum of zero is sent as all ones (zero means "none"). */
const CSUM_MANGLED_0 = 0xffff;
/** Segments per super-frame this will cut (a 64 KiB frame at the smallest sane MSS). */
export const GSO_MAX_SEGMENTS = 1024;

/**
 * Offset of the L3 header of the Ethernet frame at `o` (after 0, 1 or 2
 * VLAN tags), or -1 when the frame is too short for its tags.
 */
export function l3Offset(buf: Uint8Array, o: number, len: number): number {
  let at = ETH_TYPE_OFFSET;
  for (let tags = 0; tags < 2; tags++) {
    if (at + 2 > len) return -1;
    const type = (buf[o + at]! << 8) | buf[o + at + 1]!;
    if (type !== EtherType.Vlan && type !== EtherType.QinQ && type !== EtherType.QinQ9100) break;
    at += VLAN_TAG_LENGTH;
  }
  return at + 2 <= len ? at + 2 : -1;
}

/** The EtherType after the tags of the frame at `o` (l3 is what l3Offset returned). */
function etherTypeAt(buf: Uint8Array, o: number, l3: number): number {
  return (buf[o + l3 - 2]! << 8) | buf[o + l3 - 1]!;
}

/** IPv6 fixed header: next header field (RFC 8200 §3). */
const IPV6_NEXT_HEADER_OFFSET = 6;

/** The protocol the IP header ipHeader() last read carries (a result field, so nothing is allocated). */
let ipProto = 0;

/** IPv6 extension headers a sender may put before L4 (RFC 8200 §4): Hop-by-Hop, Routing, Destination Options. */
const IPV6_EXT_HOP_BY_HOP = 0;
const IPV6_EXT_ROUTING = 43;
const IPV6_EXT_DEST_OPTS = 60;
/** Extension headers walked before giving up (a bound on a hostile chain). */
const IPV6_MAX_EXT_HEADERS = 8;

/**
 * Length of the IP header at buf[ip] (IPv4: IHL; IPv6: the fixed header and
 * its Hop-by-Hop / Routing / Destination Options extension headers), or -1
 * when it is not a sane header of that version that fits within `end`. The
 * protocol it carries is left in `ipProto`.
 */
function ipHeader(buf: Uint8Array, ip: number, end: number, v4: boolean): number {
  if (v4) {
    const b = buf[ip]!;
    const hl = (b & 0x0f) * 4;
    if (b >> 4 !== 4 || hl < IPV4_MIN_HEADER_LENGTH || ip + hl > end) return -1;
    ipProto = buf[ip + IPV4_PROTOCOL_OFFSET]!;
    return hl;
  }
  if (buf[ip]! >> 4 !== 6 || ip + IPV6_HEADER_LENGTH > end) return -1;
  let next = buf[ip + IPV6_NEXT_HEADER_OFFSET]!;
  let hl = IPV6_HEADER_LENGTH;
  for (let k = 0; next === IPV6_EXT_HOP_BY_HOP || next === IPV6_EXT_ROUTING || next === IPV6_EXT_DEST_OPTS; k++) {
    // Next Header, then Hdr Ext Len in 8-octet units not counting the first 8 (RFC 8200 §4.3-4.6).
    if (k === IPV6_MAX_EXT_HEADERS || ip + hl + 8 > end) return -1;
    next = buf[ip + hl]!;
    hl += (buf[ip + hl + 1]! + 1) * 8;
  }
  if (ip + hl > end) return -1;
  ipProto = next;
  return hl;
}

/** Ones' complement sum of the source and destination addresses of the IP header at buf[ip] (the pseudo-header's address part). */
function addressSum(buf: Uint8Array, ip: number, v4: boolean): number {
  return v4 ? onesComplementSum(buf, ip + 12, 8) : onesComplementSum(buf, ip + 8, 32);
}

/**
 * Set one segment's IP header at out[ip] for `after` bytes behind it:
 * IPv4 total length, identification and header checksum; IPv6 payload
 * length (extension headers between the fixed header and L4 count in it).
 */
function fixIpHeader(out: Buffer, ip: number, v4: boolean, headerLength: number, after: number, id: number): void {
  if (v4) {
    writeU16(out, ip + IPV4_TOTAL_LENGTH_OFFSET, headerLength + after);
    writeU16(out, ip + IPV4_IDENTIFICATION_OFFSET, id & 0xffff);
    out[ip + IPV4_CHECKSUM_OFFSET] = 0;
    out[ip + IPV4_CHECKSUM_OFFSET + 1] = 0;
    writeU16(out, ip + IPV4_CHECKSUM_OFFSET, ~onesComplementSum(out, ip, headerLength) & 0xffff);
  } else {
    writeU16(out, ip + IPV6_PAYLOAD_LENGTH_OFFSET, headerLength - IPV6_HEADER_LENGTH + after);
  }
}

/**
 * True when the GSO super-frame at `o` is a UDP-tunnel one (see the top of
 * this file): its first IP header carries UDP and csum_start is not the L4
 * header right behind it. Such a frame cannot leave with a virtio_net_hdr:
 * the kernel would take the outer UDP for the L4 header and refuse it.
 */
export function isUdpTunnelGso(buf: Uint8Array, o: number, len: number, gsoType: number, csumStart: number): boolean {
  const type = gsoType & ~VNET_GSO_ECN;
  if (type !== VNET_GSO_TCPV4 && type !== VNET_GSO_TCPV6 && type !== VNET_GSO_UDP_L4) return false;
  const l3 = l3Offset(buf, o, len);
  if (l3 < 0) return false;
  const et = etherTypeAt(buf, o, l3);
  if (et !== EtherType.Ipv4 && et !== EtherType.Ipv6) return false;
  const hl = ipHeader(buf, o + l3, o + len, et === EtherType.Ipv4);
  return hl > 0 && ipProto === IpProtocol.Udp && csumStart !== l3 + hl;
}

/**
 * Finish a partial checksum in place: the frame at `o`, `len` bytes, whose
 * checksum field at csumStart + csumOffset holds the pseudo-header sum.
 * False when the offsets do not fit the frame (the caller drops it).
 */
export function finishChecksum(buf: Buffer, view: DataView, o: number, len: number, csumStart: number, csumOffset: number): boolean {
  if (csumStart >= len || csumStart + csumOffset + 2 > len) return false;
  const sum = onesComplementSumView(view, o + csumStart, len - csumStart);
  const c = ~sum & 0xffff;
  const at = o + csumStart + csumOffset;
  const v = c === 0 ? CSUM_MANGLED_0 : c;
  buf[at] = v >>> 8;
  buf[at + 1] = v & 0xff;
  return true;
}

/** Why a frame could not be segmented (Segmenter.segment returns false and sets `error`). */
export const SegmentError = {
  None: 0,
  /** A GSO type this does not cut (UFO, an unknown one) or a mismatch between gso_type and the headers. */
  Unsupported: 1,
  /** Headers not where the virtio_net_hdr says, or cut short. */
  Malformed: 2,
  /** The output does not fit. */
  NoRoom: 3,
} as const;

export class Segmenter {
  /** Results of the last segment() call. */
  count = 0;
  /** Distance between segment starts, prefix included (every segment but the last has this length). */
  stride = 0;
  /** Length of the last segment, prefix included. */
  lastLength = 0;
  /** Bytes written from `at` in all. */
  total = 0;
  /** Segments the last room() call counted. */
  roomCount = 0;
  error: number = SegmentError.None;
  /** Layout found by headersLength(): the outer UDP header's offset (-1: not a tunnel frame) and the inner IP header's. */
  private tunnelUdp = -1;
  private innerL3 = 0;
  private innerV4 = false;

  /**
   * Bytes segment() would write for this frame: run it first to make room.
   * 0 when the frame cannot be segmented.
   */
  room(buf: Uint8Array, o: number, len: number, gsoType: number, gsoSize: number, csumStart: number, prefix: number): number {
    this.roomCount = 0;
    const hdrs = this.headersLength(buf, o, len, gsoType & ~VNET_GSO_ECN, csumStart);
    if (hdrs <= 0 || gsoSize === 0 || hdrs >= len) return 0;
    const payload = len - hdrs;
    const n = Math.ceil(payload / gsoSize);
    if (n > GSO_MAX_SEGMENTS) return 0;
    this.roomCount = n;
    return payload + n * (prefix + hdrs);
  }

  /**
   * Length of all headers up to the end of the (inner) L4 header, or 0 when
   * they are not what gso_type says. Sets the tunnel layout fields.
   */
  private headersLength(buf: Uint8Array, o: number, len: number, type: number, csumStart: number): number {
    this.tunnelUdp = -1;
    const l3 = l3Offset(buf, o, len);
    if (l3 < 0 || csumStart >= len) return 0;
    const tcp = type === VNET_GSO_TCPV4 || type === VNET_GSO_TCPV6;
    if (!tcp && type !== VNET_GSO_UDP_L4) return 0;
    const et = etherTypeAt(buf, o, l3);
    if (et !== EtherType.Ipv4 && et !== EtherType.Ipv6) return 0;
    const hl = ipHeader(buf, o + l3, o + len, et === EtherType.Ipv4);
    if (hl < 0) return 0;
    if (ipProto === IpProtocol.Udp && csumStart !== l3 + hl) {
      // A UDP-tunnel super-frame: find the inner IP header right before csum_start.
      const innerMin = l3 + hl + UDP_HEADER_LENGTH;
      const proto = tcp ? IpProtocol.Tcp : IpProtocol.Udp;
      const inner = this.findInnerIp(buf, o, innerMin, csumStart, proto, type);
      if (inner < 0) return 0;
      this.tunnelUdp = l3 + hl;
    } else if (tcp) {
      // Plain TCP GSO: the L4 header right behind the IP header, of the family gso_type names.
      if (et !== (type === VNET_GSO_TCPV4 ? EtherType.Ipv4 : EtherType.Ipv6)) return 0;
      if (ipProto !== IpProtocol.Tcp || csumStart !== l3 + hl) return 0;
    } else if (ipProto !== IpProtocol.Udp) {
      return 0;
    }
    if (!tcp) return csumStart + UDP_HEADER_LENGTH <= len ? csumStart + UDP_HEADER_LENGTH : 0;
    if (csumStart + 20 > len) return 0;
    const thl = (buf[o + csumStart + TCP_DATA_OFFSET_OFFSET]! >> 4) * 4;
    return thl < 20 || csumStart + thl > len ? 0 : csumStart + thl;
  }

  /**
   * The inner IP header of a tunnel frame: the header, at or after `min`,
   * that ends exactly at csum_start and carries `proto` (IPv4 of any IHL, or
   * IPv6 without extension headers; TCPV4/TCPV6 name the inner family). Sets
   * innerL3 / innerV4; -1 when there is none.
   */
  private findInnerIp(buf: Uint8Array, o: number, min: number, csumStart: number, proto: number, type: number): number {
    if (type !== VNET_GSO_TCPV6) {
      for (let ihl = 5; ihl <= 15; ihl++) {
        const x = csumStart - ihl * 4;
        if (x < min) break;
        if (buf[o + x] === (0x40 | ihl) && buf[o + x + IPV4_PROTOCOL_OFFSET] === proto) {
          this.innerL3 = x;
          this.innerV4 = true;
          return x;
        }
      }
    }
    if (type !== VNET_GSO_TCPV4) {
      const x = csumStart - IPV6_HEADER_LENGTH;
      if (x >= min && buf[o + x]! >> 4 === 6 && buf[o + x + IPV6_NEXT_HEADER_OFFSET] === proto) {
        this.innerL3 = x;
        this.innerV4 = false;
        return x;
      }
    }
    return -1;
  }

  /**
   * Cut the GSO super-frame at src[o..o+len) into segments at out[at..),
   * each `prefix` free bytes followed by a complete frame. gsoType is the
   * virtio_net_hdr's (ECN bit allowed), gsoSize the L4 payload per segment,
   * csumStart the L4 header's offset in the frame.
   */
  segment(
    src: Buffer,
    o: number,
    len: number,
    gsoType: number,
    gsoSize: number,
    csumStart: number,
    out: Buffer,
    outView: DataView,
    at: number,
    prefix: number,
  ): boolean {
    this.count = 0;
    this.error = SegmentError.None;
    const type = gsoType & ~VNET_GSO_ECN;
    const hdrs = this.headersLength(src, o, len, type, csumStart);
    if (hdrs <= 0) {
      this.error = type === VNET_GSO_TCPV4 || type === VNET_GSO_TCPV6 || type === VNET_GSO_UDP_L4 ? SegmentError.Malformed : SegmentError.Unsupported;
      return false;
    }
    if (gsoSize === 0 || hdrs >= len) {
      this.error = SegmentError.Malformed;
      return false;
    }
    const payload = len - hdrs;
    const n = Math.ceil(payload / gsoSize);
    const stride = prefix + hdrs + gsoSize;
    const total = (n - 1) * stride + prefix + hdrs + (payload - (n - 1) * gsoSize);
    if (n > GSO_MAX_SEGMENTS || at + total > out.length) {
      this.error = SegmentError.NoRoom;
      return false;
    }
    const l3 = l3Offset(src, o, len);
    const outerV4 = etherTypeAt(src, o, l3) === EtherType.Ipv4;
    const udpAt = this.tunnelUdp;
    const tunnel = udpAt >= 0;
    // The IP header the L4 header belongs to: the inner one in a tunnel frame.
    const ip = tunnel ? this.innerL3 : l3;
    const v4 = tunnel ? this.innerV4 : outerV4;
    const l4 = csumStart;
    const tcp = type !== VNET_GSO_UDP_L4;
    const id0 = v4 ? (src[o + ip + IPV4_IDENTIFICATION_OFFSET]! << 8) | src[o + ip + IPV4_IDENTIFICATION_OFFSET + 1]! : 0;
    const outerId0 = tunnel && outerV4 ? (src[o + l3 + IPV4_IDENTIFICATION_OFFSET]! << 8) | src[o + l3 + IPV4_IDENTIFICATION_OFFSET + 1]! : 0;
    // As the kernel's __skb_udp_tunnel_segment: an IPv4 outer UDP checksum of 0
    // (no SKB_GSO_UDP_TUNNEL_CSUM) stays 0 (RFC 768); over IPv6 it is computed (RFC 8200 §8.1).
    const outerCsum = tunnel && (!outerV4 || src[o + udpAt + UDP_CHECKSUM_OFFSET]! !== 0 || src[o + udpAt + UDP_CHECKSUM_OFFSET + 1]! !== 0);
    const seq0 = tcp ? readU32(src, o + l4 + TCP_SEQ_OFFSET) : 0;
    const flags0 = tcp ? src[o + l4 + TCP_FLAGS_OFFSET]! : 0;
    const ipHeaderLength = l4 - ip;
    const l4HeaderLength = hdrs - l4;
    const outerHeaderLength = udpAt - l3;
    // The pseudo-header's address part is the same for every segment.
    const addrSum = addressSum(src, o + ip, v4);
    const outerAddrSum = tunnel && outerCsum ? addressSum(src, o + l3, outerV4) : 0;
    const proto = tcp ? IpProtocol.Tcp : IpProtocol.Udp;
    let p = at;
    for (let k = 0; k < n; k++) {
      const chunk = k === n - 1 ? payload - k * gsoSize : gsoSize;
      const f = p + prefix;
      src.copy(out, f, o, o + hdrs);
      src.copy(out, f + hdrs, o + hdrs + k * gsoSize, o + hdrs + k * gsoSize + chunk);
      const l4Length = l4HeaderLength + chunk;
      fixIpHeader(out, f + ip, v4, ipHeaderLength, l4Length, id0 + k);
      const t = f + l4;
      let csumAt: number;
      if (tcp) {
        writeU32(out, t + TCP_SEQ_OFFSET, (seq0 + k * gsoSize) >>> 0);
        let fl = flags0;
        if (k < n - 1) fl &= ~(TcpFlag.Fin | TcpFlag.Psh);
        if (k > 0) fl &= ~TcpFlag.Cwr;
        out[t + TCP_FLAGS_OFFSET] = fl;
        csumAt = t + TCP_CHECKSUM_OFFSET;
      } else {
        writeU16(out, t + UDP_LENGTH_OFFSET, l4Length);
        csumAt = t + UDP_CHECKSUM_OFFSET;
      }
      out[csumAt] = 0;
      out[csumAt + 1] = 0;
      // Pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1): addresses, protocol, L4 length.
      const pseudo = fold(addrSum + proto + l4Length);
      const c = ~onesComplementSumView(outView, t, l4Length, pseudo) & 0xffff;
      writeU16(out, csumAt, c === 0 && !tcp ? CSUM_MANGLED_0 : c);
      if (tunnel) {
        // Outer headers last: the outer UDP checksum covers the finished inner packet.
        const udpLength = l4 + l4Length - udpAt;
        fixIpHeader(out, f + l3, outerV4, outerHeaderLength, udpLength, outerId0 + k);
        const u = f + udpAt;
        writeU16(out, u + UDP_LENGTH_OFFSET, udpLength);
        if (outerCsum) {
          out[u + UDP_CHECKSUM_OFFSET] = 0;
          out[u + UDP_CHECKSUM_OFFSET + 1] = 0;
          const uc = ~onesComplementSumView(outView, u, udpLength, fold(outerAddrSum + IpProtocol.Udp + udpLength)) & 0xffff;
          writeU16(out, u + UDP_CHECKSUM_OFFSET, uc === 0 ? CSUM_MANGLED_0 : uc);
        }
      }
      p += stride;
    }
    this.count = n;
    this.stride = stride;
    this.lastLength = total - (n - 1) * stride;
    this.total = total;
    return true;
  }
}
