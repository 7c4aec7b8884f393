// The forwarding workers' supervisor: starts N worker threads on one
// script, and restarts one that throws or exits on its own, after a backoff
// that doubles while it keeps failing (a worker that fails at once on every
// start must not spin a core). Each restart is counted and logged; the other
// workers are not touched and keep forwarding (their sockets are their own,
// and a fanout group or a SO_REUSEPORT group hands the dead one's flows to
// the living until it comes back: docs/workers.md).

import { EventEmitter } from 'node:events';
import { Worker } from 'node:worker_threads';

export interface WorkerPoolOptions<D> {
  /** The worker's module (an ES module URL, compiled JavaScript). */
  script: URL;
  count: number;
  /** workerData of worker `index`, asked again on every (re)start. */
  data: (index: number) => D;
  /** Backoff before the first restart (default 100 ms), doubled per failure up to maxBackoffMs (default 10 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** A worker that ran this long before failing restarts after the first backoff again (default 30 s). */
  stableMs?: number;
  /** One line per failure and restart. */
  warn?: (line: string) => void;
  /** Thread name prefix (shows in errors): default 'vxswitch-forwarder'. */
  name?: string;
}

export interface WorkerPoolEvents {
  /** A message posted by worker `index`. */
  message: [index: number, message: unknown];
  /** Worker `index` failed (`error` says why) and will restart after `delayMs`. */
  failed: [index: number, error: Error, delayMs: number];
  /** Worker `index` was started again after a failure. */
  restarted: [index: number, restarts: number];
}

interface Slot {
  worker: Worker | null;
  startedAt: number;
  restarts: number;
  backoff: number;
  timer: NodeJS.Timeout | null;
  /** Why it last failed. */
  lastError: string;
}

export class WorkerPool<D> extends EventEmitter<WorkerPoolEvents> {
  private readonly slots: Slot[] = [];
  private closed = false;
  private readonly first: number;
  private readonly max: number;
  private readonly stable: number;

  constructor(private readonly options: WorkerPoolOptions<D>) {
    super();
    if (!Number.isInteger(options.count) || options.count < 1) throw new RangeError(`workers: expected an integer of at least 1, got ${options.count}`);
    this.first = options.backoffMs ?? 100;
    this.max = options.maxBackoffMs ?? 10_000;
    this.stable = options.stableMs ?? 30_000;
    for (let i = 0; i < options.count; i++) this.slots.push({ worker: null, startedAt: 0, restarts: 0, backoff: this.first, timer: null, lastError: '' });
  }

  get size(): number {
    return this.slots.length;
  }

  /** Start every worker. */
  start(): void {
    for (let i = 0; i < this.slots.length; i++) this.spawn(i);
  }

  /** Restarts of worker `index` so far. */
  restartsOf(index: number): number {
    return this.slots[index]!.restarts;
  }

  /** Restarts of all workers so far. */
  get restarts(): number {
    return this.slots.reduce((n, s) => n + s.restarts, 0);
  }

  /** Whether worker `index` is running now (false while it waits for its restart). */
  isRunning(index: number): boolean {
    return this.slots[index]!.worker !== null;
  }

  /** The last failure of worker `index` ('' if none). */
  lastErrorOf(index: number): string {
    return this.slots[index]!.lastError;
  }

  /** Post to worker `index` if it is running; false if it is down (it gets its state from `data` on restart). */
  post(index: number, message: unknown): boolean {
    const w = this.slots[index]!.worker;
    if (w === null) return false;
    w.postMessage(message);
    return true;
  }

  /** Post to every running worker. */
  broadcast(message: unknown): void {
    for (let i = 0; i < this.slots.length; i++) this.post(i, message);
  }

  /** Stop every worker and cancel pending restarts. */
  async close(): Promise<void> {
    this.closed = true;
    const stopping: Promise<number>[] = [];
    for (const s of this.slots) {
      if (s.timer !== null) clearTimeout(s.timer);
      s.timer = null;
      if (s.worker !== null) stopping.push(s.worker.terminate());
      s.worker = null;
    }
    await Promise.all(stopping);
  }

  private spawn(index: number): void {
    const s = this.slots[index]!;
    const w = new Worker(this.options.script, { workerData: this.options.data(index), name: `${this.options.name ?? 'vxswitch-forwarder'}-${index}` });
    s.worker = w;
    s.startedAt = Date.now();
    let failure: Error | null = null;
    w.on('message', (m: unknown) => this.emit('message', index, m));
    w.on('error', (e: Error) => {
      failure = e;
    });
    w.on('exit', (code) => {
      if (s.worker !== w) return;
      s.worker = null;
      if (this.closed) return;
      this.failed(index, failure ?? new Error(`exited with code ${code}`));
    });
  }

  private failed(index: number, error: Error): void {
    const s = this.slots[index]!;
    if (Date.now() - s.startedAt >= this.stable) s.backoff = this.first;
    const delay = s.backoff;
    s.backoff = Math.min(this.max, s.backoff * 2);
    s.lastError = error.message;
    this.options.warn?.(`forwarding worker ${index} failed: ${error.message}; restarting it in ${delay} ms (restart ${s.restarts + 1}); the other workers keep forwarding`);
    this.emit('failed', index, error, delay);
    s.timer = setTimeout(() => {
      s.timer = null;
      if (this.closed) return;
      s.restarts++;
      this.spawn(index);
      this.emit('restarted', index, s.restarts);
    }, delay);
    s.timer.unref();
  }
}
