// FDB micro-benchmark: lookups/s and inserts/s with 1,000,000 entries.
//
// Each timed task handles a batch of 1024 frames' worth of work, the way the
// forwarder calls the table (one receive batch), so tinybench's per-call
// overhead is spread over the batch; rates are per operation.
//
// Run alone: node dist/bench/fdb.bench.js   (after npx tsc -p .)
// bench/index.ts calls benchFdb().

import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { Fdb } from '../src/dataplane/fdb.js';
import { FdbView } from '../src/dataplane/fdb-view.js';
import { formatMac } from '../src/wire/mac-address.js';

/** Same shape as wire.bench.ts's BenchRow (name, opsPerSecond), plus ns/op and sample count. */
export interface FdbBenchRow {
  name: string;
  /** Operations per second (from the median batch latency x batch size). */
  opsPerSecond: number;
  /** Nanoseconds per operation (from the same median). */
  nsPerOp: number;
  samples: number;
}

export interface FdbBenchResult {
  entries: number;
  capacity: number;
  batch: number;
  rows: FdbBenchRow[];
  /** Milliseconds one sweep() call with the default budget takes at 1M entries (nothing expires). */
  sweepCallMs: number;
  /** Slots one default sweep() call examines. */
  sweepSlots: number;
}

const ENTRIES = 1_000_000;
const BATCH = 1024;
const VNIS = 64;

/** xorshift32: deterministic data, no Math.random in the measured loops. */
function rng(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
}

/** n (vni, MAC) keys: MACs packed 6 bytes apart in one buffer, unicast, unique. */
function makeKeys(n: number, seed: number): { macs: Buffer; vnis: Int32Array } {
  const next = rng(seed);
  const macs = Buffer.alloc(n * 6);
  const vnis = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = next();
    const b = next();
    const o = i * 6;
    // Random unicast MAC (I/G bit clear); bytes 3-5 carry i so keys are unique by construction.
    macs[o] = (a >>> 24) & 0xfe;
    macs[o + 1] = (a >>> 16) & 0xff;
    macs[o + 2] = (a >>> 8) & 0xff;
    macs[o + 3] = (i >>> 16) & 0xff;
    macs[o + 4] = (i >>> 8) & 0xff;
    macs[o + 5] = i & 0xff;
    vnis[i] = 1000 + (b % VNIS);
  }
  return { macs, vnis };
}

