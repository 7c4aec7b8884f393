// Prometheus metrics (prom-client) on an optional HTTP listen address
// ([metrics] listen = "127.0.0.1:9273"). Every vxswitch metric is read at
// scrape time from the VTEP's own counters (Dataplane.counters(), the
// speaker's neighbors()): the forwarding path never touches prom-client, so
// metrics cost nothing per packet (DESIGN.md: no per-packet work outside the
// fast path's Float64Array counters).
//
// Series:
//   vxswitch_port_{rx,tx}_{frames,bytes}_total{port,kind}, _flooded_total,
//     _drops_total, _rx_truncated_total, _tx_errors_total, _tx_queue_full_total
//   vxswitch_port_vni_info{port,vni} 1 (which VNIs a port carries; a trunk
//     port's counters are per interface, not split per VLAN)
//   vxswitch_vni_{rx,tx}_{frames,bytes}_total{vni}, _encapsulated_total,
//     _decapsulated_total, _flooded_total, _arp_suppressed_total
//   vxswitch_vni_drops_total{vni,reason}, vxswitch_drops_total{reason}
//   vxswitch_port_rx_errors_total{port,kind}, vxswitch_underlay_rx_errors_total{udp_port}
//   vxswitch_underlay_{rx,tx}_{datagrams,bytes}_total{udp_port}, _tx_errors_total
//   vxswitch_vtep_table_entries{kind}, vxswitch_vtep_refused_total{origin}
//   vxswitch_fdb_entries{kind}, vxswitch_fdb_{learned,moved,aged}_total,
//     vxswitch_fdb_refused_total{reason}
//   vxswitch_bgp_routes_{received,accepted,advertised}{neighbor}
//   vxswitch_bgp_session_state{neighbor} (gobgp's numbering, 1 idle .. 6 established)
//   vxswitch_bgp_session_up{neighbor}, vxswitch_bgp_messages_{received,sent}_total{neighbor}
//   vxswitch_bgp_prefix_limit{neighbor,family}, _prefix_limit_routes{neighbor,family},
//     _prefix_limit_exceeded_total{neighbor,family} (families with max-prefixes)
//   vxswitch_bgp_dynamic_neighbors{prefix} (neighbors made for a dynamic-neighbors range)
//   plus prom-client's default process_* and nodejs_* metrics.

import http from 'node:http';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { DataplaneCounters } from '../dataplane/dataplane.js';
import type { NeighborStatus } from '../control/speaker.js';
import type { EvpnCounters } from '../control/evpn-manager.js';
import type { Logger } from './logger.js';
import type { ListenAddress } from './listen-address.js';

/** What the metrics read: the Vtep, or a fake in tests. */
export interface MetricsSource {
  counters(): DataplaneCounters;
  neighbors(): NeighborStatus[];
  /** What the EVPN manager refused or holds back (absent: no EVPN metrics). */
  evpn?(): EvpnCounters;
}

/** gobgp's PeerState.SessionState numbering (api/gobgp.proto), so dashboards for gobgpd carry over. */
export const SESSION_STATE_NUMBER: Readonly<Record<NeighborStatus['state'], number>> = {
  idle: 1,
  connect: 2,
  active: 3,
  opensent: 4,
  openconfirm: 5,
  established: 6,
};

export const FDB_KINDS = ['local_learned', 'local_static', 'remote_learned', 'remote_control', 'remote_static'] as const;

interface Snapshot {
  counters: DataplaneCounters;
  neighbors: NeighborStatus[];
  evpn: EvpnCounters | undefined;
}

type Labels<L extends string> = Partial<Record<L, string | number>>;

/**
 * A registry whose vxswitch metrics are filled from `source` on each scrape.
 * One snapshot of the source serves every metric of a scrape.
 */
