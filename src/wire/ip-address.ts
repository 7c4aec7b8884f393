// IPv4 and IPv6 addresses: text <-> bytes. IPv6 text follows RFC 5952
// (lowercase, longest run of zero groups compressed, IPv4-mapped as ::ffff:a.b.c.d)
// through node:net's canonical form, so output matches FRR, GoBGP and iproute2.

import { isIPv4, isIPv6, SocketAddress } from 'node:net';

export function formatIpv4(buf: Uint8Array, offset = 0): string {
  return `${buf[offset]}.${buf[offset + 1]}.${buf[offset + 2]}.${buf[offset + 3]}`;
}

export function formatIpv6(buf: Uint8Array, offset = 0): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((buf[offset + i]! << 8) | buf[offset + i + 1]!).toString(16));
  // node:net prints the RFC 5952 canonical form of any valid address.
  return new SocketAddress({ address: groups.join(':'), family: 'ipv6' }).address;
}

/** Format 4 or 16 bytes as an address. */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return formatIpv4(bytes);
  if (bytes.length === 16) return formatIpv6(bytes);
  throw new TypeError(`an IP address is 4 or 16 bytes, got ${bytes.length}`);
}

export function parseIpv4(text: string): Buffer {
  if (!isIPv4(text)) throw new TypeError(`not an IPv4 address: "${text}"`);
  return Buffer.from(text.split('.').map((p) => Number(p)));
}

export function parseIpv6(text: string): Buffer {
  if (!isIPv6(text)) throw new TypeError(`not an IPv6 address: "${text}"`);
  let t = text;
  // Embedded IPv4 tail (::ffff:1.2.3.4): turn into two hex groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4) {
    const b = parseIpv4(v4[1]!);
    t = t.slice(0, -v4[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = t.includes('::') ? t.split('::') : [t, undefined];
  const h = head ? head.split(':') : [];
  const tl = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - tl.length).fill('0'), ...tl];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** Parse either family; 4 or 16 bytes. */
export function parseIp(text: string): Buffer {
  if (isIPv4(text)) return parseIpv4(text);
  if (isIPv6(text)) return parseIpv6(text);
  throw new TypeError(`not an IP address: "${text}"`);
}

export function isIp(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}
