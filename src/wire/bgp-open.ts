// OPEN message body, RFC 4271 §4.2:
//
//   Version (1) | My Autonomous System (2) | Hold Time (2) | BGP Identifier (4)
//   Opt Parm Len (1) | Optional Parameters: (Parm. Type (1), Parm. Length (1), value)*
//
// RFC 9072 extended optional parameters: Opt Parm Len = 255 and a first
// "Parm. Type" of 255 announce the extended form: Extended Opt. Parm. Length
// (2), then each parameter with a 2-byte length.
//
// Capabilities (RFC 5492) come in parameters of type 2. A speaker may put one
// capability per parameter (FRR) or all of them in one parameter (GoBGP); the
// grouping is kept so a received OPEN re-encodes byte for byte.
//
// The body is self-delimiting (Opt Parm Len), so decode.bytes says where it
// ended; bgp-message.ts checks that this is where the message ends. It never
// reads past buf.length.

import type { Capability } from './bgp-capability.js';
import * as capability from './bgp-capability.js';
import { ErrorCode, OpenSubcode } from './bgp-error-codes.js';
import { checkUint } from './field-range.js';
import { formatIpv4, parseIpv4 } from './ip-address.js';
import { WireError } from './wire-error.js';

export const BGP_VERSION = 4;
/** RFC 6793 §9: the 2-octet placeholder for a 4-octet AS number. */
export const AS_TRANS = 23456;
/** Version, My AS, Hold Time, BGP Identifier, Opt Parm Len. */
export const OPEN_FIXED_LENGTH = 10;

export const OptionalParameterType = {
  /** RFC 5492 §4. */
  Capabilities: 2,
  /** RFC 9072 §2: marks the extended format; never a real parameter type. */
  ExtendedLength: 255,
} as const;

export type OptionalParameter =
  | { type: 'capabilities'; capabilities: Capability[] }
  /** Any other parameter type, kept opaque: the session answers with 2/4 (RFC 4271 §6.2). */
  | { type: 'unknown'; code: number; value: Buffer };

export interface BgpOpen {
  /** Always 4 when decoded (anything else is an error). */
  version: number;
  /** 2-octet AS; AS_TRANS when the real AS needs 4 octets (see effectiveAs). */
  myAs: number;
  /** Seconds; 0 (no keepalives) or ≥ 3. */
  holdTime: number;
  /** Dotted quad. */
  bgpId: string;
  optionalParameters: OptionalParameter[];
  /**
   * RFC 9072: present (true) when the extended optional parameters format
   * was received or is wanted. encode uses it anyway when the parameters do
   * not fit the RFC 4271 format.
   */
  extendedParameters?: boolean;
}

function openError(subcode: number, message: string, offset: number, data?: Buffer): WireError {
  const init = { code: ErrorCode.Open, subcode, action: 'session-reset' as const, offset };
  return new WireError(message, data === undefined ? init : { ...init, data });
}

function decodeParameterValue(code: number, buf: Buffer, start: number, end: number): OptionalParameter {
  if (code !== OptionalParameterType.Capabilities) return { type: 'unknown', code, value: buf.subarray(start, end) };
  // The capabilities are decoded from a view ending at the parameter's end,
  // so none can overrun into the next parameter.
  const view = buf.subarray(0, end);
  const capabilities: Capability[] = [];
  let o = start;
  while (o < end) {
    capabilities.push(capability.decode(view, o));
    o += capability.decode.bytes;
  }
  return { type: 'capabilities', capabilities };
}

