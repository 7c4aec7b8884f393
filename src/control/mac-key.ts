// A MAC as the EVPN manager keys it: its 6 octets as a 6-character latin1
// string. A Map keyed by it and the per-MAC state share the one string, 24
// bytes on the heap where the text form "aa:bb:cc:dd:ee:ff" takes 40; at a
// million remote MACs that is 16 MB (docs/memory.md). The text is made again
// only where it goes out (FDB calls, our routes, logs, the API).

import { formatMac, writeMac } from '../wire/mac-address.js';

/** Scratch for the conversions: no Buffer per route. */
const octets = new Uint8Array(6);

/** The key of a MAC in text form (any form writeMac takes; throws TypeError like it). */
export function macKey(text: string): string {
  writeMac(text, octets, 0);
  return String.fromCharCode(octets[0]!, octets[1]!, octets[2]!, octets[3]!, octets[4]!, octets[5]!);
}

/** The text form ("aa:bb:cc:dd:ee:ff", lowercase) of a key made by macKey. */
export function macKeyText(key: string): string {
  for (let i = 0; i < 6; i++) octets[i] = key.charCodeAt(i);
  return formatMac(octets);
}

/** The I/G bit (RFC 7042 §2.1) of a key: the low bit of the first octet. */
export function isGroupMacKey(key: string): boolean {
  return (key.charCodeAt(0) & 1) === 1;
}
