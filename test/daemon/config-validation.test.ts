// Issue 9 items 13 and 14: config the schema used to accept but that fails
// only when applied (a SIGHUP reload then removed the entry and could not
// add it back), or that starts but cannot work. Each is refused up front
// with one line naming the file, the key path and what is expected.
//
// The class of item 13 is tested as a property: for every value tried, the
// config loader refuses it or the speaker's own add accepts it
// (validatePeerConfig, the EvpnInstance constructor, the ones start-up and
// reload call).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { VtepConfig } from '../../src/daemon/config-file.js';
import { F, parse, problems, toml, type Parts } from '../helpers/config-toml.js';
import { validatePeerConfig } from '../../src/control/bgp-peer.js';
import { EvpnInstance } from '../../src/control/evpn-instance.js';


const V0 = 'dataplane.virtual-network-list[0]';
const V1 = 'dataplane.virtual-network-list[1]';
const secondVni = (body: string): string => `[[dataplane.virtual-network-list]]\n${body}`;

// ---------------------------------------------------------------- item 13: the named values

test('item 13: an RD the schema took but the add refused (99999999999:1) is refused by the loader, naming the key', () => {
  assert.deepEqual(problems(toml({ vni: 'vni = 10\nrd = "99999999999:1"\nmember-interfaces = ["eth1"]' })), [
    `${F}: ${V0}.rd = "99999999999:1": expected a route distinguisher in range (ASN:NN with ASN <= 65535 and NN < 2^32, IPv4:NN or 4-byte-ASN:NN with NN <= 65535; RFC 4364 §4.2)`,
  ]);
  // Each RD layout's own bound (RFC 4364 §4.2): a 4-byte ASN takes a 16-bit number, an IPv4 one too.
  for (const rd of ['4200000000:65536', '10.0.0.1:65536', '65000:4294967296', '256.0.0.1:5']) {
    assert.equal(problems(toml({ vni: `vni = 10\nrd = "${rd}"\nmember-interfaces = ["eth1"]` })).length, 1, rd);
  }
});

test('item 13: an 81-byte MD5 password is refused by the loader, and the password is not echoed', () => {
  const pw = 'x'.repeat(81);
  assert.deepEqual(problems(toml({ neighbor: `neighbor-address = "10.0.0.2"\npeer-as = 65000\nauth-password = "${pw}"` })), [
    `${F}: neighbors[0].config.auth-password = "…": expected a password of 1..80 bytes (TCP_MD5SIG_MAXKEYLEN; UTF-8 counts bytes)`,
  ]);
  // 27 three-byte characters are 81 bytes, though 27 characters.
  assert.equal(problems(toml({ neighbor: `neighbor-address = "10.0.0.2"\npeer-as = 65000\nauth-password = "${'€'.repeat(27)}"` })).length, 1);
  assert.ok(!Array.isArray(parse(toml({ neighbor: `neighbor-address = "10.0.0.2"\npeer-as = 65000\nauth-password = "${'x'.repeat(80)}"` }))));
});

test('item 13: keepalive-interval 0 and an out-of-range route target, which the add refused, are refused by the loader', () => {
  assert.deepEqual(problems(toml({ neighbor: 'neighbor-address = "10.0.0.2"\npeer-as = 65000\n[neighbors.timers.config]\nkeepalive-interval = 0' })), [
    `${F}: neighbors[0].timers.config.keepalive-interval = 0: expected seconds 1..21845 (at most hold-time / 3, RFC 4271 §10)`,
  ]);
  assert.deepEqual(problems(toml({ vni: 'vni = 10\nexport-route-targets = ["99999999999:1"]\nmember-interfaces = ["eth1"]' })), [
    `${F}: ${V0}.export-route-targets[0] = "99999999999:1": expected a route target in range (ASN:NN with ASN <= 65535 and NN < 2^32, IPv4:NN or 4-byte-ASN:NN with NN <= 65535; "*:NN" with NN < 2^32; RFC 4360 §4)`,
  ]);
  assert.equal(problems(toml({ vni: 'vni = 10\nimport-route-targets = ["*:4294967296"]\nmember-interfaces = ["eth1"]' })).length, 1);
});

