// A forwarding worker thread (docs/workers.md): a Forwarder over the shared
// FDB and VTEP table (FdbView, VtepView), learning through the learn ring,
// with copies of the small tables kept from the main thread's messages
// (table-replica.ts), its counters in a SharedArrayBuffer
// (worker-counters.ts) and its own sockets, opened as the main thread opens
// its (dataplane-sockets.ts) but each in the fanout group / multi-queue TAP /
// SO_REUSEPORT group, so the kernel spreads flows over the threads.
//
// It decides nothing about the tables: a learn goes to the main thread, the
// one writer. A throw ends the thread; the WorkerPool restarts it.

import { parentPort, workerData } from 'node:worker_threads';
import { parseIp } from '../wire/ip-address.js';
import { VXLAN_PORT_IANA } from '../wire/vxlan.js';
import type { DataplaneConfig, PortConfig } from './dataplane-config.js';
import { memberRxBatch, openLinkSocket, openMemberPort, openPlainSender, openUnderlaySocket, type SocketShare } from './dataplane-sockets.js';
import type { FdbShare } from './fdb.js';
import { FdbView } from './fdb-view.js';
import { Forwarder } from './forwarder.js';
import { LocalPort, Underlay, UnderlayLink, VniState } from './forwarder-state.js';
import { loadIo } from './js-fallback-io.js';
import { LearnProducer } from './learn-ring.js';
import { WorkerLearner } from './learner.js';
import { TableReplica, type TableMessage } from './table-replica.js';
import { WorkerCounters, type CounterLayout } from './worker-counters.js';
import type { VtepShare } from './vtep-words.js';
import { VtepView } from './vtep-view.js';

export interface ForwardingWorkerData {
  index: number;
  config: DataplaneConfig;
  underlayMtu: number;
  fdb: FdbShare;
  vteps: VtepShare;
  learnRing: SharedArrayBuffer;
  counters: { buffer: SharedArrayBuffer; layout: CounterLayout };
  share: SocketShare;
  /** The main thread has the underlay link: this worker opens its share of it too. */
  link: boolean;
  /** The main thread's local port indexes (FDB entries name ports by them). */
  ports: Array<{ index: number; port: PortConfig }>;
  /** The small tables as they are now (the main thread's snapshot). */
  tables: TableMessage[];
}

/** What a worker posts to the main thread. */
export type ForwardingWorkerMessage = { t: 'ready' } | { t: 'learn' } | { t: 'warn'; message: string };

/** What the main thread posts besides table changes: 'throw' is the test hook of a failing worker. */
export type ForwardingWorkerCommand = TableMessage | { t: 'throw' };

const DEFAULT_SOURCE_PORTS: [number, number] = [49152, 65535];

