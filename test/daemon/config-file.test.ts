// The daemon's config loader: every broken config stops start-up with one
// exact line per problem (file, key path, value, what is expected; a
// did-you-mean for unknown keys), good configs become the expected
// VtepConfig, and a goplane user's gobgpd.conf + goplaned.conf pair (as
// goplane's netlink demo writes them) merges into one config.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ConfigError, didYouMean, loadConfig, parseConfig, parseConfigs, type VtepConfig } from '../../src/daemon/config-file.js';
import { F, interfaceExists, problems, toml } from '../helpers/config-toml.js';


const broken: Array<[name: string, text: string, lines: string[]]> = [
  ['bad AS (0)', toml({ global: 'as = 0\nrouter-id = "10.0.0.1"' }), [`${F}: global.config.as = 0: expected an AS number 1..4294967295`]],
  ['bad AS (too big)', toml({ global: 'as = 4294967296\nrouter-id = "10.0.0.1"' }), [`${F}: global.config.as = 4294967296: expected an AS number 1..4294967295`]],
  ['bad AS (a string)', toml({ global: 'as = "65000"\nrouter-id = "10.0.0.1"' }), [`${F}: global.config.as = "65000": expected an AS number 1..4294967295`]],
  ['router-id not an IPv4 address', toml({ global: 'as = 65000\nrouter-id = "2001:db8::1"' }), [`${F}: global.config.router-id = "2001:db8::1": expected an IPv4 address`]],
  [
    'VNI above 16777215',
    toml({ vni: 'vni = 16777216\nmember-interfaces = ["eth1"]' }),
    [`${F}: dataplane.virtual-network-list[0].vni = 16777216: expected a VNI 1..16777215 (24 bits)`],
  ],
  [
    'the same VNI twice',
    toml({ extra: '[[dataplane.virtual-network-list]]\nvni = 10\nmember-interfaces = ["eth2"]' }),
    [`${F}: dataplane.virtual-network-list[1].vni = 10: expected a VNI not configured twice`],
  ],
  [
    'an unknown key (with a did-you-mean)',
    toml({ neighbor: 'neighbor-address = "10.0.0.2"\npeer-as = 65000\nhold-tme = 9' }),
    [`${F}: neighbors[0].config.hold-tme: unknown key`],
  ],
  [
    'a British spelling of a key',
    toml({ neighbor: 'neighbour-address = "10.0.0.2"\npeer-as = 65000' }),
    [
      `${F}: neighbors[0].config.neighbor-address = missing: expected an IP address`,
      `${F}: neighbors[0].config.neighbour-address: unknown key; did you mean "neighbor-address"?`,
    ],
  ],
  ['an unknown top-level table', toml({ extra: '[dataplan]\ntype = "userspace"' }), [`${F}: dataplan: unknown key; did you mean "dataplane"?`]],
  [
    'port 0',
    toml({ vni: 'vni = 10\nvxlan-port = 0\nmember-interfaces = ["eth1"]' }),
    [`${F}: dataplane.virtual-network-list[0].vxlan-port = 0: expected a UDP/TCP port 1..65535`],
  ],
  [
    'a malformed RD',
    toml({ vni: 'vni = 10\nrd = "65000-10"\nmember-interfaces = ["eth1"]' }),
    [`${F}: dataplane.virtual-network-list[0].rd = "65000-10": expected a route distinguisher like "65000:10" or "10.0.0.1:5"`],
  ],
  ['a neighbor without an address', toml({ neighbor: 'peer-as = 65000' }), [`${F}: neighbors[0].config.neighbor-address = missing: expected an IP address`]],
  [
    'a member interface that does not exist',
    toml({ vni: 'vni = 10\nmember-interfaces = ["eth1", "eth9"]' }),
    [`${F}: dataplane.virtual-network-list[0].member-interfaces[1] = "eth9": expected an existing interface`],
  ],
  [
    'a neighbor-interface (BGP unnumbered, goplane demo) is refused, not ignored',
    toml({ neighbor: 'neighbor-interface = "eth1"\npeer-as = 65000' }),
    [
      `${F}: neighbors[0].config.neighbor-address = missing: expected an IP address`,
      `${F}: neighbors[0].config.neighbor-interface = "eth1": expected neighbor-address (BGP unnumbered peering over an interface is not supported)`,
    ],
  ],
  [
    'a local-as other than the global as',
    toml({ neighbor: 'neighbor-address = "10.0.0.2"\npeer-as = 65000\nlocal-as = 65009' }),
    [`${F}: neighbors[0].config.local-as = 65009: expected the global as 65000 (a per-neighbor local AS is not supported)`],
  ],
  [
    'a sniff interface that is not a member',
    toml({ vni: 'vni = 10\nmember-interfaces = ["eth1"]\nsniff-interfaces = ["eth2"]' }),
    [`${F}: dataplane.virtual-network-list[0].sniff-interfaces[0] = "eth2": expected one of member-interfaces (vxswitch learns on every member port)`],
  ],
  [
    'dataplane type netlink (goplane) instead of userspace',
    toml().replace('type = "userspace"', 'type = "netlink"'),
    [`${F}: dataplane.type = "netlink": expected "userspace" (vxswitch is the dataplane; goplane's "netlink" does not apply)`],
  ],
  [
    'an underlay sender that does not exist',
    toml().replace('type = "userspace"', 'type = "userspace"\nunderlay-sender = "xdp"'),
    [`${F}: dataplane.underlay-sender = "xdp": expected one of "af-xdp", "tx-ring", "socket"`],
  ],
  ['no forwarding worker', toml().replace('type = "userspace"', 'type = "userspace"\nworkers = 0'), [`${F}: dataplane.workers = 0: expected a number of forwarding threads 1..64`]],
  ['a fraction of a worker', toml().replace('type = "userspace"', 'type = "userspace"\nworkers = 1.5'), [`${F}: dataplane.workers = 1.5: expected a number of forwarding threads 1..64`]],
  [
    'several problems at once, one line each',
    toml({ global: 'as = 0\nrouter-id = "x"', vni: 'vni = 0\nvxlan-port = 70000' }),
    [
      `${F}: global.config.as = 0: expected an AS number 1..4294967295`,
      `${F}: global.config.router-id = "x": expected an IPv4 address`,
      `${F}: dataplane.virtual-network-list[0].vni = 0: expected a VNI 1..16777215 (24 bits)`,
      `${F}: dataplane.virtual-network-list[0].vxlan-port = 70000: expected a UDP/TCP port 1..65535`,
    ],
  ],
];

