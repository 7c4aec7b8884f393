// The next-hop resolver: for each remote VTEP the dataplane watches, the
// egress interface, the next hop and both MACs (next-hop.ts), taken from the
// kernel's own tables over rtnetlink and kept current, so that the dataplane
// can write outer Ethernet + IP + UDP headers itself and send on the
// underlay through AF_PACKET. Slow path: nothing here runs per packet.
// How to use it, what the states mean, what was measured:
// docs/next-hop-resolver.md.
//
// How it stays current (rtnetlink(7)), on one socket (netlink-socket.ts):
// - It joins RTNLGRP_LINK, NEIGH, IPV4/IPV6 IFADDR, ROUTE and RULE, and
//   NEXTHOP (nexthop objects, which FRR uses: changing one sends no route
//   notification). NEXTHOP needs Linux 5.3 or later.
// - At open, and whenever the socket says it lost notifications (ENOBUFS),
//   it reads the link table and the IPv4 and IPv6 neighbour tables with
//   dumps (kernel-tables.ts), one at a time: the kernel runs one dump per
//   socket and refuses a second with EBUSY.
// - For each watched address it asks RTM_GETROUTE, the kernel's own lookup
//   (rtnetlink-requests.ts). Any notification other than a neighbour's
//   (route, address, rule, nexthop, link) may change those answers: once
//   the socket is drained it asks again for every watched address, the
//   requests packed into as few datagrams as fit. Neighbour notifications
//   only update the neighbour table.
// - After each drained batch every watched NextHop is put together again
//   and 'change' is emitted for each one that differs. A neighbour or link
//   notification reaches 'change' in the same event-loop turn; a route one
//   after one request/answer round trip to the kernel.
// - Every `refreshMs` it asks the routes again anyway, for changes that
//   send no notification at all.
//
// It never throws out of the socket's callback: a receive error, a message
// that does not decode, or a 'change' listener that throws becomes a
// warning (the 'warning' event and the `warn` option), and where what it
// knows may be stale, a full re-read. Multipath routes: see routeAnswer()
// in next-hop.ts (the kernel's own pick for the destination, one path).

import { EventEmitter } from 'node:events';
import { getSystemErrorName } from 'node:util';
import { formatIp, parseIp } from '../wire/ip-address.js';
import { extackMessage } from '../wire/netlink-error.js';
import * as netlinkHeader from '../wire/netlink-header.js';
import { NETLINK_HEADER_LENGTH, NetlinkFlag, align4 } from '../wire/netlink-header.js';
import * as rtnetlinkMessage from '../wire/rtnetlink-message.js';
import { RtmType, RtnlGroup } from '../wire/rtnetlink-message.js';
import { AddressFamily, RouteType } from '../wire/rtnetlink-route.js';
import { KernelTables, type DumpTable } from './kernel-tables.js';
import { NETLINK_RECEIVE_BUFFER, NetlinkSocket, isOverrun } from './netlink-socket.js';
import { composeNextHop, nextHopAddress, routeAnswer, sameNextHop, type NextHop, type RouteAnswer } from './next-hop.js';
import { linkDump, neighbourDump, neighbourUse, routeGet } from './rtnetlink-requests.js';

export type { NextHop, NextHopState } from './next-hop.js';

export interface NextHopResolverOptions {
  /** Follow the tables of this network namespace (a name under /run/netns, or a path). */
  netns?: string;
  /** Called for warnings; default: the 'warning' event only. */
  warn?: (message: string) => void;
  /** Ask every watched route again this often even without a notification (ms; default 30 000; 0: never). */
  refreshMs?: number;
  /** How long open() waits for the first link and neighbour dumps (ms; default 5 000). */
  openTimeoutMs?: number;
  /** The socket's receive buffer (bytes; default 8 MiB, netlink.c; at least 128 KiB). */
  rcvbuf?: number;
}

export interface NextHopResolverEvents {
  /** A watched address's NextHop differs from the one last returned or emitted. */
  change: [hop: NextHop];
  warning: [message: string];
}

export interface NextHopResolverStats {
  datagrams: number;
  messages: number;
  /** Times the socket lost notifications (ENOBUFS) or a datagram (EMSGSIZE). */
  overruns: number;
  /** Full re-reads of the tables, the one at open included. */
  resyncs: number;
  routeRequests: number;
  nudges: number;
  warnings: number;
}

