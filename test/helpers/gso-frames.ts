// Frames as a host's stack hands them to a port with virtio-net headers:
// a GSO super-frame (TCP or UDP payload far above the MTU, headers of the
// first segment, the L4 checksum field holding the pseudo-header sum) and
// its virtio_net_hdr. Built with the project's encoders; the checks decode
// segments with the same wire views the codec tests hold against tshark.
import assert from 'node:assert/strict';
import { EtherType } from '../../src/wire/ethernet.js';
import { fold, onesComplementSum } from '../../src/wire/inet-checksum.js';
import { Segmenter } from '../../src/dataplane/gso.js';
import * as ethernet from '../../src/wire/ethernet.js';
import * as ipv4 from '../../src/wire/ipv4.js';
import { IpProtocol } from '../../src/wire/ipv4.js';
import * as ipv6 from '../../src/wire/ipv6.js';
import * as tcp from '../../src/wire/tcp.js';
import * as udp from '../../src/wire/udp.js';
import * as vnetHdr from '../../src/wire/virtio-net-hdr.js';
import * as vxlan from '../../src/wire/vxlan.js';
import { ethernetFrame } from './frame-builder.js';

export interface SuperFrame {
  frame: Buffer;
  vnet: Buffer;
  /** Offset of the L3 / L4 header in frame. */
  l3: number;
  l4: number;
  payload: Buffer;
}

export interface SuperFrameOptions {
  family: 4 | 6;
  protocol: 'tcp' | 'udp';
  payloadLength: number;
  gsoSize: number;
  vlan?: number;
  /** TCP flags of the super-frame (default ACK|PSH). */
  flags?: number;
  seq?: number;
  /** TCP options bytes (a multiple of 4). */
  options?: Buffer;
  ecn?: boolean;
}