for (const [name, text, lines] of broken) {
  test(`broken config: ${name}`, () => {
    assert.deepEqual(problems(text), lines);
  });
}

test('broken config: TOML syntax error names file, line and column', () => {
  assert.deepEqual(problems('[global.config\nas = 65000\n'), [`${F}:1:15: TOML syntax error: Invalid TOML document: illegal character in key`]);
});

test('broken config: the real interface check reads /sys/class/net (lo exists, a made-up name does not; TAPs exempt)', () => {
  const text = toml({ vni: 'vni = 10\nmember-interfaces = ["lo", "vxnothere0"]\ntap-interfaces = ["vxtapnew0"]' });
  try {
    parseConfig(F, text);
    assert.fail('accepted');
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.problems, [`${F}: dataplane.virtual-network-list[0].member-interfaces[1] = "vxnothere0": expected an existing interface`]);
  }
});

test('broken config: an unreadable file', async () => {
  await assert.rejects(loadConfig('/nonexistent/vx.toml'), (e: unknown) => {
    assert.ok(e instanceof ConfigError);
    assert.deepEqual(e.problems, ['/nonexistent/vx.toml: cannot read the config file (no such file)']);
    return true;
  });
});

test('didYouMean: closest key by edit distance, nothing when far', () => {
  assert.equal(didYouMean('neighbour-address', ['neighbor-address', 'peer-as']), 'neighbor-address');
  assert.equal(didYouMean('vxlan_port', ['vni', 'vxlan-port', 'rd']), 'vxlan-port');
  // goplane's old CamelCase keys point to the kebab-case ones.
  assert.equal(didYouMean('PeerAs', ['peer-as', 'local-as']), 'peer-as');
  assert.equal(didYouMean('completely-different', ['vni', 'rd']), undefined);
});

