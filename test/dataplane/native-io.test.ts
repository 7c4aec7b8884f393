// The native I/O addon (src/dataplane/native) through its TypeScript wrapper,
// on real kernel objects: veth pairs, TAP devices and loopback in network
// namespaces this test makes (vxt-<pid>-<n>) and always removes. Every frame
// is sent inside those namespaces or on loopback; every sending loop is
// bounded in count and time. Needs root (CI runs as root); the JS fallback's
// UDP test runs without.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  loadNativeIo,
  readAddress,
  writeAddress,
  type FramePort,
  type NativeIo,
  type RxBatch,
  type UdpUnderlay,
} from '../../src/dataplane/native-io.js';
import { createJsFallbackIo, loadIo } from '../../src/dataplane/js-fallback-io.js';
import { collect, freshBatch, sendDatagrams, sendFrames } from '../helpers/frame-collect.js';

const isRoot = process.getuid?.() === 0;
const needsRoot = isRoot ? false : 'needs root (network namespaces, AF_PACKET, TAP, raw sockets)';

let loadError: unknown;
let loaded: NativeIo | undefined;
try {
  loaded = loadNativeIo();
} catch (err) {
  loadError = err;
}
function nio(): NativeIo {
  if (!loaded) throw loadError;
  return loaded;
}

// ---------------------------------------------------------------- namespaces

const namespaces: string[] = [];
let nsCount = 0;

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'pipe'] });
}

function makeNs(): string {
  const name = `vxt-${process.pid}-${nsCount++}`;
  run('ip', ['netns', 'add', name]);
  namespaces.push(name);
  run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return name;
}

function inNs(ns: string, cmd: string, ...args: string[]): string {
  return run('ip', ['netns', 'exec', ns, cmd, ...args]);
}

