// One BGP capability (RFC 5492 §4): code (1 byte), length (1 byte), value.
//
// Known codes get typed values; every other code is kept as opaque bytes so
// an OPEN re-encodes byte for byte and the session can ignore what it does
// not understand (RFC 5492 §3). A known capability whose value a receiver
// must treat as "not understood" (e.g. an add-path tuple with a bad
// send/receive field, RFC 7911 §4) is also kept opaque, under its code.
//
// A known capability whose length contradicts its format is a malformed
// OPEN: OPEN Message Error / Unspecific (subcode 0, RFC 4271 §6.2; FRR and
// Quagga send the same), with the capability as data.

import { ErrorCode } from './bgp-error-codes.js';
import { exactUtf8 } from './exact-utf8.js';
import { checkUint } from './field-range.js';
import { WireError } from './wire-error.js';

export const CapabilityCode = {
  Multiprotocol: 1,
  RouteRefresh: 2,
  ExtendedNextHop: 5,
  ExtendedMessage: 6,
  GracefulRestart: 64,
  FourOctetAs: 65,
  AddPath: 69,
  EnhancedRouteRefresh: 70,
  LongLivedGracefulRestart: 71,
  Fqdn: 73,
  RouteRefreshCisco: 128,
} as const;

/** RFC 4724 §3 restart flags (upper 4 bits of the 16-bit field, shifted down). */
export const GracefulRestartFlag = {
  /** R: the sender has restarted. */
  Restart: 0x8,
  /** N: RFC 8538 §2 graceful NOTIFICATION support. */
  Notification: 0x4,
} as const;

/** RFC 4724 §3 per-family flags: F = forwarding state preserved. */
export const GR_FORWARDING_FLAG = 0x80;
/** RFC 9494 §3.1 per-family flags: F = forwarding state preserved. */
export const LLGR_FORWARDING_FLAG = 0x80;

/** RFC 7911 §4 Send/Receive field. */
export const AddPathDirection = {
  Receive: 1,
  Send: 2,
  Both: 3,
} as const;
export type AddPathMode = (typeof AddPathDirection)[keyof typeof AddPathDirection];

export interface GracefulRestartFamily {
  afi: number;
  safi: number;
  /** Per-family flags; GR_FORWARDING_FLAG = forwarding state preserved. */
  flags: number;
}

export interface AddPathFamily {
  afi: number;
  safi: number;
  sendReceive: AddPathMode;
}

export interface LongLivedGracefulRestartFamily {
  afi: number;
  safi: number;
  flags: number;
  /** Long-lived stale time, seconds (24 bits). */
  staleTime: number;
}

export interface ExtendedNextHopFamily {
  afi: number;
  /** RFC 8950 §3: SAFI is 2 bytes here. */
  safi: number;
  nextHopAfi: number;
}

export type Capability =
  /** RFC 4760 §8. `reserved` appears only when a peer sent a non-zero reserved byte. */
  | { type: 'multiprotocol'; afi: number; safi: number; reserved?: number }
  /** RFC 2918 §3. */
  | { type: 'route-refresh' }
  /** Pre-standard route refresh (code 128), still sent by FRR and Cisco. */
  | { type: 'route-refresh-cisco' }
  /** RFC 7313 §3. */
  | { type: 'enhanced-route-refresh' }
  /** RFC 8654 §3. */
  | { type: 'extended-message' }
  /** RFC 6793 §3. */
  | { type: 'four-octet-as'; as: number }
  /**
   * RFC 4724 §3: restart flags (GracefulRestartFlag bits), restart time in
   * seconds (12 bits), families.
   */
  | { type: 'graceful-restart'; flags: number; restartTime: number; families: GracefulRestartFamily[] }
  /** RFC 7911 §4. */
  | { type: 'add-path'; families: AddPathFamily[] }
  /** RFC 9494 §3.1 (long-lived graceful restart). */
  | { type: 'long-lived-graceful-restart'; families: LongLivedGracefulRestartFamily[] }
  /** RFC 8950 §3 (extended next hop encoding; GoBGP sends it). */
  | { type: 'extended-next-hop'; families: ExtendedNextHopFamily[] }
  /** draft-walton-bgp-hostname-capability (FRR sends it). */
  | { type: 'fqdn'; hostname: string; domain: string }
  | { type: 'unknown'; code: number; value: Buffer };

