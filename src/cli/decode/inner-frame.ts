// The Ethernet frame inside a VXLAN datagram (RFC 7348 §5), summarized the
// way tcpdump prints it: MACs, VLAN tags, then ARP, ICMP/ICMPv6 (echo and
// neighbor discovery), or the TCP/UDP ports of an IPv4/IPv6 packet.

import * as arp from '../../wire/arp.js';
import type { ArpPacket } from '../../wire/arp.js';
import { ArpOperation } from '../../wire/arp.js';
import * as ethernet from '../../wire/ethernet.js';
import { EtherType } from '../../wire/ethernet.js';
import { formatIpv6 } from '../../wire/ip-address.js';
import { IpProtocol } from '../../wire/ipv4.js';
import * as tcp from '../../wire/tcp.js';
import * as udp from '../../wire/udp.js';
import { ensureBytes, WireError } from '../../wire/wire-error.js';
import { decodeIp } from './ip-layer.js';
import { endpoint } from './tcp-reassembly.js';
import { tcpFlagsText } from './tcp-flags.js';

export interface IcmpSummary {
  type: number;
  code: number;
  /** "echo request", "neighbor solicitation", ... */
  name: string;
  /** Echo identifier and sequence number. */
  id?: number;
  seq?: number;
  /** Neighbor discovery target address (RFC 4861 §4.3/§4.4). */
  target?: string;
}

export interface InnerIp {
  version: 4 | 6;
  src: string;
  dst: string;
  protocol: number;
  ttl: number;
  srcPort?: number;
  dstPort?: number;
  tcpFlags?: string;
  icmp?: IcmpSummary;
}

export interface InnerFrame {
  src: string;
  dst: string;
  /** VLAN IDs, outer first. */
  vlans: number[];
  etherType: number;
  length: number;
  arp?: ArpPacket;
  ip?: InnerIp;
  /** What could not be read (a cut or malformed inner header). */
  error?: string;
  /** One line, tcpdump style, after the MACs. */
  summary: string;
}

const ICMP_NAMES: Record<number, string> = {
  0: 'echo reply',
  3: 'destination unreachable',
  5: 'redirect',
  8: 'echo request',
  11: 'time exceeded',
  12: 'parameter problem',
};

const ICMPV6_NAMES: Record<number, string> = {
  1: 'destination unreachable',
  2: 'packet too big',
  3: 'time exceeded',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  130: 'multicast listener query',
  131: 'multicast listener report',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
  137: 'redirect',
  143: 'multicast listener report v2',
};

