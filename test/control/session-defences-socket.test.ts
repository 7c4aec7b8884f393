// A peer kept to its lane, over loopback TCP (issue 9 items 7 and 11): a
// Speaker with a table, and a raw BGP peer written here that misbehaves on
// purpose. The sans-IO side of the same rules is session-defences.test.ts.
//   - item 11: the 5,000-byte UPDATE with extended messages: the answer is
//     a 4096-octet NOTIFICATION, and this process (the speaker's) lives on;
//   - item 7: a peer that stops reading and sends ROUTE-REFRESH in bursts:
//     the speaker's output queue stays bounded, and the send hold timer
//     (RFC 9687) drops the session.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { EvpnInstance } from '../../src/control/evpn-instance.js';
import type { FdbPort } from '../../src/control/fdb-port.js';
import { OUTPUT_HIGH_WATER } from '../../src/control/bgp-fsm.js';
import { Speaker, type NeighborConfig } from '../../src/control/speaker.js';
import type { Capability } from '../../src/wire/bgp-capability.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import { buildOpen } from '../../src/wire/bgp-open.js';
import { isEndOfRib } from '../../src/wire/bgp-update.js';
import { delay, waitFor } from '../helpers/netns.js';

const SPEAKER_IP = '127.0.0.1';
const PEER_IP = '127.0.0.2';
const AS = 65000;

/** The FDB side of the speaker: this test only looks at BGP, so it keeps nothing. */
class NoFdb implements FdbPort {
  addRemote(): void {}
  removeRemote(): boolean {
    return false;
  }
  setFloodList(): void {}
  addRemoteNeighbor(): void {}
  removeRemoteNeighbor(): void {}
}

