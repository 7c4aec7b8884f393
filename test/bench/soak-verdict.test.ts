// The soak's verdict rule (bench/soak/verdict.ts) and its summary of
// samples (bench/soak/report.ts): series that level off, swing or fall are
// "bounded"; one that keeps climbing "grows".

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { linearFit, summarize, windowPeaks, type Point } from '../../bench/soak/verdict.js';
import { summaries } from '../../bench/soak/report.js';
import type { SoakSample } from '../../bench/soak/sampler.js';

const RUN_S = 600;
const series = (f: (t: number) => number): Point[] => Array.from({ length: RUN_S + 1 }, (_, t) => ({ t, v: f(t) }));

test('linearFit: recovers slope and intercept of a line; a single time has slope 0', () => {
  const fit = linearFit(series((t) => 3 + 0.5 * t));
  assert.ok(Math.abs(fit.slope - 0.5) < 1e-9);
  assert.ok(Math.abs(fit.intercept - 3) < 1e-6);
  assert.equal(linearFit([{ t: 5, v: 1 }, { t: 5, v: 9 }]).slope, 0);
  assert.equal(linearFit([]).slope, 0);
});

test('verdict: a fill that levels off is bounded, though it rose a lot in the first half', () => {
  const s = summarize('fdb', 'entries', series((t) => Math.min(100_000, t * 2000)), RUN_S);
  assert.equal(s.verdict, 'bounded');
  assert.equal(s.start, 0);
  assert.equal(s.max, 100_000);
  assert.equal(s.end, 100_000);
  assert.equal(s.mean, 100_000);
});

test('verdict: a steady climb is "grows" (RSS +0.1 MiB/s on 200 MiB: +60 MiB per run is 30 %)', () => {
  const s = summarize('rss', 'MiB', series((t) => 200 + 0.1 * t), RUN_S);
  assert.equal(s.verdict, 'grows');
  assert.ok(Math.abs(s.slopePerS - 0.1) < 1e-9);
  assert.ok(Math.abs(s.growth - 60) < 1e-6);
});

test('verdict with 30 s window peaks: a sawtooth of 10 periods is bounded, as the raw samples\' fit is not', () => {
  // The raw fit leans with the teeth (+27 per s × 600 s against a mean of 43,500: "grows").
  const saw = series((t) => (t % 30) * 3000);
  assert.equal(summarize('fdb', 'entries', saw, RUN_S).verdict, 'grows');
  const s = summarize('fdb', 'entries', saw, RUN_S, 30);
  assert.equal(s.verdict, 'bounded');
  assert.equal(s.mean, 87_000);
  assert.equal(s.slopePerS, 0);
  // A leak under the same sawtooth lifts every peak.
  assert.equal(summarize('rss', 'MiB', series((t) => 200 + 0.1 * t + (t % 30)), RUN_S, 30).verdict, 'grows');
});

test('windowPeaks: the maximum of each window at its middle', () => {
  assert.deepEqual(windowPeaks([{ t: 0, v: 1 }, { t: 10, v: 5 }, { t: 29, v: 2 }, { t: 31, v: 7 }, { t: 95, v: 3 }], 30), [
    { t: 15, v: 5 },
    { t: 45, v: 7 },
    { t: 105, v: 3 },
  ]);
});

test('verdict: the 10 % line — just under is bounded, just over grows', () => {
  // mean over the last half of 1000 + k·t is 1000 + k·450; growth k·600.
  const at = (k: number): string => summarize('x', 'u', series((t) => 1000 + k * t), RUN_S).verdict;
  assert.equal(at(0.15), 'bounded'); // 90 < 0.1 × 1067.5
  assert.equal(at(0.2), 'grows'); // 120 >= 0.1 × 1090
  const peaks = (k: number): string => summarize('x', 'u', series((t) => 1000 + k * t), RUN_S, 30).verdict;
  assert.equal(peaks(0.15), 'bounded');
  assert.equal(peaks(0.2), 'grows');
});

test('verdict: the FDB under a peer flapping every 30 s (emptied, refilled in 3 s) and a falling series are bounded', () => {
  for (const phase of [0, 7, 17]) {
    const flapping = series((t) => ((t + phase) % 30 < 3 ? ((t + phase) % 30) * 33_000 : 100_000));
    assert.equal(summarize('fdb', 'entries', flapping, RUN_S).verdict, 'bounded', `phase ${phase}`);
  }
  assert.equal(summarize('heap', 'MiB', series((t) => 500 - 0.5 * t), RUN_S).verdict, 'bounded');
});

test('verdict: non-finite samples are skipped; none at all is "no data"', () => {
  const pts = series((t) => (t % 7 === 0 ? NaN : 50));
  const s = summarize('api', 'ms', pts, RUN_S);
  assert.equal(s.verdict, 'bounded');
  assert.equal(s.samples, pts.filter((p) => Number.isFinite(p.v)).length);
  assert.equal(summarize('api', 'ms', series(() => NaN), RUN_S).verdict, 'no data');
  // Interrupted before one whole 30 s window: nothing to judge, but what was seen is kept.
  const short = summarize('rss', 'MiB', Array.from({ length: 14 }, (_, t) => ({ t, v: 100 + t })), 13, 30);
  assert.equal(short.verdict, 'no data');
  assert.equal(short.max, 113);
});

test('summaries: one row per plotted series, nulls (an unanswered call) skipped', () => {
  const samples: SoakSample[] = Array.from({ length: 100 }, (_, t) => ({
    t,
    rssMiB: 100 + t,
    heapMiB: t % 10 === 0 ? null : 40,
    fdbEntries: 1000,
    apiMs: 2,
    peerState: 'established',
    accepted: 1000,
  }));
  const rows = summaries(samples, 99);
  assert.deepEqual(rows.map((r) => r.name), ['RSS', 'V8 heap used', 'FDB entries', 'API latency (neighbors)']);
  assert.deepEqual(rows.map((r) => r.verdict), ['grows', 'bounded', 'bounded', 'bounded']);
  assert.equal(rows[1]!.samples, 90);
});
