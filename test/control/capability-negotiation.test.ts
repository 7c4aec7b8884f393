import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import { AS_TRANS, capabilities, type BgpOpen } from '../../src/wire/bgp-open.js';
import type { Capability } from '../../src/wire/bgp-capability.js';
import {
  keepaliveFor,
  localCapabilities,
  localOpen,
  negotiate,
  type OpenConfig,
} from '../../src/control/capability-negotiation.js';
import { bgpMessages, field } from '../helpers/bgp-captures.js';
import { findAll, type TsharkTree } from '../helpers/tshark.js';
import type { CaptureName } from '../helpers/fixtures.js';
import { peerOpen } from '../helpers/session.js';

function ours(overrides: Partial<OpenConfig> = {}): BgpOpen {
  return localOpen({ localAs: 65000, routerId: '10.212.0.40', holdTime: 90, families: ['l2vpn-evpn'], ...overrides });
}

/** The captured OPEN sent from `src`, decoded by us, with tshark's tree of it. */
function capturedOpen(capture: CaptureName, bgpId: string): { open: BgpOpen; tree: TsharkTree } {
  for (const m of bgpMessages([capture])) {
    if (m.type !== 1) continue;
    const msg = bgpMessage.decode(m.bytes);
    assert.equal(msg.type, 'open');
    if (msg.type === 'open' && msg.open.bgpId === bgpId) return { open: msg.open, tree: m.tree };
  }
  throw new Error(`${capture}: no OPEN from ${bgpId}`);
}

const tsharkNumbers = (tree: TsharkTree, name: string): number[] => findAll(tree, name).map((v) => Number(v));

test('our capabilities: MP per family, route refresh, enhanced RR, 4-octet AS, GR helper, then optional ones', () => {
  const caps = localCapabilities({ localAs: 4_200_000_001, families: ['l2vpn-evpn', 'ipv4-unicast'] });
  assert.deepEqual(caps, [
    { type: 'multiprotocol', afi: 25, safi: 70 },
    { type: 'multiprotocol', afi: 1, safi: 1 },
    { type: 'route-refresh' },
    { type: 'enhanced-route-refresh' },
    { type: 'four-octet-as', as: 4_200_000_001 },
    // RFC 4724 §3: a helper lists no families.
    { type: 'graceful-restart', flags: 0, restartTime: 120, families: [] },
  ]);
  const more = localCapabilities({
    localAs: 65000,
    families: ['l2vpn-evpn'],
    extendedMessage: true,
    gracefulRestartTime: null,
    addPath: [{ family: 'l2vpn-evpn', mode: 'both' }],
  });
  assert.deepEqual(more.slice(4), [
    { type: 'extended-message' },
    { type: 'add-path', families: [{ afi: 25, safi: 70, sendReceive: 3 }] },
  ]);
  assert.ok(!more.some((c) => c.type === 'graceful-restart'));
});

test('our OPEN: AS_TRANS in My AS for a 4-octet AS (RFC 6793 §4.1), re-encodes identically', () => {
  const open = ours({ localAs: 4_200_000_001 });
  assert.equal(open.myAs, AS_TRANS);
  const bytes = bgpMessage.encode({ type: 'open', open });
  assert.deepEqual(bgpMessage.encode(bgpMessage.decode(bytes)), bytes);
  assert.equal(ours().myAs, 65000);
});