export async function benchFdb(opts: { time?: number; quiet?: boolean } = {}): Promise<FdbBenchResult> {
  const time = opts.time ?? 1000;
  // The table itself is measured: no per-VNI share, reserve or learning rate in the way of the fill.
  const fdb = new Fdb({ maxEntries: ENTRIES + BATCH, maxEntriesPerVni: ENTRIES + BATCH, controlReserve: 0, learnRate: 0, maxVnis: 256, seed: 0x5eed });
  for (let p = 0; p < 4; p++) fdb.vteps.intern(`10.0.0.${p + 2}`);
  const keys = makeKeys(ENTRIES, 12345);
  // Half local, half remote, as a fabric with many VTEPs looks.
  const t0 = performance.now();
  for (let i = 0; i < ENTRIES; i++) {
    if (i & 1) fdb.learnLocal(keys.vnis[i]!, keys.macs, i * 6, i & 7, 1);
    else fdb.learnRemote(keys.vnis[i]!, keys.macs, i * 6, i & 3, 1);
  }
  const fillMs = performance.now() - t0;
  if (fdb.size !== ENTRIES) throw new Error(`fill: expected ${ENTRIES} entries, have ${fdb.size}`);

  // Random probe order over the loaded keys (cache-hostile, like real traffic over 1M hosts).
  const next = rng(777);
  const ORDER = 1 << 16;
  const order = new Int32Array(ORDER);
  for (let i = 0; i < ORDER; i++) order[i] = next() % ENTRIES;
  // Misses: keys from another seed with a different MAC prefix (I/G clear).
  const misses = makeKeys(ORDER, 999);
  for (let i = 0; i < ORDER; i++) misses.macs[i * 6 + 1] = misses.macs[i * 6 + 1]! ^ 0x55;
  // Fresh keys for the insert task, undone after each iteration (outside the timing).
  const fresh = makeKeys(BATCH * 64, 4242);
  for (let i = 0; i < fresh.vnis.length; i++) fresh.macs[i * 6 + 2] = fresh.macs[i * 6 + 2]! ^ 0xa5;
  const freshText: string[] = [];
  for (let i = 0; i < fresh.vnis.length; i++) freshText.push(formatMac(fresh.macs, i * 6));

  const view = new FdbView(fdb.share());
  let pos = 0;
  let sink = 0;
  let freshBatch = 0;
  const bench = new Bench({ name: 'fdb @ 1M entries', time, warmupTime: Math.min(250, time) });
  bench
    .add('lookup hit', () => {
      let p = pos;
      for (let k = 0; k < BATCH; k++) {
        const i = order[p]!;
        p = (p + 1) & (ORDER - 1);
        sink ^= fdb.lookup(keys.vnis[i]!, keys.macs, i * 6);
      }
      pos = p;
    })
    .add('lookup hit, 4096 active hosts', () => {
      // Real batches come from a working set far smaller than the table.
      let p = pos;
      for (let k = 0; k < BATCH; k++) {
        const i = order[p & 4095]!;
        p = (p + 1) & (ORDER - 1);
        sink ^= fdb.lookup(keys.vnis[i]!, keys.macs, i * 6);
      }
      pos = p;
    })
    // A forwarding worker's lookups (docs/workers.md): the same table through
    // FdbView, in this thread and with no write going on, so what is measured
    // is the seqlock's cost per lookup (two atomic loads, the copy of kind and
    // target); like the row above, only the slot is used.
    .add('worker view: lookup hit, 4096 active hosts', () => {
      let p = pos;
      for (let k = 0; k < BATCH; k++) {
        const i = order[p & 4095]!;
        p = (p + 1) & (ORDER - 1);
        sink ^= view.lookup(keys.vnis[i]!, keys.macs, i * 6);
      }
      pos = p;
    })
    .add('lookup miss', () => {
      let p = pos;
      for (let k = 0; k < BATCH; k++) {
        sink ^= fdb.lookup(misses.vnis[p]!, misses.macs, p * 6);
        p = (p + 1) & (ORDER - 1);
      }
      pos = p;
    })
    .add('learn refresh', () => {
      let p = pos;
      for (let k = 0; k < BATCH; k++) {
        const i = order[p]! | 1; // odd = local entries
        p = (p + 1) & (ORDER - 1);
        sink ^= fdb.learnLocal(keys.vnis[i]!, keys.macs, i * 6, i & 7, 2);
      }
      pos = p;
    })
    .add(
      'learn new (insert)',
      () => {
        const base = freshBatch * BATCH;
        for (let k = 0; k < BATCH; k++) {
          const i = base + k;
          sink ^= fdb.learnLocal(fresh.vnis[i]!, fresh.macs, i * 6, 1, 2);
        }
      },
      {
        afterEach: () => {
          const base = freshBatch * BATCH;
          for (let k = 0; k < BATCH; k++) fdb.remove(fresh.vnis[base + k]!, freshText[base + k]!);
          freshBatch = (freshBatch + 1) & 63;
        },
      },
    );

  await bench.run();
  if (fdb.size !== ENTRIES) throw new Error(`bench changed the table size: ${fdb.size}`);

  const rows: FdbBenchRow[] = [
    { name: 'fill 0 -> 1M (insert)', opsPerSecond: ENTRIES / (fillMs / 1000), nsPerOp: (fillMs * 1e6) / ENTRIES, samples: 1 },
  ];
  for (const task of bench.tasks) {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`task ${task.name}: ${r.state}`);
    const msPerBatch = r.latency.p50;
    rows.push({
      name: task.name,
      opsPerSecond: (BATCH * 1000) / msPerBatch,
      nsPerOp: (msPerBatch * 1e6) / BATCH,
      samples: r.latency.samplesCount,
    });
  }

  // One default-budget sweep call (nothing is old enough to expire: tick 3 < 300).
  let sweepCallMs = Infinity;
  for (let r = 0; r < 20; r++) {
    const s0 = performance.now();
    fdb.sweep(3);
    sweepCallMs = Math.min(sweepCallMs, performance.now() - s0);
  }
  if (sink === 0.5) console.log(sink); // keep results observable

  const result: FdbBenchResult = {
    entries: fdb.size,
    capacity: fdb.capacity,
    batch: BATCH,
    rows,
    sweepCallMs,
    sweepSlots: fdb.sweepSlots,
  };
  if (!opts.quiet) printFdbBench(result);
  return result;
}

export function printFdbBench(r: FdbBenchResult): void {
  console.log(`FDB with ${r.entries} entries (${r.capacity} slots), batches of ${r.batch}`);
  console.table(
    r.rows.map((x) => ({
      task: x.name,
      'ops/s': Math.round(x.opsPerSecond).toLocaleString('en-US'),
      'ns/op': x.nsPerOp.toFixed(1),
      samples: x.samples,
    })),
  );
  console.log(`sweep(): ${r.sweepSlots} slots per call in ${r.sweepCallMs.toFixed(3)} ms`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await benchFdb();
}
