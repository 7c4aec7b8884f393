import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dropDelta, startDropSummary } from '../../src/daemon/drop-summary.js';

test('drop summary: only reasons that grew, by how much', () => {
  assert.deepEqual(dropDelta({ mtu: 2, 'vxlan-flags': 5 }, { mtu: 2, 'vxlan-flags': 9, 'no-vni': 1 }), { 'vxlan-flags': 4, 'no-vni': 1 });
  assert.deepEqual(dropDelta({ mtu: 2 }, { mtu: 2 }), {});
});

test('drop summary: one report per interval with drops, none without', async () => {
  let counts: Record<string, number> = { mtu: 0 };
  const reports: Array<[Record<string, number>, number]> = [];
  const stop = startDropSummary(() => counts, (d, t) => reports.push([d, t]), 30);
  counts = { mtu: 1000 }; // a burst: still one line
  await new Promise((r) => setTimeout(r, 45));
  await new Promise((r) => setTimeout(r, 60)); // a quiet interval: no line
  stop();
  assert.deepEqual(reports, [[{ mtu: 1000 }, 1000]]);
});
