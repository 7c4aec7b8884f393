// UPDATE message body, RFC 4271 §4.3 (what follows the 19-byte header):
//
//   Withdrawn Routes Length (2) | Withdrawn Routes (variable)
//   | Total Path Attribute Length (2) | Path Attributes (variable)
//   | Network Layer Reachability Information (variable)
//
// Withdrawn Routes and NLRI are IPv4 unicast prefixes (ADD-PATH per the
// session's "1/1" key, RFC 7911); every other family travels in
// MP_REACH/MP_UNREACH_NLRI (path-attributes.ts). decode reads from `offset`
// to the end of `buf`: bgp-message.ts passes a view ending at the message's
// end.
//
// RFC 7606 error handling: errors that leave the session up are returned in
// `problems` (treat-as-withdraw / attribute-discard, see path-attributes.ts);
// errors that require a session reset are thrown as WireError, so
// `problems` never holds one:
//   - lengths that do not add up (RFC 7606 §3 b: Withdrawn Routes Length or
//     Total Attribute Length too large -> Malformed Attribute List);
//   - a Withdrawn Routes or NLRI field that cannot be parsed (§3 i, §5.3);
//   - §5.2: an UPDATE with no reachable NLRI but attributes other than
//     MP_UNREACH_NLRI, with any error other than attribute discard: the
//     NLRI cannot be trusted to have been parsed, so the session resets.

import { Afi, Safi } from './afi-safi.js';
import type { BgpContext } from './bgp-context.js';
import { DEFAULT_CONTEXT, hasAddPath } from './bgp-context.js';
import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import * as ipPrefixNlri from './ip-prefix-nlri.js';
import type { IpPrefixNlri, IpPrefixNlriContext } from './ip-prefix-nlri.js';
import type { PathAttribute } from './path-attribute.js';
import * as pathAttributes from './path-attributes.js';
import type { ErrorAction } from './wire-error.js';
import { WireError } from './wire-error.js';

export interface BgpUpdate {
  /** Withdrawn Routes: IPv4 unicast prefixes. */
  withdrawn: IpPrefixNlri[];
  attributes: PathAttribute[];
  /** NLRI field: IPv4 unicast prefixes. */
  nlri: IpPrefixNlri[];
  /** RFC 7606 treat-as-withdraw / attribute-discard errors; see action(). */
  problems: WireError[];
}

/** Withdrawn Routes Length + Total Path Attribute Length. */
const FIXED_LENGTH = 4;

function malformedList(message: string, offset: number): WireError {
  return new WireError(message, {
    code: ErrorCode.Update,
    subcode: UpdateSubcode.MalformedAttributeList,
    action: 'session-reset',
    offset,
  });
}

function prefixContext(ctx: BgpContext): IpPrefixNlriContext {
  return { afi: 1, addPath: hasAddPath(ctx, Afi.Ipv4, Safi.Unicast) };
}

/** Prefixes from `offset` to the end of `buf`; a bad one throws Invalid Network Field (session reset). */
function decodePrefixes(buf: Buffer, offset: number, pctx: IpPrefixNlriContext): IpPrefixNlri[] {
  const list: IpPrefixNlri[] = [];
  for (let o = offset; o < buf.length; o += ipPrefixNlri.decode.bytes) list.push(ipPrefixNlri.decode(buf, o, pctx));
  return list;
}

export function decode(buf: Buffer, offset = 0, ctx: BgpContext = DEFAULT_CONTEXT): BgpUpdate {
  const end = buf.length;
  if (offset < 0 || end - offset < FIXED_LENGTH) {
    throw malformedList(`UPDATE: ${Math.max(0, end - offset)} octets, at least ${FIXED_LENGTH} needed`, offset);
  }
  const withdrawnLength = buf.readUInt16BE(offset);
  const withdrawnEnd = offset + 2 + withdrawnLength;
  // RFC 7606 §3 b / RFC 4271 §6.3: the two lengths must fit in the message.
  if (withdrawnEnd + 2 > end) {
    throw malformedList(`UPDATE: Withdrawn Routes Length ${withdrawnLength} runs past the message (${end - offset - 2} octets left)`, offset);
  }
  const attributesLength = buf.readUInt16BE(withdrawnEnd);
  const attributesEnd = withdrawnEnd + 2 + attributesLength;
  if (attributesEnd > end) {
    throw malformedList(
      `UPDATE: Total Path Attribute Length ${attributesLength} runs past the message (${end - withdrawnEnd - 2} octets left)`,
      withdrawnEnd,
    );
  }
  const pctx = prefixContext(ctx);
  // RFC 7606 §3 i and §5.3: both prefix fields must parse, or nothing can be
  // treated as withdrawn.
  const withdrawn = decodePrefixes(buf.subarray(0, withdrawnEnd), offset + 2, pctx);
  const nlri = decodePrefixes(buf, attributesEnd, pctx);
  const block = pathAttributes.decode(buf.subarray(0, attributesEnd), withdrawnEnd + 2, { ...ctx, ipv4Nlri: nlri.length > 0 });
  // RFC 7606 §5.2: no reachable NLRI, yet attributes (other than
  // MP_UNREACH_NLRI, whose own errors are already session resets) with a
  // non-discard error: session reset.
  if (nlri.length === 0 && !hasReachableMpNlri(block.attributes)) {
    const bad = block.problems.find((p) => p.action !== 'attribute-discard');
    if (bad !== undefined) throw bad.withAction('session-reset');
  }
  decode.bytes = end - offset;
  return { withdrawn, attributes: block.attributes, nlri, problems: block.problems };
}
decode.bytes = 0;

