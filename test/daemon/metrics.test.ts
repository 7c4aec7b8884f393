// Issue 5's metrics: Prometheus text read at scrape time from the VTEP's
// counters. Unit tests with a fake VTEP (names, labels, values, series that
// come and go, the HTTP endpoint, the [metrics] config key), then the
// acceptance test: a real daemon (`vxswitch run`) in a namespace, a static
// VNI with a member port facing a host and a kernel VTEP on the other end,
// its /metrics scraped before and after a ping, and the counters moved.
//
// Addresses: underlay 10.217.0.0/24 (vxswitch 10.217.0.1, kernel VTEP
// 10.217.0.2), hosts 10.217.1.0/24. Pings are count- and time-bounded.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { pino } from 'pino';
import type { DataplaneCounters } from '../../src/dataplane/dataplane.js';
import type { NeighborStatus } from '../../src/control/speaker.js';
import { DROP_REASON_NAMES } from '../../src/dataplane/drop-reason.js';
import { MetricsServer, createMetricsRegistry, type MetricsSource } from '../../src/daemon/metrics.js';
import { parseListenAddress } from '../../src/daemon/listen-address.js';
import { ConfigError, parseConfig } from '../../src/daemon/config-file.js';
import { parseExposition, samples, value, type Exposition } from '../helpers/prom-text.js';
import { Topology, exec, inNs, needsRoot, ping } from '../helpers/netns.js';
import { Vxswitch } from '../control/vxswitch-lab.js';

// ---------------------------------------------------------------- a fake VTEP

function drops(nonZero: Record<string, number> = {}): Record<string, number> {
  return Object.fromEntries(DROP_REASON_NAMES.map((r) => [r, nonZero[r] ?? 0]));
}

function fakeCounters(): DataplaneCounters {
  return {
    drops: drops({ 'no-vni': 2, 'unknown-vtep': 1 }),
    ports: [
      { name: 'eth1', kind: 'packet', vnis: [100], rxFrames: 10, rxBytes: 1000, txFrames: 9, txBytes: 900, flooded: 1, drops: 2, rxTruncated: 0, txErrors: 0, txQueueFull: 0, kernelDrops: 3, learnRefused: 7 },
      { name: 'tap0', kind: 'tap', vnis: [100, 200], rxFrames: 5, rxBytes: 500, txFrames: 4, txBytes: 400, flooded: 0, drops: 0, rxTruncated: 0, txErrors: 0, txQueueFull: 0, kernelDrops: 0, learnRefused: 0 },
    ],
    vnis: [
      { vni: 100, mode: 'evpn', rxFrames: 15, rxBytes: 1500, txFrames: 13, txBytes: 1300, encapsulated: 14, decapsulated: 12, flooded: 1, arpSuppressed: 3, segmented: 0, coalesced: 0, learnRefused: 7, drops: drops({ 'unknown-vtep': 1 }) },
      { vni: 200, mode: 'static', rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, encapsulated: 0, decapsulated: 0, flooded: 0, arpSuppressed: 0, segmented: 0, coalesced: 0, learnRefused: 0, drops: drops() },
    ],
    underlays: [{ port: 4789, rxDatagrams: 12, rxBytes: 1296, txDatagrams: 14, txBytes: 1512, txErrors: 0, txQueueFull: 0, lastTxError: '' }],
    fdb: {
      entries: 9,
      localLearned: 2,
      localStatic: 1,
      remoteLearned: 3,
      remoteControl: 2,
      remoteStatic: 1,
      learned: 5,
      moved: 1,
      aged: 0,
      refusedGlobalLimit: 0,
      refusedVniLimit: 4,
      refusedTableFull: 0,
      refusedPinned: 0,
      ignoredGroup: 0,
      refusedControlReserve: 0,
      refusedLearnRate: 7,
      refusedFamily: 1,
    },
  };
}

function neighborStatus(address: string, state: NeighborStatus['state'], n: number): NeighborStatus {
  return {
    address,
    peerAs: 65000,
    state,
    since: 10,
    routerId: state === 'established' ? '10.0.0.9' : null,
    families: ['l2vpn-evpn'],
    received: n,
    accepted: n - 1,
    advertised: n + 1,
    holdTime: 90,
    lastDown: null,
    messages: { received: 10 * n, sent: 10 * n + 1 },
    prefixLimits: [],
    dynamicRange: null,
  };
}

