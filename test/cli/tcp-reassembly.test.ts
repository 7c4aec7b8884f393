import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_PENDING_SEGMENTS, TcpStream, type StreamEvent } from '../../src/cli/decode/tcp-reassembly.js';
import { BgpMessageCutter, findMarker, type CutEvent } from '../../src/cli/decode/bgp-stream.js';
import { AS4_CONTEXT, DEFAULT_CONTEXT } from '../../src/wire/bgp-context.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import { buildOpen } from '../../src/wire/bgp-open.js';
import { runs } from '../helpers/property.js';

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

function dataOf<T>(events: StreamEvent<T>[]): string {
  return events
    .filter((e): e is Extract<StreamEvent<T>, { kind: 'data' }> => e.kind === 'data')
    .map((e) => e.data.toString('latin1'))
    .join('');
}

test('TCP stream: in-order segments after a SYN are delivered as they come', () => {
  const s = new TcpStream<number>();
  assert.deepEqual(s.push(1000, Buffer.alloc(0), true, 1), []);
  assert.equal(dataOf(s.push(1001, bytes('abc'), false, 2)), 'abc');
  const ev = s.push(1004, bytes('def'), false, 3);
  assert.equal(dataOf(ev), 'def');
  assert.equal(ev[0]!.info, 3, 'the delivering segment is named');
  assert.equal(s.midstream, false);
});

test('TCP stream: an out-of-order segment waits for the hole, then both come out in order', () => {
  const s = new TcpStream<number>();
  s.push(0, Buffer.alloc(0), true, 1);
  assert.deepEqual(s.push(4, bytes('def'), false, 2), [], 'held behind the hole');
  assert.equal(s.bufferedBytes, 3);
  const ev = s.push(1, bytes('abc'), false, 3);
  assert.equal(dataOf(ev), 'abcdef');
  assert.deepEqual(
    ev.map((e) => e.info),
    [3, 2],
    'each part names the segment that carried it',
  );
  assert.deepEqual(
    ev.map((e) => (e.kind === 'data' ? e.at : undefined)),
    [3, 3],
    'both became deliverable when segment 3 arrived',
  );
  assert.equal(s.counters.outOfOrder, 1);
});

test('TCP stream: retransmissions are dropped, overlaps deliver only the new tail', () => {
  const s = new TcpStream<number>();
  s.push(0, Buffer.alloc(0), true, 1);
  s.push(1, bytes('abcd'), false, 2);
  assert.deepEqual(s.push(1, bytes('abcd'), false, 3), [], 'exact retransmission');
  assert.deepEqual(s.push(2, bytes('bc'), false, 4), [], 'retransmission of a middle part');
  assert.equal(dataOf(s.push(3, bytes('cdEF'), false, 5)), 'EF', 'overlap: first copy wins, tail is new');
  assert.equal(s.counters.retransmissions, 2);
  assert.equal(s.counters.overlaps, 1);
});

test('TCP stream: sequence numbers wrap at 2^32', () => {
  const s = new TcpStream<number>();
  const isn = 0xfffffffd;
  s.push(isn, Buffer.alloc(0), true, 1);
  // data starts at 0xfffffffe: 2 bytes before the wrap, then 0, 1, ...
  assert.deepEqual(s.push(0, bytes('cd'), false, 2), [], 'after the wrap: held');
  assert.equal(dataOf(s.push(0xfffffffe, bytes('ab'), false, 3)), 'abcd');
});

test('TCP stream: a capture without the SYN starts at the first segment and says so', () => {
  const s = new TcpStream<number>();
  assert.equal(dataOf(s.push(5000, bytes('xyz'), false, 1)), 'xyz');
  assert.equal(s.midstream, true);
});

test('TCP stream: a hole never filled is reported at the end, then what followed it', () => {
  const s = new TcpStream<number>();
  s.push(0, Buffer.alloc(0), true, 1);
  s.push(1, bytes('ab'), false, 2);
  assert.deepEqual(s.push(10, bytes('XY'), false, 3), []);
  const ev = s.finish();
  assert.deepEqual(ev[0], { kind: 'gap', missing: 7, info: 3 });
  assert.equal(dataOf(ev), 'XY');
});