test('good config: every key becomes the VtepConfig field it names', () => {
  const text = `
[global.config]
as = 65000
router-id = "10.0.0.1"
port = 1790
local-address-list = ["10.0.0.1"]

[[neighbors]]
[neighbors.config]
neighbor-address = "10.0.0.2"
peer-as = 65001
peer-type = "external"
[neighbors.timers.config]
connect-retry = 5
hold-time = 30
keepalive-interval = 10
[neighbors.transport.config]
local-address = "10.0.0.1"
passive-mode = false
[neighbors.graceful-restart.config]
enabled = true
restart-time = 60
[[neighbors.afi-safis]]
[neighbors.afi-safis.config]
afi-safi-name = "l2vpn-evpn"

[dataplane]
type = "userspace"
vtep-address = "10.1.0.1"
underlay-interface = "eth1"
aging-time = 120
underlay-sender = "tx-ring"
workers = 2

[[dataplane.virtual-network-list]]
vni = 100
vxlan-port = 4789
rd = "10.0.0.1:100"
etag = 0
vtep-interface = "vtep100"
member-interfaces = ["eth2", "eth3"]
sniff-interfaces = ["eth2"]
import-route-targets = ["*:100"]
export-route-targets = ["65000:100"]

[[dataplane.virtual-network-list]]
vni = 200
mode = "static"
tap-interfaces = ["tap200"]
flood-list = ["10.1.0.2", "10.1.0.3"]

[log]
level = "debug"
`;
  const expected: VtepConfig = {
    speaker: {
      asn: 65000,
      routerId: '10.0.0.1',
      vtep: '10.1.0.1',
      neighbors: [
        {
          neighborAddress: '10.0.0.2',
          peerAs: 65001,
          families: ['l2vpn-evpn'],
          holdTime: 30,
          keepaliveInterval: 10,
          connectRetry: 5,
          localAddress: '10.0.0.1',
          passive: false,
          gracefulRestartTime: 60,
        },
      ],
      vnis: [{ vni: 100, vtep: '10.1.0.1', rd: '10.0.0.1:100', etag: 0, importRts: ['*:100'], exportRts: ['65000:100'] }],
      listenPort: 1790,
      listenAddress: '10.0.0.1',
    },
    dataplane: {
      vtepAddress: '10.1.0.1',
      vnis: [
        {
          vni: 100,
          mode: 'evpn',
          ports: [
            { name: 'eth2', kind: 'packet' },
            { name: 'eth3', kind: 'packet' },
          ],
          vxlanPort: 4789,
        },
        { vni: 200, mode: 'static', ports: [{ name: 'tap200', kind: 'tap' }], floodList: ['10.1.0.2', '10.1.0.3'] },
      ],
      underlayInterface: 'eth1',
      agingSeconds: 120,
      underlaySender: 'tx-ring',
      workers: 2,
    },
    logLevel: 'debug',
  };
  assert.deepEqual(parseConfig(F, text, { interfaceExists }), expected);
});

// ---- goplane: two -f files ----

const fixture = (name: string): string => fileURLToPath(new URL(`../../../test/fixtures/goplane/${name}`, import.meta.url));

test('goplane: gobgpd.conf + goplaned.conf (demo style, type changed to userspace) merge into the expected VtepConfig', async () => {
  const config = await loadConfig([fixture('gobgpd.conf'), fixture('goplaned.conf')], { interfaceExists });
  const families = ['ipv4-unicast', 'l2vpn-evpn'] as const;
  const expected: VtepConfig = {
    speaker: {
      asn: 65001,
      routerId: '192.168.0.1',
      vtep: '192.168.0.1',
      neighbors: [
        { neighborAddress: '192.168.10.3', peerAs: 65002, families: [...families] },
        { neighborAddress: '192.168.10.4', peerAs: 65003, families: [...families], passive: true, authPassword: 'secret' },
      ],
      vnis: [
        { vni: 10, vtep: '192.168.0.1', rd: '65001:10', etag: 10 },
        { vni: 20, vtep: '192.168.0.1', rd: '65001:20', etag: 20 },
      ],
    },
    dataplane: {
      vtepAddress: '192.168.0.1',
      vnis: [
        // sniff-interfaces = member-interfaces in goplane's demo: one port, not two.
        { vni: 10, mode: 'evpn', ports: [{ name: 'eth3', kind: 'packet' }], vxlanPort: 8472 },
        { vni: 20, mode: 'evpn', ports: [{ name: 'eth4', kind: 'packet' }], vxlanPort: 8472 },
      ],
    },
    logLevel: 'info',
  };
  assert.deepEqual(config, expected);
});

