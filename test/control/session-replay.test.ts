// Scenario tests: recorded event logs (JSON) replayed into a BgpConnection,
// the actions checked. Two logs come from the FRR capture (each side's bytes
// as its peer saw them, segment by segment), one is written by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BgpConnection, type ConnectionAction } from '../../src/control/bgp-fsm.js';
import { localOpen } from '../../src/control/capability-negotiation.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import { isEndOfRib } from '../../src/wire/bgp-update.js';
import { findAll } from '../helpers/tshark.js';
import { TestEnv, connectionConfig, ofType, only, openBytes, peerOpen, KEEPALIVE } from '../helpers/session.js';
import { parseEventLog, peerMessages, peerSegments, transcript, type LoggedEvent } from '../helpers/session-log.js';

const CAPTURE = 'frr-frr-evpn-session';
const VTEP = '10.212.0.1';
const RR = '10.212.0.254';

function replay(c: BgpConnection, log: LoggedEvent[]): ConnectionAction[] {
  // Through JSON, as a recorded log would be stored.
  const events = parseEventLog(JSON.stringify(log));
  return events.flatMap((e) => c.handle(e));
}

test('replay: vxswitch as the route reflector, fed the FRR VTEP side of the capture', () => {
  const segments = peerSegments(CAPTURE, VTEP);
  const log: LoggedEvent[] = [{ type: 'start' }, { type: 'tcp-connected' }, ...segments];
  const c = new BgpConnection(
    connectionConfig({ routerId: RR, holdTime: 9, remoteAddress: VTEP, initiator: 'remote' }),
    new TestEnv(),
  );
  const actions = replay(c, log);

  const sentByVtep = peerMessages(CAPTURE, VTEP);
  const updatesInCapture = sentByVtep.filter((m) => m.type === 2);
  assert.deepEqual(transcript(actions), [
    'Idle > Active',
    'send OPEN',
    'Active > OpenSent',
    'send KEEPALIVE',
    'OpenSent > OpenConfirm',
    `open-received ${VTEP}`,
    'OpenConfirm > Established',
    'established',
    ...updatesInCapture.map(() => 'update'),
    'close',
    'Established > Idle',
    'down: received NOTIFICATION Cease / Hard Reset (Cease / Administrative Shutdown)',
  ]);

  // Our OPEN is our own; the negotiated values are the capture's (per tshark).
  assert.deepEqual(bgpMessage.decode(ofType(actions, 'send')[0]!.data), { type: 'open', open: localOpen(c.config) });
  const vtepOpen = sentByVtep.find((m) => m.type === 1)!;
  const n = only(actions, 'established').negotiated;
  assert.equal(n.holdTime, Math.min(9, Number(findAll(vtepOpen.tree, 'bgp.open.holdtime')[0])));
  assert.equal(n.gracefulRestart?.restartTime, Number(findAll(vtepOpen.tree, 'bgp.cap.gr.timers.restart_time')[0]));
  assert.equal(n.gracefulRestart?.restartState, findAll(vtepOpen.tree, 'bgp.cap.gr.timers.restart_flag')[0] === '1');
  assert.deepEqual(n.families, ['l2vpn-evpn']);

  // The UPDATEs are the captured ones; the second is FRR's End-of-RIB.
  const updates = ofType(actions, 'update');
  assert.deepEqual(updates.map((u) => u.bytes), updatesInCapture.map((m) => m.bytes));
  assert.deepEqual(updates.map((u) => isEndOfRib(u.update)), [null, { afi: 25, safi: 70 }, null, null]);

  const down = only(actions, 'down');
  assert.equal(down.wasEstablished, true);
  assert.equal(down.notificationSent, null);
  // RFC 8538: a Hard Reset ends graceful restart (and FRR listed no GR families anyway).
  assert.equal(down.gracefulRestartApplies, false);
  assert.equal(c.state, 'Idle');
});

test('replay: vxswitch as the VTEP, fed the FRR route reflector side (OPEN and KEEPALIVE in one segment)', () => {
  const segments = peerSegments(CAPTURE, RR);
  const log: LoggedEvent[] = [{ type: 'start' }, { type: 'tcp-connected' }, ...segments, { type: 'stop' }];
  const c = new BgpConnection(connectionConfig({ routerId: VTEP, remoteAddress: RR }), new TestEnv());
  const actions = replay(c, log);
  const t = transcript(actions);
  assert.deepEqual(t.slice(0, 9), [
    `connect ${RR}:179`,
    'Idle > Connect',
    'send OPEN',
    'Connect > OpenSent',
    'send KEEPALIVE',
    'OpenSent > OpenConfirm',
    `open-received ${RR}`,
    'OpenConfirm > Established',
    'established',
  ]);
  const rrUpdates = peerMessages(CAPTURE, RR).filter((m) => m.type === 2);
  assert.ok(rrUpdates.length > 0);
  assert.deepEqual(ofType(actions, 'update').map((u) => u.bytes), rrUpdates.map((m) => m.bytes));
  // The RR put several UPDATEs in one segment: each segment was one 'bytes' event.
  assert.ok(segments.length < peerMessages(CAPTURE, RR).length);
  assert.deepEqual(t.slice(-4), ['send NOTIFICATION 6/2', 'close', 'Established > Idle', 'down: stopped; sent NOTIFICATION Cease / Administrative Shutdown']);
});

test('replay: a hand-written log — refused, retried, OPEN split in two, hold expiry', () => {
  const open = openBytes(peerOpen({ holdTime: 3 })).toString('hex');
  const json = JSON.stringify([
    { type: 'start' },
    { type: 'tcp-failed', reason: 'ECONNREFUSED' },
    { type: 'timer', timer: 'connect-retry' },
    { type: 'tcp-connected' },
    { type: 'bytes', hex: open.slice(0, 30) },
    { type: 'bytes', hex: open.slice(30) + KEEPALIVE.toString('hex').slice(0, 10) },
    { type: 'bytes', hex: KEEPALIVE.toString('hex').slice(10) },
    { type: 'timer', timer: 'keepalive' },
    { type: 'timer', timer: 'hold' },
    { type: 'timer', timer: 'hold' },
  ] satisfies LoggedEvent[]);
  const c = new BgpConnection(connectionConfig(), new TestEnv());
  const actions = parseEventLog(json).flatMap((e) => c.handle(e));
  assert.deepEqual(transcript(actions), [
    'connect 192.0.2.2:179',
    'Idle > Connect',
    'close',
    'Connect > Active',
    'connect 192.0.2.2:179',
    'Active > Connect',
    'send OPEN',
    'Connect > OpenSent',
    'send KEEPALIVE',
    'OpenSent > OpenConfirm',
    'open-received 10.0.0.2',
    'OpenConfirm > Established',
    'established',
    'send KEEPALIVE',
    'send NOTIFICATION 4/0',
    'close',
    'Established > Idle',
    'down: hold timer expired; sent NOTIFICATION Hold Timer Expired / Unspecific',
  ]);
  // Negotiated hold 3 s: keepalive every second, jittered (TestEnv random 0.5 → 875 ms).
  const keepalives = ofType(actions, 'start-timer').filter((t) => t.timer === 'keepalive').map((t) => t.ms);
  assert.deepEqual(keepalives, [875, 875]);
  const holds = ofType(actions, 'start-timer').filter((t) => t.timer === 'hold').map((t) => t.ms);
  assert.deepEqual(holds, [240_000, 3000, 3000]);
});