function hasReachableMpNlri(attributes: readonly PathAttribute[]): boolean {
  for (const a of attributes) if (a.type === 'mp-reach-nlri' && a.value.nlri.length > 0) return true;
  return false;
}

function prefixesLength(list: readonly IpPrefixNlri[], pctx: IpPrefixNlriContext): number {
  let n = 0;
  for (const p of list) n += ipPrefixNlri.encodingLength(p, pctx);
  return n;
}

export function encodingLength(update: BgpUpdate, ctx: BgpContext = DEFAULT_CONTEXT): number {
  const pctx = prefixContext(ctx);
  return (
    FIXED_LENGTH +
    prefixesLength(update.withdrawn, pctx) +
    pathAttributes.encodingLength(update, ctx) +
    prefixesLength(update.nlri, pctx)
  );
}

/** Writes withdrawn routes, attributes and NLRI (problems are not wire data). */
export function encode(update: BgpUpdate, buf?: Buffer, offset = 0, ctx: BgpContext = DEFAULT_CONTEXT): Buffer {
  const pctx = prefixContext(ctx);
  const withdrawnLength = prefixesLength(update.withdrawn, pctx);
  const attributesLength = pathAttributes.encodingLength(update, ctx);
  if (withdrawnLength > 0xffff) throw new RangeError(`UPDATE: ${withdrawnLength} octets of withdrawn routes exceed 65535`);
  if (attributesLength > 0xffff) throw new RangeError(`UPDATE: ${attributesLength} octets of path attributes exceed 65535`);
  const length = FIXED_LENGTH + withdrawnLength + attributesLength + prefixesLength(update.nlri, pctx);
  const out = buf ?? Buffer.alloc(offset + length);
  if (offset < 0 || offset + length > out.length) throw new RangeError(`UPDATE: no room for ${length} octets at ${offset}`);
  let o = offset;
  out.writeUInt16BE(withdrawnLength, o);
  o += 2;
  for (const p of update.withdrawn) {
    ipPrefixNlri.encode(p, out, o, pctx);
    o += ipPrefixNlri.encode.bytes;
  }
  out.writeUInt16BE(attributesLength, o);
  o += 2;
  pathAttributes.encode(update, out, o, ctx);
  o += attributesLength;
  for (const p of update.nlri) {
    ipPrefixNlri.encode(p, out, o, pctx);
    o += ipPrefixNlri.encode.bytes;
  }
  encode.bytes = length;
  return out;
}
encode.bytes = 0;

/** RFC 7606 §2 order, strongest first; §3 h: with several errors the strongest approach wins. */
const SEVERITY: readonly ErrorAction[] = ['session-reset', 'afi-safi-disable', 'treat-as-withdraw', 'attribute-discard'];

function rank(action: ErrorAction): number {
  const i = SEVERITY.indexOf(action);
  return i < 0 ? SEVERITY.length : i;
}

/** The problem whose approach is strongest (the first of equals), or undefined. */
export function worstProblem(update: Pick<BgpUpdate, 'problems'>): WireError | undefined {
  let worst: WireError | undefined;
  for (const p of update.problems) if (worst === undefined || rank(p.action) < rank(worst.action)) worst = p;
  return worst;
}

/**
 * What to do with a decoded UPDATE (RFC 7606 §3 h: the strongest approach
 * among its problems): 'treat-as-withdraw' = withdraw every route it
 * carries (NLRI, withdrawn routes, MP_REACH and MP_UNREACH NLRI);
 * 'attribute-discard' = use it without the discarded attributes; null = use
 * it as it is.
 */
export function action(update: Pick<BgpUpdate, 'problems'>): ErrorAction | null {
  return worstProblem(update)?.action ?? null;
}

/**
 * RFC 4724 §2 End-of-RIB marker: an UPDATE with nothing in it for IPv4
 * unicast; for any other family, an UPDATE whose only attribute is an
 * MP_UNREACH_NLRI of that family with no withdrawn routes.
 */
export function isEndOfRib(update: BgpUpdate): { afi: number; safi: number } | null {
  if (update.withdrawn.length > 0 || update.nlri.length > 0 || update.problems.length > 0) return null;
  if (update.attributes.length === 0) return { afi: Afi.Ipv4, safi: Safi.Unicast };
  const only = update.attributes[0]!;
  if (update.attributes.length === 1 && only.type === 'mp-unreach-nlri' && only.value.withdrawn.length === 0) {
    return { afi: only.value.afi, safi: only.value.safi };
  }
  return null;
}
