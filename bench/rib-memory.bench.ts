// Where a Type 2 route's bytes go: N routes from one remote VTEP, as packed
// UPDATEs, through the receive path without sockets (decode -> reader ->
// Adj-RIB-In -> import policy -> Loc-RIB -> EVPN manager -> FDB), one stage
// added at a time; each row is the heap (and ArrayBuffer) growth per route
// after a full collection, so a row minus the one above is what that stage
// keeps per route.
//
//   node --expose-gc dist/bench/rib-memory.bench.js [--routes N]

import { pathToFileURL } from 'node:url';
import { AS4_CONTEXT } from '../src/wire/bgp-context.js';
import { AdjRibOut } from '../src/control/adj-rib-out.js';
import { AdjRibIn } from '../src/control/adj-rib-in.js';
import { EvpnInstance } from '../src/control/evpn-instance.js';
import { EvpnManager } from '../src/control/evpn-manager.js';
import { applyUpdate } from '../src/control/inbound.js';
import { LocRib } from '../src/control/loc-rib.js';
import type { Route } from '../src/control/route.js';
import { readUpdate } from '../src/control/update-reader.js';
import { Fdb } from '../src/dataplane/fdb.js';
import { FRR_RR, RecordingFdb, RecordingSink, decodeUpdate, fdbPortOver, peer } from '../test/control/control-helpers.js';

const POLICY = { localAs: 65000, routerId: '10.0.0.1' };

function macOf(i: number): string {
  const b = Buffer.alloc(6);
  b[0] = 0x02;
  b.writeUIntBE(i, 1, 5);
  return [...b].map((x) => x.toString(16).padStart(2, '0')).join(':');
}

/** What a remote VTEP (10.0.0.2, FRR-style RD) sends for n MACs, packed as FRR packs them. */
export function remoteAnnouncements(n: number): Buffer[] {
  const inst = new EvpnInstance({ vni: 100, rd: '10.0.0.2:2' }, { asn: 65000, routerId: '10.0.0.2', vtep: '10.0.0.2' }, 1);
  const routes: Route[] = [];
  for (let i = 0; i < n; i++) routes.push(inst.macIp(macOf(i + 1), undefined, { seq: 0, sticky: false }, 0));
  const out = new AdjRibOut({ self: { asn: 65000, routerId: '10.0.0.2' }, peer: peer('10.0.0.1'), ctx: AS4_CONTEXT, families: ['l2vpn-evpn'] });
  return out.initialTable(routes);
}

type Stage = 'decoded' | 'ribs' | 'evpn-manager' | 'fdb';
const STAGES: Stage[] = ['decoded', 'ribs', 'evpn-manager', 'fdb'];

interface Usage {
  heap: number;
  arrayBuffers: number;
}

function usage(gc: () => void): Usage {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heap: m.heapUsed, arrayBuffers: m.arrayBuffers };
}

/**
 * Run the receive path up to `stage`; returns what must stay alive (so it
 * is measured). 'decoded': the reader's routes as read, nothing stored (for
 * comparison); 'ribs': Adj-RIB-In and Loc-RIB (applyUpdate); then the EVPN
 * manager (with an FDB that only counts); then a real FDB.
 */
function load(stage: Stage, n: number, messages: readonly Buffer[]): unknown {
  if (stage === 'decoded') return messages.map((m) => readUpdate(decodeUpdate(m), FRR_RR, 0).announced);
  const adj = new AdjRibIn(FRR_RR);
  const locRib = new LocRib();
  let fdb: unknown = null;
  let manager: EvpnManager | null = null;
  if (stage === 'evpn-manager' || stage === 'fdb') {
    let port;
    if (stage === 'fdb') {
      const real = new Fdb({ maxEntries: Math.max(65536, n), maxEntriesPerVni: Math.max(65536, n) });
      fdb = real;
      port = fdbPortOver(real);
    } else {
      const rec = new RecordingFdb();
      rec.quiet = true;
      port = rec;
    }
    manager = new EvpnManager({ speaker: { asn: 65000, routerId: '10.0.0.1', vtep: '10.0.0.1' }, instances: [{ vni: 100 }], fdb: port, routes: new RecordingSink() });
    const mgr = manager;
    locRib.subscribe((c) => mgr.onLocRibChange(c));
  }
  for (const m of messages) applyUpdate(readUpdate(decodeUpdate(m), FRR_RR, 0), adj, locRib, POLICY);
  if (locRib.size() !== n) throw new Error(`Loc-RIB holds ${locRib.size()} of ${n}`);
  return [adj, locRib, manager, fdb];
}

export interface RibMemoryRow {
  stage: Stage;
  /** Heap bytes per route with everything up to this stage. */
  heapPerRoute: number;
  /** ArrayBuffer bytes per route (the FDB's typed arrays) up to this stage. */
  arrayBuffersPerRoute: number;
}

export function measureRibMemory(n: number, gc: () => void): RibMemoryRow[] {
  const messages = remoteAnnouncements(n);
  const rows: RibMemoryRow[] = [];
  for (const stage of STAGES) {
    const before = usage(gc);
    let held: unknown = load(stage, n, messages);
    const after = usage(gc);
    rows.push({ stage, heapPerRoute: (after.heap - before.heap) / n, arrayBuffersPerRoute: (after.arrayBuffers - before.arrayBuffers) / n });
    held = null;
    void held;
  }
  return rows;
}

/** The breakdown as printed lines. */
export function printRibMemory(n: number, rows: readonly RibMemoryRow[], print: (line: string) => void = console.log): void {
  print(`${n.toLocaleString('en')} Type 2 routes, bytes per route ('decoded': the reader's output alone, for comparison;`);
  print(`then cumulative: the difference to the row above is what that stage keeps)`);
  let prev = 0;
  for (const r of rows) {
    const total = r.heapPerRoute + r.arrayBuffersPerRoute;
    const step = r.stage === 'decoded' ? '' : `  (+${(total - prev).toFixed(0)})`;
    print(`${r.stage.padEnd(14)} heap ${r.heapPerRoute.toFixed(0).padStart(5)}  arraybuffers ${r.arrayBuffersPerRoute.toFixed(0).padStart(4)}  total ${total.toFixed(0).padStart(5)}${step}`);
    if (r.stage !== 'decoded') prev = total;
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with node --expose-gc');
  const i = process.argv.indexOf('--routes');
  const n = i >= 0 ? Number(process.argv[i + 1]) : 100_000;
  printRibMemory(n, measureRibMemory(n, gc));
  console.log(`process rss ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
}
