// One BGP path attribute, RFC 4271 §4.3:
//
//   Attribute Flags (1) | Attribute Type Code (1) | Attribute Length (1, or 2
//   with the Extended Length flag) | Attribute Value
//
// Flags: Optional 0x80, Transitive 0x40, Partial 0x20, Extended Length 0x10;
// the low 4 bits are unused (sent 0, ignored on receipt). Every decoded
// attribute keeps the flags octet it arrived with (Partial, Extended Length
// and unused bits included), so captured bytes re-encode byte for byte. An
// attribute built without `flags` is sent with its RFC flags, and with a
// 2-octet length only when the value is longer than 255 octets.
//
// Known type codes get typed values from their attr-*.ts modules. An unknown
// OPTIONAL attribute is kept opaque with its flags, so a transitive one can
// be passed on (with the Partial bit set: withPartial, RFC 4271 §5). An
// unknown WELL-KNOWN attribute is an Unrecognized Well-known Attribute error
// and ends the session (RFC 4271 §6.3; RFC 7606 does not soften it).
//
// Errors are WireErrors carrying the RFC 7606 action of the attribute
// (see SPECS) and, as data, the whole attribute (RFC 4271 §6.3: "the Data
// field MUST contain the erroneous attribute (type, length, and value)").

import * as attrAggregator from './attr-aggregator.js';
import type { Aggregator } from './attr-aggregator.js';
import * as attrAsPath from './attr-as-path.js';
import type { AsPathSegment, AsWidth } from './attr-as-path.js';
import * as attrAtomicAggregate from './attr-atomic-aggregate.js';
import * as attrClusterList from './attr-cluster-list.js';
import * as attrCommunities from './attr-communities.js';
import * as attrExtendedCommunities from './attr-extended-communities.js';
import * as attrLocalPref from './attr-local-pref.js';
import * as attrMed from './attr-med.js';
import * as attrMpReachNlri from './attr-mp-reach-nlri.js';
import type { MpReachNlri } from './attr-mp-reach-nlri.js';
import * as attrMpUnreachNlri from './attr-mp-unreach-nlri.js';
import type { MpUnreachNlri } from './attr-mp-unreach-nlri.js';
import * as attrNextHop from './attr-next-hop.js';
import * as attrOrigin from './attr-origin.js';
import type { Origin } from './attr-origin.js';
import * as attrOriginatorId from './attr-originator-id.js';
import * as attrPmsiTunnel from './attr-pmsi-tunnel.js';
import type { PmsiTunnel } from './attr-pmsi-tunnel.js';
import type { BgpContext } from './bgp-context.js';
import { DEFAULT_CONTEXT } from './bgp-context.js';
import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import type { ExtendedCommunity } from './extended-community.js';
import type { ErrorAction } from './wire-error.js';
import { checkUint } from './field-range.js';
import { WireError } from './wire-error.js';

export const AttributeFlag = {
  Optional: 0x80,
  Transitive: 0x40,
  Partial: 0x20,
  ExtendedLength: 0x10,
} as const;

/** IANA "BGP Path Attributes" codes handled here. */
export const AttributeTypeCode = {
  Origin: 1,
  AsPath: 2,
  NextHop: 3,
  MultiExitDisc: 4,
  LocalPref: 5,
  AtomicAggregate: 6,
  Aggregator: 7,
  Communities: 8,
  OriginatorId: 9,
  ClusterList: 10,
  MpReachNlri: 14,
  MpUnreachNlri: 15,
  ExtendedCommunities: 16,
  As4Path: 17,
  As4Aggregator: 18,
  PmsiTunnel: 22,
} as const;

interface Attr<T extends string, V> {
  type: T;
  /** The flags octet as received; absent = the RFC's flags for this type. */
  flags?: number;
  value: V;
}

