import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as bgpHeader from '../../src/wire/bgp-header.js';
import {
  BGP_HEADER_LENGTH,
  BGP_MAX_EXTENDED_MESSAGE_LENGTH,
  BGP_MAX_MESSAGE_LENGTH,
  MessageType,
  messageLengthAt,
} from '../../src/wire/bgp-header.js';
import { DEFAULT_CONTEXT, type BgpContext } from '../../src/wire/bgp-context.js';
import { WireError } from '../../src/wire/wire-error.js';
import { roundTrip } from '../helpers/round-trip.js';
import { bytesArbitrary, mutationArbitrary, onlyWireError, runs } from '../helpers/property.js';
import { assertWireError } from '../helpers/bgp-errors.js';
import { bgpMessages, field } from '../helpers/bgp-captures.js';

const EXT: BgpContext = { ...DEFAULT_CONTEXT, extendedMessage: true };

function header(length: number, type: number, marker = 0xff): Buffer {
  const b = Buffer.alloc(BGP_HEADER_LENGTH, marker);
  b.writeUInt16BE(length, 16);
  b[18] = type;
  return b;
}

test('BGP header: constants', () => {
  assert.equal(BGP_HEADER_LENGTH, 19);
  assert.equal(BGP_MAX_MESSAGE_LENGTH, 4096);
  assert.equal(BGP_MAX_EXTENDED_MESSAGE_LENGTH, 65535);
  assert.deepEqual(MessageType, { Open: 1, Update: 2, Notification: 3, Keepalive: 4, RouteRefresh: 5 });
});

test('BGP header: every captured message has the length and type tshark reads', () => {
  const messages = bgpMessages();
  assert.ok(messages.length > 40, `found ${messages.length} BGP messages in the captures`);
  for (const m of messages) {
    const h = bgpHeader.decode(m.bytes, 0, DEFAULT_CONTEXT);
    assert.equal(bgpHeader.decode.bytes, BGP_HEADER_LENGTH);
    assert.equal(h.length, Number(field(m.tree, 'bgp.length')), `${m.capture} frame ${m.frame}`);
    assert.equal(h.length, m.bytes.length);
    assert.equal(h.type, m.type);
    assert.deepEqual(roundTrip(bgpHeader, h, DEFAULT_CONTEXT), m.bytes.subarray(0, BGP_HEADER_LENGTH));
  }
});

test('BGP header: messageLengthAt cuts a captured TCP stream into its messages', () => {
  const messages = bgpMessages(['frr-frr-evpn-session']);
  const stream = Buffer.concat(messages.map((m) => m.bytes));
  let offset = 0;
  let count = 0;
  while (offset < stream.length) {
    assert.equal(messageLengthAt(stream.subarray(0, offset + 18), offset), undefined, 'header not complete yet');
    const length = messageLengthAt(stream, offset);
    assert.equal(length, messages[count]!.bytes.length);
    offset += length!;
    count++;
  }
  assert.equal(count, messages.length);
  assert.equal(messageLengthAt(Buffer.alloc(0)), undefined);
  // Garbage is refused as soon as 19 bytes are there, not after waiting for a bogus length.
  assertWireError(() => messageLengthAt(Buffer.alloc(19, 0x00)), 1, 1);
  assert.equal(messageLengthAt(header(5000, 2), 0, EXT), 5000);
  assertWireError(() => messageLengthAt(header(5000, 2)), 1, 2);
});

test('BGP header: bad marker is Connection Not Synchronized', () => {
  const b = header(19, 4);
  b[7] = 0xfe;
  const e = assertWireError(() => bgpHeader.decode(b), 1, 1);
  assert.equal(e.offset, 7);
  assertWireError(() => bgpHeader.decode(header(19, 4, 0)), 1, 1);
});

