import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BgpConnection, type ConnectionAction, type ConnectionConfig } from '../../src/control/bgp-fsm.js';
import { localOpen } from '../../src/control/capability-negotiation.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import type { Capability } from '../../src/wire/bgp-capability.js';
import { AS4_CONTEXT } from '../../src/wire/bgp-context.js';
import type { EvpnNlri } from '../../src/wire/evpn-nlri.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { bgpMessages } from '../helpers/bgp-captures.js';
import { mutationArbitrary, runs } from '../helpers/property.js';
import {
  KEEPALIVE,
  LOCAL_ID,
  PEER_ID,
  TestEnv,
  connectionConfig,
  encode,
  notificationBytes,
  ofType,
  only,
  openBytes,
  peerCapabilities,
  peerOpen,
  sent,
  sentBytes,
  timers,
  updateBytes,
} from '../helpers/session.js';

const MARKER = 'ff'.repeat(16);

/** A NOTIFICATION's exact bytes, as hex. */
function notificationHex(code: number, subcode: number, data = ''): string {
  const length = 21 + data.length / 2;
  return `${MARKER}${length.toString(16).padStart(4, '0')}03${code.toString(16).padStart(2, '0')}${subcode.toString(16).padStart(2, '0')}${data}`;
}

function sentNotificationHex(actions: readonly ConnectionAction[]): string {
  const sends = ofType(actions, 'send').filter((a) => a.data[18] === 3);
  assert.equal(sends.length, 1, 'one NOTIFICATION sent');
  return sends[0]!.data.toString('hex');
}

function states(actions: readonly ConnectionAction[]): string[] {
  return ofType(actions, 'state').map((a) => `${a.from}>${a.to}`);
}

function assertIdleAfterNotification(c: BgpConnection, actions: readonly ConnectionAction[], hex: string): void {
  assert.equal(sentNotificationHex(actions), hex);
  assert.equal(c.state, 'Idle');
  assert.equal(ofType(actions, 'close').length, 1, 'closed once');
  // The NOTIFICATION goes out before the close.
  const sendAt = actions.findIndex((a) => a.type === 'send' && a.data[18] === 3);
  assert.ok(sendAt < actions.findIndex((a) => a.type === 'close'));
}

/** Drive a connection to OpenSent (local: start + connected). */
function toOpenSent(config: Partial<ConnectionConfig> = {}, env = new TestEnv()): BgpConnection {
  const c = new BgpConnection(connectionConfig(config), env);
  c.handle({ type: 'start' });
  c.handle({ type: 'tcp-connected' });
  assert.equal(c.state, 'OpenSent');
  return c;
}

function toEstablished(
  config: Partial<ConnectionConfig> = {},
  open = peerOpen(),
  env = new TestEnv(),
): { c: BgpConnection; actions: ConnectionAction[] } {
  const c = toOpenSent(config, env);
  const actions = [...c.handle({ type: 'bytes', data: openBytes(open) }), ...c.handle({ type: 'bytes', data: KEEPALIVE })];
  assert.equal(c.state, 'Established');
  return { c, actions };
}

function type3(originatorIp: string): EvpnNlri {
  return { route: { type: 3, rd: { type: 1, ip: '10.0.0.2', assigned: 2 }, etag: 0, originatorIp } };
}
const T3 = type3('10.0.0.2');

function evpnUpdateAttributes(nlri: EvpnNlri[]): PathAttribute[] {
  return [
    { type: 'mp-reach-nlri', value: { kind: 'evpn', afi: 25, safi: 70, nextHop: '10.0.0.2', nlri } },
    { type: 'origin', value: 'igp' },
    { type: 'as-path', value: [] },
    { type: 'local-pref', value: 100 },
  ];
}

/** A real EVPN UPDATE from the FRR capture (RR to VTEP), to reuse bytes FRR sent. */
const capturedUpdates = bgpMessages(['frr-frr-evpn-session']).filter((m) => m.type === 2);

// ---------------------------------------------------------------- transitions

