// The forwarding probe's reading of a capture (bench/control-plane/probe.ts):
// the largest inter-arrival gap, where it began, gaps over the target, and
// loss counted by distinct sequence numbers (a duplicate is not a delivery).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { probeGaps, GAP_TARGET_MS, type Arrival } from '../../bench/control-plane/probe.js';

/** Frames every 0.1 ms from t = 1000 s, seq = index, with `stall` ms of nothing after frame `at`. */
function flow(n: number, at: number, stall: number): Arrival[] {
  return Array.from({ length: n }, (_, i) => ({ seq: i, time: 1000 + i * 1e-4 + (i > at ? stall / 1000 : 0) }));
}

test('probeGaps: a steady 10,000 frames/s flow has 0.1 ms gaps, nothing over the target, no loss', () => {
  const r = probeGaps(flow(5000, 5000, 0), 5000);
  assert.ok(Math.abs(r.maxGapMs - 0.1) < 1e-3, `max gap ${r.maxGapMs}`);
  assert.equal(r.gapsOverTarget, 0);
  assert.equal(r.received, 5000);
  assert.equal(r.lost, 0);
  assert.ok(Math.abs(r.spanS - 0.4999) < 1e-6);
});

test('probeGaps: a stall shows as one gap of its length, placed from t0; a missing frame is lost', () => {
  const arrivals = flow(5000, 2000, 450).filter((a) => a.seq !== 10);
  const r = probeGaps(arrivals, 5000, 1000_000);
  assert.ok(Math.abs(r.maxGapMs - 450.1) < 1e-3, `max gap ${r.maxGapMs}`);
  assert.ok(Math.abs(r.maxGapAtS! - 0.2) < 1e-6, `at ${r.maxGapAtS}`);
  assert.equal(r.gapsOverTarget, 1);
  assert.equal(r.received, 4999);
  assert.equal(r.lost, 1);
});

test('probeGaps: duplicates do not hide loss; gaps just over the target are counted', () => {
  const a: Arrival[] = [
    { seq: 0, time: 1 },
    { seq: 0, time: 1 + (GAP_TARGET_MS + 1) / 1000 },
    { seq: 1, time: 1 + (2 * GAP_TARGET_MS + 2) / 1000 },
  ];
  const r = probeGaps(a, 3);
  assert.equal(r.received, 2);
  assert.equal(r.lost, 1);
  assert.equal(r.gapsOverTarget, 2);
  assert.equal(r.maxGapAtS, undefined, 'no t0: not placed');
  assert.equal(r.baselineMaxGapMs, 0, 'no t0: no baseline');
});

test('probeGaps: a gap that ends before t0 is the baseline, one that ends after it is the load', () => {
  // 20 ms stall after frame 1000 (t = 1000.1 s), 300 ms stall after frame 3000; t0 between them.
  const arrivals = flow(5000, 1000, 20).map((a) => (a.seq > 3000 ? { ...a, time: a.time + 0.3 } : a));
  const r = probeGaps(arrivals, 5000, 1000_250);
  assert.ok(Math.abs(r.baselineMaxGapMs - 20.1) < 1e-3, `baseline ${r.baselineMaxGapMs}`);
  assert.ok(Math.abs(r.maxGapMs - 300.1) < 1e-3, `loading ${r.maxGapMs}`);
  assert.equal(r.gapsOverTarget, 1, 'the baseline stall is not counted against the load');
  assert.ok(Math.abs(r.maxGapAtS! - (0.3 + 0.02 - 0.25)) < 1e-6, `at ${r.maxGapAtS}`);
});
