// One configured neighbor, sans-IO: up to one connection we dial (unless
// passive) plus the connections the neighbor opens to us, each a
// BgpConnection (bgp-fsm.ts), with
// - collision detection (RFC 4271 §6.8): when a connection reaches
//   OpenConfirm while another one is in OpenConfirm, the connection opened
//   by the side with the higher BGP Identifier (compared as unsigned 32-bit
//   numbers) survives; the other gets Cease / Connection Collision
//   Resolution (6/7). Equal identifiers (possible between ASes, RFC 6286
//   §2.3): the connection opened by the side with the larger AS survives.
//   Against an Established session the new connection loses, except when
//   the peer announced Graceful Restart: then the new OPEN means the peer
//   restarted and the old session is dropped as dead (RFC 4724 §4.2).
// - automatic restart: once a session ends (or our connection fails after
//   TCP came up), the outgoing connection starts again after an idle hold
//   time that doubles up to a cap while sessions keep failing, and goes back
//   to its base once a session lasted that cap (RFC 4271 §8.1.1 IdleHoldTimer
//   and DampPeerOscillations).
//
// Upward it speaks PeerEvents (established, update, route-refresh, down,
// family-disabled, state, log) for the speaker; downward PeerIoActions
// tagged with a connection id for the transport (bgp-transport.ts). Timers
// are actions too: (conn, timer) names one; conn 0 is the peer's own.

import { isIP } from 'node:net';
import { CeaseSubcode } from '../wire/bgp-error-codes.js';
import { RouteRefreshSubtype } from '../wire/bgp-route-refresh.js';
import type { BgpUpdate } from '../wire/bgp-update.js';
import { parseIpv4 } from '../wire/ip-address.js';
import { isFamily } from './afi-safi-family.js';
import {
  BgpConnection,
  DEFAULT_CONNECT_RETRY_TIME,
  DEFAULT_ENV,
  DEFAULT_HOLD_TIME,
  jittered,
  type ConnectionAction,
  type ConnectionConfig,
  type ConnectionEvent,
  type LogLevel,
  type SessionDown,
  type SessionEnv,
  type SessionState,
  type TimerName,
} from './bgp-fsm.js';
import type { AddPathMode, Negotiated } from './capability-negotiation.js';
import type { Family } from './route.js';

/** A `[[neighbors]]` entry, with gobgpd.conf's names in camelCase. */
export interface PeerConfig {
  /** neighbor-address: the peer's identity; incoming connections are matched on it. */
  neighborAddress: string;
  /** peer-as (4-octet). */
  peerAs: number;
  /** global as (4-octet). */
  localAs: number;
  /** global router-id: our BGP Identifier. */
  routerId: string;
  /** afi-safis. */
  families: readonly Family[];
  /** timers hold-time, seconds: 0 or 3..65535 (default 90). */
  holdTime?: number;
  /** timers keepalive-interval, seconds (default hold/3, never more). */
  keepaliveInterval?: number;
  /** timers connect-retry, seconds (default 120, RFC 4271 §10). */
  connectRetry?: number;
  /** timers idle-hold-time: first restart delay after a session ends, seconds (default 1). */
  idleHoldTime?: number;
  /** Cap of the doubling idle hold time, seconds (default 60). */
  idleHoldTimeMax?: number;
  /** transport passive-mode: never dial, wait for the peer. */
  passive?: boolean;
  /** transport remote-port (default 179). */
  remotePort?: number;
  /** transport local-address: the source of our connections. */
  localAddress?: string;
  /** Source port of our connections (default: any). */
  localPort?: number;
  /** RFC 8654 extended messages (default false). */
  extendedMessage?: boolean;
  /** RFC 4724 restart time we announce as a helper; null: no GR capability (default 120). */
  gracefulRestartTime?: number | null;
  /** RFC 7911 ADD-PATH per family (default none). */
  addPath?: ReadonlyArray<{ family: Family; mode: AddPathMode }>;
  /** auth-password: TCP MD5 signature (RFC 2385), done by the transport. */
  authPassword?: string;
  /** ttl-security: GTSM (RFC 5082), done by the transport. */
  ttlSecurity?: boolean;
  /** send-hold-time: RFC 9687 SendHoldTime, seconds; 0 = off (default max(480, 2 × hold)). */
  sendHoldTime?: number;
  /** route-refresh-interval: seconds between two answers to the peer's ROUTE-REFRESH per family (default 5). */
  routeRefreshInterval?: number;
}