export type OriginAttribute = Attr<'origin', Origin>;
export type AsPathAttribute = Attr<'as-path', AsPathSegment[]>;
export type NextHopAttribute = Attr<'next-hop', string>;
export type MultiExitDiscAttribute = Attr<'multi-exit-disc', number>;
export type LocalPrefAttribute = Attr<'local-pref', number>;
export type AtomicAggregateAttribute = Attr<'atomic-aggregate', null>;
export type AggregatorAttribute = Attr<'aggregator', Aggregator>;
export type CommunitiesAttribute = Attr<'communities', number[]>;
export type OriginatorIdAttribute = Attr<'originator-id', string>;
export type ClusterListAttribute = Attr<'cluster-list', string[]>;
export type MpReachNlriAttribute = Attr<'mp-reach-nlri', MpReachNlri>;
export type MpUnreachNlriAttribute = Attr<'mp-unreach-nlri', MpUnreachNlri>;
export type ExtendedCommunitiesAttribute = Attr<'extended-communities', ExtendedCommunity[]>;
export type As4PathAttribute = Attr<'as4-path', AsPathSegment[]>;
export type As4AggregatorAttribute = Attr<'as4-aggregator', Aggregator>;
export type PmsiTunnelAttribute = Attr<'pmsi-tunnel', PmsiTunnel>;

/** An attribute this code does not know: kept as received, flags included. */
export interface UnknownAttribute {
  type: 'unknown';
  flags: number;
  typeCode: number;
  value: Buffer;
}

export type PathAttribute =
  | OriginAttribute
  | AsPathAttribute
  | NextHopAttribute
  | MultiExitDiscAttribute
  | LocalPrefAttribute
  | AtomicAggregateAttribute
  | AggregatorAttribute
  | CommunitiesAttribute
  | OriginatorIdAttribute
  | ClusterListAttribute
  | MpReachNlriAttribute
  | MpUnreachNlriAttribute
  | ExtendedCommunitiesAttribute
  | As4PathAttribute
  | As4AggregatorAttribute
  | PmsiTunnelAttribute
  | UnknownAttribute;

export type PathAttributeType = PathAttribute['type'];
export type KnownAttributeType = Exclude<PathAttributeType, 'unknown'>;
/** The attribute of a given `type`, e.g. AttributeOf<'origin'>. */
export type AttributeOf<T extends PathAttributeType> = Extract<PathAttribute, { type: T }>;

interface AttributeSpec {
  code: number;
  /** The RFC's name, for messages and logs. */
  name: string;
  /** The Optional and Transitive bits the defining RFC fixes. */
  flags: number;
  /** RFC 7606 approach for any error in this attribute (flags, length, value). */
  onError: ErrorAction;
}

const WELL_KNOWN = AttributeFlag.Transitive;
const OPTIONAL_TRANSITIVE = AttributeFlag.Optional | AttributeFlag.Transitive;
const OPTIONAL_NON_TRANSITIVE = AttributeFlag.Optional;

// onError: RFC 7606 §7 per attribute. §3 c makes a flags conflict
// treat-as-withdraw "unless the specification for the attribute mandates
// different handling": §3 f turns every session-reset case of
// ATOMIC_AGGREGATE and AGGREGATOR into attribute discard, RFC 6793 §6 does
// the same for AS4_PATH and AS4_AGGREGATOR, and §5.3 makes flags that
// contradict RFC 4760 an incorrect MP_REACH/MP_UNREACH (session reset, §3 j).
const SPECS: { readonly [T in KnownAttributeType]: AttributeSpec } = {
  origin: { code: 1, name: 'ORIGIN', flags: WELL_KNOWN, onError: 'treat-as-withdraw' },
  'as-path': { code: 2, name: 'AS_PATH', flags: WELL_KNOWN, onError: 'treat-as-withdraw' },
  'next-hop': { code: 3, name: 'NEXT_HOP', flags: WELL_KNOWN, onError: 'treat-as-withdraw' },
  'multi-exit-disc': { code: 4, name: 'MULTI_EXIT_DISC', flags: OPTIONAL_NON_TRANSITIVE, onError: 'treat-as-withdraw' },
  'local-pref': { code: 5, name: 'LOCAL_PREF', flags: WELL_KNOWN, onError: 'treat-as-withdraw' },
  'atomic-aggregate': { code: 6, name: 'ATOMIC_AGGREGATE', flags: WELL_KNOWN, onError: 'attribute-discard' },
  aggregator: { code: 7, name: 'AGGREGATOR', flags: OPTIONAL_TRANSITIVE, onError: 'attribute-discard' },
  communities: { code: 8, name: 'COMMUNITIES', flags: OPTIONAL_TRANSITIVE, onError: 'treat-as-withdraw' },
  'originator-id': { code: 9, name: 'ORIGINATOR_ID', flags: OPTIONAL_NON_TRANSITIVE, onError: 'treat-as-withdraw' },
  'cluster-list': { code: 10, name: 'CLUSTER_LIST', flags: OPTIONAL_NON_TRANSITIVE, onError: 'treat-as-withdraw' },
  'mp-reach-nlri': { code: 14, name: 'MP_REACH_NLRI', flags: OPTIONAL_NON_TRANSITIVE, onError: 'session-reset' },
  'mp-unreach-nlri': { code: 15, name: 'MP_UNREACH_NLRI', flags: OPTIONAL_NON_TRANSITIVE, onError: 'session-reset' },
  'extended-communities': { code: 16, name: 'EXTENDED_COMMUNITIES', flags: OPTIONAL_TRANSITIVE, onError: 'treat-as-withdraw' },
  'as4-path': { code: 17, name: 'AS4_PATH', flags: OPTIONAL_TRANSITIVE, onError: 'attribute-discard' },
  'as4-aggregator': { code: 18, name: 'AS4_AGGREGATOR', flags: OPTIONAL_TRANSITIVE, onError: 'attribute-discard' },
  // RFC 6514 §5 defines no error handling; a bad PMSI Tunnel breaks the
  // flood list a Type 3 route exists for, so the route is withdrawn.
  'pmsi-tunnel': { code: 22, name: 'PMSI_TUNNEL', flags: OPTIONAL_TRANSITIVE, onError: 'treat-as-withdraw' },
};

