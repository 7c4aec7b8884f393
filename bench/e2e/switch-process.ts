// vxswitch's dataplane in a process of its own, for the end-to-end bench:
//
//   node dist/bench/e2e/switch-process.js '<DataplaneConfig JSON>' ['{"remotes":[{"vni":..,"mac":..,"vtep":..}]}']
//
// bench/e2e/vxswitch-engine.ts starts it inside the switch namespace (ip
// netns exec) pinned to CPU 1 (taskset). It opens the Dataplane, adds the
// static remote FDB entries of the optional second argument (the bench's
// known-unicast path), prints "ready" on stdout, and forwards on its event
// loop until SIGTERM or SIGINT, or until stdin closes (its parent is gone);
// then it prints one JSON line with the dataplane's counters and exits 0.

import { readdirSync, readFileSync } from 'node:fs';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import type { DataplaneConfig } from '../../src/dataplane/dataplane-config.js';

export interface SwitchExtras {
  /** Control-plane style static entries: MAC in VNI lives behind VTEP. */
  remotes?: { vni: number; mac: string; vtep: string }[];
}

async function main(): Promise<void> {
  const configText = process.argv[2];
  if (configText === undefined) {
    process.stderr.write('usage: switch-process.js <DataplaneConfig JSON> [extras JSON]\n');
    process.exit(2);
  }
  const config = JSON.parse(configText) as DataplaneConfig;
  const extras = JSON.parse(process.argv[3] ?? '{}') as SwitchExtras;
  const dp = await Dataplane.open(config, { warn: (m) => process.stderr.write(`switch: ${m}\n`) });
  for (const r of extras.remotes ?? []) dp.addRemote(r.vni, r.mac, r.vtep);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    // Per-thread cost (docs/workers.md): frames each forwarding thread took in, and every thread's CPU ticks.
    const counters = { ...dp.counters(), threads: { frames: dp.threadFrames(), cpu: threadTicks() } };
    void dp.close().then(() => {
      process.stdout.write(JSON.stringify(counters) + '\n', () => process.exit(0));
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // The parent holds our stdin: when it goes away, so do we.
  process.stdin.on('end', stop);
  process.stdin.on('error', stop);
  process.stdin.resume();
  process.stdout.write('ready\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`switch-process: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});

/** utime + stime (clock ticks) of every thread of this process, the main thread first (/proc/self/task, proc(5)). */
function threadTicks(): Array<{ tid: number; main: boolean; ticks: number }> {
  const out: Array<{ tid: number; main: boolean; ticks: number }> = [];
  for (const t of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${t}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ tid: Number(t), main: Number(t) === process.pid, ticks: Number(rest[11]) + Number(rest[12]) });
    } catch {
      // The thread ended meanwhile.
    }
  }
  return out.sort((a, b) => Number(b.main) - Number(a.main) || b.ticks - a.ticks);
}