test('Idle → Connect → OpenSent → OpenConfirm → Established (locally initiated)', () => {
  const env = new TestEnv([0, 0.999, 0.5]);
  const c = new BgpConnection(connectionConfig({ localAddress: '192.0.2.1', localPort: 0 }), env);
  assert.equal(c.state, 'Idle');

  let a = c.handle({ type: 'start' });
  assert.deepEqual(states(a), ['Idle>Connect']);
  assert.deepEqual(only(a, 'connect'), {
    type: 'connect',
    remoteAddress: '192.0.2.2',
    remotePort: 179,
    localAddress: '192.0.2.1',
    localPort: 0,
  });
  // ConnectRetry 120 s with jitter factor 0.75 (random 0).
  assert.deepEqual(timers(a), [['start', 'connect-retry', 90_000]]);

  a = c.handle({ type: 'tcp-connected' });
  assert.deepEqual(states(a), ['Connect>OpenSent']);
  assert.deepEqual(timers(a), [
    ['stop', 'connect-retry'],
    ['start', 'hold', 240_000],
  ]);
  const [open] = sent(a);
  assert.deepEqual(open, { type: 'open', open: localOpen(connectionConfig()) });

  a = c.handle({ type: 'bytes', data: openBytes(peerOpen({ holdTime: 9 })) });
  assert.deepEqual(states(a), ['OpenSent>OpenConfirm']);
  assert.deepEqual(sent(a), [{ type: 'keepalive' }]);
  assert.deepEqual(only(a, 'open-received'), { type: 'open-received', bgpId: PEER_ID, peerAs: 65000 });
  // Keepalive every 3 s (hold 9 = min(90, 9)), jitter 0.999 → 2999 ms; hold timer 9 s, not jittered.
  assert.deepEqual(timers(a), [
    ['start', 'keepalive', 2999],
    ['start', 'hold', 9000],
  ]);

  env.time += 5;
  a = c.handle({ type: 'bytes', data: KEEPALIVE });
  assert.deepEqual(states(a), ['OpenConfirm>Established']);
  const est = only(a, 'established');
  assert.equal(est.negotiated.holdTime, 9);
  assert.equal(est.negotiated.keepaliveInterval, 3);
  assert.deepEqual(est.negotiated.families, ['l2vpn-evpn']);
  // RFC 9687: the SendHoldTimer starts with Established (max(8 min, 2 × 9 s)).
  assert.deepEqual(timers(a), [
    ['start', 'send-hold', 480_000],
    ['start', 'hold', 9000],
  ]);
  assert.equal(c.establishedAt, env.time);
  assert.equal(c.negotiated, est.negotiated);
});

test('an accepted connection: Active, never dials, OPEN on connect', () => {
  const c = new BgpConnection(connectionConfig({ initiator: 'remote' }), new TestEnv());
  let a = c.handle({ type: 'start' });
  assert.deepEqual(states(a), ['Idle>Active']);
  assert.equal(ofType(a, 'connect').length, 0);
  assert.deepEqual(timers(a), []);
  a = c.handle({ type: 'timer', timer: 'connect-retry' });
  assert.deepEqual(a, []);
  a = c.handle({ type: 'tcp-connected' });
  assert.deepEqual(states(a), ['Active>OpenSent']);
  assert.equal(sent(a)[0]!.type, 'open');
  // TCP failure in OpenSent: an accepted connection cannot retry, it ends.
  a = c.handle({ type: 'tcp-failed', reason: 'reset' });
  assert.deepEqual(states(a), ['OpenSent>Idle']);
  assert.equal(only(a, 'down').wasEstablished, false);
});

