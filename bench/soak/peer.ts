// The soak's BGP peer: the project's test speaker (test/helpers/test-speaker.ts,
// a socket child in the injector's namespace) announcing the whole table on
// every session, moving MACs in bursts, and flapping: a flap sends Cease 6/4
// (Administrative Reset, RFC 4486 §3), closes the connection and opens a new
// session, which announces the table again (the daemon dropped the peer's
// routes when the session went down: no graceful restart is negotiated).

import { ceaseNotification, connectSpeaker, type TestSpeaker } from '../../test/helpers/test-speaker.js';
import type { Topology } from '../../test/helpers/netns.js';
import { pickMacs, UNDERLAY, type MacTable } from './plan.js';
import { fullTable, moveBurst } from './routes.js';

/** UPDATEs handed to the socket child per write (one JSON line each). */
const PER_WRITE = 64;

export interface SoakPeerOptions {
  topo: Topology;
  ns: string;
  as: number;
  holdS: number;
  table: MacTable;
  random: () => number;
}

export class SoakPeer {
  private speaker: TestSpeaker | undefined;
  sessions = 0;
  /** Sessions that did not come up (connection refused or closed before Established). */
  failures = 0;
  moves = 0;
  constructor(private readonly o: SoakPeerOptions) {}

  get up(): boolean {
    return this.speaker !== undefined && !this.speaker.closed && this.speaker.established;
  }

  private send(updates: readonly Buffer[]): void {
    const s = this.speaker;
    if (s === undefined || s.closed) return;
    for (let i = 0; i < updates.length; i += PER_WRITE) s.send(Buffer.concat(updates.slice(i, i + PER_WRITE)));
  }

  /** A new session (the daemon is passive) and the whole table on it. */
  async connect(timeoutMs = 30_000): Promise<void> {
    const speaker = await connectSpeaker(
      this.o.topo,
      this.o.ns,
      { host: UNDERLAY.daemon, localAddress: UNDERLAY.injector },
      { as: this.o.as, bgpId: UNDERLAY.injector, holdTime: this.o.holdS },
      timeoutMs,
    ).catch((e: unknown) => {
      this.failures++;
      throw e;
    });
    try {
      await speaker.waitEstablished(timeoutMs);
    } catch (e) {
      // Not up in time: end this socket child before the next attempt.
      await speaker.close();
      this.failures++;
      throw e;
    }
    this.speaker = speaker;
    this.sessions++;
    this.send(fullTable(this.o.table, this.o.as));
  }

  /** Cease, close, and a new session with the table again. */
  async flap(timeoutMs = 30_000): Promise<void> {
    const s = this.speaker;
    this.speaker = undefined;
    if (s !== undefined && !s.closed) {
      s.sendNotification(ceaseNotification(4));
      await s.close();
    }
    await this.connect(timeoutMs);
  }

  /** Move `count` MACs picked at random to their VNI's next VTEP (skipped while the session is down). */
  moveBurst(count: number): number {
    if (!this.up) return 0;
    const macs = pickMacs(this.o.table.shape.macs, count, this.o.random);
    this.send(moveBurst(this.o.table, this.o.as, macs));
    this.moves += macs.length;
    return macs.length;
  }

  async close(): Promise<void> {
    const s = this.speaker;
    this.speaker = undefined;
    if (s !== undefined && !s.closed) {
      s.sendNotification(ceaseNotification(2));
      await s.close();
    }
  }
}