export const DEFAULT_BGP_PORT = 179;
export const DEFAULT_IDLE_HOLD_TIME = 1;
export const DEFAULT_IDLE_HOLD_TIME_MAX = 60;
/** Accepted connections of one peer not yet Established: more are refused. */
export const MAX_PENDING_INCOMING = 4;
/** The connection id of the peer's own timers (idle-hold). */
export const PEER_TIMERS = 0;

export type PeerIoAction =
  | { type: 'connect'; conn: number; remoteAddress: string; remotePort: number; localAddress?: string; localPort?: number }
  | { type: 'close'; conn: number }
  | { type: 'send'; conn: number; data: Buffer }
  | { type: 'start-timer'; conn: number; timer: TimerName; ms: number }
  | { type: 'stop-timer'; conn: number; timer: TimerName };

export type PeerEvent =
  | { type: 'established'; negotiated: Negotiated }
  | { type: 'update'; update: BgpUpdate; bytes: Buffer }
  | { type: 'route-refresh'; afi: number; safi: number; subtype: number }
  /** The session's output queue drained after being congested (see BgpPeer.congested). */
  | { type: 'writable' }
  | { type: 'family-disabled'; family: Family; reason: string }
  | ({ type: 'down' } & SessionDown)
  | { type: 'state'; from: SessionState; to: SessionState }
  | { type: 'log'; level: LogLevel; message: string };

export type PeerAction = PeerIoAction | PeerEvent;

/** How stop() ends the sessions. */
export interface PeerStopOptions {
  /** Cease subcode (default Administrative Shutdown). */
  subcode?: number;
  /** RFC 9003 shutdown communication (Administrative Shutdown / Reset). */
  message?: string;
  /** The NOTIFICATION's data, e.g. RFC 4486 §4's AFI/SAFI/limit for Maximum Number of Prefixes Reached. */
  data?: Buffer;
  /** Seconds after which the peer starts again by itself (a prefix limit's restart timer); absent: stays stopped. */
  restartAfter?: number;
}

export type PeerInput =
  | { type: 'tcp-connected'; conn: number }
  | { type: 'tcp-failed'; conn: number; reason?: string }
  | { type: 'bytes'; conn: number; data: Buffer }
  /** `bytes` of what the connection sent reached TCP. */
  | { type: 'written'; conn: number; bytes: number }
  | { type: 'timer'; conn: number; timer: TimerName };

export function isIoAction(a: PeerAction): a is PeerIoAction {
  return a.type === 'connect' || a.type === 'close' || a.type === 'send' || a.type === 'start-timer' || a.type === 'stop-timer';
}

function configError(key: string, value: unknown, expected: string): RangeError {
  return new RangeError(`neighbor ${key} = ${JSON.stringify(value)}: expected ${expected}`);
}

function checkInt(key: string, value: number | undefined, min: number, max: number): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) throw configError(key, value, `an integer in ${min}..${max}`);
}

/** Throws a RangeError naming the key, the value and what is expected. */
export function validatePeerConfig(c: PeerConfig): void {
  if (isIP(c.neighborAddress) === 0) throw configError('neighbor-address', c.neighborAddress, 'an IPv4 or IPv6 address');
  checkInt('peer-as', c.peerAs, 1, 0xffffffff);
  checkInt('as', c.localAs, 1, 0xffffffff);
  if (isIP(c.routerId) !== 4 || parseIpv4(c.routerId).readUInt32BE(0) === 0) {
    throw configError('router-id', c.routerId, 'a non-zero IPv4 address (RFC 6286)');
  }
  for (const f of c.families) if (!isFamily(f)) throw configError('afi-safi-name', f, 'l2vpn-evpn, ipv4-unicast or ipv6-unicast');
  checkInt('hold-time', c.holdTime, 0, 0xffff);
  if (c.holdTime === 1 || c.holdTime === 2) throw configError('hold-time', c.holdTime, '0 or at least 3 (RFC 4271 §4.2)');
  checkInt('keepalive-interval', c.keepaliveInterval, 1, 0xffff);
  checkInt('connect-retry', c.connectRetry, 1, 0xffff);
  checkInt('idle-hold-time', c.idleHoldTime, 0, 0xffff);
  checkInt('idle-hold-time-max', c.idleHoldTimeMax, 1, 0xffff);
  checkInt('remote-port', c.remotePort, 1, 0xffff);
  checkInt('local-port', c.localPort, 0, 0xffff);
  if (c.localAddress !== undefined && isIP(c.localAddress) !== isIP(c.neighborAddress)) {
    throw configError('local-address', c.localAddress, `an IPv${isIP(c.neighborAddress)} address like neighbor-address`);
  }
  if (c.gracefulRestartTime !== undefined && c.gracefulRestartTime !== null) checkInt('restart-time', c.gracefulRestartTime, 0, 4095);
  checkInt('send-hold-time', c.sendHoldTime, 0, 0xffff);
  checkInt('route-refresh-interval', c.routeRefreshInterval, 0, 3600);
  if (c.authPassword !== undefined && (c.authPassword.length === 0 || Buffer.byteLength(c.authPassword) > 80)) {
    throw configError('auth-password', '…', '1..80 bytes (TCP_MD5SIG_MAXKEYLEN)');
  }
}

