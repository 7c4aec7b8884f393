// `vxswitch decode` end to end: the built CLI (node bin/vxswitch.js) on every
// capture under test/fixtures, checked against tshark's decode of the same
// file read in the test, and on hand-made captures for what the fixtures do
// not show (out-of-order TCP, malformed messages, other link types).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as arp from '../../src/wire/arp.js';
import { AS4_CONTEXT } from '../../src/wire/bgp-context.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import { buildOpen } from '../../src/wire/bgp-open.js';
import { EtherType } from '../../src/wire/ethernet.js';
import * as ethernet from '../../src/wire/ethernet.js';
import * as pcap from '../../src/wire/pcap.js';
import { LinkType } from '../../src/wire/pcap.js';
import * as rd from '../../src/wire/route-distinguisher.js';
import { TcpFlag } from '../../src/wire/tcp.js';
import { PROJECT_ROOT, FIXTURES } from '../helpers/fixtures.js';
import { hasTshark } from '../helpers/tshark.js';
import { ethernetFrame, reverse, tcpFrame, tcpPacket, vxlanPacket, type Endpoints } from '../helpers/frame-builder.js';

const BIN = path.join(PROJECT_ROOT, 'bin', 'vxswitch.js');
const TSHARK = hasTshark();
const FIXTURE_FILES = readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.pcap'))
  .sort()
  .map((f) => path.join(FIXTURES, f));

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function vxswitch(...args: string[]): Run {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

type Json = Record<string, unknown>;

const jsonCache = new Map<string, Json[]>();
const textCache = new Map<string, Run>();

/** `vxswitch decode FILE` (text), run once per file. */
function decodeText(file: string): Run {
  let r = textCache.get(file);
  if (!r) {
    r = vxswitch('decode', file);
    textCache.set(file, r);
  }
  return r;
}

/** `vxswitch decode FILE --json`, parsed line by line (each must be JSON); run once per file. */
function decodeJson(file: string): Json[] {
  let records = jsonCache.get(file);
  if (!records) {
    records = decodeJsonNow(file);
    jsonCache.set(file, records);
  }
  return records;
}

function decodeJsonNow(file: string, ...extra: string[]): Json[] {
  const r = vxswitch('decode', file, '--json', ...extra);
  assert.equal(r.status, 0, `exit 0 (stderr: ${r.stderr})`);
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  return lines.map((l, i) => {
    try {
      return JSON.parse(l) as Json;
    } catch (e) {
      throw new Error(`line ${i + 1} is not JSON: ${String(e)}: ${l.slice(0, 200)}`);
    }
  });
}

/**
 * tshark -T fields, one record per displayed frame with its number and EVERY
 * occurrence of each field (helpers/tshark.ts tsharkFields keeps the first).
 */
function tsharkRecords(file: string, filter: string, fields: string[]): Array<Record<string, string[]>> {
  const args = ['-r', file, '-Y', filter, '-T', 'fields', '-E', 'separator=\t', '-E', 'aggregator=,', '-E', 'occurrence=a'];
  for (const f of ['frame.number', ...fields]) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      const cols = line.split('\t');
      const row: Record<string, string[]> = {};
      ['frame.number', ...fields].forEach((f, i) => {
        const v = cols[i] ?? '';
        row[f] = v === '' ? [] : v.split(',');
      });
      return row;
    });
}

const bgpMessages = (records: Json[]): Json[] => records.filter((r) => r['proto'] === 'bgp' && typeof r['typeCode'] === 'number');
const byFrame = <T extends Json>(records: T[]): Map<number, T[]> => {
  const m = new Map<number, T[]>();
  for (const r of records) m.set(r['frame'] as number, [...(m.get(r['frame'] as number) ?? []), r]);
  return m;
};
type Route = { action: string; prefix: string; rd?: string; vni?: number[] };
const routesOf = (r: Json): Route[] => (r['routes'] as Route[] | undefined) ?? [];
const macOf = (prefix: string): string | undefined => /^\[2\]:\[[^\]]*\]:\[48\]:\[([0-9a-f:]{17})\]/.exec(prefix)?.[1];

