// The shared FDB (fdb.ts writer, fdb-view.ts readers) against a Map model,
// with readers in real worker threads looking keys up while the writer
// learns, moves, installs remote entries, removes and ages them.
// Property: at any instant a reader sees, for every key, a state the model
// held at some point of the current phase (never a torn or misplaced entry),
// and once the writer is idle every reader sees exactly the model.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { Fdb, FDB_LOCAL, FDB_REMOTE } from '../../src/dataplane/fdb.js';
import type { ReaderCommand, ReaderKey, ReaderReply, ReaderState } from '../helpers/fdb-reader-worker.js';

const READERS = 2;
const AGING = 3;
const VTEPS = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];

interface ModelEntry {
  kind: typeof FDB_LOCAL | typeof FDB_REMOTE;
  /** Port, or VTEP number (index into VTEPS). */
  target: number;
  origin: 'learned' | 'control';
  seen: number;
}

type Op =
  | { op: 'learnLocal'; key: number; port: number }
  | { op: 'learnRemote'; key: number; vtep: number }
  | { op: 'addRemote'; key: number; vtep: number }
  | { op: 'removeRemote'; key: number }
  | { op: 'remove'; key: number }
  | { op: 'tick' };

/** The FDB's rules for these operations, written plainly over a Map (fdb.ts header, RFC 7432 §15 for moves). */
class Model {
  readonly map = new Map<number, ModelEntry>();
  now = 0;

  apply(o: Op): void {
    if (o.op === 'tick') {
      this.now++;
      for (const [k, e] of this.map) if (e.origin === 'learned' && this.now - e.seen >= AGING) this.map.delete(k);
      return;
    }
    const e = this.map.get(o.key);
    switch (o.op) {
      case 'learnLocal':
        // Learning moves a learned entry or a (non-sticky) control-plane remote entry here.
        this.map.set(o.key, { kind: FDB_LOCAL, target: o.port, origin: 'learned', seen: this.now });
        return;
      case 'learnRemote':
        if (e !== undefined && e.kind === FDB_REMOTE && e.target === o.vtep) e.seen = this.now;
        else if (e === undefined || e.origin === 'learned') this.map.set(o.key, { kind: FDB_REMOTE, target: o.vtep, origin: 'learned', seen: this.now });
        return;
      case 'addRemote':
        this.map.set(o.key, { kind: FDB_REMOTE, target: o.vtep, origin: 'control', seen: this.now });
        return;
      case 'removeRemote':
        if (e?.origin === 'control') this.map.delete(o.key);
        return;
      case 'remove':
        this.map.delete(o.key);
    }
  }

  state(key: number, vtepIndex: number[]): ReaderState {
    const e = this.map.get(key);
    if (e === undefined) return -1;
    return (e.kind << 24) | (e.kind === FDB_REMOTE ? vtepIndex[e.target]! : e.target);
  }
}

function applyToFdb(fdb: Fdb, o: Op, keys: ReaderKey[], macs: Uint8Array[], vtepIndex: number[], now: number): void {
  if (o.op === 'tick') {
    // Twice round the table: entries shifted behind the cursor are reached too.
    fdb.sweep(now, fdb.capacity * 2);
    return;
  }
  const k = keys[o.key]!;
  const mac = macs[o.key]!;
  const text = k.mac.map((b) => b.toString(16).padStart(2, '0')).join(':');
  if (o.op === 'learnLocal') fdb.learnLocal(k.vni, mac, 0, o.port, now);
  else if (o.op === 'learnRemote') fdb.learnRemote(k.vni, mac, 0, vtepIndex[o.vtep]!, now);
  else if (o.op === 'addRemote') fdb.addRemote(k.vni, text, VTEPS[o.vtep]!);
  else if (o.op === 'removeRemote') fdb.removeRemote(k.vni, text);
  else fdb.remove(k.vni, text);
}