class FakeVtep implements MetricsSource {
  c = fakeCounters();
  n: NeighborStatus[] = [neighborStatus('10.0.0.9', 'established', 4), neighborStatus('fd00::9', 'active', 1)];
  calls = 0;
  counters(): DataplaneCounters {
    this.calls++;
    return structuredClone(this.c);
  }
  neighbors(): NeighborStatus[] {
    return structuredClone(this.n);
  }
  evpn(): { vtepFamilyRefused: number; installsRefused: number; pendingInstalls: number; macIpsRefused: number } {
    return { vtepFamilyRefused: 2, installsRefused: 5, pendingInstalls: 3, macIpsRefused: 1 };
  }
}

const silent = pino({ level: 'silent' });

// ---------------------------------------------------------------- unit tests

test('metric names, labels and values from a fake VTEP; the text parses as exposition format', async () => {
  const vtep = new FakeVtep();
  const registry = createMetricsRegistry(vtep);
  const text = await registry.metrics();
  const e = parseExposition(text);
  assert.equal(vtep.calls, 1, 'one snapshot of the counters per scrape');

  assert.equal(value(e, 'vxswitch_port_rx_frames_total', { port: 'eth1', kind: 'packet' }), 10);
  assert.equal(value(e, 'vxswitch_port_rx_bytes_total', { port: 'eth1' }), 1000);
  assert.equal(value(e, 'vxswitch_port_tx_frames_total', { port: 'tap0', kind: 'tap' }), 4);
  assert.equal(value(e, 'vxswitch_port_tx_bytes_total', { port: 'tap0' }), 400);
  assert.equal(value(e, 'vxswitch_port_drops_total', { port: 'eth1' }), 2);
  assert.equal(value(e, 'vxswitch_port_kernel_drops_total', { port: 'eth1' }), 3);
  assert.deepEqual(
    samples(e, 'vxswitch_port_vni_info').map((s) => `${s.labels['port']}/${s.labels['vni']}`).sort(),
    ['eth1/100', 'tap0/100', 'tap0/200'],
  );

  assert.equal(value(e, 'vxswitch_vni_rx_frames_total', { vni: '100' }), 15);
  assert.equal(value(e, 'vxswitch_vni_tx_bytes_total', { vni: '100' }), 1300);
  assert.equal(value(e, 'vxswitch_vni_encapsulated_total', { vni: '100' }), 14);
  assert.equal(value(e, 'vxswitch_vni_decapsulated_total', { vni: '100' }), 12);
  assert.equal(value(e, 'vxswitch_vni_flooded_total', { vni: '100' }), 1);
  assert.equal(value(e, 'vxswitch_vni_arp_suppressed_total', { vni: '100' }), 3);
  assert.equal(value(e, 'vxswitch_vni_encapsulated_total', { vni: '200' }), 0);
  assert.equal(value(e, 'vxswitch_vni_drops_total', { vni: '100', reason: 'unknown-vtep' }), 1);
  // Every reason is exported (zero included), so rate() works from the first drop.
  assert.equal(samples(e, 'vxswitch_vni_drops_total', { vni: '200' }).length, DROP_REASON_NAMES.length);
  assert.equal(samples(e, 'vxswitch_drops_total').length, DROP_REASON_NAMES.length);
  assert.equal(value(e, 'vxswitch_drops_total', { reason: 'no-vni' }), 2);

  assert.equal(value(e, 'vxswitch_underlay_rx_datagrams_total', { udp_port: '4789' }), 12);
  assert.equal(value(e, 'vxswitch_underlay_tx_bytes_total', { udp_port: '4789' }), 1512);

  const fdb = Object.fromEntries(samples(e, 'vxswitch_fdb_entries').map((s) => [s.labels['kind'], s.value]));
  assert.deepEqual(fdb, { local_learned: 2, local_static: 1, remote_learned: 3, remote_control: 2, remote_static: 1 });
  assert.equal(value(e, 'vxswitch_fdb_learned_total'), 5);
  assert.equal(value(e, 'vxswitch_fdb_refused_total', { reason: 'vni-limit' }), 4);
  assert.equal(value(e, 'vxswitch_fdb_refused_total', { reason: 'learn-rate' }), 7);
  assert.equal(value(e, 'vxswitch_fdb_refused_total', { reason: 'vtep-family' }), 1);
  assert.equal(value(e, 'vxswitch_port_learn_refused_total', { port: 'eth1' }), 7);
  assert.equal(value(e, 'vxswitch_vni_learn_refused_total', { vni: '100' }), 7);
  assert.equal(value(e, 'vxswitch_evpn_pending_installs'), 3);
  assert.equal(value(e, 'vxswitch_evpn_refused_total', { reason: 'fdb-full' }), 5);
  assert.equal(value(e, 'vxswitch_evpn_refused_total', { reason: 'vtep-family' }), 2);

  assert.equal(value(e, 'vxswitch_bgp_routes_received', { neighbor: '10.0.0.9' }), 4);
  assert.equal(value(e, 'vxswitch_bgp_routes_accepted', { neighbor: '10.0.0.9' }), 3);
  assert.equal(value(e, 'vxswitch_bgp_routes_advertised', { neighbor: '10.0.0.9' }), 5);
  assert.equal(value(e, 'vxswitch_bgp_session_state', { neighbor: '10.0.0.9' }), 6);
  assert.equal(value(e, 'vxswitch_bgp_session_state', { neighbor: 'fd00::9' }), 3);
  assert.equal(value(e, 'vxswitch_bgp_session_up', { neighbor: '10.0.0.9' }), 1);
  assert.equal(value(e, 'vxswitch_bgp_session_up', { neighbor: 'fd00::9' }), 0);
  assert.equal(value(e, 'vxswitch_bgp_messages_received_total', { neighbor: '10.0.0.9' }), 40);
  assert.equal(value(e, 'vxswitch_bgp_messages_sent_total', { neighbor: 'fd00::9' }), 11);

  // Types: running totals are counters, levels are gauges.
  for (const [name, type] of e.types) {
    if (!name.startsWith('vxswitch_')) continue;
    assert.equal(type, name.endsWith('_total') ? 'counter' : 'gauge', name);
    assert.ok((e.help.get(name) ?? '') !== '', `HELP for ${name}`);
  }
  // prom-client's default process metrics are there too.
  assert.ok(e.types.has('process_cpu_user_seconds_total'), 'process metrics');
  assert.ok([...e.types.keys()].some((n) => n.startsWith('nodejs_')), 'nodejs metrics');
});

