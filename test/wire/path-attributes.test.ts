// Path attributes one by one and as a block, with the RFC 7606 error
// handling asserted rule by rule on hand-built bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { AS4_CONTEXT, DEFAULT_CONTEXT } from '../../src/wire/bgp-context.js';
import type { BgpContext } from '../../src/wire/bgp-context.js';
import * as pathAttribute from '../../src/wire/path-attribute.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { AttributeFlag, attributeName, withPartial } from '../../src/wire/path-attribute.js';
import * as pathAttributes from '../../src/wire/path-attributes.js';
import { findAttribute, findAttributeByCode } from '../../src/wire/path-attributes.js';
import type { ErrorAction } from '../../src/wire/wire-error.js';
import { WireError } from '../../src/wire/wire-error.js';
import { bytesArbitrary, onlyWireError, runs } from '../helpers/property.js';
import { reencodes, roundTrip, TO_END } from '../helpers/round-trip.js';
import { attributeListArbitrary, CONTEXTS, pathAttributeArbitrary } from '../helpers/update-arbitraries.js';

// ------------------------------------------------------------------ bytes

/** One attribute: flags, type code, 1- or 2-octet length (per the Extended Length flag), value. */
function attr(flags: number, code: number, value: readonly number[] | Buffer): Buffer {
  const v = Buffer.from(value);
  const header = flags & AttributeFlag.ExtendedLength ? [flags, code, v.length >> 8, v.length & 0xff] : [flags, code, v.length];
  return Buffer.concat([Buffer.from(header), v]);
}

const ORIGIN_IGP = attr(0x40, 1, [0]);
const AS_PATH_EMPTY = attr(0x40, 2, []);
const LOCAL_PREF_100 = attr(0x40, 5, [0, 0, 0, 100]);
/** An EVPN Type 3 route 10.212.0.1:2 / 10.212.0.1, next hop 10.212.0.1. */
const EVPN_T3 = [3, 17, 0, 1, 10, 212, 0, 1, 0, 2, 0, 0, 0, 0, 32, 10, 212, 0, 1];
const MP_REACH_T3 = attr(0x90, 14, [0, 25, 70, 4, 10, 212, 0, 1, 0, ...EVPN_T3]);
const MP_UNREACH_T3 = attr(0x90, 15, [0, 25, 70, ...EVPN_T3]);
const MP_UNREACH_EOR = attr(0x80, 15, [0, 25, 70]);
/** What an FRR Type 3 route carries besides MP_REACH_NLRI. */
const BASE = [ORIGIN_IGP, AS_PATH_EMPTY, LOCAL_PREF_100];

function block(...attrs: Buffer[]): Buffer {
  return Buffer.concat(attrs);
}

function decodeBlock(bytes: Buffer, ctx: pathAttributes.AttributeBlockContext = AS4_CONTEXT): pathAttributes.PathAttributes {
  return pathAttributes.decode(bytes, 0, ctx);
}

interface Expected {
  subcode: number;
  action: ErrorAction;
  data?: Buffer;
}

function assertProblem(e: WireError | undefined, expected: Expected, what: string): void {
  assert.ok(e instanceof WireError, `${what}: a WireError`);
  assert.equal(e.code, 3, `${what}: UPDATE Message Error`);
  assert.equal(e.subcode, expected.subcode, `${what}: subcode (${e.message})`);
  assert.equal(e.action, expected.action, `${what}: action (${e.message})`);
  if (expected.data !== undefined) assert.deepEqual(e.data, expected.data, `${what}: data is the attribute`);
}

/** The only problem of a block, checked; the attribute it concerns is not in `attributes`. */
function onlyProblem(bytes: Buffer, expected: Expected, ctx?: pathAttributes.AttributeBlockContext): pathAttributes.PathAttributes {
  const r = decodeBlock(bytes, ctx);
  assert.equal(r.problems.length, 1, `one problem, got ${r.problems.map((p) => p.message).join('; ')}`);
  assertProblem(r.problems[0], expected, 'problem');
  return r;
}

function assertThrows(fn: () => unknown, expected: Expected): void {
  assert.throws(fn, (e: unknown) => {
    assertProblem(e as WireError, expected, 'thrown');
    return true;
  });
}