const BY_CODE: (KnownAttributeType | undefined)[] = new Array(256).fill(undefined);
for (const [type, spec] of Object.entries(SPECS) as [KnownAttributeType, AttributeSpec][]) BY_CODE[spec.code] = type;

/** Other attribute names for log lines (IANA registry), beyond the ones decoded here. */
const OTHER_NAMES: Record<number, string> = {
  11: 'DPA',
  12: 'ADVERTISER',
  13: 'RCID_PATH',
  23: 'TUNNEL_ENCAPSULATION',
  25: 'IPV6_EXTENDED_COMMUNITIES',
  26: 'AIGP',
  27: 'PE_DISTINGUISHER_LABELS',
  29: 'BGP_LS',
  32: 'LARGE_COMMUNITY',
  33: 'BGPSEC_PATH',
  35: 'OTC',
  40: 'PREFIX_SID',
  128: 'ATTR_SET',
};

const FOUR_OCTET: AsWidth = { as4: true };

/** The RFC name of a type code, e.g. 14 -> "MP_REACH_NLRI"; unknown codes are "ATTRIBUTE_<n>". */
export function attributeName(typeCode: number): string {
  const type = BY_CODE[typeCode];
  if (type !== undefined) return SPECS[type].name;
  return OTHER_NAMES[typeCode] ?? `ATTRIBUTE_${typeCode}`;
}

/** The known `type` of a type code, or undefined when it is decoded as 'unknown'. */
export function attributeTypeOf(typeCode: number): KnownAttributeType | undefined {
  return BY_CODE[typeCode];
}

export function attributeTypeCode(attr: PathAttribute): number {
  return attr.type === 'unknown' ? attr.typeCode : SPECS[attr.type].code;
}

/** The flags octet the attribute is (or will be) sent with, before the Extended Length bit is forced. */
export function attributeFlags(attr: PathAttribute): number {
  return attr.flags ?? SPECS[attr.type as KnownAttributeType].flags;
}

/** The flags the defining RFC gives a known type (Optional and Transitive bits only). */
export function defaultFlags(type: KnownAttributeType): number {
  return SPECS[type].flags;
}

/** The RFC 7606 approach used when an attribute of this type is malformed. */
export function errorAction(type: KnownAttributeType): ErrorAction {
  return SPECS[type].onError;
}

export function isOptionalTransitive(attr: PathAttribute): boolean {
  return (attributeFlags(attr) & OPTIONAL_TRANSITIVE) === OPTIONAL_TRANSITIVE;
}

/**
 * The same attribute with the Partial bit set: RFC 4271 §5, an unrecognized
 * optional transitive attribute passed on to other peers. Only optional
 * transitive attributes may carry the bit (RFC 4271 §4.3).
 */