test('connect failure → Active; ConnectRetry expiry → Connect again; expiry in Connect redials', () => {
  const env = new TestEnv();
  env.fixRandom(1 - Number.EPSILON);
  const c = new BgpConnection(connectionConfig({ connectRetryTime: 5 }), env);
  c.handle({ type: 'start' });
  let a = c.handle({ type: 'tcp-failed', reason: 'ECONNREFUSED' });
  assert.deepEqual(states(a), ['Connect>Active']);
  assert.equal(ofType(a, 'close').length, 1);
  assert.deepEqual(timers(a), [['start', 'connect-retry', 5000]]);
  assert.equal(c.stats.connectRetryCounter, 1);
  assert.equal(ofType(a, 'down').length, 0, 'no session went down');

  a = c.handle({ type: 'timer', timer: 'connect-retry' });
  assert.deepEqual(states(a), ['Active>Connect']);
  assert.equal(ofType(a, 'connect').length, 1);
  assert.deepEqual(timers(a), [['start', 'connect-retry', 5000]]);

  // The SYN got no answer: ConnectRetry expires in Connect, drop and redial.
  a = c.handle({ type: 'timer', timer: 'connect-retry' });
  assert.deepEqual(states(a), []);
  assert.deepEqual(
    a.filter((x) => x.type === 'close' || x.type === 'connect').map((x) => x.type),
    ['close', 'connect'],
  );
  assert.equal(c.state, 'Connect');
  // Stale timers of other kinds do nothing in Connect.
  assert.deepEqual(c.handle({ type: 'timer', timer: 'hold' }), []);
  assert.deepEqual(c.handle({ type: 'timer', timer: 'keepalive' }), []);
});

test('TCP failure in OpenSent (local): back to Active with ConnectRetry (RFC 4271 §8.2.2)', () => {
  const c = toOpenSent({ connectRetryTime: 10 });
  const a = c.handle({ type: 'tcp-failed' });
  assert.deepEqual(states(a), ['OpenSent>Active']);
  assert.deepEqual(
    timers(a).map(([k, t]) => `${k} ${t}`),
    ['stop connect-retry', 'stop hold', 'stop keepalive', 'stop send-hold', 'stop route-refresh', 'start connect-retry'],
  );
});

test('stop: nothing sent before OpenSent; Cease / Administrative Shutdown with RFC 9003 text after', () => {
  const c = new BgpConnection(connectionConfig(), new TestEnv());
  c.handle({ type: 'start' });
  let a = c.handle({ type: 'stop' });
  assert.deepEqual(states(a), ['Connect>Idle']);
  assert.equal(ofType(a, 'send').length, 0);
  assert.equal(ofType(a, 'close').length, 1);

  const { c: e } = toEstablished();
  a = e.handle({ type: 'stop', message: 'maintenance' });
  const text = Buffer.from('maintenance').toString('hex');
  assertIdleAfterNotification(e, a, notificationHex(6, 2, `0b${text}`));
  const down = only(a, 'down');
  assert.equal(down.wasEstablished, true);
  assert.equal(down.notificationSent?.text, 'Cease / Administrative Shutdown: "maintenance"');
  assert.equal(down.notificationReceived, null);
  assert.equal(down.gracefulRestartApplies, false);
  assert.equal(e.handle({ type: 'stop' }).length, 0, 'stop in Idle does nothing');

  const { c: d } = toEstablished();
  assertIdleAfterNotification(d, d.handle({ type: 'stop', subcode: 3 }), notificationHex(6, 3));
});

// ---------------------------------------------------------------- timers

test('hold timer expiry: NOTIFICATION 4/0 (exact bytes), Idle, down', () => {
  const { c } = toEstablished();
  const a = c.handle({ type: 'timer', timer: 'hold' });
  assertIdleAfterNotification(c, a, `${MARKER}0015030400`);
  const down = only(a, 'down');
  assert.equal(down.notificationSent?.text, 'Hold Timer Expired / Unspecific');
  assert.match(down.reason, /hold timer expired/);

  const o = toOpenSent();
  const b = o.handle({ type: 'timer', timer: 'hold' });
  assertIdleAfterNotification(o, b, `${MARKER}0015030400`);
  assert.equal(only(b, 'down').wasEstablished, false);
});

