// Putting a next hop together (src/dataplane/next-hop.ts) from the kernel's
// own answers: the route answers, link and neighbour messages of the
// captured fixture (test/fixtures/netlink/rtnetlink-resolver.pcap), so what is
// tested is what this kernel says. No namespaces: the resolver's test
// (next-hop-resolver.test.ts) follows a live kernel.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endianness } from 'node:os';
import * as rtnetlinkMessage from '../../src/wire/rtnetlink-message.js';
import type { RtnetlinkMessage } from '../../src/wire/rtnetlink-message.js';
import { NudState } from '../../src/wire/rtnetlink-neighbour.js';
import { RouteType, type RouteMessage } from '../../src/wire/rtnetlink-route.js';
import { writeU32 } from '../../src/wire/host-order.js';
import { KernelTables } from '../../src/dataplane/kernel-tables.js';
import { composeNextHop, isResolved, routeAnswer, sameNextHop } from '../../src/dataplane/next-hop.js';
import { CAPTURE, readRtnetlinkCapture } from '../helpers/capture-rtnetlink.js';

const skip = endianness() !== 'LE' ? 'the fixture was recorded on a little-endian host' : false;
const capture = skip ? { datagrams: [], steps: [] } : readRtnetlinkCapture();

function messagesOf(what: string): RtnetlinkMessage[] {
  const s = capture.steps.find((x) => x.what === what);
  assert.ok(s, what);
  return capture.datagrams
    .filter((d) => !d.outgoing && d.frame >= s.first && d.frame <= s.last)
    .flatMap((d) => d.messages.map((m) => rtnetlinkMessage.decode(m)));
}

function routeOf(what: string): RouteMessage {
  const m = messagesOf(what).find((x) => x.kind === 'route');
  assert.ok(m?.kind === 'route', what);
  return m.body;
}

/** The link table and the neighbour table as the capture's dumps left them. */
function tables(): KernelTables {
  const t = new KernelTables();
  for (const what of ['link dump', 'neighbour dump, IPv4', 'neighbour dump, IPv6']) {
    for (const m of messagesOf(what)) {
      if (m.kind === 'link') t.applyLink(m.body, false);
      if (m.kind === 'neighbour') t.applyNeighbour(m.body, false);
    }
  }
  return t;
}

test('next hop: an on-link VTEP is its own next hop, resolved from the neighbour table', { skip }, () => {
  const t = tables();
  const answer = routeAnswer(routeOf(`route get ${CAPTURE.b0}`));
  assert.deepEqual(answer, { reachable: true, type: RouteType.Unicast, ifindex: 2, source: CAPTURE.a0 });
  const hop = composeNextHop(CAPTURE.b0, answer, t.link(2), t.neighbour(2, CAPTURE.b0));
  assert.deepEqual(hop, {
    address: CAPTURE.b0,
    state: 'resolved',
    ifindex: 2,
    ifname: 'a0',
    source: CAPTURE.a0,
    srcMac: CAPTURE.macA0,
    dstMac: CAPTURE.macB0,
    mtu: 1500,
  });
});

test('next hop: behind a gateway (IPv4 and IPv6) the gateway is the next hop', { skip }, () => {
  const t = tables();
  for (const [vtep, gateway, source] of [
    [CAPTURE.behindGateway, CAPTURE.b0, CAPTURE.a0],
    [CAPTURE.behindGatewayV6, CAPTURE.b0v6, CAPTURE.a0v6],
  ] as const) {
    const answer = routeAnswer(routeOf(`route get ${vtep}`));
    assert.ok(answer.reachable);
    assert.equal(answer.gateway, gateway);
    const hop = composeNextHop(vtep, answer, t.link(answer.ifindex), t.neighbour(answer.ifindex, gateway));
    assert.equal(hop.state, 'resolved', vtep);
    assert.equal(hop.dstMac, CAPTURE.macB0);
    assert.equal(hop.source, source);
    // Without the gateway's neighbour entry: unresolved, and no dstMac.
    const bare = composeNextHop(vtep, answer, t.link(answer.ifindex), undefined);
    assert.equal(bare.state, 'unresolved');
    assert.equal(bare.dstMac, undefined);
    assert.equal(bare.srcMac, CAPTURE.macA0);
  }
});

test('next hop: multipath, RTA_VIA and route MTU in an answer', { skip }, () => {
  // A plain RTM_GETROUTE answer is already one path: the kernel's pick.
  const picked = routeAnswer(routeOf(`route get ${CAPTURE.multipath}`));
  assert.ok(picked.reachable);
  assert.ok([CAPTURE.b0, CAPTURE.b1].includes(picked.gateway as typeof CAPTURE.b0));
  // A message with RTA_MULTIPATH and no RTA_OIF (a FIB entry): the first live path.
  const fib = routeOf('notification: IPv4 multipath route added');
  assert.deepEqual(routeAnswer(fib), { reachable: true, type: RouteType.Unicast, ifindex: 2, gateway: CAPTURE.b0 });
  const paths = fib.attributes.find((a) => a.kind === 'multipath');
  assert.ok(paths?.kind === 'multipath');
  const firstDead = { ...fib, attributes: [{ ...paths, value: [{ ...paths.value[0]!, flags: 1 }, paths.value[1]!] }] };
  assert.deepEqual(routeAnswer(firstDead), { reachable: true, type: RouteType.Unicast, ifindex: 3, gateway: CAPTURE.b1 });
  // An IPv4 route via an IPv6 next hop: the gateway is the IPv6 address.
  assert.equal((routeAnswer(routeOf('notification: IPv4 route via an IPv6 next hop (RTA_VIA)')) as { gateway: string }).gateway, CAPTURE.b0v6);
  // RTAX_MTU in RTA_METRICS beats the link's MTU.
  const mtu = Buffer.alloc(4);
  writeU32(mtu, 1400, 0);
  const base = routeOf(`route get ${CAPTURE.b0}`);
  const withMtu = { ...base, attributes: [...base.attributes, { kind: 'metrics' as const, value: [{ type: 2, value: mtu }] }] };
  const answer = routeAnswer(withMtu);
  assert.equal(composeNextHop(CAPTURE.b0, answer, { name: 'a0', mac: CAPTURE.macA0, mtu: 1500 }, undefined).mtu, 1400);
});