export function withPartial<A extends PathAttribute>(attr: A): A {
  const flags = attributeFlags(attr);
  if ((flags & OPTIONAL_TRANSITIVE) !== OPTIONAL_TRANSITIVE) {
    throw new TypeError(
      `${attr.type === 'unknown' ? attributeName(attr.typeCode) : SPECS[attr.type].name}: only an optional transitive attribute may be Partial (RFC 4271 §4.3)`,
    );
  }
  return { ...attr, flags: flags | AttributeFlag.Partial };
}

// ------------------------------------------------------------------ decode

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

function update(subcode: number, action: ErrorAction, message: string, offset: number, data?: Buffer): WireError {
  const init = { code: ErrorCode.Update, subcode, action, offset };
  return new WireError(message, data === undefined ? init : { ...init, data });
}

/**
 * Where the attribute that starts at `offset` ends (its header and value fit
 * in `buf`). Otherwise RFC 7606 §4: fewer than 3 octets (4 with Extended
 * Length) left for a header, or a value running past the attribute block, is
 * treat-as-withdraw — unless the attribute is MP_REACH/MP_UNREACH_NLRI,
 * whose NLRI then cannot be parsed: session reset (§3 j, §5.3).
 */
export function attributeEnd(buf: Buffer, offset: number): number {
  const left = buf.length - offset;
  const flags = left >= 1 ? buf[offset]! : 0;
  const headerLength = flags & AttributeFlag.ExtendedLength ? 4 : 3;
  const rest = buf.subarray(Math.min(offset, buf.length));
  if (left < headerLength) {
    const mp = left >= 2 && (buf[offset + 1] === AttributeTypeCode.MpReachNlri || buf[offset + 1] === AttributeTypeCode.MpUnreachNlri);
    throw update(
      UpdateSubcode.MalformedAttributeList,
      mp ? 'session-reset' : 'treat-as-withdraw',
      `path attribute: ${Math.max(0, left)} octets left, an attribute header needs ${headerLength}`,
      offset,
      rest,
    );
  }
  const typeCode = buf[offset + 1]!;
  const valueLength = headerLength === 4 ? buf.readUInt16BE(offset + 2) : buf[offset + 2]!;
  if (valueLength > left - headerLength) {
    const mp = typeCode === AttributeTypeCode.MpReachNlri || typeCode === AttributeTypeCode.MpUnreachNlri;
    throw update(
      UpdateSubcode.AttributeLengthError,
      mp ? 'session-reset' : 'treat-as-withdraw',
      `${attributeName(typeCode)}: length ${valueLength} runs past the path attributes (${left - headerLength} octets left)`,
      offset + 2,
      rest,
    );
  }
  return offset + headerLength + valueLength;
}

function decodeValue(type: KnownAttributeType, buf: Buffer, offset: number, ctx: BgpContext): PathAttribute['value'] {
  switch (type) {
    case 'origin':
      return attrOrigin.decode(buf, offset);
    case 'as-path':
      return attrAsPath.decode(buf, offset, ctx);
    case 'next-hop':
      return attrNextHop.decode(buf, offset);
    case 'multi-exit-disc':
      return attrMed.decode(buf, offset);
    case 'local-pref':
      return attrLocalPref.decode(buf, offset);
    case 'atomic-aggregate':
      return attrAtomicAggregate.decode(buf, offset);
    case 'aggregator':
      return attrAggregator.decode(buf, offset, ctx);
    case 'communities':
      return attrCommunities.decode(buf, offset);
    case 'originator-id':
      return attrOriginatorId.decode(buf, offset);
    case 'cluster-list':
      return attrClusterList.decode(buf, offset);
    case 'mp-reach-nlri':
      return attrMpReachNlri.decode(buf, offset, ctx);
    case 'mp-unreach-nlri':
      return attrMpUnreachNlri.decode(buf, offset, ctx);
    case 'extended-communities':
      return attrExtendedCommunities.decode(buf, offset);
    case 'as4-path':
      // RFC 6793 §6: too small to carry one AS number is malformed (an empty
      // AS_PATH is valid, an empty AS4_PATH is not).
      if (offset >= buf.length) {
        throw update(UpdateSubcode.AttributeLengthError, 'attribute-discard', 'AS4_PATH: empty', offset);
      }
      return attrAsPath.decode(buf, offset, FOUR_OCTET);
    case 'as4-aggregator':
      return attrAggregator.decode(buf, offset, FOUR_OCTET);
    case 'pmsi-tunnel':
      return attrPmsiTunnel.decode(buf, offset);
  }
}

