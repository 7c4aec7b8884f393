import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  Fdb,
  FDB_LOCAL,
  FDB_REMOTE,
  LEARN_IGNORED,
  LEARN_MOVED,
  LEARN_NEW,
  LEARN_REFRESHED,
  LEARN_REFUSED_LIMIT,
  LEARN_REFUSED_PINNED,
  LEARN_REFUSED_RATE,
  type FdbLimitReport,
  type FdbListener,
  type FdbOptions,
} from '../../src/dataplane/fdb.js';
import { formatMac, parseMac } from '../../src/wire/mac-address.js';
import { runs } from '../helpers/property.js';

/** A listener that records every event as one readable line. */
function recorder(): { events: string[]; limits: FdbLimitReport[]; listener: FdbListener } {
  const events: string[] = [];
  const limits: FdbLimitReport[] = [];
  const where = (l: { kind: 'local'; port: number } | { kind: 'remote'; vtep: string }) =>
    l.kind === 'local' ? `port ${l.port}` : `vtep ${l.vtep}`;
  return {
    events,
    limits,
    listener: {
      onLearned: (vni, mac, w, ip) => events.push(`learned ${vni} ${mac} ${where(w)}${ip ? ` ip ${ip}` : ''}`),
      onMoved: (vni, mac, from, to, seq) => events.push(`moved ${vni} ${mac} ${where(from)} -> ${where(to)} seq ${seq}`),
      onAged: (vni, mac, was, reason) => events.push(`${reason} ${vni} ${mac} ${where(was)}`),
      onLimit: (r) => limits.push(r),
    },
  };
}

function fdbWith(opts: FdbOptions = {}) {
  const rec = recorder();
  const fdb = new Fdb({ seed: 1, ...opts, listener: rec.listener });
  return { fdb, ...rec };
}

/** MACs (unicast, distinct) that all hash to the same home slot of `fdb` in `vni`. */
function collidingMacs(fdb: Fdb, vni: number, n: number): string[] {
  const byHome = new Map<number, string[]>();
  const b = Buffer.alloc(6);
  for (let i = 0; ; i++) {
    b.writeUInt32BE(0x02000000 + i, 0); // 02:00:.. locally administered unicast
    b.writeUInt16BE(i & 0xffff, 4);
    const home = fdb.homeSlot(vni, b, 0);
    const list = byHome.get(home) ?? [];
    list.push(formatMac(b));
    byHome.set(home, list);
    if (list.length === n) return list;
  }
}

test('FDB: sized from the global limit at load factor <= 0.5, power of two', () => {
  assert.equal(new Fdb({ maxEntries: 4 }).capacity, 8);
  assert.equal(new Fdb({ maxEntries: 1000 }).capacity, 2048);
  assert.equal(new Fdb({ maxEntries: 1 << 20 }).capacity, 1 << 21);
  assert.throws(() => new Fdb({ maxEntries: 0 }), RangeError);
});

test('FDB: insert, lookup and delete with forced collisions in a tiny table', () => {
  const { fdb } = fdbWith({ maxEntries: 4, maxEntriesPerVni: 4 }); // 8 slots
  const macs = collidingMacs(fdb, 10, 4);
  const home = fdb.homeSlot(10, parseMac(macs[0]!), 0);
  macs.forEach((m, i) => assert.equal(fdb.learnLocalMac(10, m, i, 1), LEARN_NEW));
  // All four share one home: they sit in consecutive slots from it.
  const slots = macs.map((m) => fdb.lookupMac(10, m));
  assert.deepEqual(slots, [0, 1, 2, 3].map((k) => (home + k) & 7));
  macs.forEach((m, i) => assert.equal(fdb.targetAt(fdb.lookupMac(10, m)), i));
  // Delete the head of the cluster: the others shift back and stay findable.
  assert.equal(fdb.remove(10, macs[0]!), true);
  assert.equal(fdb.lookupMac(10, macs[0]!), -1);
  assert.deepEqual(
    macs.slice(1).map((m) => fdb.lookupMac(10, m)),
    [0, 1, 2].map((k) => (home + k) & 7),
  );
  // Delete from the middle, then the tail.
  assert.equal(fdb.remove(10, macs[2]!), true);
  assert.equal(fdb.targetAt(fdb.lookupMac(10, macs[3]!)), 3);
  assert.equal(fdb.remove(10, macs[3]!), true);
  assert.equal(fdb.targetAt(fdb.lookupMac(10, macs[1]!)), 1);
  assert.equal(fdb.size, 1);
  assert.equal(fdb.remove(10, macs[3]!), false);
});

test('FDB: a cluster that wraps past the last slot survives deletes', () => {
  const { fdb } = fdbWith({ maxEntries: 4 });
  // Find 4 MACs whose home is the last slot (7): the cluster wraps to 0, 1, 2.
  const b = Buffer.alloc(6);
  const macs: string[] = [];
  for (let i = 0; macs.length < 4; i++) {
    b.writeUInt32BE(0x02000000 + i, 0);
    if (fdb.homeSlot(20, b, 0) === 7) macs.push(formatMac(b));
  }
  for (const m of macs) fdb.addStaticLocal(20, m, 1);
  assert.deepEqual(
    macs.map((m) => fdb.lookupMac(20, m)),
    [7, 0, 1, 2],
  );
  fdb.removeStatic(20, macs[0]!);
  assert.deepEqual(
    macs.slice(1).map((m) => fdb.lookupMac(20, m)),
    [7, 0, 1],
  );
  fdb.removeStatic(20, macs[2]!);
  assert.deepEqual([fdb.lookupMac(20, macs[1]!), fdb.lookupMac(20, macs[3]!)], [7, 0]);
});

test('FDB: backward-shift deletion stays correct over many random inserts and deletes', () => {
  const { fdb } = fdbWith({ maxEntries: 256 }); // 512 slots
  let x = 99;
  const rnd = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x >>> 8);
  const live = new Map<string, number>();
  const keys: [number, string][] = [];
  for (let i = 0; i < 600; i++) keys.push([1 + (i % 3), formatMac(Buffer.from([2, 0, 0, i >> 8, i & 0xff, 7]))]);
  for (let step = 0; step < 20000; step++) {
    const [vni, mac] = keys[rnd() % keys.length]!;
    const k = `${vni} ${mac}`;
    if (rnd() % 2 === 0 && live.size < 256) {
      const port = rnd() % 50;
      fdb.addStaticLocal(vni, mac, port);
      live.set(k, port);
    } else {
      assert.equal(fdb.removeStatic(vni, mac), live.delete(k));
    }
    if (step % 1000 === 0 || step === 19999) {
      assert.equal(fdb.size, live.size);
      for (const [vni2, mac2] of keys) {
        const slot = fdb.lookupMac(vni2, mac2);
        const want = live.get(`${vni2} ${mac2}`);
        assert.equal(slot < 0 ? undefined : fdb.targetAt(slot), want, `${vni2} ${mac2} at step ${step}`);
      }
    }
  }
  for (const k of [...live.keys()]) {
    const [vni, mac] = k.split(' ');
    assert.equal(fdb.removeStatic(Number(vni), mac!), true);
  }
  // No tombstones: an emptied table has no occupied slot left.
  assert.equal(fdb.size, 0);
  assert.deepEqual([...fdb.entries()], []);
});

