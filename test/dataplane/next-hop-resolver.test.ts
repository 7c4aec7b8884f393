// The next-hop resolver against a live kernel: two namespaces this test
// makes (vxt<pid>-<n>, removed even when a test fails), A (the resolver's)
// and B (the peer and gateway), joined by two veth pairs:
//
//   A a0 10.213.250.1/24 fd00:213:250::1/64  <->  B b0 .2 / ::2
//   A a1 10.213.251.1/24 fd00:213:251::1/64  <->  B b1 .2 / ::2
//   A: 10.213.252.0/24 via 10.213.250.2, fd00:213:252::/64 via fd00:213:250::2
//
// The only traffic is the ARP / neighbour discovery the kernel does between
// A and B. Every wait is bounded. Latencies are printed as test diagnostics:
// from just before the command that changes something to the 'change'
// event, and from the kernel's notification (seen on a second socket in A)
// to the 'change' event.

import { test, before, after } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NextHopResolver, type NextHop } from '../../src/dataplane/next-hop-resolver.js';
import { NetlinkSocket } from '../../src/dataplane/netlink-socket.js';
import { RtnlGroup } from '../../src/wire/rtnetlink-message.js';
import * as netlinkHeader from '../../src/wire/netlink-header.js';
import { CAPTURE as NET } from '../helpers/capture-rtnetlink.js';
import { needsRoot, run, Topology, waitFor } from '../helpers/netns.js';

const topo = new Topology();
let A = '';
let B = '';

before(async () => {
  if (needsRoot) return;
  A = await topo.addNamespace({ ipv6: true });
  B = await topo.addNamespace({ ipv6: true });
  // Hosts keep their default offloads; nothing here sends more than ARP / ND.
  await topo.veth(A, 'a0', B, 'b0', { up: false });
  await topo.veth(A, 'a1', B, 'b1', { up: false });
  for (const [ns, ifname, mac] of [[A, 'a0', NET.macA0], [A, 'a1', NET.macA1], [B, 'b0', NET.macB0], [B, 'b1', NET.macB1]] as const) {
    await topo.setMac(ns, ifname, mac);
  }
  for (const [ns, ifname, cidr] of [
    [A, 'a0', `${NET.a0}/24`], [A, 'a1', `${NET.a1}/24`], [B, 'b0', `${NET.b0}/24`], [B, 'b1', `${NET.b1}/24`],
    [A, 'a0', `${NET.a0v6}/64`], [A, 'a1', `${NET.a1v6}/64`], [B, 'b0', `${NET.b0v6}/64`], [B, 'b1', `${NET.b1v6}/64`],
  ] as const) {
    await topo.address(ns, ifname, cidr);
  }
  // The peer announces a new MAC (gratuitous ARP, unsolicited NA) when it gets one.
  await run(B, 'sysctl', '-q', '-w', 'net.ipv4.conf.all.arp_notify=1', 'net.ipv6.conf.all.ndisc_notify=1');
  for (const [ns, ifname] of [[A, 'a0'], [A, 'a1'], [B, 'b0'], [B, 'b1']] as const) await topo.linkUp(ns, ifname);
  await run(A, 'ip', 'route', 'add', '10.213.252.0/24', 'via', NET.b0);
  await run(A, 'ip', '-6', 'route', 'add', 'fd00:213:252::/64', 'via', NET.b0v6);
  // IPv6 starts on a link only once the kernel sees its carrier (linkwatch, up to a second
  // after `up`); a neighbour solicitation sent before waits for the retransmission, 1 s later.
  for (const ns of [A, B]) {
    await waitFor(`${ns}: links up, no tentative IPv6 address`, async () => {
      const links = JSON.parse(await run(ns, 'ip', '-j', 'link', 'show', 'type', 'veth')) as Array<{ operstate: string }>;
      const tentative = await run(ns, 'ip', '-6', 'addr', 'show', 'tentative');
      return links.every((l) => l.operstate === 'UP') && tentative.trim() === '';
    });
  }
});

