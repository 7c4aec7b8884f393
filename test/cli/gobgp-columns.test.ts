// Issue 5, acceptance 2: `vxswitch neighbor` and `vxswitch global rib -a
// evpn` print the same tables as gobgp 3.10's `gobgp neighbor` and `gobgp
// global rib -a evpn`, checked against the installed gobgp CLI.
//
// gobgpd A is fed routes with `gobgp global rib -a evpn add ...` (macadv
// with and without an IP, with an ESI, with MED / LOCAL_PREF / AS_PATH /
// communities, multicast with and without PMSI). A peers over iBGP with
// vxswitch and with a second gobgpd B, the reference receiver: both get the
// same routes with the same attributes, so for each of A's routes the row
// of `vxswitch global rib -a evpn` must equal B's row of `gobgp global rib
// -a evpn` column by column (Age only in its format), and vxswitch's
// `neighbor` row for A must equal B's `gobgp neighbor` row for A (Up/Down
// only in its format).
//
// Addresses: underlay 10.219.71.0/24 (A .1, B .2, vxswitch .3), host behind
// vxswitch 10.219.72.3, VNI 100. A dials B (an active gobgpd waits 5-10 s
// before its first attempt); vxswitch dials A (A is passive toward it).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { startGobgpd, type Gobgpd } from '../helpers/gobgp.js';
import { exec, needsRoot, Topology, waitFor } from '../helpers/netns.js';
import { startVxswitch, VXSWITCH_BIN, type Vxswitch } from '../control/vxswitch-lab.js';

const AS = 65000;
const VNI = 100;
const A_IP = '10.219.71.1';
const B_IP = '10.219.71.2';
const VX_IP = '10.219.71.3';
const A_RD = `${A_IP}:${VNI}`;
const RT = `${AS}:${VNI}`;

function binaryMissing(): string | false {
  if (needsRoot) return needsRoot;
  for (const f of ['/usr/bin/gobgpd', '/usr/bin/gobgp']) if (!existsSync(f)) return `needs gobgpd (${f} missing)`;
  return false;
}

/** Every route A originates, as `gobgp global rib -a evpn add` arguments. */
const ROUTES: string[][] = [
  ['multicast', A_IP, 'etag', '0', 'rd', A_RD, 'rt', RT, 'encap', 'vxlan', 'pmsi', 'ingress-repl', String(VNI), A_IP, 'nexthop', A_IP, 'origin', 'igp'],
  ['multicast', A_IP, 'etag', '0', 'rd', `${AS}:200`, 'rt', RT, 'nexthop', A_IP, 'origin', 'egp'],
  ['macadv', '02:19:71:00:00:01', '0.0.0.0', 'etag', '0', 'label', String(VNI), 'rd', A_RD, 'rt', RT, 'encap', 'vxlan', 'nexthop', A_IP, 'origin', 'igp'],
  ['macadv', '02:19:71:00:00:02', '10.219.72.2', 'etag', '0', 'label', String(VNI), 'rd', A_RD, 'rt', RT, 'encap', 'vxlan', 'nexthop', A_IP, 'origin', 'igp'],
  // MED and LOCAL_PREF (gobgp prints them in type-code order), two RTs, an AS_PATH, ORIGIN incomplete.
  ['macadv', '02:19:71:00:00:03', '10.219.72.3', 'etag', '5', 'label', String(VNI), 'rd', `${AS}:200`, 'rt', RT, `${AS}:101`, 'encap', 'vxlan',
    'nexthop', A_IP, 'origin', 'incomplete', 'aspath', '65010 65011', 'med', '10', 'local-pref', '200'],
  ['macadv', '02:19:71:00:00:04', '0.0.0.0', 'etag', '0', 'label', String(VNI), 'rd', A_RD, 'rt', RT, 'encap', 'vxlan', 'nexthop', A_IP, 'origin', 'igp',
    'community', '65000:1,no-export'],
  // A non-zero ESI: gobgp prints it in Attrs ("[ESI: ESI_LACP | system mac ..., port key 1]").
  ['macadv', '02:19:71:00:00:05', '0.0.0.0', 'esi', 'LACP', '02:19:71:ee:ee:01', '1', 'etag', '0', 'label', String(VNI), 'rd', A_RD, 'rt', RT,
    'encap', 'vxlan', 'nexthop', A_IP, 'origin', 'igp'],
];

