// The parent side of the route injector (injector-main.ts): starts the
// child in a namespace (a cleanup of the Topology kills it), keeps its JSON
// line reports, waits for one, and tells it to inject.

import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { inNs, type Topology } from '../../test/helpers/netns.js';
import type { InjectorConfig } from './injector-main.js';

const INJECTOR_MAIN = fileURLToPath(new URL('./injector-main.js', import.meta.url));

/** The injector's {"injected"} report: epoch ms of the first write and of the kernel taking the last byte. */
export interface Injected {
  first: number;
  last: number;
  updates: number;
  bytes: number;
}

/** The injector's {"encoded"} report. */
export interface Encoded {
  updates: number;
  bytes: number;
  ms: number;
}

/** The injector child (injector-main.ts) in a namespace, and what it reported. */
export class Injector {
  readonly events: Array<Record<string, unknown>> = [];
  private readonly listeners = new Set<() => void>();
  private constructor(readonly child: ChildProcess) {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        this.events.push({ error: { message: `injector printed: ${line}` } });
      }
      for (const l of this.listeners) l();
    });
    child.stderr!.on('data', (d: Buffer) => this.events.push({ error: { message: d.toString('utf8').trim() } }));
    child.on('exit', () => {
      this.events.push({ exited: true });
      for (const l of this.listeners) l();
    });
  }

  /** Start the child in ns: it encodes, connects, brings the session up and announces its Type 3. */
  static start(topo: Topology, ns: string, config: InjectorConfig): Injector {
    const [cmd, ...args] = inNs(ns, [process.execPath, INJECTOR_MAIN, JSON.stringify(config)]);
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin!.on('error', () => {});
    child.on('error', () => {});
    topo.addCleanup(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    return new Injector(child);
  }

  /** The first event with this key; rejects when the child exits first, or after timeoutMs. */
  wait<T>(key: string, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const check = (): boolean => {
        const e = this.events.find((x) => key in x);
        if (e !== undefined) {
          done();
          resolve(e[key] as T);
          return true;
        }
        if (this.events.some((x) => 'exited' in x || 'closed' in x)) {
          done();
          reject(new Error(`injector closed before "${key}": ${this.describe()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`injector: no "${key}" after ${timeoutMs} ms: ${this.describe()}`));
      }, timeoutMs);
      const listener = (): void => void check();
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      this.listeners.add(listener);
      check();
    });
  }

  describe(): string {
    return JSON.stringify(this.events.filter((e) => !('rx' in e)).slice(-6));
  }

  /** Write every UPDATE now; the {"injected"} report follows. */
  inject(): void {
    this.child.stdin!.write(`${JSON.stringify({ inject: true })}\n`);
  }

  /** Close its stdin: it closes the session and exits. */
  close(): void {
    this.child.stdin!.end();
  }
}