// ------------------------------------------------------------------ RFC 7606, rule by rule

test('RFC 7606 §7.1: ORIGIN with an undefined value is treat-as-withdraw, Invalid ORIGIN Attribute', () => {
  const bad = attr(0x40, 1, [3]);
  const r = onlyProblem(block(MP_REACH_T3, bad, AS_PATH_EMPTY), { subcode: 6, action: 'treat-as-withdraw', data: bad });
  assert.equal(findAttribute(r.attributes, 'origin'), undefined, 'the malformed ORIGIN is left out');
  assert.ok(findAttribute(r.attributes, 'mp-reach-nlri'), 'the NLRI are still there to be withdrawn');
});

test('RFC 7606 §7.1: ORIGIN of length 2 is treat-as-withdraw, Attribute Length Error', () => {
  const bad = attr(0x40, 1, [0, 0]);
  onlyProblem(block(MP_REACH_T3, bad, AS_PATH_EMPTY), { subcode: 5, action: 'treat-as-withdraw', data: bad });
});

test('RFC 7606 §7.2: AS_PATH segment overrun, underrun, zero length, unknown type: treat-as-withdraw, Malformed AS_PATH', () => {
  const cases: Array<[string, number[]]> = [
    ['overrun: 2 ASNs announced, 1 present', [2, 2, 0, 0, 0xfd, 0xe8]],
    ['underrun: one octet after the last segment', [2, 1, 0, 0, 0xfd, 0xe8, 2]],
    ['segment length 0', [2, 0]],
    ['unrecognized segment type 5', [5, 1, 0, 0, 0xfd, 0xe8]],
  ];
  for (const [what, value] of cases) {
    const bad = attr(0x40, 2, value);
    const r = onlyProblem(block(MP_REACH_T3, ORIGIN_IGP, bad), { subcode: 11, action: 'treat-as-withdraw', data: bad });
    assert.equal(findAttribute(r.attributes, 'as-path'), undefined, what);
  }
});

test('RFC 6793: the AS_PATH ASN width follows the session', () => {
  const path = attr(0x40, 2, [2, 1, 0, 1, 0, 1]);
  assert.deepEqual(findAttribute(decodeBlock(path, AS4_CONTEXT).attributes, 'as-path')?.value, [{ type: 'as-sequence', asns: [65537] }]);
  // Read with 2-octet ASNs the same bytes are ASN 1, then a segment of type 0.
  const two = decodeBlock(path, DEFAULT_CONTEXT);
  assert.equal(two.problems[0]?.subcode, 11);
  assert.deepEqual(
    findAttribute(decodeBlock(attr(0x40, 2, [1, 2, 0xfd, 0xe8, 0xfd, 0xe9]), DEFAULT_CONTEXT).attributes, 'as-path')?.value,
    [{ type: 'as-set', asns: [65000, 65001] }],
  );
});

test('RFC 7606 §3 g: a repeated attribute is discarded, the first one kept', () => {
  const second = attr(0x40, 5, [0, 0, 0, 200]);
  const r = onlyProblem(block(MP_REACH_T3, ORIGIN_IGP, AS_PATH_EMPTY, LOCAL_PREF_100, second), {
    subcode: 1,
    action: 'attribute-discard',
    data: second,
  });
  assert.equal(findAttribute(r.attributes, 'local-pref')?.value, 100);
  assert.equal(r.attributes.filter((a) => a.type === 'local-pref').length, 1);
});

test('RFC 7606 §3 g: a repeated attribute is discarded unread (a malformed second ORIGIN is no error)', () => {
  const badSecond = attr(0x40, 1, [9, 9]);
  const r = onlyProblem(block(MP_REACH_T3, ...BASE, badSecond), { subcode: 1, action: 'attribute-discard', data: badSecond });
  assert.equal(findAttribute(r.attributes, 'origin')?.value, 'igp');
});

test('RFC 7606 §3 g: unknown attributes repeated are discarded too', () => {
  const first = attr(0xc0, 99, [1]);
  const second = attr(0xc0, 99, [2]);
  const r = onlyProblem(block(first, second), { subcode: 1, action: 'attribute-discard', data: second });
  assert.deepEqual(findAttributeByCode(r.attributes, 99), { type: 'unknown', flags: 0xc0, typeCode: 99, value: Buffer.from([1]) });
});