test('next hop: unreachable, blackhole and non-unicast answers', { skip }, () => {
  const base = routeOf(`route get ${CAPTURE.b0}`);
  for (const type of [RouteType.Unreachable, RouteType.Blackhole, RouteType.Prohibit, RouteType.Throw]) {
    assert.deepEqual(routeAnswer({ ...base, type }), { reachable: false });
  }
  assert.deepEqual(composeNextHop('10.0.0.1', { reachable: false }, undefined, undefined), {
    address: '10.0.0.1',
    state: 'unreachable',
    ifindex: 0,
    ifname: '',
  });
  // Local (the VTEP is this host) or multicast: the kernel sends it, vxswitch cannot build its frame.
  const t = tables();
  const local = routeAnswer({ ...base, type: RouteType.Local });
  assert.equal(composeNextHop(CAPTURE.b0, local, t.link(2), t.neighbour(2, CAPTURE.b0)).state, 'unresolved');
  assert.equal(composeNextHop('10.0.0.1', undefined, undefined, undefined).state, 'unresolved', 'not answered yet');
});

test('next hop: which neighbour states count as resolved (the kernel NUD_VALID states with an Ethernet address)', () => {
  const mac = '02:00:00:00:00:01';
  for (const state of [NudState.Reachable, NudState.Stale, NudState.Delay, NudState.Probe, NudState.Permanent, NudState.Noarp]) {
    assert.equal(isResolved({ state, lladdr: mac }), true, `state ${state}`);
  }
  for (const state of [NudState.None, NudState.Incomplete, NudState.Failed]) {
    assert.equal(isResolved({ state, lladdr: mac }), false, `state ${state}`);
  }
  assert.equal(isResolved({ state: NudState.Reachable }), false, 'no address');
  assert.equal(isResolved({ state: NudState.Noarp, lladdr: '0a:00:00:01' }), false, 'not an Ethernet address');
  assert.equal(isResolved(undefined), false);
});

test('kernel tables: notifications update, a complete re-read drops what it did not see', { skip }, () => {
  const t = tables();
  assert.equal(t.neighbour(2, CAPTURE.b0)?.state, NudState.Reachable);
  // The by-hand replace and delete of the capture.
  for (const m of [...messagesOf('notification: neighbour replaced by hand'), ...messagesOf('notification: neighbour deleted')]) {
    if (m.kind !== 'neighbour') continue;
    t.applyNeighbour(m.body, m.type === rtnetlinkMessage.RtmType.DelNeigh);
    if (m.type === rtnetlinkMessage.RtmType.NewNeigh && m.body.state === NudState.Permanent) {
      assert.deepEqual(t.neighbour(3, CAPTURE.b1), { state: NudState.Permanent, lladdr: '02:13:fe:00:00:ee' });
    }
  }
  assert.equal(t.neighbour(3, CAPTURE.b1), undefined, 'deleted');
  const [mtu] = messagesOf('notification: a1 MTU 1400');
  assert.ok(mtu?.kind === 'link');
  t.applyLink(mtu.body, false);
  assert.equal(t.link(3)?.mtu, 1400);

  // A re-read of the IPv4 neighbours that finds none: they go; the IPv6 ones stay.
  const v6 = t.neighbourCount - 1;
  t.startDump('neighbours4');
  t.endDump('neighbours4', true);
  assert.equal(t.neighbour(2, CAPTURE.b0), undefined);
  assert.equal(t.neighbourCount, v6);
  // An interrupted one drops nothing.
  t.startDump('neighbours6');
  t.endDump('neighbours6', false);
  assert.equal(t.neighbourCount, v6);
  // A link re-read that saw only lo.
  t.startDump('links');
  const [lo] = messagesOf('link dump');
  assert.ok(lo?.kind === 'link');
  t.applyLink(lo.body, false);
  t.endDump('links', true);
  assert.equal(t.linkCount, 1);
});

test('next hop: sameNextHop compares every field', () => {
  const a = { address: '10.0.0.1', state: 'resolved' as const, ifindex: 2, ifname: 'eth0', srcMac: '02:00:00:00:00:01', dstMac: '02:00:00:00:00:02', mtu: 1500 };
  assert.equal(sameNextHop(a, { ...a }), true);
  for (const change of [{ dstMac: '02:00:00:00:00:03' }, { mtu: 1400 }, { gateway: '10.0.0.254' }, { ifindex: 3 }, { source: '10.0.0.9' }]) {
    assert.equal(sameNextHop(a, { ...a, ...change }), false, JSON.stringify(change));
  }
});