test('keepalives: every interval × [0.75, 1.0] jitter, restarted by UPDATEs sent; hold reset per KEEPALIVE/UPDATE chunk', () => {
  const env = new TestEnv();
  const { c } = toEstablished({}, peerOpen(), env);
  for (const r of [0, 0.25, 0.999999]) {
    env.fixRandom(r);
    const a = c.handle({ type: 'timer', timer: 'keepalive' });
    assert.deepEqual(sent(a), [{ type: 'keepalive' }]);
    const [[, , ms]] = timers(a) as [[string, string, number]];
    assert.ok(ms >= 22_500 && ms <= 30_000, `keepalive ${ms} ms within [22.5 s, 30 s]`);
    assert.equal(ms, Math.round(30_000 * (0.75 + 0.25 * r)));
  }
  // Hold restarted once for a chunk with two KEEPALIVEs.
  let a = c.handle({ type: 'bytes', data: Buffer.concat([KEEPALIVE, KEEPALIVE]) });
  assert.deepEqual(timers(a), [['start', 'hold', 90_000]]);
  // An UPDATE received restarts it too.
  a = c.handle({ type: 'bytes', data: capturedUpdates[0]!.bytes });
  assert.deepEqual(timers(a), [['start', 'hold', 90_000]]);
  // Sending UPDATEs restarts the keepalive timer (once per batch).
  env.fixRandom(0);
  a = c.handle({ type: 'send-update', updates: [capturedUpdates[0]!.bytes, capturedUpdates[1]!.bytes] });
  assert.equal(ofType(a, 'send').length, 2);
  assert.deepEqual(timers(a), [['start', 'keepalive', 22_500]]);
  assert.equal(c.stats.updatesOut, 2);
});

test('hold time 0: no keepalives, no hold timer (RFC 4271 §4.4)', () => {
  const c = toOpenSent({ holdTime: 0 });
  const a = [...c.handle({ type: 'bytes', data: openBytes(peerOpen({ holdTime: 90 })) }), ...c.handle({ type: 'bytes', data: KEEPALIVE })];
  assert.equal(c.state, 'Established');
  assert.deepEqual(timers(a), [['stop', 'hold']]);
  assert.equal(only(a, 'established').negotiated.keepaliveInterval, 0);
  assert.deepEqual(timers(c.handle({ type: 'bytes', data: KEEPALIVE })), []);
});

// ---------------------------------------------------------------- OPEN errors

function openErrorCase(name: string, data: Buffer, hex: string, config: Partial<ConnectionConfig> = {}): void {
  test(`OPEN error: ${name}`, () => {
    const c = toOpenSent(config);
    const a = c.handle({ type: 'bytes', data });
    assertIdleAfterNotification(c, a, hex);
    assert.equal(only(a, 'down').wasEstablished, false);
    assert.equal(ofType(a, 'open-received').length, 0);
  });
}

function patched(bytes: Buffer, at: number, value: number[]): Buffer {
  const b = Buffer.from(bytes);
  Buffer.from(value).copy(b, at);
  return b;
}

// Body offsets: 19 version, 20-21 My AS, 22-23 hold time, 24-27 BGP Identifier.
openErrorCase('unsupported version → 2/1 with the version we support', patched(openBytes(), 19, [3]), notificationHex(2, 1, '0004'));
openErrorCase('peer AS other than configured → 2/2', openBytes(peerOpen({ as: 65001 })), notificationHex(2, 2));
openErrorCase('4-octet AS other than configured → 2/2', openBytes(peerOpen({ as: 4_200_000_001 })), notificationHex(2, 2), { peerAs: 4_200_000_002 });
openErrorCase('BGP Identifier 0.0.0.0 → 2/3', patched(openBytes(), 24, [0, 0, 0, 0]), notificationHex(2, 3));
openErrorCase('iBGP peer with our BGP Identifier → 2/3 (RFC 6286 §2.2)', openBytes(peerOpen({ bgpId: LOCAL_ID })), notificationHex(2, 3));
openErrorCase('hold time 1 → 2/6', patched(openBytes(), 22, [0, 1]), notificationHex(2, 6));
openErrorCase('hold time 2 → 2/6', patched(openBytes(), 22, [0, 2]), notificationHex(2, 6));
openErrorCase(
  'unsupported optional parameter → 2/4',
  encode({
    type: 'open',
    open: { ...peerOpen(), optionalParameters: [{ type: 'unknown', code: 1, value: Buffer.from([0]) }] },
  }),
  notificationHex(2, 4),
);

