// Issue 9 items 9 and 12: the max-prefixes and dynamic-neighbor series, read
// from neighbors() at scrape time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NeighborStatus } from '../../src/control/speaker.js';
import type { DataplaneCounters } from '../../src/dataplane/dataplane.js';
import { createMetricsRegistry } from '../../src/daemon/metrics.js';

const base: Omit<NeighborStatus, 'address' | 'prefixLimits' | 'dynamicRange'> = {
  peerAs: 65000,
  state: 'established',
  since: 1,
  routerId: '10.0.0.9',
  families: ['l2vpn-evpn'],
  received: 812,
  accepted: 812,
  advertised: 0,
  holdTime: 9,
  lastDown: null,
  messages: { received: 1, sent: 1 },
};

test('metrics: vxswitch_bgp_prefix_limit{,_routes,_exceeded_total} per neighbor and family, vxswitch_bgp_dynamic_neighbors per prefix', async () => {
  const neighbors: NeighborStatus[] = [
    { ...base, address: '10.0.0.2', prefixLimits: [{ family: 'l2vpn-evpn', received: 812, maxPrefixes: 1000, warningThreshold: 750, exceeded: 2 }], dynamicRange: null },
    { ...base, address: '10.9.0.7', prefixLimits: [], dynamicRange: '10.9.0.0/24' },
    { ...base, address: '10.9.0.8', prefixLimits: [], dynamicRange: '10.9.0.0/24' },
  ];
  // Only BGP series are read here: the dataplane snapshot is never looked at.
  const registry = createMetricsRegistry({ counters: () => ({}) as DataplaneCounters, neighbors: () => neighbors }, { defaultMetrics: false });
  const value = async (name: string): Promise<Array<{ labels: object; value: number }>> =>
    (await registry.getSingleMetric(name)!.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
  assert.deepEqual(await value('vxswitch_bgp_prefix_limit'), [{ labels: { neighbor: '10.0.0.2', family: 'l2vpn-evpn' }, value: 1000 }]);
  assert.deepEqual(await value('vxswitch_bgp_prefix_limit_routes'), [{ labels: { neighbor: '10.0.0.2', family: 'l2vpn-evpn' }, value: 812 }]);
  assert.deepEqual(await value('vxswitch_bgp_prefix_limit_exceeded_total'), [{ labels: { neighbor: '10.0.0.2', family: 'l2vpn-evpn' }, value: 2 }]);
  assert.deepEqual(await value('vxswitch_bgp_dynamic_neighbors'), [{ labels: { prefix: '10.9.0.0/24' }, value: 2 }]);
});
