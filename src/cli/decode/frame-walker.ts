// One captured frame down to its transport payload: link layer, IPv4/IPv6,
// then TCP or UDP. What `vxswitch decode` needs from every frame: the
// endpoints, the TCP sequence number and flags (for stream reassembly), and
// the payload bytes as a view of the capture.

import * as tcp from '../../wire/tcp.js';
import { TcpFlag } from '../../wire/tcp.js';
import * as udp from '../../wire/udp.js';
import { IpProtocol } from '../../wire/ipv4.js';
import { WireError } from '../../wire/wire-error.js';
import { decodeIp, type IpPacket } from './ip-layer.js';
import { decodeLinkLayer } from './link-layer.js';

export interface TcpSegment {
  kind: 'tcp';
  ip: IpPacket;
  srcPort: number;
  dstPort: number;
  seq: number;
  /** Acknowledgment number; meaningful when `flags` has ACK. */
  ack: number;
  flags: number;
  syn: boolean;
  payload: Buffer;
}

export interface UdpDatagram {
  kind: 'udp';
  ip: IpPacket;
  srcPort: number;
  dstPort: number;
  payload: Buffer;
}

export type WalkedFrame =
  | TcpSegment
  | UdpDatagram
  /** Not TCP/UDP over IP, or an IP fragment after the first. */
  | { kind: 'other'; ip?: IpPacket }
  /** A header was cut or invalid; `ip` is set when the IP header was readable. */
  | { kind: 'error'; error: WireError; layer: string; ip?: IpPacket };

export function walkFrame(linkType: number, frame: Buffer): WalkedFrame {
  let layer = 'link layer';
  let ip: IpPacket | null = null;
  try {
    const link = decodeLinkLayer(linkType, frame);
    layer = 'IP';
    ip = decodeIp(frame, link.offset, frame.length, link.etherType);
    if (ip === null || ip.fragment === 'later') return ip === null ? { kind: 'other' } : { kind: 'other', ip };
    const data = frame.subarray(0, ip.payloadEnd);
    if (ip.protocol === IpProtocol.Tcp) {
      layer = 'TCP';
      const h = tcp.decode(data, ip.payloadOffset);
      return {
        kind: 'tcp',
        ip,
        srcPort: h.srcPort,
        dstPort: h.dstPort,
        seq: h.seq,
        ack: h.ack,
        flags: h.flags,
        syn: (h.flags & TcpFlag.Syn) !== 0,
        payload: data.subarray(ip.payloadOffset + tcp.decode.bytes),
      };
    }
    if (ip.protocol === IpProtocol.Udp) {
      layer = 'UDP';
      const h = udp.decode(data, ip.payloadOffset);
      // The UDP length bounds the datagram (IP may carry trailing bytes); a cut capture keeps what it has.
      const end = Math.min(ip.payloadOffset + h.length, data.length);
      return {
        kind: 'udp',
        ip,
        srcPort: h.srcPort,
        dstPort: h.dstPort,
        payload: data.subarray(ip.payloadOffset + udp.UDP_HEADER_LENGTH, end),
      };
    }
    return { kind: 'other', ip };
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    return ip === null ? { kind: 'error', error: e, layer } : { kind: 'error', error: e, layer, ip };
  }
}
