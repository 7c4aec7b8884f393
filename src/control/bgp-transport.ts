// The thin TCP layer around the sans-IO peers (bgp-peer.ts): it executes
// their actions with node:net and setTimeout, and turns socket events and
// expired timers back into their inputs. All protocol decisions stay in the
// peers; nothing here parses BGP.
//
// - Outgoing connections: net.connect (source address/port optional), or,
//   for a neighbor with auth-password (TCP MD5, RFC 2385) or ttl-security
//   (GTSM, RFC 5082), the addon's pre-configured connect (tcp-security.ts).
// - One listener per listen address (all addresses by default; port 0 picks
//   one, shared by the others) hands an accepted connection to the neighbor
//   whose neighbor-address is the connection's source, or to one the
//   speaker creates for it (dynamic neighbors); anything else is closed at
//   once, logged at most once per interval with a count (anyone who can
//   reach the port can cause these: a line each would flood the log). MD5 keys of the
//   neighbors are installed on the listening socket (the kernel then drops
//   unsigned or badly signed SYNs from them); with any GTSM neighbor the
//   listener sends with TTL 255, and an accepted GTSM connection drops
//   packets below TTL 255 from then on.
// - Timers are unref'd setTimeouts: they never keep the process alive alone.
// - A peer's I/O actions run before its events reach the handler, so a
//   handler that sends (say, UPDATEs on 'established') sends after what
//   the session itself had to send.
// - The writes of one batch share one completion callback: when the last
//   of them reached TCP the peer gets 'written' (its SendHoldTimer, RFC
//   9687, and its output-queue accounting run on that).
// - Nothing a peer sends may end the process: peer input, timers and the
//   speaker's requests run under a guard that logs an unexpected exception
//   with its stack and resets that neighbor (Cease / Out of Resources); a
//   handler failing on a received UPDATE or ROUTE-REFRESH resets the
//   neighbor too, so the routes are learned again instead of half applied.

import net from 'node:net';
import { CeaseSubcode } from '../wire/bgp-error-codes.js';
import type { BgpUpdate } from '../wire/bgp-update.js';
import { formatIpv6, parseIpv6 } from '../wire/ip-address.js';
import { DEFAULT_ENV, type LogLevel, type SessionEnv, type SessionState, type TimerName } from './bgp-fsm.js';
import { BgpPeer, DEFAULT_BGP_PORT, type PeerAction, type PeerConfig, type PeerEvent, type PeerInput, type PeerStopOptions } from './bgp-peer.js';
import type { Negotiated } from './capability-negotiation.js';
import { ThrottledLog } from './repeated-event-log.js';
import { connectSecure, setTcpMd5, setTtlSecurity } from './tcp-security.js';

export interface TransportOptions {
  /** Listen address(es) (default: all addresses, IPv6 and IPv4): one listener each, on the same port. */
  listenAddress?: string | readonly string[];
  /** Listen port (default 179; 0 = any free port, for tests). */
  listenPort?: number;
  /** Clock and random source for the peers (tests inject them). */
  env?: SessionEnv;
  /** The transport's own log lines (unknown connections, socket option failures). */
  log?: (level: LogLevel, message: string) => void;
  /** Refused connections are logged at most once per this many ms, with a count (default 60 s). */
  refusedLogIntervalMs?: number;
  /**
   * A connection came from an address that is no neighbor: add one for it
   * (dynamic neighbors, with addPeer) and return null, or return why not.
   */
  unknownPeer?: (address: string) => string | null;
}

export type PeerEventHandler = (event: PeerEvent) => void;

