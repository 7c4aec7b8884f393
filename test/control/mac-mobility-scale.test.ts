// MAC mobility at scale (issue 10, churn), sans-IO: N MACs move back and
// forth between two remote VTEPs four times, each move as a real VTEP does
// it (RFC 7432 §15.1): the new VTEP announces with the sequence number one
// higher, then the old one withdraws. Through the whole receive path (decode,
// reader, Adj-RIB-In per peer, one Loc-RIB, EVPN manager, FDB). At the end
// every MAC is behind the right VTEP with the last sequence number, no MAC
// is declared duplicate (4 moves < 5), and the FDB was told exactly one
// install per move and nothing else. Linear: the CPU time of 20,000 MACs
// against 5,000 (GoBGP's mobility scanned its table per route: 13,000 routes
// took 6 minutes; quadratic would be a ratio of 16).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { EvpnManager } from '../../src/control/evpn-manager.js';
import { LocRib } from '../../src/control/loc-rib.js';
import type { RouteNlri } from '../../src/control/route.js';
import { packAnnouncements, packWithdrawals } from '../../src/control/update-builder.js';
import { AS4_CONTEXT } from '../../src/wire/bgp-context.js';
import { zeroEsi } from '../../src/wire/esi.js';
import { parseRouteTarget, TunnelType } from '../../src/wire/extended-community.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { parseRd } from '../../src/wire/route-distinguisher.js';
import { Receiver, RecordingFdb, RecordingSink, peer } from './control-helpers.js';

const A = '10.0.0.2';
const B = '10.0.0.3';
const MOVES = 4;

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

function macOf(i: number): string {
  const h = (b: number): string => b.toString(16).padStart(2, '0');
  return `02:b0:00:${h((i >>> 16) & 0xff)}:${h((i >>> 8) & 0xff)}:${h(i & 0xff)}`;
}

function nlris(vtep: string, macs: readonly string[]): RouteNlri[] {
  const rd = parseRd(`${vtep}:100`);
  return macs.map((mac) => ({ family: 'l2vpn-evpn', nlri: { route: { type: 2, rd, esi: zeroEsi(), etag: 0, mac, labels: [100] } } }));
}

function announce(vtep: string, macs: readonly string[], seq: number): Buffer[] {
  const ec: Extract<PathAttribute, { type: 'extended-communities' }>['value'] = [parseRouteTarget('65000:100'), { kind: 'encapsulation', tunnelType: TunnelType.Vxlan }];
  if (seq > 0) ec.push({ kind: 'mac-mobility', sticky: false, sequence: seq });
  const attributes: PathAttribute[] = [
    { type: 'origin', value: 'igp' },
    { type: 'as-path', value: [] },
    { type: 'local-pref', value: 100 },
    { type: 'extended-communities', value: ec },
  ];
  const out: Buffer[] = [];
  packAnnouncements('l2vpn-evpn', vtep, attributes, nlris(vtep, macs), AS4_CONTEXT, out);
  return out;
}

function withdraw(vtep: string, macs: readonly string[]): Buffer[] {
  const out: Buffer[] = [];
  packWithdrawals('l2vpn-evpn', nlris(vtep, macs), AS4_CONTEXT, out);
  return out;
}

/** The messages of the whole scenario: the load from A, then MOVES moves of every MAC, one batch of 100 MACs at a time. */
function scenario(n: number): Array<{ from: string; message: Buffer }> {
  const macs = Array.from({ length: n }, (_, i) => macOf(i));
  const out: Array<{ from: string; message: Buffer }> = [];
  for (const m of announce(A, macs, 0)) out.push({ from: A, message: m });
  for (let move = 1; move <= MOVES; move++) {
    const to = move % 2 === 1 ? B : A;
    const from = to === A ? B : A;
    for (let i = 0; i < n; i += 100) {
      const batch = macs.slice(i, i + 100);
      for (const m of announce(to, batch, move)) out.push({ from: to, message: m });
      for (const m of withdraw(from, batch)) out.push({ from, message: m });
    }
  }
  return out;
}

function run(n: number, messages: ReadonlyArray<{ from: string; message: Buffer }>): { cpuMs: number; fdb: RecordingFdb; manager: EvpnManager } {
  const locRib = new LocRib();
  const fdb = new RecordingFdb();
  const manager = new EvpnManager({ speaker: { asn: 65000, routerId: '10.0.0.1', vtep: '10.0.0.1' }, instances: [{ vni: 100 }], fdb, routes: new RecordingSink() });
  fdb.manager = manager;
  locRib.subscribe((c) => manager.onLocRibChange(c));
  const policy = { localAs: 65000, routerId: '10.0.0.1' };
  const rx = new Map([A, B].map((v) => [v, new Receiver(peer(v), locRib, policy)]));
  collect();
  const c0 = process.cpuUsage();
  for (const { from, message } of messages) rx.get(from)!.receive(message);
  const d = process.cpuUsage(c0);
  assert.equal(fdb.entries.size, n);
  return { cpuMs: (d.user + d.system) / 1000, fdb, manager };
}

test(`MAC mobility at scale: 10,000 MACs moved ${MOVES} times between two VTEPs, sequence numbers and FDB right, one install per move`, () => {
  const n = 10_000;
  const { fdb, manager } = run(n, scenario(n));
  const last = MOVES % 2 === 1 ? B : A;
  for (let i = 0; i < n; i++) {
    const mac = macOf(i);
    assert.deepEqual(fdb.entry(100, mac), { kind: 'remote', vtep: last, seq: MOVES, sticky: false }, mac);
  }
  assert.deepEqual(manager.macState(100, macOf(n - 1)), { where: 'remote', vtep: last, seq: MOVES, sticky: false });
  assert.deepEqual(manager.duplicates(), [], `${MOVES} moves stay under the duplicate threshold`);
  const installs = fdb.calls.filter((c) => c[0] === 'addRemote').length;
  const removals = fdb.calls.filter((c) => c[0] === 'removeRemote').length;
  assert.equal(installs, n * (MOVES + 1), 'one install for the load and one per move');
  assert.equal(removals, 0, 'a withdrawal by the old VTEP after the move changes nothing in the FDB');
  assert.equal(manager.macCount(100), n, 'no state left behind per move');
});

test('MAC mobility at scale: linear in the number of MACs (20,000 against 5,000)', (t) => {
  const small = scenario(5_000);
  const large = scenario(20_000);
  run(5_000, small); // warm-up
  let ratio = Infinity;
  // Both sizes back to back per round, so they meet the same load; the best round counts.
  for (let round = 1; round <= 5 && ratio > 8; round++) {
    const a = run(5_000, small);
    const b = run(20_000, large);
    ratio = Math.min(ratio, b.cpuMs / a.cpuMs);
    t.diagnostic(`round ${round}: 5,000 MACs ${a.cpuMs.toFixed(0)} ms CPU, 20,000 MACs ${b.cpuMs.toFixed(0)} ms CPU (×${(b.cpuMs / a.cpuMs).toFixed(1)}; linear 4, quadratic 16)`);
  }
  assert.ok(ratio <= 8, `20,000 / 5,000 MACs CPU time ×${ratio.toFixed(1)}: not linear`);
});