interface Watch {
  readonly address: string;
  /** Sequence number of the route request in flight (0: none yet). */
  seq: number;
  /** The kernel's last answer; undefined until the first. */
  answer: RouteAnswer | undefined;
  hop: NextHop;
}

interface RunningDump {
  readonly table: DumpTable;
  readonly seq: number;
  interrupted: boolean;
}

const GROUPS = [
  RtnlGroup.Link,
  RtnlGroup.Neigh,
  RtnlGroup.Ipv4Ifaddr,
  RtnlGroup.Ipv4Route,
  RtnlGroup.Ipv4Rule,
  RtnlGroup.Ipv6Ifaddr,
  RtnlGroup.Ipv6Route,
  RtnlGroup.Ipv6Rule,
  RtnlGroup.Nexthop,
];
const DUMPS: readonly DumpTable[] = ['links', 'neighbours4', 'neighbours6'];
/** Datagrams read per callback; the rest wait for the next loop turn (polling is level-triggered). */
const MAX_DATAGRAMS_PER_TURN = 256;
/** The least time between two re-reads of the tables. */
const RESYNC_INTERVAL_MS = 1_000;
/** A dump's datagram (up to 32 KiB, netlink_dump()) must fit the receive buffer with room to spare, or each dump ends in ENOBUFS. */
const MIN_RCVBUF = 128 * 1024;

function errnoName(error: number): string {
  try {
    return getSystemErrorName(error);
  } catch {
    return `errno ${-error}`;
  }
}

/** The canonical text of an address (what NextHop.address holds); TypeError when it is not one. */
function canonical(address: string): string {
  return formatIp(parseIp(address));
}

export class NextHopResolver extends EventEmitter<NextHopResolverEvents> {
  private readonly sock: NetlinkSocket;
  private readonly rx = Buffer.alloc(NETLINK_RECEIVE_BUFFER);
  private readonly tables = new KernelTables();
  private readonly watches = new Map<string, Watch>();
  /** Route requests in flight: sequence number -> watched address (superseded ones too, until answered or pruned). */
  private readonly routeAsks = new Map<number, string>();
  /** Nudges in flight: sequence number -> the next hop nudged. */
  private readonly nudgeAsks = new Map<number, string>();
  private dump: RunningDump | undefined;
  private dumpQueue: DumpTable[] = [];
  /** A re-read was asked for while a dump ran: it starts when that one ends. */
  private resyncPending = false;
  private routesDirty = false;
  private flushScheduled = false;
  private closed = false;
  private readonly warnFn: ((message: string) => void) | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private retryTimer: NodeJS.Timeout | undefined;
  private lastResyncAt = -Infinity;
  /** Why a re-read is due, and how many reasons came since the last one. */
  private resyncWhy: string | undefined;
  private resyncWhyCount = 0;
  private firstSync: { resolve: () => void; reject: (e: Error) => void } | undefined;
  private readonly counters: NextHopResolverStats = {
    datagrams: 0,
    messages: 0,
    overruns: 0,
    resyncs: 0,
    routeRequests: 0,
    nudges: 0,
    warnings: 0,
  };

  private constructor(options: NextHopResolverOptions, synced: NonNullable<NextHopResolver['firstSync']>) {
    super();
    this.warnFn = options.warn;
    this.firstSync = synced;
    const socketOptions: { netns?: string; rcvbuf?: number } = {};
    if (options.netns !== undefined) socketOptions.netns = options.netns;
    if (options.rcvbuf !== undefined) socketOptions.rcvbuf = options.rcvbuf;
    this.sock = NetlinkSocket.open(GROUPS, socketOptions);
    this.sock.onReadable((err) => this.onReadable(err));
    const refreshMs = options.refreshMs ?? 30_000;
    if (refreshMs > 0) {
      this.timers.push(
        setInterval(() => {
          this.routesDirty = true;
          this.settle();
        }, refreshMs).unref(),
      );
    }
    this.resync();
    this.settle();
  }

