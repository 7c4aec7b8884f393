// The dataplane: opens the ports and underlay sockets a DataplaneConfig
// names, hands every readable batch to the Forwarder, ages the FDB, and
// offers the control plane its one door, the FDB API (DESIGN.md):
//   addRemote(vni, mac, vtep), removeRemote, setFloodList(vni, vteps),
//   events 'localLearned' (vni, mac, ip?) and 'localAged' (vni, mac).
// It knows nothing of BGP.

import { EventEmitter } from 'node:events';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { parseIp } from '../wire/ip-address.js';
import { VXLAN_MAX_VNI, VXLAN_PORT_IANA } from '../wire/vxlan.js';
import type { DataplaneConfig, PortConfig, VniConfig } from './dataplane-config.js';
import { Drop, dropsByName, DROP_REASON_COUNT, DROP_REASON_NAMES } from './drop-reason.js';
import { Fdb, FDB_REMOTE } from './fdb.js';
import type { FdbCounters, FdbEntry, FdbLimitReport, FdbLocation } from './fdb.js';
import { FloodLists } from './flood-list.js';
import {
  Forwarder,
  LocalPort,
  UnderlayLink,
  U_RX_BYTES,
  U_RX_DATAGRAMS,
  U_TX_BYTES,
  U_TX_DATAGRAMS,
  U_RX_ERRORS,
  P_DROPS,
  P_RX_ERRORS,
  P_FLOODED,
  P_RX_BYTES,
  P_RX_FRAMES,
  P_TX_BYTES,
  P_TX_FRAMES,
  Underlay,
  VniState,
  V_ARP_SUPPRESSED,
  V_DECAPSULATED,
  V_DROPS,
  V_ENCAPSULATED,
  V_FLOODED,
  V_RX_BYTES,
  V_RX_FRAMES,
  V_SEGMENTED,
  V_COALESCED,
  V_TX_BYTES,
  V_TX_FRAMES,
} from './forwarder.js';
import { loadIo } from './js-fallback-io.js';
import type { FramePort, IoStats, NativeIo, PacketPort, PacketStats, ReadableCallback } from './native-io.js';
import type { NextHop, NextHopSource } from './next-hop-source.js';
import { OuterHeaders } from './outer-header.js';
import type { UnderlaySender } from './dataplane-config.js';

import {
  DEFAULT_BATCH,
  linkFilterOf,
  memberRxBatch,
  openLinkSocket,
  forwardingShare,
  openMemberPort,
  openPlainSender,
  openUnderlaySocket,
  type PlainSender,
  type SocketShare,
} from './dataplane-sockets.js';
import { NeighborTable } from './neighbor-table.js';
import { VtepTable } from './vtep-table.js';
import { VniVteps } from './vni-vteps.js';
import { FdbLearner } from './learner.js';
import { ForwardingWorkers } from './forwarding-workers.js';
import { feedMembers, feedTables, type TableMessage } from './table-replica.js';
import { addCounters } from './worker-counters.js';
import { ReceiveErrors } from './receive-errors.js';

export interface PortCounters {
  name: string;
  kind: 'packet' | 'tap';
  vnis: number[];
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  flooded: number;
  drops: number;
  /** From the I/O layer: frames too big for a slot, send errors, full send queue. */
  rxTruncated: number;
  txErrors: number;
  txQueueFull: number;
  /** AF_PACKET ports: frames the kernel dropped because the socket's ring was full (0 for TAP ports). */
  kernelDrops: number;
  /** Receive calls that failed (an errno other than EAGAIN): counted, logged, the port reopened if it keeps failing. */
  rxErrors?: number;
  /** Source MACs the FDB refused to learn on this port (learning rate, VNI share, table limits). */
  learnRefused: number;
}

export interface VniCounters {
  vni: number;
  mode: string;
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  encapsulated: number;
  decapsulated: number;
  flooded: number;
  arpSuppressed: number;
  /** GSO super-frames cut into segments for the tunnel, or for a port that cannot take them whole. */
  segmented: number;
  /** TCP segments from the tunnel merged into larger frames for the ports. */
  coalesced: number;
  /** Source MACs the FDB refused to learn in this VNI (its share, the table's limits, a port's learning rate). */
  learnRefused: number;
  drops: Record<string, number>;
}

export interface UnderlayCounters {
  port: number;
  rxDatagrams: number;
  rxBytes: number;
  txDatagrams: number;
  txBytes: number;
  txErrors: number;
  txQueueFull: number;
  lastTxError: string;
  /** Receive calls on the socket that failed (an errno other than EAGAIN). */
  rxErrors?: number;
}

/** The shared VTEP table: the data plane's learned share and what was refused (issue 9 item 4). */
export interface VtepTableCounters {
  entries: number;
  capacity: number;
  /** Addresses held for data-plane learning only (static / multicast VNIs). */
  learned: number;
  learnedLimit: number;
  /** Outer source addresses not learned: the learned share was full. */
  learnRefused: number;
  /** Control-plane VTEPs (flood lists) refused: the whole table was full. */
  controlRefused: number;
}

/** The AF_PACKET link on the underlay interface (absent when there is none). */
export interface LinkCounters extends IoStats {
  interface: string;
  /** What sends datagrams the kernel has nothing to finish (DataplaneConfig.underlaySender). */
  sender: UnderlaySender;
  /** Frames the kernel dropped because the ring was full. */
  kernelDrops: number;
  /** Receive calls on the link that failed (an errno other than EAGAIN). */
  rxErrors?: number;
}

export interface DataplaneCounters {
  /** Drops by reason over the whole switch (the I/O layer's tx/rx problems included). */
  drops: Record<string, number>;
  ports: PortCounters[];
  vnis: VniCounters[];
  underlays: UnderlayCounters[];
  link?: LinkCounters;
  /** FDB entries by kind, learns, moves, ages, limit refusals. */
  fdb: FdbCounters;
  vteps?: VtepTableCounters;
}

export interface DataplaneFdbEntry {
  vni: number;
  mac: string;
  kind: 'local' | 'remote';
  origin: 'learned' | 'control' | 'static';
  /** Local port name (kind 'local'). */
  port?: string;
  /** Remote VTEP address (kind 'remote'). */
  vtep?: string;
  static: boolean;
  sticky: boolean;
  seq: number;
  /** Seconds since last seen (learned entries). */
  age: number;
}

export interface DataplaneEvents {
  localLearned: [vni: number, mac: string, ip?: string];
  localAged: [vni: number, mac: string];
  limit: [report: FdbLimitReport];
  warning: [message: string];
}

