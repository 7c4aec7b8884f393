// The BGP EVPN speaker: BGP sessions (bgp-transport.ts) feeding per-peer
// Adj-RIB-In, one Loc-RIB with best-path selection, the EVPN instances
// (evpn-manager.ts) that import from it and originate into it, and per-peer
// Adj-RIB-Out that turn Loc-RIB changes into packed UPDATEs.
//
// Every Loc-RIB change is followed by the EVPN manager and by every
// established peer's Adj-RIB-Out; UPDATEs are flushed once per turn of the
// event loop, so a burst of changes (a table arriving, 100,000 MACs learned)
// leaves in as few messages as fit.
//
// The event loop also forwards frames and answers the API, so no BGP work
// holds it long (work-slices.ts): received UPDATEs are applied, and a gone
// session's routes withdrawn, in turns of a few milliseconds (`slice`), in
// order per peer; a peer's socket is not read while more than INPUT_HIGH_WATER of its
// routes wait. Changes go out at most OUTPUT_SLICE per turn and per peer, and
// the first table to a new peer in batches of OUTPUT_SLICE routes, each only
// once the socket's write buffer drained, then End-of-RIB.

import { EventEmitter } from 'node:events';
import { BlockList, isIPv6 } from 'node:net';
import { CeaseSubcode } from '../wire/bgp-error-codes.js';
import type { EvpnInstanceConfig } from './evpn-instance.js';
import type { EvpnLogEvent } from './evpn-manager.js';
import { EvpnManager } from './evpn-manager.js';
import type { FdbPort } from './fdb-port.js';
import { AdjRibIn } from './adj-rib-in.js';
import { AdjRibOut } from './adj-rib-out.js';
import { familyOf } from './afi-safi-family.js';
import type { LogLevel, SessionEnv, SessionState } from './bgp-fsm.js';
import type { PeerConfig, PeerEvent } from './bgp-peer.js';
import type { PeerHandle } from './bgp-transport.js';
import { BgpTransport } from './bgp-transport.js';
import type { Negotiated } from './capability-negotiation.js';
import type { ImportPolicyConfig } from './import-policy.js';
import { applyUpdate } from './inbound.js';
import { LocRib } from './loc-rib.js';
import type { LocRibChange } from './loc-rib.js';
import { DEFAULT_WARNING_THRESHOLD_PCT, maxPrefixesData, PrefixLimitGuard, warningThreshold, type PrefixLimit } from './prefix-limit.js';
import type { Family, PeerRef, Route } from './route.js';
import { ThrottledLog } from './repeated-event-log.js';
import { readUpdate, type ReadUpdateResult } from './update-reader.js';
import { UpdateJob } from './update-job.js';
import { DEFAULT_SLICE, EachJob, SliceQueues, StepJob, type SliceLimit, type SlicedJob } from './work-slices.js';

/** Routes of a peer queued (received, not yet applied) above which its socket is not read. */
export const INPUT_HIGH_WATER = 2048;
/** Changes encoded per peer and turn; also the batch of a first table. */
export const OUTPUT_SLICE = 1024;

/** One [[neighbors]] entry: PeerConfig without what the global config supplies. */
export type NeighborConfig = Omit<PeerConfig, 'localAs' | 'routerId' | 'families'> & {
  /** afi-safis (default ["l2vpn-evpn"]). */
  families?: readonly Family[];
  /** route-reflector-client: we reflect to this peer (RFC 4456). */
  routeReflectorClient?: boolean;
  /** afi-safis prefix-limit: the most routes of a family the peer may send (default: no limit). */
  prefixLimits?: Readonly<Partial<Record<Family, PrefixLimit>>>;
};

/** FRR's `bgp listen limit` default: dynamic neighbors at once, per range here. */
export const DEFAULT_DYNAMIC_NEIGHBOR_LIMIT = 100;

/**
 * dynamic-neighbors with their peer-group (GoBGP), FRR's `bgp listen range`:
 * a connection from inside `prefix` gets a passive neighbor made from
 * `template`; it is removed when its session (or connection) ends.
 */