export function decode(buf: Buffer, offset = 0): BgpOpen {
  const end = buf.length;
  if (offset < 0 || offset + OPEN_FIXED_LENGTH > end) {
    throw openError(0, `OPEN: need ${OPEN_FIXED_LENGTH} bytes at offset ${offset}, have ${Math.max(0, end - offset)}`, offset);
  }
  const version = buf[offset]!;
  if (version !== BGP_VERSION) {
    // RFC 4271 §6.2: the data is the 2-octet version we do support (the
    // largest below the peer's bid, or the smallest above it: 4 either way).
    const data = Buffer.from([0, BGP_VERSION]);
    throw openError(OpenSubcode.UnsupportedVersionNumber, `OPEN: unsupported version ${version}`, offset, data);
  }
  const myAs = buf.readUInt16BE(offset + 1);
  if (myAs === 0) {
    // RFC 7607 §2: AS 0 in an OPEN is Bad Peer AS.
    throw openError(OpenSubcode.BadPeerAs, 'OPEN: My AS is 0', offset + 1);
  }
  const holdTime = buf.readUInt16BE(offset + 3);
  if (holdTime === 1 || holdTime === 2) {
    // RFC 4271 §4.2 / §6.2: the hold time is zero or at least three seconds.
    throw openError(OpenSubcode.UnacceptableHoldTime, `OPEN: hold time ${holdTime} is neither 0 nor ≥ 3`, offset + 3);
  }
  if (buf.readUInt32BE(offset + 5) === 0) {
    // RFC 6286 §2.2: the BGP Identifier is any non-zero 32-bit value.
    throw openError(OpenSubcode.BadBgpIdentifier, 'OPEN: BGP Identifier is 0.0.0.0', offset + 5);
  }
  const bgpId = formatIpv4(buf, offset + 5);

  let o = offset + OPEN_FIXED_LENGTH;
  let paramsLength = buf[offset + 9]!;
  // RFC 9072 §2: Non-Ext OP Len 255 followed by Non-Ext OP Type 255.
  const extended = paramsLength === 255 && o < end && buf[o] === OptionalParameterType.ExtendedLength;
  if (extended) {
    if (o + 3 > end) throw openError(0, 'OPEN: extended optional parameters length is cut', o);
    paramsLength = buf.readUInt16BE(o + 1);
    o += 3;
  }
  const paramsEnd = o + paramsLength;
  if (paramsEnd > end) {
    throw openError(0, `OPEN: optional parameters length ${paramsLength} overruns the ${end - o} bytes left`, offset + 9);
  }
  const header = extended ? 3 : 2;
  const optionalParameters: OptionalParameter[] = [];
  while (o < paramsEnd) {
    if (o + header > paramsEnd) throw openError(0, 'OPEN: optional parameter header is cut', o);
    const code = buf[o]!;
    const length = extended ? buf.readUInt16BE(o + 1) : buf[o + 1]!;
    const start = o + header;
    if (start + length > paramsEnd) {
      throw openError(0, `OPEN: optional parameter ${code} length ${length} overruns the parameters`, o);
    }
    optionalParameters.push(decodeParameterValue(code, buf, start, start + length));
    o = start + length;
  }

  const open: BgpOpen = { version, myAs, holdTime, bgpId, optionalParameters };
  if (extended) open.extendedParameters = true;
  const as4 = fourOctetAs(open);
  if (as4 === 0) {
    // RFC 7607 §2 applied to the 4-octet AS capability (as FRR does).
    throw openError(OpenSubcode.BadPeerAs, 'OPEN: 4-octet AS capability carries AS 0', offset + 1);
  }
  decode.bytes = paramsEnd - offset;
  return open;
}
decode.bytes = 0;

function parameterValueLength(p: OptionalParameter): number {
  if (p.type === 'unknown') return p.value.length;
  let n = 0;
  for (const c of p.capabilities) n += capability.encodingLength(c);
  return n;
}

/** RFC 9072 §2: the extended form is needed once a length does not fit one byte. */
function needsExtended(value: BgpOpen): boolean {
  let total = 0;
  for (const p of value.optionalParameters) {
    const n = parameterValueLength(p);
    if (n > 255) return true;
    total += 2 + n;
  }
  if (total > 255) return true;
  // A length of 255 followed by a parameter of type 255 would read as the
  // extended marker.
  const first = value.optionalParameters[0];
  return total === 255 && first?.type === 'unknown' && first.code === OptionalParameterType.ExtendedLength;
}

function usesExtended(value: BgpOpen): boolean {
  return value.extendedParameters === true || needsExtended(value);
}

