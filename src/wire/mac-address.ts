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

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Write "aa:bb:cc:dd:ee:ff" (or with '-', one or two hex digits a byte) as 6
 * bytes at offset. Hand-rolled (no regex, no temporary buffer): every encoded
 * Type 2 route goes through here.
 */
export function writeMac(text: string, buf: Uint8Array, offset: number): void {
  let byte = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : -1;
    const h = c < 0 ? -1 : hexValue(c);
    if (h >= 0 && digits < 2) {
      value = (value << 4) | h;
      digits++;
    } else if ((c === 58 || c === 45 || c < 0) && digits > 0 && byte < MAC_LENGTH) {
      buf[offset + byte++] = value;
      value = 0;
      digits = 0;
      if (c < 0) break;
    } else {
      byte = -1;
      break;
    }
  }
  if (byte !== MAC_LENGTH) {
    throw new TypeError(`not a MAC address: "${text}" (expected six hex bytes, e.g. 02:00:00:00:01:01)`);
  }
}

/** Parse "aa:bb:cc:dd:ee:ff" (or with '-'); throws TypeError naming the text. */
export function parseMac(text: string): Buffer {
  const out = Buffer.allocUnsafe(MAC_LENGTH);
  writeMac(text, out, 0);
  return out;
}

/** I/G bit (RFC 7042 §2.1): broadcast and multicast MACs; never learned or advertised. */
export function isGroupMac(buf: Uint8Array, offset = 0): boolean {
  return (buf[offset]! & 0x01) !== 0;
}
