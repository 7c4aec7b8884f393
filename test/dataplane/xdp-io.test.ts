// AF_XDP ports (src/dataplane/xdp-io.ts, native/xdp.c) on a veth pair in a
// namespace this test makes and always removes: frames received through the
// XDP socket are byte for byte the ones an AF_PACKET socket sent on the peer,
// frames sent through it arrive intact at the peer, and closing the port
// takes the XDP program off the interface. Offloads stay at their defaults.
// Every sending loop is bounded in count, every wait in time. Needs root.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadNativeIo, type FramePort } from '../../src/dataplane/native-io.js';
import { openXdpPort, type XdpAttachMode } from '../../src/dataplane/xdp-io.js';
import { collect, freshBatch, sendFrames } from '../helpers/frame-collect.js';
import { needsRoot, run, Topology, waitFor } from '../helpers/netns.js';

type FramePortLike = Pick<FramePort, 'receive' | 'onReadable' | 'stopReadable'>;

const topo = new Topology();
after(() => topo.destroy());

const FRAMES = 200;
const MARK_TYPE = 0x88b5; // IEEE 802 local experimental EtherType

/** FRAMES test frames of lengths 60..1514 in one buffer: our MACs, 0x88b5, seq, a seq-dependent pattern. */
function testFrames(): { buffer: Buffer; offsets: Uint32Array; lengths: Uint32Array } {
  const buffer = Buffer.alloc(FRAMES * 2048);
  const offsets = new Uint32Array(FRAMES);
  const lengths = new Uint32Array(FRAMES);
  for (let seq = 0; seq < FRAMES; seq++) {
    const off = seq * 2048;
    const len = 60 + ((seq * 331) % 1455);
    buffer.set([0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa], off);
    buffer.writeUInt16BE(MARK_TYPE, off + 12);
    buffer.writeUInt32BE(seq, off + 14);
    for (let i = 18; i < len; i++) buffer[off + i] = (seq * 7 + i) & 0xff;
    offsets[seq] = off;
    lengths[seq] = len;
  }
  return { buffer, offsets, lengths };
}

function frameAt(t: ReturnType<typeof testFrames>, seq: number): Buffer {
  return t.buffer.subarray(t.offsets[seq]!, t.offsets[seq]! + t.lengths[seq]!);
}

/** Our test frames (by EtherType) received on port until `want` or timeoutMs. */
function collectTestFrames(port: FramePortLike, want: number, timeoutMs: number): Promise<Buffer[]> {
  const isTestFrame = (f: Buffer): boolean => f.length >= 18 && f.readUInt16BE(12) === MARK_TYPE;
  return collect(port, (b) => port.receive(b), freshBatch(64), isTestFrame, want, timeoutMs);
}

/** The XDP program ip-link reports on ns/ifname, or undefined. */
async function xdpProgram(ns: string, ifname: string): Promise<{ name?: string; id?: number } | undefined> {
  const [link] = JSON.parse(await run(ns, 'ip', '-d', '-j', 'link', 'show', ifname)) as Array<{
    xdp?: { prog?: { name?: string; id?: number } };
  }>;
  return link?.xdp?.prog;
}

/** A fresh namespace with the veth pair vxa0 <-> vxb0, offloads left at their defaults. */
async function vethNs(): Promise<string> {
  const ns = await topo.addNamespace();
  await topo.veth(ns, 'vxa0', ns, 'vxb0');
  return ns;
}

for (const attachMode of ['native', 'generic'] as XdpAttachMode[]) {
  test(`AF_XDP (${attachMode}): frames received are the ones an AF_PACKET socket sent on the peer`, { skip: needsRoot }, async () => {
    const ns = await vethNs();
    const rx = openXdpPort('vxb0', { netns: ns, attachMode });
    const tx = loadNativeIo().openPacket('vxa0', { netns: ns });
    // An AF_PACKET socket on the same interface, as tcpdump would open.
    const tap = loadNativeIo().openPacket('vxb0', { netns: ns, rxMode: 'recvmmsg' });
    try {
      assert.equal(rx.kind, 'af-xdp');
      assert.equal(rx.attachMode, attachMode);
      assert.equal(rx.queue, 0);
      assert.equal(rx.zeroCopy, false);
      const frames = testFrames();
      const arrived = collectTestFrames(rx, FRAMES, 5_000);
      const tapped = collectTestFrames(tap, 1, 1_000);
      assert.equal(sendFrames(tx, frames.buffer, frames.offsets, frames.lengths, FRAMES), FRAMES);
      const got = await arrived;
      // The program redirects before the packet taps: packet sockets see none of them.
      assert.equal((await tapped).length, 0);
      assert.equal(got.length, FRAMES);
      for (let seq = 0; seq < FRAMES; seq++) assert.deepEqual(got[seq], frameAt(frames, seq), `frame ${seq}`);
      const st = rx.stats();
      assert.ok(st.rxFrames >= FRAMES);
      assert.equal(st.rxTruncated, 0);
      assert.equal(st.rxRingFull + st.kernelDrops, 0);
    } finally {
      rx.close();
      tx.close();
      tap.close();
    }
  });
}