test('TCP stream: an ACK past a hole means the capture missed it: skipped at once', () => {
  const s = new TcpStream<number>();
  s.push(0, Buffer.alloc(0), true, 1);
  s.push(1, bytes('ab'), false, 2);
  assert.deepEqual(s.push(10, bytes('XY'), false, 3), [], 'held behind the hole');
  assert.deepEqual(s.acknowledged(5, 4), [{ kind: 'gap', missing: 2, info: 4 }], 'only what is acknowledged is given up');
  assert.deepEqual(s.acknowledged(11, 4), [{ kind: 'gap', missing: 5, info: 4 }, { kind: 'data', data: bytes('XY'), info: 3, at: 4 }]);
  assert.deepEqual(s.acknowledged(12, 5), [], 'everything acknowledged was delivered');
  assert.deepEqual(s.acknowledged(13, 6), [], 'one past the data is the FIN');
  const ev = s.acknowledged(20, 7);
  assert.deepEqual(ev, [{ kind: 'gap', missing: 8, info: 7 }], 'acknowledged bytes never captured');
  assert.equal(dataOf(s.push(20, bytes('z'), false, 8)), 'z', 'the stream goes on after them');
});

test('TCP stream: a hole is given up when too many segments wait behind it', () => {
  const s = new TcpStream<number>();
  s.push(0, Buffer.alloc(0), true, 0);
  let delivered = '';
  let gaps = 0;
  for (let i = 0; i <= MAX_PENDING_SEGMENTS; i++) {
    for (const e of s.push(11 + i, bytes('x'), false, i + 1)) {
      if (e.kind === 'data') delivered += e.data.toString('latin1');
      if (e.kind === 'gap') gaps++;
    }
  }
  assert.equal(gaps, 1);
  assert.equal(delivered.length, MAX_PENDING_SEGMENTS + 1);
  assert.equal(s.bufferedBytes, 0);
});

test('TCP stream: a SYN with a new ISN restarts the stream', () => {
  const s = new TcpStream<number>();
  s.push(100, Buffer.alloc(0), true, 1);
  s.push(101, bytes('old'), false, 2);
  const ev = s.push(9000, Buffer.alloc(0), true, 3);
  assert.deepEqual(
    ev.map((e) => e.kind),
    ['restart'],
  );
  assert.equal(dataOf(s.push(9001, bytes('new'), false, 4)), 'new');
  assert.deepEqual(s.push(9000, Buffer.alloc(0), true, 5), [], 'a retransmitted SYN of the current ISN is nothing new');
});

test('TCP stream property: any segmentation, order and duplication gives back the stream', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 0, maxLength: 200 }),
      fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 30 }),
      fc.array(fc.nat(), { maxLength: 60 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (data, cuts, order, dups) => {
        const isn = 0xffffff00; // close to the wrap on purpose
        const stream = Buffer.from(data);
        const segs: { seq: number; payload: Buffer }[] = [];
        let o = 0;
        for (let i = 0; o < stream.length; i++) {
          const n = cuts[i % cuts.length]!;
          segs.push({ seq: (isn + 1 + o) >>> 0, payload: stream.subarray(o, o + n) });
          o += n;
        }
        // Retransmissions (whole segments and overlapping halves).
        for (const d of dups) {
          if (segs.length === 0) break;
          const s = segs[d % segs.length]!;
          segs.push(d % 2 === 0 ? s : { seq: s.seq, payload: s.payload.subarray(0, Math.ceil(s.payload.length / 2)) });
        }
        // Shuffle deterministically from `order`.
        for (let i = segs.length - 1; i > 0; i--) {
          const j = (order[i % Math.max(1, order.length)] ?? 0) % (i + 1);
          [segs[i], segs[j]] = [segs[j]!, segs[i]!];
        }
        const s = new TcpStream<number>();
        s.push(isn, Buffer.alloc(0), true, 0);
        const out: Buffer[] = [];
        for (const seg of segs) for (const e of s.push(seg.seq, seg.payload, false, 0)) if (e.kind === 'data') out.push(e.data);
        for (const e of s.finish()) {
          assert.notEqual(e.kind, 'gap', 'every byte was sent at least once: no gap');
          if (e.kind === 'data') out.push(e.data);
        }
        assert.deepEqual(Buffer.concat(out), stream);
      },
    ),
    runs(0.2),
  );
});

// ------------------------------------------------------------ BGP message cutting

