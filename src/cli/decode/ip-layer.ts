// The network layer of a captured packet: IPv4 (RFC 791) or IPv6 (RFC 8200)
// with its extension headers walked, down to the upper-layer protocol. The
// payload ends where the IP header says (Total Length / Payload Length), not
// where the frame ends: Ethernet pads short frames to 60 bytes.

import { EtherType } from '../../wire/ethernet.js';
import * as ipv4 from '../../wire/ipv4.js';
import { IpProtocol } from '../../wire/ipv4.js';
import * as ipv6 from '../../wire/ipv6.js';
import { ensureBytes, frameError } from '../../wire/wire-error.js';

export interface IpPacket {
  version: 4 | 6;
  src: string;
  dst: string;
  /** Upper-layer protocol after any IPv6 extension headers. */
  protocol: number;
  ttl: number;
  /** Offset of the upper-layer header. */
  payloadOffset: number;
  /** End of the IP packet in the buffer (never past the captured bytes). */
  payloadEnd: number;
  /** A fragment other than the first, or a first fragment: the upper layer is incomplete. */
  fragment: 'none' | 'first' | 'later';
  /** The captured bytes stop before the packet's stated end (snap length). */
  truncated: boolean;
}

/** Decode the IP header at `offset` (frame bytes end at `end`); null for non-IP EtherTypes. */
export function decodeIp(buf: Buffer, offset: number, end: number, etherType: number): IpPacket | null {
  if (etherType === EtherType.Ipv4) return decodeIpv4(buf.subarray(0, end), offset);
  if (etherType === EtherType.Ipv6) return decodeIpv6(buf.subarray(0, end), offset);
  return null;
}

function decodeIpv4(buf: Buffer, offset: number): IpPacket {
  const h = ipv4.decode(buf, offset);
  const headerLength = ipv4.decode.bytes;
  const stated = offset + h.totalLength;
  const fragment = h.fragmentOffset > 0 ? 'later' : h.moreFragments ? 'first' : 'none';
  return {
    version: 4,
    src: h.src,
    dst: h.dst,
    protocol: h.protocol,
    ttl: h.ttl,
    payloadOffset: offset + headerLength,
    payloadEnd: Math.min(stated, buf.length),
    fragment,
    truncated: stated > buf.length,
  };
}

/** RFC 8200 §4: extension headers with the generic (next header, length in 8-octet units) layout. */
const GENERIC_EXTENSIONS: ReadonlySet<number> = new Set([
  IpProtocol.HopByHop,
  IpProtocol.Ipv6Routing,
  IpProtocol.Ipv6DestinationOptions,
  135, // Mobility (RFC 6275)
  139, // HIP (RFC 7401)
  140, // Shim6 (RFC 5533)
]);

function decodeIpv6(buf: Buffer, offset: number): IpPacket {
  const h = ipv6.decode(buf, offset);
  const stated = offset + ipv6.IPV6_HEADER_LENGTH + h.payloadLength;
  let next = h.nextHeader;
  let o = offset + ipv6.IPV6_HEADER_LENGTH;
  let fragment: IpPacket['fragment'] = 'none';
  // Bounded by the packet length: every extension header is at least 8 bytes.
  for (;;) {
    if (GENERIC_EXTENSIONS.has(next)) {
      ensureBytes(buf, o, 2, 'IPv6 extension header');
      const length = (buf[o + 1]! + 1) * 8;
      ensureBytes(buf, o, length, 'IPv6 extension header');
      next = buf[o]!;
      o += length;
    } else if (next === IpProtocol.Ipv6Fragment) {
      // RFC 8200 §4.5: next header, reserved, offset (13 bits) | res | M, identification.
      ensureBytes(buf, o, 8, 'IPv6 fragment header');
      const field = buf.readUInt16BE(o + 2);
      fragment = field >> 3 > 0 ? 'later' : (field & 1) === 1 ? 'first' : 'none';
      next = buf[o]!;
      o += 8;
    } else if (next === IpProtocol.Ah) {
      // RFC 4302 §2.2: payload length in 4-octet units, minus 2.
      ensureBytes(buf, o, 2, 'IPv6 AH header');
      const length = (buf[o + 1]! + 2) * 4;
      ensureBytes(buf, o, length, 'IPv6 AH header');
      next = buf[o]!;
      o += length;
    } else {
      break;
    }
    if (fragment === 'later') break;
  }
  if (o > stated && stated <= buf.length) throw frameError('IPv6: extension headers run past the payload length', o);
  return {
    version: 6,
    src: h.src,
    dst: h.dst,
    protocol: next,
    ttl: h.hopLimit,
    payloadOffset: o,
    payloadEnd: Math.min(stated, buf.length),
    fragment,
    truncated: stated > buf.length,
  };
}