/** The capability code of a value. */
export function capabilityCode(cap: Capability): number {
  switch (cap.type) {
    case 'multiprotocol':
      return CapabilityCode.Multiprotocol;
    case 'route-refresh':
      return CapabilityCode.RouteRefresh;
    case 'route-refresh-cisco':
      return CapabilityCode.RouteRefreshCisco;
    case 'enhanced-route-refresh':
      return CapabilityCode.EnhancedRouteRefresh;
    case 'extended-message':
      return CapabilityCode.ExtendedMessage;
    case 'four-octet-as':
      return CapabilityCode.FourOctetAs;
    case 'graceful-restart':
      return CapabilityCode.GracefulRestart;
    case 'add-path':
      return CapabilityCode.AddPath;
    case 'long-lived-graceful-restart':
      return CapabilityCode.LongLivedGracefulRestart;
    case 'extended-next-hop':
      return CapabilityCode.ExtendedNextHop;
    case 'fqdn':
      return CapabilityCode.Fqdn;
    case 'unknown':
      return cap.code;
  }
}

function openError(message: string, offset: number, data?: Buffer): WireError {
  const init = { code: ErrorCode.Open, subcode: 0, action: 'session-reset' as const, offset };
  return new WireError(message, data === undefined ? init : { ...init, data });
}

/**
 * The (AFI 2 octets, SAFI 1 octet) that starts each per-family tuple of the
 * graceful restart (RFC 4724 §3), ADD-PATH (RFC 7911 §4) and long-lived
 * graceful restart (RFC 9494 §3.1) capabilities.
 */
function readAfiSafi(v: Buffer, at: number): { afi: number; safi: number } {
  return { afi: v.readUInt16BE(at), safi: v[at + 2]! };
}

/** Write that (AFI, SAFI) pair at `at` (RangeError, before writing, when one does not fit); returns the offset after it. */
function writeAfiSafi(f: { afi: number; safi: number }, out: Buffer, at: number): number {
  checkUint(f.afi, 0xffff, 'AFI');
  checkUint(f.safi, 0xff, 'SAFI');
  out.writeUInt16BE(f.afi, at);
  out[at + 2] = f.safi;
  return at + 3;
}