test('goplane: the order of the two files does not matter', async () => {
  const a = await loadConfig([fixture('gobgpd.conf'), fixture('goplaned.conf')], { interfaceExists });
  const b = await loadConfig([fixture('goplaned.conf'), fixture('gobgpd.conf')], { interfaceExists });
  assert.deepEqual(a, b);
});

test('goplane: a problem names the file it is in', () => {
  const gobgpd = '[global.config]\nas = 65001\nrouter-id = "192.168.0.1"\n[[neighbors]]\n[neighbors.config]\nneighbor-address = "192.168.10.3"\npeer-as = 65002\n';
  const goplaned = '[dataplane]\ntype = "netlink"\n[[dataplane.virtual-network-list]]\nvni = 10\nvtep-interface = "vtep10"\nmember-interfaces = ["eth3"]\ncolor = 10\n';
  assert.throws(
    () => parseConfigs([{ file: 'gobgpd.conf', text: gobgpd }, { file: 'goplaned.conf', text: goplaned }], { interfaceExists }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.problems, [
        'goplaned.conf: dataplane.type = "netlink": expected "userspace" (vxswitch is the dataplane; goplane\'s "netlink" does not apply)',
        'goplaned.conf: dataplane.virtual-network-list[0].color: unknown key',
      ]);
      return true;
    },
  );
});

test('goplane: a key set in both files is a problem, not a silent override', () => {
  const a = '[global.config]\nas = 65001\nrouter-id = "192.168.0.1"\n';
  const b = '[global.config]\nas = 65002\n[dataplane]\ntype = "userspace"\n';
  assert.throws(
    () => parseConfigs([{ file: 'gobgpd.conf', text: a }, { file: 'goplaned.conf', text: b }], { interfaceExists }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(e.problems, ['goplaned.conf: global.config.as: also set in gobgpd.conf; expected each key in one file only']);
      return true;
    },
  );
});

test('goplane: route-server-client is refused with what to use instead', () => {
  const text = toml({ extra: '' }).replace('peer-as = 65000', 'peer-as = 65000\n[neighbors.route-server.config]\nroute-server-client = true');
  assert.deepEqual(problems(text), [`${F}: neighbors[0].route-server = {"config":{"route-server-client":true}}: expected no route-server section (vxswitch is not a route server; use route-reflector)`]);
});

test('FDB shares (issue 9 item 2): max-entries-per-vni, control-reserve, learn-rate, learn-burst reach the dataplane; a reserve that leaves no room is named', () => {
  const dataplane = (keys: string): string => toml().replace('type = "userspace"', `type = "userspace"\n${keys}`);
  const c = parseConfig(F, dataplane('max-entries = 1000\nmax-entries-per-vni = 100\ncontrol-reserve = 50\nlearn-rate = 20\nlearn-burst = 40'), { interfaceExists });
  assert.deepEqual([c.dataplane.maxEntries, c.dataplane.maxEntriesPerVni, c.dataplane.controlReserve, c.dataplane.learnRate, c.dataplane.learnBurst], [1000, 100, 50, 20, 40]);
  assert.deepEqual(problems(dataplane('max-entries = 1000\ncontrol-reserve = 1000')), [`${F}: dataplane.control-reserve = 1000: expected less than dataplane.max-entries (1000)`]);
  assert.deepEqual(problems(dataplane('learn-rate = 10\nlearn-burst = 0')), [`${F}: dataplane.learn-burst = 0: expected at least 1 while dataplane.learn-rate is set`]);
  const negative = problems(dataplane('learn-rate = -1'));
  assert.equal(negative.length, 1);
  assert.match(negative[0]!, /^vx\.toml: dataplane\.learn-rate = -1: /);
});
