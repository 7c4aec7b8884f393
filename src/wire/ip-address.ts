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

/**
 * Write dotted-quad text as 4 bytes at `offset`. Hand-rolled (no regex, no
 * split) because every encoded route parses its next hop and RD this way.
 * Returns false, writing nothing useful, when the text is not an address.
 */
function writeIpv4Checked(text: string, buf: Uint8Array, offset: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      // No leading zeros ("01" is ambiguous: octal in some parsers), as node:net.
      if (digits === 1 && value === 0) return false;
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else if (c === 46 && digits > 0 && part < 3) {
      buf[offset + part++] = value;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  if (part !== 3 || digits === 0) return false;
  buf[offset + 3] = value;
  return true;
}

/** Write an IPv4 address given as text into buf at offset; throws TypeError on bad text. */
export function writeIpv4(text: string, buf: Uint8Array, offset: number): void {
  if (!writeIpv4Checked(text, buf, offset)) throw new TypeError(`not an IPv4 address: "${text}"`);
}

export function parseIpv4(text: string): Buffer {
  const out = Buffer.allocUnsafe(4);
  writeIpv4(text, out, 0);
  return out;
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
  const v4 = Buffer.allocUnsafe(4);
  if (writeIpv4Checked(text, v4, 0)) return v4;
  if (isIPv6(text)) return parseIpv6(text);
  throw new TypeError(`not an IP address: "${text}"`);
}

export function isIp(text: string): boolean {
  return isIPv4(text) || isIPv6(text);
}
