// One EVPN NLRI (AFI 25 / SAFI 70), RFC 7432 §7:
//
//   +-----------------------------------+
//   |    Route Type (1 octet)           |
//   +-----------------------------------+
//   |     Length (1 octet)              |
//   +-----------------------------------+
//   | Route Type specific (variable)    |
//   +-----------------------------------+
//
// preceded by a 4-byte Path Identifier when ADD-PATH is in use for EVPN
// (RFC 7911 §3). Route types 1-4 are RFC 7432 §7.1-7.4, type 5 is RFC 9136
// §3.1. Over VXLAN (RFC 8365 §5.1.3) every 3-byte label field carries a
// whole 24-bit VNI, so labels are kept as the plain 24-bit value of the
// three bytes (an MPLS label would be value >> 4).
//
// A malformed NLRI is an UPDATE Message Error / Invalid Network Field with
// action 'session-reset': RFC 7606 §5.3 — an NLRI that cannot be parsed
// cannot be treated as withdrawn (its length is what delimits the next one).
// The caller may soften that to 'afi-safi-disable' (RFC 7606 §2).

import { isIPv4, isIPv6 } from 'node:net';
import * as esiCodec from './esi.js';
import type { Esi } from './esi.js';
import { checkUint } from './field-range.js';
import { formatIp, parseIp } from './ip-address.js';
import { formatMac, writeMac } from './mac-address.js';
import { nlriError } from './nlri-error.js';
import { pathIdLength, readPathId, writePathId } from './path-identifier.js';
import * as rdCodec from './route-distinguisher.js';
import type { RouteDistinguisher } from './route-distinguisher.js';
import { formatRd } from './route-distinguisher.js';
import { ensureBytes } from './wire-error.js';

export interface NlriContext {
  /** RFC 7911: a 4-byte path identifier precedes each NLRI. */
  addPath: boolean;
}

export const EvpnRouteType = {
  EthernetAutoDiscovery: 1,
  MacIpAdvertisement: 2,
  InclusiveMulticast: 3,
  EthernetSegment: 4,
  IpPrefix: 5,
} as const;

/** RFC 7432 §7.1: RD, ESI, Ethernet Tag, one label. */
export interface EthernetAutoDiscoveryRoute {
  type: 1;
  rd: RouteDistinguisher;
  esi: Esi;
  etag: number;
  label: number;
}

/** RFC 7432 §7.2: RD, ESI, Ethernet Tag, MAC, optional IP, Label1 and optional Label2. */
export interface MacIpAdvertisementRoute {
  type: 2;
  rd: RouteDistinguisher;
  esi: Esi;
  etag: number;
  /** Lowercase "aa:bb:cc:dd:ee:ff". */
  mac: string;
  /** IPv4 or IPv6 text; absent when the IP Address Length is 0. */
  ip?: string;
  /** 1 or 2 values, each the 24-bit value of its 3 bytes (the VNI over VXLAN). */
  labels: number[];
}

/** RFC 7432 §7.3: RD, Ethernet Tag, originating router's IP. */
export interface InclusiveMulticastRoute {
  type: 3;
  rd: RouteDistinguisher;
  etag: number;
  originatorIp: string;
}

/** RFC 7432 §7.4: RD, ESI, originating router's IP. */
export interface EthernetSegmentRoute {
  type: 4;
  rd: RouteDistinguisher;
  esi: Esi;
  originatorIp: string;
}

/**
 * RFC 9136 §3.1: RD, ESI, Ethernet Tag, IP prefix length, IP prefix, gateway
 * IP, label. Prefix and gateway are both IPv4 (NLRI length 34) or both IPv6
 * (58); `prefix` is the address as carried (all of its 4 or 16 bytes).
 */
export interface IpPrefixRoute {
  type: 5;
  rd: RouteDistinguisher;
  esi: Esi;
  etag: number;
  prefix: string;
  prefixLength: number;
  gateway: string;
  label: number;
}