/** A duration as gobgp's formatTimedelta prints it. */
const AGE = /^(\d+d )?\d{2}:\d{2}:\d{2}$/;

interface Table {
  header: string;
  /** Header names in order, e.g. ['Network', 'Labels', ...]. */
  names: string[];
  rows: Array<Record<string, string>>;
}

/**
 * Cut a fixed-width table at the header's column starts. The first column
 * (the best-path mark of a RIB, with an empty header) is named 'mark'.
 */
function parseTable(text: string, names: readonly string[], firstName?: string): Table {
  const lines = text.split('\n').filter((l) => l.length > 0);
  const header = lines[0] ?? '';
  const starts = names.map((n) => header.indexOf(n));
  for (const [i, s] of starts.entries()) assert.ok(s >= 0, `column ${names[i]} in header ${JSON.stringify(header)}`);
  const cols = firstName !== undefined ? [firstName, ...names] : [...names];
  const cuts = firstName !== undefined ? [0, ...starts] : starts;
  const rows = lines.slice(1).map((l) => {
    const row: Record<string, string> = {};
    cols.forEach((c, i) => {
      row[c] = l.slice(cuts[i], i + 1 < cuts.length ? cuts[i + 1] : undefined).trim();
    });
    return row;
  });
  const found = names.slice().sort((x, y) => header.indexOf(x) - header.indexOf(y));
  return { header, names: found, rows };
}

const RIB_COLUMNS = ['Network', 'Labels', 'Next Hop', 'AS_PATH', 'Age', 'Attrs'];
const NEIGHBOR_COLUMNS = ['Peer', 'AS', 'Up/Down', 'State', '#Received', 'Accepted'];

async function vxswitchText(vx: Vxswitch, ...args: string[]): Promise<string> {
  const r = await exec([process.execPath, VXSWITCH_BIN, '--api-socket', vx.apiSocket, ...args], { timeoutMs: 10_000, allowFailure: true });
  assert.equal(r.code, 0, `vxswitch ${args.join(' ')}: exit ${r.code}\n${r.stderr}`);
  return r.stdout;
}