test('FDB: same MAC in two VNIs is two entries', () => {
  const { fdb } = fdbWith();
  const mac = '02:00:00:00:00:01';
  assert.equal(fdb.learnLocalMac(10, mac, 1, 0), LEARN_NEW);
  assert.equal(fdb.learnLocalMac(20, mac, 2, 0), LEARN_NEW);
  assert.equal(fdb.targetAt(fdb.lookupMac(10, mac)), 1);
  assert.equal(fdb.targetAt(fdb.lookupMac(20, mac)), 2);
  assert.equal(fdb.lookupMac(30, mac), -1);
  assert.equal(fdb.count(10), 1);
  assert.equal(fdb.count(20), 1);
  fdb.remove(10, mac);
  assert.equal(fdb.lookupMac(10, mac), -1);
  assert.equal(fdb.targetAt(fdb.lookupMac(20, mac)), 2);
  // VNI 0 and the largest VNI are ordinary keys too.
  assert.equal(fdb.learnLocalMac(0, mac, 3, 0), LEARN_NEW);
  assert.equal(fdb.learnLocalMac(0xffffff, mac, 4, 0), LEARN_NEW);
  assert.equal(fdb.targetAt(fdb.lookupMac(0xffffff, mac)), 4);
  assert.equal(fdb.targetAt(fdb.lookupMac(0, mac)), 3);
});

test('FDB: lookup reads the MAC from a frame at an offset', () => {
  const { fdb } = fdbWith();
  fdb.learnLocalMac(7, '02:11:22:33:44:55', 3, 0);
  // An Ethernet frame in a receive slot with 14 bytes of headroom: dst MAC at 14.
  const slot = Buffer.alloc(64);
  parseMac('02:11:22:33:44:55').copy(slot, 14);
  const s = fdb.lookup(7, slot, 14);
  assert.ok(s >= 0);
  assert.equal(fdb.kindAt(s), FDB_LOCAL);
  assert.equal(fdb.targetAt(s), 3);
  assert.equal(fdb.lookup(7, slot, 15), -1);
});

test('FDB: group (I/G) source MACs are never learned', () => {
  const { fdb, events } = fdbWith();
  for (const mac of ['ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', '33:33:00:00:00:01', '03:00:00:00:00:00']) {
    assert.equal(fdb.learnLocalMac(1, mac, 1, 0), LEARN_IGNORED);
    assert.equal(fdb.learnRemoteMac(1, mac, '10.0.0.2', 0), LEARN_IGNORED);
  }
  assert.equal(fdb.size, 0);
  assert.equal(fdb.counters().ignoredGroup, 8);
  assert.deepEqual(events, []);
  // A peer advertising a group MAC (goplane did) is ignored, not obeyed.
  assert.equal(fdb.addRemote(1, '01:00:5e:00:00:01', '10.0.0.2'), 'ignored-group');
  assert.equal(fdb.addStaticRemote(1, '33:33:00:00:00:01', '10.0.0.2'), 'ignored-group');
  assert.equal(fdb.size, 0);
});

test('FDB: learnLocal reports new, refresh (silently) and port moves', () => {
  const { fdb, events } = fdbWith();
  const mac = '02:00:00:00:00:0a';
  const ip = Buffer.from([192, 0, 2, 10]);
  assert.equal(fdb.learnLocal(5, parseMac(mac), 0, 1, 100, ip, 0, 4), LEARN_NEW);
  assert.equal(fdb.learnLocalMac(5, mac, 1, 105), LEARN_REFRESHED);
  assert.equal(fdb.get(5, mac)!.lastSeen, 105);
  assert.equal(fdb.learnLocalMac(5, mac, 2, 106), LEARN_MOVED);
  assert.equal(fdb.get(5, mac)!.port, 2);
  assert.deepEqual(events, [
    `learned 5 ${mac} port 1 ip 192.0.2.10`,
    `moved 5 ${mac} port 1 -> port 2 seq 0`,
  ]);
  const c = fdb.counters();
  assert.equal(c.learned, 1);
  assert.equal(c.moved, 1);
  assert.equal(c.localLearned, 1);
});

test('FDB: IPv6 from ND snooping is reported in RFC 5952 form', () => {
  const { fdb, events } = fdbWith();
  const ip6 = Buffer.from('20010db8000000000000000000000001', 'hex');
  fdb.learnLocal(5, parseMac('02:00:00:00:00:0b'), 0, 1, 0, ip6, 0, 16);
  assert.deepEqual(events, ['learned 5 02:00:00:00:00:0b port 1 ip 2001:db8::1']);
});

test('FDB: moves between local and remote emit events; RFC 7432 §15 sequence + 1 on a local learn', () => {
  const { fdb, events } = fdbWith();
  const mac = '02:00:00:00:00:01';
  assert.equal(fdb.addRemote(10, mac, '10.0.0.2', { seq: 4 }), 'added');
  assert.deepEqual(events, [], 'control-plane adds are not echoed back');
  let s = fdb.lookupMac(10, mac);
  assert.equal(fdb.kindAt(s), FDB_REMOTE);
  assert.equal(fdb.vteps.address(fdb.targetAt(s)), '10.0.0.2');
  // The host shows up on a local port: remote -> local, seq 4 + 1.
  assert.equal(fdb.learnLocalMac(10, mac, 3, 50), LEARN_MOVED);
  s = fdb.lookupMac(10, mac);
  assert.equal(fdb.kindAt(s), FDB_LOCAL);
  assert.equal(fdb.seqAt(s), 5);
  assert.equal(fdb.get(10, mac)!.origin, 'learned');
  // It moves back (a higher sequence from another VTEP): local -> remote.
  assert.equal(fdb.addRemote(10, mac, '10.0.0.3', { seq: 6 }), 'moved');
  assert.equal(fdb.get(10, mac)!.vtep, '10.0.0.3');
  assert.equal(fdb.get(10, mac)!.seq, 6);
  assert.deepEqual(events, [
    `moved 10 ${mac} vtep 10.0.0.2 -> port 3 seq 5`,
    `moved 10 ${mac} port 3 -> vtep 10.0.0.3 seq 6`,
  ]);
  // Control plane updating a control entry: no event.
  assert.equal(fdb.addRemote(10, mac, '10.0.0.4', { seq: 7 }), 'updated');
  assert.equal(fdb.addRemote(10, mac, '10.0.0.4', { seq: 7 }), 'unchanged');
  assert.equal(events.length, 2);
});