/**
 * A route type this code does not know (RFC 7432 §7: "an implementation ...
 * MUST ignore" it): `code` is the route type byte, `data` a view of its value.
 */
export interface UnknownEvpnRoute {
  type: 'unknown';
  code: number;
  data: Buffer;
}

export type EvpnRoute =
  | EthernetAutoDiscoveryRoute
  | MacIpAdvertisementRoute
  | InclusiveMulticastRoute
  | EthernetSegmentRoute
  | IpPrefixRoute
  | UnknownEvpnRoute;

export interface EvpnNlri {
  /** RFC 7911 path identifier; present exactly when the context has addPath. */
  pathId?: number;
  route: EvpnRoute;
}

const NO_ADD_PATH: NlriContext = { addPath: false };
const LABEL_LENGTH = 3;
/** RFC 7432 §7.2: "The MAC Address Length field is in bits, and it is set to 48." */
const MAC_BITS = 48;

// ---------------------------------------------------------------- decode

function readIp(buf: Buffer, at: number, bits: number): string {
  return formatIp(buf.subarray(at, at + bits / 8));
}

function decodeRoute(buf: Buffer, start: number, type: number, len: number): EvpnRoute {
  const end = start + len;
  const bad = (why: string, at = start): never => {
    throw nlriError(`EVPN route type ${type} (length ${len}): ${why}`, at);
  };
  switch (type) {
    case 1: {
      // RFC 7432 §7.1: RD 8 + ESI 10 + Ethernet Tag 4 + label 3.
      if (len !== 25) bad('an Ethernet A-D route is 25 bytes');
      return {
        type: 1,
        rd: rdCodec.decode(buf, start),
        esi: esiCodec.decode(buf, start + 8),
        etag: buf.readUInt32BE(start + 18),
        label: buf.readUIntBE(start + 22, 3),
      };
    }
    case 2: {
      // RFC 7432 §7.2: valid lengths are 33/37/49, or 36/40/52 with Label2.
      if (len !== 33 && len !== 37 && len !== 49 && len !== 36 && len !== 40 && len !== 52) {
        bad('a MAC/IP route is 33, 37 or 49 bytes (36, 40 or 52 with Label2)');
      }
      const macBits = buf[start + 22]!;
      if (macBits !== MAC_BITS) bad(`MAC Address Length is ${macBits}, must be 48`, start + 22);
      const ipBits = buf[start + 29]!;
      if (ipBits !== 0 && ipBits !== 32 && ipBits !== 128) {
        bad(`IP Address Length is ${ipBits}, must be 0, 32 or 128`, start + 29);
      }
      const labelsAt = start + 30 + ipBits / 8;
      const labelBytes = end - labelsAt;
      if (labelBytes !== LABEL_LENGTH && labelBytes !== 2 * LABEL_LENGTH) {
        bad(`IP Address Length ${ipBits} does not fit the route length`, start + 29);
      }
      const labels = [buf.readUIntBE(labelsAt, 3)];
      if (labelBytes === 2 * LABEL_LENGTH) labels.push(buf.readUIntBE(labelsAt + 3, 3));
      const route: MacIpAdvertisementRoute = {
        type: 2,
        rd: rdCodec.decode(buf, start),
        esi: esiCodec.decode(buf, start + 8),
        etag: buf.readUInt32BE(start + 18),
        mac: formatMac(buf, start + 23),
        labels,
      };
      if (ipBits !== 0) route.ip = readIp(buf, start + 30, ipBits);
      return route;
    }
    case 3: {
      // RFC 7432 §7.3: RD 8 + Ethernet Tag 4 + IP length 1 + IP 4/16 = 17 or 29.
      if (len !== 17 && len !== 29) bad('an Inclusive Multicast route is 17 or 29 bytes');
      const ipBits = buf[start + 12]!;
      if (ipBits !== (len === 17 ? 32 : 128)) bad(`IP Address Length ${ipBits} does not fit the route length`, start + 12);
      return {
        type: 3,
        rd: rdCodec.decode(buf, start),
        etag: buf.readUInt32BE(start + 8),
        originatorIp: readIp(buf, start + 13, ipBits),
      };
    }
    case 4: {
      // RFC 7432 §7.4: RD 8 + ESI 10 + IP length 1 + IP 4/16 = 23 or 35.
      if (len !== 23 && len !== 35) bad('an Ethernet Segment route is 23 or 35 bytes');
      const ipBits = buf[start + 18]!;
      if (ipBits !== (len === 23 ? 32 : 128)) bad(`IP Address Length ${ipBits} does not fit the route length`, start + 18);
      return {
        type: 4,
        rd: rdCodec.decode(buf, start),
        esi: esiCodec.decode(buf, start + 8),
        originatorIp: readIp(buf, start + 19, ipBits),
      };
    }
    case 5: {
      // RFC 9136 §3.1: 34 bytes for IPv4 (prefix and gateway 4 bytes each),
      // 58 for IPv6 (16 each): RD 8 + ESI 10 + tag 4 + length 1 + 2 addresses + label 3.
      if (len !== 34 && len !== 58) bad('an IP Prefix route is 34 (IPv4) or 58 (IPv6) bytes');
      const addrBytes = len === 34 ? 4 : 16;
      const prefixLength = buf[start + 22]!;
      if (prefixLength > addrBytes * 8) bad(`IP Prefix Length ${prefixLength} exceeds ${addrBytes * 8}`, start + 22);
      return {
        type: 5,
        rd: rdCodec.decode(buf, start),
        esi: esiCodec.decode(buf, start + 8),
        etag: buf.readUInt32BE(start + 18),
        prefix: formatIp(buf.subarray(start + 23, start + 23 + addrBytes)),
        prefixLength,
        gateway: formatIp(buf.subarray(start + 23 + addrBytes, start + 23 + 2 * addrBytes)),
        label: buf.readUIntBE(start + 23 + 2 * addrBytes, 3),
      };
    }
    default:
      // RFC 7432 §7: unknown route types are ignored, not errors; keep the bytes.
      return { type: 'unknown', code: type, data: buf.subarray(start, end) };
  }
}