test('counters follow the VTEP between scrapes; series of removed ports, VNIs and peers vanish', async () => {
  const vtep = new FakeVtep();
  const registry = createMetricsRegistry(vtep, { defaultMetrics: false });
  const before = parseExposition(await registry.metrics());
  vtep.c.ports[0]!.rxFrames += 7;
  vtep.c.vnis[0]!.encapsulated += 7;
  vtep.n[1]!.state = 'established';
  const after = parseExposition(await registry.metrics());
  assert.equal(value(after, 'vxswitch_port_rx_frames_total', { port: 'eth1' }) - value(before, 'vxswitch_port_rx_frames_total', { port: 'eth1' }), 7);
  assert.equal(value(after, 'vxswitch_vni_encapsulated_total', { vni: '100' }) - value(before, 'vxswitch_vni_encapsulated_total', { vni: '100' }), 7);
  assert.equal(value(after, 'vxswitch_bgp_session_up', { neighbor: 'fd00::9' }), 1);
  assert.equal(vtep.calls, 2);

  vtep.c.ports.pop();
  vtep.c.vnis.pop();
  vtep.n.pop();
  const reloaded = parseExposition(await registry.metrics());
  assert.deepEqual(samples(reloaded, 'vxswitch_port_rx_frames_total').map((s) => s.labels['port']), ['eth1']);
  assert.deepEqual(samples(reloaded, 'vxswitch_vni_rx_frames_total').map((s) => s.labels['vni']), ['100']);
  assert.equal(samples(reloaded, 'vxswitch_vni_drops_total', { vni: '200' }).length, 0);
  assert.deepEqual(samples(reloaded, 'vxswitch_bgp_session_state').map((s) => s.labels['neighbor']), ['10.0.0.9']);
  assert.equal(samples(reloaded, 'process_cpu_user_seconds_total').length, 0, 'defaultMetrics: false');
});

