// Bounded slices of control-plane work, so the event loop (which also
// forwards frames and answers the API) is never held long by BGP: a full
// table received, 100,000 routes withdrawn when a session goes down, a table
// sent to a new peer. Sans-IO: the caller supplies `schedule` (setImmediate in
// the speaker, a list in tests) and the queue only counts work units (routes).
//
// Each queue (one per peer) runs its jobs strictly in order: an UPDATE read
// before a session went down is applied before that session's routes are
// withdrawn, and the routes of the next session after it (the Loc-RIB knows a
// path by its peer's address, so the order is what keeps them apart). A turn
// runs units over all queues, round robin, until its time budget is used (the
// clock is read every `step` units) or `maxUnits` are done, then yields: when
// routes are cheap a turn does more of them, when they are dear (GC, a busy
// core) it stops sooner, so the stall stays near the budget either way.
//
// Backpressure: `backlog` is the units queued for one queue; the speaker
// stops reading that peer's socket above a high-water mark and reads again
// below it (TCP's window then holds the rest at the sender), so no queue grows
// with what a peer sends.

import { performance } from 'node:perf_hooks';

/** A unit of work that can be run in parts: run() does at most `budget` units and says how many it did. */
export interface SlicedJob {
  /** Units left to do (an estimate is fine: it is only used for the backlog). */
  readonly remaining: number;
  /** Do up to `budget` units (at least 1 when any remain); returns the units done. */
  run(budget: number): number;
}

/** How much one turn may do. */
export interface SliceLimit {
  /** Wall milliseconds a turn may use (checked every `step` units: it can overrun by one step). */
  readonly ms: number;
  /** Units between two reads of the clock. */
  readonly step: number;
  /** Units a turn never exceeds, whatever the clock says (a bound tests can count). */
  readonly maxUnits: number;
  /** The clock, in milliseconds (performance.now unless injected). */
  readonly clock?: () => number;
}

/**
 * The speaker's default: 4 ms per turn, the clock read every 32 routes, at
 * most 4,096 routes. Why: the receive path (read UPDATE, Adj-RIB-In,
 * Loc-RIB, EVPN import, FDB install) costs 5-25 µs per route on the bench's
 * shared 2-core machine (docs/benchmarking.md "Control plane"), so 32 routes
 * are 0.2-0.8 ms (the overrun past 4 ms) and a clock read (~50 ns) is lost
 * in them; 4,096 routes at the cheapest are ~20 ms, a bound that only a
 * stopped clock reaches. A fixed count (256 before) tied throughput to the
 * turn rate: cheap routes left the loop idle between turns, dear ones
 * overran.
 */
export const DEFAULT_SLICE: SliceLimit = { ms: 4, step: 32, maxUnits: 4096 };

/** A count-only limit: exactly up to `units` per turn, no clock (tests, and the old behaviour). */
export function unitsPerTurn(units: number): SliceLimit {
  return { ms: Infinity, step: units, maxUnits: units };
}

export class SliceQueues<K> {
  private readonly queues = new Map<K, SlicedJob[]>();
  private readonly backlogs = new Map<K, number>();
  private scheduled = false;
  /** Units run by each turn so far (tests read it; bounded by `limit.maxUnits`). */
  maxUnitsPerTurn = 0;
  turns = 0;
  readonly limit: SliceLimit;
  private readonly clock: () => number;

  constructor(
    private readonly schedule: (run: () => void) => void,
    /** A SliceLimit, or a number: that many units per turn, no clock. */
    slice: SliceLimit | number = DEFAULT_SLICE,
    /** Called after a turn with the queues whose backlog changed (the speaker pauses or resumes reading). */
    private readonly onBacklog: (key: K, backlog: number) => void = () => {},
    /**
     * A job threw (a bug): it is dropped, the key's other jobs stay, and this
     * is told (the speaker resets that neighbor, so its routes are learned
     * again). A throw must not leave the scheduled callback: it would end the process.
     */
    private readonly onError: (key: K, error: unknown) => void = (_key, error) => {
      throw error;
    },
  ) {
    const limit = typeof slice === 'number' ? unitsPerTurn(slice) : slice;
    for (const [name, n] of [['step', limit.step], ['maxUnits', limit.maxUnits]] as const) {
      if (!Number.isInteger(n) || n < 1) throw new RangeError(`slice ${name} ${n}: expected a positive integer`);
    }
    if (!(limit.ms > 0)) throw new RangeError(`slice ms ${limit.ms}: expected a positive number`);
    this.limit = limit;
    this.clock = limit.clock ?? (() => performance.now());
  }