test('FDB: data-plane remote learning (static/multicast modes)', () => {
  const { fdb, events } = fdbWith();
  const mac = '02:00:00:00:00:02';
  const v2 = fdb.vteps.intern('10.0.0.2');
  const v3 = fdb.vteps.intern('10.0.0.3');
  const m = parseMac(mac);
  assert.equal(fdb.learnRemote(10, m, 0, v2, 1), LEARN_NEW);
  assert.equal(fdb.learnRemote(10, m, 0, v2, 2), LEARN_REFRESHED);
  assert.equal(fdb.learnRemote(10, m, 0, v3, 3), LEARN_MOVED);
  assert.equal(fdb.targetAt(fdb.lookup(10, m, 0)), v3);
  // remote -> local by a local learn, local -> remote by a remote learn.
  assert.equal(fdb.learnLocal(10, m, 0, 1, 4), LEARN_MOVED);
  assert.equal(fdb.learnRemote(10, m, 0, v2, 5), LEARN_MOVED);
  assert.deepEqual(events, [
    `learned 10 ${mac} vtep 10.0.0.2`,
    `moved 10 ${mac} vtep 10.0.0.2 -> vtep 10.0.0.3 seq 0`,
    `moved 10 ${mac} vtep 10.0.0.3 -> port 1 seq 1`,
    `moved 10 ${mac} port 1 -> vtep 10.0.0.2 seq 1`,
  ]);
  // The control plane overrides a data-plane remote entry, silently.
  assert.equal(fdb.addRemote(10, mac, '10.0.0.9', { seq: 2 }), 'updated');
  assert.equal(fdb.get(10, mac)!.origin, 'control');
  // ...and data-plane learning cannot move a control-plane remote entry.
  assert.equal(fdb.learnRemote(10, m, 0, v2, 6), LEARN_REFUSED_PINNED);
  assert.equal(fdb.get(10, mac)!.vtep, '10.0.0.9');
  assert.equal(fdb.counters().refusedPinned, 1);
});

test('FDB: static entries and sticky MACs do not move by learning', () => {
  const { fdb, events } = fdbWith();
  fdb.addStaticLocal(1, '02:00:00:00:00:01', 4);
  assert.equal(fdb.learnLocalMac(1, '02:00:00:00:00:01', 5, 0), LEARN_REFUSED_PINNED);
  assert.equal(fdb.learnLocalMac(1, '02:00:00:00:00:01', 4, 0), LEARN_REFRESHED);
  assert.equal(fdb.learnRemoteMac(1, '02:00:00:00:00:01', '10.0.0.2', 0), LEARN_REFUSED_PINNED);
  assert.equal(fdb.addRemote(1, '02:00:00:00:00:01', '10.0.0.2'), 'refused-static');
  fdb.addStaticRemote(1, '02:00:00:00:00:02', '10.0.0.7');
  assert.equal(fdb.learnLocalMac(1, '02:00:00:00:00:02', 1, 0), LEARN_REFUSED_PINNED);
  // RFC 7432 §15.2: a sticky remote MAC is not taken over by a local sighting.
  fdb.addRemote(1, '02:00:00:00:00:03', '10.0.0.2', { sticky: true });
  assert.equal(fdb.learnLocalMac(1, '02:00:00:00:00:03', 1, 0), LEARN_REFUSED_PINNED);
  assert.equal(fdb.get(1, '02:00:00:00:00:03')!.sticky, true);
  // Non-sticky control remote: a local sighting wins.
  fdb.addRemote(1, '02:00:00:00:00:04', '10.0.0.2');
  assert.equal(fdb.learnLocalMac(1, '02:00:00:00:00:04', 1, 0), LEARN_MOVED);
  assert.equal(events.length, 1);
  assert.equal(fdb.counters().refusedPinned, 4);
  // Static replaces a learned entry; removeRemote does not touch static or learned ones.
  fdb.learnLocalMac(1, '02:00:00:00:00:05', 1, 0);
  assert.equal(fdb.removeRemote(1, '02:00:00:00:00:05'), false);
  assert.equal(fdb.addStaticRemote(1, '02:00:00:00:00:05', '10.0.0.8'), 'moved');
  assert.equal(fdb.removeRemote(1, '02:00:00:00:00:02'), false);
  assert.equal(fdb.removeStatic(1, '02:00:00:00:00:02'), true);
  assert.equal(fdb.removeStatic(1, '02:00:00:00:00:03'), false);
});

test('FDB: removeRemote with a VTEP ignores a stale withdrawal', () => {
  const { fdb } = fdbWith();
  const mac = '02:00:00:00:00:01';
  fdb.addRemote(10, mac, '10.0.0.2', { seq: 1 });
  fdb.addRemote(10, mac, '10.0.0.3', { seq: 2 }); // the host moved
  assert.equal(fdb.removeRemote(10, mac, '10.0.0.2'), false, 'withdrawal from the old VTEP');
  assert.equal(fdb.removeRemote(10, mac, '192.0.2.99'), false, 'unknown VTEP');
  assert.equal(fdb.get(10, mac)!.vtep, '10.0.0.3');
  assert.equal(fdb.removeRemote(10, mac, '10.0.0.3'), true);
  assert.equal(fdb.removeRemote(10, mac), false);
  fdb.addRemote(10, mac, '10.0.0.3');
  assert.equal(fdb.removeRemote(10, mac), true);
  assert.equal(fdb.size, 0);
});

test('FDB: VTEP indexes are referenced by entries and recycled after the sweep', () => {
  const { fdb } = fdbWith();
  fdb.addRemote(1, '02:00:00:00:00:01', '10.0.0.2');
  fdb.addRemote(1, '02:00:00:00:00:02', '10.0.0.2');
  const v = fdb.vteps.find('10.0.0.2');
  assert.equal(fdb.vteps.refs(v), 2);
  fdb.addRemote(1, '02:00:00:00:00:02', '10.0.0.3');
  assert.equal(fdb.vteps.refs(v), 1);
  fdb.removeRemote(1, '02:00:00:00:00:01');
  assert.equal(fdb.vteps.refs(v), 0);
  // Still resolvable until the owner's between-batches sweep.
  assert.equal(fdb.vteps.address(v), '10.0.0.2');
  fdb.sweep(0);
  assert.equal(fdb.vteps.find('10.0.0.2'), -1);
  assert.equal(fdb.vteps.size, 1);
  // The flood list keeps its VTEPs alive too.
  fdb.setFloodList(1, ['10.0.0.5']);
  fdb.sweep(0);
  assert.deepEqual(fdb.floodLists.addresses(1), ['10.0.0.5']);
});

test('FDB: aging removes only data-plane-learned entries, after agingTicks', () => {
  const { fdb, events } = fdbWith({ agingTicks: 300 });
  fdb.learnLocalMac(1, '02:00:00:00:00:01', 1, 0);
  fdb.learnRemoteMac(1, '02:00:00:00:00:02', '10.0.0.2', 0);
  fdb.addRemote(1, '02:00:00:00:00:03', '10.0.0.2');
  fdb.addStaticLocal(1, '02:00:00:00:00:04', 2);
  fdb.addStaticRemote(1, '02:00:00:00:00:05', '10.0.0.3');
  fdb.learnLocalMac(1, '02:00:00:00:00:06', 1, 0);
  const full = fdb.capacity * 2;
  assert.equal(fdb.sweep(299, full), 0);
  fdb.learnLocalMac(1, '02:00:00:00:00:06', 1, 250); // refreshed: lives on
  assert.equal(fdb.sweep(300, full), 2);
  assert.deepEqual(events.filter((e) => e.startsWith('aged')).sort(), [
    'aged 1 02:00:00:00:00:01 port 1',
    'aged 1 02:00:00:00:00:02 vtep 10.0.0.2',
  ]);
  assert.equal(fdb.size, 4);
  assert.equal(fdb.sweep(549, full), 0);
  assert.equal(fdb.sweep(550, full), 1);
  assert.equal(fdb.sweep(100000, full), 0, 'control-plane and static entries never age');
  assert.equal(fdb.size, 3);
  assert.equal(fdb.counters().aged, 3);
  // agingTicks 0 disables aging.
  const never = new Fdb({ agingTicks: 0 });
  never.learnLocalMac(1, '02:00:00:00:00:01', 1, 0);
  assert.equal(never.sweep(1e9, never.capacity), 0);
  assert.equal(never.size, 1);
});