export interface DynamicNeighborRange {
  /** "10.0.0.0/24", "2001:db8::/64". */
  prefix: string;
  /** The peer group: everything of a neighbor but its address (always passive). */
  template: Omit<NeighborConfig, 'neighborAddress' | 'passive'>;
  /** Neighbors of this range at once (default DEFAULT_DYNAMIC_NEIGHBOR_LIMIT); more connections are refused. */
  maxNeighbors?: number;
}

export interface SpeakerConfig {
  /** global as. */
  asn: number;
  /** global router-id (our BGP Identifier). */
  routerId: string;
  /** VTEP address: next hop and originating IP of our EVPN routes. */
  vtep: string;
  /** Listen address(es) and port (default all addresses, 179; 0 = any, for tests; -1 = do not listen). */
  listenAddress?: string | readonly string[];
  listenPort?: number;
  /** Neighbors created for connections from these prefixes (first match wins). */
  dynamicNeighbors?: readonly DynamicNeighborRange[];
  /**
   * Log lines a peer or a remote host can repeat at will (connections
   * refused before OPEN, malformed attributes, EVPN conflicts) are written
   * at most once per this many ms, with a count (default 60 s).
   */
  repeatLogIntervalMs?: number;
  /** CLUSTER_ID when this speaker reflects routes (a neighbor is a route-reflector client). */
  clusterId?: string;
  neighbors: readonly NeighborConfig[];
  vnis: readonly EvpnInstanceConfig[];
  /** RFC 7432 §15.1 duplicate MAC detection (default 5 moves in 180 s); false = off. */
  duplicateDetection?: { maxMoves?: number; windowMs?: number } | false;
}

export interface NeighborStatus {
  address: string;
  peerAs: number;
  /** 'idle', 'connect', 'active', 'opensent', 'openconfirm', 'established'. */
  state: Lowercase<SessionState>;
  /** Seconds in the current state (Established: the session's uptime). */
  since: number;
  routerId: string | null;
  families: Family[];
  received: number;
  accepted: number;
  advertised: number;
  holdTime: number | null;
  lastDown: string | null;
  messages: { received: number; sent: number };
  /** Bytes queued for the peer and not yet written to TCP (bounded: see bgp-fsm.ts OUTPUT_HIGH_WATER). */
  outputQueued?: number;
  /** Per family with a configured max-prefixes: routes held from the peer and the bounds. */
  prefixLimits: PrefixLimitStatus[];
  /** The prefix range this neighbor was created for (dynamic neighbors), or null. */
  dynamicRange: string | null;
}

export interface PrefixLimitStatus {
  family: Family;
  received: number;
  maxPrefixes: number;
  /** The count above which the warning is logged; null: no warning. */
  warningThreshold: number | null;
  /** Times the limit was exceeded (each a teardown unless prevent-teardown). */
  exceeded: number;
}

export interface SpeakerEvents {
  log: [level: LogLevel, message: string, fields: Record<string, unknown>];
  established: [address: string, negotiated: Negotiated];
  down: [address: string, reason: string];
}

interface PeerState {
  config: NeighborConfig;
  handle: PeerHandle;
  ref: PeerRef | null;
  negotiated: Negotiated | null;
  adjRibIn: AdjRibIn | null;
  adjRibOut: AdjRibOut | null;
  /** RFC 4724: families whose routes are kept as stale while the peer restarts. */
  stale: Set<Family>;
  staleTimer: NodeJS.Timeout | undefined;
  stateSince: number;
  lastDown: string | null;
  messagesIn: number;
  messagesOut: number;
  limits: PrefixLimitGuard | null;
  /** Per family: times its limit was exceeded. */
  limitExceeded: Map<Family, number>;
  /** Index into config.dynamicNeighbors for a dynamic neighbor, else null. */
  dynamicRange: number | null;
  /** RFC 7606 problems of its UPDATEs: a peer can send a million of them. */
  problemLog: ThrottledLog;
  /** The first table still being sent: the Loc-RIB's best paths not yet visited (null: sent, End-of-RIB too). */
  table: Iterator<Route> | null;
  /** Waiting for the socket's write buffer to drain before the next batch. */
  draining: boolean;
  /** End-of-RIB goes out once the first table is sent. */
  endOfRibDue: boolean;
}