  /** Queue a job behind the key's others; the next turn is scheduled if none is. */
  push(key: K, job: SlicedJob): void {
    let q = this.queues.get(key);
    if (q === undefined) {
      q = [];
      this.queues.set(key, q);
    }
    q.push(job);
    this.backlogs.set(key, (this.backlogs.get(key) ?? 0) + job.remaining);
    this.arm();
  }

  /** Units queued for a key (0 when idle). */
  backlog(key: K): number {
    return this.backlogs.get(key) ?? 0;
  }

  /** Units queued over all keys. */
  get totalBacklog(): number {
    let n = 0;
    for (const b of this.backlogs.values()) n += b;
    return n;
  }

  /** Forget a key's jobs. */
  drop(key: K): void {
    this.queues.delete(key);
    this.backlogs.delete(key);
  }

  /** Forget every job (the speaker stopped: nothing is left to update). */
  clear(): void {
    this.queues.clear();
    this.backlogs.clear();
  }

  /** Run every job to the end now (shutdown, tests). */
  drain(): void {
    while (this.queues.size > 0) this.round(Infinity);
  }

  private arm(): void {
    if (this.scheduled || this.queues.size === 0) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.turn();
      this.arm();
    });
  }

  /** One turn: steps of `limit.step` units until the time budget or `limit.maxUnits` is used. */
  private turn(): void {
    this.turns++;
    const { ms, step, maxUnits } = this.limit;
    const timed = ms !== Infinity;
    const start = timed ? this.clock() : 0;
    let done = 0;
    while (done < maxUnits && this.queues.size > 0) {
      done += this.round(Math.min(step, maxUnits - done));
      if (timed && this.clock() - start >= ms) break;
    }
    this.maxUnitsPerTurn = Math.max(this.maxUnitsPerTurn, done);
  }

  /** Up to `budget` units, shared evenly by the keys with work (round robin: each key then goes to the back); returns the units done. */
  private round(budget: number): number {
    let left = budget;
    const touched = new Set<K>();
    while (left > 0 && this.queues.size > 0) {
      const keys = [...this.queues.keys()];
      const share = Math.max(1, Math.ceil(left / keys.length));
      for (const key of keys) {
        if (left <= 0) break;
        const q = this.queues.get(key)!;
        const quota = Math.min(share, left);
        let used = 0;
        while (used < quota && q.length > 0) {
          const job = q[0]!;
          try {
            if (job.remaining > 0) used += job.run(quota - used);
          } catch (e) {
            q.shift();
            used++;
            this.onError(key, e);
            continue;
          }
          if (job.remaining <= 0) q.shift();
        }
        left -= used;
        touched.add(key);
        this.queues.delete(key);
        if (q.length > 0) this.queues.set(key, q);
        this.backlogs.set(key, q.reduce((n, j) => n + j.remaining, 0));
      }
    }
    for (const key of touched) {
      const b = this.backlogs.get(key) ?? 0;
      if (b === 0) this.backlogs.delete(key);
      this.onBacklog(key, b);
    }
    return budget - left;
  }
}

/**
 * A job over the items `source` returns when the job starts (not when it is
 * queued: the jobs before it may change what there is), `each` applied to
 * every item in order, then `after`. `count` estimates the items for the
 * backlog.
 */
export class EachJob<T> implements SlicedJob {
  private items: Iterator<T> | null = null;
  private left: number;
  private ended = false;

  constructor(
    private readonly source: () => Iterable<T>,
    count: number,
    private readonly each: (item: T) => void,
    private readonly after: () => void = () => {},
  ) {
    this.left = Math.max(1, count);
  }

  get remaining(): number {
    return this.ended ? 0 : this.left;
  }

  run(budget: number): number {
    this.items ??= this.source()[Symbol.iterator]();
    let n = 0;
    while (n < budget) {
      const next = this.items.next();
      if (next.done === true) {
        this.ended = true;
        this.after();
        return Math.max(1, n);
      }
      this.each(next.value);
      n++;
      this.left = Math.max(1, this.left - 1);
    }
    return n;
  }
}

/** A job of one step (a state change that must happen in order with the others). */
export class StepJob implements SlicedJob {
  private done = false;
  constructor(private readonly step: () => void) {}
  get remaining(): number {
    return this.done ? 0 : 1;
  }
  run(): number {
    this.done = true;
    this.step();
    return 1;
  }
}