after(() => topo.destroy());

// ---------------------------------------------------------------- helpers

const resolvers: NextHopResolver[] = [];
after(() => {
  for (const r of resolvers) r.close();
});

async function openResolver(t: TestContext, options: { rcvbuf?: number } = {}): Promise<{ r: NextHopResolver; warnings: string[] }> {
  const warnings: string[] = [];
  const r = await NextHopResolver.open({ netns: A, warn: (m) => warnings.push(m), ...options });
  resolvers.push(r);
  t.after(() => r.close());
  return { r, warnings };
}

/** The first NextHop of `address` for which `ok` holds (now or at a later 'change'), and when it came. */
function until(r: NextHopResolver, address: string, what: string, ok: (h: NextHop) => boolean, timeoutMs = 3_000): Promise<{ hop: NextHop; at: number }> {
  const now = r.get(address);
  if (now && ok(now)) return Promise.resolve({ hop: now, at: performance.now() });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      r.off('change', onChange);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${address} to be ${what}; it is ${JSON.stringify(r.get(address))}`));
    }, timeoutMs);
    const onChange = (h: NextHop): void => {
      if (h.address !== address || !ok(h)) return;
      clearTimeout(timer);
      r.off('change', onChange);
      resolve({ hop: h, at: performance.now() });
    };
    r.on('change', onChange);
  });
}

/**
 * A second rtnetlink socket in A, timing when the kernel's notifications
 * arrive: `first(type)` is when the first message of that type came after
 * `arm()`.
 */
class Monitor {
  private readonly sock = NetlinkSocket.open([RtnlGroup.Link, RtnlGroup.Neigh, RtnlGroup.Ipv4Route, RtnlGroup.Ipv6Route], { netns: A });
  private readonly buf = Buffer.alloc(64 * 1024);
  private seen = new Map<number, number>();
  constructor() {
    this.sock.onReadable(() => {
      const at = performance.now();
      for (let i = 0; i < 64; i++) {
        const n = this.sock.receive(this.buf);
        if (n === 0) break;
        for (let o = 0; o < n; ) {
          const h = netlinkHeader.decode(this.buf, o);
          if (!this.seen.has(h.type)) this.seen.set(h.type, at);
          o += netlinkHeader.align4(h.length);
        }
      }
    });
  }
  arm(): void {
    this.seen = new Map();
  }
  first(type: number): number | undefined {
    return this.seen.get(type);
  }
  close(): void {
    this.sock.close();
  }
}

function ms(x: number): string {
  return `${x.toFixed(1)} ms`;
}

const RTM_NEWNEIGH = 28;
const RTM_NEWROUTE = 24;
const RTM_DELROUTE = 25;

// ---------------------------------------------------------------- tests

test('an on-link VTEP (IPv4, IPv6) is unresolved until nudged, then resolves to the peer\'s MAC', { skip: needsRoot, timeout: 20_000 }, async (t) => {
  const { r, warnings } = await openResolver(t);
  for (const vtep of [NET.b0, NET.b0v6]) {
    const first = r.watch(vtep);
    assert.deepEqual(first, { address: vtep, state: 'unresolved', ifindex: 0, ifname: '' }, 'nothing known before the kernel answers');
    assert.equal(r.nudge(vtep), false, 'no route answer yet: nothing to nudge');
    const { hop } = await until(r, vtep, 'routed', (h) => h.ifindex !== 0);
    assert.equal(hop.state, 'unresolved', 'nothing has sent to the peer: its neighbour entry is not resolved');
    assert.equal(hop.ifname, 'a0');
    assert.equal(hop.srcMac, NET.macA0);
    assert.equal(hop.gateway, undefined, 'on-link');
    assert.equal(hop.source, vtep.includes(':') ? NET.a0v6 : NET.a0);
    assert.equal(hop.mtu, 1500);
    const t0 = performance.now();
    assert.equal(r.nudge(vtep), true);
    const resolved = await until(r, vtep, 'resolved', (h) => h.state === 'resolved');
    assert.equal(resolved.hop.dstMac, NET.macB0);
    assert.deepEqual({ ...resolved.hop, dstMac: undefined, state: 'unresolved' }, { ...hop, dstMac: undefined });
    t.diagnostic(`${vtep}: nudge -> resolved in ${ms(resolved.at - t0)} (ARP / neighbour discovery included)`);
  }
  assert.equal(r.get('FD00:213:250::2')?.address, NET.b0v6, 'addresses are matched in canonical form');
  r.unwatch(NET.b0);
  assert.equal(r.get(NET.b0), undefined);
  assert.deepEqual(warnings, []);
});

test('a VTEP behind a gateway (IPv4, IPv6) resolves to the gateway\'s MAC', { skip: needsRoot, timeout: 20_000 }, async (t) => {
  const { r, warnings } = await openResolver(t);
  for (const [vtep, gateway] of [
    [NET.behindGateway, NET.b0],
    [NET.behindGatewayV6, NET.b0v6],
  ] as const) {
    r.watch(vtep);
    await until(r, vtep, 'routed', (h) => h.ifindex !== 0);
    r.nudge(vtep);
    const { hop } = await until(r, vtep, 'resolved', (h) => h.state === 'resolved');
    assert.equal(hop.gateway, gateway);
    assert.equal(hop.dstMac, NET.macB0, "the gateway's MAC");
    assert.equal(hop.ifname, 'a0');
  }
  assert.deepEqual(warnings, []);
});

test('a changed neighbour MAC gives a change within 1 s (the peer\'s new MAC, and ip neigh replace)', { skip: needsRoot, timeout: 20_000 }, async (t) => {
  const { r, warnings } = await openResolver(t);
  const monitor = new Monitor();
  t.after(() => monitor.close());
  for (const vtep of [NET.b0, NET.b0v6]) {
    r.watch(vtep);
    await until(r, vtep, 'routed', (h) => h.ifindex !== 0);
    r.nudge(vtep);
    await until(r, vtep, 'resolved', (h) => h.state === 'resolved');
  }
  // The peer takes a new MAC and says so (gratuitous ARP, unsolicited NA): both entries follow.
  const newMac = '02:13:fe:00:0b:01';
  monitor.arm();
  let t0 = performance.now();
  const both = Promise.all([NET.b0, NET.b0v6].map((v) => until(r, v, `at ${newMac}`, (h) => h.dstMac === newMac, 1_000)));
  await run(B, 'ip', 'link', 'set', 'dev', 'b0', 'address', newMac);
  for (const [i, { hop, at }] of (await both).entries()) {
    assert.equal(hop.state, 'resolved');
    const notified = monitor.first(RTM_NEWNEIGH);
    t.diagnostic(`${hop.address}: peer MAC change -> 'change' in ${ms(at - t0)}${i === 0 && notified ? `; first neighbour notification -> 'change' ${ms(at - notified)}` : ''}`);
    assert.ok(at - t0 < 1_000);
  }
  // By hand on A's side.
  const handMac = '02:13:fe:00:0b:02';
  monitor.arm();
  t0 = performance.now();
  const replaced = until(r, NET.b0, `at ${handMac}`, (h) => h.dstMac === handMac, 1_000);
  await run(A, 'ip', 'neigh', 'replace', NET.b0, 'dev', 'a0', 'lladdr', handMac, 'nud', 'reachable');
  const { at } = await replaced;
  t.diagnostic(`ip neigh replace -> 'change' in ${ms(at - t0)}; notification -> 'change' ${ms(at - (monitor.first(RTM_NEWNEIGH) ?? at))}`);
  await run(B, 'ip', 'link', 'set', 'dev', 'b0', 'address', NET.macB0);
  await run(A, 'ip', 'neigh', 'flush', 'dev', 'a0');
  assert.deepEqual(warnings, []);
});

test('a route change (new gateway) and a deleted route give changes (IPv4, IPv6)', { skip: needsRoot, timeout: 20_000 }, async (t) => {
  const { r, warnings } = await openResolver(t);
  const monitor = new Monitor();
  t.after(() => monitor.close());
  const cases = [
    { vtep: '10.213.252.9', prefix: '10.213.252.0/24', gateways: [NET.b0, NET.b1], family: '-4' },
    { vtep: 'fd00:213:252::9', prefix: 'fd00:213:252::/64', gateways: [NET.b0v6, NET.b1v6], family: '-6' },
  ];
  for (const c of cases) {
    r.watch(c.vtep);
    await until(r, c.vtep, `via ${c.gateways[0]}`, (h) => h.gateway === c.gateways[0]);
    monitor.arm();
    let t0 = performance.now();
    const moved = until(r, c.vtep, `via ${c.gateways[1]}`, (h) => h.gateway === c.gateways[1], 1_000);
    await run(A, 'ip', c.family, 'route', 'replace', c.prefix, 'via', c.gateways[1]!);
    let { hop, at } = await moved;
    assert.equal(hop.ifname, 'a1');
    assert.equal(hop.srcMac, NET.macA1);
    t.diagnostic(`${c.vtep}: route replace -> 'change' in ${ms(at - t0)}; notification -> 'change' ${ms(at - (monitor.first(RTM_NEWROUTE) ?? at))}`);
    r.nudge(c.vtep);
    ({ hop } = await until(r, c.vtep, 'resolved via b1', (h) => h.state === 'resolved'));
    assert.equal(hop.dstMac, NET.macB1);

    monitor.arm();
    t0 = performance.now();
    const gone = until(r, c.vtep, 'unreachable', (h) => h.state === 'unreachable', 1_000);
    await run(A, 'ip', c.family, 'route', 'del', c.prefix);
    ({ hop, at } = await gone);
    assert.deepEqual(hop, { address: c.vtep, state: 'unreachable', ifindex: 0, ifname: '' });
    t.diagnostic(`${c.vtep}: route del -> 'unreachable' in ${ms(at - t0)}; notification -> 'change' ${ms(at - (monitor.first(RTM_DELROUTE) ?? at))}`);
    await run(A, 'ip', c.family, 'route', 'add', c.prefix, 'via', c.gateways[0]!);
  }
  assert.deepEqual(warnings, []);
});

test('multipath: one path, the one `ip route get` shows, the same on every ask', { skip: needsRoot, timeout: 20_000 }, async (t) => {
  const { r, warnings } = await openResolver(t);
  await run(A, 'ip', 'route', 'add', '10.213.253.0/24', 'nexthop', 'via', NET.b0, 'nexthop', 'via', NET.b1);
  t.after(() => run(A, 'ip', 'route', 'del', '10.213.253.0/24'));
  const vteps = ['10.213.253.1', '10.213.253.2', '10.213.253.3', '10.213.253.4', '10.213.253.5', '10.213.253.6'];
  for (const v of vteps) r.watch(v);
  const first = new Map<string, NextHop>();
  for (const v of vteps) first.set(v, (await until(r, v, 'routed', (h) => h.ifindex !== 0)).hop);
  for (const v of vteps) {
    const [kernel] = JSON.parse(await run(A, 'ip', '-j', 'route', 'get', v)) as Array<{ gateway: string; dev: string }>;
    assert.equal(first.get(v)!.gateway, kernel!.gateway, v);
    assert.equal(first.get(v)!.ifname, kernel!.dev, v);
  }
  t.diagnostic(`paths: ${vteps.map((v) => `${v} via ${first.get(v)!.gateway}`).join(', ')}`);
  // Unrelated route changes make it ask again; the answers stay.
  let changes = 0;
  r.on('change', (h) => vteps.includes(h.address) && changes++);
  const asked = r.stats().routeRequests;
  for (let i = 0; i < 5; i++) {
    await run(A, 'ip', 'route', 'add', `10.213.254.${i}/32`, 'via', NET.b1);
    await run(A, 'ip', 'route', 'del', `10.213.254.${i}/32`, 'via', NET.b1);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.ok(r.stats().routeRequests >= asked + 5 * vteps.length, `asked again (${r.stats().routeRequests - asked} requests)`);
  assert.equal(changes, 0);
  for (const v of vteps) assert.deepEqual(r.get(v), first.get(v));
  assert.deepEqual(warnings, []);
});

test('a link MTU change, and a throwing change listener (a warning, nothing thrown out of the callback)', { skip: needsRoot, timeout: 20_000 }, async (t) => {
  const { r, warnings } = await openResolver(t);
  r.watch(NET.b0);
  await until(r, NET.b0, 'routed', (h) => h.ifindex !== 0);
  const seen: NextHop[] = [];
  r.on('change', (h) => seen.push(h));
  r.on('change', () => {
    throw new Error('listener bug');
  });
  await run(A, 'ip', 'link', 'set', 'dev', 'a0', 'mtu', '1400');
  t.after(() => run(A, 'ip', 'link', 'set', 'dev', 'a0', 'mtu', '1500'));
  const { hop } = await until(r, NET.b0, 'mtu 1400', (h) => h.mtu === 1400, 1_000);
  assert.equal(hop.ifname, 'a0');
  assert.equal(seen.at(-1)?.mtu, 1400, 'listeners before the throwing one were called');
  assert.ok(warnings.some((w) => /a 'change' listener threw: listener bug/.test(w)), warnings.join('\n'));
});

test('a receive buffer overflow (ENOBUFS) is a warning and a full re-read, after which the answers are current', { skip: needsRoot, timeout: 30_000 }, async (t) => {
  // Below 128 KiB a dump's own datagrams overflow the buffer: refused.
  await assert.rejects(NextHopResolver.open({ netns: A, rcvbuf: 64 * 1024 }), RangeError);
  // The smallest buffer allowed, and the event loop blocked while 1000 route notifications arrive.
  const { r, warnings } = await openResolver(t, { rcvbuf: 128 * 1024 });
  r.watch(NET.behindGateway);
  await until(r, NET.behindGateway, `via ${NET.b0}`, (h) => h.gateway === NET.b0);
  const dir = mkdtempSync(path.join(tmpdir(), 'vxt-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const batch = path.join(dir, 'routes');
  const lines = Array.from({ length: 1000 }, (_, i) => `route add 10.220.${i >> 8}.${i & 0xff}/32 via ${NET.b0}`);
  // The watched VTEP's route changes among them: only the re-read can tell.
  lines.splice(500, 0, `route replace 10.213.252.0/24 via ${NET.b1}`);
  writeFileSync(batch, lines.join('\n') + '\n');
  const before = r.stats();
  execFileSync('ip', ['-n', A, '-batch', batch], { timeout: 10_000 });
  t.after(async () => {
    await run(A, 'ip', 'route', 'flush', 'root', '10.220.0.0/16');
    await run(A, 'ip', 'route', 'replace', '10.213.252.0/24', 'via', NET.b0);
  });
  const { hop } = await until(r, NET.behindGateway, `via ${NET.b1}`, (h) => h.gateway === NET.b1);
  assert.equal(hop.ifname, 'a1');
  assert.ok(r.stats().overruns > before.overruns, 'the overflow was seen');
  // At most one re-read a second: this one may wait for the one at open to be a second old.
  const after = await waitFor('a re-read', () => r.stats().resyncs > before.resyncs && r.stats(), 3_000);
  assert.ok(warnings.some((w) => /notifications were lost \(.*ENOBUFS/.test(w)), warnings.join('\n'));
  t.diagnostic(`overruns ${after.overruns - before.overruns}, re-reads ${after.resyncs - before.resyncs}, datagrams ${after.datagrams - before.datagrams}`);
});
