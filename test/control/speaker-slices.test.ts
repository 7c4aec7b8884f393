// The speaker never holds the event loop long (work-slices.ts): two speakers
// over loopback TCP, A with 100,000 local MACs. B connects: A sends its first
// table in batches (paced by the socket), B applies it in slices; then A goes
// away and B withdraws the 100,000 routes in slices. The bound is counted,
// not timed (the machine is shared): a ticker re-armed with setImmediate runs
// once per turn of the event loop and records how many FDB changes and
// UPDATEs happened since its last run; no turn may exceed the slice's unit
// bound (its time budget is not asserted: the machine is shared).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Speaker, OUTPUT_SLICE, type SpeakerConfig } from '../../src/control/speaker.js';
import type { FdbPort } from '../../src/control/fdb-port.js';
import { DEFAULT_SLICE } from '../../src/control/work-slices.js';
import { waitFor } from '../helpers/netns.js';

const N = 100_000;
/** The speaker's turns are timed (4 ms); what a turn can never exceed is the unit bound. */
const MAX = DEFAULT_SLICE.maxUnits;

class CountingFdb implements FdbPort {
  readonly remote = new Map<string, string>();
  changes = 0;
  addRemote(vni: number, mac: string, vtep: string): void {
    this.changes++;
    this.remote.set(`${vni}/${mac}`, vtep);
  }
  removeRemote(vni: number, mac: string): boolean {
    this.changes++;
    return this.remote.delete(`${vni}/${mac}`);
  }
  setFloodList(): void {}
  addRemoteNeighbor(): void {}
  removeRemoteNeighbor(): void {}
}

/** Once per event-loop turn: the most of `count()` that grew within one turn. */
class TurnMeter {
  max = 0;
  turns = 0;
  private last: number;
  private running = true;
  constructor(private readonly count: () => number) {
    this.last = count();
    this.tick();
  }
  private tick(): void {
    setImmediate(() => {
      const now = this.count();
      this.max = Math.max(this.max, now - this.last);
      this.last = now;
      this.turns++;
      if (this.running) this.tick();
    });
  }
  stop(): void {
    this.running = false;
  }
}

function config(id: string): SpeakerConfig {
  return { asn: 65000, routerId: id, vtep: id, listenAddress: id, listenPort: 0, neighbors: [], vnis: [{ vni: 100 }] };
}

function mac(i: number): string {
  return `02:aa:00:${((i >> 16) & 0xff).toString(16).padStart(2, '0')}:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
}

test(`100,000 routes: first table in batches, applied and withdrawn on session down in slices of at most ${MAX} per turn`, async () => {
  const a = new Speaker(config('127.0.0.1'), new CountingFdb());
  const fb = new CountingFdb();
  const b = new Speaker(config('127.0.0.2'), fb);
  await a.start();
  await b.start();
  let meter: TurnMeter | undefined;
  try {
    for (let i = 0; i < N; i++) a.localLearned(100, mac(i));
    const base = { holdTime: 90, connectRetry: 1, idleHoldTime: 1 };
    // Messages A sent, per turn: a batch of the first table is at most OUTPUT_SLICE routes.
    const sent = (): number => a.neighbors()[0]?.messages.sent ?? 0;
    const sentMeter = new TurnMeter(sent);
    meter = new TurnMeter(() => fb.changes);
    a.addNeighbor({ ...base, neighborAddress: '127.0.0.2', peerAs: 65000, localAddress: '127.0.0.1', remotePort: b.listenAddress!.port });
    b.addNeighbor({ ...base, neighborAddress: '127.0.0.1', peerAs: 65000, localAddress: '127.0.0.2', remotePort: a.listenAddress!.port, passive: true });
    await waitFor('B to install 100,000 MACs', () => fb.remote.size === N, 120_000, 50);
    sentMeter.stop();
    // An UPDATE holds at least ~100 of these routes (4096 octets): a batch of OUTPUT_SLICE fits in
    // OUTPUT_SLICE / 100 + 1 of them, plus End-of-RIB.
    assert.ok(sentMeter.max <= Math.ceil(OUTPUT_SLICE / 100) + 2, `at most one batch of the first table per turn (saw ${sentMeter.max} UPDATEs in one turn)`);
    assert.ok(sentMeter.turns > N / OUTPUT_SLICE, 'the table took many turns');
    assert.ok(meter.max <= MAX, `receive: at most ${MAX} FDB changes per turn (saw ${meter.max})`);
    const loadTurns = meter.turns;
    assert.ok(loadTurns >= N / MAX, `the load took at least N / slice turns (${loadTurns})`);

    // A config reload: the neighbor removed and added again at once. The old
    // session's 100,000 withdrawals are still queued when the new session's
    // routes arrive; they must not take the new ones out (same address).
    b.removeNeighbor('127.0.0.1');
    b.addNeighbor({ ...base, neighborAddress: '127.0.0.1', peerAs: 65000, localAddress: '127.0.0.2', remotePort: a.listenAddress!.port, passive: true });
    await waitFor('the session again', () => b.neighbors()[0]?.state === 'established', 30_000, 20);
    await waitFor('B to have applied everything', () => b.inboundBacklog === 0 && b.neighbors()[0]?.accepted === N + 1, 120_000, 50);
    assert.equal(fb.remote.size, N, 'every MAC installed again, none taken out by the old session\'s withdrawal');

    meter.stop();
    meter = new TurnMeter(() => fb.changes);
    const before = fb.changes;
    await a.stop();
    await waitFor('B to withdraw every MAC', () => fb.remote.size === 0, 120_000, 50);
    assert.equal(fb.changes - before, N, 'one FDB removal per route');
    assert.ok(meter.max <= MAX, `session down: at most ${MAX} FDB removals per turn (saw ${meter.max})`);
    assert.ok(meter.turns >= N / MAX, `the withdrawal took at least N / slice turns (${meter.turns})`);
  } finally {
    meter?.stop();
    await a.stop();
    await b.stop();
  }
});
