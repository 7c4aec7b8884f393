// A peer kept to its lane, sans-IO (issue 9 items 7, 8, 11): the session
// core (bgp-fsm.ts) fed events, its actions checked; no sockets, no clock.
//   - a NOTIFICATION whose data echoes a 5,000-byte attribute is cut to
//     4096 octets (RFC 8654 §5) instead of throwing out of handle();
//   - the SendHoldTimer (RFC 9687) and the output queue's high-water mark;
//   - ROUTE-REFRESH requests rate-limited and merged;
//   - BoRR / EoRR markers travel in the batch of UPDATEs (RFC 7313 §4).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  BgpConnection,
  OUTPUT_HIGH_WATER,
  type ConnectionAction,
  type ConnectionConfig,
} from '../../src/control/bgp-fsm.js';
import { routeRefresh } from '../../src/control/update-builder.js';
import type { Capability } from '../../src/wire/bgp-capability.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import type { BgpOpen } from '../../src/wire/bgp-open.js';
import {
  KEEPALIVE,
  TestEnv,
  connectionConfig,
  encode,
  ofType,
  only,
  openBytes,
  peerCapabilities,
  peerOpen,
  timers,
} from '../helpers/session.js';

/** Issue 9 item 11's input: a 5,000-byte UPDATE with one unrecognized well-known attribute (type 99) of 4,973 octets. */
function item11Update(): Buffer {
  return Buffer.concat([Buffer.alloc(16, 0xff), Buffer.from('138802000013715063136d', 'hex'), Buffer.alloc(4973)]);
}

const ENHANCED: Capability[] = [...peerCapabilities(), { type: 'enhanced-route-refresh' }];

function established(config: Partial<ConnectionConfig> = {}, open: BgpOpen = peerOpen(), env = new TestEnv()): { c: BgpConnection; actions: ConnectionAction[] } {
  const c = new BgpConnection(connectionConfig(config), env);
  const actions = [
    ...c.handle({ type: 'start' }),
    ...c.handle({ type: 'tcp-connected' }),
    ...c.handle({ type: 'bytes', data: openBytes(open) }),
    ...c.handle({ type: 'bytes', data: KEEPALIVE }),
  ];
  assert.equal(c.state, 'Established');
  // Our OPEN and KEEPALIVE reached TCP, as the transport would report.
  c.handle({ type: 'written', bytes: c.openMessage.length + KEEPALIVE.length });
  assert.equal(c.outputQueued, 0);
  return { c, actions };
}

function sentNotifications(actions: readonly ConnectionAction[]): Buffer[] {
  return ofType(actions, 'send')
    .map((a) => a.data)
    .filter((d) => d[18] === 3);
}

function rr(subtype: number, afi = 25, safi = 70): Buffer {
  return encode({ type: 'route-refresh', routeRefresh: { afi, subtype, safi } });
}

// ---------------------------------------------------------------- item 11

test('item 11: a 5000-byte UPDATE with extended messages -> 3/2 NOTIFICATION cut to 4096 octets, Idle, nothing thrown', () => {
  const input = item11Update();
  assert.equal(input.length, 5000);
  for (const chunk of [5000, 1, 7, 4096, 1000]) {
    const { c } = established({ extendedMessage: true }, peerOpen({ capabilities: [...peerCapabilities(), { type: 'extended-message' }] }));
    const actions: ConnectionAction[] = [];
    for (let o = 0; o < input.length; o += chunk) actions.push(...c.handle({ type: 'bytes', data: input.subarray(o, o + chunk) }));
    const [n, ...more] = sentNotifications(actions);
    assert.equal(more.length, 0, 'one NOTIFICATION');
    assert.equal(n!.length, 4096, 'RFC 8654 §5: cut to what every peer reads');
    assert.equal(n!.readUInt16BE(16), 4096, 'its Length field says so');
    assert.deepEqual([n![19], n![20]], [3, 2], 'UPDATE Message Error / Unrecognized Well-known Attribute');
    // The data is the start of the offending attribute, as received.
    assert.deepEqual(n!.subarray(21, 25), Buffer.from('5063136d', 'hex'));
    assert.equal(c.state, 'Idle');
    const down = only(actions, 'down');
    assert.equal(down.notificationSent?.data.length, 4096 - 21);
    assert.ok(ofType(actions, 'send').findIndex((a) => a.data[18] === 3) < actions.findIndex((a) => a.type === 'close'));
  }
});

