// Does a series grow without bound? The soak's rule, pure:
//
//   cut the run into windows of one churn period (the peer flaps once per
//   window) and take each window's peak; fit a line (least squares) to the
//   peaks of the last half of the run; the series "grows" when that slope
//   times the whole run's length is 10 % or more of the mean of those peaks,
//   else it is "bounded".
//
// The peaks, not the samples: the soak's load is periodic (each flap empties
// the FDB and refills it, the heap swings with garbage collection), and a
// line fitted to the raw samples of half a run leans with wherever the dips
// fall in it (10 flaps of a 100,000-entry FDB gave a "slope" of +29,000 per
// run from the dips alone). A leak lifts every window's peak. A series that
// climbs during the initial fill and then holds is bounded; one that keeps
// climbing at a rate that would add a tenth of its level again over another
// run is not; a falling series is bounded. Without a window the samples
// themselves are fitted.

export interface Point {
  /** Seconds since the run started. */
  t: number;
  v: number;
}

export type Verdict = 'bounded' | 'grows' | 'no data';

export interface SeriesSummary {
  name: string;
  unit: string;
  samples: number;
  start: number;
  end: number;
  max: number;
  /** Mean over the last half of what was fitted (the window peaks, or the samples). */
  mean: number;
  /** Slope of the last half's fit, unit per second. */
  slopePerS: number;
  /** slopePerS × the run's length: what another run at that rate would add. */
  growth: number;
  verdict: Verdict;
}

/** Growth at or above this share of the mean is "grows". */
export const GROWTH_LIMIT = 0.1;

/** Least-squares line through the points; slope 0 for fewer than two distinct times. */
export function linearFit(points: readonly Point[]): { slope: number; intercept: number } {
  const n = points.length;
  if (n === 0) return { slope: 0, intercept: 0 };
  let st = 0;
  let sv = 0;
  for (const p of points) {
    st += p.t;
    sv += p.v;
  }
  const mt = st / n;
  const mv = sv / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.t - mt) * (p.v - mv);
    den += (p.t - mt) ** 2;
  }
  const slope = den === 0 ? 0 : num / den;
  return { slope, intercept: mv - slope * mt };
}

const lastOf = (points: readonly Point[]): Point => points[points.length - 1]!;

/** Each window's peak, at the window's middle: windows of windowS seconds from t = 0. */
export function windowPeaks(points: readonly Point[], windowS: number): Point[] {
  const peaks = new Map<number, number>();
  for (const p of points) {
    const w = Math.floor(p.t / windowS);
    peaks.set(w, Math.max(peaks.get(w) ?? -Infinity, p.v));
  }
  return [...peaks].sort((a, b) => a[0] - b[0]).map(([w, v]) => ({ t: (w + 0.5) * windowS, v }));
}

/** The summary and verdict of one series over a run of runS seconds (finite points only); windowS: see the rule above. */
export function summarize(name: string, unit: string, points: readonly Point[], runS: number, windowS?: number): SeriesSummary {
  const ok = points.filter((p) => Number.isFinite(p.v) && Number.isFinite(p.t));
  if (ok.length === 0) return { name, unit, samples: 0, start: NaN, end: NaN, max: NaN, mean: NaN, slopePerS: NaN, growth: NaN, verdict: 'no data' };
  const lastT = lastOf(ok).t;
  // Whole windows only (one sample a second): a last window cut short would have a low peak.
  const fitted = windowS !== undefined && windowS > 0 ? windowPeaks(ok, windowS).filter((p) => p.t + windowS / 2 <= lastT + 1) : ok;
  const half = fitted.filter((p) => p.t >= runS / 2);
  const tail = half.length >= 2 ? half : fitted.slice(-2);
  const seen = { name, unit, samples: ok.length, start: ok[0]!.v, end: lastOf(ok).v, max: Math.max(...ok.map((p) => p.v)) };
  // A run shorter than one whole window has nothing to judge.
  if (tail.length === 0) return { ...seen, mean: NaN, slopePerS: NaN, growth: NaN, verdict: 'no data' };
  const { slope } = linearFit(tail);
  const mean = tail.reduce((s, p) => s + p.v, 0) / tail.length;
  const growth = slope * runS;
  return {
    ...seen,
    mean,
    slopePerS: slope,
    growth,
    verdict: growth < GROWTH_LIMIT * Math.abs(mean) || growth <= 0 ? 'bounded' : 'grows',
  };
}
