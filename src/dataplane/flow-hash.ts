// UDP source port for a VXLAN datagram: a hash of the inner frame's flow, so
// an ECMP underlay spreads flows while each flow stays on one path
// (RFC 7348 §5: "it is recommended that the UDP source port number be
// calculated using a hash of fields from the inner packet"). goplane used one
// fixed port per VTEP, which defeats ECMP (EVPN-NOTES.md).
//
// Hashed: the inner MACs and EtherType always; for IPv4 also the addresses,
// the protocol and (first fragments, TCP/UDP/SCTP) the ports; for IPv6 the
// addresses, next header and ports. No allocation; integer math only.

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;

function mix(h: number, k: number): number {
  // murmur3 32-bit block mix
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function u32(b: Uint8Array, o: number): number {
  return (b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!;
}

/** 32-bit hash of the flow of the Ethernet frame at buf[offset..offset+length). */
export function flowHash(buf: Uint8Array, offset: number, length: number): number {
  let h = 0x9747b28c;
  h = mix(h, u32(buf, offset));
  h = mix(h, u32(buf, offset + 4));
  h = mix(h, u32(buf, offset + 8));
  let l3 = offset + 14;
  let etherType = (buf[offset + 12]! << 8) | buf[offset + 13]!;
  if (etherType === ETHERTYPE_VLAN && length >= 18) {
    etherType = (buf[offset + 16]! << 8) | buf[offset + 17]!;
    l3 += 4;
  }
  h = mix(h, etherType);
  const end = offset + length;
  if (etherType === ETHERTYPE_IPV4 && l3 + 20 <= end) {
    const ihl = (buf[l3]! & 0x0f) << 2;
    const proto = buf[l3 + 9]!;
    h = mix(h, u32(buf, l3 + 12));
    h = mix(h, u32(buf, l3 + 16));
    h = mix(h, proto);
    const fragOffset = ((buf[l3 + 6]! & 0x1f) << 8) | buf[l3 + 7]!;
    if (fragOffset === 0 && (proto === 6 || proto === 17 || proto === 132) && l3 + ihl + 4 <= end) {
      h = mix(h, u32(buf, l3 + ihl));
    }
  } else if (etherType === ETHERTYPE_IPV6 && l3 + 40 <= end) {
    for (let i = 8; i < 40; i += 4) h = mix(h, u32(buf, l3 + i));
    const next = buf[l3 + 6]!;
    h = mix(h, next);
    if ((next === 6 || next === 17 || next === 132) && l3 + 44 <= end) h = mix(h, u32(buf, l3 + 40));
  }
  return fmix(h);
}

/** Map a flow hash into [low, high] (RFC 7348 §5 suggests the dynamic range 49152-65535). */
export function sourcePort(hash: number, low: number, span: number): number {
  return low + (hash % span);
}