test('FDB: the sweep is incremental: a bounded number of slots per call', () => {
  // The whole table in one VNI from one port, at once: no shares or learning rate (their own tests are below).
  const { fdb, events } = fdbWith({ maxEntries: 4096, maxEntriesPerVni: 4096, controlReserve: 0, learnRate: 0, agingTicks: 10, sweepSlots: 100 });
  const cap = fdb.capacity; // 8192
  for (let i = 0; i < 4096; i++) fdb.learnLocal(1, Buffer.from([2, 0, 0, 0, i >> 8, i & 0xff]), 0, 1, 0);
  // Each call looks at 100 slots: it ages at most 100 entries.
  let calls = 0;
  let total = 0;
  let maxPerCall = 0;
  while (fdb.size > 0) {
    const n = fdb.sweep(10);
    maxPerCall = Math.max(maxPerCall, n);
    total += n;
    calls++;
    assert.ok(calls < 1000, 'sweep makes progress');
  }
  assert.equal(total, 4096);
  assert.ok(maxPerCall <= 100, `at most the budget per call (got ${maxPerCall})`);
  // Every slot is examined once per round, plus one re-examination per removal.
  assert.ok(calls <= Math.ceil((cap + 4096) / 100) + 1, `${calls} calls`);
  assert.equal(events.filter((e) => e.startsWith('aged ')).length, 4096);
  // The default budget covers the table in about agingTicks/4 calls.
  const d = new Fdb({ maxEntries: 1 << 20 });
  assert.equal(d.sweepSlots, Math.ceil(d.capacity / 75));
});

test('FDB: one default sweep call over 1M learned entries does bounded work; repeated calls age them all', (t) => {
  // Bounded in work, not in milliseconds (a timed assertion fails on a slow
  // or shared machine; `npm run bench` prints the time of one call).
  const fdb = new Fdb({ maxEntries: 1 << 20, seed: 3 });
  const b = Buffer.alloc(6);
  b[0] = 2;
  for (let i = 0; i < 1_000_000; i++) {
    b.writeUInt32BE(i, 2);
    fdb.learnLocal(1 + (i & 15), b, 0, 1, 0);
  }
  // A default call looks at a small share of the table, so one call's work is bounded.
  assert.ok(fdb.sweepSlots <= (1 << 21) / 64, `sweepSlots ${fdb.sweepSlots}`);
  // Everything expires at once: the worst case for one call.
  let worst = 0;
  let calls = 0;
  const t0 = performance.now();
  while (fdb.size > 0 && calls < 10_000) {
    const aged = fdb.sweep(1000);
    assert.ok(aged <= fdb.sweepSlots, `one call aged ${aged}, more than the ${fdb.sweepSlots} slots it may look at`);
    worst = Math.max(worst, aged);
    calls++;
  }
  t.diagnostic(`${calls} calls aged 1M entries, at most ${worst} per call, ${((performance.now() - t0) / calls).toFixed(2)} ms per call on average`);
  assert.equal(fdb.size, 0, 'every entry aged');
  assert.ok(calls > 1, 'spread over several calls');
});

test('FDB: per-VNI limit refuses learning, counts it, reports once per interval', () => {
  const { fdb, limits } = fdbWith({ maxEntriesPerVni: 3, limitReportTicks: 10 });
  const mac = (i: number) => `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`;
  for (let i = 0; i < 3; i++) assert.equal(fdb.learnLocalMac(100, mac(i), 1, 0), LEARN_NEW);
  for (let i = 3; i < 50; i++) assert.equal(fdb.learnLocalMac(100, mac(i), 1, 0), LEARN_REFUSED_LIMIT);
  assert.equal(fdb.counters().refusedVniLimit, 47);
  assert.equal(limits.length, 1, 'one report for a burst of refusals');
  assert.deepEqual(limits[0], { scope: 'vni', vni: 100, limit: 3, refused: 1, total: 1 });
  // A known MAC still refreshes and moves at the limit.
  assert.equal(fdb.learnLocalMac(100, mac(0), 1, 5), LEARN_REFRESHED);
  assert.equal(fdb.learnLocalMac(100, mac(0), 2, 5), LEARN_MOVED);
  // Other VNIs are not affected.
  assert.equal(fdb.learnLocalMac(200, mac(9), 1, 5), LEARN_NEW);
  // Next interval: one more report carrying the refusals in between.
  assert.equal(fdb.learnLocalMac(100, mac(60), 1, 9), LEARN_REFUSED_LIMIT);
  assert.equal(limits.length, 1);
  assert.equal(fdb.learnLocalMac(100, mac(61), 1, 10), LEARN_REFUSED_LIMIT);
  assert.equal(limits.length, 2);
  assert.deepEqual(limits[1], { scope: 'vni', vni: 100, limit: 3, refused: 48, total: 49 });
  // Control-plane routes are not subject to the per-VNI learning limit.
  assert.equal(fdb.addRemote(100, mac(70), '10.0.0.2'), 'added');
  assert.equal(fdb.count(100), 4);
  // A per-VNI override.
  fdb.setVniLimit(100, 10);
  assert.equal(fdb.vniLimitOf(100), 10);
  assert.equal(fdb.learnLocalMac(100, mac(80), 1, 11), LEARN_NEW);
  fdb.setVniLimit(100, undefined);
  assert.equal(fdb.vniLimitOf(100), 3);
  fdb.setVniLimit(300, 0);
  assert.equal(fdb.learnLocalMac(300, mac(1), 1, 30), LEARN_REFUSED_LIMIT);
  assert.deepEqual(
    fdb.vniCounts().map((v) => [v.vni, v.entries, v.limit]),
    [
      [100, 5, 3],
      [200, 1, 3],
      [300, 0, 0],
    ],
  );
});

test('FDB: global limit refuses every kind of insert, counts it, reports once per interval', () => {
  const { fdb, limits } = fdbWith({ maxEntries: 4, maxEntriesPerVni: 4, limitReportTicks: 10 });
  const mac = (i: number) => `02:00:00:00:02:${i.toString(16).padStart(2, '0')}`;
  fdb.learnLocalMac(1, mac(0), 1, 0);
  fdb.learnRemoteMac(2, mac(1), '10.0.0.2', 0);
  fdb.addRemote(3, mac(2), '10.0.0.2');
  fdb.addStaticLocal(4, mac(3), 1);
  assert.equal(fdb.learnLocalMac(1, mac(4), 1, 0), LEARN_REFUSED_LIMIT);
  assert.equal(fdb.learnRemoteMac(1, mac(5), '10.0.0.2', 0), LEARN_REFUSED_LIMIT);
  assert.equal(fdb.addRemote(1, mac(6), '10.0.0.2'), 'refused-limit');
  assert.equal(fdb.addStaticRemote(1, mac(7), '10.0.0.2'), 'refused-limit');
  assert.equal(fdb.size, 4);
  assert.equal(fdb.counters().refusedGlobalLimit, 4);
  assert.deepEqual(limits, [{ scope: 'global', vni: 1, limit: 4, refused: 1, total: 1 }]);
  // Updating what exists is fine at the limit; freeing room allows a new one.
  assert.equal(fdb.addRemote(3, mac(2), '10.0.0.3'), 'updated');
  fdb.remove(4, mac(3));
  assert.equal(fdb.learnLocalMac(1, mac(4), 1, 20), LEARN_NEW);
  assert.equal(fdb.learnLocalMac(1, mac(8), 1, 20), LEARN_REFUSED_LIMIT);
  assert.deepEqual(limits[1], { scope: 'global', vni: 1, limit: 4, refused: 4, total: 5 });
});