export interface SpeakerOptions {
  /** Clock and random source for the sessions (tests inject them). */
  env?: SessionEnv;
  /** Monotonic milliseconds for the EVPN manager (tests inject it). */
  clock?: () => number;
  /** How much received work an event-loop turn does (default DEFAULT_SLICE: 4 ms); a number: that many routes. */
  slice?: SliceLimit | number;
}

export class Speaker extends EventEmitter<SpeakerEvents> {
  readonly locRib = new LocRib();
  readonly evpn: EvpnManager;
  private readonly transport: BgpTransport;
  private readonly peers = new Map<string, PeerState>();
  private readonly policy: ImportPolicyConfig;
  private flushScheduled = false;
  private started = false;
  private readonly now: () => number;
  private readonly ranges: BlockList[];
  /** One ThrottledLog per EVPN log event kind (a peer can send a table of conflicting routes). */
  private readonly evpnLogs = new Map<string, ThrottledLog>();
  /**
   * Per neighbor address, in order: received UPDATEs to apply, sessions'
   * routes to withdraw. By address, not by neighbor object: a neighbor removed
   * and added again (a config reload) must not have its new routes overtaken
   * by the old one's withdrawal (the Loc-RIB knows a path by that address).
   */
  private readonly inbound: SliceQueues<string>;

  constructor(
    readonly config: SpeakerConfig,
    fdb: FdbPort,
    options: SpeakerOptions = {},
  ) {
    super();
    this.now = options.clock ?? (() => performance.now());
    this.inbound = new SliceQueues<string>(
      (run) => setImmediate(run),
      options.slice ?? DEFAULT_SLICE,
      (address, backlog) => {
        if (backlog <= INPUT_HIGH_WATER / 2) this.peers.get(address)?.handle.resumeInput();
      },
      (address, e) => {
        // As the transport does for a handler that throws on an UPDATE: half of
        // it applied is worse than a reset, the peer sends it all again.
        this.log('error', `neighbor ${address}: applying its routes threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}; resetting the neighbor`, {
          neighbor: address,
        });
        this.peers.get(address)?.handle.reset('internal error');
      },
    );
    this.policy = { localAs: config.asn, routerId: config.routerId, ...(config.clusterId !== undefined ? { clusterId: config.clusterId } : {}) };
    this.ranges = (config.dynamicNeighbors ?? []).map((r) => {
      const [net, len] = r.prefix.split('/');
      const list = new BlockList();
      list.addSubnet(net!, Number(len), isIPv6(net!) ? 'ipv6' : 'ipv4');
      return list;
    });
    this.transport = new BgpTransport({
      ...(config.listenAddress !== undefined ? { listenAddress: config.listenAddress } : {}),
      listenPort: config.listenPort ?? 179,
      ...(options.env !== undefined ? { env: options.env } : {}),
      refusedLogIntervalMs: this.repeatLogMs,
      log: (level, message) => this.log(level, message, {}),
      unknownPeer: (address) => this.dynamicNeighbor(address),
    });
    this.evpn = new EvpnManager({
      speaker: { asn: config.asn, routerId: config.routerId, vtep: config.vtep },
      instances: config.vnis,
      fdb,
      routes: {
        announce: (route) => this.locRib.update(route),
        withdraw: (route) => this.locRib.withdraw(route.family, route.key, null),
      },
      ...(options.clock !== undefined ? { clock: options.clock } : {}),
      ...(config.duplicateDetection !== undefined ? { duplicateDetection: config.duplicateDetection } : {}),
      log: (e) => this.evpnLog(e),
    });
    this.locRib.subscribe((change) => this.onLocRibChange(change));
  }

  private log(level: LogLevel, message: string, fields: Record<string, unknown>): void {
    this.emit('log', level, message, fields);
  }

  private get repeatLogMs(): number {
    return this.config.repeatLogIntervalMs ?? 60_000;
  }

  /** Lines like `first`, at most one per interval with a count (repeated-event-log.ts). */
  private throttled(level: LogLevel, fields: Record<string, unknown>): ThrottledLog {
    return new ThrottledLog(
      this.repeatLogMs,
      (text) => this.log(level, text, fields),
      (count, last, seconds) => `${count} more like this in the last ${seconds} s; the last: ${last}`,
    );
  }