// ---------------------------------------------------------------- item 7: send hold timer

test('item 7: SendHoldTimer (RFC 9687): set on Established, restarted by written bytes, expiry -> 8/0, error log, Idle', () => {
  const { c, actions } = established();
  // Hold 90: max(8 minutes, 2 x 90 s).
  assert.deepEqual(timers(actions).filter(([, t]) => t === 'send-hold'), [['start', 'send-hold', 480_000]]);
  // Keepalives go out; the transport says they reached TCP: the timer starts over.
  const ka = c.handle({ type: 'timer', timer: 'keepalive' });
  assert.equal(ofType(ka, 'send').length, 1);
  assert.equal(c.outputQueued, 19);
  const w = c.handle({ type: 'written', bytes: 19 });
  assert.deepEqual(timers(w), [['start', 'send-hold', 480_000]]);
  assert.equal(c.outputQueued, 0);
  // More keepalives that never reach TCP do not restart it.
  assert.deepEqual(timers(c.handle({ type: 'timer', timer: 'keepalive' })).filter(([, t]) => t === 'send-hold'), []);
  const expired = c.handle({ type: 'timer', timer: 'send-hold' });
  const [n] = sentNotifications(expired);
  assert.equal(n!.toString('hex'), `${'ff'.repeat(16)}0015030800`, 'NOTIFICATION Send Hold Timer Expired (8/0)');
  assert.equal(c.state, 'Idle');
  assert.match(only(expired, 'down').reason, /send hold timer expired/);
  assert.ok(ofType(expired, 'log').some((l) => l.level === 'error' && /RFC 9687/.test(l.message)));
  assert.equal(c.stats.sendHoldExpired, 1);
  assert.equal(c.outputQueued, 0, 'what waited went with the connection');
});

test('item 7: SendHoldTime: 2 x hold when larger, configurable, never at or below the hold time, off with 0 or hold 0', () => {
  const sendHold = (config: Partial<ConnectionConfig>, holdTime = 90): Array<[string, string, number?]> =>
    timers(established(config, peerOpen({ holdTime })).actions).filter(([, t]) => t === 'send-hold');
  assert.deepEqual(sendHold({ holdTime: 300 }, 300), [['start', 'send-hold', 600_000]]);
  assert.deepEqual(sendHold({ holdTime: 3, sendHoldTime: 4 }, 3), [['start', 'send-hold', 4_000]]);
  assert.deepEqual(sendHold({ holdTime: 9, sendHoldTime: 5 }, 9), [['start', 'send-hold', 10_000]], 'RFC 9687: greater than HoldTime');
  assert.deepEqual(sendHold({ sendHoldTime: 0 }), []);
  assert.deepEqual(sendHold({ holdTime: 0 }, 0), [], 'RFC 9687 §3.3: stopped with hold time 0');
});

test('item 7: output queue: congested above the high-water mark, writable once written brings it under half', () => {
  const { c } = established();
  // One 4096-octet UPDATE: an unknown optional transitive attribute fills it.
  const attr = Buffer.concat([Buffer.from([0xd0, 0x63, 0x0f, 0xe5]), Buffer.alloc(4073 - 4)]);
  const update = Buffer.concat([Buffer.alloc(16, 0xff), Buffer.from([0x10, 0x00, 2, 0, 0, 0x0f, 0xe9]), attr]);
  assert.equal(update.length, 4096);
  const count = Math.ceil(OUTPUT_HIGH_WATER / 4096) + 10;
  c.handle({ type: 'send-update', updates: new Array<Buffer>(count).fill(update) });
  assert.equal(c.outputQueued, count * 4096);
  assert.equal(c.congested, true);
  const total = count * 4096;
  // Written, but still more than half the mark waiting: no 'writable'.
  let a = c.handle({ type: 'written', bytes: total - OUTPUT_HIGH_WATER / 2 - 4096 });
  assert.equal(ofType(a, 'writable').length, 0);
  assert.equal(c.congested, true);
  a = c.handle({ type: 'written', bytes: 4096 });
  assert.equal(ofType(a, 'writable').length, 1);
  assert.equal(c.congested, false);
  assert.equal(c.outputQueued, OUTPUT_HIGH_WATER / 2);
});