export function decode(buf: Buffer, offset = 0, ctx: NlriContext = NO_ADD_PATH): EvpnNlri {
  const pathId = ctx.addPath ? readPathId(buf, offset, 'EVPN NLRI') : undefined;
  const at = offset + pathIdLength(ctx.addPath);
  ensureBytes(buf, at, 2, 'EVPN NLRI route type and length', nlriError);
  const type = buf[at]!;
  const len = buf[at + 1]!;
  ensureBytes(buf, at + 2, len, `EVPN route type ${type} value`, nlriError);
  const route = decodeRoute(buf, at + 2, type, len);
  decode.bytes = at + 2 + len - offset;
  return pathId === undefined ? { route } : { pathId, route };
}
decode.bytes = 0;

// ---------------------------------------------------------------- encode

function ipBytes(text: string, what: string): number {
  if (isIPv4(text)) return 4;
  if (isIPv6(text)) return 16;
  throw new TypeError(`${what} is not an IP address: "${text}"`);
}

/** Length of the route-type-specific value (the NLRI's Length octet). */
function valueLength(route: EvpnRoute): number {
  switch (route.type) {
    case 1:
      return 25;
    case 2:
      return 30 + (route.ip === undefined ? 0 : ipBytes(route.ip, 'MAC/IP route IP')) + LABEL_LENGTH * route.labels.length;
    case 3:
      return 13 + ipBytes(route.originatorIp, 'Inclusive Multicast originator IP');
    case 4:
      return 19 + ipBytes(route.originatorIp, 'Ethernet Segment originator IP');
    case 5:
      return ipBytes(route.prefix, 'IP Prefix route prefix') === 4 ? 34 : 58;
    case 'unknown':
      return route.data.length;
  }
}

