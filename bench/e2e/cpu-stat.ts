// CPU use on the switch's core (CPU 1), as shares of its time:
//   - busy: (user + nice + system + irq + softirq) jiffies of CPU 1 in
//     /proc/stat (docs/benchmarking.md "CPU"). It counts everything that
//     ran there, other work of a shared machine included.
//   - softirq: CPU 1's softirq jiffies alone: the member port's receive
//     (steered there by RPS); for the kernel engine, the whole bridge + vxlan
//     path. Other processes add next to nothing here.
//   - process: the switch process's user + system time (/proc/PID/stat,
//     all its threads; vxswitch and ovs-vswitchd). It includes softirq work that ran in its context (the
//     transmit path's), which /proc/stat also counts as softirq, so the two
//     must not be added.

import { readFileSync } from 'node:fs';

export interface CpuSample {
  busy: number;
  softirq: number;
  total: number;
  /** The switch process's utime + stime (clock ticks), 0 without one. */
  process: number;
}

/** utime + stime of pid in clock ticks (0 when it is gone). */
function processTicks(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3; utime, stime are 14, 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[11]) + Number(rest[12]);
  } catch {
    return 0;
  }
}

export function sampleCpu(cpu: number, pid?: number): CpuSample {
  const line = readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`cpu${cpu} `));
  if (!line) throw new Error(`/proc/stat has no cpu${cpu}`);
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = v;
  const busy = user + nice + system + irq + softirq;
  return { busy, softirq, total: busy + idle + iowait + steal, process: processTicks(pid) };
}

export interface CpuShares {
  busy: number;
  softirq: number;
  process: number;
}

/** Shares (0..1) of the core between two samples. */
export function shares(a: CpuSample, b: CpuSample): CpuShares {
  const total = Math.max(1, b.total - a.total);
  return { busy: (b.busy - a.busy) / total, softirq: (b.softirq - a.softirq) / total, process: (b.process - a.process) / total };
}
