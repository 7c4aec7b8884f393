// The end-to-end bench's chart and table, from figures to SVG: the SVG is
// parsed back (fast-xml-parser) and its bars and labels checked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { list, parseSvg, type SvgNode } from '../helpers/svg-parse.js';
import { renderBarChart, type BarChart } from '../../bench/e2e/chart-svg.js';
import { escapeXml } from '../../bench/svg-document.js';
import { chartOf, renderChart } from '../../bench/e2e/chart.js';
import type { KneeResult } from '../../bench/e2e/loss-free.js';
import type { LoadRun } from '../../bench/e2e/load.js';
import type { EndToEndRun, EngineRun } from '../../bench/e2e/results.js';
import { formatColumns, medianRows, rowsOf, tableText } from '../../bench/e2e/table.js';

const textOf = (t: SvgNode): string => String(t['#text'] ?? '');
const texts = (n: SvgNode, cls: string): string[] => list(n, 'text').filter((t) => t['class'] === cls).map(textOf);

const chart: BarChart = {
  title: 'bench <1> & "2"',
  subtitle: ['2 cores, Linux 6.1', 'command: node x --runs 3'],
  series: [
    { name: 'kernel', color: '#4e79a7' },
    { name: 'OVS', color: '#f28e2b' },
    { name: 'vxswitch', color: '#59a14f' },
  ],
  groups: [
    {
      title: '64 B loss-free (frames/s)',
      bars: [{ value: 400_000, label: '400k' }, { value: 100_000, label: '100k' }, { value: 200_000, label: '200k', notes: ['0.50× kernel', '2.00× OVS'] }],
    },
    {
      title: 'TCP (Gbps)',
      bars: [{ value: 10, label: '10.00' }, { label: '-' }, { value: 5, label: '5.00' }],
    },
  ],
  footnotes: ['† a workaround'],
};

test('chart: one bar per value, heights proportional within a group, each group on its own scale', () => {
  const svg = parseSvg(renderBarChart(chart));
  const groups = list(svg, 'g');
  assert.equal(groups.length, 2);
  const bars = groups.map((g) => list(g, 'rect').filter((r) => r['class'] === 'bar'));
  assert.deepEqual(bars.map((b) => b.length), [3, 2], 'no bar where there is no value');
  const h = (r: SvgNode): number => Number(r['height']);
  const [k, o, v] = bars[0]!;
  assert.equal(k!['data-series'], 'kernel');
  assert.equal(v!['data-series'], 'vxswitch');
  assert.ok(Math.abs(h(k!) - 4 * h(o!)) < 0.5, `kernel 4x OVS: ${h(k!)} vs ${h(o!)}`);
  assert.ok(Math.abs(h(k!) - 2 * h(v!)) < 0.5, `kernel 2x vxswitch: ${h(k!)} vs ${h(v!)}`);
  assert.ok(Math.abs(h(k!) - h(bars[1]![0]!)) < 0.5, 'the largest bar of each group is as tall as the others');
  // Bars stand on one baseline: y + height is the same for all in a group.
  const foot = bars[0]!.map((r) => Number(r['y']) + h(r));
  assert.ok(foot.every((f) => Math.abs(f - foot[0]!) < 0.2), `baseline ${foot.join(' ')}`);
  assert.equal(bars[0]![1]!['fill'], '#f28e2b');
});

