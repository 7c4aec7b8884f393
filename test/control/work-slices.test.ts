// work-slices.ts, sans-IO: the scheduler is a list the test runs one turn at
// a time, so the work of each turn is counted exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_SLICE, EachJob, SliceQueues, StepJob } from '../../src/control/work-slices.js';
import { UpdateJob } from '../../src/control/update-job.js';
import type { Route } from '../../src/control/route.js';
import type { WithdrawnRoute } from '../../src/control/update-reader.js';

function manual(): { schedule: (run: () => void) => void; turn: () => boolean } {
  const pending: Array<() => void> = [];
  return {
    schedule: (run) => pending.push(run),
    turn: () => {
      const run = pending.shift();
      run?.();
      return run !== undefined;
    },
  };
}

test('a job of 100,000 items runs at most `slice` of them per turn, in order, and nothing is left', () => {
  const sched = manual();
  const q = new SliceQueues<string>(sched.schedule, 256);
  const seen: number[] = [];
  const items = Array.from({ length: 100_000 }, (_, i) => i);
  let ended = false;
  q.push('p', new EachJob(() => items, items.length, (i) => seen.push(i), () => (ended = true)));
  assert.equal(q.backlog('p'), 100_000);
  let turns = 0;
  let last = 0;
  while (sched.turn()) {
    turns++;
    assert.ok(seen.length - last <= 256, `turn ${turns} did ${seen.length - last}`);
    last = seen.length;
  }
  assert.equal(seen.length, 100_000);
  assert.ok(seen.every((x, i) => x === i), 'in order');
  assert.ok(ended);
  assert.equal(turns, Math.ceil(100_000 / 256), 'N / slice turns');
  assert.equal(q.backlog('p'), 0);
  assert.ok(q.maxUnitsPerTurn <= 256);
});

test('a timed turn stops once its budget is used (the clock read every step), never past maxUnits', () => {
  // An injected clock each item advances by `cost` ms: cheap items fill a
  // turn with more of them, dear ones with fewer; a stopped clock meets the
  // unit bound.
  const perTurn = (cost: number): number[] => {
    let now = 0;
    const sched = manual();
    const q = new SliceQueues<string>(sched.schedule, { ms: 4, step: 8, maxUnits: 1000, clock: () => now });
    let seen = 0;
    q.push('p', new EachJob(() => Array.from({ length: 3000 }, (_, i) => i), 3000, () => {
      seen++;
      now += cost;
    }));
    const counts: number[] = [];
    let last = 0;
    while (sched.turn()) {
      counts.push(seen - last);
      last = seen;
    }
    assert.equal(seen, 3000, 'everything ran');
    assert.ok(q.maxUnitsPerTurn <= 1000);
    return counts;
  };
  // 0.125 ms an item (exact in binary): 8 items (1 ms) a step, the budget used after 4 steps.
  assert.deepEqual(perTurn(0.125).slice(0, 3), [32, 32, 32]);
  // 1 ms an item: one step overruns the budget, the turn ends after it.
  assert.deepEqual(perTurn(1).slice(0, 3), [8, 8, 8]);
  // A stopped clock: the unit bound.
  assert.deepEqual(perTurn(0).slice(0, 3), [1000, 1000, 1000]);
  assert.ok(DEFAULT_SLICE.ms > 0 && DEFAULT_SLICE.maxUnits >= DEFAULT_SLICE.step);
});

test("one key's jobs run in order; two keys share each turn (round robin)", () => {
  const sched = manual();
  const q = new SliceQueues<string>(sched.schedule, 10);
  const log: string[] = [];
  const job = (tag: string, n: number): EachJob<number> =>
    new EachJob(() => Array.from({ length: n }, (_, i) => i), n, (i) => log.push(`${tag}${i}`));
  q.push('a', job('a', 30));
  q.push('a', new StepJob(() => log.push('a-step')));
  q.push('b', job('b', 30));
  sched.turn();
  // 10 units shared by two keys with work: 5 each.
  assert.deepEqual(log, ['a0', 'a1', 'a2', 'a3', 'a4', 'b0', 'b1', 'b2', 'b3', 'b4']);
  while (sched.turn());
  const a = log.filter((x) => x.startsWith('a'));
  assert.deepEqual(a.slice(-2), ['a29', 'a-step'], "the step after the key's earlier job");
  assert.equal(log.length, 61);
});

test('the backlog callback tells when a key drained (the speaker reads that peer again)', () => {
  const sched = manual();
  const backlogs: number[] = [];
  const q = new SliceQueues<string>(sched.schedule, 100, (_k, b) => backlogs.push(b));
  q.push('p', new EachJob(() => Array.from({ length: 250 }, (_, i) => i), 250, () => {}));
  while (sched.turn());
  assert.deepEqual(backlogs, [150, 50, 0]);
});

test('a job that throws is dropped and reported; the key goes on with its next job', () => {
  const sched = manual();
  const errors: string[] = [];
  const q = new SliceQueues<string>(sched.schedule, 100, undefined, (k, e) => errors.push(`${k}: ${(e as Error).message}`));
  let after = false;
  q.push('p', new StepJob(() => {
    throw new Error('bug');
  }));
  q.push('p', new StepJob(() => (after = true)));
  while (sched.turn());
  assert.deepEqual(errors, ['p: bug']);
  assert.ok(after);
});

test('an UPDATE in parts: withdrawals first, then announcements, at most the budget each time, done() once at the end', () => {
  const withdrawn = Array.from({ length: 150 }, (_, i): WithdrawnRoute => ({ family: 'l2vpn-evpn', key: `w${i}` }));
  const announced = Array.from({ length: 300 }, (_, i) => ({ key: `a${i}` }) as unknown as Route);
  const parts: Array<[number, number]> = [];
  let done = 0;
  const job = new UpdateJob({ withdrawn, announced }, (p) => parts.push([p.withdrawn.length, p.announced.length]), () => done++);
  const used: number[] = [];
  while (job.remaining > 0) used.push(job.run(100));
  assert.deepEqual(parts, [[100, 0], [50, 0], [0, 50], [0, 100], [0, 100], [0, 50]]);
  assert.deepEqual(used, [100, 100, 100, 100, 50]);
  assert.equal(done, 1);
});

test('an End-of-RIB (no routes) is one unit and runs done()', () => {
  let done = 0;
  const job = new UpdateJob({ withdrawn: [], announced: [] }, () => assert.fail('nothing to apply'), () => done++);
  assert.equal(job.remaining, 1);
  assert.equal(job.run(256), 1);
  assert.equal(job.remaining, 0);
  assert.equal(done, 1);
});
