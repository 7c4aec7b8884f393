// 48-bit MAC addresses: text form "aa:bb:cc:dd:ee:ff" (lowercase, as
// `bridge fdb show`, FRR and GoBGP print them) <-> 6 bytes.

export const MAC_LENGTH = 6;


const HEX_CODES = Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const COLON = 58;

/**
 * "aa:bb:cc:dd:ee:ff". Built from character codes in one call, so the
 * string is flat (17 bytes and a header): a concatenation would be a tree
 * of strings several times that size, kept by every route (docs/memory.md).
 */
export function formatMac(buf: Uint8Array, offset = 0): string {
  const h = HEX_CODES;
  const b0 = buf[offset]!;
  const b1 = buf[offset + 1]!;
  const b2 = buf[offset + 2]!;
  const b3 = buf[offset + 3]!;
  const b4 = buf[offset + 4]!;
  const b5 = buf[offset + 5]!;
  return String.fromCharCode(
    h[b0 >> 4]!, h[b0 & 15]!, COLON,
    h[b1 >> 4]!, h[b1 & 15]!, COLON,
    h[b2 >> 4]!, h[b2 & 15]!, COLON,
    h[b3 >> 4]!, h[b3 & 15]!, COLON,
    h[b4 >> 4]!, h[b4 & 15]!, COLON,
    h[b5 >> 4]!, h[b5 & 15]!,
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