test('RFC 7606 §3 g: MP_REACH_NLRI twice is a session reset, Malformed Attribute List', () => {
  assertThrows(() => decodeBlock(block(MP_REACH_T3, ...BASE, MP_REACH_T3)), { subcode: 1, action: 'session-reset', data: MP_REACH_T3 });
});

test('RFC 7606 §3 g: MP_UNREACH_NLRI twice is a session reset', () => {
  assertThrows(() => decodeBlock(block(MP_UNREACH_EOR, MP_UNREACH_T3)), { subcode: 1, action: 'session-reset', data: MP_UNREACH_T3 });
});

test('RFC 7606 §7.6: ATOMIC_AGGREGATE of length 1 is attribute-discard', () => {
  const bad = attr(0x40, 6, [0]);
  const r = onlyProblem(block(MP_REACH_T3, ...BASE, bad), { subcode: 5, action: 'attribute-discard', data: bad });
  assert.equal(findAttribute(r.attributes, 'atomic-aggregate'), undefined, 'discarded');
  assert.equal(r.attributes.length, 4, 'everything else is kept');
  assert.deepEqual(findAttribute(decodeBlock(attr(0x40, 6, [])).attributes, 'atomic-aggregate'), {
    type: 'atomic-aggregate',
    flags: 0x40,
    value: null,
  });
});

test('RFC 7606 §4: an attribute whose length runs past the block is treat-as-withdraw', () => {
  const cut = Buffer.from([0x40, 5, 4, 0, 0]); // LOCAL_PREF claiming 4 octets, 2 present
  const r = onlyProblem(block(MP_REACH_T3, ORIGIN_IGP, AS_PATH_EMPTY, cut), { subcode: 5, action: 'treat-as-withdraw', data: cut });
  assert.equal(r.attributes.length, 3, 'the attributes before it are kept');
  const extended = Buffer.from([0x50, 16, 0x01, 0x00, 0, 2]); // 256 octets announced
  onlyProblem(block(MP_REACH_T3, ...BASE, extended), { subcode: 5, action: 'treat-as-withdraw', data: extended });
});

test('RFC 7606 §4: fewer than 3 octets (4 with Extended Length) left for a header is treat-as-withdraw', () => {
  for (const tail of [[0x40], [0x40, 5], [0x50, 5, 0]]) {
    const t = Buffer.from(tail);
    onlyProblem(block(MP_REACH_T3, ...BASE, t), { subcode: 1, action: 'treat-as-withdraw', data: t });
  }
});

test('RFC 7606 §4 + §3 j: MP_REACH/MP_UNREACH running past the block is a session reset (its NLRI cannot be parsed)', () => {
  assertThrows(() => decodeBlock(block(...BASE, MP_REACH_T3.subarray(0, MP_REACH_T3.length - 3))), { subcode: 5, action: 'session-reset' });
  assertThrows(() => decodeBlock(block(MP_UNREACH_T3.subarray(0, 10))), { subcode: 5, action: 'session-reset' });
});

test('RFC 7606 §4: only AS_PATH and ATOMIC_AGGREGATE may be empty', () => {
  for (const code of [1, 3, 4, 5, 7, 8, 9, 10, 16, 18, 22]) {
    const empty = attr(code === 1 || code === 3 || code === 5 ? 0x40 : code === 4 || code === 9 || code === 10 ? 0x80 : 0xc0, code, []);
    const r = decodeBlock(block(empty));
    assert.equal(r.problems.length, 1, `${attributeName(code)} of length 0 is malformed`);
    assert.equal(r.attributes.length, 0);
  }
  assert.deepEqual(decodeBlock(block(AS_PATH_EMPTY)).problems, []);
});

test('RFC 7606 §3 c: ORIGIN with the Optional bit set is treat-as-withdraw, Attribute Flags Error', () => {
  const bad = attr(0xc0, 1, [0]);
  const r = onlyProblem(block(MP_REACH_T3, bad, AS_PATH_EMPTY), { subcode: 4, action: 'treat-as-withdraw', data: bad });
  assert.equal(findAttribute(r.attributes, 'origin'), undefined);
  // Transitive bit cleared on a well-known attribute: same rule.
  onlyProblem(block(MP_REACH_T3, attr(0x00, 1, [0]), AS_PATH_EMPTY), { subcode: 4, action: 'treat-as-withdraw' });
});

