// Scale in CI (issue 10): a real vxswitch daemon with 1,000 VNIs takes a
// fabric of 200 remote VTEPs and 100,000 MACs from the project's injector
// (bench/control-plane/fabric.ts: 4 VTEPs per VNI, 4,000 Type 3 and 100,000
// Type 2 routes on one iBGP session, other VTEPs as next hops, as a route
// reflector hands them on), and then frames from a local port to a random
// sample of 1,000 of those MACs each leave on the underlay as VXLAN with the
// MAC's VNI to the MAC's VTEP.
//
//   injector ns  eth0 10.213.240.40 --veth-- ul0 10.213.240.1  vxswitch ns
//                (tcpdump here)                  port p (VLAN 1..1000 = VNI 20001..21000)
//                                                  |
//                                               host ns eth0 (sends the sample, tagged)
//
// The VTEP addresses (10.213.248.1..200) are routed via the injector's
// address, so vxswitch resolves every next hop to the injector namespace's
// MAC and the datagrams are captured there (not forwarded: that namespace
// does not route). The 1,000 VNIs are VLAN members of one port
// ([dataplane.virtual-network-list] vlan-members), the cheap way to have a
// port per VNI; [dataplane] max-entries is raised past the 100k routes, as a
// user would.

import { prng } from '../helpers/prng.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Injector, type Encoded } from '../../bench/control-plane/injector.js';
import { fabricMac, type FabricSpec } from '../../bench/control-plane/fabric.js';
import { Vxswitch, vxswitchToml } from '../../bench/control-plane/vxswitch-daemon.js';
import { FrameTx, loadNativeIo } from '../../src/dataplane/native-io.js';
import * as ethernet from '../../src/wire/ethernet.js';
import { EtherType } from '../../src/wire/ethernet.js';
import { delay, needsRoot, readCapture, run, Topology, waitFor } from '../helpers/netns.js';
import { vxlanDatagrams } from '../helpers/vxlan-capture.js';

const AS = 65000;
const FABRIC: FabricSpec = { vteps: 200, firstVtep: '10.213.248.1', vnis: 1000, firstVni: 20001, macs: 100_000, macPrefix: 0xc5, vtepsPerVni: 4 };
const SAMPLE = 1000;
const INJ_IP = '10.213.240.40';
const VX_IP = '10.213.240.1';
/** The sending host's MAC (learned on each VNI it sends in). */
const HOST_MAC = '02:5c:00:00:00:01';
/** Frames per send call, and the pause between calls (the port's ring is not the thing under test). */
const BURST = 50;
const BURST_GAP_MS = 5;

/** `count` distinct MAC indices below n. */
function sample(n: number, count: number, random: () => number): number[] {
  const picked = new Set<number>();
  while (picked.size < count) picked.add(Math.floor(random() * n));
  return [...picked];
}

/** A 64-byte frame to MAC i, tagged with its VNI's VLAN (index + 1), the index in its payload. */
function frameTo(i: number): Buffer {
  const m = fabricMac(FABRIC, i);
  const header = ethernet.encode({ dst: m.mac, src: HOST_MAC, vlans: [{ tpid: EtherType.Vlan, pcp: 0, dei: false, vid: m.vniIndex + 1 }], etherType: 0x88b5 });
  const payload = Buffer.alloc(64 - header.length);
  payload.writeUInt32BE(i, 0);
  return Buffer.concat([header, payload]);
}