interface Entry {
  id: number;
  fsm: BgpConnection;
  initiator: 'local' | 'remote';
  /** Bumped whenever the peer drives this connection, to drop stale actions. */
  generation: number;
}

const STATE_RANK: Readonly<Record<SessionState, number>> = {
  Idle: 0,
  Active: 1,
  Connect: 2,
  OpenSent: 3,
  OpenConfirm: 4,
  Established: 5,
};

function ipv4Number(id: string): number {
  return parseIpv4(id).readUInt32BE(0);
}

export class BgpPeer {
  readonly config: PeerConfig;
  readonly address: string;
  private readonly env: SessionEnv;
  private readonly connectionConfig: Omit<ConnectionConfig, 'initiator'>;
  private readonly outgoing: Entry | null;
  private readonly conns = new Map<number, Entry>();
  private nextId = 1;
  private adminUp = false;
  private session: Entry | null = null;
  private idleHold: number;
  private idleHoldRunning = false;
  /** A stop with restartAfter is waiting for its 'restart' timer. */
  private restartPending = false;
  private _state: SessionState = 'Idle';
  private _lastDown: SessionDown | null = null;
  /** When the latest session came up (env.now()). */
  private lastEstablishedAt: number | null = null;
  private out: PeerAction[] = [];

  constructor(config: PeerConfig, env: SessionEnv = DEFAULT_ENV) {
    validatePeerConfig(config);
    this.config = config;
    this.address = config.neighborAddress;
    this.env = env;
    const cc: Omit<ConnectionConfig, 'initiator'> = {
      localAs: config.localAs,
      routerId: config.routerId,
      holdTime: config.holdTime ?? DEFAULT_HOLD_TIME,
      families: config.families,
      peerAs: config.peerAs,
      remoteAddress: config.neighborAddress,
      remotePort: config.remotePort ?? DEFAULT_BGP_PORT,
      connectRetryTime: config.connectRetry ?? DEFAULT_CONNECT_RETRY_TIME,
    };
    if (config.keepaliveInterval !== undefined) cc.keepaliveInterval = config.keepaliveInterval;
    if (config.localAddress !== undefined) cc.localAddress = config.localAddress;
    if (config.localPort !== undefined) cc.localPort = config.localPort;
    if (config.extendedMessage !== undefined) cc.extendedMessage = config.extendedMessage;
    if (config.gracefulRestartTime !== undefined) cc.gracefulRestartTime = config.gracefulRestartTime;
    if (config.addPath !== undefined) cc.addPath = config.addPath;
    if (config.sendHoldTime !== undefined) cc.sendHoldTime = config.sendHoldTime;
    if (config.routeRefreshInterval !== undefined) cc.routeRefreshInterval = config.routeRefreshInterval;
    this.connectionConfig = cc;
    this.idleHold = this.idleHoldBase;
    this.outgoing = config.passive === true ? null : this.newEntry('local');
  }

  /** The peer's state: its session's, or its most advanced connection's. */
  get state(): SessionState {
    return this._state;
  }

  /** What the current session negotiated; null when not Established. */
  get negotiated(): Negotiated | null {
    return this.session?.fsm.negotiated ?? null;
  }

  /** env.now() when the current session came up; null when not Established. */
  get establishedAt(): number | null {
    return this.session?.fsm.establishedAt ?? null;
  }