test('eBGP peer with our BGP Identifier is accepted (RFC 6286: only iBGP must differ)', () => {
  const c = toOpenSent({ peerAs: 65001 });
  c.handle({ type: 'bytes', data: openBytes(peerOpen({ as: 65001, bgpId: LOCAL_ID })) });
  assert.equal(c.state, 'OpenConfirm');
});

test('a peer missing our families still comes up, with a warning (negotiate what is common)', () => {
  const open = peerOpen({ capabilities: [{ type: 'multiprotocol', afi: 1, safi: 1 }] });
  const { actions } = toEstablished({}, open);
  assert.deepEqual(only(actions, 'established').negotiated.families, []);
  assert.ok(ofType(actions, 'log').some((l) => l.level === 'warn' && /did not announce l2vpn-evpn/.test(l.message)));
});

// ---------------------------------------------------------------- FSM errors (RFC 6608)

test('unexpected messages → 5/1, 5/2, 5/3 with the message type as data', () => {
  let c = toOpenSent();
  assertIdleAfterNotification(c, c.handle({ type: 'bytes', data: KEEPALIVE }), notificationHex(5, 1, '04'));
  c = toOpenSent();
  assertIdleAfterNotification(c, c.handle({ type: 'bytes', data: capturedUpdates[0]!.bytes }), notificationHex(5, 1, '02'));

  c = toOpenSent();
  c.handle({ type: 'bytes', data: openBytes() });
  assert.equal(c.state, 'OpenConfirm');
  assertIdleAfterNotification(c, c.handle({ type: 'bytes', data: capturedUpdates[0]!.bytes }), notificationHex(5, 2, '02'));
  c = toOpenSent();
  c.handle({ type: 'bytes', data: openBytes() });
  assertIdleAfterNotification(c, c.handle({ type: 'bytes', data: openBytes() }), notificationHex(5, 2, '01'));

  const { c: e } = toEstablished();
  const a = e.handle({ type: 'bytes', data: openBytes() });
  assertIdleAfterNotification(e, a, notificationHex(5, 3, '01'));
  assert.equal(only(a, 'down').wasEstablished, true);
});

test('a malformed header → Message Header Error with the RFC 4271 §6.1 data', () => {
  const { c } = toEstablished();
  const bad = Buffer.from(KEEPALIVE);
  bad[3] = 0;
  assertIdleAfterNotification(c, c.handle({ type: 'bytes', data: bad }), notificationHex(1, 1));

  // 5000 bytes is too long without extended messages: 1/2 with the Length field as data.
  const { c: d } = toEstablished();
  const long = Buffer.alloc(19, 0xff);
  long.writeUInt16BE(5000, 16);
  long[18] = 2;
  assertIdleAfterNotification(d, d.handle({ type: 'bytes', data: long }), notificationHex(1, 2, '1388'));
});

test('collision-dump → Cease / Connection Collision Resolution (6/7)', () => {
  const c = toOpenSent();
  c.handle({ type: 'bytes', data: openBytes() });
  const a = c.handle({ type: 'collision-dump' });
  assertIdleAfterNotification(c, a, notificationHex(6, 7));
  assert.match(only(a, 'down').reason, /collision/);
});

// ---------------------------------------------------------------- NOTIFICATION received, GR

test('NOTIFICATION received: down with its names; no graceful restart', () => {
  const gr: Capability = { type: 'graceful-restart', flags: 0, restartTime: 120, families: [{ afi: 25, safi: 70, flags: 0x80 }] };
  const open = peerOpen({ capabilities: [...peerCapabilities(), gr] });
  const { c } = toEstablished({}, open);
  const text = Buffer.from('bye');
  const a = c.handle({ type: 'bytes', data: notificationBytes(6, 2, Buffer.concat([Buffer.of(3), text])) });
  assert.equal(c.state, 'Idle');
  assert.equal(ofType(a, 'send').length, 0, 'no NOTIFICATION answers a NOTIFICATION');
  const down = only(a, 'down');
  assert.equal(down.notificationReceived?.text, 'Cease / Administrative Shutdown: "bye"');
  assert.equal(down.notificationReceived?.shutdownMessage, 'bye');
  assert.equal(down.gracefulRestartApplies, false);

  // RFC 8538 Hard Reset: never graceful.
  const { c: h } = toEstablished({}, open);
  const hr = only(h.handle({ type: 'bytes', data: notificationBytes(6, 9, Buffer.from([6, 2])) }), 'down');
  assert.equal(hr.notificationReceived?.text, 'Cease / Hard Reset (Cease / Administrative Shutdown)');
  assert.equal(hr.gracefulRestartApplies, false);
});