export interface DataplaneOptions {
  /** I/O implementation (default: the native addon, else the JS fallback with a warning). */
  io?: NativeIo;
  /**
   * Where the underlay link learns each remote VTEP's next-hop MAC (default:
   * the kernel's tables over rtnetlink, opened with the link). Tests give
   * their own.
   */
  nextHops?: (netns: string | undefined) => Promise<NextHopSource>;
  /** Called for warnings (addon missing, limits); default: the 'warning' event only. */
  warn?: (message: string) => void;
}

const DEFAULT_SOURCE_PORTS: [number, number] = [49152, 65535];
/** VTEP-table refusals are logged at most once per this many milliseconds. */
const VTEP_REFUSAL_LOG_MS = 60_000;

export class Dataplane extends EventEmitter<DataplaneEvents> {
  readonly fdb: Fdb;
  private readonly fwd: Forwarder;
  private readonly vteps: VtepTable;
  private readonly floodLists: FloodLists;
  private readonly neighbors = new NeighborTable();
  private readonly config: DataplaneConfig;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private io: NativeIo | undefined;
  /**
   * Local ports closed by removeVni. They stay in the forwarder's array
   * because FDB entries name ports by index; nothing points at them any more.
   */
  private readonly retired = new Set<LocalPort>();
  /** Underlay ports bound to the wildcard (a multicast VNI was configured at open). */
  private readonly wildcardUnderlays = new Set<number>();
  /** Set while the FDB API changes a control-plane entry (the FDB listener then leaves VNI membership alone). */
  private inControlChange = false;
  /** How each local port's handle was opened, to reopen it after receive errors. */
  private readonly portOpeners = new Map<LocalPort, () => FramePort>();
  /** Receive errors per handle (ports, underlay sockets, the link). */
  private readonly rxErrors = new Map<object, ReceiveErrors>();
  /** Receive errors of the underlay link (the UDP sockets' are in their linkCounters). */
  private linkRxErrors = 0;
  /** Reopen / re-poll timers waiting (cleared on close). */
  private readonly recoveries = new Set<NodeJS.Timeout>();
  /** Flood-list VTEPs the full table refused, and what of that and of the learned share was logged. */
  private vtepControlRefused = 0;
  private vtepRefusedLogged = 0;
  private vtepRefusedLoggedAt = Number.NEGATIVE_INFINITY;

  private constructor(config: DataplaneConfig, mtu: number) {
    super();
    // Own copy of the VNI list: addVni / removeVni change it, the caller's stays as given.
    this.config = { ...config, vnis: [...config.vnis] };
    this.vteps = new VtepTable();
    this.floodLists = new FloodLists(this.vteps);
    const fdbOptions: ConstructorParameters<typeof Fdb>[0] = {
      vteps: this.vteps,
      floodLists: this.floodLists,
      agingTicks: config.agingSeconds ?? 300,
      listener: {
        onLearned: (vni, mac, where, ip) => {
          if (where.kind === 'local') this.emit('localLearned', vni, mac, ip);
        },
        onMoved: (vni, mac, from, to, _seq, ip) => {
          // A Type 2 entry taken over by a local learn: its VTEP has one entry fewer in the VNI.
          if (!this.inControlChange && from.kind === 'remote') this.fwd.vnis.get(vni)?.vteps?.remove(from.vtepIndex);
          if (to.kind === 'local') this.emit('localLearned', vni, mac, ip);
          else if (from.kind === 'local') this.emit('localAged', vni, mac);
        },
        onAged: (vni, mac, was) => {
          if (was.kind === 'local') this.emit('localAged', vni, mac);
        },
        onLimit: (report) => {
          this.warn(
            `FDB ${report.scope} limit ${report.limit} reached${report.scope === 'vni' ? ` in VNI ${report.vni}` : ''}${report.port !== undefined ? ` (port ${this.fwd.ports[report.port]?.name ?? report.port}, VNI ${report.vni})` : ''}: ${report.refused} learn(s) refused`,
          );
          this.emit('limit', report);
        },
      },
    };
    if (config.maxEntries !== undefined) fdbOptions.maxEntries = config.maxEntries;
    if (config.maxEntriesPerVni !== undefined) fdbOptions.maxEntriesPerVni = config.maxEntriesPerVni;
    if (config.controlReserve !== undefined) fdbOptions.controlReserve = config.controlReserve;
    if (config.learnRate !== undefined) fdbOptions.learnRate = config.learnRate;
    if (config.learnBurst !== undefined) fdbOptions.learnBurst = config.learnBurst;
    fdbOptions.underlayFamily = isIPv4(config.vtepAddress) ? 4 : 6;
    this.fdb = new Fdb(fdbOptions);
    const [low, high] = config.sourcePortRange ?? DEFAULT_SOURCE_PORTS;
    this.vtepAddress = parseIp(config.vtepAddress);
    this.underlayMtu = mtu;
    this.fwd = new Forwarder({
      fdb: this.fdb,
      vteps: this.vteps,
      floodLists: this.floodLists,
      neighbors: this.neighbors,
      vtepAddress: this.vtepAddress,
      underlayMtu: mtu,
      sourcePortLow: low,
      sourcePortHigh: high,
    });
  }

  private readonly vtepAddress: Buffer;
  private readonly underlayMtu: number;

  private warnFn: ((m: string) => void) | undefined;

  private warn(message: string): void {
    this.warnFn?.(message);
    if (this.listenerCount('warning') > 0) this.emit('warning', message);
  }

  /**
   * Open every port and socket of `config` and start forwarding. On any
   * failure everything opened so far is closed again and the error names
   * what could not be opened.
   */
  static async open(config: DataplaneConfig, options: DataplaneOptions = {}): Promise<Dataplane> {
    validate(config);
    const mtu = config.underlayMtu ?? (await readMtu(config.underlayInterface, config.netns)) ?? 1500;
    const dp = new Dataplane(config, mtu);
    dp.warnFn = options.warn;
    const io = options.io ?? loadIo({ warn: (m) => dp.warn(m) });
    dp.io = io;
    const threads = config.workers ?? 1;
    if (threads > 1) {
      // A worker may hold a VTEP index an instant after its release (vtep-table.ts holdReclaimed).
      dp.vteps.holdReclaimed(1);
      // This thread holds the interfaces and forwards nothing: BGP, the API and logs cannot stall a frame (issue 10).
      dp.share = { groups: fanoutGroups(config), holdOnly: true };
    }
    try {
      await dp.openAll(io);
      if (dp.fwd.link !== null) {
        const open = options.nextHops ?? defaultNextHops(dp.warnFn);
        dp.nextHops = await open(config.netns);
        dp.nextHops.on('change', (hop) => dp.applyNextHop(hop));
      }
    } catch (e) {
      dp.closeHandles();
      throw e;
    }
    dp.start();
    dp.syncNextHops();
    if (threads > 1) {
      try {
        await dp.startWorkers(threads);
      } catch (e) {
        await dp.close();
        throw e;
      }
    }
    return dp;
  }

