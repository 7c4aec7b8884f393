// The soak's line chart (bench/soak/plot-svg.ts): the SVG is parsed back
// (fast-xml-parser) and its panels, polylines and labels checked.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { list, parseSvg, type SvgNode } from '../helpers/svg-parse.js';
import { renderLineChart, ticks, type LineChart } from '../../bench/soak/plot-svg.js';

const coords = (p: SvgNode): Array<[number, number]> =>
  String(p['points'])
    .split(' ')
    .map((xy) => xy.split(',').map(Number) as [number, number]);

const chart: LineChart = {
  title: 'soak <1> & "2"',
  subtitle: ['2 cores'],
  xLabel: 'seconds',
  panels: [
    { title: 'RSS (MiB)', series: [{ name: 'RSS', color: '#4e79a7', points: [[0, 100], [1, 150], [2, 120], [3, 200]] }], note: 'bounded' },
    { title: 'API (ms)', series: [{ name: 'API', color: '#e15759', points: [[0, 1], [1, NaN], [2, 3], [3, 2]] }] },
  ],
  markers: { label: 'flap', color: '#999', xs: [1.5] },
  footnotes: ['rule & method'],
};

test('plot: one panel per description, a point per sample, higher values drawn higher', () => {
  const svg = parseSvg(renderLineChart(chart));
  const panels = list(svg, 'g');
  assert.deepEqual(panels.map((g) => g['data-title']), ['RSS (MiB)', 'API (ms)']);
  const rss = list(panels[0]!, 'polyline');
  assert.equal(rss.length, 1);
  assert.equal(rss[0]!['data-series'], 'RSS');
  const pts = coords(rss[0]!);
  assert.equal(pts.length, 4);
  // x increases with time; the largest value (200) has the smallest y, the smallest (100) the largest.
  for (let i = 1; i < pts.length; i++) assert.ok(pts[i]![0] > pts[i - 1]![0]);
  const ys = pts.map((p) => p[1]);
  assert.equal(Math.min(...ys), ys[3]);
  assert.equal(Math.max(...ys), ys[0]);
  // Inside the panel's box: the y axis starts at 0, so 100 of 200 is half way.
  const top = Number(panels[0]!['data-top']);
  const bottom = Number(panels[0]!['data-bottom']);
  assert.ok(Math.abs(ys[3]! - top) < 0.2);
  assert.ok(Math.abs(ys[0]! - (top + bottom) / 2) < 0.2);
  assert.equal(panels[0]!['data-y-max'], '200');
});

test('plot: a non-finite sample breaks the line in two', () => {
  const svg = parseSvg(renderLineChart(chart));
  const api = list(list(svg, 'g')[1]!, 'polyline');
  assert.deepEqual(api.map((p) => coords(p).length), [1, 2]);
});

test('plot: markers in every panel, text escaped, axis labels and notes written', () => {
  const svg = parseSvg(renderLineChart(chart));
  const panels = list(svg, 'g');
  for (const g of panels) assert.equal(list(g, 'line').filter((l) => l['class'] === 'marker').length, 1);
  const texts = list(svg, 'text').map((t) => String(t['#text'] ?? ''));
  assert.ok(texts.includes('soak <1> & "2"'));
  assert.ok(texts.includes('flap'));
  assert.ok(texts.includes('rule & method'));
  const note = list(panels[0]!, 'text').find((t) => t['class'] === 'note');
  assert.equal(note?.['#text'], 'bounded');
  assert.equal(list(panels[0]!, 'text').find((t) => t['class'] === 'y-max')?.['#text'], '200');
});

test('ticks: round steps covering the range', () => {
  assert.deepEqual(ticks(0, 600), [0, 100, 200, 300, 400, 500, 600]);
  assert.deepEqual(ticks(0, 10, 5), [0, 2, 4, 6, 8, 10]);
  assert.deepEqual(ticks(5, 5), [5]);
});