export function encodingLength(nlri: EvpnNlri, ctx: NlriContext = NO_ADD_PATH): number {
  return pathIdLength(ctx.addPath) + 2 + valueLength(nlri.route);
}

function writeIp(text: string, out: Buffer, at: number): number {
  const b = parseIp(text);
  b.copy(out, at);
  return b.length;
}

function encodeRoute(route: EvpnRoute, out: Buffer, at: number): void {
  switch (route.type) {
    case 1:
      checkUint(route.etag, 0xffffffff, 'Ethernet Tag');
      checkUint(route.label, 0xffffff, 'label');
      rdCodec.encode(route.rd, out, at);
      esiCodec.encode(route.esi, out, at + 8);
      out.writeUInt32BE(route.etag, at + 18);
      out.writeUIntBE(route.label, at + 22, 3);
      return;
    case 2: {
      checkUint(route.etag, 0xffffffff, 'Ethernet Tag');
      if (route.labels.length !== 1 && route.labels.length !== 2) {
        throw new RangeError(`a MAC/IP route has 1 or 2 labels, got ${route.labels.length}`);
      }
      for (const l of route.labels) checkUint(l, 0xffffff, 'label');
      rdCodec.encode(route.rd, out, at);
      esiCodec.encode(route.esi, out, at + 8);
      out.writeUInt32BE(route.etag, at + 18);
      out[at + 22] = MAC_BITS;
      writeMac(route.mac, out, at + 23);
      const ipLen = route.ip === undefined ? 0 : writeIp(route.ip, out, at + 30);
      out[at + 29] = ipLen * 8;
      let l = at + 30 + ipLen;
      for (const label of route.labels) {
        out.writeUIntBE(label, l, 3);
        l += 3;
      }
      return;
    }
    case 3: {
      checkUint(route.etag, 0xffffffff, 'Ethernet Tag');
      rdCodec.encode(route.rd, out, at);
      out.writeUInt32BE(route.etag, at + 8);
      out[at + 12] = writeIp(route.originatorIp, out, at + 13) * 8;
      return;
    }
    case 4: {
      rdCodec.encode(route.rd, out, at);
      esiCodec.encode(route.esi, out, at + 8);
      out[at + 18] = writeIp(route.originatorIp, out, at + 19) * 8;
      return;
    }
    case 5: {
      checkUint(route.etag, 0xffffffff, 'Ethernet Tag');
      checkUint(route.label, 0xffffff, 'label');
      const n = ipBytes(route.prefix, 'IP Prefix route prefix');
      if (ipBytes(route.gateway, 'IP Prefix route gateway') !== n) {
        throw new TypeError(`IP Prefix route: prefix ${route.prefix} and gateway ${route.gateway} are of different families`);
      }
      checkUint(route.prefixLength, n * 8, 'IP Prefix Length');
      rdCodec.encode(route.rd, out, at);
      esiCodec.encode(route.esi, out, at + 8);
      out.writeUInt32BE(route.etag, at + 18);
      out[at + 22] = route.prefixLength;
      writeIp(route.prefix, out, at + 23);
      writeIp(route.gateway, out, at + 23 + n);
      out.writeUIntBE(route.label, at + 23 + 2 * n, 3);
      return;
    }
    case 'unknown':
      route.data.copy(out, at);
      return;
  }
}

/**
 * Encode one NLRI. With ctx.addPath the path identifier is written (0 when
 * `pathId` is absent); without it `pathId` is ignored.
 */