export function createMetricsRegistry(source: MetricsSource, options: { defaultMetrics?: boolean } = {}): Registry {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });

  // Registry.metrics() calls every metric's collect() synchronously in one
  // turn (before its first await), so a snapshot dropped at the next
  // microtask is exactly one scrape's.
  let snap: Snapshot | null = null;
  const snapshot = (): Snapshot => {
    if (snap === null) {
      snap = { counters: source.counters(), neighbors: source.neighbors(), evpn: source.evpn?.() };
      queueMicrotask(() => (snap = null));
    }
    return snap;
  };

  // A counter whose value is the source's running total: reset, then set by
  // one inc() per label set (series of removed ports/VNIs/peers vanish).
  function counter<L extends string>(name: string, help: string, labelNames: readonly L[], read: (s: Snapshot, add: (labels: Labels<L>, v: number) => void) => void): void {
    new Counter<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect(this: Counter<L>) {
        this.reset();
        read(snapshot(), (labels, v) => this.inc(labels, v));
      },
    });
  }
  function gauge<L extends string>(name: string, help: string, labelNames: readonly L[], read: (s: Snapshot, set: (labels: Labels<L>, v: number) => void) => void): void {
    new Gauge<L>({
      name,
      help,
      labelNames,
      registers: [registry],
      collect(this: Gauge<L>) {
        this.reset();
        read(snapshot(), (labels, v) => this.set(labels, v));
      },
    });
  }

  // ---- ports
  const portCounter = (suffix: string, help: string, key: 'rxFrames' | 'rxBytes' | 'txFrames' | 'txBytes' | 'flooded' | 'drops' | 'rxTruncated' | 'txErrors' | 'txQueueFull' | 'kernelDrops' | 'rxErrors' | 'learnRefused'): void =>
    counter(`vxswitch_port_${suffix}_total`, help, ['port', 'kind'], (s, add) => {
      for (const p of s.counters.ports) add({ port: p.name, kind: p.kind }, p[key] ?? 0);
    });
  portCounter('rx_frames', 'Frames received on a local port (AF_PACKET member or TAP).', 'rxFrames');
  portCounter('rx_bytes', 'Bytes of frames received on a local port.', 'rxBytes');
  portCounter('tx_frames', 'Frames sent out of a local port.', 'txFrames');
  portCounter('tx_bytes', 'Bytes of frames sent out of a local port.', 'txBytes');
  portCounter('flooded', 'BUM frames received on a local port and flooded.', 'flooded');
  portCounter('drops', 'Frames received on a local port and dropped (any reason).', 'drops');
  portCounter('rx_truncated', 'Frames larger than a receive slot (GSO with offloads on).', 'rxTruncated');
  portCounter('tx_errors', 'Frames the kernel refused on send.', 'txErrors');
  portCounter('tx_queue_full', 'Frames not sent because the send queue was full.', 'txQueueFull');
  portCounter('kernel_drops', 'Frames the kernel dropped before vxswitch read them (AF_PACKET ring full).', 'kernelDrops');
  portCounter('rx_errors', 'Receive calls on a local port that failed (the port goes on, or is reopened).', 'rxErrors');
  portCounter('learn_refused', 'Source MACs of a local port the FDB refused to learn (learning rate, VNI share, table limits).', 'learnRefused');
  gauge('vxswitch_port_vni_info', 'A local port carries a VNI (always 1).', ['port', 'vni'], (s, set) => {
    for (const p of s.counters.ports) for (const vni of p.vnis) set({ port: p.name, vni }, 1);
  });

  // ---- VNIs
  const vniCounter = (suffix: string, help: string, key: 'rxFrames' | 'rxBytes' | 'txFrames' | 'txBytes' | 'encapsulated' | 'decapsulated' | 'flooded' | 'arpSuppressed' | 'learnRefused'): void =>
    counter(`vxswitch_vni_${suffix}_total`, help, ['vni'], (s, add) => {
      for (const v of s.counters.vnis) add({ vni: v.vni }, v[key]);
    });
  vniCounter('rx_frames', 'Frames received from local ports into a VNI.', 'rxFrames');
  vniCounter('rx_bytes', 'Bytes of frames received from local ports into a VNI.', 'rxBytes');
  vniCounter('tx_frames', 'Frames of a VNI sent out of local ports.', 'txFrames');
  vniCounter('tx_bytes', 'Bytes of frames of a VNI sent out of local ports.', 'txBytes');
  vniCounter('encapsulated', 'VXLAN datagrams sent for a VNI (one per flood-list VTEP when replicating).', 'encapsulated');
  vniCounter('decapsulated', 'VXLAN datagrams received and decapsulated for a VNI.', 'decapsulated');
  vniCounter('flooded', 'BUM frames of a VNI flooded.', 'flooded');
  vniCounter('arp_suppressed', 'ARP requests of a VNI answered locally (RFC 7432 §10).', 'arpSuppressed');
  vniCounter('learn_refused', 'Source MACs the FDB refused to learn in a VNI (its share, the table limits, a port learning rate).', 'learnRefused');
  counter('vxswitch_vni_drops_total', 'Frames or datagrams of a VNI dropped, by reason.', ['vni', 'reason'], (s, add) => {
    for (const v of s.counters.vnis) for (const [reason, n] of Object.entries(v.drops)) add({ vni: v.vni, reason }, n);
  });
  counter('vxswitch_drops_total', 'Frames or datagrams dropped by the whole switch, by reason.', ['reason'], (s, add) => {
    for (const [reason, n] of Object.entries(s.counters.drops)) add({ reason }, n);
  });

  // ---- underlay sockets (one per VXLAN UDP port)
  const underlayCounter = (suffix: string, help: string, key: 'rxDatagrams' | 'rxBytes' | 'txDatagrams' | 'txBytes' | 'txErrors' | 'rxErrors'): void =>
    counter(`vxswitch_underlay_${suffix}_total`, help, ['udp_port'], (s, add) => {
      for (const u of s.counters.underlays) add({ udp_port: u.port }, u[key] ?? 0);
    });
  underlayCounter('rx_datagrams', 'UDP datagrams received on an underlay socket.', 'rxDatagrams');
  underlayCounter('rx_bytes', 'Bytes of UDP payload received on an underlay socket.', 'rxBytes');
  underlayCounter('tx_datagrams', 'UDP datagrams sent on an underlay socket.', 'txDatagrams');
  underlayCounter('tx_bytes', 'Bytes of UDP payload sent on an underlay socket.', 'txBytes');
  underlayCounter('tx_errors', 'Datagrams the kernel refused on an underlay socket.', 'txErrors');
  underlayCounter('rx_errors', 'Receive calls on an underlay socket that failed.', 'rxErrors');
  gauge('vxswitch_vtep_table_entries', 'Remote VTEP addresses held, all and learned by the data plane.', ['kind'], (s, set) => {
    const v = s.counters.vteps;
    if (v === undefined) return;
    set({ kind: 'all' }, v.entries);
    set({ kind: 'learned' }, v.learned);
  });
  counter('vxswitch_vtep_refused_total', 'VTEP addresses refused: learned share full (learned) or table full (control).', ['origin'], (s, add) => {
    const v = s.counters.vteps;
    if (v === undefined) return;
    add({ origin: 'learned' }, v.learnRefused);
    add({ origin: 'control' }, v.controlRefused);
  });

  // ---- FDB
  gauge('vxswitch_fdb_entries', 'FDB entries by kind.', ['kind'], (s, set) => {
    const f = s.counters.fdb;
    const byKind: Record<(typeof FDB_KINDS)[number], number> = {
      local_learned: f.localLearned,
      local_static: f.localStatic,
      remote_learned: f.remoteLearned,
      remote_control: f.remoteControl,
      remote_static: f.remoteStatic,
    };
    for (const kind of FDB_KINDS) set({ kind }, byKind[kind]);
  });
  counter('vxswitch_fdb_learned_total', 'MACs learned by the data plane (new entries).', [], (s, add) => add({}, s.counters.fdb.learned));
  counter('vxswitch_fdb_moved_total', 'Learned MACs that moved to another port or VTEP.', [], (s, add) => add({}, s.counters.fdb.moved));
  counter('vxswitch_fdb_aged_total', 'Learned MACs aged out.', [], (s, add) => add({}, s.counters.fdb.aged));
  counter('vxswitch_fdb_refused_total', 'Learns or installs refused, by reason.', ['reason'], (s, add) => {
    const f = s.counters.fdb;
    add({ reason: 'global-limit' }, f.refusedGlobalLimit);
    add({ reason: 'vni-limit' }, f.refusedVniLimit);
    add({ reason: 'table-full' }, f.refusedTableFull);
    add({ reason: 'pinned' }, f.refusedPinned);
    add({ reason: 'control-reserve' }, f.refusedControlReserve);
    add({ reason: 'learn-rate' }, f.refusedLearnRate);
    add({ reason: 'vtep-family' }, f.refusedFamily);
  });
  gauge('vxswitch_evpn_pending_installs', 'Remote MACs of EVPN routes waiting for room in the FDB (retried as room frees).', [], (s, set) => {
    if (s.evpn !== undefined) set({}, s.evpn.pendingInstalls);
  });
  counter('vxswitch_evpn_refused_total', 'EVPN routes or advertisements refused, by reason.', ['reason'], (s, add) => {
    if (s.evpn === undefined) return;
    add({ reason: 'fdb-full' }, s.evpn.installsRefused);
    add({ reason: 'vtep-family' }, s.evpn.vtepFamilyRefused);
    add({ reason: 'mac-ip-limit' }, s.evpn.macIpsRefused);
  });

  // ---- BGP
  const routes = (what: 'received' | 'accepted' | 'advertised', help: string): void =>
    gauge(`vxswitch_bgp_routes_${what}`, help, ['neighbor'], (s, set) => {
      for (const n of s.neighbors) set({ neighbor: n.address }, n[what]);
    });
  routes('received', 'Paths in the Adj-RIB-In of a neighbor.');
  routes('accepted', 'Paths of a neighbor accepted by import policy.');
  routes('advertised', 'Paths in the Adj-RIB-Out of a neighbor.');
  gauge('vxswitch_bgp_session_state', 'BGP FSM state: 1 idle, 2 connect, 3 active, 4 opensent, 5 openconfirm, 6 established (gobgp numbering).', ['neighbor'], (s, set) => {
    for (const n of s.neighbors) set({ neighbor: n.address }, SESSION_STATE_NUMBER[n.state] ?? 0);
  });
  gauge('vxswitch_bgp_session_up', '1 when the session is Established, else 0.', ['neighbor'], (s, set) => {
    for (const n of s.neighbors) set({ neighbor: n.address }, n.state === 'established' ? 1 : 0);
  });
  counter('vxswitch_bgp_messages_received_total', 'BGP messages received from a neighbor.', ['neighbor'], (s, add) => {
    for (const n of s.neighbors) add({ neighbor: n.address }, n.messages.received);
  });
  counter('vxswitch_bgp_messages_sent_total', 'BGP messages sent to a neighbor.', ['neighbor'], (s, add) => {
    for (const n of s.neighbors) add({ neighbor: n.address }, n.messages.sent);
  });
  gauge('vxswitch_bgp_prefix_limit', 'max-prefixes of a neighbor and family (only those with a limit).', ['neighbor', 'family'], (s, set) => {
    for (const n of s.neighbors) for (const l of n.prefixLimits) set({ neighbor: n.address, family: l.family }, l.maxPrefixes);
  });
  gauge('vxswitch_bgp_prefix_limit_routes', 'Routes of a family held from a neighbor, counted against its max-prefixes.', ['neighbor', 'family'], (s, set) => {
    for (const n of s.neighbors) for (const l of n.prefixLimits) set({ neighbor: n.address, family: l.family }, l.received);
  });
  counter('vxswitch_bgp_prefix_limit_exceeded_total', 'Times a neighbor sent more routes of a family than max-prefixes.', ['neighbor', 'family'], (s, add) => {
    for (const n of s.neighbors) for (const l of n.prefixLimits) add({ neighbor: n.address, family: l.family }, l.exceeded);
  });
  gauge('vxswitch_bgp_dynamic_neighbors', 'Neighbors created for connections from a dynamic-neighbors prefix.', ['prefix'], (s, set) => {
    const count = new Map<string, number>();
    for (const n of s.neighbors) if (n.dynamicRange !== null) count.set(n.dynamicRange, (count.get(n.dynamicRange) ?? 0) + 1);
    for (const [prefix, v] of count) set({ prefix }, v);
  });

  return registry;
}

/** GET /metrics on a TCP address; 404 elsewhere. */
export class MetricsServer {
  private server: http.Server | null = null;
  readonly registry: Registry;

  constructor(
    source: MetricsSource,
    /** Port 0 picks a free port (tests); see address(). */
    private readonly listenAddress: ListenAddress,
    private readonly log: Logger,
    registry?: Registry,
  ) {
    this.registry = registry ?? createMetricsRegistry(source);
  }

  /** The bound address, once listening. */
  address(): ListenAddress | null {
    const a = this.server?.address();
    return a !== null && a !== undefined && typeof a === 'object' ? { host: a.address, port: a.port } : null;
  }

  async listen(): Promise<void> {
    const { host, port } = this.listenAddress;
    const shown = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const server = http.createServer((req, res) => void this.serve(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => reject(new Error(`metrics listen ${shown}: ${e.code ?? e.message}`)));
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.log.info({ listen: shown }, 'metrics listening');
  }

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: the metrics are at /metrics\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
      return;
    }
    try {
      const body = await this.registry.metrics();
      res.writeHead(200, { 'content-type': this.registry.contentType, 'content-length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    } catch (e) {
      this.log.error({ err: e }, 'metrics scrape failed');
      res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('scrape failed\n');
    }
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
