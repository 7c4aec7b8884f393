// One clock for the control-plane bench: epoch milliseconds with sub-ms
// resolution, the same in every process on the machine (the injector stamps
// its writes with it, the bench its polls), and the conversion to
// CLOCK_MONOTONIC microseconds, the clock of V8's CPU profiles.

/** performance.timeOrigin + performance.now(): ms since the epoch. */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** An epoch-ms time of now() as CLOCK_MONOTONIC microseconds (process.hrtime and V8's profiler use that clock). */
export function monotonicUs(epochMs: number): number {
  const mono = Number(process.hrtime.bigint() / 1000n);
  return mono - (now() - epochMs) * 1000;
}