async function speakerWith(neighbor: Partial<NeighborConfig>, routes = 0): Promise<Speaker> {
  const speaker = new Speaker(
    { asn: AS, routerId: SPEAKER_IP, vtep: SPEAKER_IP, listenAddress: SPEAKER_IP, listenPort: 0, neighbors: [], vnis: [{ vni: 100 }] },
    new NoFdb(),
  );
  await speaker.start();
  // Our own Type 2 routes straight into the Loc-RIB: the table the peer is sent.
  const inst = new EvpnInstance({ vni: 100 }, { asn: AS, routerId: SPEAKER_IP, vtep: SPEAKER_IP }, 1);
  for (let i = 0; i < routes; i++) {
    const mac = `02:00:${[(i >> 24) & 255, (i >> 16) & 255, (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
    speaker.locRib.update(inst.macIp(mac, undefined, { seq: 0, sticky: false }, 0));
  }
  speaker.addNeighbor({ neighborAddress: PEER_IP, peerAs: AS, passive: true, holdTime: 3, ...neighbor });
  return speaker;
}

interface Received {
  type: number;
  bytes: Buffer;
}

/** A BGP peer by hand: OPEN, KEEPALIVEs every second, and whatever the test sends; reads until told to stop. */
class RawPeer {
  readonly socket: net.Socket;
  readonly messages: Received[] = [];
  bytesIn = 0;
  closed = false;
  private rest = Buffer.alloc(0);
  private keepalives: NodeJS.Timeout | undefined;

  constructor(port: number, capabilities: Capability[]) {
    this.socket = net.connect({ host: SPEAKER_IP, port, localAddress: PEER_IP });
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      this.closed = true;
      clearInterval(this.keepalives);
    });
    const open = buildOpen({ as: AS, holdTime: 3, bgpId: PEER_IP, capabilities });
    this.socket.write(bgpMessage.encode({ type: 'open', open }));
    this.socket.write(bgpMessage.encode(bgpMessage.KEEPALIVE));
    this.keepalives = setInterval(() => this.socket.write(bgpMessage.encode(bgpMessage.KEEPALIVE)), 1000);
  }

  private onData(d: Buffer): void {
    this.bytesIn += d.length;
    let buf = this.rest.length > 0 ? Buffer.concat([this.rest, d]) : d;
    while (buf.length >= 19) {
      const length = buf.readUInt16BE(16);
      if (buf.length < length) break;
      const type = buf[18]!;
      // Keep the small ones whole; of UPDATEs only what the test asks (End-of-RIB).
      this.messages.push({ type, bytes: type === 2 && length > 64 ? Buffer.alloc(0) : Buffer.from(buf.subarray(0, length)) });
      buf = buf.subarray(length);
    }
    this.rest = Buffer.from(buf);
  }

  endOfRibSeen(): boolean {
    return this.messages.some((m) => m.type === 2 && m.bytes.length > 0 && isEndOfRibBytes(m.bytes));
  }

  close(): void {
    clearInterval(this.keepalives);
    this.socket.destroy();
  }
}

function isEndOfRibBytes(bytes: Buffer): boolean {
  const m = bgpMessage.decode(bytes);
  return m.type === 'update' && isEndOfRib(m.update) !== null;
}

const EVPN_CAPS: Capability[] = [
  { type: 'multiprotocol', afi: 25, safi: 70 },
  { type: 'route-refresh' },
  { type: 'enhanced-route-refresh' },
  { type: 'four-octet-as', as: AS },
];

test('item 11: a 5000-byte UPDATE over extended messages gets a 4096-octet NOTIFICATION; the speaker process lives on', async () => {
  const speaker = await speakerWith({ extendedMessage: true });
  const peer = new RawPeer(speaker.listenAddress!.port, [...EVPN_CAPS, { type: 'extended-message' }]);
  try {
    await waitFor('Established', () => speaker.neighbors()[0]?.state === 'established', 10_000, 20);
    const update = Buffer.concat([Buffer.alloc(16, 0xff), Buffer.from('138802000013715063136d', 'hex'), Buffer.alloc(4973)]);
    peer.socket.write(update);
    await waitFor('the connection closed', () => peer.closed, 10_000, 20);
    const n = peer.messages.find((m) => m.type === 3);
    assert.ok(n !== undefined, 'a NOTIFICATION arrived');
    assert.equal(n.bytes.length, 4096);
    assert.deepEqual([n.bytes[19], n.bytes[20]], [3, 2]);
    assert.match(speaker.neighbors()[0]!.lastDown ?? '', /Unrecognized Well-known Attribute/);
  } finally {
    peer.close();
    await speaker.stop();
  }
});

test('item 7: a peer that stops reading and sends 300 ROUTE-REFRESH: the output queue stays bounded, the send hold timer drops it', async (t: TestContext) => {
  const ROUTES = 50_000;
  const SEND_HOLD_S = 4;
  const RSS_LIMIT = 256 * 1024 * 1024;
  // Interval 0: no rate limit, so what bounds the queue here is the merging
  // of requests while the peer is congested (the rate limit has its own test).
  const speaker = await speakerWith({ sendHoldTime: SEND_HOLD_S, routeRefreshInterval: 0 }, ROUTES);
  const peer = new RawPeer(speaker.listenAddress!.port, EVPN_CAPS);
  const rss0 = process.memoryUsage().rss;
  try {
    await waitFor('Established', () => speaker.neighbors()[0]?.state === 'established', 10_000, 20);
    await waitFor('the initial table and End-of-RIB', () => peer.endOfRibSeen(), 20_000, 20);
    const table = peer.bytesIn;
    // Stop reading; ask for the table 300 times, in 20 bursts of 15 (the reproduction's 6.9 KB).
    peer.socket.pause();
    const refresh = bgpMessage.encode({ type: 'route-refresh', routeRefresh: { afi: 25, subtype: 0, safi: 70 } });
    let maxQueued = 0;
    const sample = setInterval(() => {
      maxQueued = Math.max(maxQueued, speaker.neighbors()[0]?.outputQueued ?? 0);
    }, 20);
    const t0 = performance.now();
    try {
      for (let burst = 0; burst < 20 && !peer.closed; burst++) {
        peer.socket.write(Buffer.concat(new Array<Buffer>(15).fill(refresh)));
        await delay(100);
        // Unbounded, each request queues a table (300 of them: ~0.5 GB here): stop before the machine suffers.
        if (process.memoryUsage().rss - rss0 > RSS_LIMIT) break;
      }
      await waitFor('the session dropped', () => speaker.neighbors()[0]?.state !== 'established', (SEND_HOLD_S + 20) * 1000, 50);
    } finally {
      clearInterval(sample);
    }
    const down = speaker.neighbors()[0]!;
    const rss1 = process.memoryUsage().rss;
    assert.ok(rss1 - rss0 < RSS_LIMIT, `RSS grew by ${Math.round((rss1 - rss0) / 1048576)} MB`);
    t.diagnostic(
      `table ${table} bytes; output queue max ${maxQueued} bytes; dropped after ${Math.round(performance.now() - t0)} ms: ${down.lastDown}; RSS ${Math.round(rss0 / 1048576)} -> ${Math.round(rss1 / 1048576)} MB`,
    );
    assert.match(down.lastDown ?? '', /send hold timer expired/);
    // Held back while congested: at most the high-water mark and one table over it.
    assert.ok(maxQueued > 0, 'the queue did fill (the peer was not reading)');
    assert.ok(maxQueued <= OUTPUT_HIGH_WATER + 2 * table, `output queue ${maxQueued} bytes, bound ${OUTPUT_HIGH_WATER + 2 * table}`);
    assert.equal(speaker.neighbors()[0]!.outputQueued, 0, 'freed with the connection');
  } finally {
    peer.close();
    await speaker.stop();
  }
});
