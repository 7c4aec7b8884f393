// The forwarding workers' supervisor (worker-pool.ts) with workers that
// each hold their own AF_PACKET socket in one PACKET_FANOUT_HASH group, as
// forwarding workers do: flows spread over the workers; a worker that
// throws is restarted and counted while the others keep receiving; the
// restarted one rejoins the group and gets flows again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { WorkerPool } from '../../src/dataplane/worker-pool.js';
import { needsRoot, run, Topology, waitFor } from '../helpers/netns.js';
import type { FanoutWorkerData } from '../helpers/fanout-worker.js';

const WORKERS = 3;

/** Send `perFlow` datagrams on each of `flows` source ports from nsA to `to` (bounded; inside the test's namespaces). */
async function sendFlows(ns: string, to: string, flows: number, perFlow: number): Promise<void> {
  const script = `
    const dgram = require('node:dgram');
    (async () => {
      for (let f = 0; f < ${flows}; f++) {
        const s = dgram.createSocket('udp4');
        await new Promise((r) => s.bind(40000 + f, r));
        for (let i = 0; i < ${perFlow}; i++) await new Promise((r) => s.send(Buffer.alloc(32), 9, '${to}', r));
        s.close();
      }
    })();`;
  await run(ns, process.execPath, '-e', script);
}

test('worker pool: flows spread over fanout workers; a worker that throws is restarted and counted, the others keep receiving', { skip: needsRoot, timeout: 60_000 }, async () => {
  const topo = new Topology();
  const pool = new WorkerPool<FanoutWorkerData>({
    script: new URL('../helpers/fanout-worker.js', import.meta.url),
    count: WORKERS,
    // Long enough that the datagrams below all arrive while worker 1 is down.
    backoffMs: 4000,
    data: (index) => ({ index, counters, ifname: 'b0', netns: nsB, fanoutGroup }),
    warn: (line) => lines.push(line),
  });
  const lines: string[] = [];
  const counters = new SharedArrayBuffer(4 * WORKERS);
  const counts = new Int32Array(counters);
  const fanoutGroup = randomInt(1, 0xffff);
  let nsB = '';
  try {
    const nsA = await topo.addNamespace();
    nsB = await topo.addNamespace();
    await topo.veth(nsA, 'a0', nsB, 'b0');
    await topo.address(nsA, 'a0', '10.213.77.1/30');
    await topo.address(nsB, 'b0', '10.213.77.2/30');
    let ready = 0;
    pool.on('message', (_i, m) => {
      if (m === 'ready') ready++;
    });
    pool.start();
    await waitFor('workers ready', () => ready === WORKERS || false, 10_000);
    // The neighbour entry first, so every datagram below leaves at once.
    await run(nsA, 'ping', '-c', '1', '-W', '2', '10.213.77.2');

    const sum = (): number => counts.reduce((a, b) => a + b, 0);
    await sendFlows(nsA, '10.213.77.2', 48, 20);
    await waitFor('all datagrams received', () => sum() >= 48 * 20 || false, 5_000);
    const spread = [...counts];
    assert.ok(spread.every((c) => c > 0), `each worker got flows: ${spread.join(', ')}`);

    // Worker 1 throws: restarted after the backoff, counted, logged.
    const failed = new Promise<void>((resolve) => pool.once('failed', () => resolve()));
    pool.post(1, 'throw');
    await failed;
    assert.equal(pool.isRunning(1), false);
    const before = [...counts];
    // Meanwhile the others take every flow (the kernel drops the dead socket from the group).
    await sendFlows(nsA, '10.213.77.2', 48, 20);
    await waitFor('the living workers received every datagram', () => (counts[0]! - before[0]!) + (counts[2]! - before[2]!) >= 48 * 20 || false, 5_000);
    assert.equal(pool.isRunning(1), false, 'still down (the backoff outlasted the sending)');
    assert.equal(counts[1], before[1], 'the failed worker received nothing while down');

    await waitFor('worker 1 restarted', () => pool.isRunning(1) || false, 8_000);
    await waitFor('worker 1 ready again', () => ready === WORKERS + 1 || false, 5_000);
    assert.equal(pool.restartsOf(1), 1);
    assert.equal(pool.restarts, 1);
    assert.match(pool.lastErrorOf(1), /test hook: worker 1 throws/);
    assert.ok(lines.some((l) => /forwarding worker 1 failed: test hook: worker 1 throws; restarting it in 4000 ms \(restart 1\)/.test(l)), lines.join('\n'));

    // Back in the group: it gets flows again.
    const after = counts[1]!;
    await sendFlows(nsA, '10.213.77.2', 48, 20);
    await waitFor('the restarted worker receives again', () => counts[1]! > after || false, 5_000);
  } finally {
    await pool.close();
    await topo.destroy();
  }
});

test('worker pool: backoff doubles while a worker keeps failing at once, and the count is right', { timeout: 30_000 }, async () => {
  const delays: number[] = [];
  const pool = new WorkerPool<null>({
    // Throws as soon as it starts.
    script: new URL('data:text/javascript,throw new Error("broken at start")'),
    count: 2,
    backoffMs: 20,
    maxBackoffMs: 80,
    data: () => null,
  });
  pool.on('failed', (i, e, d) => {
    if (i === 0) delays.push(d);
    assert.match(e.message, /broken at start/);
  });
  try {
    pool.start();
    await waitFor('five failures of worker 0', () => delays.length >= 5 || false, 10_000);
    assert.deepEqual(delays.slice(0, 5), [20, 40, 80, 80, 80]);
    assert.ok(pool.restartsOf(0) >= 4);
  } finally {
    await pool.close();
  }
});