// ---------------------------------------------------------------- item 13: the class

/** Whether the speaker's EVPN instance (what start and reload build) takes this VNI config. */
function instanceAccepts(c: VtepConfig): boolean {
  try {
    c.speaker.vnis.forEach((v, i) => new EvpnInstance(v, { asn: c.speaker.asn, routerId: c.speaker.routerId, vtep: c.speaker.vtep }, i + 1));
    return true;
  } catch {
    return false;
  }
}

function peerAccepts(c: VtepConfig): boolean {
  try {
    for (const n of c.speaker.neighbors) validatePeerConfig({ ...n, localAs: c.speaker.asn, routerId: c.speaker.routerId, families: n.families ?? ['l2vpn-evpn'] });
    return true;
  } catch {
    return false;
  }
}

test('item 13, the class: whatever the loader accepts, the add accepts (RDs, route targets, passwords, timers)', () => {
  const numbers = ['0', '1', '65535', '65536', '4294967295', '4294967296', '99999999999', '00001'];
  const admins = [...numbers, '10.0.0.1', '0.0.0.0', '255.255.255.255', '256.1.1.1', '1.2', '64086.59904', '65536.1', '*'];
  let accepted = 0;
  let tried = 0;
  for (const admin of admins) {
    for (const assigned of numbers) {
      const value = `${admin}:${assigned}`;
      const variants = [
        ...(admin === '*' ? [] : [`vni = 10\nrd = "${value}"\nmember-interfaces = ["eth1"]`, `vni = 10\nexport-route-targets = ["${value}"]\nmember-interfaces = ["eth1"]`]),
        `vni = 10\nimport-route-targets = ["${value}"]\nmember-interfaces = ["eth1"]`,
      ];
      for (const vni of variants) {
        tried++;
        const r = parse(toml({ vni }));
        if (Array.isArray(r)) continue;
        accepted++;
        assert.ok(instanceAccepts(r), `the loader accepted ${JSON.stringify(vni)} but the EVPN instance refuses it`);
      }
    }
  }
  assert.ok(accepted > 20 && accepted < tried, `a real mix: ${accepted} of ${tried} accepted`);

  const passwords = [1, 40, 80, 81, 200].flatMap((n) => ['a', 'é', '€', '😀'].map((ch) => ch.repeat(n)));
  const timers = [0, 1, 2, 3, 90, 21845, 21846, 65535, 65536].flatMap((t) => [`hold-time = ${t}`, `keepalive-interval = ${t}`, `connect-retry = ${t}`, `idle-hold-time-after-reset = ${t}`]);
  const neighbors = [
    ...passwords.map((pw) => `neighbor-address = "10.0.0.2"\npeer-as = 65000\nauth-password = "${pw}"`),
    ...timers.map((t) => `neighbor-address = "10.0.0.2"\npeer-as = 65000\n[neighbors.timers.config]\n${t}`),
    ...['2001:db8::2', '10.0.0.2'].map((a) => `neighbor-address = "${a}"\npeer-as = 65000\n[neighbors.transport.config]\nlocal-address = "10.0.0.1"`),
    'neighbor-address = "10.0.0.2"\npeer-as = 65000\n[neighbors.graceful-restart.config]\nrestart-time = 4095',
  ];
  let peersAccepted = 0;
  for (const neighbor of neighbors) {
    const r = parse(toml({ neighbor }));
    if (Array.isArray(r)) continue;
    peersAccepted++;
    assert.ok(peerAccepts(r), `the loader accepted ${JSON.stringify(neighbor)} but the peer refuses it`);
  }
  assert.ok(peersAccepted > 10 && peersAccepted < neighbors.length, `a real mix: ${peersAccepted} of ${neighbors.length} accepted`);
});