export function payloadBytes(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export function superFrame(o: SuperFrameOptions): SuperFrame {
  const payload = payloadBytes(o.payloadLength, o.payloadLength + o.gsoSize);
  let l4: Buffer;
  if (o.protocol === 'tcp') {
    const header = tcp.encode({
      srcPort: 40000,
      dstPort: 5201,
      seq: (o.seq ?? 0xfffff000) >>> 0,
      ack: 12345,
      reserved: 0,
      flags: o.flags ?? tcp.TcpFlag.Ack | tcp.TcpFlag.Psh,
      window: 512,
      checksum: 0,
      urgentPointer: 0,
      options: o.options ?? Buffer.alloc(0),
    });
    l4 = Buffer.concat([header, payload]);
  } else {
    l4 = Buffer.concat([udp.encode({ srcPort: 40000, dstPort: 5201, length: 8 + payload.length, checksum: 0 }), payload]);
  }
  let ip: Buffer;
  if (o.family === 4) {
    ip = ipv4.encode({
      dscp: 0,
      ecn: 0,
      totalLength: 20 + l4.length,
      identification: 0xfff0,
      reservedFlag: false,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 64,
      protocol: o.protocol === 'tcp' ? IpProtocol.Tcp : IpProtocol.Udp,
      src: '10.213.1.1',
      dst: '10.213.1.2',
      options: Buffer.alloc(0),
    });
  } else {
    ip = ipv6.encode({
      trafficClass: 0,
      flowLabel: 7,
      payloadLength: l4.length,
      nextHeader: o.protocol === 'tcp' ? IpProtocol.Tcp : IpProtocol.Udp,
      hopLimit: 64,
      src: 'fd00:213::1',
      dst: 'fd00:213::2',
    });
  }
  const frame = ethernetFrame(o.family === 4 ? EtherType.Ipv4 : EtherType.Ipv6, Buffer.concat([ip, l4]), o.vlan);
  const l3 = o.vlan === undefined ? 14 : 18;
  const l4At = l3 + ip.length;
  // The partial checksum: the pseudo-header sum (not complemented), as the stack leaves it.
  const proto = o.protocol === 'tcp' ? IpProtocol.Tcp : IpProtocol.Udp;
  const pseudo =
    o.family === 4 ? ipv4.pseudoHeaderSum(frame, l3, proto, l4.length) : ipv6.pseudoHeaderSum(frame, l3, proto, l4.length);
  frame.writeUInt16BE(pseudo, l4At + (o.protocol === 'tcp' ? 16 : 6));
  const gsoType = o.protocol === 'udp' ? vnetHdr.VNET_GSO_UDP_L4 : o.family === 4 ? vnetHdr.VNET_GSO_TCPV4 : vnetHdr.VNET_GSO_TCPV6;
  const vnet = vnetHdr.encode({
    needsChecksum: true,
    dataValid: false,
    gsoType: o.payloadLength > o.gsoSize ? gsoType : vnetHdr.VNET_GSO_NONE,
    ecn: o.ecn ?? false,
    hdrLen: l4At + (o.protocol === 'tcp' ? 20 + (o.options?.length ?? 0) : 8),
    gsoSize: o.payloadLength > o.gsoSize ? o.gsoSize : 0,
    csumStart: l4At,
    csumOffset: o.protocol === 'tcp' ? 16 : 6,
  });
  return { frame, vnet, l3, l4: l4At, payload };
}

export interface CheckedSegment {
  payload: Buffer;
  seq: number;
  flags: number;
  id: number;
}

/**
 * Decode one segment (an Ethernet frame starting at `at`, `len` bytes) as a
 * host would receive it: IP header checksum (IPv4), IP length, L4 checksum.
 * Asserts each; returns what it carries.
 */
export function checkSegment(buf: Buffer, at: number, len: number, family: 4 | 6, protocol: 'tcp' | 'udp', l3Offset: number): CheckedSegment {
  const f = buf.subarray(at, at + len);
  const l3 = l3Offset;
  let l4: number;
  let id = 0;
  let l4Length: number;
  let pseudo: number;
  const proto = protocol === 'tcp' ? IpProtocol.Tcp : IpProtocol.Udp;
  if (family === 4) {
    assert.ok(ipv4.isHeaderChecksumValid(f, l3), 'IPv4 header checksum');
    const total = ipv4.readTotalLength(f, l3);
    assert.equal(total, len - l3, 'IPv4 total length = segment length');
    id = f.readUInt16BE(l3 + 4);
    l4 = l3 + ipv4.readHeaderLength(f, l3);
    l4Length = total - (l4 - l3);
    pseudo = ipv4.pseudoHeaderSum(f, l3, proto, l4Length);
  } else {
    const pl = f.readUInt16BE(l3 + 4);
    assert.equal(pl, len - l3 - 40, 'IPv6 payload length');
    l4 = l3 + 40;
    l4Length = pl;
    pseudo = ipv6.pseudoHeaderSum(f, l3, proto, l4Length);
  }
  // A correct checksum makes the sum over pseudo-header + L4 all ones.
  assert.equal(fold(onesComplementSum(f, l4, l4Length, pseudo)), 0xffff, `${protocol} checksum of a ${len}-byte segment`);
  if (protocol === 'tcp') {
    const thl = tcp.readHeaderLength(f, l4);
    return { payload: Buffer.from(f.subarray(l4 + thl)), seq: f.readUInt32BE(l4 + 4), flags: f[l4 + 13]!, id };
  }
  assert.equal(udp.readLength(f, l4), l4Length, 'UDP length');
  return { payload: Buffer.from(f.subarray(l4 + 8)), seq: 0, flags: 0, id };
}

export interface VxlanTcpRun {
  /** The datagrams end to end, each `size` bytes but the last. */
  run: Buffer;
  size: number;
  sf: SuperFrame;
  count: number;
}

/** A super-frame's segments as VXLAN datagrams of `vni`, laid end to end as a sender's UDP GSO run. */
export function vxlanTcpRun(sf: SuperFrame, vni: number): VxlanTcpRun {
  const seg = new Segmenter();
  const v = vnetHdr.decode(sf.vnet);
  const room = seg.room(sf.frame, 0, sf.frame.length, v.gsoType, v.gsoSize, v.csumStart, vxlan.VXLAN_HEADER_LENGTH);
  const out = Buffer.alloc(room);
  assert.ok(seg.segment(sf.frame, 0, sf.frame.length, v.gsoType, v.gsoSize, v.csumStart, out, new DataView(out.buffer), 0, vxlan.VXLAN_HEADER_LENGTH));
  for (let k = 0; k < seg.count; k++) vxlan.encode({ vni }, out, k * seg.stride);
  return { run: out, size: seg.stride, sf, count: seg.count };
}

/** The virtio_net_hdr of a UDP GSO run of `size`-byte datagrams behind Ethernet + IPv4 + UDP; trusted: the kernel vouches for the checksums. */
export function udpGsoRunVnet(size: number, trusted: boolean): Buffer {
  return vnetHdr.encode({ needsChecksum: trusted, dataValid: false, gsoType: vnetHdr.VNET_GSO_UDP_L4, ecn: false, hdrLen: 42, gsoSize: size, csumStart: 34, csumOffset: 6 });
}

/** Ethernet (to `dstMac`) + IPv4 + UDP from `src`:50000 to `dst`:4789 around `body`, as it arrives on the underlay link. */
export function underlayFrame(src: string, dst: string, dstMac: string, body: Buffer): Buffer {
  const udpHeader = udp.encode({ srcPort: 50000, dstPort: 4789, length: 8 + body.length, checksum: 0 });
  const ip = ipv4.encode({ dscp: 0, ecn: 0, totalLength: 28 + body.length, identification: 0, reservedFlag: false, dontFragment: true, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.Udp, src, dst, options: Buffer.alloc(0) });
  const eth = ethernet.encode({ dst: dstMac, src: '02:00:00:00:00:09', vlans: [], etherType: EtherType.Ipv4 });
  return Buffer.concat([eth, ip, udpHeader, body]);
}

export interface TunnelSuperFrameOptions {
  /** The inner super-frame (Ethernet + IP + TCP/UDP), as superFrame() builds it. */
  inner: SuperFrameOptions;
  /** Family of the outer (the host's own tunnel's) IP header. */
  outer: 4 | 6;
  /** UDP destination port of the host's tunnel (4789 VXLAN, 8472 Linux's default, 6081 Geneve). */
  dstPort?: number;
  /** Bytes of tunnel header between the outer UDP header and the inner frame (VXLAN: 8; Geneve with options: more). */
  tunnelHeaderLength?: number;
  /** The outer UDP checksum is in use (SKB_GSO_UDP_TUNNEL_CSUM): the field holds the pseudo-header sum. Default: over IPv6 only. */
  outerChecksum?: boolean;
}

export interface TunnelSuperFrame extends SuperFrame {
  /** Offsets of the outer IP and UDP headers and of the inner frame. */
  outerL3: number;
  outerUdp: number;
  innerAt: number;
  outerChecksum: boolean;
  /** The inner super-frame alone. */
  inner: SuperFrame;
}

/**
 * A UDP-tunnel GSO super-frame as a host's own VXLAN/Geneve device hands it
 * to its eth0 (SKB_GSO_UDP_TUNNEL[_CSUM]): outer Ethernet + IP (id 0x7ffe) +
 * UDP + tunnel header around an inner super-frame, and the virtio_net_hdr
 * AF_PACKET gives for it: the inner gso_type, csum_start at the inner L4 header.
 */
export function tunnelSuperFrame(o: TunnelSuperFrameOptions): TunnelSuperFrame {
  const inner = superFrame(o.inner);
  const tunLen = o.tunnelHeaderLength ?? 8;
  const tun = Buffer.alloc(tunLen);
  if (tunLen >= 8) vxlan.encode({ vni: 77 }, tun, 0);
  const body = Buffer.concat([tun, inner.frame]);
  const csum = o.outerChecksum ?? o.outer === 6;
  const udpHeader = udp.encode({ srcPort: 51000, dstPort: o.dstPort ?? 4789, length: 8 + body.length, checksum: 0 });
  let ip: Buffer;
  if (o.outer === 4) {
    ip = ipv4.encode({ dscp: 0, ecn: 0, totalLength: 28 + body.length, identification: 0x7ffe, reservedFlag: false, dontFragment: false, moreFragments: false, fragmentOffset: 0, ttl: 64, protocol: IpProtocol.Udp, src: '10.216.1.1', dst: '10.216.1.2', options: Buffer.alloc(0) });
  } else {
    ip = ipv6.encode({ trafficClass: 0, flowLabel: 9, payloadLength: 8 + body.length, nextHeader: IpProtocol.Udp, hopLimit: 64, src: 'fd00:216:1::1', dst: 'fd00:216:1::2' });
  }
  const frame = ethernetFrame(o.outer === 4 ? EtherType.Ipv4 : EtherType.Ipv6, Buffer.concat([ip, udpHeader, body]), undefined);
  const outerL3 = 14;
  const outerUdp = outerL3 + ip.length;
  if (csum) {
    const len = 8 + body.length;
    const pseudo = o.outer === 4 ? ipv4.pseudoHeaderSum(frame, outerL3, IpProtocol.Udp, len) : ipv6.pseudoHeaderSum(frame, outerL3, IpProtocol.Udp, len);
    frame.writeUInt16BE(pseudo === 0 ? 0xffff : pseudo, outerUdp + 6);
  }
  const innerAt = outerUdp + 8 + tunLen;
  const v = vnetHdr.decode(inner.vnet);
  const vnet = vnetHdr.encode({ ...v, hdrLen: v.hdrLen + innerAt, csumStart: v.csumStart + innerAt });
  return { frame, vnet, l3: innerAt + inner.l3, l4: innerAt + inner.l4, payload: inner.payload, outerL3, outerUdp, innerAt, outerChecksum: csum, inner };
}

/**
 * Check one segment of a tunnel super-frame's outer headers as the
 * receiving host would (outer IPv4 header checksum and length, IPv6 payload
 * length, UDP length, UDP checksum: 0 allowed over IPv4 only), then its inner
 * frame with checkSegment. Returns the inner segment and the outer IPv4 id.
 */
export function checkTunnelSegment(buf: Buffer, at: number, len: number, t: TunnelSuperFrame, o: TunnelSuperFrameOptions): CheckedSegment & { outerId: number } {
  const f = buf.subarray(at, at + len);
  const l3 = t.outerL3;
  const u = t.outerUdp;
  let outerId = 0;
  if (o.outer === 4) {
    assert.ok(ipv4.isHeaderChecksumValid(f, l3), 'outer IPv4 header checksum');
    assert.equal(ipv4.readTotalLength(f, l3), len - l3, 'outer IPv4 total length');
    outerId = f.readUInt16BE(l3 + 4);
  } else {
    assert.equal(f.readUInt16BE(l3 + 4), len - l3 - 40, 'outer IPv6 payload length');
  }
  assert.equal(udp.readLength(f, u), len - u, 'outer UDP length');
  const ok = o.outer === 4 ? udp.verifyChecksumOverIpv4(f, l3, u, len - u) : udp.verifyChecksumOverIpv6(f, l3, u, len - u);
  assert.ok(ok, `outer UDP checksum of a ${len}-byte segment`);
  if (!t.outerChecksum && o.outer === 4) assert.equal(udp.readChecksum(f, u), 0, 'no outer UDP checksum over IPv4: it stays 0');
  const inner = checkSegment(f, t.innerAt, len - t.innerAt, o.inner.family, o.inner.protocol, 14);
  return { ...inner, outerId };
}