test('graceful restart applies on TCP loss and hold expiry, for the families the peer listed (RFC 4724 §4.2)', () => {
  const withFamilies: Capability = { type: 'graceful-restart', flags: 0, restartTime: 90, families: [{ afi: 25, safi: 70, flags: 0x80 }] };
  const open = peerOpen({ capabilities: [...peerCapabilities(), withFamilies] });
  let { c } = toEstablished({}, open);
  let down = only(c.handle({ type: 'tcp-failed', reason: 'ECONNRESET' }), 'down');
  assert.equal(down.gracefulRestartApplies, true);
  assert.deepEqual(down.gracefulRestart, { restartTime: 90, families: ['l2vpn-evpn'] });
  assert.equal(down.reason, 'ECONNRESET');

  ({ c } = toEstablished({}, open));
  down = only(c.handle({ type: 'timer', timer: 'hold' }), 'down');
  assert.equal(down.gracefulRestartApplies, true);

  // FRR's helper-only capability (no families): nothing to keep.
  const helperOnly: Capability = { type: 'graceful-restart', flags: 0xc, restartTime: 120, families: [] };
  ({ c } = toEstablished({}, peerOpen({ capabilities: [...peerCapabilities(), helperOnly] })));
  down = only(c.handle({ type: 'tcp-failed' }), 'down');
  assert.equal(down.gracefulRestartApplies, false);
  assert.equal(down.gracefulRestart, null);

  // No GR capability at all.
  ({ c } = toEstablished());
  assert.equal(only(c.handle({ type: 'tcp-failed' }), 'down').gracefulRestartApplies, false);
});

// ---------------------------------------------------------------- UPDATEs and RFC 7606

test('UPDATEs are decoded with the negotiated context and passed up; End-of-RIB too', () => {
  const { c } = toEstablished();
  const frames = capturedUpdates.slice(0, 3).map((m) => m.bytes);
  const a = c.handle({ type: 'bytes', data: Buffer.concat(frames) });
  const updates = ofType(a, 'update');
  assert.equal(updates.length, 3);
  updates.forEach((u, i) => {
    assert.deepEqual(u.bytes, frames[i]);
    assert.deepEqual(u.update, (bgpMessage.decode(frames[i]!, 0, AS4_CONTEXT) as { update: unknown }).update);
  });
  assert.equal(c.stats.updatesIn, 3);
});

test('framing: messages split across chunks at every byte, and several per chunk', () => {
  const stream = Buffer.concat([KEEPALIVE, ...capturedUpdates.slice(0, 4).map((m) => m.bytes), KEEPALIVE]);
  for (const size of [1, 2, 7, 19, 20, 64, 1000]) {
    const { c } = toEstablished();
    const actions: ConnectionAction[] = [];
    for (let o = 0; o < stream.length; o += size) actions.push(...c.handle({ type: 'bytes', data: stream.subarray(o, o + size) }));
    assert.equal(ofType(actions, 'update').length, 4, `chunks of ${size}`);
    assert.equal(ofType(actions, 'send').length, 0);
    assert.equal(c.state, 'Established');
  }
});

test('extended messages: a 5000-byte UPDATE is accepted once we announced the capability', () => {
  const nlri: EvpnNlri[] = [];
  for (let i = 0; i < 300; i++) nlri.push(type3(`10.1.${i >> 8}.${i & 255}`));
  const update = { withdrawn: [], attributes: evpnUpdateAttributes(nlri), nlri: [] };
  const ext = { ...AS4_CONTEXT, extendedMessage: true };
  const bytes = updateBytes(update, ext);
  assert.ok(bytes.length > 4096);
  const { c } = toEstablished({ extendedMessage: true });
  const a = c.handle({ type: 'bytes', data: bytes });
  assert.equal(ofType(a, 'update').length, 1);
  assert.equal(c.state, 'Established');
});

