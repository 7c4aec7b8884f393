// iperf3 TCP from host A to host B and back (-R), asserted the way the
// offload tests need it: data crossed, the one-off server finished, and
// retransmissions stayed under 1 % of the segments (the receiving host's TCP
// is the checksum check: a wrong checksum shows up as a retransmission).
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { iperf3Tcp, type Topology } from './netns.js';

export interface TcpBothWaysOptions {
  seconds: number;
  /** The MSS the hosts use, to turn bytes into segments. */
  mss: number;
  /** Names the run in diagnostics and failures. */
  label: string;
}

export async function tcpBothWays(t: TestContext, topo: Topology, a: { ns: string }, b: { ns: string; ip: string }, o: TcpBothWaysOptions): Promise<void> {
  for (const reverse of [false, true]) {
    const r = await iperf3Tcp(topo, b, a, o.seconds, { reverse });
    const segments = Math.max(1, r.bytes / o.mss);
    const what = `${o.label}, ${reverse ? 'B -> A' : 'A -> B'}`;
    t.diagnostic(`${what}: ${(r.bitsPerSecond / 1e6).toFixed(1)} Mbit/s, ${r.retransmits} retransmits of ~${Math.round(segments)} segments`);
    assert.ok(r.bytes > 1e6, `${what}: more than 1 MB crossed (${r.bytes} bytes)`);
    assert.equal(r.serverExit, 0, `${what}: the server finished its one test`);
    assert.ok(r.retransmits / segments < 0.01, `${what}: ${r.retransmits} retransmits of ~${Math.round(segments)} segments is 1 % or more`);
  }
}