function get(port: number, urlPath: string, method = 'GET'): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('HTTP: GET /metrics is the exposition (text/plain; version=0.0.4), anything else 404, POST 405', async () => {
  const server = new MetricsServer(new FakeVtep(), { host: '127.0.0.1', port: 0 }, silent);
  await server.listen();
  try {
    const port = server.address()!.port;
    const r = await get(port, '/metrics');
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/plain; version=0\.0\.4/);
    assert.equal(value(parseExposition(r.body), 'vxswitch_port_rx_frames_total', { port: 'eth1' }), 10);
    assert.equal((await get(port, '/metrics?x=1')).status, 200);
    assert.equal((await get(port, '/')).status, 404);
    assert.equal((await get(port, '/metrics/x')).status, 404);
    assert.equal((await get(port, '/metrics', 'POST')).status, 405);
    const head = await get(port, '/metrics', 'HEAD');
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
  } finally {
    await server.close();
  }
  assert.equal(server.address(), null);
});

test('a taken metrics address is a clear error', async () => {
  const a = new MetricsServer(new FakeVtep(), { host: '127.0.0.1', port: 0 }, silent);
  await a.listen();
  try {
    const b = new MetricsServer(new FakeVtep(), { host: '127.0.0.1', port: a.address()!.port }, silent);
    await assert.rejects(b.listen(), /metrics listen 127\.0\.0\.1:\d+: EADDRINUSE/);
  } finally {
    await a.close();
  }
});

test('listen addresses: IPv4:port and [IPv6]:port only', () => {
  assert.deepEqual(parseListenAddress('127.0.0.1:9273'), { host: '127.0.0.1', port: 9273 });
  assert.deepEqual(parseListenAddress('0.0.0.0:1'), { host: '0.0.0.0', port: 1 });
  assert.deepEqual(parseListenAddress('[::1]:9273'), { host: '::1', port: 9273 });
  assert.deepEqual(parseListenAddress('[fd00::1]:65535'), { host: 'fd00::1', port: 65535 });
  for (const bad of ['127.0.0.1', '127.0.0.1:0', '127.0.0.1:65536', ':9273', 'localhost:9273', '::1:9273', '[127.0.0.1]:9273', '[::1]', '1.2.3.4:92a', '300.1.1.1:80', '127.0.0.1:123456', '']) {
    assert.equal(parseListenAddress(bad), null, bad);
  }
});

const BASE = '[global.config]\nas = 65001\nrouter-id = "10.217.0.1"\n[dataplane]\ntype = "userspace"\n';