  private evpnLog(e: EvpnLogEvent): void {
    const text =
      'message' in e
        ? e.message
        : e.event === 'duplicate-mac'
        ? `duplicate MAC ${e.mac} in VNI ${e.vni}: ${e.moves} moves within ${Math.round(e.windowMs / 1000)} s, frozen (RFC 7432 §15.1)`
        : e.event === 'sticky-conflict'
          ? `sticky MAC ${e.mac} in VNI ${e.vni} also advertised by ${e.vtep}: kept`
          : `group MAC ${e.mac} in VNI ${e.vni} (${e.source}) ignored: never advertised or installed`;
    let log = this.evpnLogs.get(e.event);
    if (log === undefined) {
      log = this.throttled('warn', { event: e.event });
      this.evpnLogs.set(e.event, log);
    }
    log.report(text);
  }

  /** Listen (unless listenPort is -1), start every neighbor, originate the Type 3 routes. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    if ((this.config.listenPort ?? 179) >= 0) await this.transport.listen();
    this.evpn.start();
    for (const n of this.config.neighbors) this.addNeighbor(n);
  }

  /** Routes received and not yet applied, or leaving with a gone session, over all peers (bounded: INPUT_HIGH_WATER per reading peer). */
  get inboundBacklog(): number {
    return this.inbound.totalBacklog;
  }

  /** The address the speaker listens on (after start), for tests with port 0. */
  get listenAddress(): { address: string; port: number } | null {
    const a = this.transport.address;
    return a === null ? null : { address: a.address, port: a.port };
  }

  addNeighbor(n: NeighborConfig): void {
    this.add(n, null);
  }

  private add(n: NeighborConfig, dynamicRange: number | null): void {
    const config: PeerConfig = {
      ...n,
      localAs: this.config.asn,
      routerId: this.config.routerId,
      families: n.families ?? ['l2vpn-evpn'],
    };
    // The transport may report the first state change from inside addPeer,
    // before the handle exists: hold such events until the state is built.
    let state: PeerState | undefined;
    const early: PeerEvent[] = [];
    const handle = this.transport.addPeer(config, (e) => (state === undefined ? early.push(e) : this.onPeerEvent(state, e)));
    state = {
      config: n,
      handle,
      ref: null,
      negotiated: null,
      adjRibIn: null,
      adjRibOut: null,
      stale: new Set(),
      staleTimer: undefined,
      stateSince: this.now(),
      lastDown: null,
      messagesIn: 0,
      messagesOut: 0,
      limits: n.prefixLimits === undefined ? null : new PrefixLimitGuard(new Map(Object.entries(n.prefixLimits) as Array<[Family, PrefixLimit]>)),
      limitExceeded: new Map(),
      dynamicRange,
      problemLog: this.throttled('warn', { neighbor: handle.address }),
      table: null,
      draining: false,
      endOfRibDue: false,
    };
    this.peers.set(handle.address, state);
    for (const e of early) this.onPeerEvent(state, e);
  }

  /** Remove a neighbor: Cease / Peer De-configured, its routes leave. */
  removeNeighbor(address: string): void {
    const s = this.findPeer(address);
    if (s === undefined) return;
    this.transport.removePeer(s.handle.address);
    this.peers.delete(s.handle.address);
    s.problemLog.close();
    this.sessionGone(s, false);
  }

  /** The transport's question for a connection from no neighbor: a dynamic neighbor for it, or why not. */
  private dynamicNeighbor(address: string): string | null {
    const family = isIPv6(address) ? 'ipv6' : 'ipv4';
    const i = this.ranges.findIndex((r) => r.check(address, family));
    const range = this.config.dynamicNeighbors?.[i];
    if (range === undefined) return 'not a configured neighbor';
    const max = range.maxNeighbors ?? DEFAULT_DYNAMIC_NEIGHBOR_LIMIT;
    let n = 0;
    for (const p of this.peers.values()) if (p.dynamicRange === i) n++;
    if (n >= max) return `dynamic neighbor limit ${max} of ${range.prefix} reached`;
    this.add({ ...range.template, neighborAddress: address, passive: true }, i);
    this.log('info', `dynamic neighbor ${address} added (${range.prefix}, ${n + 1} of ${max})`, { neighbor: address, event: 'dynamic-added' });
    return null;
  }