export function describeInnerFrame(frame: Buffer): InnerFrame {
  let eth: ethernet.EthernetHeader;
  try {
    eth = ethernet.decode(frame, 0);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    return { src: '', dst: '', vlans: [], etherType: 0, length: frame.length, error: e.message, summary: `[${e.message}]` };
  }
  const out: InnerFrame = {
    src: eth.src,
    dst: eth.dst,
    vlans: eth.vlans.map((v) => v.vid),
    etherType: eth.etherType,
    length: frame.length,
    summary: '',
  };
  const offset = ethernet.decode.bytes;
  try {
    if (eth.etherType === EtherType.Arp) {
      out.arp = arp.decode(frame, offset);
      out.summary = arpText(out.arp);
      return out;
    }
    const ip = decodeIp(frame, offset, frame.length, eth.etherType);
    if (ip === null) {
      out.summary = ethernet.isLengthField(eth.etherType)
        ? `802.3 length ${eth.etherType}`
        : `ethertype 0x${eth.etherType.toString(16).padStart(4, '0')}`;
      return out;
    }
    const inner: InnerIp = { version: ip.version, src: ip.src, dst: ip.dst, protocol: ip.protocol, ttl: ip.ttl };
    out.ip = inner;
    const data = frame.subarray(0, ip.payloadEnd);
    const family = ip.version === 4 ? 'IP' : 'IP6';
    if (ip.fragment === 'later') {
      out.summary = `${family} ${ip.src} > ${ip.dst} fragment proto ${ip.protocol}`;
      return out;
    }
    if (ip.protocol === IpProtocol.Tcp) {
      const h = tcp.decode(data, ip.payloadOffset);
      inner.srcPort = h.srcPort;
      inner.dstPort = h.dstPort;
      inner.tcpFlags = tcpFlagsText(h.flags);
      const len = data.length - ip.payloadOffset - tcp.decode.bytes;
      out.summary = `${family} ${endpoint(ip.src, h.srcPort)} > ${endpoint(ip.dst, h.dstPort)} TCP [${inner.tcpFlags}] len ${len}`;
    } else if (ip.protocol === IpProtocol.Udp) {
      const h = udp.decode(data, ip.payloadOffset);
      inner.srcPort = h.srcPort;
      inner.dstPort = h.dstPort;
      out.summary = `${family} ${endpoint(ip.src, h.srcPort)} > ${endpoint(ip.dst, h.dstPort)} UDP len ${h.length - udp.UDP_HEADER_LENGTH}`;
    } else if (ip.protocol === IpProtocol.Icmp || ip.protocol === IpProtocol.Icmpv6) {
      inner.icmp = icmpSummary(data, ip.payloadOffset, ip.protocol === IpProtocol.Icmpv6);
      out.summary = `${family} ${ip.src} > ${ip.dst} ${icmpText(inner.icmp, ip.version)} ttl ${ip.ttl}`;
    } else {
      out.summary = `${family} ${ip.src} > ${ip.dst} proto ${ip.protocol}`;
    }
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    out.error = e.message;
    out.summary = `${out.summary ? `${out.summary} ` : ''}[${e.message}]`;
  }
  return out;
}

function arpText(p: ArpPacket): string {
  if (p.operation === ArpOperation.Request) {
    // RFC 5227 §2.1: a probe has sender IP 0; an announcement asks for its own address.
    if (p.senderIp === p.targetIp) return `ARP announce ${p.senderIp}`;
    if (p.senderIp === '0.0.0.0') return `ARP probe who-has ${p.targetIp}`;
    return `ARP who-has ${p.targetIp} tell ${p.senderIp}`;
  }
  if (p.operation === ArpOperation.Reply) return `ARP ${p.senderIp} is-at ${p.senderMac}`;
  return `ARP operation ${p.operation} ${p.senderIp} (${p.senderMac}) > ${p.targetIp} (${p.targetMac})`;
}

function icmpSummary(buf: Buffer, offset: number, v6: boolean): IcmpSummary {
  ensureBytes(buf, offset, 4, v6 ? 'ICMPv6 header' : 'ICMP header');
  const type = buf[offset]!;
  const code = buf[offset + 1]!;
  const names = v6 ? ICMPV6_NAMES : ICMP_NAMES;
  const s: IcmpSummary = { type, code, name: names[type] ?? `type ${type}` };
  const echo = v6 ? type === 128 || type === 129 : type === 0 || type === 8;
  if (echo && buf.length - offset >= 8) {
    s.id = buf.readUInt16BE(offset + 4);
    s.seq = buf.readUInt16BE(offset + 6);
  }
  // RFC 4861 §4.3/§4.4: NS/NA carry the target address after 4 reserved/flag bytes.
  if (v6 && (type === 135 || type === 136) && buf.length - offset >= 24) s.target = formatIpv6(buf, offset + 8);
  return s;
}

function icmpText(s: IcmpSummary, version: 4 | 6): string {
  const proto = version === 4 ? 'ICMP' : 'ICMP6';
  let text = `${proto} ${s.name}`;
  if (s.id !== undefined) text += ` id ${s.id} seq ${s.seq}`;
  if (s.target !== undefined) text += s.type === 135 ? ` who-has ${s.target}` : ` tgt ${s.target}`;
  if (s.code !== 0) text += ` code ${s.code}`;
  return text;
}