for (const [capture, peerId] of [
  ['frr-frr-evpn-session', '10.212.0.254'],
  ['frr-frr-evpn-session', '10.212.0.1'],
  ['gobgp-frr-evpn-session', '10.212.0.30'],
  ['pyspeaker-frr-evpn-session', '10.212.0.40'],
] as const) {
  test(`negotiate against the captured OPEN of ${peerId} (${capture}), checked against tshark`, () => {
    const { open: theirs, tree } = capturedOpen(capture, peerId);
    const caps = findAll(tree, 'bgp.cap.type').map(Number);
    const mpAfis = tsharkNumbers(tree, 'bgp.cap.mp.afi');
    const mpSafis = tsharkNumbers(tree, 'bgp.cap.mp.safi');
    const peerHasEvpn = mpAfis.some((afi, i) => afi === 25 && mpSafis[i] === 70);
    const holdTime = Number(field(tree, 'bgp.open.holdtime'));

    for (const extendedMessage of [false, true]) {
      const n = negotiate(ours({ extendedMessage }), theirs);
      assert.equal(n.peerRouterId, field(tree, 'bgp.open.identifier'));
      const as4 = findAll(tree, 'bgp.cap.4as').map(Number);
      assert.equal(n.peerAs, as4[0] ?? Number(field(tree, 'bgp.open.myas')));
      assert.deepEqual(n.families, peerHasEvpn ? ['l2vpn-evpn'] : []);
      assert.equal(n.holdTime, Math.min(90, holdTime));
      assert.equal(n.keepaliveInterval, Math.floor(Math.min(90, holdTime) / 3));
      assert.equal(n.as4, caps.includes(65));
      assert.equal(n.routeRefresh, caps.includes(2));
      assert.equal(n.enhancedRouteRefresh, caps.includes(70));
      // RFC 8654: both must announce it to send; announcing it is enough to receive.
      assert.equal(n.extendedMessage, extendedMessage && caps.includes(6));
      assert.equal(n.ctxOut.extendedMessage, extendedMessage && caps.includes(6));
      assert.equal(n.ctxIn.extendedMessage, extendedMessage);
      assert.equal(n.ctxIn.as4, n.as4);
      // FRR offers add-path receive for EVPN; we offered nothing.
      assert.deepEqual(n.addPath, []);
      assert.equal(n.ctxIn.addPath.size + n.ctxOut.addPath.size, 0);
      if (caps.includes(64)) {
        assert.ok(n.gracefulRestart !== null);
        assert.equal(n.gracefulRestart.restartTime, tsharkNumbers(tree, 'bgp.cap.gr.timers.restart_time')[0]);
        assert.equal(n.gracefulRestart.restartState, tsharkNumbers(tree, 'bgp.cap.gr.timers.restart_flag')[0] === 1);
        assert.equal(n.gracefulRestart.notification, tsharkNumbers(tree, 'bgp.cap.gr.timers.notification_flag')[0] === 1);
        // FRR's helper-only capability lists no families: nothing would be kept as stale.
        assert.equal(n.gracefulRestart.families.length, tsharkNumbers(tree, 'bgp.cap.gr.afi').length);
      } else {
        assert.equal(n.gracefulRestart, null);
      }
    }
  });
}

test('add-path: FRR receives EVPN paths; we send them only when we offered send (RFC 7911 §5)', () => {
  const { open: frr } = capturedOpen('frr-frr-evpn-session', '10.212.0.1');
  const n = negotiate(ours({ addPath: [{ family: 'l2vpn-evpn', mode: 'send' }] }), frr);
  assert.deepEqual(n.addPath, [{ family: 'l2vpn-evpn', send: true, receive: false }]);
  assert.deepEqual([...n.ctxOut.addPath], ['25/70']);
  assert.deepEqual([...n.ctxIn.addPath], []);
  // Offering receive only: FRR does not send, so nothing.
  assert.deepEqual(negotiate(ours({ addPath: [{ family: 'l2vpn-evpn', mode: 'receive' }] }), frr).addPath, []);
});

test('add-path table', () => {
  const theirs = (sendReceive: 1 | 2 | 3): Capability[] => [
    { type: 'multiprotocol', afi: 25, safi: 70 },
    { type: 'multiprotocol', afi: 1, safi: 1 },
    { type: 'add-path', families: [{ afi: 25, safi: 70, sendReceive }, { afi: 1, safi: 1, sendReceive: 3 }] },
  ];
  const rows: Array<['receive' | 'send' | 'both', 1 | 2 | 3, boolean, boolean]> = [
    ['both', 3, true, true],
    ['both', 1, true, false],
    ['both', 2, false, true],
    ['receive', 2, false, true],
    ['receive', 1, false, false],
    ['send', 2, false, false],
    ['send', 1, true, false],
  ];
  for (const [mode, peer, send, receive] of rows) {
    const n = negotiate(
      ours({ families: ['l2vpn-evpn'], addPath: [{ family: 'l2vpn-evpn', mode }] }),
      peerOpen({ capabilities: theirs(peer) }),
    );
    const expected = send || receive ? [{ family: 'l2vpn-evpn', send, receive }] : [];
    assert.deepEqual(n.addPath, expected, `${mode} vs ${peer}`);
    assert.equal(n.ctxOut.addPath.has('25/70'), send);
    assert.equal(n.ctxIn.addPath.has('25/70'), receive);
    // ipv4-unicast is not negotiated (we did not configure it): no add-path for it.
    assert.ok(!n.ctxIn.addPath.has('1/1') && !n.ctxOut.addPath.has('1/1'));
  }
});