test('RFC 7606 §3 c: flags errors elsewhere: MED and ORIGINATOR_ID treat-as-withdraw, AGGREGATOR and ATOMIC_AGGREGATE discarded (§3 f)', () => {
  onlyProblem(block(attr(0x40, 4, [0, 0, 0, 1])), { subcode: 4, action: 'treat-as-withdraw' });
  onlyProblem(block(attr(0xc0, 9, [1, 2, 3, 4])), { subcode: 4, action: 'treat-as-withdraw' });
  onlyProblem(block(attr(0x80, 7, [0, 0, 0xfd, 0xe8, 1, 2, 3, 4])), { subcode: 4, action: 'attribute-discard' });
  onlyProblem(block(attr(0xc0, 6, [])), { subcode: 4, action: 'attribute-discard' });
});

test('RFC 7606 §5.3: MP_REACH_NLRI with flags contradicting RFC 4760 is a session reset', () => {
  assertThrows(() => decodeBlock(block(attr(0xc0, 14, [0, 25, 70, 4, 10, 212, 0, 1, 0]))), { subcode: 4, action: 'session-reset' });
});

test('RFC 4271 §4.3: the Partial bit and the unused low bits are no error, and are kept', () => {
  const odd = attr(0x6f, 1, [2]); // well-known, Partial + unused bits
  const r = decodeBlock(block(odd));
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.attributes, [{ type: 'origin', flags: 0x6f, value: 'incomplete' }]);
  reencodes(pathAttribute, odd, AS4_CONTEXT);
});

test('RFC 4271 §5: an unknown optional transitive attribute is kept with its flags, and passed on Partial', () => {
  const large = attr(0xc0, 32, [0, 0, 0xfd, 0xe8, 0, 0, 0, 1, 0, 0, 0, 2]); // LARGE_COMMUNITY 65000:1:2
  const r = decodeBlock(block(MP_REACH_T3, ...BASE, large));
  assert.deepEqual(r.problems, []);
  const kept = findAttributeByCode(r.attributes, 32);
  assert.deepEqual(kept, { type: 'unknown', flags: 0xc0, typeCode: 32, value: large.subarray(3) });
  const passed = withPartial(kept!);
  assert.equal(passed.flags, 0xe0);
  assert.deepEqual(pathAttribute.encode(passed), Buffer.concat([Buffer.from([0xe0]), large.subarray(1)]));
  assert.equal(kept!.flags, 0xc0, 'withPartial does not touch its argument');
  reencodes(pathAttributes, block(MP_REACH_T3, ...BASE, large), AS4_CONTEXT, TO_END);
});

test('RFC 4271 §5: an unknown optional non-transitive attribute is kept; it may not be marked Partial', () => {
  const opaque = attr(0x80, 200, [1, 2, 3]);
  const r = decodeBlock(block(opaque));
  assert.deepEqual(r.attributes, [{ type: 'unknown', flags: 0x80, typeCode: 200, value: Buffer.from([1, 2, 3]) }]);
  assert.throws(() => withPartial(r.attributes[0]!), TypeError);
  assert.throws(() => withPartial({ type: 'origin', value: 'igp' }), TypeError);
  assert.equal(pathAttribute.attributeFlags(withPartial({ type: 'communities', value: [1] })), 0xe0, 'a known optional transitive one may');
});

test('RFC 4271 §6.3: an unrecognized well-known attribute is a session reset, Unrecognized Well-known Attribute', () => {
  const unknown = attr(0x40, 99, [1, 2]);
  assertThrows(() => decodeBlock(block(MP_REACH_T3, ...BASE, unknown)), { subcode: 2, action: 'session-reset', data: unknown });
});