  /**
   * Open the socket (in options.netns) and read the link and neighbour
   * tables. Rejects when the addon is missing, the kernel refuses the
   * socket, or the first read does not finish within openTimeoutMs.
   */
  static open(options: NextHopResolverOptions = {}): Promise<NextHopResolver> {
    const timeoutMs = options.openTimeoutMs ?? 5_000;
    if (options.rcvbuf !== undefined && !(options.rcvbuf >= MIN_RCVBUF)) {
      return Promise.reject(new RangeError(`rcvbuf must be at least ${MIN_RCVBUF} bytes, got ${options.rcvbuf}`));
    }
    return new Promise((resolve, reject) => {
      let resolver: NextHopResolver | undefined;
      const timer = setTimeout(() => {
        resolver?.close();
        reject(new Error(`next-hop resolver: the kernel did not answer the link and neighbour dumps within ${timeoutMs} ms`));
      }, timeoutMs);
      try {
        resolver = new NextHopResolver(options, {
          resolve: () => {
            clearTimeout(timer);
            resolve(resolver!);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
      } catch (e) {
        clearTimeout(timer);
        reject(e as Error);
      }
    });
  }

  /**
   * Start following `address` (IPv4 or IPv6; TypeError otherwise) and return
   * what is known now: 'unresolved' with ifindex 0 until the kernel answers,
   * then a 'change'. Watching an address twice returns its current NextHop.
   */
  watch(address: string): NextHop {
    const a = canonical(address);
    const known = this.watches.get(a);
    if (known) return known.hop;
    const w: Watch = { address: a, seq: 0, answer: undefined, hop: composeNextHop(a, undefined, undefined, undefined) };
    this.watches.set(a, w);
    if (!this.closed) {
      this.ask(w);
      this.scheduleFlush();
    }
    return w.hop;
  }

  unwatch(address: string): void {
    const a = this.find(address);
    if (!a) return;
    this.routeAsks.delete(a.seq);
    this.watches.delete(a.address);
  }

  get(address: string): NextHop | undefined {
    return this.find(address)?.hop;
  }

  /**
   * Make the kernel resolve the next hop of a watched address now, for when
   * nothing sends through the kernel to it (the dataplane's raw-IP path
   * does that in normal operation): RTM_NEWNEIGH with NTF_USE on the
   * gateway, or the VTEP when on-link (rtnetlink-requests.ts). A
   * neighbour notification, and with it a 'change', follows once it
   * resolves. Returns false, sending nothing, when the address is not
   * watched or has no unicast route yet.
   */
  nudge(address: string): boolean {
    const w = this.find(address);
    const answer = w?.answer;
    if (!w || !answer?.reachable || answer.type !== RouteType.Unicast || this.closed) return false;
    const next = nextHopAddress(w.address, answer)!;
    const seq = this.sock.nextSeq();
    this.nudgeAsks.set(seq, next);
    this.sock.queue(neighbourUse(next, answer.ifindex, seq));
    this.counters.nudges++;
    this.scheduleFlush();
    return true;
  }

  stats(): NextHopResolverStats {
    return { ...this.counters };
  }

  /** Stop following; the NextHops stay readable with get(). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.retryTimer);
    this.sock.close();
    this.routeAsks.clear();
    this.nudgeAsks.clear();
    this.firstSync?.reject(new Error('next-hop resolver: closed before the tables were read'));
    this.firstSync = undefined;
  }

  // ---------------------------------------------------------------- socket

  private find(address: string): Watch | undefined {
    const w = this.watches.get(address);
    if (w) return w;
    try {
      return this.watches.get(canonical(address));
    } catch {
      return undefined;
    }
  }

  private onReadable(err: Error | null): void {
    if (this.closed) return;
    try {
      if (err) this.onSocketError(err);
      for (let i = 0; i < MAX_DATAGRAMS_PER_TURN; i++) {
        let n: number;
        try {
          n = this.sock.receive(this.rx);
        } catch (e) {
          this.onSocketError(e);
          continue;
        }
        if (n === 0) break;
        this.onDatagram(n);
      }
    } catch (e) {
      this.requestResync((e as Error).message);
    }
    this.settle();
  }

  private onSocketError(err: unknown): void {
    if (isOverrun(err)) {
      this.counters.overruns++;
      this.requestResync(`notifications were lost (${(err as Error).message})`);
    } else {
      this.requestResync((err as Error).message);
    }
  }

  private onDatagram(n: number): void {
    this.counters.datagrams++;
    const datagram = this.rx.subarray(0, n);
    for (let o = 0; o < n; ) {
      let h: netlinkHeader.NetlinkHeader;
      try {
        h = netlinkHeader.decode(datagram, o);
        if (o + h.length > n) throw new Error(`message of ${h.length} bytes at ${o} overruns the ${n}-byte datagram`);
      } catch (e) {
        // Without a header there is no telling where the next message starts.
        this.requestResync(`a datagram did not decode (${(e as Error).message})`);
        return;
      }
      this.counters.messages++;
      try {
        this.onMessage(datagram, o, h);
      } catch (e) {
        this.warn(`rtnetlink: skipped a message of type ${h.type}: ${(e as Error).message}`);
      }
      o += Math.max(NETLINK_HEADER_LENGTH, align4(h.length));
    }
  }

  private onMessage(datagram: Buffer, offset: number, h: netlinkHeader.NetlinkHeader): void {
    const ours = h.pid === this.sock.portId && h.seq !== 0;
    const inDump = ours && this.dump !== undefined && h.seq === this.dump.seq;
    if (inDump && h.flags & NetlinkFlag.DumpIntr) this.dump!.interrupted = true;
    switch (rtnetlinkMessage.kindOf(h.type)) {
      case 'route':
        // This socket changes no routes: a route message with its port id
        // answers one of its requests (or an older one, asked again since).
        if (!ours) this.routesDirty = true;
        else if (this.routeAsks.has(h.seq)) {
          const m = rtnetlinkMessage.decode(datagram, offset);
          if (m.kind === 'route') this.onRouteAnswer(h.seq, routeAnswer(m.body));
        }
        return;
      case 'link':
        if (!inDump) this.routesDirty = true;
        break;
      case 'neighbour':
      case 'error':
      case 'done':
        break;
      default:
        // An address, rule or nexthop object changed: any route answer may have.
        this.routesDirty = true;
        return;
    }
    const m = rtnetlinkMessage.decode(datagram, offset);
    switch (m.kind) {
      case 'link':
        this.tables.applyLink(m.body, m.type === RtmType.DelLink);
        break;
      case 'neighbour':
        this.tables.applyNeighbour(m.body, m.type === RtmType.DelNeigh);
        break;
      case 'error':
        if (ours) this.onError(m.seq, m.body.error, extackMessage(m.body.extack));
        break;
      case 'done':
        if (inDump) this.onDumpEnd(m.body.error === 0 ? undefined : errnoName(m.body.error));
        break;
      default:
        break;
    }
  }

  /**
   * The answer to route request `seq`. Answers come in the order the kernel
   * made them (it answers each request as it receives it, into this one
   * socket's queue), so the one that arrives last is the newest, whichever
   * request it answers.
   */
  private onRouteAnswer(seq: number, answer: RouteAnswer): void {
    const address = this.routeAsks.get(seq)!;
    this.routeAsks.delete(seq);
    const w = this.watches.get(address);
    if (w) w.answer = answer;
  }

  /**
   * NLMSG_ERROR for one of our requests. One whose sequence number is not
   * known any more answers a request from before a re-read: ignored.
   */
  private onError(seq: number, error: number, why: string | undefined): void {
    const detail = `${errnoName(error)}${why ? `: ${why}` : ''}`;
    if (this.routeAsks.has(seq)) {
      // No route (ENETUNREACH), or one that drops (blackhole EINVAL, prohibit EACCES, unreachable EHOSTUNREACH).
      this.onRouteAnswer(seq, { reachable: false });
    } else if (this.nudgeAsks.has(seq)) {
      const next = this.nudgeAsks.get(seq);
      this.nudgeAsks.delete(seq);
      if (error !== 0) this.warn(`rtnetlink: the kernel refused to resolve ${next} (${detail})`);
    } else if (this.dump && seq === this.dump.seq) {
      this.onDumpEnd(detail);
    }
  }

  // ---------------------------------------------------------------- dumps

  /** Read the link and neighbour tables again, then ask every route again. */
  private resync(): void {
    if (this.closed) return;
    this.routesDirty = true;
    if (this.dump) {
      this.resyncPending = true;
      return;
    }
    this.counters.resyncs++;
    this.lastResyncAt = performance.now();
    this.pruneAsks();
    this.dumpQueue = [...DUMPS];
    this.startNextDump();
  }

  private startNextDump(): void {
    const table = this.dumpQueue.shift();
    if (table === undefined) {
      this.firstSync?.resolve();
      this.firstSync = undefined;
      return;
    }
    const seq = this.sock.nextSeq();
    this.dump = { table, seq, interrupted: false };
    this.tables.startDump(table);
    this.sock.queue(
      table === 'links' ? linkDump(seq) : neighbourDump(table === 'neighbours4' ? AddressFamily.Inet : AddressFamily.Inet6, seq),
    );
  }

  /** The running dump ended: cleanly (failure undefined) or not. */
  private onDumpEnd(failure: string | undefined): void {
    const d = this.dump!;
    this.dump = undefined;
    this.tables.endDump(d.table, failure === undefined && !d.interrupted);
    if (failure !== undefined) this.requestResync(`the ${d.table} dump failed (${failure})`);
    if (this.resyncPending) {
      this.resyncPending = false;
      this.resync();
      return;
    }
    // The table changed while it was read: read it again.
    if (d.interrupted && failure === undefined) this.dumpQueue.unshift(d.table);
    this.startNextDump();
  }

  /**
   * Read the tables again: now, or RESYNC_INTERVAL_MS after the last
   * re-read started. The wait keeps a socket that keeps overflowing (or a
   * dump that keeps failing) from re-reading back to back; the warning
   * says why, once per re-read.
   */
  private requestResync(why: string): void {
    if (this.closed) return;
    this.resyncWhy ??= why;
    this.resyncWhyCount++;
    const wait = this.lastResyncAt + RESYNC_INTERVAL_MS - performance.now();
    if (wait <= 0) {
      this.resyncNow();
    } else if (!this.retryTimer) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.resyncNow();
        this.settle();
      }, wait);
      this.retryTimer.unref();
    }
  }