test('FDB: counters by kind and per VNI', () => {
  const { fdb } = fdbWith();
  fdb.learnLocalMac(1, '02:00:00:00:00:01', 1, 0);
  fdb.learnLocalMac(1, '02:00:00:00:00:02', 1, 0);
  fdb.learnRemoteMac(2, '02:00:00:00:00:03', '10.0.0.2', 0);
  fdb.addRemote(2, '02:00:00:00:00:04', '10.0.0.2');
  fdb.addStaticLocal(3, '02:00:00:00:00:05', 1);
  fdb.addStaticRemote(3, '02:00:00:00:00:06', '10.0.0.3');
  const c = fdb.counters();
  assert.deepEqual(
    [c.entries, c.localLearned, c.remoteLearned, c.remoteControl, c.localStatic, c.remoteStatic],
    [6, 2, 1, 1, 1, 1],
  );
  assert.deepEqual([fdb.count(1), fdb.count(2), fdb.count(3), fdb.count(4)], [2, 2, 2, 0]);
  fdb.learnLocalMac(2, '02:00:00:00:00:04', 1, 0); // control remote -> local learned
  const c2 = fdb.counters();
  assert.deepEqual([c2.localLearned, c2.remoteControl], [3, 0]);
});

test('FDB: flush removes learned entries (of one VNI) and reports them', () => {
  const { fdb, events } = fdbWith({ maxEntries: 64, maxEntriesPerVni: 64 });
  for (let i = 0; i < 40; i++) fdb.learnLocalMac(1 + (i % 2), formatMac(Buffer.from([2, 0, 0, 0, 0, i])), 1, 0);
  fdb.addRemote(1, '02:00:00:00:01:00', '10.0.0.2');
  assert.equal(fdb.flush(1), 20);
  assert.equal(fdb.count(1), 1);
  assert.equal(fdb.count(2), 20);
  assert.equal(events.filter((e) => e.startsWith('flushed 1 ')).length, 20);
  assert.equal(fdb.flush(), 20);
  assert.equal(fdb.size, 1);
});

test('FDB: snapshot for the CLI is sorted and complete', () => {
  const { fdb } = fdbWith();
  fdb.learnLocalMac(20, '02:00:00:00:00:02', 3, 10);
  fdb.addRemote(10, '02:00:00:00:00:09', '10.0.0.2', { seq: 3, sticky: true });
  fdb.learnLocalMac(10, '02:00:00:00:00:01', 1, 12);
  assert.deepEqual(fdb.snapshot(), [
    { vni: 10, mac: '02:00:00:00:00:01', kind: 'local', origin: 'learned', sticky: false, port: 1, seq: 0, lastSeen: 12, age: 0 },
    {
      vni: 10,
      mac: '02:00:00:00:00:09',
      kind: 'remote',
      origin: 'control',
      sticky: true,
      vtep: '10.0.0.2',
      vtepIndex: fdb.vteps.find('10.0.0.2'),
      seq: 3,
      lastSeen: 10,
      age: 2,
    },
    { vni: 20, mac: '02:00:00:00:00:02', kind: 'local', origin: 'learned', sticky: false, port: 3, seq: 0, lastSeen: 10, age: 2 },
  ]);
  assert.equal(fdb.snapshot(20).length, 1);
  assert.equal([...fdb.entries()].length, 3);
});

test('FDB: listeners may call back into the table', () => {
  const fdb = new Fdb({ seed: 5, agingTicks: 1 });
  const seen: string[] = [];
  fdb.listener = {
    onAged: (vni, mac) => {
      seen.push(mac);
      // e.g. the control plane reacting synchronously
      fdb.addRemote(vni, mac, '10.0.0.9');
    },
  };
  for (let i = 0; i < 50; i++) fdb.learnLocalMac(1, formatMac(Buffer.from([2, 0, 0, 0, 1, i])), 1, 0);
  fdb.sweep(5, fdb.capacity * 2);
  assert.equal(seen.length, 50);
  assert.equal(fdb.counters().remoteControl, 50);
  assert.equal(fdb.size, 50);
});

test('FDB: 1,000,000 lookups and learn refreshes do not grow the heap', async () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const fdb = new Fdb({ maxEntries: 1 << 16, seed: 9 });
  const v = fdb.vteps.intern('10.0.0.2');
  const N = 4096;
  // A batch of frames in one buffer, 64 bytes apart: destination MAC at 0, source at 6.
  const frames = Buffer.alloc(N * 64);
  for (let i = 0; i < N; i++) {
    frames.writeUInt32BE(0x02000000 | i, i * 64 + 6);
    frames.writeUInt16BE(i, i * 64 + 10);
    frames.writeUInt32BE(0x02100000 | i, i * 64);
    frames.writeUInt16BE(i, i * 64 + 4);
    fdb.learnLocal(1, frames, i * 64 + 6, i & 7, 0);
    if (i % 2 === 0) fdb.learnRemote(1, frames, i * 64, v, 0);
  }
  frames[5 * 64 + 6] = 0x01; // one group source MAC in the batch: ignored, not allocated for
  let acc = 0;
  const run = (iterations: number, tick: number) => {
    for (let k = 0; k < iterations; k++) {
      const o = (k & (N - 1)) * 64;
      acc ^= fdb.lookup(1, frames, o);
      acc ^= fdb.learnLocal(1, frames, o + 6, (o >> 6) & 7, tick);
      if ((k & 1) === 0) acc ^= fdb.learnRemote(1, frames, o, v, tick);
      if ((k & 1023) === 0) acc ^= fdb.sweep(tick, 64);
    }
  };
  const gcs: PerformanceEntry[] = [];
  const obs = new PerformanceObserver((list) => gcs.push(...list.getEntries()));
  obs.observe({ entryTypes: ['gc'] });
  // Warm up with several calls, so V8 has optimised `run` itself (not only
  // on-stack replacement of its loop) before the measured call.
  for (let w = 0; w < 10; w++) run(50_000, 1);
  gc();
  gc();
  // Let concurrent sweeping and compile jobs settle before the baseline.
  await new Promise((r) => setTimeout(r, 50));
  const space = () => new Map(getHeapSpaceStatistics().map((x) => [x.space_name, x.space_used_size]));
  const s0 = space();
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  run(1_000_000, 2);
  const t1 = performance.now();
  const after = process.memoryUsage().heapUsed;
  const s1 = space();
  await new Promise((r) => setTimeout(r, 20)); // gc entries are delivered asynchronously
  obs.disconnect();
  assert.ok(acc !== 0.5);
  assert.equal(fdb.counters().entries, N + N / 2);
  const grown = after - before;
  // Code space grows when V8 re-optimises; data must not grow at all.
  const dataGrown = grown - ((s1.get('code_space') ?? 0) - (s0.get('code_space') ?? 0));
  assert.ok(grown < 128 * 1024, `heapUsed grew by ${grown} bytes over 1M lookups + learns`);
  assert.ok(dataGrown < 32 * 1024, `heap data (without code) grew by ${dataGrown} bytes`);
  const during = gcs.filter((e) => e.startTime >= t0 && e.startTime <= t1);
  assert.equal(during.length, 0, 'no garbage collection ran during the loop');
});