test('treat-as-withdraw: the UPDATE is passed up with its problems, no NOTIFICATION', () => {
  const { c } = toEstablished();
  // EVPN reach without ORIGIN / AS_PATH: RFC 7606 §3 d, treat-as-withdraw.
  const update = { withdrawn: [], attributes: evpnUpdateAttributes([T3]).slice(0, 1), nlri: [] };
  const a = c.handle({ type: 'bytes', data: updateBytes(update, AS4_CONTEXT) });
  const u = only(a, 'update');
  assert.ok(u.update.problems.length > 0);
  assert.ok(u.update.problems.every((p) => p.action === 'treat-as-withdraw'));
  assert.equal(ofType(a, 'send').length, 0);
  assert.equal(c.state, 'Established');
});

/** An EVPN UPDATE whose Type 3 NLRI claims a length that does not exist (Invalid Network Field). */
function badNlriUpdate(): Buffer {
  const bytes = updateBytes({ withdrawn: [], attributes: evpnUpdateAttributes([T3]), nlri: [] }, AS4_CONTEXT);
  // MP_REACH is the first attribute: header 19, lengths 2+2, attr flags/type/len 3 (or 4), AFI/SAFI 3, NH len 1, NH 4, reserved 1.
  const flags = bytes[23]!;
  const value = 23 + ((flags & 0x10) !== 0 ? 4 : 3);
  const nlriAt = value + 3 + 1 + 4 + 1;
  assert.equal(bytes[nlriAt], 3, 'route type 3 where expected');
  bytes[nlriAt + 1] = 18; // Type 3 is 17 bytes with IPv4: 18 is impossible
  return bytes;
}

test('an UPDATE whose lengths do not add up: 3/1 Malformed Attribute List (exact bytes) and Idle', () => {
  const { c } = toEstablished();
  // Withdrawn Routes Length 5 in a 4-byte body (RFC 7606 §3 b: session reset).
  const bad = Buffer.from(`${MARKER}00170200050000`, 'hex');
  const a = c.handle({ type: 'bytes', data: bad });
  assertIdleAfterNotification(c, a, notificationHex(3, 1));
  assert.equal(only(a, 'down').notificationSent?.text, 'UPDATE Message Error / Malformed Attribute List');
});

test('an NLRI that cannot be parsed: 3/10 and Idle when EVPN is the only family (RFC 7606 §5.3)', () => {
  const { c } = toEstablished();
  const a = c.handle({ type: 'bytes', data: badNlriUpdate() });
  assert.equal(c.state, 'Idle');
  // Header (19 bytes), then code 3, subcode 10.
  assert.equal(sentNotificationHex(a).slice(38, 42), '030a');
  assert.equal(only(a, 'down').notificationSent?.text, 'UPDATE Message Error / Invalid Network Field');
});

test('the same error with a second family: AFI/SAFI disable, session stays up (RFC 7606 §2)', () => {
  const open = peerOpen({ capabilities: [...peerCapabilities(), { type: 'multiprotocol', afi: 1, safi: 1 }] });
  const { c } = toEstablished({ families: ['l2vpn-evpn', 'ipv4-unicast'] }, open);
  let a = c.handle({ type: 'bytes', data: badNlriUpdate() });
  assert.equal(c.state, 'Established');
  assert.equal(ofType(a, 'send').length, 0);
  const d = only(a, 'family-disabled');
  assert.equal(d.family, 'l2vpn-evpn');
  assert.match(d.reason, /Invalid Network Field/);
  assert.deepEqual([...c.disabledFamilies], ['l2vpn-evpn']);
  // Later EVPN UPDATEs, good or bad, are ignored; the session stays up.
  a = c.handle({ type: 'bytes', data: Buffer.concat([capturedUpdates[0]!.bytes, badNlriUpdate()]) });
  assert.equal(ofType(a, 'update').length, 0);
  assert.equal(ofType(a, 'family-disabled').length, 0);
  assert.equal(c.state, 'Established');
});