test('RFC 6514 §5: PMSI_TUNNEL with a bad length is treat-as-withdraw', () => {
  const good = attr(0xc0, 22, [0, 6, 0, 0, 100, 10, 212, 0, 1]);
  assert.deepEqual(findAttribute(decodeBlock(good).attributes, 'pmsi-tunnel')?.value, {
    flags: 0,
    tunnelType: 6,
    label: 100,
    tunnelId: '10.212.0.1',
  });
  for (const value of [
    [0, 6, 0, 0, 100, 10, 212, 0], // ingress replication with a 3-octet identifier (length 8)
    [0, 6, 0, 0, 100, 10, 212, 0, 1, 0], // length 10
    [0, 6, 0, 0], // shorter than the fixed part
  ]) {
    const bad = attr(0xc0, 22, value);
    onlyProblem(block(MP_REACH_T3, ...BASE, bad), { subcode: 5, action: 'treat-as-withdraw', data: bad });
  }
  // Another tunnel type keeps its identifier opaque, whatever its length.
  assert.deepEqual(findAttribute(decodeBlock(attr(0xc0, 22, [1, 3, 0, 0, 0, 9, 9, 9])).attributes, 'pmsi-tunnel')?.value, {
    flags: 1,
    tunnelType: 3,
    label: 0,
    tunnelId: Buffer.from([9, 9, 9]),
  });
});

test('RFC 7606 §3 d: a missing ORIGIN or AS_PATH with reachable MP_REACH NLRI is treat-as-withdraw, Missing Well-known Attribute', () => {
  const r = decodeBlock(block(MP_REACH_T3, AS_PATH_EMPTY));
  assert.equal(r.problems.length, 1);
  assertProblem(r.problems[0], { subcode: 3, action: 'treat-as-withdraw', data: Buffer.from([1]) }, 'missing ORIGIN');
  const both = decodeBlock(block(MP_REACH_T3));
  assert.deepEqual(both.problems.map((p) => p.data), [Buffer.from([1]), Buffer.from([2])]);
  // RFC 4760 §3: NEXT_HOP is not needed for routes in MP_REACH_NLRI only.
  assert.deepEqual(decodeBlock(block(MP_REACH_T3, ORIGIN_IGP, AS_PATH_EMPTY)).problems, []);
});

test('RFC 7606 §3 d: without reachable NLRI nothing is mandatory (withdrawals, End-of-RIB)', () => {
  assert.deepEqual(decodeBlock(block(MP_UNREACH_T3)).problems, []);
  assert.deepEqual(decodeBlock(block(attr(0x90, 14, [0, 25, 70, 4, 10, 212, 0, 1, 0]))).problems, [], 'MP_REACH without NLRI');
});

test('RFC 7606 §3 d / RFC 4271 §5: with IPv4 NLRI, NEXT_HOP is mandatory', () => {
  const r = decodeBlock(block(ORIGIN_IGP, AS_PATH_EMPTY), { ...AS4_CONTEXT, ipv4Nlri: true });
  assert.equal(r.problems.length, 1);
  assertProblem(r.problems[0], { subcode: 3, action: 'treat-as-withdraw', data: Buffer.from([3]) }, 'missing NEXT_HOP');
});

test('RFC 7606 §7.3-7.5, §7.9, §7.10: bad lengths of NEXT_HOP, MED, LOCAL_PREF, ORIGINATOR_ID, CLUSTER_LIST are treat-as-withdraw', () => {
  const cases = [
    attr(0x40, 3, [10, 0, 0, 1, 0]),
    attr(0x80, 4, [0, 0, 1]),
    attr(0x40, 5, [0, 0, 0, 0, 100]),
    attr(0x80, 9, [10, 0, 0]),
    attr(0x80, 10, [10, 0, 0, 1, 10, 0]),
  ];
  for (const bad of cases) onlyProblem(block(MP_REACH_T3, ...BASE.filter((b) => b[1] !== bad[1]), bad), { subcode: 5, action: 'treat-as-withdraw', data: bad });
});

test('RFC 7606 §7.8, §7.14: COMMUNITIES / EXTENDED_COMMUNITIES not a non-zero multiple of 4 / 8 are treat-as-withdraw', () => {
  for (const bad of [attr(0xc0, 8, [0, 0, 0, 1, 0, 0]), attr(0xc0, 16, [0, 2, 0xfd, 0xe8, 0, 0, 0, 100, 1, 2, 3, 4])]) {
    onlyProblem(block(MP_REACH_T3, ...BASE, bad), { subcode: 5, action: 'treat-as-withdraw', data: bad });
  }
});