test('BGP header: lengths outside 19..4096 are Bad Message Length with the length as data', () => {
  assertWireError(() => bgpHeader.decode(header(18, 4)), 1, 2, Buffer.from([0x00, 0x12]));
  assertWireError(() => bgpHeader.decode(header(0, 2)), 1, 2, Buffer.from([0x00, 0x00]));
  assertWireError(() => bgpHeader.decode(header(4097, 2)), 1, 2, Buffer.from([0x10, 0x01]));
  // RFC 8654: accepted once extended messages are negotiated...
  assert.deepEqual(bgpHeader.decode(header(4097, 2), 0, EXT), { length: 4097, type: 2 });
  assert.deepEqual(bgpHeader.decode(header(65535, 2), 0, EXT), { length: 65535, type: 2 });
  assert.deepEqual(bgpHeader.decode(header(4097, 3), 0, EXT), { length: 4097, type: 3 });
  assert.deepEqual(bgpHeader.decode(header(4096, 2)), { length: 4096, type: 2 });
  // ...but never for an OPEN (RFC 8654 §3).
  assertWireError(() => bgpHeader.decode(header(4097, 1), 0, EXT), 1, 2, Buffer.from([0x10, 0x01]));
});

test('BGP header: per-type minimum lengths (RFC 4271 §6.1); KEEPALIVE is exactly 19', () => {
  assertWireError(() => bgpHeader.decode(header(20, 4)), 1, 2, Buffer.from([0x00, 0x14]));
  assertWireError(() => bgpHeader.decode(header(20, 4), 0, EXT), 1, 2, Buffer.from([0x00, 0x14]));
  assertWireError(() => bgpHeader.decode(header(28, 1)), 1, 2, Buffer.from([0x00, 28]));
  assertWireError(() => bgpHeader.decode(header(22, 2)), 1, 2, Buffer.from([0x00, 22]));
  assertWireError(() => bgpHeader.decode(header(20, 3)), 1, 2, Buffer.from([0x00, 20]));
  assert.deepEqual(bgpHeader.decode(header(29, 1)), { length: 29, type: 1 });
  assert.deepEqual(bgpHeader.decode(header(23, 2)), { length: 23, type: 2 });
  assert.deepEqual(bgpHeader.decode(header(21, 3)), { length: 21, type: 3 });
  assert.deepEqual(bgpHeader.decode(header(19, 4)), { length: 19, type: 4 });
});

test('BGP header: unknown type is Bad Message Type with the type as data', () => {
  assertWireError(() => bgpHeader.decode(header(19, 6)), 1, 3, Buffer.from([6]));
  assertWireError(() => bgpHeader.decode(header(19, 0)), 1, 3, Buffer.from([0]));
  assertWireError(() => bgpHeader.decode(header(40, 255)), 1, 3, Buffer.from([255]));
});

test('BGP header: a cut header and encode range checks', () => {
  assert.throws(() => bgpHeader.decode(header(19, 4).subarray(0, 18)), WireError);
  assert.throws(() => bgpHeader.encode({ length: 18, type: 4 }), RangeError);
  assert.throws(() => bgpHeader.encode({ length: 65536, type: 2 }), RangeError);
  assert.throws(() => bgpHeader.encode({ length: 19, type: 6 as never }), RangeError);
});

test('BGP header property: valid headers round-trip', () => {
  const arb = fc
    .record({ type: fc.constantFrom(1, 2, 3, 4, 5), length: fc.integer({ min: 0, max: 65535 }), ext: fc.boolean() })
    .filter(({ type, length, ext }) => {
      const min = { 1: 29, 2: 23, 3: 21, 4: 19, 5: 19 }[type]!;
      return length >= min && length <= bgpHeader.maxMessageLength(type, ext ? EXT : DEFAULT_CONTEXT);
    });
  fc.assert(
    fc.property(arb, ({ type, length, ext }) => {
      roundTrip(bgpHeader, { type: type as 1 | 2 | 3 | 4 | 5, length }, ext ? EXT : DEFAULT_CONTEXT);
    }),
    runs(),
  );
});

test('BGP header property: random bytes and mutated real headers throw only WireError', () => {
  const real = bgpMessages().map((m) => m.bytes.subarray(0, BGP_HEADER_LENGTH));
  const arb = fc.oneof(
    bytesArbitrary(24),
    fc.constantFrom(...real).chain((h) => mutationArbitrary(h)),
  );
  fc.assert(
    fc.property(arb, fc.boolean(), (bytes, ext) => {
      onlyWireError(() => bgpHeader.decode(bytes, 0, ext ? EXT : DEFAULT_CONTEXT));
      onlyWireError(() => messageLengthAt(bytes, 0, ext ? EXT : DEFAULT_CONTEXT));
    }),
    runs(),
  );
});