  /** A dynamic neighbor whose connection went away is removed (after the event that said so is handled). */
  private dropDynamic(s: PeerState): void {
    setImmediate(() => {
      const st = s.handle.state;
      if (this.peers.get(s.handle.address) !== s || st === 'OpenSent' || st === 'OpenConfirm' || st === 'Established') return;
      this.removeNeighbor(s.handle.address);
      this.log('info', `dynamic neighbor ${s.handle.address} removed`, { neighbor: s.handle.address, event: 'dynamic-removed' });
    });
  }

  private findPeer(address: string): PeerState | undefined {
    return this.peers.get(address) ?? [...this.peers.values()].find((p) => p.config.neighborAddress === address);
  }

  // ---------------------------------------------------------------- dataplane events in

  localLearned(vni: number, mac: string, ip?: string): void {
    this.evpn.localLearned(vni, mac, ip);
  }

  localAged(vni: number, mac: string): void {
    this.evpn.localAged(vni, mac);
  }

  // ---------------------------------------------------------------- sessions

  private onPeerEvent(s: PeerState, e: PeerEvent): void {
    switch (e.type) {
      case 'state':
        s.stateSince = this.now();
        if (s.dynamicRange !== null && (e.to === 'Idle' || e.to === 'Active') && e.from !== 'Idle' && e.from !== 'Active' && e.from !== 'Connect') this.dropDynamic(s);
        return;
      case 'log':
        this.log(e.level, `neighbor ${s.handle.address}: ${e.message}`, { neighbor: s.handle.address });
        return;
      case 'established':
        this.established(s, e.negotiated);
        return;
      case 'update':
        s.messagesIn++;
        this.received(s, e);
        return;
      case 'route-refresh': {
        const family = familyOf(e.afi, e.safi);
        if (family === undefined || s.adjRibOut === null || s.negotiated === null) return;
        // RFC 2918 §4 / RFC 7313 §4: resend the Adj-RIB-Out (between BoRR and EoRR
        // when enhanced) with the next flush; requests meanwhile are merged.
        if (e.subtype === 0) {
          s.adjRibOut.requestRefresh(family);
          this.scheduleFlush();
        }
        return;
      }
      case 'writable':
        this.scheduleFlush();
        return;
      case 'family-disabled':
        this.log('warn', `neighbor ${s.handle.address}: ${e.family} disabled: ${e.reason}`, { neighbor: s.handle.address });
        this.withdrawLater(s, () => {
          const rib = s.adjRibIn;
          return rib === null ? [] : rib.clear([e.family]);
        }, s.adjRibIn?.size(e.family) ?? 0);
        return;
      case 'down': {
        s.lastDown = e.reason;
        this.log('info', `neighbor ${s.handle.address} down: ${e.reason}`, { neighbor: s.handle.address, event: 'down' });
        this.emit('down', s.handle.address, e.reason);
        const keep = e.gracefulRestartApplies && e.gracefulRestart !== null ? e.gracefulRestart : null;
        this.sessionGone(s, keep !== null, keep?.families, keep?.restartTime);
        return;
      }
    }
  }

  private established(s: PeerState, negotiated: Negotiated): void {
    s.negotiated = negotiated;
    const ref: PeerRef = {
      address: s.handle.address,
      asn: negotiated.peerAs,
      routerId: negotiated.peerRouterId,
      ibgp: negotiated.peerAs === this.config.asn,
      rrClient: s.config.routeReflectorClient === true,
    };
    s.ref = ref;
    s.limits?.reset();
    // In order with what is queued (the previous session's routes may still be
    // leaving): a restarting peer keeps its stale routes until its End-of-RIB
    // (RFC 4724 §4.2): the same Adj-RIB-In (same peer address) takes the new
    // routes over them.
    this.queueIn(
      s,
      new StepJob(() => {
        if (s.adjRibIn === null || s.stale.size === 0) s.adjRibIn = new AdjRibIn(ref);
      }),
    );
    s.adjRibOut = new AdjRibOut({
      self: { asn: this.config.asn, routerId: this.config.routerId, ...(this.config.clusterId !== undefined ? { clusterId: this.config.clusterId } : {}) },
      peer: ref,
      ctx: negotiated.ctxOut,
      families: negotiated.families,
      enhancedRouteRefresh: negotiated.enhancedRouteRefresh,
    });
    // The first table goes out in batches (flushOut), then End-of-RIB.
    const families = negotiated.families;
    let count = 0;
    for (const f of families) count += this.locRib.size(f);
    s.table = (function* (rib: LocRib) {
      for (const f of families) yield* rib.bests(f);
    })(this.locRib);
    s.draining = false;
    s.endOfRibDue = true;
    this.scheduleFlush();
    this.log('info', `neighbor ${s.handle.address} established: AS ${negotiated.peerAs}, id ${negotiated.peerRouterId}, hold ${negotiated.holdTime} s, ${families.join(' ')}; sending ${count} route(s)`, {
      neighbor: s.handle.address,
      event: 'established',
    });
    this.emit('established', s.handle.address, negotiated);
  }