  private resyncNow(): void {
    const more = this.resyncWhyCount - 1;
    this.warn(`rtnetlink: ${this.resyncWhy ?? 'stale'}${more > 0 ? ` (and ${more} more since)` : ''}; reading the tables again`);
    this.resyncWhy = undefined;
    this.resyncWhyCount = 0;
    this.resync();
  }

  /** Requests whose answers were lost would stay in flight forever: forget all but each watch's latest. */
  private pruneAsks(): void {
    this.nudgeAsks.clear();
    const latest = new Set([...this.watches.values()].map((w) => w.seq));
    for (const seq of this.routeAsks.keys()) if (!latest.has(seq)) this.routeAsks.delete(seq);
  }

  // ---------------------------------------------------------------- routes and changes

  private ask(w: Watch): void {
    // The request in flight stays in routeAsks until its answer comes, which onRouteAnswer then drops.
    w.seq = this.sock.nextSeq();
    this.routeAsks.set(w.seq, w.address);
    this.sock.queue(routeGet(w.address, w.seq));
    this.counters.routeRequests++;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // After the caller's synchronous burst (a loop of watch() calls): one datagram for all.
    queueMicrotask(() => {
      this.flushScheduled = false;
      this.settle();
    });
  }

  /** Ask routes if needed, send what is queued, and emit what changed. Never throws. */
  private settle(): void {
    if (this.closed) return;
    try {
      if (this.routesDirty) {
        this.routesDirty = false;
        for (const w of this.watches.values()) this.ask(w);
      }
      this.sock.flush();
    } catch (e) {
      this.requestResync(`a request could not be sent (${(e as Error).message})`);
    }
    for (const w of this.watches.values()) {
      const answer = w.answer;
      const ifindex = answer?.reachable ? answer.ifindex : 0;
      const next = answer ? nextHopAddress(w.address, answer) : undefined;
      const hop = composeNextHop(
        w.address,
        answer,
        this.tables.link(ifindex),
        next === undefined ? undefined : this.tables.neighbour(ifindex, next),
      );
      if (sameNextHop(hop, w.hop)) continue;
      w.hop = hop;
      try {
        this.emit('change', hop);
      } catch (e) {
        this.warn(`a 'change' listener threw: ${(e as Error).message}`);
      }
    }
  }

  private warn(message: string): void {
    this.counters.warnings++;
    try {
      this.warnFn?.(message);
      if (this.listenerCount('warning') > 0) this.emit('warning', message);
    } catch {
      // A throwing warning handler must not end the socket's callback either.
    }
  }
}
