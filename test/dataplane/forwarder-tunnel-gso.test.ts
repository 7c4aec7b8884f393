// The forwarder with a host that runs its own VXLAN over a port (through
// Dataplane with in-memory ports, test/helpers/memory-io.ts): its UDP-tunnel
// GSO super-frames (described as plain TCP GSO, csum_start at the inner TCP
// header) are cut fully in userspace both into vxswitch's tunnel and to
// another local port, which cannot take them with a virtio_net_hdr; what
// cannot be parsed is dropped as bad-offload and nothing is sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import type { DataplaneConfig } from '../../src/dataplane/dataplane-config.js';
import * as ethernet from '../../src/wire/ethernet.js';
import * as vnetHdr from '../../src/wire/virtio-net-hdr.js';
import * as vxlan from '../../src/wire/vxlan.js';
import { checkTunnelSegment, tunnelSuperFrame, type TunnelSuperFrame, type TunnelSuperFrameOptions } from '../helpers/gso-frames.js';
import { FakeNextHops } from '../helpers/fake-next-hops.js';
import { MemoryIo } from '../helpers/memory-io.js';

const HOST_A = '02:00:00:00:0a:01';
const HOST_B = '02:00:00:00:0b:01';
const REMOTE = '02:00:00:00:0c:01';

async function open(config: Pick<DataplaneConfig, 'vnis'>): Promise<{ dp: Dataplane; io: MemoryIo }> {
  const io = new MemoryIo();
  const hops = new FakeNextHops(0, '02:00:00:00:99:01', '02:00:00:00:77:01');
  const dp = await Dataplane.open({ vtepAddress: '10.0.0.1', underlayMtu: 1600, underlaySender: 'socket', ...config }, { io, nextHops: async () => hops });
  return { dp, io };
}

/** The host's tunnel super-frame, its outer Ethernet header to `dst` from HOST_A. */
function hostFrame(o: TunnelSuperFrameOptions, dst: string): TunnelSuperFrame {
  const t = tunnelSuperFrame(o);
  ethernet.encode({ dst, src: HOST_A, vlans: [], etherType: t.frame.readUInt16BE(12) }, t.frame, 0);
  return t;
}

const CASES: TunnelSuperFrameOptions[] = [
  { outer: 4, inner: { family: 4, protocol: 'tcp', payloadLength: 20000, gsoSize: 1398 } },
  { outer: 6, inner: { family: 6, protocol: 'tcp', payloadLength: 20000, gsoSize: 1378 } },
  { outer: 4, outerChecksum: true, dstPort: 6081, tunnelHeaderLength: 16, inner: { family: 6, protocol: 'tcp', payloadLength: 9000, gsoSize: 1378 } },
];

test('a host\'s tunnel super-frame to another local port: cut into whole frames (no GSO in their virtio_net_hdr), outer and inner headers right', async () => {
  const { dp, io } = await open({ vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }, { name: 'p2', kind: 'packet' }] }] });
  io.port('p2').inject(ethernet.encode({ dst: 'ff:ff:ff:ff:ff:ff', src: HOST_B, vlans: [], etherType: 0x88b5 }));
  for (const o of CASES) {
    const p2 = io.port('p2');
    p2.sentWithVnet.length = 0;
    const t = hostFrame(o, HOST_B);
    io.port('p1').injectWithVnet(t.frame, t.vnet);
    const n = Math.ceil(o.inner.payloadLength / o.inner.gsoSize);
    assert.equal(p2.sentWithVnet.length, n, 'one frame per segment');
    const payloads = p2.sentWithVnet.map((s) => {
      assert.ok(s.vnet);
      const v = vnetHdr.decode(s.vnet);
      assert.equal(v.gsoType, vnetHdr.VNET_GSO_NONE, 'no GSO left for the kernel');
      assert.equal(v.needsChecksum, false, 'checksums finished');
      return checkTunnelSegment(s.frame, 0, s.frame.length, t, o).payload;
    });
    assert.deepEqual(Buffer.concat(payloads), t.payload);
  }
  const c = dp.counters().vnis[0]!;
  assert.equal(c.segmented, CASES.length);
  assert.equal(c.drops['bad-offload'], 0);
  await dp.close();
});

test('a host\'s tunnel super-frame to a remote MAC: each segment a VXLAN datagram with the host\'s outer and inner headers right', async () => {
  const { dp, io } = await open({ vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }] }] });
  dp.addRemote(100, REMOTE, '10.0.0.2');
  for (const o of CASES) {
    const u = io.underlay();
    u.sent.length = 0;
    const t = hostFrame(o, REMOTE);
    io.port('p1').injectWithVnet(t.frame, t.vnet);
    const n = Math.ceil(o.inner.payloadLength / o.inner.gsoSize);
    assert.equal(u.sent.length, n, 'one datagram per segment');
    const payloads = u.sent.map((d) => {
      assert.equal(vxlan.decode(d.payload).vni, 100);
      const f = d.payload.subarray(8);
      return checkTunnelSegment(f, 0, f.length, t, o).payload;
    });
    assert.deepEqual(Buffer.concat(payloads), t.payload);
  }
  assert.equal(dp.counters().vnis[0]!.segmented, CASES.length);
  await dp.close();
});

test('a tunnel super-frame that cannot be parsed is dropped as bad-offload, to a port and into the tunnel, nothing sent', async () => {
  const { dp, io } = await open({ vnis: [{ vni: 100, mode: 'static', ports: [{ name: 'p1', kind: 'packet' }, { name: 'p2', kind: 'packet' }] }] });
  io.port('p2').inject(ethernet.encode({ dst: 'ff:ff:ff:ff:ff:ff', src: HOST_B, vlans: [], etherType: 0x88b5 }));
  dp.addRemote(100, REMOTE, '10.0.0.2');
  const o: TunnelSuperFrameOptions = { outer: 4, inner: { family: 4, protocol: 'tcp', payloadLength: 8000, gsoSize: 1398 } };
  for (const dst of [HOST_B, REMOTE]) {
    const t = hostFrame(o, dst);
    // csum_start inside the tunnel header: no inner IP header ends there.
    const v = vnetHdr.decode(t.vnet);
    io.port('p1').injectWithVnet(t.frame, vnetHdr.encode({ ...v, csumStart: t.outerUdp + 12 }));
  }
  assert.equal(io.port('p2').sentWithVnet.length, 0);
  assert.equal(io.underlay().sent.length, 0);
  const c = dp.counters().vnis[0]!;
  assert.equal(c.drops['bad-offload'], 2);
  assert.equal(c.segmented, 0);
  await dp.close();
});
