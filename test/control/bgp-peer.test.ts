import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BgpPeer, MAX_PENDING_INCOMING, PEER_TIMERS, validatePeerConfig, type PeerAction, type PeerConfig } from '../../src/control/bgp-peer.js';
import type { Capability } from '../../src/wire/bgp-capability.js';
import { KEEPALIVE, TestEnv, ofType, only, openBytes, peerCapabilities, peerOpen } from '../helpers/session.js';

function makePeer(overrides: Partial<PeerConfig> = {}, env = new TestEnv()): BgpPeer {
  return new BgpPeer(
    {
      neighborAddress: '192.0.2.2',
      peerAs: 65000,
      localAs: 65000,
      routerId: '10.0.0.5',
      families: ['l2vpn-evpn'],
      ...overrides,
    },
    env,
  );
}

/** The NOTIFICATIONs sent, as "conn:code/subcode". */
function notifications(actions: readonly PeerAction[]): string[] {
  return ofType(actions, 'send')
    .filter((a) => a.data[18] === 3)
    .map((a) => `${a.conn}:${a.data[19]}/${a.data[20]}`);
}

function closes(actions: readonly PeerAction[]): number[] {
  return ofType(actions, 'close').map((a) => a.conn);
}

/** Outgoing connection 1 to OpenSent, incoming connection 2 to OpenSent. */
function twoConnections(peer: BgpPeer): { out: number; inc: number } {
  const started = peer.start();
  const out = only(started, 'connect').conn;
  peer.handle({ type: 'tcp-connected', conn: out });
  const accepted = peer.accept();
  assert.ok(accepted !== null);
  assert.equal(ofType(accepted.actions, 'send').length, 1, 'our OPEN on the accepted connection');
  return { out, inc: accepted.conn };
}

function open(peer: BgpPeer, conn: number, bgpId: string, extra: Partial<Parameters<typeof peerOpen>[0]> = {}): PeerAction[] {
  return peer.handle({ type: 'bytes', conn, data: openBytes(peerOpen({ bgpId, ...extra })) });
}

const stateOf = (peer: BgpPeer, conn: number): string | undefined => peer.connections().find((c) => c.conn === conn)?.state;

// ---------------------------------------------------------------- collisions (RFC 4271 §6.8)

for (const order of ['outgoing first', 'incoming first'] as const) {
  test(`collision, our BGP Identifier higher (${order}): the connection we opened survives`, () => {
    const peer = makePeer({ routerId: '10.0.0.5' });
    const { out, inc } = twoConnections(peer);
    const [first, second] = order === 'outgoing first' ? [out, inc] : [inc, out];
    assert.deepEqual(notifications(open(peer, first, '10.0.0.1')), []);
    const a = open(peer, second, '10.0.0.1');
    assert.deepEqual(notifications(a), [`${inc}:6/7`]);
    assert.deepEqual(closes(a), [inc]);
    assert.equal(stateOf(peer, inc), undefined, 'the loser is forgotten');
    const est = peer.handle({ type: 'bytes', conn: out, data: KEEPALIVE });
    assert.equal(only(est, 'established').negotiated.peerRouterId, '10.0.0.1');
    assert.equal(peer.state, 'Established');
  });

  test(`collision, our BGP Identifier lower (${order}): the peer's connection survives`, () => {
    const peer = makePeer({ routerId: '10.0.0.5' });
    const { out, inc } = twoConnections(peer);
    const [first, second] = order === 'outgoing first' ? [out, inc] : [inc, out];
    open(peer, first, '10.0.0.9');
    const a = open(peer, second, '10.0.0.9');
    assert.deepEqual(notifications(a), [`${out}:6/7`]);
    assert.deepEqual(closes(a), [out]);
    assert.equal(stateOf(peer, out), 'Idle');
    // No restart of our dialer while the peer's connection is alive.
    assert.equal(ofType(a, 'start-timer').filter((t) => t.conn === PEER_TIMERS).length, 0);
    assert.equal(only(peer.handle({ type: 'bytes', conn: inc, data: KEEPALIVE }), 'established').type, 'established');
  });
}

test('collision: identifiers compare as unsigned 32-bit numbers', () => {
  // 200.0.0.1 > 10.0.0.5 only when read unsigned (as a signed int32 it is negative).
  const peer = makePeer({ routerId: '10.0.0.5' });
  const { out, inc } = twoConnections(peer);
  open(peer, out, '200.0.0.1');
  assert.deepEqual(notifications(open(peer, inc, '200.0.0.1')), [`${out}:6/7`]);
});

test('collision with equal identifiers (eBGP, RFC 6286 §2.3): the larger AS keeps its connection', () => {
  for (const [localAs, peerAs, loser] of [
    [65001, 65002, 'out'],
    [65002, 65001, 'inc'],
  ] as const) {
    const peer = makePeer({ routerId: '10.0.0.5', localAs, peerAs });
    const { out, inc } = twoConnections(peer);
    open(peer, out, '10.0.0.5', { as: peerAs });
    const a = open(peer, inc, '10.0.0.5', { as: peerAs });
    assert.deepEqual(notifications(a), [`${loser === 'out' ? out : inc}:6/7`], `${localAs} vs ${peerAs}`);
  }
});

