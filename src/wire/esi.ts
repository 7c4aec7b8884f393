// Ethernet Segment Identifier, RFC 7432 §5: 10 bytes, a type byte then a
// 9-byte value whose layout the type selects:
//
//   0: operator-configured, 9 arbitrary bytes (all zero = single-homed)
//   1: LACP: CE system MAC (6), CE port key (2), 0x00
//   2: L2 bridge (MSTP): root bridge MAC (6), root bridge priority (2), 0x00
//   3: MAC-based: system MAC (6), local discriminator (3)
//   4: router-ID: router ID (4), local discriminator (4), 0x00
//   5: AS-based: ASN (4), local discriminator (4), 0x00
//
// RFC 7432 §5 says the last octet of types 1, 2, 4 and 5 "MUST be set to
// 0x00". We keep a non-zero one (as `reserved`) instead of rejecting the
// route: it changes nothing we use, and re-encoding stays byte-exact.
// Types above 5 are kept opaque.

import { checkUint } from './field-range.js';
import { formatIpv4, parseIpv4 } from './ip-address.js';
import { formatMac, writeMac } from './mac-address.js';
import { nlriError } from './nlri-error.js';
import { ensureBytes } from './wire-error.js';

export const ESI_LENGTH = 10;

export type Esi =
  /** Type 0: a view of the 9 value bytes. */
  | { type: 0; value: Buffer }
  | { type: 1; ceMac: string; portKey: number; reserved?: number }
  | { type: 2; bridgeMac: string; priority: number; reserved?: number }
  | { type: 3; systemMac: string; discriminator: number }
  | { type: 4; routerId: string; discriminator: number; reserved?: number }
  | { type: 5; asn: number; discriminator: number; reserved?: number }
  /** Types 6..255: `code` is the type byte, `value` a view of the 9 value bytes. */
  | { type: 'unknown'; code: number; value: Buffer };

/** A fresh all-zero ESI (type 0): a single-homed segment (RFC 7432 §5, RFC 8365 §5.1.3). */
export function zeroEsi(): Esi {
  return { type: 0, value: Buffer.alloc(9) };
}

/** True for the all-zero ESI, which RFC 7432 §5 reserves for single-homed sites. */
export function isZeroEsi(esi: Esi): boolean {
  if (esi.type !== 0) return false;
  for (let i = 0; i < esi.value.length; i++) if (esi.value[i] !== 0) return false;
  return true;
}

function withReserved<T extends object>(value: T, reserved: number): T | (T & { reserved: number }) {
  // Only present when non-zero, so the common case deep-equals its plain literal.
  return reserved === 0 ? value : { ...value, reserved };
}

export function decode(buf: Buffer, offset = 0): Esi {
  ensureBytes(buf, offset, ESI_LENGTH, 'ESI', nlriError);
  const type = buf[offset]!;
  const v = offset + 1;
  decode.bytes = ESI_LENGTH;
  switch (type) {
    case 0:
      return { type: 0, value: buf.subarray(v, v + 9) };
    case 1:
      return withReserved(
        { type: 1 as const, ceMac: formatMac(buf, v), portKey: buf.readUInt16BE(v + 6) },
        buf[v + 8]!,
      );
    case 2:
      return withReserved(
        { type: 2 as const, bridgeMac: formatMac(buf, v), priority: buf.readUInt16BE(v + 6) },
        buf[v + 8]!,
      );
    case 3:
      return { type: 3, systemMac: formatMac(buf, v), discriminator: buf.readUIntBE(v + 6, 3) };
    case 4:
      return withReserved(
        { type: 4 as const, routerId: formatIpv4(buf, v), discriminator: buf.readUInt32BE(v + 4) },
        buf[v + 8]!,
      );
    case 5:
      return withReserved(
        { type: 5 as const, asn: buf.readUInt32BE(v), discriminator: buf.readUInt32BE(v + 4) },
        buf[v + 8]!,
      );
    default:
      return { type: 'unknown', code: type, value: buf.subarray(v, v + 9) };
  }
}
decode.bytes = 0;

function checkValue(value: Buffer, what: string): void {
  if (value.length !== 9) throw new RangeError(`${what} value is 9 bytes, got ${value.length}`);
}