export function decode(buf: Buffer, offset = 0, ctx: BgpContext = DEFAULT_CONTEXT): PathAttribute {
  const end = attributeEnd(buf, offset);
  const flags = buf[offset]!;
  const typeCode = buf[offset + 1]!;
  const valueStart = offset + (flags & AttributeFlag.ExtendedLength ? 4 : 3);
  const bytes = buf.subarray(offset, end);
  const type = BY_CODE[typeCode];
  if (type === undefined) {
    if (!(flags & AttributeFlag.Optional)) {
      // RFC 4271 §6.3: an unrecognized well-known attribute; §3 j of RFC 7606
      // leaves it a session reset.
      throw update(
        UpdateSubcode.UnrecognizedWellKnownAttribute,
        'session-reset',
        `${attributeName(typeCode)}: unrecognized well-known attribute (flags 0x${hex2(flags)})`,
        offset,
        bytes,
      );
    }
    decode.bytes = end - offset;
    return { type: 'unknown', flags, typeCode, value: buf.subarray(valueStart, end) };
  }
  const spec = SPECS[type];
  // RFC 7606 §3 c: Optional/Transitive bits in conflict with the type.
  if ((flags & OPTIONAL_TRANSITIVE) !== spec.flags) {
    throw update(
      UpdateSubcode.AttributeFlagsError,
      spec.onError,
      `${spec.name}: flags 0x${hex2(flags)}, its Optional/Transitive bits must be 0x${hex2(spec.flags)}`,
      offset,
      bytes,
    );
  }
  let value: PathAttribute['value'];
  try {
    value = decodeValue(type, end === buf.length ? buf : buf.subarray(0, end), valueStart, ctx);
  } catch (e) {
    if (!(e instanceof WireError)) throw e;
    // The value codec knows the error; the attribute's RFC decides the
    // approach (the AS4_* attributes reuse the AS_PATH and AGGREGATOR
    // codecs but are only discarded). An NLRI error inside MP_REACH/
    // MP_UNREACH stays a session reset.
    const action = e.action === 'session-reset' ? 'session-reset' : spec.onError;
    throw update(e.subcode, action, e.message, e.offset, e.data ?? bytes);
  }
  decode.bytes = end - offset;
  return { type, flags, value } as PathAttribute;
}
decode.bytes = 0;

// ------------------------------------------------------------------ encode

function valueLength(attr: PathAttribute, ctx: BgpContext): number {
  switch (attr.type) {
    case 'origin':
      return attrOrigin.encodingLength(attr.value);
    case 'as-path':
      return attrAsPath.encodingLength(attr.value, ctx);
    case 'next-hop':
      return attrNextHop.encodingLength(attr.value);
    case 'multi-exit-disc':
      return attrMed.encodingLength(attr.value);
    case 'local-pref':
      return attrLocalPref.encodingLength(attr.value);
    case 'atomic-aggregate':
      return attrAtomicAggregate.encodingLength(attr.value);
    case 'aggregator':
      return attrAggregator.encodingLength(attr.value, ctx);
    case 'communities':
      return attrCommunities.encodingLength(attr.value);
    case 'originator-id':
      return attrOriginatorId.encodingLength(attr.value);
    case 'cluster-list':
      return attrClusterList.encodingLength(attr.value);
    case 'mp-reach-nlri':
      return attrMpReachNlri.encodingLength(attr.value, ctx);
    case 'mp-unreach-nlri':
      return attrMpUnreachNlri.encodingLength(attr.value, ctx);
    case 'extended-communities':
      return attrExtendedCommunities.encodingLength(attr.value);
    case 'as4-path':
      return attrAsPath.encodingLength(attr.value, FOUR_OCTET);
    case 'as4-aggregator':
      return attrAggregator.encodingLength(attr.value, FOUR_OCTET);
    case 'pmsi-tunnel':
      return attrPmsiTunnel.encodingLength(attr.value);
    case 'unknown':
      return attr.value.length;
  }
}

