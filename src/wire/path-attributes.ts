// The path attribute block of an UPDATE (RFC 4271 §4.3: what "Total Path
// Attribute Length" counts), decoded with the revised error handling of
// RFC 7606. decode reads from `offset` to the end of `buf`: the caller
// passes a view that ends where the block ends, so the Total Path Attribute
// Length is what locates the NLRI field (RFC 7606 §4).
//
// decode returns the attributes it could use and, in `problems`, one
// WireError per error whose RFC 7606 approach lets the session go on:
//
//   treat-as-withdraw  the UPDATE's routes are withdrawn (RFC 7606 §2);
//                      the malformed attribute is left out of `attributes`
//   attribute-discard  the attribute is left out, the UPDATE is used
//
// Each problem carries the NOTIFICATION code/subcode that RFC 4271 §6.3
// names, the offset, and as data the attribute (for logging, RFC 7606 §6).
// Errors that require a session reset are thrown instead (never recorded):
// a duplicate MP_REACH/MP_UNREACH_NLRI (§3 g), an MP attribute whose NLRI
// cannot be located or parsed (§3 j, §5.3, §7.11), an unrecognized
// well-known attribute (RFC 4271 §6.3).

import type { BgpContext } from './bgp-context.js';
import { DEFAULT_CONTEXT } from './bgp-context.js';
import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import * as pathAttribute from './path-attribute.js';
import type { AttributeOf, PathAttribute, PathAttributeType } from './path-attribute.js';
import { AttributeTypeCode, attributeEnd, attributeName, attributeTypeCode } from './path-attribute.js';
import { WireError } from './wire-error.js';

export interface PathAttributes {
  /** Usable attributes, in received order; duplicates and malformed ones left out. */
  attributes: PathAttribute[];
  /** treat-as-withdraw / attribute-discard errors found (RFC 7606); empty when all is well. */
  problems: WireError[];
}

export interface AttributeBlockContext extends BgpContext {
  /**
   * The UPDATE's own NLRI field (IPv4) is not empty: then NEXT_HOP is
   * mandatory too (RFC 4271 §5; RFC 4760 §3 makes it discretionary for
   * routes carried in MP_REACH_NLRI only).
   */
  ipv4Nlri?: boolean;
}

function malformedList(message: string, action: 'session-reset' | 'attribute-discard', offset: number, data: Buffer): WireError {
  return new WireError(message, {
    code: ErrorCode.Update,
    subcode: UpdateSubcode.MalformedAttributeList,
    action,
    offset,
    data,
  });
}

/** Whether an error lets the UPDATE be processed (recorded) or ends the session (thrown). */
function recordable(e: unknown): e is WireError {
  return e instanceof WireError && (e.action === 'treat-as-withdraw' || e.action === 'attribute-discard');
}

export function decode(buf: Buffer, offset = 0, ctx: AttributeBlockContext = DEFAULT_CONTEXT): PathAttributes {
  if (offset < 0 || offset > buf.length) {
    throw malformedList(`path attributes: offset ${offset} is outside the ${buf.length}-octet buffer`, 'session-reset', offset, buf.subarray(0, 0));
  }
  const attributes: PathAttribute[] = [];
  const problems: WireError[] = [];
  const seen = new Uint8Array(256);
  let abandoned = false;
  let o = offset;
  while (o < buf.length) {
    let end: number;
    try {
      end = attributeEnd(buf, o);
    } catch (e) {
      // RFC 7606 §4: the block cannot be walked further; treat-as-withdraw
      // (an MP attribute cut short is thrown as a session reset instead).
      if (!recordable(e)) throw e;
      problems.push(e);
      abandoned = true;
      break;
    }
    const typeCode = buf[o + 1]!;
    if (seen[typeCode] === 1) {
      const data = buf.subarray(o, end);
      // RFC 7606 §3 g: a second MP_REACH_NLRI or MP_UNREACH_NLRI is a
      // Malformed Attribute List (session reset); any other repeated
      // attribute is discarded, the first one kept, without looking inside.
      if (typeCode === AttributeTypeCode.MpReachNlri || typeCode === AttributeTypeCode.MpUnreachNlri) {
        throw malformedList(`${attributeName(typeCode)} appears more than once`, 'session-reset', o, data);
      }
      problems.push(malformedList(`${attributeName(typeCode)} appears more than once; the first is kept`, 'attribute-discard', o, data));
      o = end;
      continue;
    }
    seen[typeCode] = 1;
    try {
      attributes.push(pathAttribute.decode(buf, o, ctx));
    } catch (e) {
      if (!recordable(e)) throw e;
      problems.push(e);
    }
    o = end;
  }
  // After an abandoned walk, "missing" attributes may just be unread; the
  // UPDATE is treat-as-withdraw already.
  if (!abandoned) missingWellKnown(seen, attributes, ctx.ipv4Nlri === true, buf.length, problems);
  decode.bytes = buf.length - offset;
  return { attributes, problems };
}
decode.bytes = 0;