export function encodingLength(value: BgpOpen): number {
  const ext = usesExtended(value);
  let n = OPEN_FIXED_LENGTH + (ext ? 3 : 0);
  for (const p of value.optionalParameters) n += (ext ? 3 : 2) + parameterValueLength(p);
  return n;
}

export function encode(value: BgpOpen, buf?: Buffer, offset = 0): Buffer {
  checkUint(value.version, 0xff, 'OPEN version');
  checkUint(value.myAs, 0xffff, 'OPEN My AS (use AS_TRANS for a 4-octet AS)');
  checkUint(value.holdTime, 0xffff, 'OPEN hold time');
  const id = parseIpv4(value.bgpId);
  const length = encodingLength(value);
  const ext = usesExtended(value);
  const paramsLength = length - OPEN_FIXED_LENGTH - (ext ? 3 : 0);
  if (paramsLength > 0xffff) throw new RangeError(`OPEN optional parameters are ${paramsLength} bytes, at most 65535 fit`);
  const out = buf ?? Buffer.alloc(length + offset);
  if (offset < 0 || offset + length > out.length) {
    throw new RangeError(`OPEN (encode): need ${length} bytes at offset ${offset}, have ${out.length - offset}`);
  }
  out[offset] = value.version;
  out.writeUInt16BE(value.myAs, offset + 1);
  out.writeUInt16BE(value.holdTime, offset + 3);
  id.copy(out, offset + 5);
  let o = offset + OPEN_FIXED_LENGTH;
  if (ext) {
    out[offset + 9] = 255;
    out[o] = OptionalParameterType.ExtendedLength;
    out.writeUInt16BE(paramsLength, o + 1);
    o += 3;
  } else {
    out[offset + 9] = paramsLength;
  }
  for (const p of value.optionalParameters) {
    const code = p.type === 'unknown' ? p.code : OptionalParameterType.Capabilities;
    checkUint(code, 0xff, 'optional parameter type');
    out[o] = code;
    const n = parameterValueLength(p);
    if (ext) out.writeUInt16BE(n, o + 1);
    else out[o + 1] = n;
    o += ext ? 3 : 2;
    if (p.type === 'unknown') {
      p.value.copy(out, o);
      o += n;
    } else {
      for (const c of p.capabilities) {
        capability.encode(c, out, o);
        o += capability.encode.bytes;
      }
    }
  }
  encode.bytes = length;
  return out;
}
encode.bytes = 0;

/** Every capability of the OPEN, in order, whatever parameters they came in. */
export function capabilities(open: BgpOpen): Capability[] {
  const all: Capability[] = [];
  for (const p of open.optionalParameters) if (p.type === 'capabilities') all.push(...p.capabilities);
  return all;
}

/** The 4-octet AS capability's AS number, if the OPEN carries one. */
export function fourOctetAs(open: BgpOpen): number | undefined {
  for (const p of open.optionalParameters) {
    if (p.type !== 'capabilities') continue;
    for (const c of p.capabilities) if (c.type === 'four-octet-as') return c.as;
  }
  return undefined;
}

/**
 * The speaker's real AS: RFC 6793 §4.1, the 4-octet AS capability's value
 * when present (My AS is then AS_TRANS or the same AS), else My AS.
 */
export function effectiveAs(open: BgpOpen): number {
  return fourOctetAs(open) ?? open.myAs;
}

export interface OpenInit {
  /** The local AS, 2 or 4 octets. */
  as: number;
  holdTime: number;
  bgpId: string;
  /**
   * Capabilities to announce, one per optional parameter (as FRR does: the
   * form every implementation reads). Include 'four-octet-as' yourself.
   */
  capabilities: Capability[];
}

/** An OPEN for `init`, with My AS = AS_TRANS when the AS needs 4 octets (RFC 6793 §4.1). */
export function buildOpen(init: OpenInit): BgpOpen {
  checkUint(init.as, 0xffffffff, 'AS number');
  return {
    version: BGP_VERSION,
    myAs: init.as > 0xffff ? AS_TRANS : init.as,
    holdTime: init.holdTime,
    bgpId: init.bgpId,
    optionalParameters: init.capabilities.map((c) => ({ type: 'capabilities' as const, capabilities: [c] })),
  };
}