  /** Queue RIB work of a peer behind its earlier work; its socket is not read while too much waits. */
  private queueIn(s: PeerState, job: SlicedJob): void {
    this.inbound.push(s.handle.address, job);
    if (this.inbound.backlog(s.handle.address) > INPUT_HIGH_WATER) s.handle.pauseInput();
  }

  /** Take routes out of the Loc-RIB in slices, in order with the peer's other work; `routes` is called when the job starts. */
  private withdrawLater(s: PeerState, routes: () => Iterable<Route>, count: number, after?: () => void): void {
    this.queueIn(s, new EachJob(routes, count, (r) => this.locRib.withdraw(r.family, r.key, r.peer, r.pathId), after));
  }

  private received(s: PeerState, e: Extract<PeerEvent, { type: 'update' }>): void {
    if (s.ref === null || s.negotiated === null) return;
    const read = readUpdate(e.update, s.ref, this.now(), { as4: s.negotiated.as4, families: new Set(s.negotiated.families) });
    for (const p of read.problems) s.problemLog.report(`neighbor ${s.handle.address}: ${p.action}: ${p.message}`);
    this.queueIn(s, new UpdateJob(read, (part) => this.applyPart(s, part), () => this.updateApplied(s, read)));
  }

  /** Apply a part of a read UPDATE (withdrawals before announcements, as read). */
  private applyPart(s: PeerState, part: Pick<ReadUpdateResult, 'announced' | 'withdrawn'>): void {
    if (s.adjRibIn !== null) applyUpdate(part, s.adjRibIn, this.locRib, this.policy);
  }

  /** An UPDATE is applied whole: prefix limits, End-of-RIB. */
  private updateApplied(s: PeerState, read: ReadUpdateResult): void {
    const rib = s.adjRibIn;
    if (rib === null) return;
    if (s.limits !== null && read.announced.length > 0 && this.prefixLimitsHit(s, rib, read.announced)) return;
    if (read.endOfRib === null) return;
    const family = read.endOfRib;
    if (s.stale.delete(family)) {
      // RFC 4724 §4.2: what is still stale leaves; next in this peer's queue,
      // so before anything it sends after the End-of-RIB.
      this.withdrawLater(s, () => rib.purgeStale(family), rib.staleCount());
    }
    if (s.stale.size === 0 && s.staleTimer !== undefined) {
      clearTimeout(s.staleTimer);
      s.staleTimer = undefined;
    }
    this.log('info', `neighbor ${s.handle.address}: End-of-RIB ${family}, ${rib.acceptedCount(family)} route(s) accepted`, {
      neighbor: s.handle.address,
    });
  }