// ---------------------------------------------------------------------------
// Model-based property test: random operation sequences against a Map model.
// ---------------------------------------------------------------------------

type Op =
  | { op: 'learnLocal'; vni: number; mac: number; port: number; dt: number }
  | { op: 'learnRemote'; vni: number; mac: number; vtep: number; dt: number }
  | { op: 'addRemote'; vni: number; mac: number; vtep: number; seq: number; sticky: boolean }
  | { op: 'removeRemote'; vni: number; mac: number; vtep: number | undefined }
  | { op: 'addStaticLocal'; vni: number; mac: number; port: number }
  | { op: 'addStaticRemote'; vni: number; mac: number; vtep: number }
  | { op: 'removeStatic'; vni: number; mac: number }
  | { op: 'remove'; vni: number; mac: number }
  | { op: 'sweepAll'; dt: number }
  | { op: 'sweepSome'; dt: number; slots: number }
  | { op: 'flush'; vni: number | undefined };

interface ModelEntry {
  kind: 'local' | 'remote';
  origin: 'learned' | 'control' | 'static';
  sticky: boolean;
  target: number | string;
  seen: number;
  seq: number;
}

const MODEL_VNIS = [1, 2, 0xffffff];
// Nine unicast MACs and one group MAC (index 9).
const MODEL_MACS = [
  '02:00:00:00:00:01',
  '02:00:00:00:00:02',
  '02:00:00:00:00:03',
  '52:54:00:12:34:56',
  '00:1b:21:00:00:01',
  '00:1b:21:00:00:02',
  'fe:ff:ff:ff:ff:ff',
  '00:00:00:00:00:00',
  'aa:bb:cc:dd:ee:ff',
  '01:00:5e:00:00:fb',
];
const MODEL_VTEPS = ['10.0.0.2', '10.0.0.3', '2001:db8::4'];
const MAX_ENTRIES = 6; // 16 slots: collisions and wrap-around all the time
const PER_VNI = 4;
const AGING = 5;

const opArb: fc.Arbitrary<Op> = (() => {
  const vni = fc.constantFrom(...MODEL_VNIS);
  const mac = fc.integer({ min: 0, max: MODEL_MACS.length - 1 });
  const vtep = fc.integer({ min: 0, max: MODEL_VTEPS.length - 1 });
  const port = fc.integer({ min: 0, max: 2 });
  const dt = fc.integer({ min: 0, max: 3 });
  return fc.oneof(
    { weight: 4, arbitrary: fc.record({ op: fc.constant('learnLocal' as const), vni, mac, port, dt }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('learnRemote' as const), vni, mac, vtep, dt }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('addRemote' as const),
        vni,
        mac,
        vtep,
        seq: fc.integer({ min: 0, max: 3 }),
        sticky: fc.boolean(),
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('removeRemote' as const), vni, mac, vtep: fc.option(vtep, { nil: undefined }) }) },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('addStaticLocal' as const), vni, mac, port }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ op: fc.constant('addStaticRemote' as const), vni, mac, vtep }),
    },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('removeStatic' as const), vni, mac }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('remove' as const), vni, mac }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('sweepAll' as const), dt }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('sweepSome' as const), dt, slots: fc.integer({ min: 1, max: 8 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('flush' as const), vni: fc.option(vni, { nil: undefined }) }) },
  );
})();

/** The reference: a Map keyed "vni mac" implementing the documented rules directly. */
class Model {
  readonly m = new Map<string, ModelEntry>();
  now = 0;
  refusedLimit = 0;
  events: string[] = [];

  private count(vni: number): number {
    let n = 0;
    for (const k of this.m.keys()) if (Number(k.split(' ')[0]) === vni) n++;
    return n;
  }
  private where(kind: 'local' | 'remote', target: number | string): string {
    return kind === 'local' ? `port ${target}` : `vtep ${target}`;
  }

  learn(vni: number, mac: string, kind: 'local' | 'remote', target: number | string, tick: number): number {
    this.now = tick;
    if (parseInt(mac.slice(0, 2), 16) & 1) return LEARN_IGNORED;
    const k = `${vni} ${mac}`;
    const e = this.m.get(k);
    if (e) {
      if (e.kind === kind && e.target === target) {
        e.seen = tick;
        return LEARN_REFRESHED;
      }
      // Static and sticky entries never move by learning; a control-plane
      // remote entry yields to a local sighting (the host moved here) but not
      // to data-plane remote learning.
      const pinned =
        e.sticky || e.origin === 'static' || (e.origin === 'control' && !(kind === 'local' && e.kind === 'remote'));
      if (pinned) return LEARN_REFUSED_PINNED;
      const from = this.where(e.kind, e.target);
      // RFC 7432 §15: remote -> local takes the sequence number + 1.
      if (kind === 'local' && e.kind === 'remote') e.seq = (e.seq + 1) >>> 0;
      e.origin = 'learned';
      e.kind = kind;
      e.target = target;
      e.seen = tick;
      this.events.push(`moved ${vni} ${mac} ${from} -> ${this.where(kind, target)} seq ${e.seq}`);
      return LEARN_MOVED;
    }
    if (this.m.size >= MAX_ENTRIES || this.count(vni) >= PER_VNI) {
      this.refusedLimit++;
      return LEARN_REFUSED_LIMIT;
    }
    this.m.set(k, { kind, origin: 'learned', sticky: false, target, seen: tick, seq: 0 });
    this.events.push(`learned ${vni} ${mac} ${this.where(kind, target)}`);
    return LEARN_NEW;
  }

  install(vni: number, mac: string, e: Omit<ModelEntry, 'seen'>): string {
    if (parseInt(mac.slice(0, 2), 16) & 1) return 'ignored-group';
    const k = `${vni} ${mac}`;
    const old = this.m.get(k);
    if (old) {
      if (old.origin === 'static' && e.origin !== 'static') return 'refused-static';
      if (old.kind === e.kind && old.origin === e.origin && old.sticky === e.sticky && old.target === e.target && old.seq === e.seq) {
        return 'unchanged';
      }
      const from = this.where(old.kind, old.target);
      this.m.set(k, { ...e, seen: this.now });
      if (old.kind !== e.kind) {
        this.events.push(`moved ${vni} ${mac} ${from} -> ${this.where(e.kind, e.target)} seq ${e.seq}`);
        return 'moved';
      }
      return 'updated';
    }
    if (this.m.size >= MAX_ENTRIES) {
      this.refusedLimit++;
      return 'refused-limit';
    }
    this.m.set(k, { ...e, seen: this.now });
    return 'added';
  }

  drop(k: string, reason: string): void {
    const e = this.m.get(k)!;
    this.m.delete(k);
    if (e.origin === 'learned') this.events.push(`${reason} ${k} ${this.where(e.kind, e.target)}`);
  }

  expired(k: string): boolean {
    const e = this.m.get(k);
    return e !== undefined && e.origin === 'learned' && this.now - e.seen >= AGING;
  }
}