// ---------------------------------------------------------------- ROUTE-REFRESH

test('ROUTE-REFRESH: received for a negotiated family is passed up; others ignored (RFC 2918 §4, RFC 7313 §5)', () => {
  const { c } = toEstablished();
  const rr = (afi: number, subtype: number, safi: number): Buffer => encode({ type: 'route-refresh', routeRefresh: { afi, subtype, safi } });
  let a = c.handle({ type: 'bytes', data: rr(25, 0, 70) });
  assert.deepEqual(only(a, 'route-refresh'), { type: 'route-refresh', afi: 25, safi: 70, subtype: 0 });
  a = c.handle({ type: 'bytes', data: Buffer.concat([rr(1, 0, 1), rr(25, 7, 70)]) });
  assert.equal(ofType(a, 'route-refresh').length, 0);
  assert.equal(ofType(a, 'log').length, 2);
  assert.equal(c.state, 'Established');
});

test('ROUTE-REFRESH sent only to a peer that announced it', () => {
  const { c } = toEstablished();
  let a = c.handle({ type: 'send-route-refresh', afi: 25, safi: 70 });
  assert.equal(sentBytes(a).toString('hex'), `${MARKER}00170500190046`);
  a = c.handle({ type: 'send-route-refresh', afi: 25, safi: 70, subtype: 1 });
  assert.equal(ofType(a, 'send').length, 0, 'the peer did not announce enhanced route refresh');
  const { c: d } = toEstablished({}, peerOpen({ capabilities: [{ type: 'multiprotocol', afi: 25, safi: 70 }] }));
  assert.equal(ofType(d.handle({ type: 'send-route-refresh', afi: 25, safi: 70 }), 'send').length, 0);
});

test('send-update: dropped when not Established; a pre-encoded message must fit the session', () => {
  const c = toOpenSent();
  assert.equal(ofType(c.handle({ type: 'send-update', updates: [capturedUpdates[0]!.bytes] }), 'send').length, 0);
  const { c: e } = toEstablished();
  assert.throws(() => e.handle({ type: 'send-update', updates: [KEEPALIVE] }), RangeError);
  const big = Buffer.alloc(5000, 0xff);
  big.writeUInt16BE(5000, 16);
  big[18] = 2;
  assert.throws(() => e.handle({ type: 'send-update', updates: [big] }), /allows 4096/);
  // A BgpUpdate value is encoded with ctxOut.
  const a = e.handle({ type: 'send-update', updates: [{ withdrawn: [], attributes: [], nlri: [], problems: [] }] });
  assert.equal(sentBytes(a).toString('hex'), `${MARKER}001702` + '00000000');
});

// ---------------------------------------------------------------- robustness

test('property: mutated UPDATE streams never throw; an error ends in Idle with at most one NOTIFICATION', () => {
  const stream = Buffer.concat(capturedUpdates.slice(0, 3).map((m) => m.bytes));
  fc.assert(
    fc.property(mutationArbitrary(stream), fc.integer({ min: 1, max: 200 }), (bytes, chunk) => {
      const { c } = toEstablished({ families: ['l2vpn-evpn', 'ipv4-unicast'] }, peerOpen({
        capabilities: [...peerCapabilities(), { type: 'multiprotocol', afi: 1, safi: 1 }],
      }));
      const actions: ConnectionAction[] = [];
      for (let o = 0; o < bytes.length; o += chunk) actions.push(...c.handle({ type: 'bytes', data: bytes.subarray(o, o + chunk) }));
      const notifications = ofType(actions, 'send').filter((a) => a.data[18] === 3).length;
      if (c.state === 'Idle') {
        // Either we sent one NOTIFICATION, or the mutation made a NOTIFICATION of the peer's.
        const down = only(actions, 'down');
        assert.equal(notifications, down.notificationSent === null ? 0 : 1);
        if (notifications === 0) assert.match(down.reason, /NOTIFICATION/);
      } else {
        assert.equal(c.state, 'Established');
        assert.equal(notifications, 0);
      }
    }),
    runs(0.02),
  );
});