describe('vxswitch tables match gobgp 3.10 column by column', { skip: binaryMissing(), timeout: 90_000 }, () => {
  const topo = new Topology();
  let a: Gobgpd;
  let b: Gobgpd;
  let vx: Vxswitch;

  before(async () => {
    const ul = await topo.addNamespace();
    const br = await topo.bridge(ul);
    const [aNs, bNs, vxNs] = await Promise.all([topo.addNamespace(), topo.addNamespace(), topo.addNamespace()]);
    await topo.underlayPort(ul, br, aNs, `${A_IP}/24`);
    await topo.underlayPort(ul, br, bNs, `${B_IP}/24`);
    await topo.underlayPort(ul, br, vxNs, `${VX_IP}/24`);
    await topo.host(vxNs, { ip: '10.219.72.3/24', mac: '02:19:72:00:00:03', peerName: 'hp0' });
    [a, b] = await Promise.all([
      startGobgpd(topo, {
        ns: aNs,
        config: {
          as: AS,
          routerId: A_IP,
          listenAddresses: [A_IP],
          neighbors: [
            { address: B_IP, peerAs: AS, localAddress: A_IP, connectRetryS: 1, idleHoldAfterResetS: 1 },
            { address: VX_IP, peerAs: AS, localAddress: A_IP, passive: true, connectRetryS: 1, idleHoldAfterResetS: 1 },
          ],
        },
      }),
      startGobgpd(topo, {
        ns: bNs,
        config: {
          as: AS,
          routerId: B_IP,
          listenAddresses: [B_IP],
          neighbors: [{ address: A_IP, peerAs: AS, localAddress: B_IP, passive: true, connectRetryS: 1, idleHoldAfterResetS: 1 }],
        },
      }),
    ]);
    vx = await startVxswitch(topo, {
      name: 'vx-columns',
      ns: vxNs,
      config: { as: AS, routerId: VX_IP, neighbors: [{ address: A_IP, peerAs: AS, connectRetryS: 1 }], vnis: [{ vni: VNI, members: ['hp0'] }] },
    });
    for (const r of ROUTES) await a.cli('global', 'rib', '-a', 'evpn', 'add', ...r);
    await Promise.all([vx.waitEstablished(A_IP, 30_000), b.waitEstablished(A_IP, 30_000)]);
    // Both receivers hold all of A's routes.
    await waitFor('B holds all of A\'s routes', async () => (await b.rib()).filter((p) => p.neighborIp === A_IP).length === ROUTES.length || undefined, 15_000, 200);
    await vx.until('all of A\'s routes', async () => (await vx.rib()).filter((p) => p.peer === A_IP).length === ROUTES.length || undefined, 15_000);
  });

  after(async () => {
    await topo.destroy();
  });

  test('global rib -a evpn: same header, route strings, labels, next hop, AS_PATH, attrs; Age in gobgp form', async (t) => {
    const gobgpText = await b.cli('global', 'rib', '-a', 'evpn');
    const vxText = await vxswitchText(vx, 'global', 'rib', '-a', 'evpn');
    t.diagnostic(`gobgp (B):\n${gobgpText}`);
    t.diagnostic(`vxswitch:\n${vxText}`);
    const g = parseTable(gobgpText, RIB_COLUMNS, 'mark');
    const v = parseTable(vxText, RIB_COLUMNS, 'mark');
    assert.deepEqual(v.names, RIB_COLUMNS, 'column order');
    assert.deepEqual(g.names, RIB_COLUMNS, "gobgp's column order");
    // Column widths come from the longest values. They are A's routes in both
    // tables unless vxswitch's own routes (its Type 3, Type 2s of the host
    // behind it) are longer; only then can padding differ.
    const longest = (rows: Array<Record<string, string>>, c: string): number => Math.max(0, ...rows.map((r) => r[c]!.length));
    const sameWidths = ['Network', 'Labels', 'Next Hop', 'AS_PATH'].every((c) => longest(v.rows, c) <= Math.max(longest(g.rows, c), c === 'Labels' ? 10 : 20));
    if (sameWidths) assert.equal(v.header, g.header, 'header line, padding included');
    else t.diagnostic("vxswitch's own routes widen a column: header and whole lines compared without padding");

    const vxByNet = new Map(v.rows.map((r) => [r['Network']!, r]));
    assert.equal(g.rows.length, ROUTES.length, 'B holds exactly A\'s routes');
    for (const gr of g.rows) {
      const net = gr['Network']!;
      const vr = vxByNet.get(net);
      assert.ok(vr !== undefined, `${net} in vxswitch's table:\n${vxText}`);
      for (const c of ['mark', 'Labels', 'Next Hop', 'AS_PATH', 'Attrs']) assert.equal(vr[c], gr[c], `${net}: column ${c}`);
      assert.match(gr['Age']!, AGE);
      assert.match(vr['Age']!, AGE, `${net}: Age`);
    }
    // Whole lines, with Age blanked: the padding matches too.
    const blankAge = (text: string): Map<string, string> =>
      new Map(
        text
          .split('\n')
          .filter((l) => l.includes('[type:'))
          .map((l) => [/\[type:\S+/.exec(l)![0], l.replace(/ (\d+d )?\d{2}:\d{2}:\d{2} /, ' AGE ')]),
      );
    const squeeze = (l: string | undefined): string | undefined => (sameWidths ? l : l?.replace(/ +/g, ' '));
    const gl = blankAge(gobgpText);
    const vl = blankAge(vxText);
    for (const [net, line] of gl) assert.equal(squeeze(vl.get(net)), squeeze(line), `${net}: whole line`);
  });

  test('global rib --json keeps the JSON form, with the same Attrs text', async () => {
    const json = await vx.cliJson<Array<{ nlri: string; peer: string | null; gobgpAttrs: string; nextHop: string }>>('global', 'rib', '-a', 'evpn');
    const fromA = json.filter((r) => r.peer === A_IP);
    assert.equal(fromA.length, ROUTES.length);
    const g = parseTable(await b.cli('global', 'rib', '-a', 'evpn'), RIB_COLUMNS, 'mark');
    for (const r of fromA) {
      const gr = g.rows.find((x) => x['Network'] === r.nlri);
      assert.ok(gr !== undefined, r.nlri);
      assert.equal(r.gobgpAttrs, gr['Attrs']);
      assert.equal(r.nextHop, gr['Next Hop']);
    }
  });

  test('neighbor: same header and columns as `gobgp neighbor`; Up/Down in gobgp form', async (t) => {
    const gobgpText = await b.cli('neighbor');
    const vxText = await vxswitchText(vx, 'neighbor');
    t.diagnostic(`gobgp (B):\n${gobgpText}`);
    t.diagnostic(`vxswitch:\n${vxText}`);
    // AS and Up/Down are right-aligned, so rows are read with a pattern, not cut at the header's offsets.
    const namesOf = (text: string): string[] => {
      const header = text.split('\n')[0] ?? '';
      return NEIGHBOR_COLUMNS.filter((c) => header.includes(c)).sort((x, y) => header.indexOf(x) - header.indexOf(y));
    };
    assert.deepEqual(namesOf(vxText), NEIGHBOR_COLUMNS, 'column order');
    assert.deepEqual(namesOf(gobgpText), NEIGHBOR_COLUMNS, "gobgp's column order");
    assert.equal(vxText.split('\n')[0], gobgpText.split('\n')[0], 'header line, padding included');
    const ROW = /^(\S+)\s+(\d+)\s+((?:\d+d )?\d\d:\d\d:\d\d|never)\s+(\S+)\s+\|\s*(\d+)\s+(\d+)$/;
    const rowOf = (text: string): string[] | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`${A_IP} `));
      return line === undefined ? undefined : ROW.exec(line)?.slice(1);
    };
    const gr = rowOf(gobgpText);
    const vr = rowOf(vxText);
    assert.ok(gr !== undefined && vr !== undefined, `A in both tables:\n${gobgpText}\n${vxText}`);
    const [vPeer, vAs, vUp, vState, vRcvd, vAcc] = vr;
    const [gPeer, gAs, , gState, gRcvd, gAcc] = gr;
    assert.deepEqual([vPeer, vAs, vState, vRcvd, vAcc], [gPeer, gAs, gState, gRcvd, gAcc], 'Peer, AS, State, #Received, Accepted');
    assert.equal(vState, 'Establ');
    assert.equal(vRcvd, String(ROUTES.length));
    assert.match(vUp!, AGE);
    const blank = (text: string): string | undefined => text.split('\n').find((l) => l.startsWith(A_IP))?.replace(/(\d+d )?\d{2}:\d{2}:\d{2}/, 'UPDOWN');
    assert.equal(blank(vxText), blank(gobgpText), 'whole row, Up/Down blanked');
  });

  test('neighbor --json keeps the JSON form', async () => {
    const list = await vx.neighbors();
    const n = list.find((x) => x.address === A_IP);
    assert.equal(n?.state, 'established');
    assert.equal(n?.received, ROUTES.length);
  });
});