const OPEN = bgpMessage.encode(
  { type: 'open', open: buildOpen({ as: 65000, holdTime: 90, bgpId: '10.0.0.1', capabilities: [{ type: 'four-octet-as', as: 65000 }] }) },
  undefined,
  0,
  AS4_CONTEXT,
);
const KEEPALIVE = bgpMessage.encode(bgpMessage.KEEPALIVE);

function cutAll(chunks: Buffer[], midstream = false): CutEvent<number>[] {
  const cutter = new BgpMessageCutter<number>(() => DEFAULT_CONTEXT, midstream);
  const out: CutEvent<number>[] = [];
  chunks.forEach((c, i) => out.push(...cutter.push({ kind: 'data', data: c, info: i + 1, at: i + 1 })));
  return out;
}

function messages(events: CutEvent<number>[]): Buffer[] {
  return events.flatMap((e) => (e.kind === 'message' ? [e.bytes] : []));
}

test('BGP cutting: several messages in one segment, one message over several', () => {
  const stream = Buffer.concat([OPEN, KEEPALIVE, KEEPALIVE]);
  const one = cutAll([stream]);
  assert.deepEqual(messages(one), [OPEN, KEEPALIVE, KEEPALIVE]);
  // Split at every position: the same three messages, each at the segment that completed it.
  for (let at = 1; at < stream.length; at++) {
    const ev = cutAll([stream.subarray(0, at), stream.subarray(at)]);
    assert.deepEqual(messages(ev), [OPEN, KEEPALIVE, KEEPALIVE], `split at ${at}`);
    const first = ev[0]!;
    assert.equal(first.kind, 'message');
    if (first.kind === 'message') {
      assert.equal(first.info, at >= OPEN.length ? 1 : 2);
      assert.deepEqual(first.parts, at >= OPEN.length ? [1] : [1, 2]);
    }
  }
  // One byte per segment.
  const bytewise = cutAll([...stream].map((b) => Buffer.from([b])));
  assert.deepEqual(messages(bytewise), [OPEN, KEEPALIVE, KEEPALIVE]);
});

test('BGP cutting: garbage before a marker is skipped and reported, the stream goes on', () => {
  const ev = cutAll([Buffer.concat([Buffer.from('garbage'), KEEPALIVE, OPEN])]);
  assert.equal(ev[0]!.kind, 'framing-error');
  if (ev[0]!.kind === 'framing-error') {
    assert.equal(ev[0]!.skipped, 7);
    assert.equal(ev[0]!.error?.code, 1, 'Message Header Error');
  }
  assert.deepEqual(messages(ev), [KEEPALIVE, OPEN]);
  // Mid-stream start: the tail of a message before the first marker.
  const mid = cutAll([Buffer.concat([OPEN.subarray(30), KEEPALIVE])], true);
  assert.deepEqual(messages(mid), [KEEPALIVE]);
});

test('BGP cutting: a bad length is reported and the next marker is found', () => {
  const bad = Buffer.from(KEEPALIVE);
  bad.writeUInt16BE(5000, 16);
  const ev = cutAll([Buffer.concat([bad, KEEPALIVE])]);
  assert.equal(ev[0]!.kind, 'framing-error');
  if (ev[0]!.kind === 'framing-error') assert.equal(ev[0]!.error?.subcode, 2, 'Bad Message Length');
  assert.deepEqual(messages(ev), [KEEPALIVE]);
});

test('BGP cutting: a hole drops the partial message and resynchronizes', () => {
  const cutter = new BgpMessageCutter<number>(() => DEFAULT_CONTEXT);
  const out: CutEvent<number>[] = [];
  out.push(...cutter.push({ kind: 'data', data: OPEN.subarray(0, 20), info: 1, at: 1 }));
  out.push(...cutter.push({ kind: 'gap', missing: 10, info: 2 }));
  out.push(...cutter.push({ kind: 'data', data: Buffer.concat([OPEN.subarray(30), KEEPALIVE]), info: 2, at: 2 }));
  assert.deepEqual(out[0], { kind: 'lost', partial: 20, missing: 10, info: 2 });
  assert.deepEqual(messages(out), [KEEPALIVE]);
});

test('findMarker: first full marker, else the trailing run of 0xff', () => {
  assert.equal(findMarker(Buffer.concat([Buffer.from([1, 2]), KEEPALIVE]), 0), 2);
  assert.equal(findMarker(Buffer.from([1, 0xff, 0xff]), 0), 1);
  assert.equal(findMarker(Buffer.from([1, 2, 3]), 0), 3);
});
