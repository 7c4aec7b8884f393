import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as bgpNotification from '../../src/wire/bgp-notification.js';
import {
  describeNotification,
  notification,
  shutdownNotification,
  type BgpNotification,
} from '../../src/wire/bgp-notification.js';
import { BGP_HEADER_LENGTH } from '../../src/wire/bgp-header.js';
import { errorCodeName, errorSubcodeName } from '../../src/wire/bgp-error-codes.js';
import { WireError } from '../../src/wire/wire-error.js';
import type { Codec } from '../../src/wire/codec.js';
import { bytesArbitrary, mutationArbitrary, onlyWireError, runs } from '../helpers/property.js';
import { bgpMessages, field, fieldsStartingWith } from '../helpers/bgp-captures.js';
import { notificationArbitrary } from '../helpers/bgp-arbitraries.js';
import { assertRoundTrips, roundTrip, TO_END } from '../helpers/round-trip.js';

const capturedNotifications = bgpMessages().filter((m) => m.type === 3);
// The module is a codec in the shared shape.
// A NOTIFICATION body runs to the end of its message: round trips decode
// views that end where the body ends (TO_END).
const codec: Codec<BgpNotification> = bgpNotification;

test('NOTIFICATION: captured ones decode to tshark\'s codes and re-encode byte for byte', () => {
  assert.ok(capturedNotifications.length >= 3, `found ${capturedNotifications.length} NOTIFICATIONs`);
  for (const m of capturedNotifications) {
    const where = `${m.capture} frame ${m.frame}`;
    const body = m.bytes.subarray(BGP_HEADER_LENGTH);
    const n = codec.decode(body);
    assert.deepEqual(roundTrip(codec, n, undefined, TO_END), body, `${where}: re-encodes`);
    assert.equal(n.code, Number(field(m.tree, 'bgp.notify.major_error')), `${where}: code`);
    // tshark names the minor-code field after the major code (minor_error_cease, ...).
    const minor = fieldsStartingWith(m.tree, 'bgp.notify.minor_error');
    assert.equal(minor.length, 1, `${where}: one minor code field`);
    assert.equal(n.subcode, Number(minor[0]![1]), `${where}: subcode`);
    const data = fieldsStartingWith(m.tree, 'bgp.notify.minor_data');
    assert.equal(n.data.toString('hex'), data.length ? String(data[0]![1]).replaceAll(':', '') : '', `${where}: data`);
    assert.ok(n.data.buffer === m.bytes.buffer, 'data is a view into the message, not a copy');
    assert.ok(describeNotification(n).startsWith(`${errorCodeName(n.code)} / ${errorSubcodeName(n.code, n.subcode)}`));
  }
  const described = capturedNotifications.map((m) => describeNotification(bgpNotification.decode(m.bytes, BGP_HEADER_LENGTH)));
  // gobgpd's `neighbor disable` and FRR's shutdown (FRR wraps it in an RFC 8538 hard reset).
  assert.ok(described.includes('Cease / Administrative Shutdown'), described.join('; '));
  assert.ok(described.includes('Cease / Hard Reset (Cease / Administrative Shutdown)'), described.join('; '));
});

