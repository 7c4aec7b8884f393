import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import * as bgpKeepalive from '../../src/wire/bgp-keepalive.js';
import type { BgpMessage } from '../../src/wire/bgp-message.js';
import { capabilities } from '../../src/wire/bgp-open.js';
import { DEFAULT_CONTEXT, afiSafiKey, type BgpContext } from '../../src/wire/bgp-context.js';
import { BGP_HEADER_LENGTH, messageLengthAt } from '../../src/wire/bgp-header.js';
import { CAPTURES, type CaptureName } from '../helpers/fixtures.js';
import { reencodes, roundTrip } from '../helpers/round-trip.js';
import { bytesArbitrary, mutationArbitrary, onlyWireError, runs } from '../helpers/property.js';
import { assertWireError } from '../helpers/bgp-errors.js';
import { bgpMessages, type CapturedBgpMessage } from '../helpers/bgp-captures.js';
import { notificationArbitrary, openArbitrary, routeRefreshArbitrary } from '../helpers/bgp-arbitraries.js';

const EXT: BgpContext = { ...DEFAULT_CONTEXT, extendedMessage: true };
const TYPE_NAMES = ['', 'open', 'update', 'notification', 'keepalive', 'route-refresh'];

/**
 * What the captured session negotiated, from its two OPENs: 4-octet AS and
 * extended messages when both sides announced them (RFC 6793 §4, RFC 8654
 * §3), add-path for a family when one side sends and the other receives
 * (RFC 7911 §5).
 */
function sessionContext(messages: CapturedBgpMessage[]): BgpContext {
  const opens = messages.filter((m) => m.type === 1).map((m) => bgpMessage.decode(m.bytes));
  assert.equal(opens.length, 2, 'one OPEN each way');
  const caps = opens.map((o) => (o.type === 'open' ? capabilities(o.open) : []));
  const both = (t: string): boolean => caps.every((c) => c.some((x) => x.type === t));
  const addPath = new Set<string>();
  const modes = caps.map((c) => {
    const m = new Map<string, number>();
    for (const x of c) if (x.type === 'add-path') for (const f of x.families) m.set(afiSafiKey(f.afi, f.safi), f.sendReceive);
    return m;
  });
  for (const [key, a] of modes[0]!) {
    const b = modes[1]!.get(key) ?? 0;
    if (((a & 2) !== 0 && (b & 1) !== 0) || ((b & 2) !== 0 && (a & 1) !== 0)) addPath.add(key);
  }
  return { as4: both('four-octet-as'), extendedMessage: both('extended-message'), addPath };
}

const sessions = CAPTURES.filter((c) => c !== 'vxlan-kernel-arp-icmp').map((capture: CaptureName) => {
  const messages = bgpMessages([capture]);
  return { capture, messages, ctx: sessionContext(messages) };
});

function message(type: number, body: Buffer | string, length?: number): Buffer {
  const b = typeof body === 'string' ? Buffer.from(body, 'hex') : body;
  const h = Buffer.alloc(BGP_HEADER_LENGTH, 0xff);
  h.writeUInt16BE(length ?? BGP_HEADER_LENGTH + b.length, 16);
  h[18] = type;
  return Buffer.concat([h, b]);
}

const OPEN_BODY = '04fde8005a0a000001' + '08' + '02060104' + '00190046';

test('BGP message: the captured sessions negotiated what their OPENs say', () => {
  const byName = Object.fromEntries(sessions.map((s) => [s.capture, s.ctx]));
  // FRR and FRR both offer extended messages; GoBGP and the reference speaker do not.
  assert.deepEqual(byName['frr-frr-evpn-session'], { as4: true, extendedMessage: true, addPath: new Set() });
  assert.deepEqual(byName['gobgp-frr-evpn-session'], { as4: true, extendedMessage: false, addPath: new Set() });
  assert.deepEqual(byName['pyspeaker-frr-evpn-session'], { as4: true, extendedMessage: false, addPath: new Set() });
});