  /** Bytes the session sent that did not reach TCP yet. */
  get outputQueued(): number {
    return this.session?.fsm.outputQueued ?? 0;
  }

  /** The session's output queue is above its high-water mark: hold UPDATEs until 'writable'. */
  get congested(): boolean {
    return this.session?.fsm.congested ?? false;
  }

  /** How the last session ended (for `vxswitch neighbor`). */
  get lastDown(): SessionDown | null {
    return this._lastDown;
  }

  /** Families disabled on the current session (RFC 7606 AFI/SAFI disable). */
  get disabledFamilies(): ReadonlySet<Family> {
    return this.session?.fsm.disabledFamilies ?? new Set<Family>();
  }

  get isStarted(): boolean {
    return this.adminUp;
  }

  /** Connection ids with their initiator and state (for tests and display). */
  connections(): Array<{ conn: number; initiator: 'local' | 'remote'; state: SessionState }> {
    return [...this.conns.values()].map((e) => ({ conn: e.id, initiator: e.initiator, state: e.fsm.state }));
  }

  private get idleHoldBase(): number {
    return this.config.idleHoldTime ?? DEFAULT_IDLE_HOLD_TIME;
  }

  private get idleHoldMax(): number {
    return Math.max(this.config.idleHoldTimeMax ?? DEFAULT_IDLE_HOLD_TIME_MAX, this.idleHoldBase);
  }

  // ------------------------------------------------------------ inputs

  /** Administrative start: dial (unless passive) and accept connections. */
  start(): PeerAction[] {
    this.cancelRestart();
    if (!this.adminUp) {
      this.adminUp = true;
      this.idleHold = this.idleHoldBase;
      if (this.outgoing !== null) this.run(this.outgoing, { type: 'start' });
      this.updateState();
    }
    return this.flush();
  }

  /**
   * Administrative stop: Cease (Administrative Shutdown by default, with an
   * optional RFC 9003 message) on every connection past OpenSent, then close.
   */
  stop(options: PeerStopOptions = {}): PeerAction[] {
    this.adminUp = false;
    this.stopIdleHold();
    this.cancelRestart();
    const stop: ConnectionEvent = { type: 'stop', subcode: options.subcode ?? CeaseSubcode.AdministrativeShutdown };
    if (options.message !== undefined) stop.message = options.message;
    if (options.data !== undefined) stop.data = options.data;
    for (const e of [...this.conns.values()]) this.run(e, stop);
    for (const e of [...this.conns.values()]) if (e !== this.outgoing) this.conns.delete(e.id);
    if (options.restartAfter !== undefined && options.restartAfter > 0) {
      // Until then incoming connections are refused too (accept() sees the peer stopped).
      this.restartPending = true;
      this.out.push({ type: 'start-timer', conn: PEER_TIMERS, timer: 'restart', ms: options.restartAfter * 1000 });
      this.log('info', `stopped; starting again in ${options.restartAfter} s`);
    }
    this.updateState();
    return this.flush();
  }

  /** Administrative reset (Cease / Administrative Reset), then start again. */
  reset(message?: string): PeerAction[] {
    const options: PeerStopOptions = { subcode: CeaseSubcode.AdministrativeReset };
    if (message !== undefined) options.message = message;
    const actions = this.stop(options);
    return actions.concat(this.start());
  }

  /**
   * A TCP connection from the neighbor was accepted. Returns its connection
   * id and the actions (our OPEN), or null when it must be closed at once:
   * the peer is stopped, or too many of its connections are pending.
   */
  accept(): { conn: number; actions: PeerAction[] } | null {
    if (!this.adminUp) return null;
    let pending = 0;
    for (const e of this.conns.values()) if (e.initiator === 'remote' && e.fsm.state !== 'Established') pending++;
    if (pending >= MAX_PENDING_INCOMING) return null;
    const entry = this.newEntry('remote');
    this.run(entry, { type: 'start' });
    this.run(entry, { type: 'tcp-connected' });
    this.updateState();
    return { conn: entry.id, actions: this.flush() };
  }

