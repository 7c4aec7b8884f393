// Process memory from /proc: VmRSS before the injection and after it, and
// VmHWM (the peak). The kernel FDB an FRR VTEP fills is kernel memory and in
// no process's RSS; vxswitch's FDB is in its own.

import { readFile } from 'node:fs/promises';
import type { ProcessMemory } from './result.js';

/** VmRSS and VmHWM of pid in KiB (0 when the process is gone). */
async function memoryOf(pid: number | undefined): Promise<{ rss: number; hwm: number }> {
  if (pid === undefined) return { rss: 0, hwm: 0 };
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** RSS of named processes: start() before the injection, end() once it arrived. */
export class MemoryWatch {
  private readonly before = new Map<string, number>();
  constructor(private readonly pids: Array<[string, number | undefined]>) {}
  async start(): Promise<void> {
    for (const [name, pid] of this.pids) this.before.set(name, (await memoryOf(pid)).rss);
  }
  async end(): Promise<ProcessMemory[]> {
    const out: ProcessMemory[] = [];
    for (const [name, pid] of this.pids) {
      const m = await memoryOf(pid);
      out.push({ name, rssBefore: this.before.get(name) ?? 0, rssAfter: m.rss, peak: m.hwm });
    }
    return out;
  }
}

/** (sum of RSS after - before) / routes, in KB (1000 bytes) per route. */
export function kbPerRoute(memory: readonly ProcessMemory[], routes: number): number {
  const delta = memory.reduce((s, m) => s + m.rssAfter - m.rssBefore, 0);
  return (delta * 1024) / 1000 / routes;
}