function decodeValue(code: number, v: Buffer, at: number, whole: Buffer): Capability {
  const n = v.length;
  const malformed = (why: string): WireError => openError(`capability ${code}: ${why}`, at, whole);
  const fixed = (len: number): void => {
    if (n !== len) throw malformed(`length ${n}, expected ${len}`);
  };
  switch (code) {
    case CapabilityCode.Multiprotocol: {
      // RFC 4760 §8: AFI (2), Reserved (1), SAFI (1).
      fixed(4);
      const cap: Capability = { type: 'multiprotocol', afi: v.readUInt16BE(0), safi: v[3]! };
      // The sender SHOULD zero it and we ignore it, but keep a non-zero one
      // so the OPEN re-encodes as received.
      if (v[2] !== 0) cap.reserved = v[2]!;
      return cap;
    }
    case CapabilityCode.RouteRefresh:
      fixed(0);
      return { type: 'route-refresh' };
    case CapabilityCode.RouteRefreshCisco:
      fixed(0);
      return { type: 'route-refresh-cisco' };
    case CapabilityCode.EnhancedRouteRefresh:
      fixed(0);
      return { type: 'enhanced-route-refresh' };
    case CapabilityCode.ExtendedMessage:
      fixed(0);
      return { type: 'extended-message' };
    case CapabilityCode.FourOctetAs:
      fixed(4);
      return { type: 'four-octet-as', as: v.readUInt32BE(0) };
    case CapabilityCode.GracefulRestart: {
      // RFC 4724 §3: flags (4 bits) + restart time (12 bits), then
      // (AFI 2, SAFI 1, flags 1) per family.
      if (n < 2 || (n - 2) % 4 !== 0) throw malformed(`length ${n} is not 2 + 4 x families`);
      const word = v.readUInt16BE(0);
      const families: GracefulRestartFamily[] = [];
      for (let i = 2; i < n; i += 4) families.push({ ...readAfiSafi(v, i), flags: v[i + 3]! });
      return { type: 'graceful-restart', flags: word >>> 12, restartTime: word & 0x0fff, families };
    }
    case CapabilityCode.AddPath: {
      // RFC 7911 §4: (AFI 2, SAFI 1, Send/Receive 1) per family.
      if (n % 4 !== 0) throw malformed(`length ${n} is not a multiple of 4`);
      const families: AddPathFamily[] = [];
      for (let i = 0; i < n; i += 4) {
        const sr = v[i + 3]!;
        // RFC 7911 §4: any other Send/Receive value: capability not understood, ignored.
        if (sr < 1 || sr > 3) return { type: 'unknown', code, value: v };
        families.push({ ...readAfiSafi(v, i), sendReceive: sr as AddPathMode });
      }
      return { type: 'add-path', families };
    }
    case CapabilityCode.LongLivedGracefulRestart: {
      // RFC 9494 §3.1: (AFI 2, SAFI 1, flags 1, stale time 3) per family.
      if (n % 7 !== 0) throw malformed(`length ${n} is not a multiple of 7`);
      const families: LongLivedGracefulRestartFamily[] = [];
      for (let i = 0; i < n; i += 7) {
        families.push({ ...readAfiSafi(v, i), flags: v[i + 3]!, staleTime: v.readUIntBE(i + 4, 3) });
      }
      return { type: 'long-lived-graceful-restart', families };
    }
    case CapabilityCode.ExtendedNextHop: {
      // RFC 8950 §3: (AFI 2, SAFI 2, Next Hop AFI 2) per family.
      if (n % 6 !== 0) throw malformed(`length ${n} is not a multiple of 6`);
      const families: ExtendedNextHopFamily[] = [];
      for (let i = 0; i < n; i += 6) {
        families.push({ afi: v.readUInt16BE(i), safi: v.readUInt16BE(i + 2), nextHopAfi: v.readUInt16BE(i + 4) });
      }
      return { type: 'extended-next-hop', families };
    }
    case CapabilityCode.Fqdn: {
      // draft-walton-bgp-hostname-capability §3: hostname length (1),
      // hostname, domain length (1), domain.
      if (n < 1) throw malformed('empty value');
      const hl = v[0]!;
      if (1 + hl + 1 > n) throw malformed(`hostname length ${hl} overruns the value (${n} bytes)`);
      const dl = v[1 + hl]!;
      if (2 + hl + dl !== n) throw malformed(`lengths ${hl} + ${dl} do not fill the value (${n} bytes)`);
      const hostname = exactUtf8(v.subarray(1, 1 + hl));
      const domain = exactUtf8(v.subarray(2 + hl, 2 + hl + dl));
      // Names that are not UTF-8 stay opaque (still ignorable, still byte-exact).
      if (hostname === undefined || domain === undefined) return { type: 'unknown', code, value: v };
      return { type: 'fqdn', hostname, domain };
    }
    default:
      return { type: 'unknown', code, value: v };
  }
}

/**
 * Decode one capability at `offset`. It must fit in `buf`: callers pass the
 * optional parameter as a subarray ending where the parameter ends.
 */
export function decode(buf: Buffer, offset = 0): Capability {
  if (offset < 0 || offset + 2 > buf.length) {
    throw openError(`capability: need 2 bytes at offset ${offset}, have ${Math.max(0, buf.length - offset)}`, offset);
  }
  const code = buf[offset]!;
  const length = buf[offset + 1]!;
  if (offset + 2 + length > buf.length) {
    throw openError(
      `capability ${code}: length ${length} overruns its parameter (${buf.length - offset - 2} bytes left)`,
      offset,
      buf.subarray(offset),
    );
  }
  const cap = decodeValue(code, buf.subarray(offset + 2, offset + 2 + length), offset, buf.subarray(offset, offset + 2 + length));
  decode.bytes = 2 + length;
  return cap;
}
decode.bytes = 0;

