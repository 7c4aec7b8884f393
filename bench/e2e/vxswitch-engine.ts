// vxswitch as the VTEP under test: the Dataplane in its own process
// (switch-process.ts), started inside the switch namespace with `ip netns
// exec` and pinned to CPU 1 with taskset. Static mode with the receiver in
// the flood list, and a static remote FDB entry DST_MAC -> REMOTE_VTEP, so
// the generator's frames take the known-unicast encapsulation path, as in
// the kernel engine.

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { DataplaneConfig } from '../../src/dataplane/dataplane-config.js';
import type { Engine } from './engine.js';
import { niceCmd, track, waitExit } from './netns.js';
import type { SwitchExtras } from './switch-process.js';
import { DST_MAC, LOCAL_VTEP, MEMBER_IF, REMOTE_VTEP, UNDERLAY_IF, UNDERLAY_MTU, VNI, VXLAN_PORT, type Topology } from './topology.js';

const SWITCH_PROCESS = fileURLToPath(new URL('./switch-process.js', import.meta.url));

export interface VxswitchEngineOptions {
  /** Write a V8 CPU profile of the switch process into this directory (node --cpu-prof). */
  cpuProfDir?: string;
  /** Merged into the bench's DataplaneConfig. */
  config?: Partial<DataplaneConfig>;
  /** The CPU the switch process is pinned to (default 1). */
  cpu?: number;
}

export function benchDataplaneConfig(): DataplaneConfig {
  return {
    vtepAddress: LOCAL_VTEP,
    underlayInterface: UNDERLAY_IF,
    underlayMtu: UNDERLAY_MTU,
    vnis: [
      {
        vni: VNI,
        mode: 'static',
        vxlanPort: VXLAN_PORT,
        ports: [{ name: MEMBER_IF, kind: 'packet' }],
        floodList: [REMOTE_VTEP],
      },
    ],
  };
}

export function vxswitchEngine(options: VxswitchEngineOptions = {}): Engine {
  let child: ChildProcess | undefined;
  let lastLine = '';
  let stderr = '';
  const notes: string[] = [];
  return {
    name: 'vxswitch',
    async start(t: Topology): Promise<void> {
      const extras: SwitchExtras = { remotes: [{ vni: VNI, mac: DST_MAC, vtep: REMOTE_VTEP }] };
      // One forwarding thread: CPU 1 alone. More: CPU 1 and the generator's CPU 0 (a 2-core machine has no more).
      const cpus = (options.config?.workers ?? 1) > 1 ? '1,0' : String(options.cpu ?? 1);
      const nodeArgs = options.cpuProfDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
      const c = track(
        spawn(
          'ip',
          ['netns', 'exec', t.sw, ...niceCmd(['taskset', '-c', cpus, process.execPath, ...nodeArgs, SWITCH_PROCESS,
            JSON.stringify({ ...benchDataplaneConfig(), ...options.config }), JSON.stringify(extras)]).flat()],
          { stdio: ['pipe', 'pipe', 'pipe'] },
        ),
      );
      child = c;
      c.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8192)));
      const lines = createInterface({ input: c.stdout! });
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`switch process: no "ready" within 15 s; stderr: ${stderr.trim()}`)), 15_000);
        lines.on('line', (l) => {
          lastLine = l;
          if (l === 'ready') {
            clearTimeout(timer);
            resolve();
          }
        });
        c.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`switch process exited (${code}) before "ready": ${stderr.trim()}`));
        });
      });
    },
    async stop(): Promise<void> {
      const c = child;
      child = undefined;
      if (c === undefined) return;
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      await waitExit(c, 10_000).catch((e: unknown) => notes.push(String(e)));
      try {
        const counters = JSON.parse(lastLine) as { drops: Record<string, number>; threads?: SwitchThreads };
        if (counters.threads !== undefined) notes.push(threadNote(counters.threads));
        const drops = Object.entries(counters.drops).filter(([, n]) => n > 0);
        notes.push(`vxswitch drops over the run: ${drops.length === 0 ? 'none' : drops.map(([k, n]) => `${k} ${n}`).join(', ')}`);
      } catch {
        notes.push('vxswitch: no counters on exit');
      }
      if (stderr.trim() !== '') notes.push(`vxswitch stderr: ${stderr.trim().split('\n').slice(-5).join(' | ')}`);
    },
    // ip netns exec, nice and taskset exec in turn: the pid is node's.
    pid: () => child?.pid,
    notes: () => notes.splice(0),
  };
}

/** What the switch process reports of its threads on exit (switch-process.ts). */
interface SwitchThreads {
  /** Frames each forwarding thread took in: the main thread, then each worker. */
  frames: number[];
  /** utime + stime of every thread, the main thread first, then the busiest. */
  cpu: Array<{ tid: number; main: boolean; ticks: number }>;
}

/**
 * Per-thread cost over the whole run (all loads, both sizes): frames per
 * forwarding thread, CPU of the main thread and of the busiest others
 * (the workers when there are any; thread names do not tell them apart),
 * and CPU microseconds per frame of the forwarding threads together, the
 * figure the projection to more cores divides by (docs/workers.md).
 */
function threadNote(t: SwitchThreads): string {
  const hz = 100; // USER_HZ: clock ticks per second of /proc/PID/task/TID/stat (proc(5))
  const forwarding = t.frames.length;
  const cpu = t.cpu.slice(0, forwarding);
  const frames = t.frames.reduce((a, b) => a + b, 0);
  const seconds = cpu.reduce((a, c) => a + c.ticks, 0) / hz;
  const perFrame = frames > 0 ? ((seconds * 1e6) / frames).toFixed(2) : 'n/a';
  return (
    `vxswitch threads: frames per forwarding thread ${t.frames.join(' / ')}; CPU s of the main thread and the busiest others ` +
    `${cpu.map((c) => (c.ticks / hz).toFixed(1)).join(' / ')}; ${perFrame} CPU us per frame over the forwarding threads`
  );
}