// ------------------------------------------------------------ the fixtures

for (const file of FIXTURE_FILES) {
  const name = path.basename(file);

  test(`decode ${name}: exit 0, text and JSON lines agree, every JSON line has the common fields`, () => {
    const text = decodeText(file);
    assert.equal(text.status, 0, text.stderr);
    assert.equal(text.stderr, '');
    const lines = text.stdout.split('\n').filter((l) => l !== '');
    const json = decodeJson(file);
    assert.ok(json.length > 0, 'something was decoded');
    assert.equal(lines.length, json.length, 'one text line per JSON object');
    json.forEach((r, i) => {
      for (const k of ['frame', 'time', 'src', 'dst', 'proto', 'type', 'summary']) assert.ok(k in r, `line ${i + 1} has ${k}`);
      assert.ok(r['proto'] === 'bgp' || r['proto'] === 'vxlan');
      assert.match(r['src'] as string, /^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:.]+\]):\d+$/);
      assert.match(r['dst'] as string, /^(\d+\.\d+\.\d+\.\d+|\[[0-9a-f:.]+\]):\d+$/);
      assert.equal(typeof r['time'], 'number');
      assert.ok(!JSON.stringify(r).includes('"type":"Buffer"'), 'no Buffer objects: bytes are hex strings');
      assert.match(lines[i]!, /^\d+\.\d{6} \S+ > \S+ (BGP|VXLAN) /);
      assert.ok(lines[i]!.endsWith(r['summary'] as string), 'the text line ends with the JSON summary');
    });
    assert.ok(!json.some((r) => r['error'] !== undefined), 'the fixtures are well-formed: no decode error');
  });

  test(`decode ${name}: BGP messages and their types match tshark, frame by frame`, { skip: !TSHARK }, () => {
    const ours = bgpMessages(decodeJson(file));
    const theirs = tsharkRecords(file, 'bgp', ['bgp.type']);
    const flat = theirs.flatMap((row) => row['bgp.type']!.map((t) => [Number(row['frame.number']![0]), Number(t)]));
    assert.equal(ours.length, flat.length, 'as many BGP messages as tshark counts');
    assert.deepEqual(
      ours.map((r) => [r['frame'], r['typeCode']]),
      flat,
      'same types in the same order, at the same frames',
    );
  });

  test(`decode ${name}: times match tshark (absolute in JSON, relative to the first frame in text)`, { skip: !TSHARK }, () => {
    const json = decodeJson(file);
    const lines = decodeText(file).stdout.split('\n').filter((l) => l !== '');
    const theirs = new Map(
      tsharkRecords(file, 'frame', ['frame.time_epoch', 'frame.time_relative']).map((row) => [
        Number(row['frame.number']![0]),
        { epoch: Number(row['frame.time_epoch']![0]), relative: Number(row['frame.time_relative']![0]) },
      ]),
    );
    json.forEach((r, i) => {
      const t = theirs.get(r['frame'] as number)!;
      assert.ok(Math.abs((r['time'] as number) - t.epoch) < 1e-6, `frame ${r['frame']} epoch time`);
      assert.equal(lines[i]!.split(' ')[0], t.relative.toFixed(6), `frame ${r['frame']} relative time`);
    });
  });

  test(`decode ${name}: EVPN routes, OPEN and NOTIFICATION fields match tshark`, { skip: !TSHARK }, () => {
    const ours = byFrame(bgpMessages(decodeJson(file)));
    const rows = tsharkRecords(file, 'bgp', [
      'bgp.evpn.nlri.rt',
      'bgp.evpn.nlri.mac_addr',
      'bgp.evpn.nlri.rd',
      'bgp.open.myas',
      'bgp.open.identifier',
      'bgp.notify.major_error',
    ]);
    for (const row of rows) {
      const frame = Number(row['frame.number']![0]);
      const msgs = ours.get(frame) ?? [];
      const routes = msgs.flatMap(routesOf);
      const sorted = (a: string[]): string[] => [...a].sort();
      assert.deepEqual(sorted(routes.map((r) => /^\[(\d+)\]/.exec(r.prefix)![1]!)), sorted(row['bgp.evpn.nlri.rt']!), `frame ${frame}: route types`);
      assert.deepEqual(
        sorted(routes.flatMap((r) => macOf(r.prefix) ?? [])),
        sorted(row['bgp.evpn.nlri.mac_addr']!),
        `frame ${frame}: Type 2 MACs`,
      );
      assert.deepEqual(
        sorted(routes.map((r) => rd.encode(rd.parseRd(r.rd!)).toString('hex'))),
        sorted(row['bgp.evpn.nlri.rd']!),
        `frame ${frame}: RDs`,
      );
      const opens = msgs.filter((m) => m['type'] === 'open').map((m) => m['open'] as Json);
      assert.deepEqual(opens.map((o) => String(o['myAs'])), row['bgp.open.myas'], `frame ${frame}: OPEN My AS`);
      assert.deepEqual(opens.map((o) => o['bgpId']), row['bgp.open.identifier'], `frame ${frame}: OPEN BGP Identifier`);
      const notes = msgs.filter((m) => m['type'] === 'notification').map((m) => m['notification'] as Json);
      assert.deepEqual(notes.map((n) => String(n['code'])), row['bgp.notify.major_error'], `frame ${frame}: NOTIFICATION code`);
    }
  });

  test(`decode ${name}: VXLAN packets and VNIs match tshark`, { skip: !TSHARK }, () => {
    const ours = decodeJson(file).filter((r) => r['proto'] === 'vxlan');
    const theirs = tsharkRecords(file, 'vxlan', ['vxlan.vni', 'arp.opcode', 'icmp.type']);
    assert.equal(ours.length, theirs.length, 'as many VXLAN packets as tshark');
    ours.forEach((r, i) => {
      const row = theirs[i]!;
      assert.equal(r['frame'], Number(row['frame.number']![0]));
      assert.equal(r['vni'], Number(row['vxlan.vni']![0]));
      const inner = r['inner'] as Json;
      const arpOp = (inner['arp'] as Json | undefined)?.['operation'];
      assert.deepEqual(arpOp === undefined ? [] : [String(arpOp)], row['arp.opcode'], `frame ${r['frame']}: ARP opcode`);
      const icmp = ((inner['ip'] as Json | undefined)?.['icmp'] as Json | undefined)?.['type'];
      assert.deepEqual(icmp === undefined ? [] : [String(icmp)], row['icmp.type'], `frame ${r['frame']}: ICMP type`);
    });
  });
}

