// Numeric order of IP addresses given as text, for the tie-breaks that say
// "lowest address": RFC 4271 §9.1.2.2 f/g (BGP Identifier, peer address),
// RFC 7432 §15.1 (MAC mobility: equal sequence numbers, the lower VTEP IP
// wins). Comparing the text would put "10.0.0.10" before "10.0.0.9".
// IPv4 sorts before IPv6; text that is not an address sorts last, by text.

import { isIPv6 } from 'node:net';
import { parseIpv6 } from '../wire/ip-address.js';

/** Dotted quad -> uint32, or -1 when `text` is not one. No allocation. */
export function ipv4ToNumber(text: string): number {
  let n = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      n = n * 256 + part;
      part = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      digits++;
      if (digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return n * 256 + part;
}

function compareIpv6(a: string, b: string): number {
  const x = isIPv6(a);
  const y = isIPv6(b);
  if (x && y) return Buffer.compare(parseIpv6(a), parseIpv6(b));
  if (x) return -1;
  if (y) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative when `a` is the lower address, 0 when equal, positive otherwise. */
export function compareIp(a: string, b: string): number {
  if (a === b) return 0;
  const x = ipv4ToNumber(a);
  const y = ipv4ToNumber(b);
  if (x >= 0 && y >= 0) return x - y;
  if (x >= 0) return -1;
  if (y >= 0) return 1;
  return compareIpv6(a, b);
}
