// One sample a second of the daemon under soak: RSS (/proc/PID/status
// VmRSS), V8 heap used (prom-client's nodejs_heap_size_used_bytes, read by
// the metrics probe), FDB entries (the API's counters), and the API's
// latency: the time of one `neighbors` call over the unix socket (its answer
// also gives the peer's state and accepted routes). A call that does not
// answer within CALL_TIMEOUT_MS leaves its fields null.

import { readFile } from 'node:fs/promises';
import type { VxNeighborStatus, Vxswitch } from '../control-plane/vxswitch-daemon.js';
import { UNDERLAY } from './plan.js';

export interface SoakSample {
  /** Seconds since the run started. */
  t: number;
  rssMiB: number | null;
  heapMiB: number | null;
  fdbEntries: number | null;
  apiMs: number | null;
  peerState: string | null;
  /** Routes accepted from the injector. */
  accepted: number | null;
}

/** The metrics probe's last line (metrics-probe-main.ts). */
export interface ProbeLine {
  t: number;
  heapUsed?: number;
  fdb?: number;
  error?: string;
}

const CALL_TIMEOUT_MS = 5_000;
/** A probe line older than this is not the current heap. */
const PROBE_STALE_MS = 2_500;

/** VmRSS of pid in MiB, null when the process is gone. */
export async function rssMiB(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const m = /^VmRSS:\s+(\d+) kB/m.exec(status);
  return m === null ? null : Number(m[1]) / 1024;
}

function timeout<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  return Promise.race([p.catch(() => null), late]).finally(() => clearTimeout(timer));
}

export async function takeSample(vx: Vxswitch, probe: ProbeLine | undefined, t0: number): Promise<SoakSample> {
  const t = (Date.now() - t0) / 1000;
  const rss = await rssMiB(vx.pid);
  const sent = performance.now();
  const neighbors = await timeout(vx.api.call<VxNeighborStatus[]>('neighbors'), CALL_TIMEOUT_MS);
  const apiMs = neighbors === null ? null : performance.now() - sent;
  const fdb = await timeout(vx.fdbEntries(), CALL_TIMEOUT_MS);
  const peer = neighbors?.find((n) => n.address === UNDERLAY.injector);
  const fresh = probe !== undefined && probe.heapUsed !== undefined && Date.now() - probe.t < PROBE_STALE_MS;
  return {
    t,
    rssMiB: rss,
    heapMiB: fresh ? probe.heapUsed! / (1 << 20) : null,
    fdbEntries: fdb,
    apiMs,
    peerState: peer?.state ?? null,
    accepted: peer?.accepted ?? null,
  };
}
