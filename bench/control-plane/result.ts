// What the control-plane bench measures: per scenario and receiver, the
// times (seconds from the injector's first UPDATE), counts reached and
// memory of each process. benchControlPlane() returns it (JSON-safe);
// report.ts prints it.

import type { ChurnResult } from './churn.js';
import type { ProfileRow } from './cpu-profile.js';
import type { ProbeResult } from './probe.js';

export interface ProcessMemory {
  name: string;
  /** KiB. */
  rssBefore: number;
  rssAfter: number;
  /** VmHWM at the end: the highest RSS the process ever had. */
  peak: number;
  /** CPU time (user + system, ms) the process used between the two readings. */
  cpuMs?: number;
}

export interface ReceiverResult {
  /** "vxswitch direct", "vxswitch via RR", "FRR VTEP via RR", "FRR RR". */
  name: string;
  routes: number;
  /** Seconds from the first write until the first / all of the injected routes were in the RIB; undefined: not reached. */
  firstInRibS?: number;
  allInRibS?: number;
  /** Seconds until all were in the FDB (vxswitch's, or the kernel's for FRR); undefined: not reached (or no FDB: the RR). */
  allInFdbS?: number;
  /** Counts reached (of `routes`) when the wait ended. */
  ribCount: number;
  fdbCount?: number;
  memory: ProcessMemory[];
  /** (sum of RSS after - before) / routes, in KB (1000 bytes) per route. */
  kbPerRoute: number;
  /** vxswitch: the slowest API answer during the wait (ms), i.e. the longest event-loop stall seen. */
  maxApiLatencyMs?: number;
  /** vxswitch: the forwarding probe's flow through it while loading (probe.ts), when the scenario ran one. */
  forwardingProbe?: ProbeResult;
  /** vxswitch: the longest event-loop stall its own timer probe saw during the load (stall-probe.ts), ms. */
  maxStallMs?: number;
  /** CPU time the daemon used during that stall, ms (much less than the stall: it waited for a core). */
  maxStallCpuMs?: number;
  /** Time its main thread waited on a run queue during that stall, ms (for a core: not our work). */
  maxStallRunQueueMs?: number;
  notes: string[];
}

export interface InjectionResult {
  updates: number;
  bytes: number;
  /** ms the injector spent encoding (not timed as injection). */
  encodeMs: number;
  /** ms from the first write until the kernel had taken the last byte (bounded by the receiver's reading). */
  writeMs: number;
}

export interface ScenarioResult {
  scenario: 'direct' | 'via RR';
  injection?: InjectionResult;
  receivers: ReceiverResult[];
  /** Seconds from lab start to teardown. */
  wallS: number;
  error?: string;
  /** CPU profiles written (with cpuProfDir). */
  profiles: string[];
  /**
   * From the first injected UPDATE until vxswitch had everything (or the
   * deadline), in CLOCK_MONOTONIC microseconds, the clock of V8's profile
   * timestamps: the profile summary counts only samples inside it (not the
   * start-up, nor the withdrawal of everything at shutdown).
   */
  loadWindowUs?: [number, number];
}

export interface ControlPlaneRun {
  scenarios: ScenarioResult[];
}

export interface ControlPlaneResult {
  /** Why the section did not run; absent when it ran. */
  skipped?: string;
  /** Why scenario B (FRR) did not run, when it did not. */
  frrSkipped?: string;
  routes: number;
  vni: number;
  runs: ControlPlaneRun[];
  /** With cpuProfDir: the heaviest functions by self time over all profiles, inside the load windows. */
  profile?: ProfileRow[];
  /** With millionRoutes (issue 10): one more run at that size, printed as rows of the same table. */
  million?: { routes: number; timeoutS: number; runs: ControlPlaneRun[] };
  /** MAC moves at scale and a session flap (churn.ts). */
  churn?: ChurnResult;
}