  /**
   * workers = N: N worker threads forward, this one holds the interfaces
   * (docs/workers.md); every worker's packet socket is in a fanout group
   * per interface, so the kernel spreads flows over the N workers.
   */
  private async startWorkers(count: number): Promise<void> {
    const fwd = this.fwd;
    const ports: Array<{ index: number; port: PortConfig }> = [];
    for (const p of fwd.ports) {
      if (this.retired.has(p)) continue;
      const pc = this.config.vnis.flatMap((v) => v.ports).find((x) => x.name === p.name);
      if (pc !== undefined) ports.push({ index: p.index, port: pc });
    }
    const members = (): Map<number, VniVteps> => {
      const m = new Map<number, VniVteps>();
      for (const vs of fwd.vnis.values()) if (vs.vteps !== null) m.set(vs.vni, vs.vteps);
      return m;
    };
    let workers: ForwardingWorkers | null = null;
    const send = (msg: TableMessage): void => workers?.send(msg);
    const snapshot = feedTables(send, this.floodLists, this.neighbors, fwd.outer, members);
    for (const [vni, m] of members()) feedMembers(send, vni, m);
    workers = new ForwardingWorkers({
      count,
      data: {
        config: this.config,
        underlayMtu: this.underlayMtu,
        fdb: this.fdb.share(),
        vteps: this.vteps.share(),
        share: forwardingShare(this.share!),
        link: fwd.link !== null,
        ports,
      },
      layout: { ports: fwd.ports.length, vnis: [...fwd.vnis.keys()], udpPorts: fwd.underlays.map((u) => u.port) },
      snapshot,
      learner: new FdbLearner(this.fdb, this.vteps),
      tick: () => fwd.tick,
      warn: (m) => this.warn(m),
    });
    this.workers = workers;
    await workers.start();
  }

  private workers: ForwardingWorkers | null = null;
  /** How this thread shares its sockets with forwarding workers (undefined: alone). */
  private share: SocketShare | undefined;

  /** Forwarding workers running beside this thread (0 with workers = 1, else all N). */
  get workerCount(): number {
    return this.workers?.size ?? 0;
  }

  /** Restarts of the forwarding workers so far (a worker that threw or exited). */
  get workerRestarts(): number {
    return this.workers?.restarts ?? 0;
  }

  /**
   * Frames each forwarding thread took in (from ports into VNIs, and
   * decapsulated): this thread first (0 with workers > 1, but for its
   * SO_REUSEPORT share of a link-less underlay), then each worker. Shows how the
   * kernel's fanout spread the flows (tests, bench).
   */
  threadFrames(): number[] {
    const sum = (c: (vs: VniState) => Float64Array | undefined): number => {
      let n = 0;
      for (const vs of this.fwd.vnis.values()) {
        const x = c(vs);
        if (x !== undefined) n += x[V_RX_FRAMES]! + x[V_DECAPSULATED]!;
      }
      return n;
    };
    return [sum((vs) => vs.counters), ...(this.workers?.counters ?? []).map((b) => sum((vs) => b.vni(vs.vni)))];
  }

  /** Test hook: make forwarding worker `index` throw (it is restarted and counted). */
  crashWorker(index: number): void {
    this.workers?.crash(index);
  }

  private nextHops: NextHopSource | undefined;
  /** Remote VTEP addresses whose next hop is followed (address -> when last seen in use). */
  private readonly watched = new Set<string>();

  /**
   * Follow the next hop of every VTEP in use (flood lists, FDB entries,
   * learned ones), and stop following the ones gone. Runs once a second and
   * after control-plane changes; slow path.
   */
  private syncNextHops(): void {
    const source = this.nextHops;
    if (source === undefined || this.closed) return;
    const now = new Set<string>();
    for (const idx of this.vteps.inUse()) {
      const a = this.vteps.address(idx);
      if (isMulticast(a)) continue; // a group's MAC follows from its address (resolveGroup)
      now.add(a);
      if (!this.watched.has(a)) {
        this.watched.add(a);
        this.applyNextHop(source.watch(a));
      }
    }
    for (const a of this.watched) {
      if (!now.has(a)) {
        this.watched.delete(a);
        source.unwatch(a);
      }
    }
  }

  /** A next hop changed: datagrams to that VTEP go on the link (resolved there) or through the kernel. */
  private applyNextHop(hop: NextHop): void {
    const outer = this.fwd.outer;
    if (outer === null || !this.watched.has(hop.address)) return;
    const idx = this.vteps.find(hop.address);
    if (idx < 0) return;
    const link = this.linkHandle;
    const onLink = hop.state === 'resolved' && hop.dstMac !== undefined && link !== undefined && hop.ifindex === link.ifindex;
    outer.resolve(idx, onLink ? macBytes(hop.dstMac!) : null);
  }

  private async openAll(io: NativeIo): Promise<void> {
    const c = this.config;
    if (c.underlayInterface !== undefined && c.underlayLink !== false && io.kind === 'native') await this.openLink(io, c.underlayInterface);
    // One underlay socket per UDP port in use.
    const portsInUse = new Map<number, VniConfig[]>();
    for (const v of c.vnis) {
      const p = v.vxlanPort ?? VXLAN_PORT_IANA;
      portsInUse.set(p, [...(portsInUse.get(p) ?? []), v]);
    }
    for (const [port, vnis] of portsInUse) {
      const u = await this.openUnderlay(io, port, vnis.some((v) => v.mode === 'multicast'));
      for (const v of vnis) this.addVniState(v, u);
    }
    // One local port per interface, carrying one or more VNIs.
    for (const v of c.vnis) this.attachPorts(io, v);
  }

  /**
   * The AF_PACKET link on the underlay interface: it receives every VXLAN
   * datagram for us with the kernel's offload state (a filter picks them),
   * and sends datagrams whose outer headers the forwarder writes, bypassing
   * the qdisc, to VTEPs whose next hop is resolved.
   */
  private async openLink(io: NativeIo, ifname: string): Promise<void> {
    const c = this.config;
    const family = this.vtepAddress.length === 4 ? 4 : 6;
    const mac = await readMac(ifname, c.netns);
    const { handle, rx } = openLinkSocket(io, c, ifname, family, this.share);
    this.linkHandle = handle;
    const outer = new OuterHeaders(this.vteps, family, this.vtepAddress);
    if (mac !== undefined) outer.setSourceMac(mac);
    let plain: PlainSender | null = null;
    try {
      const opened = openPlainSender(io, c, ifname, this.fwd.maxFrame, (m) => this.warn(m));
      plain = opened.sender;
      this.plainKind = opened.kind;
    } catch (e) {
      handle.close();
      throw e;
    }
    this.plainSender = plain ?? undefined;
    this.fwd.link = new UnderlayLink(handle, rx, this.fwd.arena, plain);
    this.fwd.outer = outer;
  }