// ---------------------------------------------------------------- item 14: config that cannot work

const cannotWork: Array<[name: string, parts: Parts, lines: string[]]> = [
  [
    'the same untagged interface in two VNIs',
    { extra: secondVni('vni = 20\nmember-interfaces = ["eth2", "eth1"]') },
    [`${F}: ${V1}.member-interfaces[1] = "eth1": expected an untagged interface that no other port uses (already ${V0}.member-interfaces[0])`],
  ],
  [
    'a TAP named like a member interface of another VNI',
    { extra: secondVni('vni = 20\ntap-interfaces = ["eth1"]') },
    [`${F}: ${V1}.tap-interfaces[0] = "eth1": expected an untagged interface that no other port uses (already ${V0}.member-interfaces[0])`],
  ],
  [
    'the same interface+VLAN in two VNIs',
    {
      vni: 'vni = 10\nvlan-members = [{ interface = "eth2", vlan = 100 }]',
      extra: secondVni('vni = 20\nvlan-members = [{ interface = "eth2", vlan = 200 }, { interface = "eth2", vlan = 100 }]'),
    },
    [`${F}: ${V1}.vlan-members[1] = {"interface":"eth2","vlan":100}: expected an interface+VLAN that no other port uses (already ${V0}.vlan-members[0])`],
  ],
  [
    'a vlan-members interface that does not exist',
    { vni: 'vni = 10\nvlan-members = [{ interface = "eth9", vlan = 100 }]' },
    [`${F}: ${V0}.vlan-members[0].interface = "eth9": expected an existing interface`],
  ],
  [
    'a vlan-members interface name that no interface can have',
    { vni: 'vni = 10\nvlan-members = [{ interface = "eth 1", vlan = 100 }]' },
    [`${F}: ${V0}.vlan-members[0].interface = "eth 1": expected an interface name (1..15 characters, no "/" or spaces)`],
  ],
  [
    'the underlay interface as a member port',
    { dataplane: 'underlay-interface = "ul0"', vni: 'vni = 10\nmember-interfaces = ["ul0"]' },
    [`${F}: ${V0}.member-interfaces[0] = "ul0": expected an interface other than dataplane.underlay-interface (it carries the tunnels, not a VNI's hosts)`],
  ],
  [
    'a per-VNI max-entries of 1e15',
    { vni: 'vni = 10\nmax-entries = 1_000_000_000_000_000\nmember-interfaces = ["eth1"]' },
    [`${F}: ${V0}.max-entries = 1000000000000000: expected an entry count 1..16777216`],
  ],
  [
    'a flood-list entry equal to our own VTEP',
    { vni: 'vni = 10\nmode = "static"\nflood-list = ["10.0.0.7", "10.0.0.1"]\nmember-interfaces = ["eth1"]' },
    [`${F}: ${V0}.flood-list[1] = "10.0.0.1": expected a remote VTEP, not our own (global.config.router-id)`],
  ],
  [
    'a flood-list entry equal to vtep-address',
    { dataplane: 'vtep-address = "10.9.0.1"', vni: 'vni = 10\nmode = "static"\nflood-list = ["10.9.0.1"]\nmember-interfaces = ["eth1"]' },
    [`${F}: ${V0}.flood-list[0] = "10.9.0.1": expected a remote VTEP, not our own (dataplane.vtep-address)`],
  ],
  [
    'flood-list entries that are not one host (broadcast, unspecified, multicast, loopback, reserved)',
    { vni: 'vni = 10\nmode = "static"\nflood-list = ["255.255.255.255", "0.0.0.0", "239.1.1.1", "127.0.0.1", "0.1.2.3", "250.0.0.1"]\nmember-interfaces = ["eth1"]' },
    [
      `${F}: ${V0}.flood-list[0] = "255.255.255.255": expected a remote VTEP's unicast address, not the broadcast address`,
      `${F}: ${V0}.flood-list[1] = "0.0.0.0": expected a remote VTEP's unicast address, not an unspecified address`,
      `${F}: ${V0}.flood-list[2] = "239.1.1.1": expected a remote VTEP's unicast address, not a multicast address`,
      `${F}: ${V0}.flood-list[3] = "127.0.0.1": expected a remote VTEP's unicast address, not a loopback address`,
      `${F}: ${V0}.flood-list[4] = "0.1.2.3": expected a remote VTEP's unicast address, not an unspecified address`,
      `${F}: ${V0}.flood-list[5] = "250.0.0.1": expected a remote VTEP's unicast address, not a reserved address (240.0.0.0/4)`,
    ],
  ],
  [
    'the same VTEP twice in a flood list',
    { vni: 'vni = 10\nmode = "static"\nflood-list = ["10.0.0.7", "10.0.0.7"]\nmember-interfaces = ["eth1"]' },
    [`${F}: ${V0}.flood-list[1] = "10.0.0.7": expected each VTEP once`],
  ],
  [
    'a neighbor equal to our router-id',
    { neighbor: 'neighbor-address = "10.0.0.1"\npeer-as = 65000' },
    [`${F}: neighbors[0].config.neighbor-address = "10.0.0.1": expected a peer's address, not our own (global.config.router-id)`],
  ],
  [
    'a neighbor equal to our VTEP address',
    { neighbor: 'neighbor-address = "10.9.0.1"\npeer-as = 65000', dataplane: 'vtep-address = "10.9.0.1"' },
    [`${F}: neighbors[0].config.neighbor-address = "10.9.0.1": expected a peer's address, not our own (dataplane.vtep-address)`],
  ],
  [
    'neighbors at a multicast, an unspecified and a broadcast address (IPv4 and IPv6)',
    {
      neighbor: 'neighbor-address = "224.0.0.5"\npeer-as = 65000',
      extra: ['ff02::5', '::', '255.255.255.255'].map((a) => `[[neighbors]]\n[neighbors.config]\nneighbor-address = "${a}"\npeer-as = 65000`).join('\n'),
    },
    [
      `${F}: neighbors[0].config.neighbor-address = "224.0.0.5": expected a peer's unicast address, not a multicast address`,
      `${F}: neighbors[1].config.neighbor-address = "ff02::5": expected a peer's unicast address, not a multicast address`,
      `${F}: neighbors[2].config.neighbor-address = "::": expected a peer's unicast address, not an unspecified address`,
      `${F}: neighbors[3].config.neighbor-address = "255.255.255.255": expected a peer's unicast address, not the broadcast address`,
    ],
  ],
  [
    'a reversed source-port-range',
    { dataplane: 'source-port-range = [60000, 50000]' },
    [`${F}: dataplane.source-port-range = [60000,50000]: expected a range [low, high] with low <= high (RFC 7348 §5 suggests [49152, 65535])`],
  ],
  [
    'router-id 0.0.0.0',
    { global: 'as = 65000\nrouter-id = "0.0.0.0"', dataplane: 'vtep-address = "10.9.0.1"' },
    [`${F}: global.config.router-id = "0.0.0.0": expected a non-zero IPv4 address (RFC 6286 §2.1)`],
  ],
  [
    'a flood list of the other family than the VTEP address (IPv6 underlay, IPv4 VTEP listed)',
    { dataplane: 'vtep-address = "fd00::1"', vni: 'vni = 10\nmode = "static"\nflood-list = ["fd00::2", "10.0.0.7"]\nmember-interfaces = ["eth1"]' },
    [`${F}: dataplane.virtual-network-list[0].flood-list[1] = "10.0.0.7": expected an IPv6 address, the family of dataplane.vtep-address (the underlay's)`],
  ],
  [
    'a multicast VTEP address',
    { dataplane: 'vtep-address = "239.0.0.1"' },
    [`${F}: dataplane.vtep-address = "239.0.0.1": expected a unicast address of this host, not a multicast address`],
  ],
  [
    'keys another mode reads: flood-list on an evpn VNI, multicast-group on a static one, rd and route targets on a multicast one',
    {
      vni: 'vni = 10\nflood-list = ["10.0.0.7"]\nmember-interfaces = ["eth1"]',
      extra: [
        secondVni('vni = 20\nmode = "static"\nmulticast-group = "239.1.1.1"\nmember-interfaces = ["eth2"]'),
        '[[dataplane.virtual-network-list]]\nvni = 30\nmode = "multicast"\nmulticast-group = "239.1.1.1"\nrd = "65000:30"\nexport-route-targets = ["65000:30"]\nmember-interfaces = ["eth3"]',
      ].join('\n'),
    },
    [
      `${F}: ${V0}.flood-list = ["10.0.0.7"]: expected no flood-list on a VNI in mode "evpn" (only mode "static" uses it: evpn learns its VTEPs from Type 3 routes, multicast floods to its group)`,
      `${F}: ${V1}.multicast-group = "239.1.1.1": expected no multicast-group on a VNI in mode "static" (only mode "multicast" uses it: the group BUM frames go to)`,
      `${F}: dataplane.virtual-network-list[2].rd = "65000:30": expected no rd on a VNI in mode "multicast" (only mode "evpn" uses it: the RD of its EVPN routes)`,
      `${F}: dataplane.virtual-network-list[2].export-route-targets = ["65000:30"]: expected no export-route-targets on a VNI in mode "multicast" (only mode "evpn" uses it: the route targets of its EVPN routes)`,
    ],
  ],
  [
    'an underlay interface that does not exist',
    { dataplane: 'underlay-interface = "eth9"' },
    [`${F}: dataplane.underlay-interface = "eth9": expected an existing interface`],
  ],
  [
    'two EVPN VNIs with the same RD and etag (their routes would be one)',
    { extra: secondVni('vni = 20\nrd = "65000:10"\nmember-interfaces = ["eth2"]') },
    [`${F}: ${V1}.rd = "65000:10": expected an RD (with this etag) no other VNI uses (already ${V0}.rd; the two VNIs' routes would be one)`],
  ],
];