function apply(fdb: Fdb, model: Model, o: Op): void {
  const mac = 'mac' in o ? MODEL_MACS[o.mac]! : '';
  switch (o.op) {
    case 'learnLocal': {
      const tick = model.now + o.dt;
      assert.equal(fdb.learnLocalMac(o.vni, mac, o.port, tick), model.learn(o.vni, mac, 'local', o.port, tick));
      return;
    }
    case 'learnRemote': {
      const tick = model.now + o.dt;
      const v = MODEL_VTEPS[o.vtep]!;
      assert.equal(fdb.learnRemoteMac(o.vni, mac, v, tick), model.learn(o.vni, mac, 'remote', v, tick));
      return;
    }
    case 'addRemote': {
      const v = MODEL_VTEPS[o.vtep]!;
      const want = model.install(o.vni, mac, { kind: 'remote', origin: 'control', sticky: o.sticky, target: v, seq: o.seq });
      assert.equal(fdb.addRemote(o.vni, mac, v, { seq: o.seq, sticky: o.sticky }), want);
      return;
    }
    case 'removeRemote': {
      const v = o.vtep === undefined ? undefined : MODEL_VTEPS[o.vtep]!;
      const k = `${o.vni} ${mac}`;
      const e = model.m.get(k);
      const want = e !== undefined && e.origin === 'control' && (v === undefined || e.target === v);
      if (want) model.m.delete(k);
      assert.equal(fdb.removeRemote(o.vni, mac, v), want);
      return;
    }
    case 'addStaticLocal': {
      const want = model.install(o.vni, mac, { kind: 'local', origin: 'static', sticky: false, target: o.port, seq: 0 });
      assert.equal(fdb.addStaticLocal(o.vni, mac, o.port), want);
      return;
    }
    case 'addStaticRemote': {
      const v = MODEL_VTEPS[o.vtep]!;
      const want = model.install(o.vni, mac, { kind: 'remote', origin: 'static', sticky: false, target: v, seq: 0 });
      assert.equal(fdb.addStaticRemote(o.vni, mac, v), want);
      return;
    }
    case 'removeStatic': {
      const k = `${o.vni} ${mac}`;
      const want = model.m.get(k)?.origin === 'static';
      if (want) model.m.delete(k);
      assert.equal(fdb.removeStatic(o.vni, mac), want);
      return;
    }
    case 'remove': {
      const k = `${o.vni} ${mac}`;
      const want = model.m.has(k);
      if (want) model.drop(k, 'removed');
      assert.equal(fdb.remove(o.vni, mac), want);
      return;
    }
    case 'sweepAll': {
      model.now += o.dt;
      const expired = [...model.m.keys()].filter((k) => model.expired(k));
      for (const k of expired) model.drop(k, 'aged');
      // Two full rounds of slots is always enough (one round + one revisit per removal).
      assert.equal(fdb.sweep(model.now, fdb.capacity * 2), expired.length);
      return;
    }
    case 'sweepSome': {
      // A partial sweep may age any subset of the expired entries, nothing else.
      model.now += o.dt;
      const before = fdb.counters().aged;
      const mark = events.length;
      const n = fdb.sweep(model.now, o.slots);
      assert.equal(fdb.counters().aged - before, n);
      for (const e of events.slice(mark)) {
        const [, vni, m] = e.split(' ');
        const k = `${vni} ${m}`;
        assert.ok(model.expired(k), `aged ${k} which had not expired`);
        model.drop(k, 'aged');
      }
      return;
    }
    case 'flush': {
      const ks = [...model.m.keys()].filter(
        (k) => model.m.get(k)!.origin === 'learned' && (o.vni === undefined || Number(k.split(' ')[0]) === o.vni),
      );
      for (const k of ks) model.drop(k, 'flushed');
      assert.equal(fdb.flush(o.vni), ks.length);
      return;
    }
  }
}

// Events of the table under test (the property below resets it per run).
let events: string[] = [];

function compare(fdb: Fdb, model: Model): void {
  const got = fdb.snapshot().map((e) => ({
    k: `${e.vni} ${e.mac}`,
    kind: e.kind,
    origin: e.origin,
    sticky: e.sticky,
    target: e.kind === 'local' ? e.port : e.vtep,
    seen: e.lastSeen,
    seq: e.seq,
  }));
  const want = [...model.m]
    .map(([k, e]) => ({ k, kind: e.kind, origin: e.origin, sticky: e.sticky, target: e.target, seen: e.seen, seq: e.seq }))
    .sort((a, b) => {
      const [va, ma] = a.k.split(' ');
      const [vb, mb] = b.k.split(' ');
      return Number(va) - Number(vb) || (ma! < mb! ? -1 : ma! > mb! ? 1 : 0);
    });
  assert.deepEqual(got, want);
  // Every entry is found by the fast-path lookup, every absent key is not.
  for (const vni of MODEL_VNIS) {
    for (const mac of MODEL_MACS) assert.equal(fdb.lookupMac(vni, mac) >= 0, model.m.has(`${vni} ${mac}`));
    assert.equal(fdb.count(vni), [...model.m.keys()].filter((k) => Number(k.split(' ')[0]) === vni).length);
  }
  const c = fdb.counters();
  const byKind = (kind: string, origin: string) =>
    [...model.m.values()].filter((e) => e.kind === kind && e.origin === origin).length;
  assert.deepEqual(
    [c.entries, c.localLearned, c.localStatic, c.remoteLearned, c.remoteControl, c.remoteStatic],
    [model.m.size, byKind('local', 'learned'), byKind('local', 'static'), byKind('remote', 'learned'), byKind('remote', 'control'), byKind('remote', 'static')],
  );
  assert.equal(c.refusedGlobalLimit + c.refusedVniLimit, model.refusedLimit);
  // VTEP references: exactly the remote entries hold them.
  for (const v of MODEL_VTEPS) {
    const idx = fdb.vteps.find(v);
    const holders = [...model.m.values()].filter((e) => e.kind === 'remote' && e.target === v).length;
    assert.equal(idx < 0 ? 0 : fdb.vteps.refs(idx), holders, `refs of ${v}`);
  }
}

test('FDB property: random operation sequences agree with a Map model', () => {
  fc.assert(
    fc.property(fc.integer(), fc.array(opArb, { minLength: 1, maxLength: 60 }), (seed, ops) => {
      events = [];
      const fdb = new Fdb({
        seed,
        maxEntries: MAX_ENTRIES,
        maxEntriesPerVni: PER_VNI,
        agingTicks: AGING,
        listener: {
          onLearned: (vni, mac, w) => events.push(`learned ${vni} ${mac} ${w.kind === 'local' ? `port ${w.port}` : `vtep ${w.vtep}`}`),
          onMoved: (vni, mac, f, t, seq) =>
            events.push(
              `moved ${vni} ${mac} ${f.kind === 'local' ? `port ${f.port}` : `vtep ${f.vtep}`} -> ${t.kind === 'local' ? `port ${t.port}` : `vtep ${t.vtep}`} seq ${seq}`,
            ),
          onAged: (vni, mac, w, reason) => events.push(`${reason} ${vni} ${mac} ${w.kind === 'local' ? `port ${w.port}` : `vtep ${w.vtep}`}`),
        },
      });
      const model = new Model();
      for (const o of ops) {
        const mark = events.length;
        model.events = [];
        apply(fdb, model, o);
        if (o.op !== 'sweepSome') {
          // Same events; a sweep or flush may report in slot order.
          assert.deepEqual(events.slice(mark).sort(), [...model.events].sort(), `events of ${JSON.stringify(o)}`);
        }
        compare(fdb, model);
      }
    }),
    runs(0.01),
  );
});