for (const attachMode of ['native', 'none'] as XdpAttachMode[]) {
  test(`AF_XDP (${attachMode}): frames sent through the XDP socket arrive intact at the peer; one too large for a UMEM frame is refused`, { skip: needsRoot }, async () => {
    const ns = await vethNs();
    const port = openXdpPort('vxb0', { netns: ns, ringSize: 64, attachMode });
    const peer = loadNativeIo().openPacket('vxa0', { netns: ns });
    try {
      // A send-only port leaves the interface without a program.
      assert.equal((await xdpProgram(ns, 'vxb0'))?.name, attachMode === 'none' ? undefined : 'vxio_xsk');
      const frames = testFrames();
      const arrived = collectTestFrames(peer, FRAMES, 5_000);
      // 200 frames through 64 TX frames: completions are reaped as the batches go.
      let sent = 0;
      for (let round = 0; round < 100 && sent < FRAMES; round++) {
        const n = Math.min(32, FRAMES - sent);
        const offsets = frames.offsets.subarray(sent, sent + n);
        sent += sendFrames(port, frames.buffer, offsets, frames.lengths.subarray(sent, sent + n), n);
      }
      assert.equal(sent, FRAMES);
      const got = await arrived;
      assert.equal(got.length, FRAMES);
      for (let seq = 0; seq < FRAMES; seq++) assert.deepEqual(got[seq], frameAt(frames, seq), `frame ${seq}`);

      const big = Buffer.alloc(2049);
      assert.equal(sendFrames(port, big, Uint32Array.of(0), Uint32Array.of(2049), 1), 0);
      const st = port.stats();
      assert.equal(st.txFrames, FRAMES);
      assert.equal(st.txErrors, 1);
      assert.equal(st.lastTxError, 'EMSGSIZE');
    } finally {
      port.close();
      peer.close();
    }
  });
}

test('AF_XDP: the program is on the interface while the port is open and gone after close; a second port gets EBUSY', { skip: needsRoot }, async () => {
  const ns = await vethNs();
  assert.equal(await xdpProgram(ns, 'vxb0'), undefined);
  const port = openXdpPort('vxb0', { netns: ns });
  try {
    assert.equal((await xdpProgram(ns, 'vxb0'))?.name, 'vxio_xsk');
    // veth: a native XDP program takes TSO off the peer (docs/afxdp.md).
    assert.match(await run(ns, 'ethtool', '-k', 'vxa0'), /^tcp-segmentation-offload: off/m);
    assert.throws(() => openXdpPort('vxb0', { netns: ns }), (e: NodeJS.ErrnoException) => e.code === 'EBUSY');
    assert.equal(port.closed, false);
  } finally {
    port.close();
  }
  assert.equal(port.closed, true);
  assert.equal(await xdpProgram(ns, 'vxb0'), undefined);
  assert.match(await run(ns, 'ethtool', '-k', 'vxa0'), /^tcp-segmentation-offload: on/m);
  // The kernel frees the queue shortly after close: then it opens again.
  const again = await waitFor('queue 0 free again', () => {
    try {
      return openXdpPort('vxb0', { netns: ns });
    } catch {
      return undefined;
    }
  }, 2_000, 10);
  again.close();
});

test('AF_XDP: bad options and a missing interface are errors naming the cause', { skip: needsRoot }, async () => {
  const ns = await vethNs();
  assert.throws(() => openXdpPort('vxb0', { netns: ns, frameSize: 3000 }), RangeError);
  assert.throws(() => openXdpPort('vxb0', { netns: ns, ringSize: 100 }), RangeError);
  assert.throws(() => openXdpPort('nosuch0', { netns: ns }), /AF_XDP ifindex nosuch0: ENODEV/);
  // veth has no zero-copy AF_XDP.
  assert.throws(() => openXdpPort('vxb0', { netns: ns, zeroCopy: true }), /AF_XDP bind vxb0: ENOTSUP/);
  assert.equal(await xdpProgram(ns, 'vxb0'), undefined);
});