  /**
   * max-prefixes (prefix-limit.ts) after an UPDATE added routes: a warning
   * line, or the teardown with Cease / Maximum Number of Prefixes Reached
   * (RFC 4486 §4). True when the session was torn down.
   */
  private prefixLimitsHit(s: PeerState, rib: AdjRibIn, announced: readonly Route[]): boolean {
    const families = new Set<Family>();
    for (const r of announced) families.add(r.family);
    for (const family of families) {
      const v = s.limits!.check(family, rib.size(family));
      const who = `neighbor ${s.handle.address}`;
      if (v.type === 'warning') {
        this.log('warn', `${who}: ${v.count} ${family} route(s), over ${v.limit.warningThresholdPct ?? DEFAULT_WARNING_THRESHOLD_PCT}% of max-prefixes ${v.limit.maxPrefixes}`, {
          neighbor: s.handle.address,
          event: 'prefix-limit-warning',
        });
      } else if (v.type === 'exceeded') {
        s.limitExceeded.set(family, (s.limitExceeded.get(family) ?? 0) + 1);
        const restart = v.limit.restartTimer ?? 0;
        const then = !v.teardown ? 'prevent-teardown: session kept' : restart > 0 ? `session closed for ${restart} s` : 'session closed until the neighbor is reconfigured or vxswitch restarts (no restart-timer)';
        this.log('warn', `${who}: ${v.count} ${family} route(s), over max-prefixes ${v.limit.maxPrefixes}: ${then}`, {
          neighbor: s.handle.address,
          event: 'prefix-limit-exceeded',
        });
        if (v.teardown) {
          s.handle.shutdown({
            subcode: CeaseSubcode.MaximumNumberOfPrefixesReached,
            data: maxPrefixesData(family, v.limit.maxPrefixes),
            ...(restart > 0 ? { restartAfter: restart } : {}),
          });
          return true;
        }
      }
    }
    return false;
  }

  /**
   * The session ended: drop the peer's routes, or keep them stale for its
   * restart time (RFC 4724 §4.2). In order with the UPDATEs still queued,
   * and in slices: 100,000 routes leave over ~400 turns of the event loop.
   */
  private sessionGone(s: PeerState, graceful: boolean, families?: readonly Family[], restartTime?: number): void {
    s.adjRibOut = null;
    s.negotiated = null;
    s.table = null;
    s.endOfRibDue = false;
    const keep = graceful && families !== undefined && families.length > 0 ? families : null;
    if (keep === null) {
      this.withdrawLater(
        s,
        () => {
          const rib = s.adjRibIn;
          s.adjRibIn = null;
          if (s.staleTimer !== undefined) clearTimeout(s.staleTimer);
          s.staleTimer = undefined;
          s.stale.clear();
          return rib === null ? [] : rib.clear();
        },
        s.adjRibIn?.size() ?? 0,
      );
      return;
    }
    this.queueIn(s, new StepJob(() => this.keepStale(s, keep, restartTime)));
  }

  /** RFC 4724 §4.2: the peer's routes of `families` stay, marked stale, for its restart time. */
  private keepStale(s: PeerState, families: readonly Family[], restartTime?: number): void {
    const rib = s.adjRibIn;
    if (rib === null) return;
    rib.markStale(families);
    for (const f of families) s.stale.add(f);
    // Routes of families the peer did not preserve leave now.
    const others = rib.families().filter((f) => !families.includes(f));
    if (others.length > 0) this.withdrawLater(s, () => rib.clear(others), rib.size());
    if (s.staleTimer !== undefined) clearTimeout(s.staleTimer);
    s.staleTimer = setTimeout(() => {
      s.staleTimer = undefined;
      const stale = [...s.stale];
      s.stale.clear();
      this.withdrawLater(s, () => stale.flatMap((f) => rib.purgeStale(f)), rib.staleCount());
      this.log('info', `neighbor ${s.handle.address}: restart time ${restartTime} s over, stale routes purged`, { neighbor: s.handle.address });
    }, (restartTime ?? 120) * 1000);
    this.log('info', `neighbor ${s.handle.address}: graceful restart, keeping ${rib.staleCount()} route(s) stale for ${restartTime} s`, { neighbor: s.handle.address });
  }

  // ---------------------------------------------------------------- out