test('BGP message: every message of every capture decodes whole and re-encodes byte for byte', () => {
  let count = 0;
  for (const { messages, ctx } of sessions) {
    for (const m of messages) {
      const decoded = reencodes(bgpMessage, m.bytes, ctx);
      assert.equal(decoded.type, TYPE_NAMES[m.type], `${m.capture} frame ${m.frame} #${m.index}`);
      if (decoded.type === 'keepalive') assert.deepEqual(decoded, { type: 'keepalive' });
      count++;
    }
  }
  assert.ok(count > 40, `${count} messages`);
});

test('BGP message: a captured TCP stream is walked message by message', () => {
  for (const { messages, ctx } of sessions) {
    const stream = Buffer.concat(messages.map((m) => m.bytes));
    let offset = 0;
    const types: string[] = [];
    while (offset < stream.length) {
      assert.equal(messageLengthAt(stream, offset, ctx), messages[types.length]!.bytes.length);
      types.push(bgpMessage.decode(stream, offset, ctx).type);
      offset += bgpMessage.decode.bytes;
    }
    assert.deepEqual(types, messages.map((m) => TYPE_NAMES[m.type]));
  }
});

test('KEEPALIVE: an empty body; the message is the 19-byte header', () => {
  assert.deepEqual(roundTrip(bgpKeepalive, {}), Buffer.alloc(0));
  assert.deepEqual(roundTrip(bgpMessage, bgpMessage.KEEPALIVE), message(4, ''));
});

test('BGP message errors: header', () => {
  const keepalive = message(4, '');
  assert.deepEqual(bgpMessage.decode(keepalive), { type: 'keepalive' });
  const badMarker = Buffer.from(keepalive);
  badMarker[0] = 0;
  assertWireError(() => bgpMessage.decode(badMarker), 1, 1);
  assertWireError(() => bgpMessage.decode(message(4, '', 18)), 1, 2, Buffer.from([0, 18]));
  assertWireError(() => bgpMessage.decode(message(6, '')), 1, 3, Buffer.from([6]));
  // KEEPALIVE with a body (RFC 4271 §6.1).
  assertWireError(() => bgpMessage.decode(message(4, '00')), 1, 2, Buffer.from([0, 20]));
  // A buffer shorter than the Length field.
  assertWireError(() => bgpMessage.decode(message(3, '0602', 30)), 1, 2, Buffer.from([0, 30]));
});

test('BGP message errors: 4097 bytes only with extended messages (RFC 8654), never for OPEN', () => {
  const big = message(3, Buffer.concat([Buffer.from([6, 0]), Buffer.alloc(4097 - 21, 0x61)]));
  assert.equal(big.length, 4097);
  assertWireError(() => bgpMessage.decode(big), 1, 2, Buffer.from([0x10, 0x01]));
  const n = bgpMessage.decode(big, 0, EXT);
  assert.ok(n.type === 'notification' && n.notification.data.length === 4097 - 21);
  assert.equal(bgpMessage.decode.bytes, 4097);
  assert.deepEqual(bgpMessage.encode(n, undefined, 0, EXT), big);
  // encode: longer than the session allows is a RangeError.
  assert.throws(() => bgpMessage.encode(n), RangeError);
  assert.throws(() => bgpMessage.encode(n, undefined, 0, DEFAULT_CONTEXT), RangeError);
  const bigOpen = message(1, Buffer.concat([Buffer.from(OPEN_BODY.slice(0, 18) + 'ff' + 'ff' + '0f9f', 'hex'), Buffer.alloc(4097 - 32)]));
  assert.equal(bigOpen.length, 4097);
  assertWireError(() => bgpMessage.decode(bigOpen, 0, EXT), 1, 2, Buffer.from([0x10, 0x01]));
  const openValue = bgpMessage.decode(message(1, OPEN_BODY));
  assert.ok(openValue.type === 'open');
  const huge: BgpMessage = {
    type: 'open',
    open: { ...openValue.open, optionalParameters: [{ type: 'unknown', code: 9, value: Buffer.alloc(4096) }] },
  };
  assert.throws(() => bgpMessage.encode(huge, undefined, 0, EXT), RangeError);
});