test('chart: values, series names, ratio notes, title, legend and footnotes are written as text', () => {
  const svg = parseSvg(renderBarChart(chart));
  const [g0, g1] = list(svg, 'g');
  assert.deepEqual(texts(g0!, 'value'), ['400k', '100k', '200k']);
  assert.deepEqual(texts(g1!, 'value'), ['10.00', '-', '5.00'], 'a missing value still says so');
  assert.deepEqual(texts(g0!, 'series'), ['kernel', 'OVS', 'vxswitch']);
  assert.deepEqual(texts(g0!, 'group-title'), ['64 B loss-free (frames/s)']);
  const notes = list(g0!, 'text').filter((t) => t['class'] === 'note');
  assert.deepEqual(notes.map(textOf), ['0.50× kernel', '2.00× OVS']);
  assert.ok(notes.every((t) => t['data-series'] === 'vxswitch'), 'ratios sit on the vxswitch bar');
  // The notes stand above the value label, which stands above the bar.
  const vbar = list(g0!, 'rect').find((r) => r['data-series'] === 'vxswitch')!;
  const vlabel = list(g0!, 'text').find((t) => t['class'] === 'value' && t['data-series'] === 'vxswitch')!;
  assert.ok(Number(vlabel['y']) < Number(vbar['y']));
  assert.ok(notes.every((t) => Number(t['y']) < Number(vlabel['y'])));
  assert.deepEqual(texts(svg, 'title'), ['bench <1> & "2"'], 'escaped on the way in, the same text on the way out');
  assert.deepEqual(texts(svg, 'subtitle'), chart.subtitle);
  assert.deepEqual(texts(svg, 'legend-label'), ['kernel', 'OVS', 'vxswitch']);
  assert.deepEqual(texts(svg, 'footnote'), ['† a workaround']);
});

