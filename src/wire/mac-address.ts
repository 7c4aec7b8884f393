// 48-bit MAC addresses: text form "aa:bb:cc:dd:ee:ff" (lowercase, as
// `bridge fdb show`, FRR and GoBGP print them) <-> 6 bytes.

export const MAC_LENGTH = 6;

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function formatMac(buf: Uint8Array, offset = 0): string {
  return (
    `${HEX[buf[offset]!]}:${HEX[buf[offset + 1]!]}:${HEX[buf[offset + 2]!]}:` +
    `${HEX[buf[offset + 3]!]}:${HEX[buf[offset + 4]!]}:${HEX[buf[offset + 5]!]}`
  );
}

const MAC_RE = /^([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})[:-]([0-9a-f]{1,2})$/i;

export function isMac(text: string): boolean {
  return MAC_RE.test(text);
}

/** Parse "aa:bb:cc:dd:ee:ff" (or with '-'); throws TypeError naming the text. */
export function parseMac(text: string): Buffer {
  const m = MAC_RE.exec(text);
  if (!m) throw new TypeError(`not a MAC address: "${text}" (expected six hex bytes, e.g. 02:00:00:00:01:01)`);
  return Buffer.from(m.slice(1, 7).map((h) => parseInt(h, 16)));
}

/** Write a MAC given as text into buf at offset. */
export function writeMac(text: string, buf: Uint8Array, offset: number): void {
  const b = parseMac(text);
  for (let i = 0; i < MAC_LENGTH; i++) buf[offset + i] = b[i]!;
}

/** I/G bit (RFC 7042 §2.1): broadcast and multicast MACs; never learned or advertised. */
export function isGroupMac(buf: Uint8Array, offset = 0): boolean {
  return (buf[offset]! & 0x01) !== 0;
}
