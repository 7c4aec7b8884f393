// Scale: N Type 2 routes from a remote VTEP, as packed UPDATEs, through the
// whole receive path (decode -> reader -> Adj-RIB-In -> import policy ->
// Loc-RIB -> EVPN manager -> FDB), then all withdrawn. Linear scaling is
// asserted (100k vs 10k time ratio), absolute times are only reported.
// Times are this process's CPU time (process.cpuUsage), so other work on a
// shared machine does not skew the ratio; wall times are reported beside.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { AS4_CONTEXT } from '../../src/wire/bgp-context.js';
import { AdjRibOut } from '../../src/control/adj-rib-out.js';
import { EvpnInstance } from '../../src/control/evpn-instance.js';
import { EvpnManager } from '../../src/control/evpn-manager.js';
import { LocRib } from '../../src/control/loc-rib.js';
import type { Route } from '../../src/control/route.js';
import { FRR_RR, Receiver, RecordingFdb, RecordingSink, peer } from './control-helpers.js';

function macOf(i: number): string {
  const b = Buffer.alloc(6);
  b[0] = 0x02;
  b.writeUIntBE(i, 1, 5);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** What a remote VTEP (10.0.0.2, FRR-style RD) sends for n MACs, and then for their withdrawal. */
function remoteMessages(n: number): { announce: Buffer[]; withdraw: Buffer[] } {
  const inst = new EvpnInstance({ vni: 100, rd: '10.0.0.2:2' }, { asn: 65000, routerId: '10.0.0.2', vtep: '10.0.0.2' }, 1);
  const routes: Route[] = [];
  for (let i = 0; i < n; i++) routes.push(inst.macIp(macOf(i + 1), undefined, { seq: 0, sticky: false }, 0));
  const out = new AdjRibOut({ self: { asn: 65000, routerId: '10.0.0.2' }, peer: peer('10.0.0.1'), ctx: AS4_CONTEXT, families: ['l2vpn-evpn'] });
  const announce = out.initialTable(routes);
  for (const r of routes) out.withdraw(r.family, r.key);
  return { announce, withdraw: out.flush() };
}

// A full collection before each measured phase, so one phase does not pay
// for the garbage of the one before (node --test gives no --expose-gc).
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

interface Times {
  importMs: number;
  withdrawMs: number;
  importWallMs: number;
  withdrawWallMs: number;
}

/** CPU milliseconds of this process since `since` (user + system). */
function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

function measure(n: number, { announce, withdraw }: { announce: Buffer[]; withdraw: Buffer[] }): Times {
  const locRib = new LocRib();
  const fdb = new RecordingFdb();
  fdb.quiet = true;
  const manager = new EvpnManager({ speaker: { asn: 65000, routerId: '10.0.0.1', vtep: '10.0.0.1' }, instances: [{ vni: 100 }], fdb, routes: new RecordingSink() });
  fdb.manager = manager;
  locRib.subscribe((c) => manager.onLocRibChange(c));
  const rx = new Receiver(FRR_RR, locRib, { localAs: 65000, routerId: '10.0.0.1' });
  collect();
  let t0 = performance.now();
  let c0 = process.cpuUsage();
  for (const m of announce) rx.receive(m);
  const importMs = cpuMs(c0);
  const importWallMs = performance.now() - t0;
  assert.equal(fdb.remoteCount, n, 'every MAC in the FDB');
  assert.equal(locRib.size('l2vpn-evpn'), n);
  assert.deepEqual(manager.macState(100, macOf(n)), { where: 'remote', vtep: '10.0.0.2', seq: 0, sticky: false });
  collect();
  t0 = performance.now();
  c0 = process.cpuUsage();
  for (const m of withdraw) rx.receive(m);
  const withdrawMs = cpuMs(c0);
  const withdrawWallMs = performance.now() - t0;
  assert.equal(fdb.remoteCount, 0, 'every MAC gone');
  assert.equal(locRib.size(), 0);
  assert.equal(rx.adjRibIn.size(), 0);
  assert.equal(manager.macCount(), 0);
  return { importMs, withdrawMs, importWallMs, withdrawWallMs };
}

const show = (t: Times): string =>
  `import ${t.importMs.toFixed(0)} ms CPU (${t.importWallMs.toFixed(0)} ms wall), withdraw ${t.withdrawMs.toFixed(0)} ms CPU (${t.withdrawWallMs.toFixed(0)} ms wall)`;

test('scale: 100,000 Type 2 routes imported into the FDB and withdrawn, linear in N', (t) => {
  // Each round measures 10k then 100k back to back, so both meet the same
  // load on a shared machine. Linear is a ratio of about 10 (a little more:
  // 100k routes outgrow the CPU caches and the young generation); GoBGP's
  // quadratic MAC mobility would be about 100, which no round could hide.
  // The first round within the bound ends the test; five rounds at most.
  const small = remoteMessages(10_000);
  const large = remoteMessages(100_000);
  measure(10_000, small); // warm-up
  let importRatio = Infinity;
  let withdrawRatio = Infinity;
  for (let round = 1; round <= 5 && (importRatio > 15 || withdrawRatio > 15); round++) {
    const a = measure(10_000, small);
    const b = measure(100_000, large);
    importRatio = Math.min(importRatio, b.importMs / a.importMs);
    withdrawRatio = Math.min(withdrawRatio, b.withdrawMs / a.withdrawMs);
    t.diagnostic(`round ${round}: 10,000: ${show(a)}`);
    t.diagnostic(`round ${round}: 100,000: ${show(b)}`);
    t.diagnostic(`round ${round}: 100k / 10k CPU time: import ${(b.importMs / a.importMs).toFixed(1)}, withdraw ${(b.withdrawMs / a.withdrawMs).toFixed(1)}`);
  }
  assert.ok(importRatio <= 15, `import ratio ${importRatio.toFixed(1)}`);
  assert.ok(withdrawRatio <= 15, `withdraw ratio ${withdrawRatio.toFixed(1)}`);
});
