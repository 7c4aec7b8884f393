// The demo's child processes (`ip`, `ping`, `iperf3`, the CLI read-outs):
// asynchronous, each bounded by a timeout, and all of them tracked so a
// Ctrl-C can kill what is in flight and then tear down what exists — no step
// of the bring-up can create a namespace after the teardown listed them.
import { execFile, type ChildProcess } from 'node:child_process';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** SIGKILL after this long and reject (default 10 s). */
  timeoutMs?: number;
  /** Resolve with a non-zero exit code instead of rejecting. */
  allowFailure?: boolean;
  /**
   * stop() may kill it (ping, a CLI read-out). Set-up commands (`ip netns
   * add`, `ip link add`) are left to finish instead: killed half-way they
   * could leave something the teardown does not find.
   */
  interruptible?: boolean;
}

/** Thrown by every command started after stop(): the demo is being torn down. */
export class StoppedError extends Error {
  constructor() {
    super('stopped');
    this.name = 'StoppedError';
  }
}

/** argv in namespace ns (null: this process's namespace). */
export function inNs(ns: string | null, argv: readonly string[]): string[] {
  return ns === null ? [...argv] : ['ip', 'netns', 'exec', ns, ...argv];
}

export class Runner {
  private readonly inFlight = new Map<ChildProcess, { settled: Promise<void>; interruptible: boolean }>();
  private stopped = false;

  get isStopped(): boolean {
    return this.stopped;
  }

  exec(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (this.stopped) return Promise.reject(new StoppedError());
    const [cmd, ...args] = argv;
    if (cmd === undefined) return Promise.reject(new Error('empty command'));
    const timeoutMs = options.timeoutMs ?? 10_000;
    let settle!: () => void;
    const settled = new Promise<void>((resolve) => (settle = resolve));
    return new Promise<RunResult>((resolve, reject) => {
      // detached: a Ctrl-C in the terminal reaches the demo alone, which
      // decides what to kill (stop()).
      const opts = { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024, detached: true } as const;
      const child = execFile(cmd, args, opts, (err, stdout, stderr) => {
        this.inFlight.delete(child);
        settle();
        if (this.stopped) return reject(new StoppedError());
        if (!err) return resolve({ code: 0, stdout, stderr });
        const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: number | string };
        const line = argv.join(' ');
        if (e.killed || e.signal) return reject(new Error(`timed out after ${timeoutMs / 1000} s: ${line}`));
        if (typeof e.code !== 'number') return reject(new Error(`could not run ${line}: ${e.message}`));
        if (options.allowFailure) return resolve({ code: e.code, stdout, stderr });
        reject(new Error(`${line}: exit ${e.code}: ${(stderr.trim() || stdout.trim()).split('\n')[0] ?? ''}`));
      });
      this.inFlight.set(child, { settled, interruptible: options.interruptible === true });
    });
  }

  /** exec in namespace ns, resolving with stdout. */
  async run(ns: string | null, ...argv: string[]): Promise<string> {
    return (await this.exec(inNs(ns, argv))).stdout;
  }

  /** No new command from now on; kill the interruptible ones in flight and wait until every one is done. */
  async stop(): Promise<void> {
    this.stopped = true;
    const waits = [...this.inFlight.entries()].map(([child, { settled, interruptible }]) => {
      if (interruptible) child.kill('SIGKILL');
      return settled;
    });
    await Promise.all(waits);
  }
}