class Readers {
  private readonly workers: Worker[] = [];
  private readonly waiting: Array<(r: ReaderReply) => void>[] = [];

  constructor(n: number) {
    for (let i = 0; i < n; i++) {
      const w = new Worker(new URL('../helpers/fdb-reader-worker.js', import.meta.url));
      const q: Array<(r: ReaderReply) => void> = [];
      w.on('message', (r: ReaderReply) => q.shift()?.(r));
      w.on('error', (e) => {
        throw e;
      });
      this.workers.push(w);
      this.waiting.push(q);
    }
  }

  /** Send `cmd` to every reader; resolves with their replies. */
  all(cmd: ReaderCommand): Promise<ReaderReply[]> {
    return Promise.all(
      this.workers.map(
        (w, i) =>
          new Promise<ReaderReply>((resolve) => {
            this.waiting[i]!.push(resolve);
            w.postMessage(cmd);
          }),
      ),
    );
  }

  async stop(): Promise<void> {
    await this.all({ type: 'stop' });
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** Spin for about `us` microseconds (readers get whole passes between two writes). */
function spin(us: number): void {
  const end = process.hrtime.bigint() + BigInt(us * 1000);
  while (process.hrtime.bigint() < end);
}

const keyArb = fc.record({ vni: fc.integer({ min: 1, max: 3 }), mac: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 6, maxLength: 6 }) });

function opArb(nKeys: number): fc.Arbitrary<Op> {
  const key = fc.integer({ min: 0, max: nKeys - 1 });
  return fc.oneof(
    fc.record({ op: fc.constant('learnLocal' as const), key, port: fc.integer({ min: 0, max: 3 }) }),
    fc.record({ op: fc.constant('learnRemote' as const), key, vtep: fc.integer({ min: 0, max: VTEPS.length - 1 }) }),
    fc.record({ op: fc.constant('addRemote' as const), key, vtep: fc.integer({ min: 0, max: VTEPS.length - 1 }) }),
    fc.record({ op: fc.constant('removeRemote' as const), key }),
    fc.record({ op: fc.constant('remove' as const), key }),
    fc.constant({ op: 'tick' as const }),
  );
}

test('shared FDB: readers in worker threads always see a state the Map model held, and exactly the model when idle', async () => {
  const readers = new Readers(READERS);
  let passesDuringWrites = 0;
  let retries = 0;
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(keyArb, { minLength: 8, maxLength: 48, selector: (k) => `${k.vni} ${k.mac.map((b) => b & 0xfe).join()}` }),
        fc.array(fc.array(fc.nat(), { minLength: 10, maxLength: 60 }), { minLength: 1, maxLength: 6 }),
        async (rawKeys, phaseSeeds) => {
          // Unicast MACs only (group MACs are never entries).
          const keys: ReaderKey[] = rawKeys.map((k) => ({ vni: k.vni, mac: [k.mac[0]! & 0xfe, ...k.mac.slice(1)] }));
          const macs = keys.map((k) => Uint8Array.from(k.mac));
          // A small table (128 slots for up to 48 keys): long clusters, so removals shift entries readers are probing.
          const fdb = new Fdb({ maxEntries: 64, maxEntriesPerVni: 64, controlReserve: 1, learnRate: 0, agingTicks: AGING });
          const vtepIndex = VTEPS.map((a) => {
            const i = fdb.vteps.intern(a);
            fdb.vteps.retain(i);
            return i;
          });
          await readers.all({ type: 'table', share: fdb.share(), keys });
          const model = new Model();
          const gen = opArb(keys.length);
          for (const seeds of phaseSeeds) {
            const ops = seeds.map((s) => fc.sample(gen, { numRuns: 1, seed: s })[0]!);
            // What each key may be during the phase: its state before and after every op.
            const allowed = keys.map((_, k) => [model.state(k, vtepIndex)]);
            const probe = new Model();
            for (const [k, e] of model.map) probe.map.set(k, { ...e });
            probe.now = model.now;
            for (const o of ops) {
              probe.apply(o);
              for (let k = 0; k < keys.length; k++) allowed[k]!.push(probe.state(k, vtepIndex));
            }
            await readers.all({ type: 'phase', allowed });
            for (const o of ops) {
              model.apply(o);
              applyToFdb(fdb, o, keys, macs, vtepIndex, model.now);
              spin(20);
            }
            // The writer's own table is the model (the readers' check below would be meaningless otherwise).
            for (let k = 0; k < keys.length; k++) {
              const slot = fdb.lookup(keys[k]!.vni, macs[k]!, 0);
              const s = slot < 0 ? -1 : (fdb.kindAt(slot) << 24) | fdb.targetAt(slot);
              assert.equal(s, model.state(k, vtepIndex), `writer, key ${k}`);
            }
            const final = keys.map((_, k) => model.state(k, vtepIndex));
            for (const r of await readers.all({ type: 'check', final })) {
              assert.equal(r.type, 'checked');
              if (r.type !== 'checked') continue;
              assert.deepEqual(r.violations, []);
              passesDuringWrites = r.passes;
              retries = r.retries;
            }
          }
        },
      ),
      { numRuns: Number(process.env['FDB_SHARED_RUNS'] ?? 40) },
    );
  } finally {
    await readers.stop();
  }
  // The readers were reading while the writer wrote (else the property says nothing about concurrency).
  assert.ok(passesDuringWrites > 0, 'readers made passes during writes');
  console.log(`# reader passes during writes: ${passesDuringWrites}, reads retried for an overlapping write: ${retries}`);
});

