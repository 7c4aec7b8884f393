// Reading what the namespace tests capture with tcpdump, through our own
// codecs (src/wire): the VXLAN datagrams on an underlay, and the inner
// frames' ICMP echoes, whose ping pattern (ping -p) tells test flows apart.

import * as ethernet from '../../src/wire/ethernet.js';
import * as ipv4 from '../../src/wire/ipv4.js';
import * as udp from '../../src/wire/udp.js';
import * as vxlan from '../../src/wire/vxlan.js';
import * as arp from '../../src/wire/arp.js';
import { EtherType } from '../../src/wire/ethernet.js';
import { IpProtocol } from '../../src/wire/ipv4.js';
import { LinkType, type PcapFile } from '../../src/wire/pcap.js';

export interface VxlanDatagram {
  /** Frame number in the capture (from 1). */
  number: number;
  outerSrc: string;
  outerDst: string;
  srcPort: number;
  dstPort: number;
  /** First header byte (RFC 7348 §5: 0x08 = I flag). */
  flags: number;
  vni: number;
  /** The inner Ethernet frame (a view of the capture). */
  inner: Buffer;
}

function ethernetFrames(file: PcapFile): Array<{ number: number; data: Buffer }> {
  if (file.header.linkType !== LinkType.Ethernet) {
    throw new Error(`capture link type ${file.header.linkType}, expected Ethernet (1)`);
  }
  return file.records.map((r) => ({ number: r.number, data: r.data }));
}

/**
 * Every IPv4/UDP datagram to one of `ports` that holds at least a VXLAN
 * header. Other frames (ARP on the underlay, ICMP errors) are skipped.
 */
export function vxlanDatagrams(file: PcapFile, ports: readonly number[] = [4789, 8472]): VxlanDatagram[] {
  const out: VxlanDatagram[] = [];
  for (const { number, data } of ethernetFrames(file)) {
    const eth = ethernet.decode(data, 0);
    if (eth.etherType !== EtherType.Ipv4) continue;
    const ipOff = ethernet.decode.bytes;
    const ip = ipv4.decode(data, ipOff);
    if (ip.protocol !== IpProtocol.Udp || ip.fragmentOffset !== 0) continue;
    const udpOff = ipOff + ipv4.decode.bytes;
    const u = udp.decode(data, udpOff);
    if (!ports.includes(u.dstPort)) continue;
    const vxOff = udpOff + udp.UDP_HEADER_LENGTH;
    const end = Math.min(data.length, udpOff + u.length);
    if (end - vxOff < vxlan.VXLAN_HEADER_LENGTH) continue;
    out.push({
      number,
      outerSrc: ip.src,
      outerDst: ip.dst,
      srcPort: u.srcPort,
      dstPort: u.dstPort,
      flags: data[vxOff]!,
      vni: vxlan.readVni(data, vxOff),
      inner: data.subarray(vxOff + vxlan.VXLAN_HEADER_LENGTH, end),
    });
  }
  return out;
}

/** The Ethernet frames of a capture (host-side captures). */
export function frames(file: PcapFile): Buffer[] {
  return ethernetFrames(file).map((f) => f.data);
}

export interface IcmpEcho {
  src: string;
  dst: string;
  /** 8 = echo request, 0 = echo reply. */
  type: number;
  payload: Buffer;
}

/** The ICMPv4 message of an Ethernet frame, or undefined when it carries none. */
export function icmpv4(frame: Buffer): IcmpEcho | undefined {
  if (frame.length < ethernet.ETH_HEADER_LENGTH || ethernet.isTruncated(frame, 0, frame.length)) return undefined;
  const eth = ethernet.decode(frame, 0);
  if (eth.etherType !== EtherType.Ipv4) return undefined;
  const ipOff = ethernet.decode.bytes;
  if (frame.length < ipOff + ipv4.IPV4_MIN_HEADER_LENGTH) return undefined;
  const ip = ipv4.decode(frame, ipOff);
  if (ip.protocol !== IpProtocol.Icmp) return undefined;
  const icmpOff = ipOff + ipv4.decode.bytes;
  if (frame.length < icmpOff + 8) return undefined;
  return { src: ip.src, dst: ip.dst, type: frame[icmpOff]!, payload: frame.subarray(icmpOff + 8, ipOff + ip.totalLength) };
}

/** True when the frame is an ARP packet (IPv4 over Ethernet). */
export function isArp(frame: Buffer): boolean {
  if (frame.length < ethernet.ETH_HEADER_LENGTH || ethernet.isTruncated(frame, 0, frame.length)) return false;
  if (ethernet.readEtherType(frame, 0) !== EtherType.Arp) return false;
  const off = ethernet.headerLength(frame, 0);
  return frame.length >= off + arp.ARP_LENGTH && arp.isEthernetIpv4(frame, off);
}

/**
 * The pad byte of a ping payload made with `ping -p XX`: iputils fills the
 * payload after its timestamp with the pattern, so the last 16 bytes are
 * all that byte. undefined when they are not all equal (not such a ping).
 */
export function pingPattern(payload: Buffer): number | undefined {
  if (payload.length < 24) return undefined;
  const tail = payload.subarray(payload.length - 16);
  const b = tail[0]!;
  return tail.every((x) => x === b) ? b : undefined;
}