/** No IPv6 autoconfiguration chatter (router solicitations, DAD) on new links. */
function quietIpv6(ns: string): void {
  // /proc/sys/net shows the namespace of the process that opens it.
  inNs(ns, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6 && echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6');
}

/** A veth pair vxa0 <-> vxb0, both up, in ns (or vxb0 in nsB). */
function vethPair(ns: string, nsB?: string): void {
  run('ip', ['-n', ns, 'link', 'add', 'vxa0', 'type', 'veth', 'peer', 'name', 'vxb0']);
  if (nsB) run('ip', ['-n', ns, 'link', 'set', 'vxb0', 'netns', nsB]);
  run('ip', ['-n', ns, 'link', 'set', 'vxa0', 'up']);
  run('ip', ['-n', nsB ?? ns, 'link', 'set', 'vxb0', 'up']);
}

after(() => {
  for (const ns of namespaces) {
    try {
      run('ip', ['netns', 'del', ns]);
    } catch {
      // already gone
    }
  }
});

// ---------------------------------------------------------------- frames

const MARK_TYPE = 0x88b5; // IEEE 802 local experimental EtherType
const MAGIC = 0x56585431; // "VXT1"
const SRC_MAC = [0x02, 0, 0, 0, 0, 0xaa];
const DST_MAC = [0x02, 0, 0, 0, 0, 0xbb];

/** Test frame seq: our MACs, EtherType 0x88b5, magic, seq, a seq-dependent pattern. */
function writeFrame(buf: Buffer, off: number, seq: number, len: number, vlan?: number): number {
  let p = off;
  for (const b of DST_MAC) buf[p++] = b;
  for (const b of SRC_MAC) buf[p++] = b;
  if (vlan !== undefined) {
    buf.writeUInt16BE(0x8100, p);
    buf.writeUInt16BE(vlan, p + 2);
    p += 4;
  }
  buf.writeUInt16BE(MARK_TYPE, p);
  buf.writeUInt32BE(MAGIC, p + 2);
  buf.writeUInt32BE(seq, p + 6);
  for (let i = p + 10; i < off + len; i++) buf[i] = (seq * 7 + i - off) & 0xff;
  return len;
}

function isTestFrame(f: Buffer): boolean {
  if (f.length < 24) return false;
  let p = 12;
  if (f.readUInt16BE(p) === 0x8100) p += 4;
  return f.readUInt16BE(p) === MARK_TYPE && f.readUInt32BE(p + 2) === MAGIC;
}

function frameSeq(f: Buffer): number {
  return f.readUInt32BE(f.readUInt16BE(12) === 0x8100 ? 22 : 18);
}

interface TxBatch {
  buffer: Buffer;
  offsets: Uint32Array;
  lengths: Uint32Array;
}

function txBatch(count: number, slot = 2048): TxBatch {
  return { buffer: Buffer.alloc(count * slot), offsets: new Uint32Array(count), lengths: new Uint32Array(count) };
}

function collectFrames(port: FramePort, batch: RxBatch, want: number, timeoutMs: number): Promise<Buffer[]> {
  return collect(port, (b) => port.receive(b), batch, isTestFrame, want, timeoutMs);
}

// ---------------------------------------------------------------- tests

test('the addon loads from build/Release/vxio.node', () => {
  assert.equal(nio().kind, 'native');
});

for (const rxMode of ['recvmmsg', 'ring'] as const) {
  test(`AF_PACKET (${rxMode}): a batch sent on one veth end is received whole on the other`, { skip: needsRoot }, async () => {
    const ns = makeNs();
    quietIpv6(ns);
    vethPair(ns);
    const rx = nio().openPacket('vxb0', { netns: ns, rxMode, batchSize: 64 });
    const tx = nio().openPacket('vxa0', { netns: ns });
    try {
      assert.equal(rx.rxMode, rxMode);
      assert.equal(rx.kind, 'af-packet');
      assert.ok(rx.ifindex > 0 && rx.fd >= 0);
      const N = 200;
      const t = txBatch(N);
      const expected: Buffer[] = [];
      for (let i = 0; i < N; i++) {
        const len = 60 + ((i * 37) % 1440);
        t.offsets[i] = i * 2048 + 13; // frames anywhere in the buffer, not slot-aligned
        t.lengths[i] = writeFrame(t.buffer, t.offsets[i]!, i, len);
        expected.push(Buffer.from(t.buffer.subarray(t.offsets[i]!, t.offsets[i]! + len)));
      }
      // 64 slots per receive: the 200 frames take several calls (and, in
      // ring mode, a block consumed across calls).
      const batch = freshBatch(64);
      const receiving = collectFrames(rx, batch, N, 5000);
      assert.equal(sendFrames(tx, t.buffer, t.offsets, t.lengths, N), N);
      const got = await receiving;
      assert.equal(got.length, N, `received ${got.length} of ${N}`);
      got.forEach((f, i) => {
        assert.equal(frameSeq(f), i, 'in order');
        assert.deepEqual(f, expected[i], `frame ${i}: length and bytes`);
      });
      const st = rx.stats();
      assert.ok(st.rxFrames >= N);
      assert.equal(st.kernelDrops, 0);
      assert.equal(tx.stats().txFrames, N);
    } finally {
      rx.close();
      tx.close();
    }
  });

  test(`AF_PACKET (${rxMode}): a VLAN tag the kernel strips is put back`, { skip: needsRoot }, async () => {
    const ns = makeNs();
    quietIpv6(ns);
    vethPair(ns);
    const rx = nio().openPacket('vxb0', { netns: ns, rxMode });
    const raw = nio().openPacket('vxb0', { netns: ns, rxMode, reinsertVlan: false });
    const tx = nio().openPacket('vxa0', { netns: ns });
    try {
      const N = 5;
      const t = txBatch(N);
      for (let i = 0; i < N; i++) {
        t.offsets[i] = i * 2048;
        t.lengths[i] = writeFrame(t.buffer, i * 2048, i, 100 + i, 100 + i);
      }
      const a = collectFrames(rx, freshBatch(8), N, 3000);
      const b = collectFrames(raw, freshBatch(8), N, 3000);
      assert.equal(sendFrames(tx, t.buffer, t.offsets, t.lengths, N), N);
      const [tagged, stripped] = await Promise.all([a, b]);
      assert.equal(tagged.length, N);
      tagged.forEach((f, i) => assert.deepEqual(f, t.buffer.subarray(i * 2048, i * 2048 + 100 + i)));
      // Without reinsertion the frame arrives 4 bytes shorter, tag gone.
      assert.equal(stripped.length, N);
      stripped.forEach((f, i) => {
        assert.equal(f.length, 96 + i);
        assert.equal(f.readUInt16BE(12), MARK_TYPE);
      });
    } finally {
      rx.close();
      raw.close();
      tx.close();
    }
  });
}

test('AF_PACKET: PACKET_IGNORE_OUTGOING keeps frames leaving the port out of its socket', { skip: needsRoot }, async () => {
  const ns = makeNs();
  quietIpv6(ns);
  vethPair(ns);
  const ignoring = nio().openPacket('vxb0', { netns: ns }); // ignoreOutgoing: true by default
  const seeing = nio().openPacket('vxb0', { netns: ns, ignoreOutgoing: false });
  const other = nio().openPacket('vxb0', { netns: ns });
  const peer = nio().openPacket('vxa0', { netns: ns });
  try {
    const N = 50;
    const t = txBatch(N);
    for (let i = 0; i < N; i++) {
      t.offsets[i] = i * 2048;
      t.lengths[i] = writeFrame(t.buffer, i * 2048, i, 80);
    }
    // Another socket sends out vxb0: the peer gets them, a socket without
    // the option sees them as outgoing, the switch's socket does not.
    const atPeer = collectFrames(peer, freshBatch(64), N, 3000);
    const seen = collectFrames(seeing, freshBatch(64), N, 3000);
    const ignored = collectFrames(ignoring, freshBatch(64), 1, 500);
    assert.equal(sendFrames(other, t.buffer, t.offsets, t.lengths, N), N);
    assert.equal((await atPeer).length, N);
    assert.equal((await seen).length, N);
    assert.equal((await ignored).length, 0);
    // What the switch's socket sends itself never comes back to it either.
    const atPeer2 = collectFrames(peer, freshBatch(64), 20, 3000);
    const ignored2 = collectFrames(ignoring, freshBatch(64), 1, 500);
    assert.equal(sendFrames(ignoring, t.buffer, t.offsets, t.lengths, 20), 20);
    assert.equal((await atPeer2).length, 20);
    assert.equal((await ignored2).length, 0);
  } finally {
    for (const p of [ignoring, seeing, other, peer]) p.close();
  }
});

test('AF_PACKET: a link going down is reported to the callback and polling goes on', { skip: needsRoot }, async () => {
  const ns = makeNs();
  quietIpv6(ns);
  vethPair(ns);
  const rx = nio().openPacket('vxb0', { netns: ns });
  const tx = nio().openPacket('vxa0', { netns: ns });
  try {
    const batch = freshBatch(8);
    const errors: Error[] = [];
    const frames: number[] = [];
    rx.onReadable((err) => {
      if (err) {
        errors.push(err);
        return;
      }
      const n = rx.receive(batch);
      for (let i = 0; i < n; i++) if (batch.lengths[i]) frames.push(batch.lengths[i]!);
    });
    run('ip', ['-n', ns, 'link', 'set', 'vxb0', 'down']);
    const deadline = Date.now() + 3000;
    while (errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(errors[0]?.message, 'poll vxb0: ENETDOWN (Network is down)');
    run('ip', ['-n', ns, 'link', 'set', 'vxb0', 'up']);
    const t = txBatch(1);
    writeFrame(t.buffer, 0, 1, 99);
    // The carrier takes a moment to come back: resend (bounded) until one arrives.
    for (let i = 0; i < 100 && frames.length === 0; i++) {
      sendFrames(tx, t.buffer, Uint32Array.of(0), Uint32Array.of(99), 1);
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.ok(frames.includes(99), 'frames are received again after the link came back');
  } finally {
    rx.close();
    tx.close();
  }
});

test('AF_PACKET: errors name the errno and the interface', { skip: needsRoot }, () => {
  assert.throws(() => nio().openPacket('vxnope0'), (err: NodeJS.ErrnoException) => {
    assert.equal(err.message, 'AF_PACKET bind vxnope0: ENODEV (No such device)');
    assert.equal(err.code, 'ENODEV');
    return true;
  });
  assert.throws(() => nio().openPacket('lo', { netns: 'vxt-no-such-ns' }), /AF_PACKET netns lo: ENOENT/);
  assert.throws(() => nio().openPacket('lo', { rxMode: 'ring', ringBlockSize: 1000 }), RangeError);
  assert.throws(() => nio().openPacket('a-name-longer-than-15'), RangeError);
});

test('AF_PACKET: close stops polling, closes the fd, and is idempotent', { skip: needsRoot }, async () => {
  const ns = makeNs();
  const port = nio().openPacket('lo', { netns: ns });
  const batch = freshBatch(4);
  assert.equal(port.receive(batch), 0, 'nothing waiting');
  assert.throws(() => port.receive(batch, 5), RangeError, 'max beyond the lengths array');
  port.onReadable(() => undefined);
  assert.equal(port.closed, false);
  port.close();
  port.close();
  assert.equal(port.closed, true);
  assert.throws(() => port.receive(batch), /closed handle lo: EBADF/);
  assert.equal(typeof port.stats().rxFrames, 'number');
});

test('TAP: created by name, kernel ARP/ICMP read from it, frames written reach the kernel', { skip: needsRoot }, async () => {
  const ns = makeNs();
  quietIpv6(ns);
  const name = `vxtap${nsCount}`;
  const tap = nio().openTap(name, { netns: ns, up: true });
  let ping: ChildProcess | undefined;
  try {
    assert.equal(tap.kind, 'tap');
    assert.equal(tap.name, name);
    run('ip', ['-n', ns, 'addr', 'add', '10.99.0.1/24', 'dev', name]);
    const tapMac = JSON.parse(run('ip', ['-n', ns, '-j', 'link', 'show', 'dev', name]))[0].address as string;
    const batch = freshBatch(16);
    const isArpRequest = (f: Buffer): boolean =>
      f.readUInt16BE(12) === 0x0806 && f.readUInt16BE(20) === 1 && f.subarray(38, 42).equals(Buffer.from([10, 99, 0, 2]));
    const arp = collect(tap, (b) => tap.receive(b), batch, isArpRequest, 1, 5000);
    // The kernel resolves 10.99.0.2 through the TAP (3 pings, 0.3 s apart: bounded).
    ping = spawn('ip', ['netns', 'exec', ns, 'ping', '-n', '-c', '3', '-i', '0.3', '-W', '1', '10.99.0.2'], {
      stdio: 'ignore',
    });
    const [req] = await arp;
    assert.ok(req, 'the kernel ARP request came out of the TAP');
    assert.equal(req.subarray(6, 12).toString('hex'), tapMac.replaceAll(':', ''));

    // Answer it: the reply written to the TAP fills the kernel's neighbour table,
    // and the ICMP echo request then comes out addressed to our MAC.
    const ours = Buffer.from([0x02, 0, 0, 0, 0x99, 0x02]);
    const reply = Buffer.alloc(60);
    req.copy(reply, 0, 6, 12); // to the TAP's MAC
    ours.copy(reply, 6);
    reply.writeUInt16BE(0x0806, 12);
    reply.writeUInt16BE(1, 14); // Ethernet
    reply.writeUInt16BE(0x0800, 16);
    reply[18] = 6;
    reply[19] = 4;
    reply.writeUInt16BE(2, 20); // reply
    ours.copy(reply, 22);
    Buffer.from([10, 99, 0, 2]).copy(reply, 28);
    req.copy(reply, 32, 22, 32); // target = the requester's MAC + IP
    const isEcho = (f: Buffer): boolean =>
      f.readUInt16BE(12) === 0x0800 && f[23] === 1 && f[34] === 8 && f.subarray(0, 6).equals(ours);
    const echo = collect(tap, (b) => tap.receive(b), batch, isEcho, 1, 5000);
    assert.equal(sendFrames(tap, reply, Uint32Array.of(0), Uint32Array.of(60), 1), 1);
    assert.equal((await echo).length, 1, 'ICMP echo request to the MAC we announced');
    assert.match(run('ip', ['-n', ns, 'neigh', 'show', '10.99.0.2']), /lladdr 02:00:00:00:99:02/);

    // A batch written in one call: the device's rx counter counts all of it.
    const rxPackets = (): number =>
      JSON.parse(run('ip', ['-n', ns, '-s', '-j', 'link', 'show', 'dev', name]))[0].stats64.rx.packets as number;
    const before = rxPackets();
    const N = 32;
    const t = txBatch(N);
    for (let i = 0; i < N; i++) {
      t.offsets[i] = i * 2048;
      t.lengths[i] = writeFrame(t.buffer, i * 2048, i, 64 + i);
    }
    assert.equal(sendFrames(tap, t.buffer, t.offsets, t.lengths, N), N);
    assert.equal(rxPackets() - before, N);
    assert.equal(tap.stats().txFrames, N + 1);
  } finally {
    ping?.kill();
    tap.close();
  }
  // The TAP was made by us and not persistent: it goes away with the fd.
  assert.doesNotMatch(run('ip', ['-n', ns, 'link']), new RegExp(`${name}:`));
});

test('TAP: a device deleted under the switch is reported once, without a busy loop', { skip: needsRoot }, async () => {
  const ns = makeNs();
  const name = `vxtap${nsCount}`;
  const tap = nio().openTap(name, { netns: ns, up: true });
  try {
    const errors: string[] = [];
    tap.onReadable((err) => {
      if (err) errors.push(err.message);
    });
    run('ip', ['-n', ns, 'link', 'del', name]);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(errors, [`poll ${name}: ENODEV (No such device)`]);
  } finally {
    tap.close();
  }
});

test('TAP: attaching to an existing non-TAP device fails with a clear error', { skip: needsRoot }, () => {
  const ns = makeNs();
  assert.throws(() => nio().openTap('lo', { netns: ns }), /^Error: TAP TUNSETIFF lo: E\w+ \(/);
});

/** Parse the IPv4/UDP headers of an Ethernet frame captured on lo or a veth. */
interface Udp4Seen {
  df: boolean;
  ttl: number;
  src: number;
  dst: number;
  sport: number;
  dport: number;
  udpChecksum: number;
  ipChecksumOk: boolean;
  payload: Buffer;
}

function parseUdp4(f: Buffer): Udp4Seen | undefined {
  if (f.length < 42 || f.readUInt16BE(12) !== 0x0800 || f[23] !== 17) return undefined;
  let sum = 0;
  for (let i = 14; i < 34; i += 2) sum += f.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return {
    df: (f.readUInt16BE(20) & 0x4000) !== 0,
    ttl: f[22]!,
    src: f.readUInt32BE(26),
    dst: f.readUInt32BE(30),
    sport: f.readUInt16BE(34),
    dport: f.readUInt16BE(36),
    udpChecksum: f.readUInt16BE(40),
    ipChecksumOk: sum === 0xffff,
    payload: f.subarray(42, 34 + f.readUInt16BE(38)),
  };
}

function vxlanPayload(buf: Buffer, off: number, seq: number, len: number): void {
  buf.writeUInt32BE(0x08000000, off); // I flag
  buf.writeUInt32BE((1000 + seq) << 8, off + 4); // VNI
  for (let i = 8; i < len; i++) buf[off + i] = (seq + i) & 0xff;
}

/** collect() for the underlay: each datagram with its sender's address and port. */
function collectUdp(
  u: UdpUnderlay,
  batch: RxBatch,
  addrs: Uint32Array,
  ports: Uint32Array,
  want: number,
  timeoutMs: number,
): Promise<{ payload: Buffer; addr: string; port: number }[]> {
  const senders: { addr: string; port: number }[] = [];
  const receive = (b: RxBatch): number => {
    const n = u.receive(b, addrs, ports);
    for (let i = 0; i < n; i++) {
      if (b.lengths[i] !== 0) senders.push({ addr: readAddress(addrs, i, u.family), port: ports[i]! });
    }
    return n;
  };
  return collect(u, receive, batch, () => true, want, timeoutMs).then((frames) =>
    frames.map((payload, i) => ({ ...senders[i]!, payload })),
  );
}

test('UDP underlay (IPv4): per-packet source ports, DF set, checksum 0, EMSGSIZE instead of fragments', { skip: needsRoot }, async () => {
  const ns = makeNs();
  run('ip', ['-n', ns, 'link', 'set', 'lo', 'mtu', '1500']);
  const a = await nio().openUdp({ address: '127.0.0.1', port: 4789, netns: ns });
  const b = await nio().openUdp({ address: '127.0.0.1', port: 8472, netns: ns });
  const cap = nio().openPacket('lo', { netns: ns }); // each loopback packet once (incoming)
  try {
    assert.equal(a.family, 4);
    assert.equal(a.port, 4789);
    const N = 64;
    const t = txBatch(N);
    const dst = new Uint32Array(N);
    const dports = new Uint32Array(N).fill(8472);
    const sports = new Uint32Array(N);
    for (let i = 0; i < N; i++) {
      t.offsets[i] = i * 2048 + 50;
      t.lengths[i] = 8 + 14 + ((i * 53) % 1400);
      vxlanPayload(t.buffer, t.offsets[i]!, i, t.lengths[i]!);
      writeAddress('127.0.0.1', dst, i);
      sports[i] = 49152 + i * 211;
    }
    const batch = freshBatch(32);
    const addrs = new Uint32Array(32);
    const ports = new Uint32Array(32);
    const received = collectUdp(b, batch, addrs, ports, N, 5000);
    const seen = collect(cap, (x) => cap.receive(x), freshBatch(64), (f) => parseUdp4(f)?.dport === 8472, N, 5000);
    assert.equal(sendDatagrams(a, t.buffer, t.offsets, t.lengths, dst, dports, sports, N), N);
    const got = await received;
    assert.equal(got.length, N);
    got.forEach((g, i) => {
      assert.equal(g.addr, '127.0.0.1');
      assert.equal(g.port, sports[i], `datagram ${i}: source port`);
      assert.deepEqual(g.payload, t.buffer.subarray(t.offsets[i]!, t.offsets[i]! + t.lengths[i]!));
    });
    const wire = (await seen).map((f) => parseUdp4(f)!);
    assert.equal(wire.length, N);
    wire.forEach((w, i) => {
      assert.ok(w.df, 'DF set');
      assert.equal(w.ttl, 64);
      assert.ok(w.ipChecksumOk, 'IPv4 header checksum');
      assert.equal(w.udpChecksum, 0, 'RFC 7348 §5: zero UDP checksum over IPv4');
      assert.equal(w.sport, sports[i]);
      assert.equal(w.src, 0x7f000001);
    });

    // Too large for the 1500-byte MTU with DF: that datagram fails alone
    // (counted), the one after it goes out.
    const big = txBatch(2);
    big.offsets.set([0, 2048]);
    big.lengths.set([1600, 100]);
    vxlanPayload(big.buffer, 0, 1, 1600);
    vxlanPayload(big.buffer, 2048, 2, 100);
    const one = collectUdp(b, batch, addrs, ports, 1, 3000);
    assert.equal(sendDatagrams(a, big.buffer, big.offsets, big.lengths, dst, dports, sports, 2), 1);
    assert.equal((await one)[0]!.payload.length, 100);
    const st = a.stats();
    assert.equal(st.txErrors, 1);
    assert.equal(st.lastTxError, 'EMSGSIZE');
    assert.equal(st.txFrames, N + 1);
  } finally {
    a.close();
    b.close();
    cap.close();
  }
});

test('UDP underlay (IPv6): per-packet source ports, kernel-computed checksum, 4-word addresses', { skip: needsRoot }, async () => {
  const ns = makeNs();
  const a = await nio().openUdp({ address: '::1', port: 4789, netns: ns });
  const b = await nio().openUdp({ address: '::1', port: 8472, netns: ns });
  const cap = nio().openPacket('lo', { netns: ns });
  try {
    assert.equal(a.family, 6);
    assert.equal(a.addressStride, 4);
    const N = 16;
    const t = txBatch(N);
    const dst = new Uint32Array(N * 4);
    const dports = new Uint32Array(N).fill(8472);
    const sports = new Uint32Array(N);
    for (let i = 0; i < N; i++) {
      t.offsets[i] = i * 2048;
      t.lengths[i] = 100 + i * 50;
      vxlanPayload(t.buffer, t.offsets[i]!, i, t.lengths[i]!);
      writeAddress('::1', dst, i);
      sports[i] = 60000 + i;
    }
    const batch = freshBatch(32);
    const addrs = new Uint32Array(32 * 4);
    const ports = new Uint32Array(32);
    const isOurs = (f: Buffer): boolean => f.readUInt16BE(12) === 0x86dd && f[20] === 17 && f.readUInt16BE(56) === 8472;
    const seen = collect(cap, (x) => cap.receive(x), freshBatch(64), isOurs, N, 5000);
    const received = collectUdp(b, batch, addrs, ports, N, 5000);
    assert.equal(sendDatagrams(a, t.buffer, t.offsets, t.lengths, dst, dports, sports, N), N);
    const got = await received; // the kernel's UDPv6 socket drops bad or zero checksums
    assert.equal(got.length, N);
    got.forEach((g, i) => {
      assert.equal(g.addr, '::1');
      assert.equal(g.port, sports[i]);
      assert.deepEqual(g.payload, t.buffer.subarray(t.offsets[i]!, t.offsets[i]! + t.lengths[i]!));
    });
    for (const f of await seen) assert.notEqual(f.readUInt16BE(60), 0, 'UDPv6 checksum present');
  } finally {
    a.close();
    b.close();
    cap.close();
  }
});

test('UDP underlay: multicast join on the underlay interface, TTL 1, leave', { skip: needsRoot }, async () => {
  const nsA = makeNs();
  const nsB = makeNs();
  quietIpv6(nsA);
  quietIpv6(nsB);
  vethPair(nsA, nsB);
  run('ip', ['-n', nsA, 'addr', 'add', '10.98.0.1/24', 'dev', 'vxa0']);
  run('ip', ['-n', nsB, 'addr', 'add', '10.98.0.2/24', 'dev', 'vxb0']);
  const tx = await nio().openUdp({ address: '10.98.0.1', port: 4789, multicastInterface: 'vxa0', netns: nsA });
  const rx = await nio().openUdp({
    address: '10.98.0.2',
    bindAddress: '0.0.0.0',
    port: 4789,
    multicastInterface: 'vxb0',
    netns: nsB,
  });
  const cap = nio().openPacket('vxb0', { netns: nsB });
  try {
    rx.addMembership('239.1.1.1');
    assert.match(run('ip', ['-n', nsB, 'maddr', 'show', 'dev', 'vxb0']), /inet\s+239\.1\.1\.1/);
    const N = 8;
    const t = txBatch(N);
    const dst = new Uint32Array(N);
    for (let i = 0; i < N; i++) {
      t.offsets[i] = i * 2048;
      t.lengths[i] = 60;
      vxlanPayload(t.buffer, t.offsets[i]!, i, 60);
      writeAddress('239.1.1.1', dst, i);
    }
    const received = collectUdp(rx, freshBatch(16), new Uint32Array(16), new Uint32Array(16), N, 3000);
    const seen = collect(cap, (x) => cap.receive(x), freshBatch(16), (f) => parseUdp4(f)?.dst === 0xef010101, N, 3000);
    const sent = sendDatagrams(tx, t.buffer, t.offsets, t.lengths, dst, new Uint32Array(N).fill(4789), new Uint32Array(N).fill(50000), N);
    assert.equal(sent, N);
    const got = await received;
    assert.equal(got.length, N);
    for (const g of got) assert.equal(g.addr, '10.98.0.1');
    for (const f of await seen) {
      const w = parseUdp4(f)!;
      assert.equal(w.ttl, 1, 'multicast TTL 1, as the Linux vxlan driver');
      assert.ok(w.df);
      assert.equal(f.subarray(0, 6).toString('hex'), '01005e010101');
    }
    rx.dropMembership('239.1.1.1');
    assert.doesNotMatch(run('ip', ['-n', nsB, 'maddr', 'show', 'dev', 'vxb0']), /239\.1\.1\.1/);
  } finally {
    tx.close();
    rx.close();
    cap.close();
  }
});

test('UDP underlay: bind errors name the errno and the address', { skip: needsRoot }, async () => {
  const ns = makeNs();
  await assert.rejects(nio().openUdp({ address: '192.0.2.1', port: 4789, netns: ns }), {
    message: 'UDP bind 192.0.2.1:4789: EADDRNOTAVAIL (Cannot assign requested address)',
    code: 'EADDRNOTAVAIL',
  });
  const first = await nio().openUdp({ address: '127.0.0.1', port: 4789, netns: ns });
  try {
    await assert.rejects(nio().openUdp({ address: '127.0.0.1', port: 4789, netns: ns }), /UDP bind 127\.0\.0\.1:4789: EADDRINUSE/);
  } finally {
    first.close();
  }
  await assert.rejects(nio().openUdp({ address: 'not-an-address' }), TypeError);
});

// ---------------------------------------------------------------- fallback

test('JS fallback: no AF_PACKET or TAP, with a clear error', () => {
  const io = createJsFallbackIo('test: no addon');
  assert.equal(io.kind, 'js-fallback');
  assert.throws(() => io.openPacket('eth0'), /AF_PACKET port eth0: needs the native I\/O addon, which did not load \(test: no addon\)/);
  assert.throws(() => io.openTap('vx10'), /TAP port vx10: needs the native I\/O addon/);
});

test('JS fallback: loadIo warns once and falls back when the addon does not load', () => {
  const warnings: string[] = [];
  const failing = (): NativeIo => {
    throw new Error('the native I/O addon did not load from /nowhere/vxio.node: test');
  };
  const a = loadIo({ load: failing, warn: (m) => warnings.push(m) });
  const b = loadIo({ load: failing, warn: (m) => warnings.push(m) });
  assert.equal(a.kind, 'js-fallback');
  assert.equal(b.kind, 'js-fallback');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /pure-JS fallback: no AF_PACKET or TAP ports/);
  if (loaded) assert.equal(loadIo().kind, 'native');
});

test('JS fallback: the dgram UDP underlay sends and receives a batch on loopback', async () => {
  const io = createJsFallbackIo('test');
  const a = await io.openUdp({ address: '127.0.0.1', port: 0 });
  const b = await io.openUdp({ address: '127.0.0.1', port: 0 });
  try {
    const N = 20;
    const t = txBatch(N);
    const dst = new Uint32Array(N);
    for (let i = 0; i < N; i++) {
      t.offsets[i] = i * 2048;
      t.lengths[i] = 50 + i;
      vxlanPayload(t.buffer, t.offsets[i]!, i, t.lengths[i]!);
      writeAddress('127.0.0.1', dst, i);
    }
    const received = collectUdp(b, freshBatch(8), new Uint32Array(8), new Uint32Array(8), N, 3000);
    assert.equal(sendDatagrams(a, t.buffer, t.offsets, t.lengths, dst, new Uint32Array(N).fill(b.port), new Uint32Array(N), N), N);
    t.buffer.fill(0); // the fallback copied: reusing the buffer at once is safe
    const got = await received;
    assert.equal(got.length, N);
    got.sort((x, y) => x.payload.length - y.payload.length);
    got.forEach((g, i) => {
      assert.equal(g.addr, '127.0.0.1');
      assert.equal(g.port, a.port, 'dgram sends from its bound port');
      const want = Buffer.alloc(50 + i);
      vxlanPayload(want, 0, i, want.length);
      assert.deepEqual(g.payload, want);
    });
  } finally {
    a.close();
    b.close();
  }
});

test('native underlay sends to the JS fallback on loopback, per-packet source ports intact', { skip: needsRoot }, async () => {
  const a = await nio().openUdp({ address: '127.0.0.1', port: 0 });
  const b = await createJsFallbackIo('test').openUdp({ address: '127.0.0.1', port: 0 });
  try {
    const N = 10;
    const t = txBatch(N);
    const dst = new Uint32Array(N);
    const sports = new Uint32Array(N);
    for (let i = 0; i < N; i++) {
      t.offsets[i] = i * 2048;
      t.lengths[i] = 40;
      vxlanPayload(t.buffer, t.offsets[i]!, i, 40);
      writeAddress('127.0.0.1', dst, i);
      sports[i] = 50000 + i;
    }
    const received = collectUdp(b, freshBatch(16), new Uint32Array(16), new Uint32Array(16), N, 3000);
    assert.equal(sendDatagrams(a, t.buffer, t.offsets, t.lengths, dst, new Uint32Array(N).fill(b.port), sports, N), N);
    const got = await received;
    assert.deepEqual(
      got.map((g) => g.port).sort((x, y) => x - y),
      [...sports],
    );
  } finally {
    a.close();
    b.close();
  }
});