test('shared FDB: entries that never change are always found while colliding neighbours are added and removed', async () => {
  // Backward-shift deletion moves the stable entries between slots; without
  // the seqlock a reader probing at that moment would miss them.
  const readers = new Readers(READERS);
  try {
    const fdb = new Fdb({ maxEntries: 64, maxEntriesPerVni: 64, controlReserve: 1, learnRate: 0, agingTicks: 0 });
    const keys: ReaderKey[] = [];
    for (let i = 0; i < 48; i++) keys.push({ vni: 7, mac: [0x02, 0, 0, 0, i >> 8, i & 0xff] });
    const macs = keys.map((k) => Uint8Array.from(k.mac));
    const stable = keys.slice(0, 24);
    const churn = keys.slice(24);
    const text = (k: ReaderKey): string => k.mac.map((b) => b.toString(16).padStart(2, '0')).join(':');
    for (const [i, k] of stable.entries()) fdb.addStaticLocal(k.vni, text(k), i % 4);
    await readers.all({ type: 'table', share: fdb.share(), keys });
    const final = keys.map((_, i) => (i < 24 ? (FDB_LOCAL << 24) | i % 4 : -1));
    const allowed = keys.map((_, i) => (i < 24 ? [final[i]!] : [-1, (FDB_LOCAL << 24) | 1]));
    await readers.all({ type: 'phase', allowed });
    const end = Date.now() + 400;
    let rounds = 0;
    while (Date.now() < end) {
      for (const k of churn) fdb.learnLocal(k.vni, macs[keys.indexOf(k)]!, 0, 1, 0);
      for (const k of churn) fdb.remove(k.vni, text(k));
      rounds++;
    }
    assert.equal(fdb.size, 24);
    const replies = await readers.all({ type: 'check', final });
    for (const r of replies) {
      assert.equal(r.type, 'checked');
      if (r.type === 'checked') {
        assert.deepEqual(r.violations, []);
        assert.ok(r.lookups > 0);
      }
    }
    console.log(`# ${rounds} add/remove rounds; ${replies.map((r) => (r.type === 'checked' ? `${r.lookups} lookups, ${r.retries} retried, ${r.gaveUp} gave up` : '')).join('; ')}`);
  } finally {
    await readers.stop();
  }
});