for (const [name, parts, lines] of cannotWork) {
  test(`item 14: ${name}`, () => {
    assert.deepEqual(problems(toml(parts)), lines);
  });
}

test('item 14: what is allowed stays allowed (a trunk carrying several VLANs, the same VLAN on two trunks, one RD with two etags)', () => {
  const ok = parse(
    toml({
      vni: 'vni = 10\nrd = "65000:10"\netag = 10\nmember-interfaces = ["eth1", "eth1"]\nvlan-members = [{ interface = "eth2", vlan = 100 }, { interface = "eth3", vlan = 100 }]',
      extra: secondVni('vni = 20\nrd = "65000:10"\netag = 20\nvlan-members = [{ interface = "eth2", vlan = 200 }]'),
    }),
  );
  assert.ok(!Array.isArray(ok), String(ok));
  assert.deepEqual(ok.dataplane.vnis.map((v) => v.ports.map((p) => `${p.name}${p.vlan === undefined ? '' : `.${p.vlan}`}`)), [['eth1', 'eth2.100', 'eth3.100'], ['eth2.200']]);
  // A BGP session over the loopback is a legitimate local set-up.
  assert.ok(!Array.isArray(parse(toml({ neighbor: 'neighbor-address = "127.0.0.2"\npeer-as = 65000' }))));
  // An IPv6 underlay: the VTEP address and the flood list in IPv6, BGP over IPv4.
  const v6 = parse(toml({ dataplane: 'vtep-address = "fd00::1"', vni: 'vni = 10\nmode = "static"\nflood-list = ["fd00::2"]\nmember-interfaces = ["eth1"]' }));
  assert.ok(!Array.isArray(v6), String(v6));
  assert.equal(v6.dataplane.vtepAddress, 'fd00::1');
  assert.deepEqual(v6.dataplane.vnis[0]!.floodList, ['fd00::2']);
});
