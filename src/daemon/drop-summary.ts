// Drops summarised per interval (never a log line per packet): every
// interval, one line with the frames dropped since the last one, by reason,
// and nothing when nothing was dropped.

export type DropCounts = Record<string, number>;

/** Reasons whose count grew since `previous`, with the growth. */
export function dropDelta(previous: DropCounts, current: DropCounts): DropCounts {
  const out: DropCounts = {};
  for (const [reason, n] of Object.entries(current)) {
    const d = n - (previous[reason] ?? 0);
    if (d > 0) out[reason] = d;
  }
  return out;
}

/** Call `report(delta, total)` every `intervalMs` when something was dropped; returns a stop function. */
export function startDropSummary(read: () => DropCounts, report: (delta: DropCounts, total: number) => void, intervalMs = 60_000): () => void {
  let last = read();
  const timer = setInterval(() => {
    const now = read();
    const delta = dropDelta(last, now);
    last = now;
    const total = Object.values(delta).reduce((a, b) => a + b, 0);
    if (total > 0) report(delta, total);
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