// ------------------------------------------------------------ issue 9 item 2: one tenant cannot fill the table

/** A distinct unicast MAC per i (locally administered). */
function nthMac(i: number): string {
  const b = Buffer.alloc(6);
  b[0] = 0x02;
  b.writeUIntBE(i, 1, 5);
  return formatMac(b);
}

test('FDB shares (issue 9 item 2): 70,000 source MACs in VNI 10 take only its default share; VNI 20 still learns and installs EVPN routes', () => {
  // The reproduction: default table (65,536), one VNI floods new source MACs
  // from many ports (so no port's learning rate stands in the way).
  const { fdb, limits } = fdbWith();
  for (let i = 0; i < 70_000; i++) fdb.learnLocalMac(10, nthMac(i), i % 128, Math.floor(i / 10_000));
  const share = fdb.count(10);
  assert.ok(share <= 65_536 / 4, `VNI 10 holds ${share} entries, more than a quarter of the table`);
  assert.ok(fdb.size < 65_536, 'the table is not full');
  assert.equal(fdb.learnLocalMac(20, nthMac(1_000_000), 1, 7), LEARN_NEW, 'VNI 20 still learns');
  assert.equal(fdb.addRemote(20, nthMac(1_000_001), '10.0.0.2'), 'added', 'VNI 20 still installs EVPN routes');
  assert.equal(fdb.lookupMac(20, nthMac(1_000_001)) >= 0, true);
  // Said in counters and once per interval in a report.
  const c = fdb.counters();
  assert.equal(c.refusedVniLimit, 70_000 - share);
  assert.equal(fdb.vniCounts().find((v) => v.vni === 10)?.learnRefused, 70_000 - share);
  assert.equal(limits.filter((l) => l.scope === 'vni').length, 1, 'one report within the interval');
});

test('FDB control reserve: learning in many VNIs stops at maxEntries - controlReserve; EVPN and static installs still fit', () => {
  const { fdb, limits } = fdbWith({ maxEntries: 64, learnRate: 0 }); // default reserve 8, default share 16
  assert.equal(fdb.learnRoom, 56);
  let learned = 0;
  for (let v = 0; v < 5; v++) for (let i = 0; i < 16; i++) if (fdb.learnLocalMac(100 + v, nthMac(v * 100 + i), 1, 0) === LEARN_NEW) learned++;
  assert.equal(learned, 56);
  assert.equal(fdb.counters().refusedControlReserve, 80 - 56);
  assert.deepEqual(limits.map((l) => [l.scope, l.limit]), [['learned', 56]]);
  // The reserved room takes control-plane and static entries, in any VNI.
  for (let i = 0; i < 7; i++) assert.equal(fdb.addRemote(200, nthMac(5000 + i), '10.0.0.2'), 'added');
  assert.equal(fdb.addStaticRemote(201, nthMac(6000), '10.0.0.3'), 'added');
  assert.equal(fdb.size, 64);
  assert.equal(fdb.addRemote(200, nthMac(7000), '10.0.0.2'), 'refused-limit', 'the global limit still holds');
  // Removing learned entries gives learning its room back.
  fdb.flush(100);
  assert.equal(fdb.learnLocalMac(104, nthMac(9000), 1, 1), LEARN_NEW);
  assert.throws(() => new Fdb({ maxEntries: 8, controlReserve: 8 }), RangeError);
});

test('FDB learning rate: a port learns a burst, then learnRate new MACs per tick; refreshes, moves and other ports are not limited', () => {
  const { fdb, limits } = fdbWith({ learnRate: 5, learnBurst: 20, limitReportTicks: 10 });
  const results = (port: number, from: number, n: number, tick: number): number[] => {
    const out: number[] = [];
    for (let i = from; i < from + n; i++) out.push(fdb.learnLocalMac(1, nthMac(i), port, tick));
    return out;
  };
  const count = (r: number[], want: number): number => r.filter((x) => x === want).length;
  const first = results(3, 0, 30, 0);
  assert.equal(count(first, LEARN_NEW), 20, 'the burst');
  assert.equal(count(first, LEARN_REFUSED_RATE), 10);
  // Another port has its own bucket.
  assert.equal(count(results(4, 100, 20, 0), LEARN_NEW), 20);
  // Known MACs refresh and move with an empty bucket.
  assert.equal(fdb.learnLocalMac(1, nthMac(0), 3, 0), LEARN_REFRESHED);
  assert.equal(fdb.learnLocalMac(1, nthMac(100), 3, 0), LEARN_MOVED);
  // Refill: learnRate per tick, capped at learnBurst.
  assert.equal(count(results(3, 200, 10, 1), LEARN_NEW), 5);
  assert.equal(count(results(3, 300, 30, 3), LEARN_NEW), 10);
  assert.equal(count(results(3, 400, 30, 100), LEARN_NEW), 20);
  // Counted per port, per VNI, per reason; reported once per interval with the port.
  assert.equal(fdb.learnRefusedOn(3), 10 + 5 + 20 + 10);
  assert.equal(fdb.learnRefusedOn(4), 0);
  assert.equal(fdb.counters().refusedLearnRate, 45);
  assert.equal(fdb.learnRefusedIn(1), 45);
  assert.deepEqual(
    limits.map((l) => [l.scope, l.port, l.limit, l.refused]),
    [
      ['learn-rate', 3, 5, 1],
      ['learn-rate', 3, 5, 35],
    ],
  );
  // 0 turns the rate limit off; port indexes far beyond the first ones grow the per-port arrays once.
  const free = new Fdb({ learnRate: 0 });
  for (let i = 0; i < 5000; i++) assert.equal(free.learnLocalMac(1, nthMac(i), 0, 0), LEARN_NEW);
  assert.equal(fdb.learnLocalMac(2, nthMac(9999), 5000, 0), LEARN_NEW);
});

test('FDB: a remote VTEP of the other family is refused, never installed (an IPv6 VTEP on an IPv4 underlay kept only its low 32 bits)', () => {
  const v4 = new Fdb({ underlayFamily: 4 });
  assert.equal(v4.addRemote(1, nthMac(1), '2001:db8::c000:201'), 'refused-family');
  assert.equal(v4.addStaticRemote(1, nthMac(2), '2001:db8::c000:201'), 'refused-family');
  assert.equal(v4.size, 0);
  assert.equal(v4.counters().refusedFamily, 2);
  assert.equal(v4.addRemote(1, nthMac(1), '192.0.2.1'), 'added');
  const v6 = new Fdb({ underlayFamily: 6 });
  assert.equal(v6.addRemote(1, nthMac(1), '192.0.2.1'), 'refused-family');
  assert.equal(v6.addRemote(1, nthMac(1), '2001:db8::c000:201'), 'added');
  const e = v6.get(1, nthMac(1))!;
  assert.equal(e.vtep, '2001:db8::c000:201');
  const words = new Uint32Array(4);
  v6.vteps.writeWords(e.vtepIndex!, words, 0, 4);
  assert.deepEqual([...words], [0x20010db8, 0, 0, 0xc0000201], 'all 128 bits reach the forwarder');
  v4.sweep(1);
  assert.equal(v4.vteps.find('2001:db8::c000:201'), -1, 'the refused address does not stay in the VTEP table');
});