test('BGP message errors: OPEN', () => {
  assert.deepEqual(bgpMessage.decode(message(1, OPEN_BODY)), {
    type: 'open',
    open: {
      version: 4,
      myAs: 65000,
      holdTime: 90,
      bgpId: '10.0.0.1',
      optionalParameters: [{ type: 'capabilities', capabilities: [{ type: 'multiprotocol', afi: 25, safi: 70 }] }],
    },
  });
  const with_ = (at: number, hex: string): Buffer => {
    const b = Buffer.from(OPEN_BODY, 'hex');
    Buffer.from(hex, 'hex').copy(b, at);
    return message(1, b);
  };
  assertWireError(() => bgpMessage.decode(with_(0, '03')), 2, 1, Buffer.from([0, 4]));
  assertWireError(() => bgpMessage.decode(with_(3, '0001')), 2, 6);
  assertWireError(() => bgpMessage.decode(with_(3, '0002')), 2, 6);
  assertWireError(() => bgpMessage.decode(with_(5, '00000000')), 2, 3);
  // Opt Parm Len shorter than what the message holds.
  assertWireError(() => bgpMessage.decode(with_(9, '04')), 2, 0);
  // ...or longer.
  assertWireError(() => bgpMessage.decode(with_(9, '09')), 2, 0);
});

test('BGP message errors: ROUTE-REFRESH of length 5', () => {
  const bad = message(5, '0019004600');
  assertWireError(() => bgpMessage.decode(bad), 7, 1, bad);
});

const messageArbitrary: fc.Arbitrary<BgpMessage> = fc.oneof(
  openArbitrary.map((open): BgpMessage => ({ type: 'open', open })),
  notificationArbitrary.map((notification): BgpMessage => ({ type: 'notification', notification })),
  fc.constant<BgpMessage>({ type: 'keepalive' }),
  routeRefreshArbitrary.map((routeRefresh): BgpMessage => ({ type: 'route-refresh', routeRefresh })),
);

test('BGP message property: generated whole messages round-trip', () => {
  fc.assert(
    fc.property(messageArbitrary, fc.boolean(), (m, ext) => {
      const bytes = roundTrip(bgpMessage, m, ext ? EXT : DEFAULT_CONTEXT);
      assert.equal(bytes.readUInt16BE(16), bytes.length);
    }),
    runs(),
  );
});

test('BGP message property: random bytes and mutated real messages throw only WireError', () => {
  const all = sessions.flatMap((s) => s.messages.map((m) => ({ bytes: m.bytes, ctx: s.ctx })));
  // Random bodies behind a well-formed header (right or random length), so
  // every body decoder sees random input; plain random bytes; mutations.
  const framed = fc
    .tuple(fc.integer({ min: 1, max: 5 }), bytesArbitrary(80), fc.boolean(), fc.integer({ min: 0, max: 120 }))
    .map(([type, body, exact, len]) => message(type, body, exact ? BGP_HEADER_LENGTH + body.length : len));
  const arb = fc.oneof(
    fc.tuple(framed, fc.boolean()).map(([bytes, ext]) => ({ bytes, ctx: ext ? EXT : DEFAULT_CONTEXT })),
    fc.tuple(bytesArbitrary(64), fc.boolean()).map(([bytes, ext]) => ({ bytes, ctx: ext ? EXT : DEFAULT_CONTEXT })),
    fc.constantFrom(...all).chain(({ bytes, ctx }) => mutationArbitrary(bytes).map((b) => ({ bytes: b, ctx }))),
  );
  fc.assert(
    fc.property(arb, ({ bytes, ctx }) => {
      onlyWireError(() => bgpMessage.decode(bytes, 0, ctx));
    }),
    runs(),
  );
});
