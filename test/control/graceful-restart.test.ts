// RFC 4724 helper mode: a peer that announced graceful restart for
// l2vpn-evpn and loses its session without a NOTIFICATION keeps its routes
// (stale) in vxswitch's RIB and FDB for its restart time; they are purged at
// its End-of-RIB after it returns, or when the restart time runs out.
// The peer is the project's raw test speaker (test/helpers/test-speaker.ts).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Speaker } from '../../src/control/speaker.js';
import type { FdbPort } from '../../src/control/fdb-port.js';
import type { Capability } from '../../src/wire/bgp-capability.js';
import { Topology, waitFor } from '../helpers/netns.js';
import { connectSpeaker, evpnCapabilities, evpnEndOfRib, imetUpdate, macIpUpdate } from '../helpers/test-speaker.js';

class Fdb implements FdbPort {
  readonly remote = new Map<string, string>();
  readonly flood = new Map<number, string[]>();
  addRemote(vni: number, mac: string, vtep: string): void {
    this.remote.set(`${vni}/${mac}`, vtep);
  }
  removeRemote(vni: number, mac: string): void {
    this.remote.delete(`${vni}/${mac}`);
  }
  setFloodList(vni: number, vteps: readonly string[]): void {
    this.flood.set(vni, [...vteps]);
  }
  addRemoteNeighbor(): void {}
  removeRemoteNeighbor(): void {}
}

const topo = new Topology();
after(() => topo.destroy());

function grCapabilities(restartTime: number): Capability[] {
  return [
    ...evpnCapabilities(65000),
    // RFC 4724 §3: restart time, and l2vpn-evpn with forwarding state preserved.
    { type: 'graceful-restart', flags: 0, restartTime, families: [{ afi: 25, safi: 70, flags: 0x80 }] },
  ];
}

async function setup(): Promise<{ speaker: Speaker; fdb: Fdb; port: number }> {
  const fdb = new Fdb();
  const speaker = new Speaker({ asn: 65000, routerId: '127.0.0.1', vtep: '127.0.0.1', listenAddress: '127.0.0.1', listenPort: 0, neighbors: [], vnis: [{ vni: 100 }] }, fdb);
  await speaker.start();
  speaker.addNeighbor({ neighborAddress: '127.0.0.3', peerAs: 65000, passive: true, holdTime: 9 });
  return { speaker, fdb, port: speaker.listenAddress!.port };
}

const route = { rd: '127.0.0.3:100', nextHop: '127.0.0.3', routeTargets: ['65000:100'], vni: 100 };

test('graceful restart: routes kept stale across a TCP reset, purged at End-of-RIB when not re-announced', async () => {
  const { speaker, fdb, port } = await setup();
  try {
    const peer = await connectSpeaker(topo, null, { host: '127.0.0.1', port, localAddress: '127.0.0.3' }, { as: 65000, bgpId: '127.0.0.3', capabilities: grCapabilities(60) });
    await peer.waitEstablished();
    peer.sendUpdate(imetUpdate({ ...route }));
    peer.sendUpdate(macIpUpdate({ ...route, mac: '02:00:00:00:03:01' }));
    peer.sendUpdate(macIpUpdate({ ...route, mac: '02:00:00:00:03:02' }));
    peer.sendUpdate(evpnEndOfRib());
    await waitFor('installed', () => fdb.remote.size === 2, 5000, 20);
    peer.reset(); // TCP RST, no NOTIFICATION: RFC 4724 §4.2 applies
    await waitFor('session down', () => speaker.neighbors()[0]!.state !== 'established', 5000, 20);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(fdb.remote.size, 2, 'routes kept while the peer restarts');
    assert.ok(speaker.rib('l2vpn-evpn').filter((r) => r.route.peer !== null).every((r) => r.route.stale), 'and marked stale');
    // The peer comes back and re-announces only one MAC, then End-of-RIB.
    const again = await connectSpeaker(topo, null, { host: '127.0.0.1', port, localAddress: '127.0.0.3' }, { as: 65000, bgpId: '127.0.0.3', capabilities: grCapabilities(60) });
    await again.waitEstablished();
    again.sendUpdate(imetUpdate({ ...route }));
    again.sendUpdate(macIpUpdate({ ...route, mac: '02:00:00:00:03:01' }));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(fdb.remote.size, 2, 'stale routes stay until End-of-RIB');
    again.sendUpdate(evpnEndOfRib());
    await waitFor('stale route purged at End-of-RIB', () => fdb.remote.size === 1, 5000, 20);
    assert.ok(fdb.remote.has('100/02:00:00:00:03:01'));
    assert.ok(speaker.rib('l2vpn-evpn').filter((r) => r.route.peer !== null).every((r) => !r.route.stale));
  } finally {
    await speaker.stop();
  }
});

test('graceful restart: stale routes are purged when the restart time runs out', async () => {
  const { speaker, fdb, port } = await setup();
  try {
    const peer = await connectSpeaker(topo, null, { host: '127.0.0.1', port, localAddress: '127.0.0.3' }, { as: 65000, bgpId: '127.0.0.3', capabilities: grCapabilities(2) });
    await peer.waitEstablished();
    peer.sendUpdate(imetUpdate({ ...route }));
    peer.sendUpdate(macIpUpdate({ ...route, mac: '02:00:00:00:04:01' }));
    await waitFor('installed', () => fdb.remote.size === 1 && fdb.flood.get(100)?.length === 1, 5000, 20);
    peer.reset();
    await waitFor('session down', () => speaker.neighbors()[0]!.state !== 'established', 5000, 20);
    assert.equal(fdb.remote.size, 1, 'kept at first');
    await waitFor('purged after the 2 s restart time', () => fdb.remote.size === 0 && (fdb.flood.get(100) ?? []).length === 0, 6000, 50);
  } finally {
    await speaker.stop();
  }
});

test('no graceful restart after a NOTIFICATION: routes leave at once', async () => {
  const { speaker, fdb, port } = await setup();
  try {
    const peer = await connectSpeaker(topo, null, { host: '127.0.0.1', port, localAddress: '127.0.0.3' }, { as: 65000, bgpId: '127.0.0.3', capabilities: grCapabilities(60) });
    await peer.waitEstablished();
    peer.sendUpdate(macIpUpdate({ ...route, mac: '02:00:00:00:05:01' }));
    await waitFor('installed', () => fdb.remote.size === 1, 5000, 20);
    peer.sendNotification({ code: 6, subcode: 9, data: Buffer.from([6, 2]) }); // Cease / Hard Reset (RFC 8538)
    await waitFor('withdrawn', () => fdb.remote.size === 0, 5000, 20);
  } finally {
    await speaker.stop();
  }
});