async function run(d: ForwardingWorkerData): Promise<void> {
  const port = parentPort!;
  const post = (m: ForwardingWorkerMessage): void => port.postMessage(m);
  const warn = (message: string): void => post({ t: 'warn', message: `forwarding worker ${d.index}: ${message}` });
  const c = d.config;
  const io = loadIo({ warn });
  const vtepAddress = parseIp(c.vtepAddress);
  const family = vtepAddress.length === 4 ? 4 : 6;
  const fdb = new FdbView(d.fdb);
  const vteps = new VtepView(d.vteps);
  const counters = new WorkerCounters(d.counters.buffer, d.counters.layout);
  const replica = new TableReplica(vteps, family, vtepAddress, d.link);
  for (const m of d.tables) replica.apply(m);
  const learner = new WorkerLearner(fdb, vteps, new LearnProducer(d.learnRing), () => post({ t: 'learn' }));
  const [low, high] = c.sourcePortRange ?? DEFAULT_SOURCE_PORTS;
  const fwd = new Forwarder({
    fdb,
    vteps,
    floodLists: replica.floods,
    neighbors: replica.neighbors,
    vtepAddress,
    underlayMtu: d.underlayMtu,
    sourcePortLow: low,
    sourcePortHigh: high,
    learner,
    drops: counters.drops,
  });
  fwd.tick = fdb.tick;
  const closers: Array<{ close(): void }> = [];

  if (d.link && c.underlayInterface !== undefined) {
    const { handle, rx } = openLinkSocket(io, c, c.underlayInterface, family, d.share);
    closers.push(handle);
    // AF_XDP binds one socket per queue and the main thread has it: a TX ring (or the socket) here.
    const asked = c.underlaySender === 'af-xdp' || c.underlaySender === undefined ? 'tx-ring' : c.underlaySender;
    let plain = null;
    try {
      plain = openPlainSender(io, { ...c, underlaySender: asked }, c.underlayInterface, fwd.maxFrame, warn).sender;
    } catch (e) {
      warn(`underlay link: ${asked} unavailable (${(e as Error).message}), sending through the link socket`);
    }
    if (plain !== null) closers.push(plain);
    fwd.link = new UnderlayLink(handle, rx, fwd.arena, plain);
    fwd.outer = replica.outer;
  }

  const underlays = new Map<number, Underlay>();
  const batch = c.batchSize ?? 64;
  for (const v of c.vnis) {
    const udpPort = v.vxlanPort ?? VXLAN_PORT_IANA;
    let u = underlays.get(udpPort);
    if (u === undefined) {
      // Multicast groups are joined by the main thread's socket only: with
      // SO_REUSEPORT every member of the group would get a copy (docs/workers.md).
      const { udp, rx } = await openUnderlaySocket(io, c, udpPort, v.mode === 'multicast', d.link, d.share);
      closers.push(udp);
      u = new Underlay(udp, udpPort, rx, fwd.arena, batch * 8, counters.underlay(udpPort));
      underlays.set(udpPort, u);
      fwd.underlays.push(u);
    }
    const vs = new VniState(v.vni, v.mode, u, counters.vni(v.vni));
    if (v.mode === 'evpn') vs.vteps = replica.membersOf(v.vni);
    vs.arpSuppression = v.mode === 'evpn' && (v.arpSuppression ?? true);
    if (v.mode === 'multicast' && v.multicastGroup !== undefined) {
      const g = parseIp(v.multicastGroup);
      vs.groupIndex = vteps.findBytes(g, 0, g.length);
    }
    fwd.vnis.set(v.vni, vs);
  }
  // Local ports at the main thread's indexes; an index of a retired port stays a hole (no FDB entry names it).
  for (const { index, port: pc } of d.ports) {
    const { handle } = openMemberPort(io, c, pc, d.share);
    closers.push(handle);
    const lp = new LocalPort(index, pc.name, pc.kind, handle, memberRxBatch(handle, c), fwd.arena, counters.port(index));
    fwd.ports[index] = lp;
    if (handle.ifindex > 0) fwd.memberIfindexes.add(handle.ifindex);
  }
  for (const v of c.vnis) {
    const vs = fwd.vnis.get(v.vni)!;
    for (const pc of v.ports) {
      const lp = fwd.ports.find((p) => p !== undefined && p.name === pc.name);
      if (lp === undefined) continue;
      lp.addVni(v.vni, pc.vlan);
      if (pc.tagged === 'pass') {
        lp.passTagged = true;
        vs.passTagged = true;
      }
      if (!vs.ports.includes(lp)) vs.ports.push(lp);
    }
  }

  // A receive error ends the thread (the pool restarts it with fresh sockets).
  const fail = (what: string) => (err: Error | null) => {
    if (err !== null) throw new Error(`${what}: ${err.message}`);
  };
  for (const lp of fwd.ports) {
    if (lp === undefined) continue;
    const onErr = fail(`port ${lp.name}`);
    lp.io.onReadable((err) => {
      onErr(err);
      fwd.pollLocal(lp);
    });
  }
  if (fwd.link !== null) {
    const onErr = fail('underlay link');
    fwd.link.io.onReadable((err) => {
      onErr(err);
      fwd.pollLink();
    });
  } else {
    for (const u of fwd.underlays) {
      const onErr = fail(`underlay port ${u.port}`);
      u.io.onReadable((err) => {
        onErr(err);
        fwd.pollUnderlay(u);
      });
    }
  }
  // The main thread's coarse clock (aging, the learn filter) and the next hops' nudges, as the main forwarder's.
  const timer = setInterval(() => {
    fwd.tick = fdb.tick;
    fwd.outer?.armNudges();
  }, 1000);
  port.on('message', (m: ForwardingWorkerCommand) => {
    if (m.t === 'throw') {
      setImmediate(() => {
        throw new Error(`test hook: forwarding worker ${d.index} throws`);
      });
      return;
    }
    replica.apply(m);
  });
  port.once('close', () => {
    clearInterval(timer);
    for (const h of closers) h.close();
  });
  post({ t: 'ready' });
}

await run(workerData as ForwardingWorkerData);