export function encode(nlri: EvpnNlri, buf?: Buffer, offset = 0, ctx: NlriContext = NO_ADD_PATH): Buffer {
  const { route } = nlri;
  if (route.type === 'unknown') {
    checkUint(route.code, 0xff, 'EVPN route type');
    if (route.code >= 1 && route.code <= 5) {
      throw new RangeError(`EVPN route type ${route.code} must use its structured form, not 'unknown'`);
    }
  }
  const len = valueLength(route);
  if (len > 0xff) throw new RangeError(`an EVPN route value is at most 255 bytes, got ${len}`);
  const total = pathIdLength(ctx.addPath) + 2 + len;
  const out = buf ?? Buffer.alloc(total + offset);
  ensureBytes(out, offset, total, 'EVPN NLRI (encode)', nlriError);
  if (ctx.addPath) writePathId(nlri.pathId ?? 0, out, offset);
  const at = offset + pathIdLength(ctx.addPath);
  out[at] = route.type === 'unknown' ? route.code : route.type;
  out[at + 1] = len;
  encodeRoute(route, out, at + 2);
  encode.bytes = total;
  return out;
}
encode.bytes = 0;

// ---------------------------------------------------------------- RIB key

/** An RD as a key: lossless (formatRd alone maps type 0 "1:2" and type 2 "1:2" together). */
/** Room for the longest key: type, RD, ESI or Ethernet Tag, prefix length, two 16-byte addresses. */
const KEY_SCRATCH = Buffer.alloc(1 + 8 + 10 + 4 + 1 + 1 + 16 + 1 + 16);

/** Write an address as length + bytes (0 for none); returns the next offset. */
function writeKeyIp(ip: string | undefined, at: number): number {
  if (ip === undefined) {
    KEY_SCRATCH[at] = 0;
    return at + 1;
  }
  const bytes = parseIp(ip);
  KEY_SCRATCH[at] = bytes.length;
  bytes.copy(KEY_SCRATCH, at + 1);
  return at + 1 + bytes.length;
}

/**
 * The key of a route in a RIB: the fields RFC 7432 and RFC 9136 make "part
 * of the prefix", with the RD. Fields that are attributes of the route
 * (ESI and labels of a Type 2, label of Types 1 and 5, gateway of Type 5)
 * are left out, so a re-advertisement with a new label replaces the route.
 *
 *   Type 1 (§7.1): RD, ESI, Ethernet Tag
 *   Type 2 (§7.2): RD, Ethernet Tag, MAC, IP   (EVPN-NOTES: GoBGP once keyed on RD+MAC only, and lost routes)
 *   Type 3 (§7.3): RD, Ethernet Tag, originating router's IP
 *   Type 4 (§7.4): RD, ESI, originating router's IP
 *   Type 5 (RFC 9136 §3.1): RD, Ethernet Tag, IP prefix length, IP prefix
 */
export function evpnRouteKey(route: EvpnRoute): string {
  // Packed, not text: the key fields in their wire form (RD and ESI as
  // encoded, addresses as length + bytes, which also makes the key
  // canonical) read out as one latin1 string. That string is flat, about
  // 40 bytes for a Type 2, where a template literal of the text fields is a
  // tree of concatenated strings several times that size (docs/memory.md).
  if (route.type === 'unknown') return `u${route.code}|${route.data.toString('hex')}`;
  const k = KEY_SCRATCH;
  k[0] = route.type;
  rdCodec.encode(route.rd, k, 1);
  let at = 1 + rdCodec.RD_LENGTH;
  switch (route.type) {
    case 1:
      esiCodec.encode(route.esi, k, at);
      at = k.writeUInt32BE(route.etag, at + esiCodec.ESI_LENGTH);
      break;
    case 2:
      at = k.writeUInt32BE(route.etag, at);
      writeMac(route.mac, k, at);
      at = writeKeyIp(route.ip, at + 6);
      break;
    case 3:
      at = k.writeUInt32BE(route.etag, at);
      at = writeKeyIp(route.originatorIp, at);
      break;
    case 4:
      esiCodec.encode(route.esi, k, at);
      at = writeKeyIp(route.originatorIp, at + esiCodec.ESI_LENGTH);
      break;
    case 5:
      at = k.writeUInt32BE(route.etag, at);
      k[at] = route.prefixLength;
      at = writeKeyIp(route.prefix, at + 1);
      break;
  }
  return k.toString('latin1', 0, at);
}