test('RFC 7606 §7.14: an unknown extended community type is no error', () => {
  const ec = attr(0xc0, 16, [0x8f, 0x77, 1, 2, 3, 4, 5, 6, 0x00, 0x02, 0xfd, 0xe8, 0, 0, 0, 100]);
  const r = decodeBlock(ec);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(findAttribute(r.attributes, 'extended-communities')?.value, [
    { kind: 'unknown', type: 0x8f, subtype: 0x77, value: Buffer.from([1, 2, 3, 4, 5, 6]) },
    { kind: 'route-target', format: 'as2', asn: 65000, assigned: 100 },
  ]);
});

test('RFC 7606 §7.7: AGGREGATOR of the wrong length for the session is attribute-discard', () => {
  const six = attr(0xc0, 7, [0xfd, 0xe8, 10, 0, 0, 1]);
  const eight = attr(0xc0, 7, [0, 0, 0xfd, 0xe8, 10, 0, 0, 1]);
  assert.deepEqual(findAttribute(decodeBlock(six, DEFAULT_CONTEXT).attributes, 'aggregator')?.value, { asn: 65000, address: '10.0.0.1' });
  assert.deepEqual(findAttribute(decodeBlock(eight, AS4_CONTEXT).attributes, 'aggregator')?.value, { asn: 65000, address: '10.0.0.1' });
  onlyProblem(six, { subcode: 5, action: 'attribute-discard', data: six }, AS4_CONTEXT);
  onlyProblem(eight, { subcode: 5, action: 'attribute-discard', data: eight }, DEFAULT_CONTEXT);
});

test('RFC 6793 §6: a malformed AS4_PATH or AS4_AGGREGATOR is attribute-discard', () => {
  for (const bad of [attr(0xc0, 17, [2, 2, 0, 0, 0xfd, 0xe8]), attr(0xc0, 17, []), attr(0xc0, 18, [0xfd, 0xe8, 10, 0, 0, 1])]) {
    onlyProblem(block(MP_REACH_T3, ...BASE, bad), { subcode: bad[1] === 17 && bad.length > 3 ? 11 : 5, action: 'attribute-discard', data: bad });
  }
  // AS4_PATH is 4-octet even on a 2-octet session.
  const as4 = attr(0xc0, 17, [2, 1, 0, 1, 0, 1]);
  assert.deepEqual(findAttribute(decodeBlock(as4, DEFAULT_CONTEXT).attributes, 'as4-path')?.value, [{ type: 'as-sequence', asns: [65537] }]);
});

test('RFC 7606 §5.3, §7.11: MP_REACH_NLRI too short, with a next hop length the family does not allow, or a bad NLRI: session reset', () => {
  assertThrows(() => decodeBlock(attr(0x80, 14, [0, 25, 70, 0])), { subcode: 9, action: 'session-reset' });
  assertThrows(() => decodeBlock(attr(0x80, 14, [0, 25, 70, 5, 10, 212, 0, 1, 0, 0])), { subcode: 9, action: 'session-reset' });
  assertThrows(() => decodeBlock(attr(0x80, 14, [0, 25, 70, 40, 10, 212, 0, 1, 0])), { subcode: 9, action: 'session-reset' });
  // A Type 3 route of length 16: the NLRI cannot be delimited.
  assertThrows(() => decodeBlock(attr(0x80, 14, [0, 25, 70, 4, 10, 212, 0, 1, 0, 3, 16, ...EVPN_T3.slice(2, 18)])), {
    subcode: 10,
    action: 'session-reset',
  });
  // IPv4 unicast prefix /33.
  assertThrows(() => decodeBlock(attr(0x80, 14, [0, 1, 1, 4, 10, 0, 0, 1, 0, 33, 1, 2, 3, 4, 5])), { subcode: 10, action: 'session-reset' });
});