test('chart: escapeXml leaves no markup', () => {
  assert.equal(escapeXml(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;');
});

function load(rate: number, delivered: number): LoadRun {
  return {
    size: 64, rate, offered: rate * 3, offeredRate: rate, sent: rate * 3, delivered: delivered * 3, deliveredRate: delivered,
    loss: Math.max(0, rate - delivered) / rate, seconds: 3, cpu: { busy: 0.5, softirq: 0.25, process: 0.4 },
  };
}

function knee(size: number, rate: number, overloadDelivered: number, extra: Partial<KneeResult> = {}): KneeResult {
  return {
    size, overload: load(2 * rate, overloadDelivered), steps: [], confirm: [load(rate, rate)], rate, loss: 0,
    cpu: { busy: 0.5, softirq: 0.25, process: 0.4 }, generatorLimited: false, ...extra,
  };
}

function engineRun(engine: EngineRun['engine'], rate: number, gbps?: number, extra: Partial<EngineRun> = {}): EngineRun {
  return {
    engine, knees: [knee(64, rate, rate * 0.8)], errors: [], notes: [],
    ...(gbps !== undefined ? { tcp: { gbps, retransmits: 10, cpu: { busy: 1, softirq: 0.5, process: 0.9 } } } : {}),
    ...extra,
  };
}

function e2eRun(kernel: number, ovs: number, vxswitch: number): EndToEndRun {
  return {
    ceiling: { 64: 1e6 },
    seconds: 300,
    engines: [
      engineRun('kernel', kernel, 10, { knees: [knee(64, kernel, kernel, { generatorLimited: true })] }),
      engineRun('ovs', ovs, 1, { tcpWorkaround: 'veth tx checksum off' }),
      engineRun('vxswitch', vxswitch, undefined, { tcpError: 'iperf3: no result' }),
    ],
  };
}

test('table: medians per engine, ratios as the median of per-run ratios, qualifiers and footnotes', () => {
  const runs = [e2eRun(400_000, 100_000, 200_000), e2eRun(500_000, 100_000, 150_000), e2eRun(300_000, 120_000, 240_000)];
  const rows = medianRows(runs.map((r) => rowsOf(r, [64], 0.005)), ['kernel', 'ovs', 'vxswitch']);
  const lossFree = rows.find((r) => r.key === 'loss-free-64')!;
  assert.deepEqual(lossFree.values, { kernel: 400_000, ovs: 100_000, vxswitch: 200_000 });
  // Per-run vxswitch/kernel: 0.5, 0.3, 0.8 -> median 0.5 (not 200k/400k by chance: also 0.5; check the list).
  assert.deepEqual(lossFree.ratios['vxswitch/kernel']?.perRun, [0.5, 0.3, 0.8]);
  assert.equal(lossFree.ratios['vxswitch/kernel']?.median, 0.5);
  assert.equal(lossFree.ratios['vxswitch/ovs']?.median, 2);
  assert.deepEqual(lossFree.atLeast, { kernel: true });
  const livelock = rows.find((r) => r.key === 'livelock-64')!;
  assert.equal(livelock.values.kernel, 1);
  assert.ok(Math.abs(livelock.values.vxswitch! - 0.8) < 1e-9);
  const tcp = rows.find((r) => r.key === 'tcp-gbps')!;
  assert.equal(tcp.values.vxswitch, undefined, 'a failed TCP run gives no figure');
  assert.deepEqual(tcp.ratios, {}, 'and no ratio');
  assert.equal(tcp.workaround.ovs, 'veth tx checksum off');
  const text = tableText(rows, ['kernel', 'ovs', 'vxswitch'], 3, 0.005);
  assert.deepEqual(text.header, ['', 'kernel', 'OVS', 'vxswitch', 'vxswitch/kernel', 'vxswitch/OVS', 'per run v/kernel', 'per run v/OVS']);
  const line = (key: string): string[] => text.body[rows.findIndex((r) => r.key === key)]!;
  assert.deepEqual(line('loss-free-64'), ['64 B loss-free frames/s', '>= 400,000', '100,000', '200,000', '0.50', '2.00', '0.50 0.30 0.80', '2.00 1.50 2.00']);
  assert.deepEqual(line('tcp-gbps').slice(1, 4), ['10.00', '1.00 †', '-']);
  assert.ok(text.notes.includes('†  : veth tx checksum off'));
  const printed = formatColumns(text.header, text.body);
  assert.equal(printed.length, rows.length + 1);
  // Right-aligned columns: the kernel header and its first value end at the same place.
  const end = (l: string, s: string): number => l.indexOf(s) + s.length;
  const lossLine = printed[1 + rows.findIndex((r) => r.key === 'loss-free-64')]!;
  assert.equal(end(printed[0]!, 'kernel'), end(lossLine, '>= 400,000'));
});

test('chart of the table: the figures marked for it, ratios on the vxswitch bar, title with date and command', () => {
  const runs = [e2eRun(400_000, 100_000, 200_000)];
  const rows = medianRows(runs.map((r) => rowsOf(r, [64], 0.005)), ['kernel', 'ovs', 'vxswitch']);
  const c = chartOf(rows, ['kernel', 'ovs', 'vxswitch'], { date: '2026-12-03', command: 'node dist/bench/e2e/index.js --runs 1', runs: 1, footnotes: ['vxswitch: TCP failed'] });
  assert.deepEqual(c.groups.map((g) => g.title), [
    '64 B loss-free (frames/s)',
    '64 B overload: delivered (frames/s)',
    '64 B overload / loss-free (%)',
    '64 B CPU 1 per frame (µs)',
    'TCP A -> B, hosts at default offloads (Gbps)',
    'TCP retransmits (count)',
  ]);
  assert.deepEqual(c.groups[0]!.bars.map((b) => b.label), ['≥ 400k', '100k', '200k']);
  assert.deepEqual(c.groups[0]!.bars[2]!.notes, ['0.50× kernel', '2.00× OVS']);
  assert.deepEqual(c.groups[4]!.bars.map((b) => b.label), ['10.00', '1.00 †', '-']);
  const svg = parseSvg(renderChart(rows, ['kernel', 'ovs', 'vxswitch'], { date: '2026-12-03', command: 'node dist/bench/e2e/index.js --runs 1', runs: 1, footnotes: [] }));
  const title = texts(svg, 'title')[0]!;
  assert.match(title, /2026-12-03/);
  assert.ok(texts(svg, 'subtitle').some((l) => l === 'command: node dist/bench/e2e/index.js --runs 1'));
  assert.ok(texts(svg, 'subtitle').some((l) => /^\d+ cores \(.*\), Linux /.test(l)), 'machine: cores and kernel');
  assert.equal(list(svg, 'g').length, 6);
  assert.equal(list(svg, 'g').flatMap((g) => list(g, 'rect').filter((r) => r['class'] === 'bar')).length, 16, '6 groups x 3 engines, less vxswitch TCP Gbps and retransmits');
});