export function encode(esi: Esi, buf?: Buffer, offset = 0): Buffer {
  const out = buf ?? Buffer.alloc(ESI_LENGTH + offset);
  ensureBytes(out, offset, ESI_LENGTH, 'ESI (encode)', nlriError);
  const v = offset + 1;
  switch (esi.type) {
    case 0:
      checkValue(esi.value, 'ESI type 0');
      out[offset] = 0;
      esi.value.copy(out, v);
      break;
    case 1:
    case 2: {
      const mac = esi.type === 1 ? esi.ceMac : esi.bridgeMac;
      const num = esi.type === 1 ? esi.portKey : esi.priority;
      checkUint(num, 0xffff, esi.type === 1 ? 'ESI type 1 port key' : 'ESI type 2 priority');
      checkUint(esi.reserved ?? 0, 0xff, `ESI type ${esi.type} reserved octet`);
      out[offset] = esi.type;
      writeMac(mac, out, v);
      out.writeUInt16BE(num, v + 6);
      out[v + 8] = esi.reserved ?? 0;
      break;
    }
    case 3:
      checkUint(esi.discriminator, 0xffffff, 'ESI type 3 local discriminator');
      out[offset] = 3;
      writeMac(esi.systemMac, out, v);
      out.writeUIntBE(esi.discriminator, v + 6, 3);
      break;
    case 4:
    case 5:
      checkUint(esi.discriminator, 0xffffffff, `ESI type ${esi.type} local discriminator`);
      checkUint(esi.reserved ?? 0, 0xff, `ESI type ${esi.type} reserved octet`);
      out[offset] = esi.type;
      if (esi.type === 4) {
        parseIpv4(esi.routerId).copy(out, v);
      } else {
        checkUint(esi.asn, 0xffffffff, 'ESI type 5 ASN');
        out.writeUInt32BE(esi.asn, v);
      }
      out.writeUInt32BE(esi.discriminator, v + 4);
      out[v + 8] = esi.reserved ?? 0;
      break;
    case 'unknown':
      checkUint(esi.code, 0xff, 'ESI type');
      if (esi.code <= 5) throw new RangeError(`ESI type ${esi.code} must use its structured form, not 'unknown'`);
      checkValue(esi.value, 'opaque ESI');
      out[offset] = esi.code;
      esi.value.copy(out, v);
      break;
  }
  encode.bytes = ESI_LENGTH;
  return out;
}
encode.bytes = 0;

export function encodingLength(_esi: Esi): number {
  return ESI_LENGTH;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function hexColons(bytes: Uint8Array): string {
  const parts: string[] = [];
  for (const b of bytes) parts.push(HEX[b]!);
  return parts.join(':');
}

/**
 * FRR's form (esi_to_str): the 10 bytes in colon hex,
 * "00:00:00:00:00:00:00:00:00:00" for a single-homed segment.
 */
export function formatEsiFrr(esi: Esi): string {
  return hexColons(encode(esi));
}

/**
 * GoBGP's form (EthernetSegmentIdentifier.String() in pkg/packet/bgp,
 * checked against gobgp 3.10): "single-homed" for the zero ESI, else
 * "<TYPE> | <fields>", e.g. "ESI_LACP | system mac aa:bb:cc:dd:ee:ff, port key 100".
 */
export function formatEsiGobgp(esi: Esi): string {
  switch (esi.type) {
    case 0:
      return isZeroEsi(esi) ? 'single-homed' : `ESI_ARBITRARY | ${hexColons(esi.value)}`;
    case 1:
      return `ESI_LACP | system mac ${esi.ceMac.toLowerCase()}, port key ${esi.portKey}`;
    case 2:
      return `ESI_MSTP | bridge mac ${esi.bridgeMac.toLowerCase()}, priority ${esi.priority}`;
    case 3:
      return `ESI_MAC | system mac ${esi.systemMac.toLowerCase()}, local discriminator ${esi.discriminator}`;
    case 4:
      return `ESI_ROUTERID | router id ${esi.routerId}, local discriminator ${esi.discriminator}`;
    case 5:
      return `ESI_AS | as ${esi.asn}, local discriminator ${esi.discriminator}`;
    case 'unknown':
      // Go's stringer name for an undeclared ESIType value.
      return `ESIType(${esi.code}) | ${hexColons(esi.value)}`;
  }
}

const ESI_TEXT = /^[0-9a-f]{2}(:[0-9a-f]{2}){9}$/i;

/**
 * Parse FRR's 10-byte colon-hex form ("00:11:...:99") or "single-homed"
 * (GoBGP's word for the zero ESI). Throws a TypeError naming the text.
 */
export function parseEsi(text: string): Esi {
  if (text === 'single-homed') return zeroEsi();
  if (!ESI_TEXT.test(text)) {
    throw new TypeError(
      `not an ESI: "${text}" (expected 10 colon-separated hex bytes, e.g. 00:00:00:00:00:00:00:00:00:00, or single-homed)`,
    );
  }
  const bytes = Buffer.from(text.replace(/:/g, ''), 'hex');
  const esi = decode(bytes);
  // Decoded values are views of `bytes`, which nothing else holds: safe to return.
  return esi;
}
