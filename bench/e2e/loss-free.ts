// The highest loss-free rate ("knee") of the VTEP under test, by bisection
// of the offered rate (docs/benchmarking.md "Loss, the loss-free rate and overload"):
//   1. overload: the generator at its maximum (also the warm-up run);
//   2. probe the rate the overload run delivered, and while that passes,
//      half again more, up to the generator's ceiling: a VTEP that passes
//      there is generator-limited (reported ">=");
//   3. bisect between the highest passing and the lowest failing rate with
//      short runs until they are within `resolution` of each other, or
//      `maxSteps` rates were tried in all (a failing rate is tried twice);
//   4. confirm with `confirmRuns` longer runs at the highest passing rate;
//      if their median loss fails, step down 7 % and confirm again, twice at
//      most (a rate whose confirmation still failed is printed with its
//      loss).
// Pass = loss under `passLoss` (0.5 %) of the offered frames.

import type { CpuShares } from './cpu-stat.js';
import { loadRun, type LoadRun } from './load.js';
import type { Topology } from './topology.js';

export interface KneeOptions {
  bisectSeconds: number;
  confirmSeconds: number;
  confirmRuns: number;
  passLoss: number;
  /** Stop bisecting when (fail - pass) / fail is below this. */
  resolution: number;
  maxSteps: number;
}

export const DEFAULT_KNEE: KneeOptions = {
  bisectSeconds: 2,
  confirmSeconds: 3,
  confirmRuns: 3,
  passLoss: 0.005,
  resolution: 0.04,
  maxSteps: 6,
};

export interface KneeResult {
  size: number;
  overload: LoadRun;
  /** Every bisection run, in order. */
  steps: LoadRun[];
  /** The confirming runs of the rate reported. */
  confirm: LoadRun[];
  /** Median offered rate of the confirming runs (they passed): the loss-free rate. */
  rate: number;
  /** Median loss of the confirming runs. */
  loss: number;
  /** Median CPU 1 shares of the confirming runs (cpu-stat.ts). */
  cpu: CpuShares;
  /** The VTEP passed at the generator's ceiling, or the generator could not pace the next rate up: the true knee is at least `rate`. */
  generatorLimited: boolean;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Round a rate down to 1000 frames/s, so runs print and repeat cleanly. */
function k(rate: number): number {
  return Math.max(1000, Math.floor(rate / 1000) * 1000);
}

/**
 * Find the knee for one frame size. `ceiling` is the highest rate the
 * generator can pace (measured beforehand with no VTEP in the way).
 */
export async function findKnee(
  t: Topology,
  size: number,
  ceiling: number,
  o: KneeOptions = DEFAULT_KNEE,
  switchPid?: number,
): Promise<KneeResult> {
  const steps: LoadRun[] = [];
  const runOpts = switchPid !== undefined ? { switchPid } : {};
  const passes = (r: LoadRun): boolean => r.loss < o.passLoss && !short(r);
  // The generator fell behind its pace (the shared CPU 0): the run says
  // nothing about this rate. Counted as not passing; if the VTEP lost
  // nothing, the rate is remembered as a generator limit.
  const short = (r: LoadRun): boolean => r.rate > 0 && r.offeredRate < 0.97 * r.rate;
  const generatorShort = new Set<number>();
  // A failing step is tried once more: on a shared machine a stall of a few
  // milliseconds overflows a 1000-frame backlog and fails a run that the
  // VTEP would otherwise carry; the confirming runs still decide.
  const step = async (rate: number): Promise<boolean> => {
    for (let attempt = 0; attempt < 2; attempt++) {
      const r = await loadRun(t, size, o.bisectSeconds, rate, runOpts);
      steps.push(r);
      if (passes(r)) return true;
      if (short(r) && r.loss < o.passLoss) generatorShort.add(rate);
    }
    return false;
  };
  const overload = await loadRun(t, size, o.bisectSeconds, 0, runOpts);
  // A paced generator holds a little under its free-running ceiling (the
  // calibration's, or what it got into the member port just now if more:
  // the shared machine makes either vary).
  const top = k(Math.max(ceiling, overload.sent / overload.seconds) * 0.95);
  let lo = 0; // highest rate that passed (0: none yet)
  let hi = top + 1000; // lowest rate that failed (above the ceiling: none yet)
  let tried = 0;
  // Up from the overload run's delivered rate by half again while it
  // passes (paced, a VTEP may carry more than it delivers when overloaded),
  // up to the generator's ceiling.
  for (let next = Math.min(top, k(overload.deliveredRate)); tried < o.maxSteps; ) {
    tried++;
    if (!(await step(next))) {
      hi = next;
      break;
    }
    lo = next;
    if (next >= top) break;
    next = Math.min(top, k(next * 1.5));
  }
  let generatorLimited = lo === top;
  for (; !generatorLimited && tried < o.maxSteps && (hi - lo) / hi > o.resolution; tried++) {
    // Until something passed, halve downwards; then bisect.
    const mid = k(lo === 0 ? hi / 2 : (lo + hi) / 2);
    if (mid <= lo || mid >= hi) break;
    if (await step(mid)) lo = mid;
    else hi = mid;
  }
  // The lowest failing rate failed only for the generator: the VTEP's knee lies above what we could offer.
  if (generatorShort.has(hi) && (hi - lo) / hi <= o.resolution) generatorLimited = true;
  if (lo === 0) lo = k(hi / 2);
  let confirm: LoadRun[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    if (attempt > 0) {
      generatorLimited = false;
      lo = k(lo * 0.93);
    }
    confirm = [];
    for (let i = 0; i < o.confirmRuns; i++) confirm.push(await loadRun(t, size, o.confirmSeconds, lo, runOpts));
    if (median(confirm.map((r) => r.loss)) < o.passLoss) break;
  }
  return {
    size,
    overload,
    steps,
    confirm,
    rate: median(confirm.map((r) => r.offeredRate)),
    loss: median(confirm.map((r) => r.loss)),
    cpu: {
      busy: median(confirm.map((r) => r.cpu.busy)),
      softirq: median(confirm.map((r) => r.cpu.softirq)),
      process: median(confirm.map((r) => r.cpu.process)),
    },
    generatorLimited,
  };
}