test('decode: the frr-frr capture reads as an operator expects (OPEN caps, EoR, reflected routes, withdraw, shutdown)', () => {
  const file = path.join(FIXTURES, 'frr-frr-evpn-session.pcap');
  const out = decodeText(file).stdout;
  assert.match(out, /BGP OPEN v4 as 65000 hold \d+ id 10\.212\.0\.1 caps \[mp l2vpn-evpn, .*4-octet-as 65000/);
  assert.match(out, /BGP UPDATE End-of-RIB l2vpn-evpn/);
  assert.match(out, /originator 10\.212\.0\.1 cluster-list \[10\.212\.0\.254\]/);
  assert.match(out, /pmsi ingress-repl label 100 tunnel 10\.212\.0\.1 reach \[3\]:\[0\]:\[32\]:\[10\.212\.0\.1\] rd 10\.212\.0\.1:\d+/);
  assert.match(out, /reach \[2\]:\[0\]:\[48\]:\[02:00:00:00:01:01\] rd 10\.212\.0\.1:\d+ vni 100/);
  assert.match(out, /BGP UPDATE withdraw \[2\]:\[0\]:\[48\]:\[02:00:00:00:01:01\]/);
  assert.match(out, /BGP NOTIFICATION Cease \/ .*Administrative Shutdown/);
});

// ------------------------------------------------------------ hand-made captures

function withCapture(linkType: number, frames: Buffer[], fn: (file: string) => void): void {
  const dir = mkdtempSync(path.join(tmpdir(), 'vxswitch-decode-'));
  try {
    const file = path.join(dir, 'test.pcap');
    writeFileSync(file, pcap.encode(linkType, frames.map((data, i) => ({ time: 1700000000 + i * 0.25, data }))));
    fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CLIENT: Endpoints = { src: '10.0.0.1', dst: '10.0.0.2', srcPort: 40000, dstPort: 179 };
const SERVER = reverse(CLIENT);
const { Syn, Ack, Psh } = TcpFlag;

function openMessage(id: string): Buffer {
  return bgpMessage.encode(
    {
      type: 'open',
      open: buildOpen({
        as: 65000,
        holdTime: 9,
        bgpId: id,
        capabilities: [
          { type: 'multiprotocol', afi: 25, safi: 70 },
          { type: 'four-octet-as', as: 65000 },
        ],
      }),
    },
    undefined,
    0,
    AS4_CONTEXT,
  );
}
const KEEPALIVE = bgpMessage.encode(bgpMessage.KEEPALIVE);

function type3Update(): Buffer {
  return bgpMessage.encode(
    {
      type: 'update',
      update: {
        withdrawn: [],
        nlri: [],
        problems: [],
        attributes: [
          { type: 'origin', value: 'igp' },
          { type: 'as-path', value: [] },
          { type: 'local-pref', value: 100 },
          {
            type: 'mp-reach-nlri',
            value: {
              kind: 'evpn',
              afi: 25,
              safi: 70,
              nextHop: '10.0.0.1',
              nlri: [{ route: { type: 3, rd: { type: 1, ip: '10.0.0.1', assigned: 100 }, etag: 0, originatorIp: '10.0.0.1' } }],
            },
          },
          {
            type: 'extended-communities',
            value: [
              { kind: 'route-target', format: 'as2', asn: 65000, assigned: 100 },
              { kind: 'encapsulation', tunnelType: 8 },
            ],
          },
          { type: 'pmsi-tunnel', value: { flags: 0, tunnelType: 6, label: 100, tunnelId: '10.0.0.1' } },
        ],
      },
    },
    undefined,
    0,
    AS4_CONTEXT,
  );
}

test('decode: a BGP message split over two TCP segments that arrive out of order, and a retransmission', () => {
  const open = openMessage('10.0.0.1');
  const k = 20; // the first segment ends inside the OPEN
  const frames = [
    tcpFrame(CLIENT, 1000, Syn),
    tcpFrame(SERVER, 5000, Syn | Ack),
    tcpFrame(CLIENT, 1001 + k, Psh | Ack, Buffer.concat([open.subarray(k), KEEPALIVE])), // 3: second half first
    tcpFrame(CLIENT, 1001, Psh | Ack, open.subarray(0, k)), // 4: then the first half
    tcpFrame(CLIENT, 1001, Psh | Ack, open.subarray(0, k)), // 5: retransmission
    tcpFrame(SERVER, 5001, Psh | Ack, Buffer.concat([openMessage('10.0.0.2'), KEEPALIVE])), // 6: two messages
  ];
  withCapture(LinkType.Ethernet, frames, (file) => {
    const json = decodeJsonNow(file);
    assert.deepEqual(
      json.map((r) => [r['frame'], r['src'], r['type']]),
      [
        [4, '10.0.0.1:40000', 'open'],
        [4, '10.0.0.1:40000', 'keepalive'],
        [6, '10.0.0.2:179', 'open'],
        [6, '10.0.0.2:179', 'keepalive'],
      ],
    );
    assert.deepEqual(json[0]!['frames'], [4, 3], 'the OPEN names both frames that carried it');
    assert.equal((json[0]!['open'] as Json)['bgpId'], '10.0.0.1');
    const text = vxswitch('decode', file).stdout;
    assert.match(text, /^0\.750000 10\.0\.0\.1:40000 > 10\.0\.0\.2:179 BGP OPEN v4 as 65000 hold 9 id 10\.0\.0\.1 caps \[mp l2vpn-evpn, 4-octet-as 65000\] \[reassembled from frames 4,3\]$/m);
  });
});

test('decode: malformed messages are printed with their error and RFC 7606 action; decoding goes on', () => {
  const good = type3Update();
  // ORIGIN value 5 does not exist: RFC 7606 §7.1 treat-as-withdraw.
  const badOrigin = Buffer.from(good);
  const originAt = badOrigin.indexOf(Buffer.from([0x40, 0x01, 0x01, 0x00]), 19);
  assert.ok(originAt > 0);
  badOrigin[originAt + 3] = 5;
  // Total Path Attribute Length past the message: Malformed Attribute List, session reset (RFC 7606 §3 b).
  const badLength = Buffer.from(good);
  badLength.writeUInt16BE(0xfff0, 21);
  // A broken marker: not a BGP header where one should start.
  const badMarker = Buffer.from(KEEPALIVE);
  badMarker[3] = 0;
  const stream = Buffer.concat([badOrigin, badLength, KEEPALIVE, badMarker, KEEPALIVE, good]);
  const frames = [
    tcpFrame(CLIENT, 1000, Syn),
    tcpFrame(SERVER, 5000, Syn | Ack),
    tcpFrame(CLIENT, 1001, Psh | Ack, openMessage('10.0.0.1')),
    tcpFrame(SERVER, 5001, Psh | Ack, openMessage('10.0.0.2')),
    tcpFrame(CLIENT, 1001 + openMessage('10.0.0.1').length, Psh | Ack, stream),
  ];
  withCapture(LinkType.Ethernet, frames, (file) => {
    const json = decodeJsonNow(file);
    assert.deepEqual(
      json.map((r) => r['type']),
      ['open', 'open', 'update', 'update', 'keepalive', 'out-of-sync', 'keepalive', 'update'],
    );
    const [, , withdraw, reset, , sync, , ok] = json;
    assert.equal(withdraw!['action'], 'treat-as-withdraw');
    assert.equal(((withdraw!['update'] as Json)['problems'] as Json[])[0]!['subcode'], 6, 'Invalid ORIGIN Attribute');
    assert.deepEqual(routesOf(withdraw!).map((r) => r.prefix), ['[3]:[0]:[32]:[10.0.0.1]'], 'the routes it withdraws');
    const err = reset!['error'] as Json;
    assert.equal(err['action'], 'session-reset');
    assert.equal(err['code'], 3);
    assert.equal(err['subcode'], 1, 'Malformed Attribute List');
    assert.equal(reset!['raw'], badLength.toString('hex'), 'the bad message bytes, as hex');
    assert.equal((sync!['error'] as Json)['subcode'], 1, 'Connection Not Synchronized');
    assert.equal(ok!['action'], undefined);
    const text = vxswitch('decode', file);
    assert.equal(text.status, 0);
    assert.match(text.stdout, /BGP UPDATE .*reach \[3\]:\[0\]:\[32\]:\[10\.0\.0\.1\] rd 10\.0\.0\.1:100 !! treat-as-withdraw: UPDATE Message Error \/ Invalid ORIGIN Attribute/);
    assert.match(text.stdout, /BGP UPDATE length \d+ !! session-reset: UPDATE Message Error \/ Malformed Attribute List: .* bytes ffffffff/);
    assert.match(text.stdout, /BGP !! out of sync: skipped 19 bytes/);
  });
});

test('decode: AS numbers are read as the OPENs negotiated (4-octet with capability 65 on both sides), or guessed without OPENs', () => {
  const as4Update = bgpMessage.encode(
    {
      type: 'update',
      update: {
        withdrawn: [],
        problems: [],
        nlri: [{ prefix: '192.0.2.0', length: 24 }],
        attributes: [
          { type: 'origin', value: 'igp' },
          { type: 'as-path', value: [{ type: 'as-sequence', asns: [4200000000, 65001] }] },
          { type: 'next-hop', value: '10.0.0.1' },
        ],
      },
    },
    undefined,
    0,
    AS4_CONTEXT,
  );
  const open = openMessage('10.0.0.1');
  const session = [
    tcpFrame(CLIENT, 1000, Syn),
    tcpFrame(SERVER, 5000, Syn | Ack),
    tcpFrame(CLIENT, 1001, Psh | Ack, open),
    tcpFrame(SERVER, 5001, Psh | Ack, openMessage('10.0.0.2')),
    tcpFrame(CLIENT, 1001 + open.length, Psh | Ack, as4Update),
  ];
  withCapture(LinkType.Ethernet, session, (file) => {
    const out = vxswitch('decode', file).stdout;
    assert.match(out, /BGP UPDATE origin igp aspath "4200000000 65001" nexthop 10\.0\.0\.1 reach 192\.0\.2\.0\/24$/m);
  });
  // The same UPDATE in a capture that starts after the OPENs.
  withCapture(LinkType.Ethernet, [tcpFrame(CLIENT, 77, Psh | Ack, as4Update)], (file) => {
    const [rec] = decodeJsonNow(file);
    assert.equal(rec!['as4Assumed'], true);
    assert.match(rec!['summary'] as string, /aspath "4200000000 65001" .*\(4-octet AS assumed: OPENs not in the capture\)$/);
  });
});

test('decode: VXLAN over a VLAN-tagged underlay, Linux cooked v2 and raw IP captures, extra --vxlan-port', () => {
  const vtep: Endpoints = { src: '192.0.2.1', dst: '192.0.2.2', srcPort: 50000, dstPort: 4789 };
  const arpRequest = Buffer.concat([
    ethernet.encode({ dst: 'ff:ff:ff:ff:ff:ff', src: '02:00:00:00:01:01', vlans: [], etherType: EtherType.Arp }),
    arp.encode({ operation: 1, senderMac: '02:00:00:00:01:01', senderIp: '10.1.0.1', targetMac: '00:00:00:00:00:00', targetIp: '10.1.0.2' }),
  ]);
  const packet = vxlanPacket(vtep, 4242, arpRequest);
  const expected = /VXLAN vni 4242 02:00:00:00:01:01 > ff:ff:ff:ff:ff:ff ARP who-has 10\.1\.0\.2 tell 10\.1\.0\.1$/m;
  withCapture(LinkType.Ethernet, [ethernetFrame(EtherType.Ipv4, packet, 10)], (file) => {
    assert.match(vxswitch('decode', file).stdout, expected);
  });
  const sll2 = Buffer.alloc(20);
  sll2.writeUInt16BE(EtherType.Ipv4, 0);
  sll2.writeUInt16BE(1, 8); // ARPHRD_ETHER
  sll2[11] = 6;
  withCapture(LinkType.LinuxSll2, [Buffer.concat([sll2, packet])], (file) => {
    assert.match(vxswitch('decode', file).stdout, expected);
  });
  withCapture(LinkType.Raw, [packet], (file) => {
    assert.match(vxswitch('decode', file).stdout, expected);
  });
  // A port that is not VXLAN by default is decoded only when asked for.
  const other = vxlanPacket({ ...vtep, dstPort: 4790 }, 7, arpRequest);
  withCapture(LinkType.Raw, [other, tcpPacket(CLIENT, 1, Syn)], (file) => {
    assert.equal(vxswitch('decode', file).stdout, '');
    assert.match(vxswitch('decode', file, '--vxlan-port', '4790').stdout, /VXLAN vni 7 /);
    assert.equal(vxswitch('decode', file, '--vxlan-port', '4790', '--filter', 'bgp').stdout, '');
  });
});

test('decode: a file that is not a pcap, or missing, is one clear line on stderr and exit 1', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'vxswitch-decode-'));
  try {
    const notPcap = path.join(dir, 'notes.txt');
    writeFileSync(notPcap, 'this is not a capture\n');
    for (const [file, why] of [
      [notPcap, /not a pcap file/],
      [path.join(dir, 'missing.pcap'), /no such file/],
    ] as const) {
      const r = vxswitch('decode', file);
      assert.equal(r.status, 1);
      assert.equal(r.stdout, '');
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      assert.equal(lines.length, 1, `one line: ${r.stderr}`);
      assert.ok(lines[0]!.includes(file), 'names the file');
      assert.match(lines[0]!, why);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
