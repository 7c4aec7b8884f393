// Process memory from /proc: VmRSS before the injection and after it, and
// VmHWM (the peak). The kernel FDB an FRR VTEP fills is kernel memory and in
// no process's RSS; vxswitch's FDB is in its own. Also the CPU time each
// process used in between (utime + stime, proc(5) /proc/PID/stat fields 14
// and 15): with two cores shared by every daemon of a lab, a receiver can be
// slow because it works more or because it waits; this tells which.

import { readFile } from 'node:fs/promises';
import type { ProcessMemory } from './result.js';

/** VmRSS and VmHWM of pid in KiB (0 when the process is gone). */
async function memoryOf(pid: number | undefined): Promise<{ rss: number; hwm: number }> {
  if (pid === undefined) return { rss: 0, hwm: 0 };
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** CPU ms (user + system) pid used so far (0 when the process is gone). */
async function cpuMsOf(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // The fields after the command name (which may hold spaces) start at state (field 3).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(f[11] ?? 0) + Number(f[12] ?? 0);
  return (ticks * 1000) / CLOCK_TICKS_PER_S;
}

/** sysconf(_SC_CLK_TCK): 100 on every Linux architecture node runs on (USER_HZ). */
const CLOCK_TICKS_PER_S = 100;

/** RSS of named processes: start() before the injection, end() once it arrived. */
export class MemoryWatch {
  private readonly before = new Map<string, number>();
  private readonly cpuBefore = new Map<string, number>();
  constructor(private readonly pids: Array<[string, number | undefined]>) {}
  async start(): Promise<void> {
    for (const [name, pid] of this.pids) {
      this.before.set(name, (await memoryOf(pid)).rss);
      this.cpuBefore.set(name, await cpuMsOf(pid));
    }
  }
  async end(): Promise<ProcessMemory[]> {
    const out: ProcessMemory[] = [];
    for (const [name, pid] of this.pids) {
      const m = await memoryOf(pid);
      const cpuMs = (await cpuMsOf(pid)) - (this.cpuBefore.get(name) ?? 0);
      out.push({ name, rssBefore: this.before.get(name) ?? 0, rssAfter: m.rss, peak: m.hwm, cpuMs });
    }
    return out;
  }
}

/** (sum of RSS after - before) / routes, in KB (1000 bytes) per route. */
export function kbPerRoute(memory: readonly ProcessMemory[], routes: number): number {
  const delta = memory.reduce((s, m) => s + m.rssAfter - m.rssBefore, 0);
  return (delta * 1024) / 1000 / routes;
}