  private plainSender: PlainSender | undefined;
  private plainKind: UnderlaySender = 'socket';

  /** The link's filter for the VXLAN ports and multicast groups configured now. */
  private linkFilter(): Uint8Array {
    return linkFilterOf(this.config, this.vtepAddress.length === 4 ? 4 : 6);
  }

  private linkHandle: PacketPort | undefined;

  private async openUnderlay(io: NativeIo, port: number, multicast: boolean): Promise<Underlay> {
    const c = this.config;
    const batch = c.batchSize ?? DEFAULT_BATCH;
    const link = this.fwd.link !== null;
    const { udp, rx } = await openUnderlaySocket(io, c, port, multicast, link, this.share);
    if (multicast) this.wildcardUnderlays.add(port);
    if (!link && io.kind !== 'native') {
      this.warn(`underlay port ${udp.port}: the JS fallback cannot tell which interface a datagram came in on; hosts on member ports can reach the underlay socket`);
    }
    const u = new Underlay(udp, port, rx, this.fwd.arena, batch * 8);
    this.fwd.underlays.push(u);
    return u;
  }

  private addVniState(v: VniConfig, u: Underlay): VniState {
    const c = this.config;
    const vs = new VniState(v.vni, v.mode, u);
    if (v.mode === 'evpn') vs.vteps = new VniVteps(this.vteps.capacity);
    // ARP suppression needs MAC+IP routes from the control plane: evpn mode only, on by default.
    vs.arpSuppression = v.mode === 'evpn' && (v.arpSuppression ?? true);
    if (v.mode === 'multicast' && v.multicastGroup !== undefined) {
      u.io.addMembership(v.multicastGroup, c.underlayInterface);
      // The group is a destination like a VTEP: held in the VTEP table for as long as the VNI is.
      const idx = this.vteps.intern(v.multicastGroup);
      if (idx < 0) throw new RangeError(`vni ${v.vni}: VTEP table full, cannot add multicast group ${v.multicastGroup}`);
      this.vteps.retain(idx);
      vs.groupIndex = idx;
      this.fwd.outer?.resolveGroup(idx);
    }
    this.fwd.vnis.set(v.vni, vs);
    if (v.maxEntries !== undefined) this.fdb.setVniLimit(v.vni, v.maxEntries);
    return vs;
  }

  /** Open (or share) the local ports of `v`; returns the ports opened here. */
  private attachPorts(io: NativeIo, v: VniConfig): LocalPort[] {
    const c = this.config;
    const vs = this.fwd.vnis.get(v.vni)!;
    const opened: LocalPort[] = [];
    for (const pc of v.ports) {
      let lp = this.fwd.ports.find((p) => p.name === pc.name && !this.retired.has(p));
      if (lp === undefined) {
        const { handle, reopen } = openMemberPort(io, c, pc, this.share);
        lp = new LocalPort(this.fwd.ports.length, pc.name, pc.kind, handle, memberRxBatch(handle, c), this.fwd.arena);
        this.fwd.ports.push(lp);
        opened.push(lp);
        this.portOpeners.set(lp, reopen);
      }
      lp.addVni(v.vni, pc.vlan);
      if (pc.tagged === 'pass') {
        lp.passTagged = true;
        vs.passTagged = true;
      }
      if (!vs.ports.includes(lp)) vs.ports.push(lp);
    }
    if (v.mode === 'static' && v.floodList !== undefined) this.floodLists.set(v.vni, v.floodList);
    this.refreshMemberIfindexes();
    return opened;
  }

  /** The forwarder's set of member-port interfaces (datagrams arriving on them are not the underlay's). */
  private refreshMemberIfindexes(): void {
    const set = this.fwd.memberIfindexes;
    set.clear();
    for (const p of this.fwd.ports) if (!this.retired.has(p) && p.io.ifindex > 0) set.add(p.io.ifindex);
  }

  /**
   * Start serving a VNI at runtime (SIGHUP reload): open its underlay socket
   * if its UDP port is new and its local ports that no other VNI opened yet.
   * On failure nothing of it stays.
   */
  async addVni(v: VniConfig): Promise<void> {
    const io = this.io;
    if (io === undefined || this.closed) throw new Error('dataplane is not running');
    if (this.fwd.vnis.has(v.vni)) throw new RangeError(`vni ${v.vni} is configured twice`);
    validate({ ...this.config, vnis: [...this.config.vnis, v] });
    const port = v.vxlanPort ?? VXLAN_PORT_IANA;
    if (this.share !== undefined) this.share = { ...this.share, groups: fanoutGroups({ ...this.config, vnis: [...this.config.vnis, v] }, this.share.groups) };
    let u = this.fwd.underlays.find((x) => x.port === port);
    if (u !== undefined && v.mode === 'multicast' && !this.wildcardUnderlays.has(port)) {
      // The socket is bound to the VTEP address and would never see group traffic.
      throw new Error(`vni ${v.vni}: a multicast VNI on UDP port ${port} needs a restart (the port's socket was opened without multicast)`);
    }
    const newUnderlay = u === undefined;
    if (u === undefined) u = await this.openUnderlay(io, port, v.mode === 'multicast');
    let opened: LocalPort[] = [];
    try {
      this.addVniState(v, u);
      opened = this.attachPorts(io, v);
    } catch (e) {
      this.config.vnis.push(v);
      if (!this.removeVni(v.vni) && newUnderlay) {
        u.io.close();
        this.fwd.underlays.splice(this.fwd.underlays.indexOf(u), 1);
        this.wildcardUnderlays.delete(port);
      }
      for (const p of opened) if (!this.retired.has(p)) p.io.close();
      throw e;
    }
    this.config.vnis.push(v);
    this.refreshLinkFilter();
    if (newUnderlay) this.watchUnderlay(u);
    for (const p of opened) this.watchPort(p);
    await this.restartWorkers();
  }