test('config: [metrics] listen becomes metricsListen; a bad address or key is one message naming it', () => {
  assert.equal(parseConfig('a.toml', BASE).metricsListen, undefined);
  assert.equal(parseConfig('a.toml', `${BASE}[metrics]\nlisten = "127.0.0.1:9273"\n`).metricsListen, '127.0.0.1:9273');
  assert.equal(parseConfig('a.toml', `${BASE}[metrics]\nlisten = "[::]:9273"\n`).metricsListen, '[::]:9273');
  const problems = (toml: string): string[] => {
    try {
      parseConfig('a.toml', toml);
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    assert.fail(`accepted:\n${toml}`);
  };
  assert.deepEqual(problems(`${BASE}[metrics]\nlisten = "localhost:9273"\n`), [
    'a.toml: metrics.listen = "localhost:9273": expected host:port with an IP host, e.g. "127.0.0.1:9273" or "[::1]:9273"',
  ]);
  assert.deepEqual(problems(`${BASE}[metrics]\nlisten = "127.0.0.1:0"\n`), [
    'a.toml: metrics.listen = "127.0.0.1:0": expected host:port with an IP host, e.g. "127.0.0.1:9273" or "[::1]:9273"',
  ]);
  const [missing, ...rest] = problems(`${BASE}[metrics]\n`);
  assert.equal(rest.length, 0);
  assert.match(missing!, /^a\.toml: metrics\.listen = missing: expected/);
  const [unknown] = problems(`${BASE}[metrics]\nlisten = "127.0.0.1:9273"\nlisten-address = "x"\n`);
  assert.match(unknown!, /^a\.toml: metrics\.listen-address: unknown key/);
});

test('the exposition reader used here rejects what Prometheus rejects', () => {
  const ok = '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1",y="q\\"\\n"} 3\n# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 2.5e-3\nh_count 1\n';
  const e = parseExposition(ok);
  assert.deepEqual(samples(e, 'a_total')[0], { name: 'a_total', labels: { x: '1', y: 'q"\n' }, value: 3 });
  assert.equal(value(e, 'h_sum'), 0.0025);
  for (const bad of [
    'a 1\n', // no TYPE
    '# TYPE a gauge\na 1', // no final newline
    '# TYPE a gauge\na{x=1} 1\n', // unquoted label value
    '# TYPE a gauge\na{x="1"}  1\n', // two spaces
    '# TYPE a gauge\na one\n',
    '# TYPE a gauge\na{x="1",x="2"} 1\n',
    '# TYPE a gauge\na 1\na 2\n', // a series twice
    '# TYPE a gauge\n# TYPE a counter\n',
    '# TYPE a thing\n',
    '# TYPE a gauge\na_sum 1\n', // suffixes only for histograms / summaries
  ]) {
    assert.throws(() => parseExposition(bad), Error, JSON.stringify(bad));
  }
});

// ---------------------------------------------------------------- the daemon, scraped

const S_VTEP = '10.217.0.1';
const K_VTEP = '10.217.0.2';
const VNI = 217;
const METRICS = '127.0.0.1:9273';
/** A neighbor that never comes up: its session series are there, down. */
const DOWN_PEER = '10.217.0.9';

/** GET /metrics from inside ns (the listener is on the namespace's loopback). */
async function scrape(ns: string): Promise<{ type: string; text: string; e: Exposition }> {
  const script =
    `fetch('http://${METRICS}/metrics').then(async (r) => process.stdout.write(JSON.stringify({ status: r.status, type: r.headers.get('content-type'), text: await r.text() })))` +
    `.catch((e) => { console.error(String(e)); process.exit(1); })`;
  const r = await exec(inNs(ns, [process.execPath, '-e', script]), { timeoutMs: 10_000 });
  const { status, type, text } = JSON.parse(r.stdout) as { status: number; type: string; text: string };
  assert.equal(status, 200);
  return { type, text, e: parseExposition(text) };
}

test('a running daemon: /metrics counters move with traffic (ping through a static VNI to a kernel VTEP)', { skip: needsRoot, timeout: 90_000 }, async (t) => {
  const topo = new Topology();
  let vx: Vxswitch | undefined;
  try {
    const s = await topo.addNamespace();
    const k = await topo.addNamespace();
    const su = topo.name();
    const ku = topo.name();
    await topo.veth(s, su, k, ku, { mtu: 1550 });
    await topo.address(s, su, `${S_VTEP}/24`);
    await topo.address(k, ku, `${K_VTEP}/24`);
    const hA = await topo.host(s, { ip: '10.217.1.1/24', mac: '02:17:00:00:00:0a' });
    const kv = await topo.kernelVtep({ ns: k, vni: VNI, local: K_VTEP, flood: [S_VTEP], hosts: [{ ip: '10.217.1.2/24', mac: '02:17:00:00:00:0b' }] });
    const hB = kv.hosts[0]!;

    const dir = await topo.tempDir();
    const configPath = path.join(dir, 'vx.toml');
    const toml = [
      '[global.config]',
      '  as = 65217',
      `  router-id = "${S_VTEP}"`,
      `  local-address-list = ["${S_VTEP}"]`,
      '[[neighbors]]',
      '  [neighbors.config]',
      `    neighbor-address = "${DOWN_PEER}"`,
      '    peer-as = 65217',
      '  [neighbors.transport.config]',
      '    passive-mode = true',
      '[dataplane]',
      '  type = "userspace"',
      `  vtep-address = "${S_VTEP}"`,
      `  underlay-interface = "${su}"`,
      '[[dataplane.virtual-network-list]]',
      `  vni = ${VNI}`,
      '  mode = "static"',
      `  member-interfaces = ["${hA.peer}"]`,
      `  flood-list = ["${K_VTEP}"]`,
      '[metrics]',
      `  listen = "${METRICS}"`,
      '',
    ].join('\n');
    await writeFile(configPath, toml);
    const vxConfig = { as: 65217, routerId: S_VTEP, neighbors: [], vnis: [] };
    vx = new Vxswitch(topo, 'vx', s, configPath, path.join(dir, 'vx.sock'), vxConfig, 'info');
    await vx.start();
    t.after(() => {
      if (vx !== undefined && vx.errorLines().length > 0) t.diagnostic(vx.logTail());
    });

    // Warm up: ARP both ways (flooded), MACs learned; then count from a steady state.
    const warm = await ping(hA.ns, hB.ip!, { count: 2 });
    assert.equal(warm.received, 2, `warm-up ping lost packets\n${warm.output}\n${vx.logTail()}`);
    const before = await scrape(s);
    assert.match(before.type, /^text\/plain; version=0\.0\.4/);

    const N = 20;
    const r = await ping(hA.ns, hB.ip!, { count: N, intervalS: 0.05 });
    assert.equal(r.received, N, `ping lost packets\n${r.output}`);
    const after = await scrape(s);

    const port = { port: hA.peer, kind: 'packet' };
    const vni = { vni: String(VNI) };
    const delta = (name: string, labels: Record<string, string>): number => value(after.e, name, labels) - value(before.e, name, labels);
    // N echo requests in on the member port and N replies out of it; each is a
    // 98-byte frame (ICMP 64 + IPv4 20 + Ethernet 14).
    assert.ok(delta('vxswitch_port_rx_frames_total', port) >= N, `port rx frames +${delta('vxswitch_port_rx_frames_total', port)}`);
    assert.ok(delta('vxswitch_port_tx_frames_total', port) >= N, `port tx frames +${delta('vxswitch_port_tx_frames_total', port)}`);
    assert.ok(delta('vxswitch_port_rx_bytes_total', port) >= N * 98, `port rx bytes +${delta('vxswitch_port_rx_bytes_total', port)}`);
    assert.ok(delta('vxswitch_port_tx_bytes_total', port) >= N * 98, `port tx bytes +${delta('vxswitch_port_tx_bytes_total', port)}`);
    assert.ok(delta('vxswitch_vni_rx_frames_total', vni) >= N);
    assert.ok(delta('vxswitch_vni_tx_frames_total', vni) >= N);
    assert.ok(delta('vxswitch_vni_encapsulated_total', vni) >= N, `encapsulated +${delta('vxswitch_vni_encapsulated_total', vni)}`);
    assert.ok(delta('vxswitch_vni_decapsulated_total', vni) >= N, `decapsulated +${delta('vxswitch_vni_decapsulated_total', vni)}`);
    assert.ok(delta('vxswitch_underlay_tx_datagrams_total', { udp_port: '4789' }) >= N);
    assert.ok(delta('vxswitch_underlay_rx_datagrams_total', { udp_port: '4789' }) >= N);
    // Nothing in this run is a drop; the series exist with every reason.
    assert.equal(samples(after.e, 'vxswitch_drops_total').length, DROP_REASON_NAMES.length);
    assert.equal(samples(after.e, 'vxswitch_vni_drops_total', vni).length, DROP_REASON_NAMES.length);
    assert.equal(value(after.e, 'vxswitch_port_vni_info', { port: hA.peer, vni: String(VNI) }), 1);

    // Static mode learns hA on its port and hB behind the kernel VTEP.
    assert.ok(value(after.e, 'vxswitch_fdb_entries', { kind: 'local_learned' }) >= 1);
    assert.ok(value(after.e, 'vxswitch_fdb_entries', { kind: 'remote_learned' }) >= 1);

    // The configured neighbor is passive and never connects.
    assert.equal(value(after.e, 'vxswitch_bgp_session_up', { neighbor: DOWN_PEER }), 0);
    const state = value(after.e, 'vxswitch_bgp_session_state', { neighbor: DOWN_PEER });
    assert.ok(state >= 1 && state <= 3, `session state ${state}`);
    assert.equal(value(after.e, 'vxswitch_bgp_routes_received', { neighbor: DOWN_PEER }), 0);
    assert.ok(after.e.types.has('process_resident_memory_bytes'));

    t.diagnostic(
      `+${delta('vxswitch_port_rx_frames_total', port)} rx / +${delta('vxswitch_port_tx_frames_total', port)} tx frames on ${hA.peer}, ` +
        `+${delta('vxswitch_vni_encapsulated_total', vni)} encapsulated / +${delta('vxswitch_vni_decapsulated_total', vni)} decapsulated in VNI ${VNI}; ` +
        `${after.e.samples.length} samples, ${after.text.length} bytes`,
    );

    // SIGTERM closes the metrics listener with the rest: exit 0.
    assert.equal(await vx.stop(), 0, vx.logTail());
  } finally {
    await vx?.stop();
    await topo.destroy();
  }
});
