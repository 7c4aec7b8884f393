// Issue 9 items 9 and 12, the config keys: prefix-limit per afi-safi
// (GoBGP's names), [[peer-groups]] + [[dynamic-neighbors]], every address of
// local-address-list; bad values stop start-up with a line naming the key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../src/daemon/config-file.js';

const F = 'vx.toml';
const interfaceExists = (): boolean => true;

function parse(text: string): ReturnType<typeof parseConfig> {
  return parseConfig(F, text, { interfaceExists });
}

function problems(text: string): string[] {
  try {
    parse(text);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.problems;
  }
  assert.fail('expected a ConfigError');
}

const GLOBAL = '[global.config]\nas = 65000\nrouter-id = "10.0.0.1"\n';
const NEIGHBOR = (limit: string): string => `
[[neighbors]]
[neighbors.config]
neighbor-address = "10.0.0.2"
peer-as = 65000
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "l2vpn-evpn"
${limit}`;

test('prefix-limit: GoBGP keys become the neighbor\'s prefixLimits; no limit by default', () => {
  const c = parse(GLOBAL + NEIGHBOR('[neighbors.afi-safis.prefix-limit.config]\nmax-prefixes = 1000\nshutdown-threshold-pct = 80\nrestart-timer = 30\n'));
  assert.deepEqual(c.speaker.neighbors[0]!.prefixLimits, { 'l2vpn-evpn': { maxPrefixes: 1000, warningThresholdPct: 80, restartTimer: 30 } });
  const w = parse(GLOBAL + NEIGHBOR('[neighbors.afi-safis.prefix-limit.config]\nmax-prefixes = 5\nprevent-teardown = true\n'));
  assert.deepEqual(w.speaker.neighbors[0]!.prefixLimits, { 'l2vpn-evpn': { maxPrefixes: 5, preventTeardown: true } });
  assert.equal(parse(GLOBAL + NEIGHBOR('')).speaker.neighbors[0]!.prefixLimits, undefined, 'no limit unless configured');
});

test('prefix-limit: out-of-range values name the key', () => {
  assert.deepEqual(problems(GLOBAL + NEIGHBOR('[neighbors.afi-safis.prefix-limit.config]\nmax-prefixes = 0\n')), [
    'vx.toml: neighbors[0].afi-safis[0].prefix-limit.config.max-prefixes = 0: expected a number of routes 1..4294967295',
  ]);
  assert.deepEqual(problems(GLOBAL + NEIGHBOR('[neighbors.afi-safis.prefix-limit.config]\nmax-prefixes = 10\nshutdown-threshold-pct = 120\n')), [
    'vx.toml: neighbors[0].afi-safis[0].prefix-limit.config.shutdown-threshold-pct = 120: expected a percentage 0..100 of max-prefixes (0: no warning)',
  ]);
  assert.deepEqual(problems(GLOBAL + NEIGHBOR('[neighbors.afi-safis.prefix-limit.config]\nmax-prefix = 10\n')), [
    'vx.toml: neighbors[0].afi-safis[0].prefix-limit.config.max-prefixes = missing: expected a number of routes 1..4294967295',
    'vx.toml: neighbors[0].afi-safis[0].prefix-limit.config.max-prefix: unknown key; did you mean "max-prefixes"?',
  ]);
});

const DYNAMIC = `
[[peer-groups]]
[peer-groups.config]
peer-group-name = "leaves"
peer-as = 65001
[peer-groups.timers.config]
hold-time = 9
[[peer-groups.afi-safis]]
[peer-groups.afi-safis.config]
afi-safi-name = "l2vpn-evpn"
[peer-groups.afi-safis.prefix-limit.config]
max-prefixes = 200000

[[dynamic-neighbors]]
[dynamic-neighbors.config]
prefix = "10.9.0.0/24"
peer-group = "leaves"
max-neighbors = 20
`;

test('dynamic-neighbors with a peer group become the speaker\'s ranges; local-address-list keeps every address', () => {
  const c = parse(GLOBAL.replace('router-id = "10.0.0.1"', 'router-id = "10.0.0.1"\nlocal-address-list = ["10.0.0.1", "fd00::1"]') + DYNAMIC);
  assert.deepEqual(c.speaker.dynamicNeighbors, [
    {
      prefix: '10.9.0.0/24',
      maxNeighbors: 20,
      template: { peerAs: 65001, families: ['l2vpn-evpn'], holdTime: 9, prefixLimits: { 'l2vpn-evpn': { maxPrefixes: 200000 } } },
    },
  ]);
  assert.deepEqual(c.speaker.listenAddress, ['10.0.0.1', 'fd00::1']);
  assert.equal(parse(GLOBAL.replace('router-id = "10.0.0.1"', 'router-id = "10.0.0.1"\nlocal-address-list = ["10.0.0.1"]')).speaker.listenAddress, '10.0.0.1');
});

test('dynamic-neighbors: an unknown peer group, a bad prefix and a zero bound are named', () => {
  const bad = DYNAMIC.replace('peer-group = "leaves"', 'peer-group = "spines"').replace('"10.9.0.0/24"', '"10.9.0.0/33"').replace('max-neighbors = 20', 'max-neighbors = 0');
  assert.deepEqual(problems(GLOBAL + bad), [
    'vx.toml: dynamic-neighbors[0].config.prefix = "10.9.0.0/33": expected an IP prefix like "10.0.0.0/24" or "2001:db8::/64"',
    'vx.toml: dynamic-neighbors[0].config.max-neighbors = 0: expected a number of neighbors 1..65535 (default 100)',
  ]);
  assert.deepEqual(problems(GLOBAL + DYNAMIC.replace('peer-group = "leaves"', 'peer-group = "spines"')), [
    'vx.toml: dynamic-neighbors[0].config.peer-group = "spines": expected a peer-group-name of [[peer-groups]] ("leaves")',
  ]);
});