  /**
   * The VNIs changed (SIGHUP reload): forwarding workers start over with
   * the new ports and sockets. Until they are up this thread forwards what
   * the kernel still hands it.
   */
  private async restartWorkers(): Promise<void> {
    const w = this.workers;
    if (w === null || this.closed) return;
    this.workers = null;
    await w.close();
    // Counts of the stopped workers stay in their blocks, which go: keep them in this thread's.
    for (const b of w.counters) {
      addCounters(this.fwd.drops, [b.drops]);
      for (const p of this.fwd.ports) addCounters(p.counters, [b.port(p.index)]);
      for (const v of this.fwd.vnis.values()) addCounters(v.counters, [b.vni(v.vni)]);
      for (const u of this.fwd.underlays) addCounters(u.linkCounters, [b.underlay(u.port)]);
    }
    await this.startWorkers(w.size);
  }

  /**
   * Stop serving a VNI (SIGHUP reload): its FDB entries, flood list and
   * remote neighbors go; ports and the underlay socket no other VNI uses are
   * closed. The control plane withdraws its routes first (EvpnManager.removeInstance).
   */
  removeVni(vni: number): boolean {
    const vs = this.fwd.vnis.get(vni);
    const i = this.config.vnis.findIndex((v) => v.vni === vni);
    if (i >= 0) this.config.vnis.splice(i, 1);
    if (vs === undefined) return false;
    this.fwd.vnis.delete(vni);
    for (const e of this.fdb.snapshot(vni)) this.fdb.remove(vni, e.mac);
    this.floodLists.clear(vni);
    for (const n of this.neighbors.entries(vni)) this.neighbors.delete(vni, n.ip);
    this.fdb.setVniLimit(vni, undefined);
    const stillUsed = (p: LocalPort): boolean => [...this.fwd.vnis.values()].some((o) => o.ports.includes(p));
    for (const p of vs.ports) {
      if (p.untaggedVni === vni) p.untaggedVni = -1;
      const vid = p.vniVid.get(vni);
      if (vid !== undefined && p.vlanVni !== null) {
        p.vlanVni[vid] = -1;
        p.vniVid.delete(vni);
      }
      if (!stillUsed(p)) {
        this.retired.add(p);
        p.io.close();
      }
    }
    this.refreshMemberIfindexes();
    const u = vs.underlay;
    if (vs.groupIndex >= 0) {
      const group = this.vteps.address(vs.groupIndex);
      const shared = [...this.fwd.vnis.values()].some((o) => o.underlay === u && o.groupIndex === vs.groupIndex);
      if (!shared) {
        try {
          u.io.dropMembership(group, this.config.underlayInterface);
        } catch {
          // The socket may already be closed below; nothing to undo then.
        }
      }
      this.vteps.release(vs.groupIndex);
    }
    if (![...this.fwd.vnis.values()].some((o) => o.underlay === u)) {
      u.io.close();
      this.fwd.underlays.splice(this.fwd.underlays.indexOf(u), 1);
      this.wildcardUnderlays.delete(u.port);
    }
    this.refreshLinkFilter();
    // Workers drop the VNI's sockets by starting over (not awaited: removeVni is synchronous for its callers).
    this.restartWorkers().catch((e: unknown) => this.warn(`forwarding workers: restart after removing VNI ${vni} failed: ${(e as Error).message}`));
    return true;
  }

  /** The link's filter follows the VXLAN ports and groups in use (VNIs added or removed). */
  private refreshLinkFilter(): void {
    if (this.linkHandle === undefined || this.linkHandle.closed) return;
    try {
      this.linkHandle.setFilter(this.linkFilter());
    } catch (e) {
      this.warn(`underlay link ${this.linkHandle.name}: cannot update its filter: ${(e as Error).message}`);
    }
  }

  private watchPort(p: LocalPort): void {
    // Holding only (workers > 1): the socket receives nothing, a detached TAP queue polls as an error.
    if (this.share?.holdOnly === true) return;
    const errors = this.rxErrorsOf(p);
    p.io.onReadable((err) => {
      if (err === null) {
        try {
          this.fwd.pollLocal(p);
          errors.ok();
        } catch (e) {
          p.counters[P_RX_ERRORS]!++;
          this.receiveFailed(`port ${p.name}`, errors, e, () => this.reopenPort(p, errors));
        }
        return;
      }
      this.warn(`port ${p.name}: ${err.message}`);
      // Link down: the hosts behind the port are gone until it comes back;
      // forget them now (the control plane withdraws their Type 2 routes)
      // instead of waiting for aging.
      if ((err as NodeJS.ErrnoException).code === 'ENETDOWN' || /ENETDOWN|ENODEV|ENXIO/.test(err.message)) this.forgetPort(p.index);
    });
  }

  private watchUnderlay(u: Underlay): void {
    // With the link the socket receives nothing (its filter drops all): no polling.
    if (this.fwd.link !== null) return;
    const errors = this.rxErrorsOf(u);
    const onReadable: ReadableCallback = (err) => {
      if (err) {
        this.warn(`underlay port ${u.port}: ${err.message}`);
        return;
      }
      try {
        this.fwd.pollUnderlay(u);
        errors.ok();
      } catch (e) {
        u.linkCounters[U_RX_ERRORS]!++;
        this.receiveFailed(`underlay port ${u.port}`, errors, e, () => this.restPolling(u.io, onReadable, errors));
      }
    };
    u.io.onReadable(onReadable);
  }

  private watchLink(): void {
    const link = this.fwd.link;
    if (link === null || this.share?.holdOnly === true) return;
    const errors = this.rxErrorsOf(link);
    const onReadable: ReadableCallback = (err) => {
      if (err) {
        this.warn(`underlay link ${link.io.name}: ${err.message}`);
        return;
      }
      try {
        this.fwd.pollLink();
        errors.ok();
      } catch (e) {
        this.linkRxErrors++;
        this.receiveFailed(`underlay link ${link.io.name}`, errors, e, () => this.restPolling(link.io, onReadable, errors));
      }
    };
    link.io.onReadable(onReadable);
  }

  private rxErrorsOf(handle: object): ReceiveErrors {
    let e = this.rxErrors.get(handle);
    if (e === undefined) {
      e = new ReceiveErrors();
      this.rxErrors.set(handle, e);
    }
    return e;
  }

  /**
   * A receive call threw (issue 9 item 16): never out of the poll callback,
   * where it would end the process. What was queued before the failure is
   * sent, the failure logged (rate-limited), and a handle that is gone or
   * keeps failing is recovered by `recover`.
   */
  private receiveFailed(what: string, errors: ReceiveErrors, e: unknown, recover: () => void): void {
    try {
      this.fwd.flushAll();
    } catch (flushError) {
      this.warn(`${what}: flushing after a receive error failed: ${(flushError as Error).message}`);
    }
    const line = errors.failed(what, e, Date.now());
    if (line !== undefined) this.warn(line);
    if (errors.shouldReopen(e)) recover();
  }