  handle(input: PeerInput): PeerAction[] {
    if (input.conn === PEER_TIMERS) {
      if (input.type === 'timer' && input.timer === 'idle-hold') this.onIdleHoldExpired();
      if (input.type === 'timer' && input.timer === 'restart' && this.restartPending) {
        this.restartPending = false;
        // start() flushes this.out: take its actions first, then queue them.
        const started = this.start();
        this.out.push(...started);
      }
      return this.flush();
    }
    const entry = this.conns.get(input.conn);
    if (entry === undefined) return this.flush();
    switch (input.type) {
      case 'tcp-connected':
        this.run(entry, { type: 'tcp-connected' });
        break;
      case 'tcp-failed':
        this.run(entry, input.reason === undefined ? { type: 'tcp-failed' } : { type: 'tcp-failed', reason: input.reason });
        break;
      case 'bytes':
        this.run(entry, { type: 'bytes', data: input.data });
        break;
      case 'written':
        this.run(entry, { type: 'written', bytes: input.bytes });
        break;
      case 'timer':
        this.run(entry, { type: 'timer', timer: input.timer });
        break;
    }
    this.updateState();
    return this.flush();
  }

  /** Send UPDATEs on the Established session (dropped, with a debug log, when there is none). */
  sendUpdate(updates: Buffer | BgpUpdate | ReadonlyArray<Buffer | BgpUpdate>): PeerAction[] {
    const list: ReadonlyArray<Buffer | BgpUpdate> = Buffer.isBuffer(updates) || !Array.isArray(updates) ? [updates as Buffer | BgpUpdate] : updates;
    if (this.session === null) {
      this.out.push({ type: 'log', level: 'debug', message: `${list.length} UPDATE(s) not sent: no session` });
    } else {
      this.run(this.session, { type: 'send-update', updates: list });
    }
    return this.flush();
  }

  sendRouteRefresh(afi: number, safi: number, subtype: number = RouteRefreshSubtype.Normal): PeerAction[] {
    if (this.session !== null) this.run(this.session, { type: 'send-route-refresh', afi, safi, subtype });
    return this.flush();
  }

  // ------------------------------------------------------------ internals

  private newEntry(initiator: 'local' | 'remote'): Entry {
    const fsm = new BgpConnection({ ...this.connectionConfig, initiator }, this.env);
    const entry: Entry = { id: this.nextId++, fsm, initiator, generation: 0 };
    this.conns.set(entry.id, entry);
    return entry;
  }

  private flush(): PeerAction[] {
    const a = this.out;
    this.out = [];
    return a;
  }

  /** Drive one connection and act on what it says; nested runs make its older actions stale. */
  private run(entry: Entry, event: ConnectionEvent): void {
    const generation = ++entry.generation;
    for (const a of entry.fsm.handle(event)) {
      if (entry.generation !== generation) break;
      this.onAction(entry, a);
    }
  }

  private onAction(entry: Entry, a: ConnectionAction): void {
    switch (a.type) {
      case 'connect':
      case 'close':
      case 'send':
      case 'start-timer':
      case 'stop-timer':
        this.out.push({ ...a, conn: entry.id });
        return;
      case 'state':
        this.updateState();
        return;
      case 'open-received':
        this.detectCollision(entry);
        return;
      case 'established':
        this.onEstablished(entry, a.negotiated);
        return;
      case 'update':
      case 'route-refresh':
      case 'writable':
      case 'family-disabled':
        if (this.session === entry) this.out.push(a);
        return;
      case 'down':
        this.onDown(entry, a);
        return;
      case 'log': {
        const who = entry.initiator === 'local' ? 'outgoing' : 'incoming';
        this.out.push({ type: 'log', level: a.level, message: `${who} #${entry.id}: ${a.message}` });
        return;
      }
    }
  }

  private log(level: LogLevel, message: string): void {
    this.out.push({ type: 'log', level, message });
  }

  /** RFC 4271 §6.8, run when `x` reached OpenConfirm. */
  private detectCollision(x: Entry): void {
    for (const y of [...this.conns.values()]) {
      if (y === x) continue;
      const s = y.fsm.state;
      if (s === 'Established') {
        if (y.fsm.negotiated?.gracefulRestart != null) {
          this.log('info', `collision: #${x.id} is a new OPEN from a graceful-restart peer; dropping the old session #${y.id} (RFC 4724 §4.2)`);
          this.run(y, { type: 'tcp-failed', reason: 'the peer restarted: new OPEN while Established (RFC 4724 §4.2)' });
          continue;
        }
        this.log('info', `collision: #${y.id} is Established; closing the new connection #${x.id}`);
        this.run(x, { type: 'collision-dump' });
        return;
      }
      if (s !== 'OpenConfirm') continue;
      const loser = this.collisionLoser(x, y);
      const winner = loser === x ? y : x;
      this.log('info', `collision between #${x.id} and #${y.id}: keeping #${winner.id} (${winner.initiator}-initiated)`);
      this.run(loser, { type: 'collision-dump' });
      if (loser === x) return;
    }
  }