test('families: the intersection, in our order; a peer with no MP capability speaks IPv4 unicast only (RFC 4760)', () => {
  const both = peerOpen({
    capabilities: [
      { type: 'multiprotocol', afi: 1, safi: 1 },
      { type: 'multiprotocol', afi: 25, safi: 70 },
      { type: 'multiprotocol', afi: 16388, safi: 72 },
    ],
  });
  const n = negotiate(ours({ families: ['l2vpn-evpn', 'ipv6-unicast', 'ipv4-unicast'] }), both);
  assert.deepEqual(n.families, ['l2vpn-evpn', 'ipv4-unicast']);
  assert.deepEqual(n.missingFamilies, ['ipv6-unicast']);

  const noMp = peerOpen({ capabilities: [{ type: 'four-octet-as', as: 65000 }] });
  assert.deepEqual(negotiate(ours(), noMp).families, []);
  assert.deepEqual(negotiate(ours(), noMp).missingFamilies, ['l2vpn-evpn']);
  assert.deepEqual(negotiate(ours({ families: ['l2vpn-evpn', 'ipv4-unicast'] }), noMp).families, ['ipv4-unicast']);
  // No capabilities at all (an RFC 4271-only speaker).
  assert.deepEqual(negotiate(ours({ families: ['ipv4-unicast'] }), peerOpen({ capabilities: [] })).families, ['ipv4-unicast']);
});

test('hold time = min of both, keepalive = hold/3 or the configured interval (never more)', () => {
  const rows: Array<[number, number, number | undefined, number, number]> = [
    [90, 9, undefined, 9, 3],
    [9, 90, undefined, 9, 3],
    [90, 90, undefined, 90, 30],
    [90, 90, 10, 90, 10],
    [90, 90, 60, 90, 30],
    [3, 90, undefined, 3, 1],
    [4, 90, undefined, 4, 1],
    [0, 90, undefined, 0, 0],
    [90, 0, 10, 0, 0],
  ];
  for (const [local, remote, keepalive, hold, interval] of rows) {
    const options = keepalive === undefined ? {} : { keepaliveInterval: keepalive };
    const n = negotiate(ours({ holdTime: local }), peerOpen({ holdTime: remote }), options);
    assert.equal(n.holdTime, hold, `${local}/${remote}`);
    assert.equal(n.keepaliveInterval, interval, `${local}/${remote}/${keepalive}`);
  }
  assert.equal(keepaliveFor(0, 5), 0);
});

test('4-octet AS: both must announce it; the real AS comes from the capability', () => {
  const twoOctetPeer = peerOpen({ as: 65001, capabilities: [{ type: 'multiprotocol', afi: 25, safi: 70 }] });
  const n = negotiate(ours(), twoOctetPeer);
  assert.equal(n.as4, false);
  assert.equal(n.peerAs, 65001);
  assert.equal(n.ctxIn.as4, false);
  const big = peerOpen({ as: 4_200_000_001 });
  assert.equal(big.myAs, AS_TRANS);
  const m = negotiate(ours(), big);
  assert.equal(m.peerAs, 4_200_000_001);
  assert.equal(m.as4, true);
});

test('graceful restart: flags, restart time, F bit; only negotiated families are listed', () => {
  const gr: Capability = {
    type: 'graceful-restart',
    flags: 0x8,
    restartTime: 300,
    families: [
      { afi: 25, safi: 70, flags: 0x80 },
      { afi: 1, safi: 1, flags: 0 },
      { afi: 25, safi: 70, flags: 0 },
    ],
  };
  const n = negotiate(ours(), peerOpen({ capabilities: [{ type: 'multiprotocol', afi: 25, safi: 70 }, gr] }));
  assert.deepEqual(n.gracefulRestart, {
    restartTime: 300,
    restartState: true,
    notification: false,
    families: [{ family: 'l2vpn-evpn', forwardingPreserved: true }],
  });
});

test('unknown capabilities are ignored and kept for display', () => {
  const unknown: Capability = { type: 'unknown', code: 200, value: Buffer.from([1, 2, 3]) };
  const n = negotiate(ours(), peerOpen({ capabilities: [{ type: 'multiprotocol', afi: 25, safi: 70 }, unknown] }));
  assert.deepEqual(n.families, ['l2vpn-evpn']);
  assert.deepEqual(n.remoteCapabilities, [{ type: 'multiprotocol', afi: 25, safi: 70 }, unknown]);
  assert.deepEqual(n.localCapabilities, capabilities(ours()));
});
