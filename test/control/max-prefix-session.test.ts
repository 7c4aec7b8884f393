// Issue 9 item 9, the session side of max-prefixes:
// - the session core (BgpPeer, events in, actions out): a stop with Cease /
//   Maximum Number of Prefixes Reached and RFC 4486 §4's data, refused
//   connections while the restart timer runs, a new connection after it;
// - a Speaker over loopback against a scripted peer that sends one route
//   more than allowed: the NOTIFICATION on the wire, the routes gone, the
//   warning and teardown logged, the count and limit in neighbors(), and the
//   session back after the restart timer.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { BgpPeer, PEER_TIMERS } from '../../src/control/bgp-peer.js';
import { Speaker } from '../../src/control/speaker.js';
import { CeaseSubcode } from '../../src/wire/bgp-error-codes.js';
import { KEEPALIVE, TestEnv, ofType, only, openBytes, peerOpen } from '../helpers/session.js';
import { Topology, waitFor } from '../helpers/netns.js';
import { connectSpeaker, macIpUpdate, type TestSpeaker } from '../helpers/test-speaker.js';
import { RecordingFdb } from './control-helpers.js';

/** RFC 4486 §4 data for l2vpn-evpn with limit 5: AFI 25, SAFI 70, 5. */
const EVPN_LIMIT_5 = Buffer.from('0019' + '46' + '00000005', 'hex');

// ---------------------------------------------------------------- the session core (BgpPeer, sans-IO)

test('BgpPeer: stop with Cease/1 and data, refuses connections while the restart timer runs, dials again after it', () => {
  const env = new TestEnv();
  const peer = new BgpPeer({ neighborAddress: '192.0.2.2', peerAs: 65000, localAs: 65000, routerId: '10.0.0.5', families: ['l2vpn-evpn'] }, env);
  const conn = only(peer.start(), 'connect').conn;
  peer.handle({ type: 'tcp-connected', conn });
  peer.handle({ type: 'bytes', conn, data: openBytes(peerOpen({ bgpId: '10.0.0.9' })) });
  only(peer.handle({ type: 'bytes', conn, data: KEEPALIVE }), 'established');

  const data = EVPN_LIMIT_5;
  const actions = peer.stop({ subcode: CeaseSubcode.MaximumNumberOfPrefixesReached, data, restartAfter: 30 });
  const sent = ofType(actions, 'send').map((a) => a.data);
  assert.equal(sent.length, 1);
  const n = sent[0]!;
  assert.deepEqual([n[18], n[19], n[20]], [3, 6, 1], 'NOTIFICATION Cease / Maximum Number of Prefixes Reached');
  assert.equal(n.subarray(21).toString('hex'), data.toString('hex'), 'with AFI/SAFI/limit as data');
  const down = only(actions, 'down');
  assert.equal(down.notificationSent?.subcode, 1);
  assert.equal(down.gracefulRestartApplies, false, 'our NOTIFICATION ends graceful restart: the routes leave');
  const restart = ofType(actions, 'start-timer').find((t) => t.conn === PEER_TIMERS && t.timer === 'restart');
  assert.equal(restart?.ms, 30_000);
  assert.equal(ofType(actions, 'start-timer').some((t) => t.timer === 'idle-hold'), false, 'no ordinary reconnect');
  assert.equal(peer.state, 'Idle');

  assert.equal(peer.accept(), null, 'the neighbor connecting again within the restart time is refused');

  const again = peer.handle({ type: 'timer', conn: PEER_TIMERS, timer: 'restart' });
  const connect = only(again, 'connect');
  assert.equal(connect.remoteAddress, '192.0.2.2');
  assert.notEqual(peer.accept(), null, 'and accepted once the timer ran');
});

test('BgpPeer: an administrative stop or start cancels a pending restart', () => {
  const peer = new BgpPeer({ neighborAddress: '192.0.2.2', peerAs: 65000, localAs: 65000, routerId: '10.0.0.5', families: ['l2vpn-evpn'], passive: true }, new TestEnv());
  peer.start();
  peer.stop({ subcode: CeaseSubcode.MaximumNumberOfPrefixesReached, restartAfter: 5 });
  const stopped = peer.stop();
  assert.deepEqual(ofType(stopped, 'stop-timer').map((t) => t.timer), ['restart']);
  assert.deepEqual(peer.handle({ type: 'timer', conn: PEER_TIMERS, timer: 'restart' }), [], 'a late timer does nothing');
  assert.equal(peer.accept(), null, 'still stopped');
});

