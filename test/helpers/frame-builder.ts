// Frames for hand-made captures (pcap.encode), built with the project's own
// encoders: Ethernet (optionally VLAN-tagged) + IPv4 (or IPv6) + TCP/UDP.
// Checksums are left zero for TCP/UDP (the decoder does not verify them, as
// tshark by default does not); the IPv4 header checksum is computed by the
// codec.

import * as ethernet from '../../src/wire/ethernet.js';
import { EtherType } from '../../src/wire/ethernet.js';
import * as ipv4 from '../../src/wire/ipv4.js';
import { IpProtocol } from '../../src/wire/ipv4.js';
import * as ipv6 from '../../src/wire/ipv6.js';
import * as tcp from '../../src/wire/tcp.js';
import * as udp from '../../src/wire/udp.js';
import * as vxlan from '../../src/wire/vxlan.js';

export interface Endpoints {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
}

function ipPacket(src: string, dst: string, protocol: number, l4: Buffer): Buffer {
  const header = ipv4.encode({
    dscp: 0,
    ecn: 0,
    totalLength: 20 + l4.length,
    identification: 1,
    reservedFlag: false,
    dontFragment: true,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: 64,
    protocol,
    src,
    dst,
    options: Buffer.alloc(0),
  });
  return Buffer.concat([header, l4]);
}

export function ethernetFrame(etherType: number, payload: Buffer, vlan?: number): Buffer {
  const header = ethernet.encode({
    dst: '02:00:00:00:00:fe',
    src: '02:00:00:00:00:01',
    vlans: vlan === undefined ? [] : [{ tpid: EtherType.Vlan, pcp: 0, dei: false, vid: vlan }],
    etherType,
  });
  return Buffer.concat([header, payload]);
}

/**
 * Ethernet + an IPv4 or IPv6 header + `l4` (a transport header and its
 * payload, copied), between fixed documentation addresses. The IP header
 * starts at ETH_HEADER_LENGTH; the transport header 20 or 40 bytes later.
 */
export function ipFrame(family: 4 | 6, protocol: number, l4: Buffer): Buffer {
  if (family === 4) return ethernetFrame(EtherType.Ipv4, ipPacket('10.212.0.1', '10.212.0.2', protocol, l4));
  const header = ipv6.encode({
    trafficClass: 0,
    flowLabel: 0,
    payloadLength: l4.length,
    nextHeader: protocol,
    hopLimit: 64,
    src: '2001:db8::1',
    dst: '2001:db8::2:0:0:2',
  });
  return ethernetFrame(EtherType.Ipv6, Buffer.concat([header, l4]));
}

/** The IPv4 packet of a TCP segment (no link layer). */
export function tcpPacket(e: Endpoints, seq: number, flags: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const header = tcp.encode({
    srcPort: e.srcPort,
    dstPort: e.dstPort,
    seq: seq >>> 0,
    ack: 0,
    reserved: 0,
    flags,
    window: 65535,
    checksum: 0,
    urgentPointer: 0,
    options: Buffer.alloc(0),
  });
  return ipPacket(e.src, e.dst, IpProtocol.Tcp, Buffer.concat([header, payload]));
}

export function tcpFrame(e: Endpoints, seq: number, flags: number, payload: Buffer = Buffer.alloc(0), vlan?: number): Buffer {
  return ethernetFrame(EtherType.Ipv4, tcpPacket(e, seq, flags, payload), vlan);
}

/** The IPv4 packet of a VXLAN datagram carrying `inner` (an Ethernet frame). */
export function vxlanPacket(e: Endpoints, vni: number, inner: Buffer): Buffer {
  const body = Buffer.concat([vxlan.encode({ vni }), inner]);
  const header = udp.encode({ srcPort: e.srcPort, dstPort: e.dstPort, length: 8 + body.length, checksum: 0 });
  return ipPacket(e.src, e.dst, IpProtocol.Udp, Buffer.concat([header, body]));
}

/** Reverse direction of a connection. */
export function reverse(e: Endpoints): Endpoints {
  return { src: e.dst, dst: e.src, srcPort: e.dstPort, dstPort: e.srcPort };
}

/** A VXLAN payload (header + inner frame) of `vni`: a 60-byte broadcast from `srcMac`, local experimental EtherType. */
export function vxlanBroadcast(vni: number, srcMac: string): Buffer {
  const inner = Buffer.alloc(60);
  ethernet.encode({ dst: 'ff:ff:ff:ff:ff:ff', src: srcMac, vlans: [], etherType: 0x88b5 }, inner);
  return Buffer.concat([vxlan.encode({ vni }), inner]);
}