  private collisionLoser(x: Entry, y: Entry): Entry {
    if (x.initiator === y.initiator) {
      // Two connections opened by the same side: it gave up on the older one.
      return x.id < y.id ? x : y;
    }
    const local = x.initiator === 'local' ? x : y;
    const remote = local === x ? y : x;
    const ours = ipv4Number(this.config.routerId);
    const theirs = ipv4Number(x.fsm.negotiated!.peerRouterId);
    if (ours !== theirs) return ours < theirs ? local : remote;
    // RFC 6286 §2.3: equal identifiers, the larger AS's connection survives.
    if (this.config.localAs !== this.config.peerAs) return this.config.localAs < this.config.peerAs ? local : remote;
    return x;
  }

  private onEstablished(entry: Entry, negotiated: Negotiated): void {
    if (this.session !== null && this.session !== entry) {
      this.run(entry, { type: 'collision-dump' });
      return;
    }
    this.session = entry;
    this.lastEstablishedAt = entry.fsm.establishedAt;
    this.stopIdleHold();
    const o = this.outgoing;
    if (o !== null && o !== entry && (o.fsm.state === 'Connect' || o.fsm.state === 'Active')) {
      // The neighbor's connection carries the session: stop dialling.
      this.run(o, { type: 'stop' });
    }
    this.out.push({ type: 'established', negotiated });
  }

  private onDown(entry: Entry, down: SessionDown): void {
    if (this.session === entry) {
      this.session = null;
      this._lastDown = down;
      // DampPeerOscillations: a session that lasted the cap resets the backoff.
      const since = this.lastEstablishedAt;
      if (since !== null && this.env.now() - since >= this.idleHoldMax * 1000) this.idleHold = this.idleHoldBase;
      this.out.push({ type: 'down', ...down });
    } else {
      this.log('info', `connection #${entry.id} closed before Established: ${down.reason}`);
    }
    if (entry !== this.outgoing && entry.fsm.state === 'Idle') this.conns.delete(entry.id);
    this.scheduleRestart();
  }

  private scheduleRestart(): void {
    const o = this.outgoing;
    if (!this.adminUp || o === null || o.fsm.state !== 'Idle' || this.idleHoldRunning) return;
    for (const e of this.conns.values()) {
      if (e.fsm.state === 'OpenConfirm' || e.fsm.state === 'Established') return;
    }
    const ms = jittered(this.idleHold * 1000, this.env);
    this.idleHold = Math.min(this.idleHold * 2, this.idleHoldMax);
    this.idleHoldRunning = true;
    this.out.push({ type: 'start-timer', conn: PEER_TIMERS, timer: 'idle-hold', ms });
    this.log('debug', `reconnecting in ${ms} ms`);
  }

  private cancelRestart(): void {
    if (!this.restartPending) return;
    this.restartPending = false;
    this.out.push({ type: 'stop-timer', conn: PEER_TIMERS, timer: 'restart' });
  }

  private stopIdleHold(): void {
    if (!this.idleHoldRunning) return;
    this.idleHoldRunning = false;
    this.out.push({ type: 'stop-timer', conn: PEER_TIMERS, timer: 'idle-hold' });
  }

  private onIdleHoldExpired(): void {
    if (!this.idleHoldRunning) return;
    this.idleHoldRunning = false;
    const o = this.outgoing;
    if (!this.adminUp || o === null || o.fsm.state !== 'Idle' || this.session !== null) return;
    this.run(o, { type: 'start' });
    this.updateState();
  }

  private updateState(): void {
    let best: SessionState = this.adminUp && this.outgoing === null ? 'Active' : 'Idle';
    for (const e of this.conns.values()) if (STATE_RANK[e.fsm.state] > STATE_RANK[best]) best = e.fsm.state;
    if (this.session !== null) best = 'Established';
    if (best === this._state) return;
    const from = this._state;
    this._state = best;
    this.out.push({ type: 'state', from, to: best });
  }
}