/**
 * RFC 4271 §5 / RFC 4760 §3: ORIGIN and AS_PATH are mandatory whenever the
 * UPDATE carries reachable routes (NLRI field or MP_REACH_NLRI), NEXT_HOP
 * only for the NLRI field. RFC 7606 §3 d: missing one is treat-as-withdraw,
 * with the Missing Well-known Attribute subcode and the type code as data.
 * An attribute that was present but malformed is not "missing".
 */
function missingWellKnown(
  seen: Uint8Array,
  attributes: readonly PathAttribute[],
  ipv4Nlri: boolean,
  offset: number,
  problems: WireError[],
): void {
  const mpReach = attributes.find((a): a is AttributeOf<'mp-reach-nlri'> => a.type === 'mp-reach-nlri');
  if (!ipv4Nlri && !(mpReach !== undefined && mpReach.value.nlri.length > 0)) return;
  const required: number[] = [AttributeTypeCode.Origin, AttributeTypeCode.AsPath];
  if (ipv4Nlri) required.push(AttributeTypeCode.NextHop);
  for (const code of required) {
    if (seen[code] === 1) continue;
    problems.push(
      new WireError(`${attributeName(code)} is missing`, {
        code: ErrorCode.Update,
        subcode: UpdateSubcode.MissingWellKnownAttribute,
        action: 'treat-as-withdraw',
        offset,
        data: Buffer.of(code),
      }),
    );
  }
}

export function encodingLength(value: PathAttributes, ctx: BgpContext = DEFAULT_CONTEXT): number {
  let n = 0;
  for (const a of value.attributes) n += pathAttribute.encodingLength(a, ctx);
  return n;
}

/** Writes `value.attributes` in order (problems are not wire data). */
export function encode(value: PathAttributes, buf?: Buffer, offset = 0, ctx: BgpContext = DEFAULT_CONTEXT): Buffer {
  const length = encodingLength(value, ctx);
  const out = buf ?? Buffer.alloc(offset + length);
  if (offset < 0 || offset + length > out.length) throw new RangeError(`path attributes: no room for ${length} octets at ${offset}`);
  let o = offset;
  for (const a of value.attributes) {
    pathAttribute.encode(a, out, o, ctx);
    o += pathAttribute.encode.bytes;
  }
  encode.bytes = length;
  return out;
}
encode.bytes = 0;

/** The attribute of that type, e.g. findAttribute(attrs, 'local-pref')?.value. */
export function findAttribute<T extends PathAttributeType>(attributes: readonly PathAttribute[], type: T): AttributeOf<T> | undefined {
  for (const a of attributes) if (a.type === type) return a as AttributeOf<T>;
  return undefined;
}

/** The attribute with that type code, known or not (e.g. 32 for LARGE_COMMUNITY, kept opaque). */
export function findAttributeByCode(attributes: readonly PathAttribute[], typeCode: number): PathAttribute | undefined {
  for (const a of attributes) if (attributeTypeCode(a) === typeCode) return a;
  return undefined;
}
