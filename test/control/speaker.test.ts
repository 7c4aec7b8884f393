// Two speakers over loopback TCP, each with an in-memory FDB: the whole
// control plane (sessions, RIBs, EVPN instances, UPDATE packing) end to end
// without a dataplane.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Speaker, type SpeakerConfig } from '../../src/control/speaker.js';
import type { FdbPort } from '../../src/control/fdb-port.js';
import { waitFor } from '../helpers/netns.js';

class MemoryFdb implements FdbPort {
  readonly remote = new Map<string, { vtep: string; seq: number; sticky: boolean }>();
  readonly flood = new Map<number, string[]>();
  readonly neighbors = new Map<string, string>();
  addRemote(vni: number, mac: string, vtep: string, opts: { seq: number; sticky: boolean }): void {
    this.remote.set(`${vni}/${mac}`, { vtep, ...opts });
  }
  removeRemote(vni: number, mac: string, vtep?: string): boolean {
    const e = this.remote.get(`${vni}/${mac}`);
    if (e === undefined || (vtep !== undefined && e.vtep !== vtep)) return false;
    return this.remote.delete(`${vni}/${mac}`);
  }
  setFloodList(vni: number, vteps: readonly string[]): void {
    this.flood.set(vni, [...vteps].sort());
  }
  addRemoteNeighbor(vni: number, ip: string, mac: string): void {
    this.neighbors.set(`${vni}/${ip}`, mac);
  }
  removeRemoteNeighbor(vni: number, ip: string): void {
    this.neighbors.delete(`${vni}/${ip}`);
  }
}

function config(id: string, asn: number): SpeakerConfig {
  return { asn, routerId: id, vtep: id, listenAddress: id, listenPort: 0, neighbors: [], vnis: [{ vni: 100 }, { vni: 200 }] };
}

async function pair(asA: number, asB: number): Promise<{ a: Speaker; b: Speaker; fa: MemoryFdb; fb: MemoryFdb; close: () => Promise<void> }> {
  const fa = new MemoryFdb();
  const fb = new MemoryFdb();
  const a = new Speaker(config('127.0.0.1', asA), fa);
  const b = new Speaker(config('127.0.0.2', asB), fb);
  await a.start();
  await b.start();
  const base = { holdTime: 9, connectRetry: 1, idleHoldTime: 1 };
  a.addNeighbor({ ...base, neighborAddress: '127.0.0.2', peerAs: asB, localAddress: '127.0.0.1', remotePort: b.listenAddress!.port });
  b.addNeighbor({ ...base, neighborAddress: '127.0.0.1', peerAs: asA, localAddress: '127.0.0.2', remotePort: a.listenAddress!.port, passive: true });
  await waitFor('both sessions established', () => a.neighbors()[0]?.state === 'established' && b.neighbors()[0]?.state === 'established', 10_000, 50);
  return { a, b, fa, fb, close: async () => { await a.stop(); await b.stop(); } };
}

for (const [kind, asA, asB] of [['iBGP', 65000, 65000], ['eBGP', 65001, 65002]] as const) {
  test(`${kind}: Type 3 fills the peer's flood lists, Type 2 its FDB, withdraws remove them`, async () => {
    const { a, b, fb, close } = await pair(asA, asB);
    try {
      await waitFor('flood lists from Type 3', () => fb.flood.get(100)?.[0] === '127.0.0.1' && fb.flood.get(200)?.[0] === '127.0.0.1', 5000, 20);
      a.localLearned(100, '02:00:00:00:0a:01', '192.0.2.1');
      a.localLearned(200, '02:00:00:00:0a:01');
      await waitFor('Type 2 in the FDB', () => fb.remote.size === 2, 5000, 20);
      assert.deepEqual(fb.remote.get('100/02:00:00:00:0a:01'), { vtep: '127.0.0.1', seq: 0, sticky: false });
      assert.equal(fb.neighbors.get('100/192.0.2.1'), '02:00:00:00:0a:01', 'MAC+IP feeds ARP suppression');
      const rib = b.rib('l2vpn-evpn');
      assert.equal(rib.filter((r) => r.route.peer?.address === '127.0.0.1').length, 2 + 3, 'two Type 3, MAC-only x2, MAC+IP');
      const ours = rib.filter((r) => r.route.peer === null);
      assert.equal(ours.length, 2, 'b originates its two Type 3');
      const asPath = rib.find((r) => r.route.peer !== null)!.route.attributes.find((x) => x.type === 'as-path');
      assert.deepEqual(asPath?.value, kind === 'eBGP' ? [{ type: 'as-sequence', asns: [65001] }] : [], 'eBGP prepends the AS, iBGP leaves it empty');
      a.localAged(100, '02:00:00:00:0a:01');
      await waitFor('withdrawn', () => fb.remote.size === 1 && !fb.neighbors.has('100/192.0.2.1'), 5000, 20);
      assert.equal(b.neighbors()[0]!.accepted, 2 + 1);
    } finally {
      await close();
    }
  });
}

test('MAC mobility: the MAC moves to the other VTEP with seq + 1, and back with seq + 2', async () => {
  const { a, b, fa, fb, close } = await pair(65000, 65000);
  const mac = '02:00:00:00:0b:01';
  try {
    a.localLearned(100, mac);
    await waitFor('at b', () => fb.remote.get(`100/${mac}`)?.vtep === '127.0.0.1', 5000, 20);
    // The host moves behind b: b's dataplane learns it locally (its FDB entry
    // turns local by itself, as Fdb.learnLocal does over a control entry).
    fb.remote.delete(`100/${mac}`);
    b.localLearned(100, mac);
    await waitFor('moved to b', () => fa.remote.get(`100/${mac}`)?.vtep === '127.0.0.2', 5000, 20);
    assert.equal(fa.remote.get(`100/${mac}`)!.seq, 1, 'RFC 7432 §15: advertised with max(seq) + 1');
    assert.equal(fb.remote.has(`100/${mac}`), false, 'b does not re-install the old location');
    // And back to a (a's dataplane saw it again).
    fa.remote.delete(`100/${mac}`);
    a.localLearned(100, mac);
    await waitFor('back at a', () => fb.remote.get(`100/${mac}`)?.seq === 2, 5000, 20);
    assert.equal(fb.remote.get(`100/${mac}`)!.vtep, '127.0.0.1');
  } finally {
    await close();
  }
});

test('a session going down (Cease) takes the peer\'s routes out of the FDB; they return when it comes back', async () => {
  const { a, b, fb, close } = await pair(65000, 65000);
  try {
    a.localLearned(100, '02:00:00:00:0c:01');
    await waitFor('installed', () => fb.remote.size === 1, 5000, 20);
    b.removeNeighbor('127.0.0.1');
    await waitFor('removed', () => fb.remote.size === 0 && (fb.flood.get(100) ?? []).length === 0, 5000, 20);
    b.addNeighbor({ neighborAddress: '127.0.0.1', peerAs: 65000, localAddress: '127.0.0.2', remotePort: a.listenAddress!.port, holdTime: 9, connectRetry: 1 });
    await waitFor('back', () => fb.remote.size === 1 && fb.flood.get(100)?.[0] === '127.0.0.1', 15_000, 50);
  } finally {
    await close();
  }
});