test('scale: 200 VTEPs x 1,000 VNIs x 100,000 MACs from the injector; 1,000 sampled MACs reach the right VTEP', { skip: needsRoot, timeout: 180_000 }, async (t) => {
  const started = Date.now();
  const topo = new Topology();
  let vx: Vxswitch | undefined;
  let injector: Injector | undefined;
  try {
    const injNs = await topo.addNamespace();
    const vxNs = await topo.addNamespace();
    await topo.veth(injNs, 'eth0', vxNs, 'ul0', { mtu: 1600 });
    await topo.address(injNs, 'eth0', `${INJ_IP}/24`);
    await topo.address(vxNs, 'ul0', `${VX_IP}/24`);
    await run(vxNs, 'ip', 'route', 'add', '10.213.248.0/24', 'via', INJ_IP);
    const host = await topo.host(vxNs, { mac: HOST_MAC });
    const vnis = Array.from({ length: FABRIC.vnis }, (_, k) => ({ vni: FABRIC.firstVni + k, vlanMembers: [{ interface: host.peer, vlan: k + 1 }] }));
    const toml = vxswitchToml({ as: AS, routerId: VX_IP, holdS: 90, neighbors: [{ address: INJ_IP, passive: true }], vnis, maxEntries: 262_144 });
    vx = await Vxswitch.start(topo, vxNs, toml, undefined);
    const v = vx;
    injector = Injector.start(topo, injNs, {
      connect: { host: VX_IP, localAddress: INJ_IP },
      as: AS,
      address: INJ_IP,
      holdTime: 90,
      routes: 0,
      vni: FABRIC.firstVni,
      routeTarget: `${AS}:${FABRIC.firstVni}`,
      macPrefix: FABRIC.macPrefix,
      fabric: FABRIC,
    });
    const encoded = await injector.wait<Encoded>('encoded', 60_000);
    await injector.wait('established', 30_000);
    await injector.wait('imet', 10_000);
    const baseline = await v.fdbEntries();
    const t0 = Date.now();
    injector.inject();
    await injector.wait('injected', 60_000);
    // Every Type 2 in the FDB (the injector's own Type 3 adds no entry).
    await waitFor('vxswitch to hold every fabric MAC', async () => (await v.fdbEntries()) >= baseline + FABRIC.macs, 60_000, 200);
    const loadS = (Date.now() - t0) / 1000;
    const routes = (await v.neighbor(INJ_IP))?.accepted ?? 0;
    assert.ok(routes >= FABRIC.macs + FABRIC.vnis * FABRIC.vtepsPerVni, `routes accepted: ${routes}`);

    const seed = Date.now() >>> 0;
    const picked = sample(FABRIC.macs, SAMPLE, prng(seed));
    const capture = await topo.startCapture(injNs, 'eth0', { filter: ['udp', 'dst', 'port', '4789'], snaplen: 128, direction: 'in' });
    const io = loadNativeIo();
    const port = io.openPacket('eth0', { netns: host.ns, receive: false });
    try {
      const frames = picked.map(frameTo);
      const buf = Buffer.concat(frames);
      const tx = new FrameTx(BURST, Buffer.alloc(0));
      tx.src = buf;
      // Bounded: SAMPLE frames, in SAMPLE / BURST calls.
      for (let i = 0; i < frames.length; i += BURST) {
        tx.count = Math.min(BURST, frames.length - i);
        for (let j = 0; j < tx.count; j++) {
          tx.offsets[j] = (i + j) * 64;
          tx.lengths[j] = 64;
        }
        assert.equal(port.send(tx), tx.count, 'the host port took every frame');
        await delay(BURST_GAP_MS);
      }
    } finally {
      port.close();
    }
    await delay(300);
    const datagrams = vxlanDatagrams(await readCapture(await capture.stop()), [4789]);

    // Each sampled MAC: exactly one datagram, with its VNI, to its VTEP.
    const seen = new Map<number, Array<{ vni: number; vtep: string }>>();
    for (const d of datagrams) {
      const i = d.inner.readUInt32BE(ethernet.headerLength(d.inner, 0));
      const got = seen.get(i) ?? [];
      got.push({ vni: d.vni, vtep: d.outerDst });
      seen.set(i, got);
    }
    const wrong: string[] = [];
    for (const i of picked) {
      const m = fabricMac(FABRIC, i);
      const got = seen.get(i) ?? [];
      if (got.length !== 1 || got[0]!.vni !== m.vni || got[0]!.vtep !== m.vtep) {
        wrong.push(`${m.mac} (VNI ${m.vni}, VTEP ${m.vtep}): ${got.length === 0 ? 'not seen' : got.map((g) => `VNI ${g.vni} to ${g.vtep}`).join(', ')}`);
      }
    }
    t.diagnostic(`${encoded.updates} UPDATEs (${Math.round(encoded.bytes / 1024)} KiB), all in the FDB ${loadS.toFixed(1)} s after the first; ${routes} routes accepted`);
    t.diagnostic(`sample seed ${seed}: ${SAMPLE - wrong.length}/${SAMPLE} MACs reached the right VTEP with the right VNI; ${datagrams.length} datagrams; whole test ${((Date.now() - started) / 1000).toFixed(1)} s`);
    assert.deepEqual(wrong.slice(0, 10), [], `${wrong.length} of ${SAMPLE} sampled MACs went wrong (first 10 shown)`);
    assert.equal(datagrams.length, SAMPLE, 'one datagram per sampled frame, nothing else');
  } catch (e) {
    if (vx !== undefined) t.diagnostic(`vxswitch log tail:\n${vx.log.slice(-1500)}`);
    if (injector !== undefined) t.diagnostic(`injector: ${injector.describe()}`);
    throw e;
  } finally {
    injector?.close();
    await vx?.stop().catch(() => undefined);
    await topo.destroy();
  }
});
