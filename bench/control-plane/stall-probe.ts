// Loaded into the benched vxswitch with `node --import` (vxswitch-daemon.ts):
// the daemon's own event-loop stalls, measured inside it. A timer due every
// TICK_MS runs late by as long as the loop was held (or the process was not
// scheduled: the CPU time the process used meanwhile, and the time the main
// thread waited on a run queue, from the kernel's schedstat (sched-stats.rst:
// /proc/PID/schedstat "time spent waiting on a runqueue"), tell which); each
// lateness above REPORT_MS is appended as "epochMs lagMs cpuMs runqueueMs" to
// `stalls.txt` next to the daemon's config file (the `-f` argument), which
// the bench reads after the load. The bench's own API polls measure the same
// thing from outside, but they also include the bench's own delays (it parses
// `ip monitor` and vtysh output at the same time); this does not.

import { appendFile, readFileSync } from 'node:fs';
import path from 'node:path';

const TICK_MS = 2;
const REPORT_MS = 5;

/** Nanoseconds the main thread has waited on a run queue (0 without schedstats). */
function runQueueNs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1] ?? 0);
  } catch {
    return 0;
  }
}

const i = process.argv.indexOf('-f');
const conf = i >= 0 ? process.argv[i + 1] : undefined;
if (conf !== undefined) {
  const file = path.join(path.dirname(conf), 'stalls.txt');
  let last = performance.now();
  let cpu = process.cpuUsage();
  let waited = runQueueNs();
  let lines: string[] = [];
  let writing = false;
  setInterval(() => {
    const t = performance.now();
    const lag = t - last - TICK_MS;
    last = t;
    const used = process.cpuUsage(cpu);
    cpu = process.cpuUsage();
    const cpuMs = (used.user + used.system) / 1000;
    const w = runQueueNs();
    const runQueueMs = (w - waited) / 1e6;
    waited = w;
    if (lag > REPORT_MS) lines.push(`${(performance.timeOrigin + t).toFixed(1)} ${lag.toFixed(1)} ${cpuMs.toFixed(1)} ${runQueueMs.toFixed(1)}\n`);
    // Written in the background, a batch at a time: a synchronous write on a
    // busy disk would itself hold the loop (and be measured as the next stall).
    if (lines.length > 0 && !writing) {
      writing = true;
      const batch = lines.join('');
      lines = [];
      appendFile(file, batch, () => (writing = false));
    }
  }, TICK_MS).unref();
}