test('a new connection colliding with an Established session is closed (6/7)', () => {
  const peer = makePeer();
  const out = only(peer.start(), 'connect').conn;
  peer.handle({ type: 'tcp-connected', conn: out });
  open(peer, out, '10.0.0.9');
  peer.handle({ type: 'bytes', conn: out, data: KEEPALIVE });
  assert.equal(peer.state, 'Established');
  const inc = peer.accept()!.conn;
  const a = open(peer, inc, '10.0.0.9');
  assert.deepEqual(notifications(a), [`${inc}:6/7`]);
  assert.equal(ofType(a, 'down').length, 0, 'the session stays');
  assert.equal(peer.state, 'Established');
});

test('graceful restart peer: a new OPEN while Established replaces the old session (RFC 4724 §4.2)', () => {
  const gr: Capability = { type: 'graceful-restart', flags: 0x8, restartTime: 120, families: [{ afi: 25, safi: 70, flags: 0x80 }] };
  const capabilities = [...peerCapabilities(), gr];
  const peer = makePeer();
  const out = only(peer.start(), 'connect').conn;
  peer.handle({ type: 'tcp-connected', conn: out });
  open(peer, out, '10.0.0.9', { capabilities });
  peer.handle({ type: 'bytes', conn: out, data: KEEPALIVE });
  const inc = peer.accept()!.conn;
  const a = open(peer, inc, '10.0.0.9', { capabilities });
  assert.deepEqual(notifications(a), [], 'the old connection is dropped without NOTIFICATION');
  assert.deepEqual(closes(a), [out]);
  const down = only(a, 'down');
  assert.equal(down.gracefulRestartApplies, true);
  assert.deepEqual(down.gracefulRestart, { restartTime: 120, families: ['l2vpn-evpn'] });
  const est = only(peer.handle({ type: 'bytes', conn: inc, data: KEEPALIVE }), 'established');
  assert.equal(est.negotiated.gracefulRestart?.restartState, true);
});

test('two connections from the peer itself: the older one goes', () => {
  const peer = makePeer({ passive: true });
  peer.start();
  const a = peer.accept()!.conn;
  const b = peer.accept()!.conn;
  open(peer, b, '10.0.0.9');
  assert.deepEqual(notifications(open(peer, a, '10.0.0.9')), [`${a}:6/7`]);
});

// ---------------------------------------------------------------- lifecycle

test('an accepted session stops our dialling; when it ends we dial again after the idle hold time', () => {
  const env = new TestEnv();
  env.fixRandom(1 - Number.EPSILON);
  const peer = makePeer({}, env);
  const out = only(peer.start(), 'connect').conn;
  peer.handle({ type: 'tcp-failed', conn: out, reason: 'ECONNREFUSED' });
  assert.equal(stateOf(peer, out), 'Active');
  const inc = peer.accept()!.conn;
  open(peer, inc, '10.0.0.9');
  const est = peer.handle({ type: 'bytes', conn: inc, data: KEEPALIVE });
  assert.equal(ofType(est, 'established').length, 1);
  assert.equal(stateOf(peer, out), 'Idle', 'dialer stopped');
  assert.ok(ofType(est, 'stop-timer').some((t) => t.conn === out && t.timer === 'connect-retry'));

  // Updates flow up from the session's connection.
  const down = peer.handle({ type: 'tcp-failed', conn: inc, reason: 'ECONNRESET' });
  assert.equal(only(down, 'down').reason, 'ECONNRESET');
  const idle = ofType(down, 'start-timer').filter((t) => t.conn === PEER_TIMERS);
  assert.deepEqual(idle.map((t) => [t.timer, t.ms]), [['idle-hold', 1000]]);
  const again = peer.handle({ type: 'timer', conn: PEER_TIMERS, timer: 'idle-hold' });
  assert.equal(only(again, 'connect').conn, out);
  assert.equal(peer.state, 'Connect');
});

test('idle hold backoff doubles while sessions keep failing, capped; resets after a stable session', () => {
  const env = new TestEnv();
  env.fixRandom(1 - Number.EPSILON);
  const peer = makePeer({ idleHoldTime: 1, idleHoldTimeMax: 8 }, env);
  const out = only(peer.start(), 'connect').conn;
  const cycle = (lasting: number): number => {
    peer.handle({ type: 'tcp-connected', conn: out });
    open(peer, out, '10.0.0.9');
    peer.handle({ type: 'bytes', conn: out, data: KEEPALIVE });
    assert.equal(peer.state, 'Established');
    env.time += lasting;
    const a = peer.handle({ type: 'timer', conn: out, timer: 'hold' });
    assert.deepEqual(notifications(a), [`${out}:4/0`]);
    const t = only(a.filter((x) => x.type === 'start-timer' && x.conn === PEER_TIMERS), 'start-timer');
    const b = peer.handle({ type: 'timer', conn: PEER_TIMERS, timer: 'idle-hold' });
    assert.equal(ofType(b, 'connect').length, 1);
    return t.ms;
  };
  assert.deepEqual([cycle(10), cycle(10), cycle(10), cycle(10), cycle(10)], [1000, 2000, 4000, 8000, 8000]);
  // A session that lasted the cap (8 s) resets the backoff.
  assert.equal(cycle(8000), 1000);
});

