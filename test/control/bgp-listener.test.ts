// Issue 9 item 12, the BGP listener:
// - connections from addresses that are no neighbor are closed before OPEN
//   and logged at most once per interval, with a count (500 connections: 2
//   lines, not 500);
// - local-address-list binds one listener per address, and nothing else;
// - dynamic neighbors (GoBGP's dynamic-neighbors + peer-groups, FRR's `bgp
//   listen range`): a connection from inside the prefix gets a neighbor from
//   the template, bounded per range; it is removed (with its routes) when
//   its session ends, which frees its place.
// Everything on loopback (127.0.0.0/8 is local on Linux: any of its
// addresses can be bound as a source).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { Speaker, type SpeakerConfig } from '../../src/control/speaker.js';
import { waitFor } from '../helpers/netns.js';
import { RecordingFdb } from './control-helpers.js';

function config(id: string, over: Partial<SpeakerConfig> = {}): SpeakerConfig {
  return { asn: 65000, routerId: id, vtep: id, listenAddress: id, listenPort: 0, neighbors: [], vnis: [{ vni: 100 }], ...over };
}

/** Connect and wait until the connection ends: 'closed' (it was accepted) or 'refused' (nothing listens). */
function probe(host: string, port: number, localAddress?: string): Promise<'closed' | 'refused'> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port, ...(localAddress !== undefined ? { localAddress } : {}) });
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNREFUSED' ? resolve('refused') : e.code === 'ECONNRESET' ? undefined : reject(e)));
    s.on('close', () => resolve('closed'));
    s.setTimeout(5000, () => {
      s.destroy();
      reject(new Error(`no close from ${host}:${port} within 5 s`));
    });
  });
}

test('500 connections from an unconfigured address: closed before OPEN, logged as 2 lines (one now, one count)', async () => {
  const logs: string[] = [];
  const speaker = new Speaker(config('127.0.0.1'), new RecordingFdb());
  speaker.on('log', (level, message) => logs.push(`${level} ${message}`));
  await speaker.start();
  const port = speaker.listenAddress!.port;
  try {
    let closed = 0;
    for (let batch = 0; batch < 10; batch++) {
      const results = await Promise.all(Array.from({ length: 50 }, () => probe('127.0.0.1', port, '127.0.0.5')));
      closed += results.filter((r) => r === 'closed').length;
    }
    assert.equal(closed, 500, 'every connection accepted and closed');
  } finally {
    await speaker.stop(); // logs the interval's summary
  }
  const lines = logs.filter((l) => l.includes('127.0.0.5'));
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0]!, /^info connection from 127\.0\.0\.5:\d+ closed: not a configured neighbor$/);
  assert.match(lines[1]!, /^info 499 more connection\(s\) refused in the last 60 s; the last: connection from 127\.0\.0\.5:\d+ closed: not a configured neighbor$/);
});

test('local-address-list: one listener per address on the same port, none elsewhere', async () => {
  const speaker = new Speaker(config('127.0.0.1', { listenAddress: ['127.0.0.1', '127.0.0.2'] }), new RecordingFdb());
  await speaker.start();
  const port = speaker.listenAddress!.port;
  try {
    assert.equal(await probe('127.0.0.1', port), 'closed');
    assert.equal(await probe('127.0.0.2', port), 'closed', 'the second address listens too');
    assert.equal(await probe('127.0.0.3', port), 'refused', 'an address not in the list does not');
  } finally {
    await speaker.stop();
  }
});

test('dynamic neighbors: made from the peer group for a prefix, bounded, removed with their routes when the session ends', async () => {
  const fdb = new RecordingFdb();
  const logs: string[] = [];
  const a = new Speaker(
    config('127.0.0.1', {
      dynamicNeighbors: [{ prefix: '127.0.1.0/24', template: { peerAs: 65000, holdTime: 9 }, maxNeighbors: 2 }],
      repeatLogIntervalMs: 100,
    }),
    fdb,
  );
  a.on('log', (level, message) => logs.push(`${level} ${message}`));
  await a.start();
  const port = a.listenAddress!.port;
  const dialer = async (address: string): Promise<Speaker> => {
    const s = new Speaker(config(address, { listenPort: -1 }), new RecordingFdb());
    await s.start();
    s.addNeighbor({ neighborAddress: '127.0.0.1', peerAs: 65000, localAddress: address, remotePort: port, holdTime: 9, connectRetry: 1, idleHoldTime: 1 });
    return s;
  };
  const established = (s: Speaker): boolean => s.neighbors()[0]?.state === 'established';
  const dynamic = (): string[] =>
    a
      .neighbors()
      .filter((n) => n.dynamicRange === '127.0.1.0/24')
      .map((n) => n.address)
      .sort();
  const others: Speaker[] = [];
  try {
    const [b, c] = await Promise.all([dialer('127.0.1.1'), dialer('127.0.1.2')]);
    others.push(b, c);
    await waitFor('two dynamic sessions', () => established(b) && established(c), 10_000, 50);
    assert.deepEqual(dynamic(), ['127.0.1.1', '127.0.1.2']);
    assert.equal(a.neighbors().find((n) => n.address === '127.0.1.1')!.state, 'established');

    b.localLearned(100, '02:00:00:00:0d:01');
    await waitFor("b's route at a", () => fdb.entries.has('100|02:00:00:00:0d:01'), 5000, 20);

    // A third from the range: over max-neighbors 2, refused before OPEN.
    const d = await dialer('127.0.1.3');
    others.push(d);
    await waitFor('the refusal logged', () => logs.some((l) => /^info connection from 127\.0\.1\.3:\d+ closed: dynamic neighbor limit 2 of 127\.0\.1\.0\/24 reached$/.test(l)), 5000, 20);
    assert.deepEqual(dynamic(), ['127.0.1.1', '127.0.1.2']);
    assert.notEqual(d.neighbors()[0]!.state, 'established');

    // An address outside every range: an ordinary unknown connection.
    assert.equal(await probe('127.0.0.1', port, '127.0.2.1'), 'closed');
    assert.deepEqual(dynamic(), ['127.0.1.1', '127.0.1.2']);

    // b's session ends: its neighbor and its routes leave at a, and d gets the place.
    await b.stop();
    await waitFor('b removed at a', () => !dynamic().includes('127.0.1.1'), 5000, 20);
    await waitFor("b's route gone", () => !fdb.entries.has('100|02:00:00:00:0d:01'), 5000, 20);
    assert.ok(logs.some((l) => l === 'info dynamic neighbor 127.0.1.1 removed'), logs.join('\n'));
    await waitFor('d established in the freed place', () => established(d), 10_000, 50);
    assert.deepEqual(dynamic(), ['127.0.1.2', '127.0.1.3']);
  } finally {
    for (const s of others) await s.stop();
    await a.stop();
  }
});