/** What the speaker holds for one neighbor. */
export interface PeerHandle {
  readonly address: string;
  readonly peer: BgpPeer;
  readonly state: SessionState;
  readonly negotiated: Negotiated | null;
  /** Bytes queued on the session's socket, not yet written (for pacing a large table). */
  readonly writableLength: number;
  /** The session's output queue is above its high-water mark: hold UPDATEs until a 'writable' event. */
  readonly congested: boolean;
  /**
   * Stop reading the neighbor's socket (TCP's window then holds what it
   * sends) until resumeInput(): the speaker does this while it has more of
   * its UPDATEs queued than it wants to hold.
   */
  pauseInput(): void;
  resumeInput(): void;
  /** Call `then` once the session socket's write buffer drained (on the next turn when nothing is waiting). */
  onDrain(then: () => void): void;
  start(): void;
  /** Cease / Administrative Shutdown (RFC 9003 message optional), then closed; not restarted. */
  stop(message?: string): void;
  /** Cease / Administrative Reset, then started again. */
  reset(message?: string): void;
  sendUpdate(updates: Buffer | BgpUpdate | ReadonlyArray<Buffer | BgpUpdate>): void;
  sendRouteRefresh(afi: number, safi: number, subtype?: number): void;
  /** Stop with a chosen Cease subcode and data (a prefix limit), optionally starting again after restartAfter seconds. */
  shutdown(options: PeerStopOptions): void;
}

interface Slot {
  address: string;
  config: PeerConfig;
  peer: BgpPeer;
  onEvent: PeerEventHandler;
  sockets: Map<number, net.Socket>;
  connecting: Map<number, { cancel(): void }>;
  timers: Map<string, NodeJS.Timeout>;
  removed: boolean;
  /** pauseInput() is in force: sockets stay paused after a read. */
  inputHeld: boolean;
}

/** The writes of one execute() on one socket, with their shared completion callback. */
interface WriteBatch {
  bytes: number;
  writes: number;
  callback: (err?: Error | null) => void;
}

/** How long a closing socket may take to flush its last NOTIFICATION before it is destroyed. */
const CLOSE_GRACE_MS = 2000;
const DEFAULT_REFUSED_LOG_INTERVAL_MS = 60_000;

/** Canonical text of an address, as a map key: IPv4-mapped IPv6 becomes IPv4. */
export function canonicalAddress(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  return net.isIPv6(address) ? formatIpv6(parseIpv6(address)) : address;
}

export class BgpTransport {
  private readonly options: TransportOptions;
  private readonly slots = new Map<string, Slot>();
  private servers: net.Server[] = [];
  private readonly closing = new Set<net.Socket>();
  private readonly refused: ThrottledLog;

  constructor(options: TransportOptions = {}) {
    this.options = options;
    this.refused = new ThrottledLog(
      options.refusedLogIntervalMs ?? DEFAULT_REFUSED_LOG_INTERVAL_MS,
      (text) => this.log('info', text),
      (count, last, seconds) => `${count} more connection(s) refused in the last ${seconds} s; the last: ${last}`,
    );
  }

  /** The (first) listener's address once listening. */
  get address(): net.AddressInfo | null {
    return this.addresses[0] ?? null;
  }

  /** Every listener's address. */
  get addresses(): net.AddressInfo[] {
    const out: net.AddressInfo[] = [];
    for (const server of this.servers) {
      const a = server.address();
      if (a !== null && typeof a === 'object') out.push(a);
    }
    return out;
  }

  private log(level: LogLevel, message: string): void {
    this.options.log?.(level, message);
  }

