// A reader thread for test/dataplane/vtep-shared.test.ts: looks addresses up
// through VtepView while the main thread interns and reclaims others, until
// the shared stop flag is set, then reports what it saw.

import { parentPort, workerData } from 'node:worker_threads';
import { VtepView } from '../../src/dataplane/vtep-view.js';
import type { VtepShare } from '../../src/dataplane/vtep-table.js';

export interface VtepReaderData {
  share: VtepShare;
  /** Addresses that stay, with their index. */
  stable: Array<{ address: number[]; index: number }>;
  /** Addresses interned and reclaimed all the time. */
  churn: number[][];
  /** Int32 flag: 1 = stop. */
  stop: SharedArrayBuffer;
}

export interface VtepReaderResult {
  violations: string[];
  lookups: number;
  retries: number;
  gaveUp: number;
  churnFound: number;
}

const d = workerData as VtepReaderData;
const view = new VtepView(d.share);
const stop = new Int32Array(d.stop);
const stable = d.stable.map((s) => ({ bytes: Uint8Array.from(s.address), index: s.index }));
const churn = d.churn.map((a) => Uint8Array.from(a));
const out = new Uint8Array(16);
const violations: string[] = [];
let lookups = 0;
let churnFound = 0;
parentPort!.postMessage('ready');
while (Atomics.load(stop, 0) === 0) {
  for (const s of stable) {
    const g = view.gaveUp;
    const i = view.findBytes(s.bytes, 0, s.bytes.length);
    lookups++;
    if (i !== s.index && !(i === -1 && view.gaveUp > g) && violations.length < 20) violations.push(`stable ${s.bytes.join('.')}: index ${i}, expected ${s.index}`);
  }
  for (const c of churn) {
    const round = view.round;
    const i = view.findBytes(c, 0, c.length);
    lookups++;
    if (i < 0) continue;
    churnFound++;
    // Found: until two reclaim rounds later (unlinked at one, held for one) the index names this address, never another.
    const n = view.writeAddress(i, out, 0);
    if (view.round - round >= 2) continue;
    if (n !== 0 && Buffer.compare(out.subarray(0, n), c) !== 0 && violations.length < 20) violations.push(`churn ${c.join('.')}: index ${i} names ${out.subarray(0, n).join('.')}`);
  }
}
parentPort!.postMessage({ violations, lookups, retries: view.retries, gaveUp: view.gaveUp, churnFound } satisfies VtepReaderResult);