  private onLocRibChange(change: LocRibChange): void {
    this.evpn.onLocRibChange(change);
    let any = false;
    for (const s of this.peers.values()) {
      if (s.adjRibOut === null) continue;
      // Never send a peer's own route back to it.
      const route = change.type === 'best' ? change.route : null;
      if (route !== null && route.peer !== null && route.peer.address === s.handle.address) {
        s.adjRibOut.withdraw(route.family, route.key);
      } else {
        s.adjRibOut.apply(change);
      }
      any = true;
    }
    if (any) this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      let more = false;
      // A congested peer keeps its changes queued (one per key) until 'writable'.
      for (const s of this.peers.values()) {
        if (s.adjRibOut === null || s.handle.congested || s.draining) continue;
        try {
          more = this.flushOut(s, s.adjRibOut) || more;
        } catch (e) {
          // Outside any socket callback: a throw here would end the process.
          this.log('error', `neighbor ${s.handle.address}: building UPDATEs failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}; resetting it`, { neighbor: s.handle.address });
          s.handle.reset('internal error');
        }
      }
      if (more) this.scheduleFlush();
    });
  }

  /**
   * One turn's output to a peer: at most OUTPUT_SLICE changes, or the next
   * batch of its first table (then End-of-RIB, RFC 4724 §2). A batch of the
   * table waits until the previous one left the socket's write buffer, so
   * the table goes at the pace the peer reads. True when more is left.
   */
  private flushOut(s: PeerState, out: AdjRibOut): boolean {
    if (s.table !== null) {
      let n = 0;
      for (let next = s.table.next(); ; next = s.table.next()) {
        if (next.done === true) {
          s.table = null;
          break;
        }
        out.advertise(next.value);
        if (++n >= OUTPUT_SLICE) break;
      }
    }
    if (s.table === null && s.endOfRibDue) {
      // The table's last batch (at most OUTPUT_SLICE of it still queued) and End-of-RIB.
      s.endOfRibDue = false;
      this.send(s, out.flush().concat(out.endOfRib()));
      return false;
    }
    this.send(s, out.flush(OUTPUT_SLICE));
    if (s.table === null && out.pendingCount === 0) return false;
    if (s.table !== null) {
      // Wait for the socket before the next batch of the table.
      s.draining = true;
      s.handle.onDrain(() => {
        s.draining = false;
        this.scheduleFlush();
      });
      return false;
    }
    return true;
  }

  private send(s: PeerState, messages: Buffer[]): void {
    if (messages.length === 0) return;
    s.messagesOut += messages.length;
    s.handle.sendUpdate(messages);
  }

  // ---------------------------------------------------------------- read-out

  neighbors(): NeighborStatus[] {
    const now = this.now();
    return [...this.peers.values()].map((s) => ({
      address: s.handle.address,
      peerAs: s.config.peerAs,
      state: s.handle.state.toLowerCase() as Lowercase<SessionState>,
      since: Math.max(0, Math.round((now - s.stateSince) / 1000)),
      routerId: s.ref?.routerId ?? null,
      families: s.negotiated?.families ?? [],
      received: s.adjRibIn?.size() ?? 0,
      accepted: s.adjRibIn?.acceptedCount() ?? 0,
      advertised: s.adjRibOut?.size() ?? 0,
      holdTime: s.negotiated?.holdTime ?? null,
      lastDown: s.lastDown,
      messages: { received: s.messagesIn, sent: s.messagesOut },
      outputQueued: s.handle.writableLength,
      prefixLimits: [...(s.limits?.limits ?? [])].map(([family, limit]) => ({
        family,
        received: s.adjRibIn?.size(family) ?? 0,
        maxPrefixes: limit.maxPrefixes,
        warningThreshold: warningThreshold(limit),
        exceeded: s.limitExceeded.get(family) ?? 0,
      })),
      dynamicRange: s.dynamicRange === null ? null : (this.config.dynamicNeighbors?.[s.dynamicRange]?.prefix ?? null),
    }));
  }

  /** Every path of a family in the Loc-RIB (best first per key), for `global rib`. */
  rib(family: Family): Array<{ route: Route; best: boolean }> {
    const out: Array<{ route: Route; best: boolean }> = [];
    for (const best of this.locRib.bests(family)) {
      out.push({ route: best, best: true });
      for (const p of this.locRib.paths(family, best.key)) if (p !== best) out.push({ route: p, best: false });
    }
    return out;
  }

  /** Cease / Administrative Shutdown to every peer, then close. */
  async stop(message = 'vxswitch shutting down'): Promise<void> {
    for (const s of this.peers.values()) {
      if (s.staleTimer !== undefined) clearTimeout(s.staleTimer);
      s.problemLog.close();
    }
    for (const l of this.evpnLogs.values()) l.close();
    await this.transport.close(message);
    // The sessions' routes queued for withdrawal go with the process (the dataplane closes after us).
    this.inbound.clear();
  }
}