  /**
   * Add a neighbor; it starts at once unless `start` is false (gobgp's
   * admin-down). Throws on a bad config or a neighbor that exists.
   */
  addPeer(config: PeerConfig, onEvent: PeerEventHandler, options: { start?: boolean } = {}): PeerHandle {
    const address = canonicalAddress(config.neighborAddress);
    if (this.slots.has(address)) throw new Error(`neighbor ${address} is already configured`);
    const peer = new BgpPeer(config, this.options.env ?? DEFAULT_ENV);
    const slot: Slot = {
      address,
      config,
      peer,
      onEvent,
      sockets: new Map(),
      connecting: new Map(),
      timers: new Map(),
      removed: false,
      inputHeld: false,
    };
    this.slots.set(address, slot);
    this.secureListener(slot, true);
    const handle: PeerHandle = {
      address,
      peer,
      get state() {
        return peer.state;
      },
      get negotiated() {
        return peer.negotiated;
      },
      get writableLength() {
        let n = 0;
        for (const s of slot.sockets.values()) n += s.writableLength;
        return n;
      },
      get congested() {
        return peer.congested;
      },
      pauseInput: () => {
        slot.inputHeld = true;
      },
      resumeInput: () => {
        if (!slot.inputHeld) return;
        slot.inputHeld = false;
        for (const sock of slot.sockets.values()) if (!sock.destroyed && sock.isPaused()) sock.resume();
      },
      onDrain: (then) => {
        for (const sock of slot.sockets.values()) {
          if (!sock.destroyed && sock.writableNeedDrain) {
            sock.once('drain', then);
            return;
          }
        }
        setImmediate(then);
      },
      start: () => this.guard(slot, 'start', () => peer.start()),
      stop: (message) => this.guard(slot, 'stop', () => peer.stop(message === undefined ? {} : { message })),
      reset: (message) => this.guard(slot, 'reset', () => peer.reset(message)),
      sendUpdate: (updates) => this.guard(slot, 'send-update', () => peer.sendUpdate(updates)),
      sendRouteRefresh: (afi, safi, subtype) => this.guard(slot, 'send-route-refresh', () => peer.sendRouteRefresh(afi, safi, subtype)),
      shutdown: (options) => this.guard(slot, 'shutdown', () => peer.stop(options)),
    };
    if (options.start !== false) handle.start();
    return handle;
  }

  /** Stop a neighbor with Cease / Peer De-configured (RFC 4486) and forget it. */
  removePeer(address: string): void {
    const slot = this.slots.get(canonicalAddress(address));
    if (slot === undefined) return;
    this.execute(slot, slot.peer.stop({ subcode: CeaseSubcode.PeerDeconfigured }));
    this.forget(slot);
  }

  /** The handle-less view of a configured neighbor's peer (for display). */
  peer(address: string): BgpPeer | undefined {
    return this.slots.get(canonicalAddress(address))?.peer;
  }

