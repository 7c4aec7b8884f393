// The main thread's side of the forwarding workers (docs/workers.md): starts
// them under a WorkerPool (restart with backoff, counted), gives each its
// learn ring and counter block (kept across its restarts) and a snapshot of
// the small tables on every (re)start, drains the learns into the FDB (the
// one writer), and passes table changes on.

import { applyLearn, type FdbLearner } from './learner.js';
import { LearnConsumer, learnRingBytes } from './learn-ring.js';
import type { ForwardingWorkerCommand, ForwardingWorkerData, ForwardingWorkerMessage } from './forwarding-worker.js';
import type { TableMessage } from './table-replica.js';
import { WorkerCounters, type CounterLayout } from './worker-counters.js';
import { WorkerPool } from './worker-pool.js';

/** Learn records per worker ring (a burst of new hosts beyond it is dropped, counted, and learned on a later frame). */
const LEARN_RING_RECORDS = 4096;

export interface ForwardingWorkersOptions {
  count: number;
  /** Everything of a worker's data but what this class adds. */
  data: Omit<ForwardingWorkerData, 'index' | 'learnRing' | 'counters' | 'tables'>;
  layout: CounterLayout;
  /** The small tables now (table-replica.ts snapshotTables). */
  snapshot: () => TableMessage[];
  learner: FdbLearner;
  /** The main thread's coarse clock, for the learns drained. */
  tick: () => number;
  warn: (line: string) => void;
}

export class ForwardingWorkers {
  private readonly pool: WorkerPool<ForwardingWorkerData>;
  private readonly rings: SharedArrayBuffer[] = [];
  private readonly consumers: LearnConsumer[] = [];
  readonly counters: WorkerCounters[] = [];
  private readonly ready = new Set<number>();
  private readonly readyWaiters: Array<() => void> = [];

  constructor(private readonly o: ForwardingWorkersOptions) {
    for (let i = 0; i < o.count; i++) {
      const ring = new SharedArrayBuffer(learnRingBytes(LEARN_RING_RECORDS));
      this.rings.push(ring);
      this.consumers.push(new LearnConsumer(ring));
      this.counters.push(WorkerCounters.create(o.layout));
    }
    this.pool = new WorkerPool<ForwardingWorkerData>({
      script: new URL('./forwarding-worker.js', import.meta.url),
      count: o.count,
      data: (index) => ({
        ...o.data,
        index,
        learnRing: this.rings[index]!,
        counters: { buffer: this.counters[index]!.buffer, layout: o.layout },
        tables: o.snapshot(),
      }),
      warn: o.warn,
    });
    this.pool.on('message', (index, m) => this.onMessage(index, m as ForwardingWorkerMessage));
  }

  /** Start every worker; resolves when each has opened its sockets once, rejects after `timeoutMs` if one has not. */
  async start(timeoutMs = 10_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const all = new Promise<void>((resolve, reject) => {
      this.readyWaiters.push(resolve);
      timer = setTimeout(() => {
        const late = [...Array(this.o.count).keys()].filter((i) => !this.ready.has(i));
        reject(new Error(`forwarding worker(s) ${late.join(', ')} did not start: ${late.map((i) => this.pool.lastErrorOf(i) || 'no error yet').join('; ')}`));
      }, timeoutMs);
    });
    this.pool.start();
    try {
      await all;
    } finally {
      clearTimeout(timer);
    }
  }

  private onMessage(index: number, m: ForwardingWorkerMessage): void {
    if (m.t === 'learn') {
      const tick = this.o.tick();
      this.consumers[index]!.drain((r) => applyLearn(this.o.learner, r, tick));
      return;
    }
    if (m.t === 'warn') {
      this.o.warn(m.message);
      return;
    }
    this.ready.add(index);
    if (this.ready.size === this.o.count) for (const w of this.readyWaiters.splice(0)) w();
  }

  /** Drain every ring now (the owner's once-a-second timer: learns whose wake-up is still in flight). */
  drain(): void {
    const tick = this.o.tick();
    for (const c of this.consumers) c.drain((r) => applyLearn(this.o.learner, r, tick));
  }

  /** A table changed: every running worker applies it (a restarting one gets the snapshot). */
  send(msg: TableMessage): void {
    this.pool.broadcast(msg satisfies ForwardingWorkerCommand);
  }

  get size(): number {
    return this.o.count;
  }

  get restarts(): number {
    return this.pool.restarts;
  }

  restartsOf(index: number): number {
    return this.pool.restartsOf(index);
  }

  isRunning(index: number): boolean {
    return this.pool.isRunning(index);
  }

  /** Learns the full rings dropped. */
  get learnDropped(): number {
    return this.consumers.reduce((n, c) => n + c.dropped, 0);
  }

  /** Test hook: make worker `index` throw from its event loop. */
  crash(index: number): void {
    this.pool.post(index, { t: 'throw' } satisfies ForwardingWorkerCommand);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