// ---------------------------------------------------------------- a Speaker against a scripted peer

const topo = new Topology();
after(() => topo.destroy());

const ROUTE = { rd: '127.0.0.3:100', nextHop: '127.0.0.3', routeTargets: ['65000:100'], vni: 100 };
const mac = (i: number): string => `02:00:00:00:09:${i.toString(16).padStart(2, '0')}`;

function notificationOf(peer: TestSpeaker): { code: number; subcode: number; data: Buffer } | undefined {
  for (const r of peer.received) if (r.message?.type === 'notification') return r.message.notification;
  return undefined;
}

test('speaker: one route over max-prefixes ends the session with Cease/1 (RFC 4486 §4), routes leave, back after restart-timer', async () => {
  const fdb = new RecordingFdb();
  const logs: string[] = [];
  const speaker = new Speaker({ asn: 65000, routerId: '127.0.0.1', vtep: '127.0.0.1', listenAddress: '127.0.0.1', listenPort: 0, neighbors: [], vnis: [{ vni: 100 }] }, fdb);
  speaker.on('log', (level, message) => logs.push(`${level} ${message}`));
  await speaker.start();
  speaker.addNeighbor({
    neighborAddress: '127.0.0.3',
    peerAs: 65000,
    passive: true,
    holdTime: 9,
    prefixLimits: { 'l2vpn-evpn': { maxPrefixes: 5, warningThresholdPct: 60, restartTimer: 2 } },
  });
  const port = speaker.listenAddress!.port;
  const connect = (): Promise<TestSpeaker> =>
    connectSpeaker(topo, null, { host: '127.0.0.1', port, localAddress: '127.0.0.3' }, { as: 65000, bgpId: '127.0.0.3' });
  try {
    const peer = await connect();
    await peer.waitEstablished();
    for (let i = 1; i <= 5; i++) peer.sendUpdate(macIpUpdate({ ...ROUTE, mac: mac(i) }));
    await waitFor('5 routes installed', () => fdb.entries.size === 5, 5000, 20);
    assert.equal(speaker.neighbors()[0]!.state, 'established', 'the maximum itself is allowed');
    assert.ok(logs.some((l) => /^warn neighbor 127\.0\.0\.3: 4 l2vpn-evpn route\(s\), over 60% of max-prefixes 5/.test(l)), logs.join('\n'));
    assert.deepEqual(speaker.neighbors()[0]!.prefixLimits, [{ family: 'l2vpn-evpn', received: 5, maxPrefixes: 5, warningThreshold: 3, exceeded: 0 }]);

    peer.sendUpdate(macIpUpdate({ ...ROUTE, mac: mac(6) }));
    await peer.waitClosed(5000);
    const n = notificationOf(peer);
    assert.ok(n !== undefined, 'a NOTIFICATION before the close');
    assert.deepEqual([n.code, n.subcode], [6, 1], 'Cease / Maximum Number of Prefixes Reached');
    assert.equal(n.data.toString('hex'), '0019' + '46' + '00000005', 'AFI 25, SAFI 70, limit 5');
    await waitFor('the routes leave', () => fdb.entries.size === 0, 5000, 20);
    const status = speaker.neighbors()[0]!;
    assert.notEqual(status.state, 'established');
    assert.equal(status.prefixLimits[0]!.exceeded, 1);
    assert.match(status.lastDown ?? '', /Maximum Number of Prefixes Reached/);
    assert.ok(logs.some((l) => /^warn neighbor 127\.0\.0\.3: 6 l2vpn-evpn route\(s\), over max-prefixes 5: session closed for 2 s/.test(l)), logs.join('\n'));

    // Within the restart time the neighbor's connection is refused before OPEN.
    const early = await connect();
    await early.waitClosed(5000);
    assert.equal(early.received.length, 0, 'no OPEN from us while the restart timer runs');

    // After it, the session comes back; the peer now stays within the limit.
    const back = await waitFor(
      'a session after the restart timer',
      async () => {
        const p = await connect();
        try {
          await p.waitEstablished(3000);
          return p;
        } catch {
          return undefined;
        }
      },
      10_000,
      300,
    );
    for (let i = 1; i <= 4; i++) back.sendUpdate(macIpUpdate({ ...ROUTE, mac: mac(i) }));
    await waitFor('4 routes back', () => fdb.entries.size === 4, 5000, 20);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(speaker.neighbors()[0]!.state, 'established');
    assert.equal(speaker.neighbors()[0]!.prefixLimits[0]!.received, 4);
  } finally {
    await speaker.stop();
  }
});