  /** Close a failing local port and open it again after a backoff (again and again until it opens). */
  private reopenPort(p: LocalPort, errors: ReceiveErrors): void {
    const open = this.portOpeners.get(p);
    if (open === undefined || this.closed || this.retired.has(p)) return;
    p.io.stopReadable();
    this.after(errors.nextBackoff(), () => {
      if (this.closed || this.retired.has(p)) return;
      // Closed before the new one opens: a TAP takes one owner at a time.
      p.down = true;
      p.io.close();
      let handle: FramePort;
      try {
        handle = open();
      } catch (e) {
        // Still closed: what the forwarder sends there is dropped (tx-error) until it opens.
        const line = errors.failed(`port ${p.name}`, e, Date.now());
        if (line !== undefined) this.warn(`${line} (reopening)`);
        this.reopenPort(p, errors);
        return;
      }
      p.io = handle;
      p.down = false;
      errors.reopened();
      this.refreshMemberIfindexes();
      this.warn(`port ${p.name}: reopened after receive errors`);
      this.watchPort(p);
    });
  }

  /** Stop polling a failing underlay socket or link for a backoff, then poll it again. */
  private restPolling(io: { stopReadable(): void; onReadable(cb: ReadableCallback): void; readonly closed: boolean }, cb: ReadableCallback, errors: ReceiveErrors): void {
    io.stopReadable();
    this.after(errors.nextBackoff(), () => {
      if (this.closed || io.closed) return;
      errors.reopened();
      io.onReadable(cb);
    });
  }

