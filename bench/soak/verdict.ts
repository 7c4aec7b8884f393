// Does a series grow without bound? The soak's rule, pure:
//
//   fit a line (least squares) to the last half of the run's samples; the
//   series "grows" when that slope times the whole run's length is 10 % or
//   more of the series' mean over that half, else it is "bounded".
//
// So a series that climbs during the initial fill and then holds (FDB
// entries), or swings around a level (a sawtooth from the peer's flaps), is
// bounded; one that keeps climbing at a rate that would add a tenth of its
// level again over another run is not. A falling series is bounded.

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
  /** Mean over the last half. */
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

/** The summary and verdict of one series over a run of runS seconds (finite points only). */
export function summarize(name: string, unit: string, points: readonly Point[], runS: number): SeriesSummary {
  const ok = points.filter((p) => Number.isFinite(p.v) && Number.isFinite(p.t));
  if (ok.length === 0) return { name, unit, samples: 0, start: NaN, end: NaN, max: NaN, mean: NaN, slopePerS: NaN, growth: NaN, verdict: 'no data' };
  const half = ok.filter((p) => p.t >= runS / 2);
  const tail = half.length >= 2 ? half : ok.slice(-2);
  const { slope } = linearFit(tail);
  const mean = tail.reduce((s, p) => s + p.v, 0) / tail.length;
  const growth = slope * runS;
  return {
    name,
    unit,
    samples: ok.length,
    start: ok[0]!.v,
    end: ok[ok.length - 1]!.v,
    max: Math.max(...ok.map((p) => p.v)),
    mean,
    slopePerS: slope,
    growth,
    verdict: growth < GROWTH_LIMIT * Math.abs(mean) || growth <= 0 ? 'bounded' : 'grows',
  };
}