test('RFC 7606 §5.3: MP_UNREACH_NLRI shorter than 3 octets or with a bad route: session reset', () => {
  assertThrows(() => decodeBlock(attr(0x80, 15, [0, 25])), { subcode: 9, action: 'session-reset' });
  assertThrows(() => decodeBlock(attr(0x80, 15, [0, 25, 70, 3, 17, 0])), { subcode: 10, action: 'session-reset' });
});

test('RFC 4760: an unknown family keeps next hop and NLRI opaque', () => {
  const vpn = attr(0x80, 14, [0, 1, 128, 12, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1, 0, 0x70, 1, 2, 3]);
  const r = decodeBlock(block(vpn, ORIGIN_IGP, AS_PATH_EMPTY));
  assert.deepEqual(r.problems, []);
  assert.deepEqual(findAttribute(r.attributes, 'mp-reach-nlri')?.value, {
    kind: 'opaque',
    afi: 1,
    safi: 128,
    nextHop: Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0, 1]),
    nlri: Buffer.from([0x70, 1, 2, 3]),
  });
  reencodes(pathAttributes, block(vpn, ORIGIN_IGP, AS_PATH_EMPTY), AS4_CONTEXT, TO_END);
});

test('RFC 4271 §4.3: Extended Length as received is kept; new attributes use it only above 255 octets', () => {
  const frrAsPath = Buffer.from([0x50, 2, 0, 0]);
  assert.deepEqual(reencodes(pathAttribute, frrAsPath, AS4_CONTEXT), { type: 'as-path', flags: 0x50, value: [] });
  assert.deepEqual(pathAttribute.encode({ type: 'local-pref', value: 100 }), LOCAL_PREF_100);
  const many = Array.from({ length: 64 }, (_, i) => i); // 256 octets of communities
  const encoded = pathAttribute.encode({ type: 'communities', value: many });
  assert.equal(encoded[0], 0xd0, 'optional transitive + Extended Length');
  assert.equal(encoded.readUInt16BE(2), 256);
  // Flags given without Extended Length but a long value: the bit is forced on.
  assert.equal(pathAttribute.encode({ type: 'communities', flags: 0xc0, value: many })[0], 0xd0);
  assert.throws(() => pathAttribute.encode({ type: 'unknown', flags: 0xc0, typeCode: 1, value: Buffer.of(0) }), TypeError);
});

test('§3 h: several problems in one block are all reported', () => {
  const r = decodeBlock(block(MP_REACH_T3, attr(0x40, 1, [7]), AS_PATH_EMPTY, attr(0x40, 6, [1]), attr(0x40, 6, [])));
  assert.deepEqual(
    r.problems.map((p) => [p.subcode, p.action]),
    [
      [6, 'treat-as-withdraw'],
      [5, 'attribute-discard'],
      [1, 'attribute-discard'],
    ],
  );
});

// ------------------------------------------------------------------ properties

const contextArbitrary = fc.constantFrom(...CONTEXTS);

test('property: one generated attribute round-trips (2/4-octet ASNs, with and without ADD-PATH)', () => {
  fc.assert(
    fc.property(contextArbitrary.chain((ctx) => pathAttributeArbitrary(ctx).map((a) => [ctx, a] as [BgpContext, PathAttribute])), ([ctx, a]) => {
      roundTrip(pathAttribute, a, ctx);
    }),
    runs(0.2),
  );
});

test('property: a generated attribute block round-trips with no problems', () => {
  fc.assert(
    fc.property(
      contextArbitrary.chain((ctx) => attributeListArbitrary(ctx).map((attributes) => [ctx, attributes] as [BgpContext, PathAttribute[]])),
      ([ctx, attributes]) => {
        roundTrip(pathAttributes, { attributes, problems: [] }, ctx, TO_END);
      },
    ),
    runs(0.2),
  );
});

test('property: random bytes as an attribute or a block throw only WireError, and problems are never session resets', () => {
  fc.assert(
    fc.property(bytesArbitrary(96), contextArbitrary, (bytes, ctx) => {
      onlyWireError(() => pathAttribute.decode(bytes, 0, ctx));
      onlyWireError(() => {
        const r = pathAttributes.decode(bytes, 0, ctx);
        for (const p of r.problems) assert.ok(p.action === 'treat-as-withdraw' || p.action === 'attribute-discard');
      });
    }),
    runs(0.2),
  );
});