function encodeValue(attr: PathAttribute, buf: Buffer, offset: number, ctx: BgpContext): void {
  switch (attr.type) {
    case 'origin':
      attrOrigin.encode(attr.value, buf, offset);
      return;
    case 'as-path':
      attrAsPath.encode(attr.value, buf, offset, ctx);
      return;
    case 'next-hop':
      attrNextHop.encode(attr.value, buf, offset);
      return;
    case 'multi-exit-disc':
      attrMed.encode(attr.value, buf, offset);
      return;
    case 'local-pref':
      attrLocalPref.encode(attr.value, buf, offset);
      return;
    case 'atomic-aggregate':
      attrAtomicAggregate.encode(attr.value, buf, offset);
      return;
    case 'aggregator':
      attrAggregator.encode(attr.value, buf, offset, ctx);
      return;
    case 'communities':
      attrCommunities.encode(attr.value, buf, offset);
      return;
    case 'originator-id':
      attrOriginatorId.encode(attr.value, buf, offset);
      return;
    case 'cluster-list':
      attrClusterList.encode(attr.value, buf, offset);
      return;
    case 'mp-reach-nlri':
      attrMpReachNlri.encode(attr.value, buf, offset, ctx);
      return;
    case 'mp-unreach-nlri':
      attrMpUnreachNlri.encode(attr.value, buf, offset, ctx);
      return;
    case 'extended-communities':
      attrExtendedCommunities.encode(attr.value, buf, offset);
      return;
    case 'as4-path':
      if (attr.value.length === 0) throw new RangeError('AS4_PATH: at least one segment (RFC 6793 §6)');
      attrAsPath.encode(attr.value, buf, offset, FOUR_OCTET);
      return;
    case 'as4-aggregator':
      attrAggregator.encode(attr.value, buf, offset, FOUR_OCTET);
      return;
    case 'pmsi-tunnel':
      attrPmsiTunnel.encode(attr.value, buf, offset);
      return;
    case 'unknown':
      attr.value.copy(buf, offset);
      return;
  }
}

/** The flags octet actually written: Extended Length is forced on above 255 octets. */
function wireFlags(attr: PathAttribute, length: number): number {
  const flags = attributeFlags(attr);
  checkUint(flags, 0xff, 'attribute flags');
  return length > 0xff ? flags | AttributeFlag.ExtendedLength : flags;
}

export function encodingLength(attr: PathAttribute, ctx: BgpContext = DEFAULT_CONTEXT): number {
  const length = valueLength(attr, ctx);
  return (wireFlags(attr, length) & AttributeFlag.ExtendedLength ? 4 : 3) + length;
}

export function encode(attr: PathAttribute, buf?: Buffer, offset = 0, ctx: BgpContext = DEFAULT_CONTEXT): Buffer {
  const typeCode = attributeTypeCode(attr);
  checkUint(typeCode, 0xff, 'attribute type code');
  if (attr.type === 'unknown' && BY_CODE[typeCode] !== undefined) {
    // Sending a known code as opaque bytes is fine on the wire, but it would
    // decode back as its typed form; keep the two apart.
    throw new TypeError(`${attributeName(typeCode)} has a typed form; 'unknown' is for codes not decoded here`);
  }
  if (attr.type === 'unknown' && !(attr.flags & AttributeFlag.Optional)) {
    // RFC 4271 §6.3: a receiver resets the session on an unrecognized
    // well-known attribute; only optional ones are passed on opaque.
    throw new TypeError(`${attributeName(typeCode)}: an opaque attribute must have the Optional flag`);
  }
  const length = valueLength(attr, ctx);
  if (length > 0xffff) throw new RangeError(`${attributeName(typeCode)}: value of ${length} octets exceeds 65535`);
  const flags = wireFlags(attr, length);
  const headerLength = flags & AttributeFlag.ExtendedLength ? 4 : 3;
  const total = headerLength + length;
  const out = buf ?? Buffer.alloc(offset + total);
  if (offset < 0 || offset + total > out.length) throw new RangeError(`${attributeName(typeCode)}: no room for ${total} octets at ${offset}`);
  out[offset] = flags;
  out[offset + 1] = typeCode;
  if (headerLength === 4) out.writeUInt16BE(length, offset + 2);
  else out[offset + 2] = length;
  encodeValue(attr, out, offset + headerLength, ctx);
  encode.bytes = total;
  return out;
}
encode.bytes = 0;