test('NOTIFICATION: RFC 9003 shutdown communication', () => {
  const n = shutdownNotification(2, 'maintenance, back at 14:00 ✓');
  assert.equal(n.shutdownMessage, 'maintenance, back at 14:00 ✓');
  const bytes = roundTrip(codec, n, undefined, TO_END);
  assert.equal(bytes[2], Buffer.byteLength('maintenance, back at 14:00 ✓'));
  assert.equal(describeNotification(n), 'Cease / Administrative Shutdown: "maintenance, back at 14:00 ✓"');
  assert.equal(bgpNotification.decode(Buffer.from('0604056869206f6b', 'hex')).shutdownMessage, 'hi ok');
  // Inside a hard reset (RFC 8538 §3).
  const hard = bgpNotification.decode(Buffer.from('0609' + '0602' + '03627965', 'hex'));
  assert.equal(hard.shutdownMessage, 'bye');
  assert.equal(describeNotification(hard), 'Cease / Hard Reset (Cease / Administrative Shutdown): "bye"');
  // Malformed communications keep the data, without a message (RFC 9003 §2).
  for (const hex of ['060205616263', '0602036162636465', '060202c328', '06020161' + '00', '060200', '0602']) {
    const bad = bgpNotification.decode(Buffer.from(hex, 'hex'));
    assert.equal(bad.shutdownMessage, undefined, hex);
    assert.deepEqual(roundTrip(codec, bad, undefined, TO_END), Buffer.from(hex, 'hex'));
  }
  // Only Cease 2 and 4 carry one.
  assert.equal(bgpNotification.decode(Buffer.from('0603026869', 'hex')).shutdownMessage, undefined);
  assert.equal(bgpNotification.decode(Buffer.from('0202026869', 'hex')).shutdownMessage, undefined);
  assert.throws(() => shutdownNotification(2, 'x'.repeat(256)), RangeError);
  assert.deepEqual(shutdownNotification(4, ''), { code: 6, subcode: 4, data: Buffer.alloc(0) });
  // A long chain of hard resets does not recurse.
  const chain = Buffer.alloc(60000);
  for (let i = 0; i < chain.length; i += 2) chain.writeUInt16BE(0x0609, i);
  assert.equal(bgpNotification.decode(chain).shutdownMessage, undefined);
});

test('NOTIFICATION: names of codes and subcodes', () => {
  assert.equal(describeNotification(notification(1, 2, Buffer.from([0, 18]))), 'Message Header Error / Bad Message Length');
  assert.equal(describeNotification(notification(2, 0)), 'OPEN Message Error / Unspecific');
  assert.equal(describeNotification(notification(3, 11)), 'UPDATE Message Error / Malformed AS_PATH');
  assert.equal(describeNotification(notification(4, 0)), 'Hold Timer Expired / Unspecific');
  assert.equal(describeNotification(notification(7, 1)), 'ROUTE-REFRESH Message Error / Invalid Message Length');
  assert.equal(describeNotification(notification(8, 0)), 'Send Hold Timer Expired / Unspecific');
  assert.equal(describeNotification(notification(6, 99)), 'Cease / Unknown (99)');
  assert.equal(describeNotification(notification(99, 1)), 'Unknown (99) / Unknown (1)');
});

test('NOTIFICATION: a body under 2 bytes is an error; encode range checks', () => {
  assert.throws(() => bgpNotification.decode(Buffer.from([6])), (e: unknown) => e instanceof WireError && e.action === 'session-reset');
  assert.throws(() => bgpNotification.encode({ code: 256, subcode: 0, data: Buffer.alloc(0) }), RangeError);
  assert.throws(() => bgpNotification.encode({ code: 6, subcode: -1, data: Buffer.alloc(0) }), RangeError);
});

test('NOTIFICATION property: generated NOTIFICATIONs round-trip', () => {
  assertRoundTrips(codec, notificationArbitrary, undefined, TO_END);
});

test('NOTIFICATION property: random bytes and mutated real ones throw only WireError', () => {
  const bodies = capturedNotifications.map((m) => m.bytes.subarray(BGP_HEADER_LENGTH));
  const arb = fc.oneof(bytesArbitrary(40), fc.constantFrom(...bodies).chain((b) => mutationArbitrary(b)));
  fc.assert(
    fc.property(arb, (bytes) => {
      onlyWireError(() => {
        const n = bgpNotification.decode(bytes);
        describeNotification(n);
      });
    }),
    runs(),
  );
});

test('truncated: data cut to the limit (RFC 8654 §5), the shutdown communication derived again; short data unchanged', () => {
  const long = bgpNotification.notification(3, 2, Buffer.alloc(4977, 7));
  const cut = bgpNotification.truncated(long, 4075);
  assert.equal(cut.data.length, 4075);
  assert.deepEqual([cut.code, cut.subcode], [3, 2]);
  const short = bgpNotification.shutdownNotification(2, 'maintenance');
  assert.equal(bgpNotification.truncated(short, 4075), short);
  assert.equal(bgpNotification.truncated(short, 5).shutdownMessage, undefined, 'a cut communication is no communication');
});