// ---------------------------------------------------------------- item 7: ROUTE-REFRESH rate limit

test('item 7: ROUTE-REFRESH: the first passed up, 300 more within the interval merged into one answer at its end', () => {
  const env = new TestEnv();
  const { c } = established({}, peerOpen(), env);
  let a = c.handle({ type: 'bytes', data: rr(0) });
  assert.deepEqual(only(a, 'route-refresh'), { type: 'route-refresh', afi: 25, safi: 70, subtype: 0 });
  env.time += 1000;
  a = c.handle({ type: 'bytes', data: Buffer.concat(new Array<Buffer>(300).fill(rr(0))) });
  assert.equal(ofType(a, 'route-refresh').length, 0, 'nothing passed up within the interval');
  assert.deepEqual(timers(a), [['start', 'route-refresh', 4000]], 'answered at the end of the 5 s interval');
  assert.equal(c.stats.routeRefreshesMerged, 299);
  assert.equal(c.state, 'Established');
  env.time += 4000;
  a = c.handle({ type: 'timer', timer: 'route-refresh' });
  assert.deepEqual(ofType(a, 'route-refresh'), [{ type: 'route-refresh', afi: 25, safi: 70, subtype: 0 }], 'one answer for 300 requests');
  // The interval starts over from that answer.
  env.time += 100;
  assert.equal(ofType(c.handle({ type: 'bytes', data: rr(0) }), 'route-refresh').length, 0);
  // The peer's own BoRR / EoRR are markers, not requests: never held back.
  a = c.handle({ type: 'bytes', data: Buffer.concat([rr(1), rr(2)]) });
  assert.deepEqual(ofType(a, 'route-refresh').map((r) => r.subtype), [1, 2]);
});

test('item 7: route-refresh-interval 0: every request passed up (the speaker still merges while the peer is congested)', () => {
  const { c } = established({ routeRefreshInterval: 0 });
  const a = c.handle({ type: 'bytes', data: Buffer.concat([rr(0), rr(0), rr(0)]) });
  assert.equal(ofType(a, 'route-refresh').length, 3);
});

// ---------------------------------------------------------------- item 8: BoRR / EoRR in the send path

test('item 8: BoRR, UPDATEs, EoRR go out in order to a peer with enhanced route refresh (RFC 7313 §4)', () => {
  const { c } = established({}, peerOpen({ capabilities: ENHANCED }));
  assert.equal(c.negotiated?.enhancedRouteRefresh, true);
  const update = encode({ type: 'update', update: { withdrawn: [], attributes: [], nlri: [], problems: [] } });
  const batch = [routeRefresh('l2vpn-evpn', 1), update, routeRefresh('l2vpn-evpn', 2)];
  const a = c.handle({ type: 'send-update', updates: batch });
  assert.deepEqual(
    ofType(a, 'send').map((s) => s.data),
    batch,
  );
  assert.equal(c.stats.updatesOut, 1, 'the markers are not UPDATEs');
  assert.equal(c.state, 'Established');
});

test('item 8: markers to a peer without enhanced route refresh, or a plain request in the batch, are a caller error; nothing is sent', () => {
  const { c } = established();
  assert.throws(() => c.handle({ type: 'send-update', updates: [routeRefresh('l2vpn-evpn', 1)] }), /enhanced route refresh/);
  const { c: e } = established({}, peerOpen({ capabilities: ENHANCED }));
  assert.throws(() => e.handle({ type: 'send-update', updates: [routeRefresh('l2vpn-evpn', 0)] }), /not a BoRR/);
  assert.equal(e.outputQueued, 0);
  assert.equal(e.state, 'Established');
  assert.deepEqual(bgpMessage.decode(routeRefresh('l2vpn-evpn', 2)), { type: 'route-refresh', routeRefresh: { afi: 25, subtype: 2, safi: 70 } });
});