test('an OPEN error on our connection: Idle, then retried after the idle hold time', () => {
  const peer = makePeer({ peerAs: 65001 });
  const out = only(peer.start(), 'connect').conn;
  peer.handle({ type: 'tcp-connected', conn: out });
  const a = open(peer, out, '10.0.0.9');
  assert.deepEqual(notifications(a), [`${out}:2/2`]);
  assert.equal(ofType(a, 'down').length, 0, 'no session went down: logged only');
  assert.ok(ofType(a, 'log').some((l) => /closed before Established/.test(l.message)));
  assert.equal(ofType(a, 'start-timer').filter((t) => t.conn === PEER_TIMERS).length, 1);
});

test('passive peer: never dials, accepts, no restart timer after a session', () => {
  const peer = makePeer({ passive: true });
  const s = peer.start();
  assert.equal(ofType(s, 'connect').length, 0);
  assert.equal(peer.state, 'Active');
  const inc = peer.accept()!.conn;
  open(peer, inc, '10.0.0.9');
  peer.handle({ type: 'bytes', conn: inc, data: KEEPALIVE });
  assert.equal(peer.state, 'Established');
  const d = peer.handle({ type: 'tcp-failed', conn: inc });
  assert.equal(ofType(d, 'down').length, 1);
  assert.equal(ofType(d, 'start-timer').length, 0);
  assert.equal(peer.state, 'Active');
  assert.deepEqual(peer.connections(), []);
});

test('a stopped peer refuses connections; stop sends Cease on the session; pending connections are capped', () => {
  const peer = makePeer({ passive: true });
  assert.equal(peer.accept(), null, 'not started');
  peer.start();
  const conns = [];
  for (let i = 0; i < MAX_PENDING_INCOMING; i++) conns.push(peer.accept()!.conn);
  assert.equal(peer.accept(), null, 'too many pending');
  open(peer, conns[0]!, '10.0.0.9');
  peer.handle({ type: 'bytes', conn: conns[0]!, data: KEEPALIVE });
  const a = peer.stop({ message: 'bye' });
  assert.deepEqual(notifications(a), conns.map((c) => `${c}:6/2`));
  assert.equal(only(a, 'down').notificationSent?.shutdownMessage, 'bye');
  assert.equal(peer.state, 'Idle');
  assert.equal(peer.accept(), null);
});

test('sendUpdate goes to the session connection; without a session it is dropped', () => {
  const peer = makePeer();
  const out = only(peer.start(), 'connect').conn;
  const update = { withdrawn: [], attributes: [], nlri: [], problems: [] };
  assert.equal(ofType(peer.sendUpdate(update), 'send').length, 0);
  peer.handle({ type: 'tcp-connected', conn: out });
  open(peer, out, '10.0.0.9');
  peer.handle({ type: 'bytes', conn: out, data: KEEPALIVE });
  const a = peer.sendUpdate([update, update]);
  assert.deepEqual(ofType(a, 'send').map((s) => s.conn), [out, out]);
  assert.equal(ofType(peer.sendRouteRefresh(25, 70), 'send').length, 1);
  // Actions for an unknown connection are ignored.
  assert.deepEqual(peer.handle({ type: 'bytes', conn: 99, data: KEEPALIVE }), []);
});

test('state events follow the most advanced connection', () => {
  const peer = makePeer();
  const seen: string[] = [];
  const record = (a: PeerAction[]): void => {
    for (const s of ofType(a, 'state')) seen.push(s.to);
  };
  const start = peer.start();
  record(start);
  const out = only(start, 'connect').conn;
  record(peer.handle({ type: 'tcp-connected', conn: out }));
  record(open(peer, out, '10.0.0.9'));
  record(peer.handle({ type: 'bytes', conn: out, data: KEEPALIVE }));
  record(peer.stop());
  assert.deepEqual(seen, ['Connect', 'OpenSent', 'OpenConfirm', 'Established', 'Idle']);
});

test('config errors name the key, the value and what is expected', () => {
  const base: PeerConfig = { neighborAddress: '192.0.2.2', peerAs: 65000, localAs: 65000, routerId: '10.0.0.5', families: ['l2vpn-evpn'] };
  assert.throws(() => validatePeerConfig({ ...base, holdTime: 2 }), /hold-time = 2: expected 0 or at least 3/);
  assert.throws(() => validatePeerConfig({ ...base, neighborAddress: 'rr1' }), /neighbor-address = "rr1"/);
  assert.throws(() => validatePeerConfig({ ...base, routerId: '0.0.0.0' }), /router-id/);
  assert.throws(() => validatePeerConfig({ ...base, families: ['l3vpn' as never] }), /afi-safi-name = "l3vpn"/);
  assert.throws(() => validatePeerConfig({ ...base, localAddress: '2001:db8::1' }), /local-address/);
  assert.doesNotThrow(() => validatePeerConfig({ ...base, holdTime: 0 }));
});