function valueLength(cap: Capability): number {
  switch (cap.type) {
    case 'multiprotocol':
    case 'four-octet-as':
      return 4;
    case 'route-refresh':
    case 'route-refresh-cisco':
    case 'enhanced-route-refresh':
    case 'extended-message':
      return 0;
    case 'graceful-restart':
      return 2 + 4 * cap.families.length;
    case 'add-path':
      return 4 * cap.families.length;
    case 'long-lived-graceful-restart':
      return 7 * cap.families.length;
    case 'extended-next-hop':
      return 6 * cap.families.length;
    case 'fqdn':
      return 2 + Buffer.byteLength(cap.hostname) + Buffer.byteLength(cap.domain);
    case 'unknown':
      return cap.value.length;
  }
}

export function encodingLength(cap: Capability): number {
  return 2 + valueLength(cap);
}

export function encode(cap: Capability, buf?: Buffer, offset = 0): Buffer {
  const code = capabilityCode(cap);
  checkUint(code, 255, 'capability code');
  const length = valueLength(cap);
  if (length > 255) throw new RangeError(`capability ${code}: value is ${length} bytes, at most 255 fit`);
  const out = buf ?? Buffer.alloc(2 + length + offset);
  if (offset < 0 || offset + 2 + length > out.length) {
    throw new RangeError(`capability (encode): need ${2 + length} bytes at offset ${offset}, have ${out.length - offset}`);
  }
  out[offset] = code;
  out[offset + 1] = length;
  let o = offset + 2;
  switch (cap.type) {
    case 'multiprotocol':
      checkUint(cap.afi, 0xffff, 'AFI');
      checkUint(cap.safi, 0xff, 'SAFI');
      checkUint(cap.reserved ?? 0, 0xff, 'multiprotocol reserved byte');
      out.writeUInt16BE(cap.afi, o);
      out[o + 2] = cap.reserved ?? 0;
      out[o + 3] = cap.safi;
      break;
    case 'route-refresh':
    case 'route-refresh-cisco':
    case 'enhanced-route-refresh':
    case 'extended-message':
      break;
    case 'four-octet-as':
      checkUint(cap.as, 0xffffffff, 'AS number');
      out.writeUInt32BE(cap.as, o);
      break;
    case 'graceful-restart':
      checkUint(cap.flags, 0xf, 'graceful restart flags');
      checkUint(cap.restartTime, 0xfff, 'graceful restart time');
      out.writeUInt16BE((cap.flags << 12) | cap.restartTime, o);
      o += 2;
      for (const f of cap.families) {
        checkUint(f.flags, 0xff, 'graceful restart family flags');
        o = writeAfiSafi(f, out, o);
        out[o++] = f.flags;
      }
      break;
    case 'add-path':
      for (const f of cap.families) {
        if (f.sendReceive < 1 || f.sendReceive > 3 || !Number.isInteger(f.sendReceive)) {
          throw new RangeError(`add-path send/receive must be 1, 2 or 3, got ${f.sendReceive}`);
        }
        o = writeAfiSafi(f, out, o);
        out[o++] = f.sendReceive;
      }
      break;
    case 'long-lived-graceful-restart':
      for (const f of cap.families) {
        checkUint(f.flags, 0xff, 'LLGR family flags');
        checkUint(f.staleTime, 0xffffff, 'LLGR stale time');
        o = writeAfiSafi(f, out, o);
        out[o++] = f.flags;
        out.writeUIntBE(f.staleTime, o, 3);
        o += 3;
      }
      break;
    case 'extended-next-hop':
      for (const f of cap.families) {
        checkUint(f.afi, 0xffff, 'AFI');
        checkUint(f.safi, 0xffff, 'SAFI');
        checkUint(f.nextHopAfi, 0xffff, 'next hop AFI');
        out.writeUInt16BE(f.afi, o);
        out.writeUInt16BE(f.safi, o + 2);
        out.writeUInt16BE(f.nextHopAfi, o + 4);
        o += 6;
      }
      break;
    case 'fqdn': {
      const hl = Buffer.byteLength(cap.hostname);
      out[o] = hl;
      out.write(cap.hostname, o + 1, 'utf8');
      out[o + 1 + hl] = Buffer.byteLength(cap.domain);
      out.write(cap.domain, o + 2 + hl, 'utf8');
      break;
    }
    case 'unknown':
      cap.value.copy(out, o);
      break;
  }
  encode.bytes = 2 + length;
  return out;
}
encode.bytes = 0;
