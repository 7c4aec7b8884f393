// The replayed corpus (issue 9, acceptance: "decoders and the session core
// run in CI with a replayed corpus that includes item 11's input"): every
// file under test/fixtures/corpus/bgp is a byte stream a peer sent or could
// send, kept because it once broke something or sits on an edge (hex, '#'
// comment lines). Each one is
//   - decoded message by message under four contexts (plain, 4-octet AS,
//     extended messages, extended messages + add-path): a value or a
//     WireError, nothing else;
//   - fed to an Established session (extended messages and add-path
//     negotiated, EVPN + IPv4 unicast) whole, byte by byte, in fixed sizes
//     and in seeded random chunks: handle() never throws, at most one
//     NOTIFICATION goes out and it fits 4096 octets, and the session ends
//     Established or Idle.
// A new input that breaks a decoder or the session belongs here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { BgpConnection, type ConnectionAction } from '../../src/control/bgp-fsm.js';
import { AddPathDirection, type Capability } from '../../src/wire/bgp-capability.js';
import { AS4_CONTEXT, DEFAULT_CONTEXT, type BgpContext } from '../../src/wire/bgp-context.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import { FIXTURES } from '../helpers/fixtures.js';
import { onlyWireError } from '../helpers/property.js';
import { KEEPALIVE, TestEnv, connectionConfig, ofType, openBytes, peerCapabilities, peerOpen } from '../helpers/session.js';

const CORPUS = path.join(FIXTURES, 'corpus', 'bgp');

function corpus(): Array<{ name: string; bytes: Buffer }> {
  return readdirSync(CORPUS)
    .filter((f) => f.endsWith('.hex'))
    .sort()
    .map((name) => {
      const text = readFileSync(path.join(CORPUS, name), 'utf8');
      const hex = text
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .join('')
        .replace(/\s+/g, '');
      return { name, bytes: Buffer.from(hex, 'hex') };
    });
}

const EVPN_ADD_PATH = { families: [{ afi: 25, safi: 70, sendReceive: AddPathDirection.Both }] };
/** Plain, 4-octet AS, extended messages, extended messages + add-path for EVPN. */
const CONTEXTS: BgpContext[] = [
  DEFAULT_CONTEXT,
  AS4_CONTEXT,
  { ...AS4_CONTEXT, extendedMessage: true },
  { ...AS4_CONTEXT, extendedMessage: true, addPath: new Set(['25/70']) },
];

/** A deterministic source of chunk sizes (xorshift32), one seed per file and round. */
function chunkSizes(seed: number): () => number {
  let x = seed | 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return 1 + ((x >>> 0) % 300);
  };
}

function seedOf(name: string, round: number): number {
  let h = 2166136261;
  for (const c of `${name}/${round}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  return h >>> 0;
}

function session(): BgpConnection {
  const capabilities: Capability[] = [
    ...peerCapabilities(),
    { type: 'multiprotocol', afi: 1, safi: 1 },
    { type: 'enhanced-route-refresh' },
    { type: 'extended-message' },
    { type: 'add-path', ...EVPN_ADD_PATH },
  ];
  const c = new BgpConnection(
    connectionConfig({ families: ['l2vpn-evpn', 'ipv4-unicast'], extendedMessage: true, addPath: [{ family: 'l2vpn-evpn', mode: 'both' }] }),
    new TestEnv(),
  );
  c.handle({ type: 'start' });
  c.handle({ type: 'tcp-connected' });
  c.handle({ type: 'bytes', data: openBytes(peerOpen({ capabilities })) });
  c.handle({ type: 'bytes', data: KEEPALIVE });
  assert.equal(c.state, 'Established');
  assert.equal(c.negotiated?.ctxIn.extendedMessage, true);
  return c;
}

function feed(name: string, bytes: Buffer, next: () => number): void {
  const c = session();
  const actions: ConnectionAction[] = [];
  for (let o = 0; o < bytes.length; ) {
    const n = next();
    actions.push(...c.handle({ type: 'bytes', data: bytes.subarray(o, o + n) }));
    o += n;
  }
  const notifications = ofType(actions, 'send').filter((a) => a.data[18] === 3);
  assert.ok(notifications.length <= 1, `${name}: ${notifications.length} NOTIFICATIONs`);
  for (const n of notifications) assert.ok(n.data.length <= 4096, `${name}: a ${n.data.length}-octet NOTIFICATION`);
  assert.ok(c.state === 'Established' || c.state === 'Idle', `${name}: ends in ${c.state}`);
  if (c.state === 'Idle') assert.equal(ofType(actions, 'down').length, 1, `${name}: one down`);
}

test('the corpus holds item 11\'s input and a dozen more', () => {
  const files = corpus();
  assert.ok(files.length >= 12, `${files.length} files`);
  const item11 = files.find((f) => f.name === 'item11-extended-update-5000.hex');
  assert.equal(item11?.bytes.length, 5000);
  assert.equal(item11!.bytes.subarray(16, 27).toString('hex'), '138802000013715063136d');
});

test('corpus: every message decodes to a value or a WireError under every context', () => {
  for (const { bytes } of corpus()) {
    for (const ctx of CONTEXTS) {
      let off = 0;
      while (off + 19 <= bytes.length) {
        const length = bytes.readUInt16BE(off + 16);
        onlyWireError(() => bgpMessage.decode(bytes, off, ctx));
        if (length < 19) break;
        off += length;
      }
    }
  }
});

test('corpus: the session core, fed whole, byte by byte, in fixed sizes and in 20 random chunkings per file', () => {
  for (const { name, bytes } of corpus()) {
    for (const size of [bytes.length, 1, 7, 19, 64, 1000, 4096]) feed(`${name} in ${size}s`, bytes, () => size);
    for (let round = 0; round < 20; round++) feed(`${name} round ${round}`, bytes, chunkSizes(seedOf(name, round)));
  }
});