  /** Run `fn` after `ms` unless the dataplane is closed first. */
  private after(ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      this.recoveries.delete(t);
      fn();
    }, ms);
    t.unref();
    this.recoveries.add(t);
  }

  private start(): void {
    const fwd = this.fwd;
    for (const p of fwd.ports) this.watchPort(p);
    for (const u of fwd.underlays) this.watchUnderlay(u);
    this.watchLink();
    // Coarse clock: 1 tick a second drives FDB aging in bounded sweeps, and
    // the following of next hops.
    this.timer = setInterval(() => {
      fwd.tick++;
      this.workers?.drain();
      this.fdb.sweep(fwd.tick);
      this.reportVtepRefusals();
      this.syncNextHops();
      fwd.outer?.armNudges();
    }, 1000);
    this.timer.unref();
  }

  /** Remove every data-plane-learned MAC behind local port `index` (emits localAged for each). */
  private forgetPort(index: number): number {
    let n = 0;
    for (const e of this.fdb.snapshot()) {
      if (e.kind === 'local' && e.port === index && e.origin === 'learned' && this.fdb.remove(e.vni, e.mac)) n++;
    }
    return n;
  }

  // ---- the FDB API (DESIGN.md) ----

  /**
   * Control plane: `mac` in `vni` lives behind remote VTEP `vtep` (EVPN Type 2).
   * False when the FDB had no room (a limit): the caller keeps the route and
   * retries (EvpnManager.retryPending).
   */
  addRemote(vni: number, mac: string, vtep: string, opts: { seq?: number; sticky?: boolean } = {}): boolean {
    this.requireVni(vni);
    const change = this.controlChange(vni, mac, () => this.fdb.addRemote(vni, mac, vtep, opts));
    if (change === 'refused-limit') return false;
    if (!this.watched.has(vtep)) this.syncNextHops();
    return true;
  }

  /** Control plane: withdraw; with `vtep`, only if the entry still points there. */
  removeRemote(vni: number, mac: string, vtep?: string): boolean {
    return this.controlChange(vni, mac, () => this.fdb.removeRemote(vni, mac, vtep));
  }

  /**
   * Run a control-plane change of (vni, mac) and move the VNI's VTEP
   * membership (evpn mode) with it: the VTEP the entry pointed at before
   * loses one reference, the one it points at after gains one.
   */
  private controlChange<T>(vni: number, mac: string, change: () => T): T {
    const members = this.fwd.vnis.get(vni)?.vteps ?? null;
    const before = members === null ? -1 : this.remoteVtepOf(vni, mac);
    this.inControlChange = true;
    let result: T;
    try {
      result = change();
    } finally {
      this.inControlChange = false;
    }
    if (members !== null) {
      const after = this.remoteVtepOf(vni, mac);
      if (after !== before) {
        if (before >= 0) members.remove(before);
        if (after >= 0) members.add(after);
      }
    }
    return result;
  }

  /** The VTEP index the remote entry of (vni, mac) points at, or -1. */
  private remoteVtepOf(vni: number, mac: string): number {
    const slot = this.fdb.lookupMac(vni, mac);
    return slot >= 0 && this.fdb.kindAt(slot) === FDB_REMOTE ? this.fdb.targetAt(slot) : -1;
  }

  /**
   * Control plane (Type 3 routes) or static config: the VTEPs that receive
   * BUM frames of `vni`. With the VTEP table full, the addresses that fit
   * are used and the rest refused: counted (counters().vteps) and logged at
   * most once a minute, never thrown (issue 9 item 4).
   */
  setFloodList(vni: number, vteps: readonly string[]): void {
    this.requireVni(vni);
    const members = this.fwd.vnis.get(vni)!.vteps;
    const old = this.floodLists.get(vni);
    const refused = this.floodLists.setFitting(vni, vteps);
    if (members !== null) {
      for (const idx of this.floodLists.get(vni)) members.add(idx);
      for (const idx of old) members.remove(idx);
    }
    if (refused.length > 0) {
      this.vtepControlRefused += refused.length;
      this.reportVtepRefusals();
    }
    if (vteps.some((v) => !this.watched.has(v))) this.syncNextHops();
  }

  /** One log line, at most once a minute, for VTEPs the table refused since the last one. */
  private reportVtepRefusals(): void {
    const total = this.vteps.learnRefused + this.vtepControlRefused;
    const now = Date.now();
    if (total === this.vtepRefusedLogged || now - this.vtepRefusedLoggedAt < VTEP_REFUSAL_LOG_MS) return;
    const t = this.vteps;
    this.warn(
      `VTEP table: ${total - this.vtepRefusedLogged} address(es) refused since the last report ` +
        `(${t.size} of ${t.capacity} held, ${t.learnedSize} of them learned, learned share ${t.learnedLimit}; ` +
        `refused so far: ${t.learnRefused} learned, ${this.vtepControlRefused} control-plane)`,
    );
    this.vtepRefusedLogged = total;
    this.vtepRefusedLoggedAt = now;
  }

  /** The next-hop MAC datagrams to `vtep` take on the underlay link, or undefined (through the kernel). */
  linkNextHop(vtep: string): string | undefined {
    const idx = this.vteps.find(vtep);
    return idx < 0 ? undefined : this.fwd.outer?.macOf(idx);
  }

  /** Control plane: remote host `ip` in `vni` has `mac` (Type 2 MAC+IP), for ARP suppression. */
  addRemoteNeighbor(vni: number, ip: string, mac: string): void {
    this.requireVni(vni);
    this.neighbors.set(vni, ip, mac);
  }

  removeRemoteNeighbor(vni: number, ip: string): boolean {
    return this.neighbors.delete(vni, ip);
  }

  remoteNeighbors(vni?: number): Array<{ vni: number; ip: string; mac: string }> {
    return this.neighbors.entries(vni);
  }

  floodList(vni: number): string[] {
    return this.floodLists.addresses(vni);
  }

  /** VNIs this dataplane serves. */
  vniList(): number[] {
    return [...this.fwd.vnis.keys()].sort((a, b) => a - b);
  }

  private requireVni(vni: number): void {
    if (!this.fwd.vnis.has(vni)) throw new RangeError(`VNI ${vni} is not configured on this switch`);
  }

  // ---- read-out ----

  fdbEntries(vni?: number): DataplaneFdbEntry[] {
    return this.fdb.snapshot(vni).map((e) => this.entryView(e));
  }

  private entryView(e: FdbEntry): DataplaneFdbEntry {
    const out: DataplaneFdbEntry = {
      vni: e.vni,
      mac: e.mac,
      kind: e.kind,
      origin: e.origin,
      static: e.origin === 'static',
      sticky: e.sticky,
      seq: e.seq,
      age: e.origin === 'learned' ? e.age : 0,
    };
    if (e.kind === 'local' && e.port !== undefined) out.port = this.fwd.ports[e.port]?.name ?? String(e.port);
    if (e.kind === 'remote' && e.vtep !== undefined) out.vtep = e.vtep;
    return out;
  }

  counters(): DataplaneCounters {
    const fwd = this.fwd;
    // Forwarding workers count into their own blocks: added here (worker-counters.ts).
    const blocks = this.workers?.counters ?? [];
    const drops = addCounters(new Float64Array(fwd.drops), blocks.map((b) => b.drops));
    const ports: PortCounters[] = fwd.ports.filter((p) => !this.retired.has(p)).map((p) => {
      const s: IoStats = p.io.stats();
      drops[Drop.RxTruncated]! += s.rxTruncated;
      drops[Drop.TxError]! += s.txErrors;
      drops[Drop.TxQueueFull]! += s.txQueueFull;
      const c = addCounters(Float64Array.from(p.counters), blocks.map((b) => b.port(p.index)));
      return {
        name: p.name,
        kind: p.kind,
        vnis: [...fwd.vnis.values()].filter((v) => v.ports.includes(p)).map((v) => v.vni),
        rxFrames: c[P_RX_FRAMES]!,
        rxBytes: c[P_RX_BYTES]!,
        txFrames: c[P_TX_FRAMES]!,
        txBytes: c[P_TX_BYTES]!,
        flooded: c[P_FLOODED]!,
        drops: c[P_DROPS]!,
        rxTruncated: s.rxTruncated,
        txErrors: s.txErrors,
        txQueueFull: s.txQueueFull,
        kernelDrops: 'kernelDrops' in s ? (s as PacketStats).kernelDrops : 0,
        rxErrors: c[P_RX_ERRORS]!,
        learnRefused: this.fdb.learnRefusedOn(p.index),
      };
    });
    const underlays: UnderlayCounters[] = fwd.underlays.map((u) => {
      const s = u.io.stats();
      drops[Drop.TxError]! += s.txErrors;
      drops[Drop.TxQueueFull]! += s.txQueueFull;
      // What the link carried for this port, plus what the socket itself did.
      const l = addCounters(Float64Array.from(u.linkCounters), blocks.map((b) => b.underlay(u.port)));
      return {
        port: u.port,
        rxDatagrams: s.rxFrames + l[U_RX_DATAGRAMS]!,
        rxBytes: s.rxBytes + l[U_RX_BYTES]!,
        txDatagrams: s.txFrames + l[U_TX_DATAGRAMS]!,
        txBytes: s.txBytes + l[U_TX_BYTES]!,
        txErrors: s.txErrors,
        txQueueFull: s.txQueueFull,
        lastTxError: s.lastTxError,
        rxErrors: l[U_RX_ERRORS]!,
      };
    });
    const vnis: VniCounters[] = [...fwd.vnis.values()]
      .sort((a, b) => a.vni - b.vni)
      .map((v) => {
        const c = addCounters(Float64Array.from(v.counters), blocks.map((b) => b.vni(v.vni)));
        return {
          vni: v.vni,
          mode: v.mode,
          rxFrames: c[V_RX_FRAMES]!,
          rxBytes: c[V_RX_BYTES]!,
          txFrames: c[V_TX_FRAMES]!,
          txBytes: c[V_TX_BYTES]!,
          encapsulated: c[V_ENCAPSULATED]!,
          decapsulated: c[V_DECAPSULATED]!,
          flooded: c[V_FLOODED]!,
          arpSuppressed: c[V_ARP_SUPPRESSED]!,
          segmented: c[V_SEGMENTED]!,
          coalesced: c[V_COALESCED]!,
          learnRefused: this.fdb.learnRefusedIn(v.vni),
          drops: dropsByName(c.subarray(V_DROPS, V_DROPS + DROP_REASON_COUNT)),
        };
      });
    let link: LinkCounters | undefined;
    if (fwd.link !== null && this.linkHandle !== undefined && !this.linkHandle.closed) {
      const s = this.linkHandle.stats();
      const p = this.plainSender?.stats();
      if (p !== undefined) {
        s.txFrames += p.txFrames;
        s.txBytes += p.txBytes;
        s.txErrors += p.txErrors;
        s.txQueueFull += p.txQueueFull;
        if (p.lastTxError !== '') s.lastTxError = p.lastTxError;
      }
      drops[Drop.RxTruncated]! += s.rxTruncated;
      drops[Drop.TxError]! += s.txErrors;
      drops[Drop.TxQueueFull]! += s.txQueueFull;
      link = {
        interface: this.linkHandle.name,
        sender: this.plainKind,
        rxFrames: s.rxFrames,
        rxBytes: s.rxBytes,
        rxTruncated: s.rxTruncated,
        txFrames: s.txFrames,
        txBytes: s.txBytes,
        txErrors: s.txErrors,
        txQueueFull: s.txQueueFull,
        lastTxError: s.lastTxError,
        kernelDrops: s.kernelDrops,
        rxErrors: this.linkRxErrors,
      };
    }
    return {
      drops: dropsByName(drops),
      ports,
      vnis,
      underlays,
      ...(link !== undefined ? { link } : {}),
      fdb: this.fdb.counters(),
      vteps: {
        entries: this.vteps.size,
        capacity: this.vteps.capacity,
        learned: this.vteps.learnedSize,
        learnedLimit: this.vteps.learnedLimit,
        learnRefused: this.vteps.learnRefused,
        controlRefused: this.vtepControlRefused,
      },
    };
  }

  /** Stop forwarding and close every handle. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.workers?.close();
    this.workers = null;
    for (const t of this.recoveries) clearTimeout(t);
    this.recoveries.clear();
    this.closeHandles();
  }

  private closeHandles(): void {
    for (const p of this.fwd.ports) if (!this.retired.has(p)) p.io.close();
    for (const u of this.fwd.underlays) u.io.close();
    this.linkHandle?.close();
    this.plainSender?.close();
    this.nextHops?.close();
  }
}

/** Reject a config the forwarder cannot run, naming the field. */
function validate(c: DataplaneConfig): void {
  if (!isIPv4(c.vtepAddress) && !isIPv6(c.vtepAddress)) {
    throw new TypeError(`vtep-address "${c.vtepAddress}": an IPv4 or IPv6 address is expected`);
  }
  const family = isIPv4(c.vtepAddress) ? 4 : 6;
  const seen = new Set<number>();
  for (const v of c.vnis) {
    if (!Number.isInteger(v.vni) || v.vni < 1 || v.vni > VXLAN_MAX_VNI) {
      throw new RangeError(`vni ${v.vni}: expected an integer 1..${VXLAN_MAX_VNI}`);
    }
    if (seen.has(v.vni)) throw new RangeError(`vni ${v.vni} is configured twice`);
    seen.add(v.vni);
    if (v.mode === 'multicast' && (v.multicastGroup === undefined || !(family === 4 ? isIPv4 : isIPv6)(v.multicastGroup))) {
      throw new TypeError(`vni ${v.vni}: multicast mode needs multicast-group, an IPv${family} group address (the underlay's family)`);
    }
    for (const a of v.floodList ?? []) {
      if (!(family === 4 ? isIPv4 : isIPv6)(a)) {
        throw new TypeError(`vni ${v.vni}: flood-list entry "${a}" is not an IPv${family} address (the underlay's family, from vtep-address)`);
      }
    }
    const port = v.vxlanPort ?? VXLAN_PORT_IANA;
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RangeError(`vni ${v.vni}: vxlan-port ${port} is not 1..65535`);
    for (const p of v.ports) {
      if (p.vlan !== undefined && (!Number.isInteger(p.vlan) || p.vlan < 1 || p.vlan > 4094)) {
        throw new RangeError(`vni ${v.vni}: port ${p.name} vlan ${p.vlan} is not 1..4094`);
      }
    }
  }
  const range = c.sourcePortRange;
  if (range !== undefined && !(range[0] >= 1 && range[0] <= range[1] && range[1] <= 65535)) {
    throw new RangeError(`source-port-range ${range[0]}-${range[1]}: expected low <= high within 1..65535`);
  }
}