  /** Listen on every listen address (on a failure, the listeners opened so far are closed). */
  async listen(): Promise<net.AddressInfo> {
    if (this.servers.length > 0) throw new Error('already listening');
    const a = this.options.listenAddress;
    const hosts: ReadonlyArray<string | undefined> = a === undefined ? [undefined] : typeof a === 'string' ? [a] : a.length > 0 ? a : [undefined];
    let port = this.options.listenPort ?? DEFAULT_BGP_PORT;
    try {
      for (const host of hosts) {
        // Port 0 (tests): the first listener picks a port, the others share it.
        port = (await this.listenOn(host, port)).port;
      }
    } catch (e) {
      const opened = this.servers;
      this.servers = [];
      await Promise.all(opened.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      throw e;
    }
    for (const slot of this.slots.values()) this.secureListener(slot, true);
    return this.address!;
  }

  private listenOn(host: string | undefined, port: number): Promise<net.AddressInfo> {
    const server = net.createServer({ noDelay: true }, (socket) => this.onIncoming(socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(host === undefined ? { port } : { port, host }, () => {
        server.off('error', reject);
        server.on('error', (e) => this.log('error', `BGP listener: ${e.message}`));
        this.servers.push(server);
        resolve(server.address() as net.AddressInfo);
      });
    });
  }

  /** Stop every neighbor (Cease / Administrative Shutdown) and the listener; resolves when sockets are closed. */
  async close(message?: string): Promise<void> {
    for (const slot of [...this.slots.values()]) {
      this.execute(slot, slot.peer.stop(message === undefined ? {} : { message }));
      this.forget(slot);
    }
    const servers = this.servers;
    this.servers = [];
    this.refused.close();
    const waits: Array<Promise<void>> = [...this.closing].map(
      (s) => new Promise<void>((resolve) => (s.destroyed ? resolve() : s.once('close', () => resolve()))),
    );
    for (const server of servers) waits.push(new Promise<void>((resolve) => server.close(() => resolve())));
    await Promise.all(waits);
  }

  // ------------------------------------------------------------ executing actions

  /**
   * Run a peer call and execute its actions. An exception (a bug: the
   * peers turn every protocol error into a NOTIFICATION) is logged with its
   * stack and resets the neighbor; it never reaches a socket callback.
   */
  private guard(slot: Slot, what: string, call: () => PeerAction[]): void {
    let actions: PeerAction[];
    try {
      actions = call();
    } catch (e) {
      this.internalError(slot, what, e);
      return;
    }
    this.execute(slot, actions);
  }

  /** Log the stack and reset the neighbor: Cease / Out of Resources (RFC 4486 §4), then started again. */
  private internalError(slot: Slot, what: string, e: unknown): void {
    this.log('error', `neighbor ${slot.address}: ${what} threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}; resetting the neighbor`);
    if (slot.removed) return;
    try {
      const wasStarted = slot.peer.isStarted;
      const actions = slot.peer.stop({ subcode: CeaseSubcode.OutOfResources });
      this.execute(slot, wasStarted ? actions.concat(slot.peer.start()) : actions);
    } catch (again) {
      this.log('error', `neighbor ${slot.address}: reset failed too: ${again instanceof Error ? again.message : String(again)}`);
    }
  }

  private execute(slot: Slot, actions: readonly PeerAction[]): void {
    const events: PeerEvent[] = [];
    const corked: net.Socket[] = [];
    const batches = new Map<net.Socket, WriteBatch>();
    for (const a of actions) {
      switch (a.type) {
        case 'connect':
          this.connect(slot, a.conn, a);
          break;
        case 'send': {
          const s = slot.sockets.get(a.conn);
          if (s === undefined || s.destroyed) break;
          if (!corked.includes(s)) {
            s.cork();
            corked.push(s);
          }
          let batch = batches.get(s);
          if (batch === undefined) {
            batch = this.writeBatch(slot, a.conn, s);
            batches.set(s, batch);
          }
          batch.bytes += a.data.length;
          batch.writes++;
          s.write(a.data, batch.callback);
          break;
        }
        case 'close':
          this.closeConnection(slot, a.conn);
          break;
        case 'start-timer':
          this.startTimer(slot, a.conn, a.timer, a.ms);
          break;
        case 'stop-timer': {
          const key = `${a.conn}/${a.timer}`;
          const t = slot.timers.get(key);
          if (t !== undefined) clearTimeout(t);
          slot.timers.delete(key);
          break;
        }
        default:
          events.push(a);
      }
    }
    for (const s of corked) s.uncork();
    let failed: { type: string; err: unknown } | null = null;
    for (const e of events) {
      try {
        slot.onEvent(e);
      } catch (err) {
        // One neighbor's handler failing must not take the transport down.
        if (e.type === 'update' || e.type === 'route-refresh') failed ??= { type: e.type, err };
        else this.log('error', `neighbor ${slot.address}: ${e.type} handler threw: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      }
    }
    // Half of an UPDATE applied is worse than a reset: the peer sends it all again.
    if (failed !== null) this.internalError(slot, `${failed.type} handler`, failed.err);
  }

  /**
   * A batch of writes with one completion callback: Node calls it once per
   * write when that chunk reached TCP; after the last one the peer learns
   * the batch's bytes are out (RFC 9687 SendHoldTimer, output accounting).
   */
  private writeBatch(slot: Slot, conn: number, socket: net.Socket): WriteBatch {
    let done = 0;
    const batch: WriteBatch = {
      bytes: 0,
      writes: 0,
      callback: (err?: Error | null): void => {
        if (++done < batch.writes || err != null) return;
        if (slot.sockets.get(conn) === socket) this.input(slot, { type: 'written', conn, bytes: batch.bytes });
      },
    };
    return batch;
  }

  /** Feed an input to the peer and run what it answers. */
  private input(slot: Slot, input: PeerInput): void {
    if (slot.removed) return;
    this.guard(slot, input.type, () => slot.peer.handle(input));
  }

  private startTimer(slot: Slot, conn: number, timer: TimerName, ms: number): void {
    const key = `${conn}/${timer}`;
    const old = slot.timers.get(key);
    if (old !== undefined) clearTimeout(old);
    const t = setTimeout(() => {
      if (slot.timers.get(key) !== t) return;
      slot.timers.delete(key);
      this.input(slot, { type: 'timer', conn, timer });
    }, ms);
    t.unref();
    slot.timers.set(key, t);
  }

  private connect(slot: Slot, conn: number, a: { remoteAddress: string; remotePort: number; localAddress?: string; localPort?: number }): void {
    this.closeConnection(slot, conn);
    const c = slot.config;
    if (c.authPassword !== undefined || c.ttlSecurity === true) {
      const options: Parameters<typeof connectSecure>[0] = { remoteAddress: a.remoteAddress, remotePort: a.remotePort };
      if (a.localAddress !== undefined) options.localAddress = a.localAddress;
      if (a.localPort !== undefined) options.localPort = a.localPort;
      if (c.authPassword !== undefined) options.md5Password = c.authPassword;
      if (c.ttlSecurity === true) options.ttlSecurity = true;
      let attempt: { cancel(): void } | undefined;
      try {
        attempt = connectSecure(options, (err, socket) => {
          if (slot.connecting.get(conn) !== attempt) {
            socket?.destroy();
            return;
          }
          slot.connecting.delete(conn);
          if (err !== null || socket === undefined) {
            this.input(slot, { type: 'tcp-failed', conn, reason: `connect: ${err?.message ?? 'failed'}` });
            return;
          }
          this.attach(slot, conn, socket);
          this.input(slot, { type: 'tcp-connected', conn });
        });
      } catch (e) {
        const reason = `connect: ${(e as Error).message}`;
        const failed = { cancel(): void {} };
        slot.connecting.set(conn, failed);
        // Reported on the next turn: the peer is still handing out actions.
        setImmediate(() => {
          if (slot.connecting.get(conn) !== failed) return;
          slot.connecting.delete(conn);
          this.input(slot, { type: 'tcp-failed', conn, reason });
        });
        return;
      }
      slot.connecting.set(conn, attempt);
      return;
    }
    const options: net.NetConnectOpts = { host: a.remoteAddress, port: a.remotePort, noDelay: true };
    if (a.localAddress !== undefined) options.localAddress = a.localAddress;
    if (a.localPort !== undefined) options.localPort = a.localPort;
    const socket = net.connect(options);
    this.attach(slot, conn, socket);
    socket.once('connect', () => {
      if (slot.sockets.get(conn) === socket) this.input(slot, { type: 'tcp-connected', conn });
    });
  }

  /** Wire a socket's events to connection `conn` of the slot (only while it is that connection's socket). */
  private attach(slot: Slot, conn: number, socket: net.Socket): void {
    slot.sockets.set(conn, socket);
    socket.setNoDelay(true);
    socket.on('data', (data: Buffer) => {
      if (slot.sockets.get(conn) !== socket) return;
      this.input(slot, { type: 'bytes', conn, data });
      // One read per turn of the event loop: a peer's full table arrives as
      // many 64 KB reads that libuv delivers back to back, and the dataplane
      // forwards on this same loop. Pausing here lets frames through between
      // chunks (the rest stays in the socket buffer, then TCP's window).
      // While the speaker holds input (pauseInput) it stays paused.
      socket.pause();
      setImmediate(() => {
        if (!socket.destroyed && !slot.inputHeld) socket.resume();
      });
    });
    const fail = (reason: string): void => {
      if (slot.sockets.get(conn) !== socket) return;
      slot.sockets.delete(conn);
      socket.destroy();
      this.input(slot, { type: 'tcp-failed', conn, reason });
    };
    socket.on('error', (e: NodeJS.ErrnoException) => fail(e.message));
    socket.on('end', () => fail('the peer closed the connection'));
    socket.on('close', () => fail('connection closed'));
  }

  private closeConnection(slot: Slot, conn: number): void {
    const attempt = slot.connecting.get(conn);
    if (attempt !== undefined) {
      slot.connecting.delete(conn);
      attempt.cancel();
    }
    const socket = slot.sockets.get(conn);
    if (socket === undefined) return;
    slot.sockets.delete(conn);
    if (socket.destroyed) return;
    if (socket.connecting) {
      // An attempt still in its handshake: nothing to flush.
      socket.destroy();
      return;
    }
    // end() flushes what is queued (the NOTIFICATION) before the FIN.
    this.closing.add(socket);
    socket.once('close', () => this.closing.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.end();
    setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
  }

  private forget(slot: Slot): void {
    slot.removed = true;
    for (const t of slot.timers.values()) clearTimeout(t);
    slot.timers.clear();
    for (const conn of [...slot.connecting.keys(), ...slot.sockets.keys()]) this.closeConnection(slot, conn);
    this.secureListener(slot, false);
    this.slots.delete(slot.address);
  }

  // ------------------------------------------------------------ listener

  /** Install (or remove) a neighbor's MD5 key and GTSM TTL on the listening socket. */
  private secureListener(slot: Slot, install: boolean): void {
    const c = slot.config;
    for (const server of this.servers) {
      if (!server.listening) continue;
      try {
        if (c.authPassword !== undefined) setTcpMd5(server, slot.address, install ? c.authPassword : null);
        // SYN-ACKs leave with the listener's TTL: 255 once any neighbor uses GTSM.
        if (install && c.ttlSecurity === true) setTtlSecurity(server, { ttl: true, minTtl: false });
      } catch (e) {
        this.log('error', `neighbor ${slot.address}: cannot set ${c.authPassword !== undefined ? 'TCP MD5' : 'GTSM'} on the listener: ${(e as Error).message}`);
      }
    }
  }

  /** A connection closed before OPEN: logged now, or counted into the interval's summary line. */
  private refuse(socket: net.Socket, text: string): void {
    socket.destroy();
    this.refused.report(text);
  }

  private onIncoming(socket: net.Socket): void {
    const remote = socket.remoteAddress === undefined ? '' : canonicalAddress(socket.remoteAddress);
    let slot = this.slots.get(remote);
    if (slot === undefined && this.options.unknownPeer !== undefined && remote !== '') {
      const why = this.options.unknownPeer(remote);
      if (why !== null) return this.refuse(socket, `connection from ${remote}:${socket.remotePort ?? ''} closed: ${why}`);
      slot = this.slots.get(remote);
    }
    if (slot === undefined || slot.removed) {
      this.refuse(socket, `connection from ${remote}:${socket.remotePort ?? ''} closed: not a configured neighbor`);
      return;
    }
    if (slot.config.ttlSecurity === true) {
      try {
        setTtlSecurity(socket, { ttl: true, minTtl: true });
      } catch (e) {
        this.log('error', `neighbor ${slot.address}: GTSM on the accepted connection failed: ${(e as Error).message}`);
        socket.destroy();
        return;
      }
    }
    const accepted = slot.peer.accept();
    if (accepted === null) {
      this.refuse(socket, `connection from neighbor ${slot.address} refused: ${slot.peer.isStarted ? 'too many pending connections' : 'neighbor is stopped'}`);
      return;
    }
    this.attach(slot, accepted.conn, socket);
    this.execute(slot, accepted.actions);
  }
}