function isMulticast(address: string): boolean {
  return isIPv4(address) ? Number(address.split('.')[0]) >= 224 && Number(address.split('.')[0]) <= 239 : address.toLowerCase().startsWith('ff');
}

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.split(':').map((x) => parseInt(x, 16)));
}

/** The kernel's next hops over rtnetlink, in netns. */
function defaultNextHops(warn: ((m: string) => void) | undefined): (netns: string | undefined) => Promise<NextHopSource> {
  return async (netns) => {
    const { NextHopResolver } = await import('./next-hop-resolver.js');
    return NextHopResolver.open({ ...(netns !== undefined ? { netns } : {}), ...(warn !== undefined ? { warn } : {}) });
  };
}

/** The interface's MAC address (inside netns if given), as 6 bytes. */
async function readMac(ifname: string, netns: string | undefined): Promise<Buffer | undefined> {
  try {
    let text: string;
    if (netns === undefined) text = (await readFile(`/sys/class/net/${ifname}/address`, 'utf8')).trim();
    else {
      const { stdout } = await promisify(execFile)('ip', ['-n', netns, '-j', 'link', 'show', 'dev', ifname], { encoding: 'utf8' });
      text = (JSON.parse(stdout) as Array<{ address?: string }>)[0]?.address ?? '';
    }
    const b = Buffer.from(text.split(':').map((x) => parseInt(x, 16)));
    return b.length === 6 ? b : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The underlay interface's MTU, read from the kernel (inside netns if given).
 * Asynchronous: another dataplane in this process may be forwarding meanwhile.
 */
async function readMtu(ifname: string | undefined, netns: string | undefined): Promise<number | undefined> {
  if (ifname === undefined) return undefined;
  try {
    if (netns === undefined) return Number((await readFile(`/sys/class/net/${ifname}/mtu`, 'utf8')).trim());
    const { stdout } = await promisify(execFile)('ip', ['-n', netns, '-j', 'link', 'show', 'dev', ifname], { encoding: 'utf8' });
    const parsed = JSON.parse(stdout) as Array<{ mtu?: number }>;
    return parsed[0]?.mtu;
  } catch {
    return undefined;
  }
}

export { DROP_REASON_NAMES };
export type { FdbLocation };

/** Fanout group ids handed out in this process (each Dataplane takes one per interface). */
let nextFanoutGroup = 1 + ((process.pid * 131) % 60000);

/**
 * One PACKET_FANOUT_HASH group id per interface the threads share (member
 * ports, the underlay link): a group belongs to one interface (packet(7)),
 * and ids are per network namespace, so distinct within this process is enough
 * unless another process on the same interfaces picked the same (it would
 * then fail to join, loudly).
 */
function fanoutGroups(c: DataplaneConfig, kept: Record<string, number> = {}): Record<string, number> {
  const names = new Set<string>(c.vnis.flatMap((v) => v.ports.map((p) => p.name)));
  if (c.underlayInterface !== undefined) names.add(c.underlayInterface);
  // An interface keeps its group: a second group on it would get a copy of every frame.
  const groups: Record<string, number> = { ...kept };
  for (const n of names) {
    if (groups[n] !== undefined) continue;
    groups[n] = nextFanoutGroup;
    nextFanoutGroup = nextFanoutGroup >= 65535 ? 1 : nextFanoutGroup + 1;
  }
  return groups;
}
