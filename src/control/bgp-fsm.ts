// The RFC 4271 §8 finite state machine of ONE BGP connection, sans-IO:
// events in (start/stop, TCP up/down, bytes, timer fired, send requests),
// actions out (connect, send bytes, close, start/stop a timer, and what the
// speaker needs: established, update, route-refresh, down, log). It never
// touches a socket or a clock; the random source for timer jitter and the
// clock are injected (SessionEnv), so every transition is testable.
//
// One object per TCP connection lineage: a locally initiated connection
// ('local') goes Idle → Connect → (Active ↔ Connect on failures, retried by
// the ConnectRetryTimer) → OpenSent → OpenConfirm → Established; an accepted
// one ('remote') starts in Active and is handed its TCP connection at once.
// Collision detection between two connections of one peer (§6.8) belongs to
// bgp-peer.ts, which sees both; this machine reports 'open-received' and
// obeys 'collision-dump'.
//
// Deliberate deviations and choices, all within what RFC 4271 allows:
// - TCP connect failure in Connect goes to Active and retries after the
//   ConnectRetryTimer (what BIRD, GoBGP and FRR do; §8.2.2 would go Idle).
// - Jitter (§10: a factor uniformly in [0.75, 1.0]) applies to the
//   ConnectRetry and Keepalive timers, the ones §10 names; never to the Hold
//   timer, whose expiry would otherwise tear sessions down early.
// - The hold timer is restarted once per received chunk that carried a
//   KEEPALIVE or UPDATE (§4.4), not once per message: the same instant.
// - DelayOpen and the optional session attributes of §8.1 are not
//   implemented; idle hold with backoff is the peer's job (bgp-peer.ts).
//
// Keeping a peer to its lane (README, "Limits and defences"):
// - SendHoldTimer (RFC 9687 §3): started on Established, restarted each
//   time the transport reports that queued bytes reached TCP ('written');
//   when a peer reads nothing for the send hold time, NOTIFICATION Send Hold
//   Timer Expired (8/0), error log, Idle. The bytes handed out as 'send' and
//   not yet 'written' are counted; above OUTPUT_HIGH_WATER the session is
//   `congested` and the speaker stops flushing to it until 'writable'.
// - ROUTE-REFRESH requests (RFC 2918) are passed up at most once per
//   family per routeRefreshInterval (route-refresh-limit.ts): sooner ones
//   wait for the end of the interval, merged, so 300 cost two tables.
// - Nothing the peer sends makes handle() throw: a decoding failure is a
//   NOTIFICATION (RFC 4271 §6), and any other failure while handling the
//   peer's bytes or a timer resets the session with Cease / Out of
//   Resources (RFC 4486 §4) and an error log. NOTIFICATION data is cut so
//   the message fits 4096 octets (RFC 8654 §5).

import type { BgpContext } from '../wire/bgp-context.js';
import { DEFAULT_CONTEXT } from '../wire/bgp-context.js';
import { CeaseSubcode, ErrorCode, FsmSubcode, OpenSubcode } from '../wire/bgp-error-codes.js';
import {
  BGP_HEADER_LENGTH,
  BGP_MARKER_LENGTH,
  BGP_MAX_MESSAGE_LENGTH,
  MessageType,
  maxMessageLength,
  messageLengthAt,
} from '../wire/bgp-header.js';
import * as bgpMessage from '../wire/bgp-message.js';
import type { BgpMessage } from '../wire/bgp-message.js';
import { describeNotification, notification, shutdownNotification, truncated, type BgpNotification } from '../wire/bgp-notification.js';
import { effectiveAs, type BgpOpen } from '../wire/bgp-open.js';
import { RouteRefreshSubtype } from '../wire/bgp-route-refresh.js';
import * as bgpUpdate from '../wire/bgp-update.js';
import type { BgpUpdate } from '../wire/bgp-update.js';
import { findAttribute } from '../wire/path-attributes.js';
import { WireError } from '../wire/wire-error.js';
import { familyAfiSafi, familyOf } from './afi-safi-family.js';
import { localOpen, negotiate, type Negotiated, type OpenConfig } from './capability-negotiation.js';
import type { Family } from './route.js';
import { mpFamilyAt } from './rfc7606-family.js';
import { RouteRefreshLimit } from './route-refresh-limit.js';

/** RFC 4271 §8.2.2 state names (as `gobgp neighbor` shows them). */
export type SessionState = 'Idle' | 'Connect' | 'Active' | 'OpenSent' | 'OpenConfirm' | 'Established';

/** Timers of a connection; 'idle-hold' and 'restart' are the peer's (bgp-peer.ts). */
export type TimerName = 'connect-retry' | 'hold' | 'keepalive' | 'idle-hold' | 'send-hold' | 'route-refresh' | 'restart';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** What the machine may not pick itself: a clock (ms) and a random source in [0, 1). */
export interface SessionEnv {
  now(): number;
  random(): number;
}

export const DEFAULT_ENV: SessionEnv = {
  now: () => performance.now(),
  random: () => Math.random(),
};

/** RFC 4271 §10: jitter = a random factor uniformly distributed in [0.75, 1.0]. */
export function jittered(ms: number, env: SessionEnv): number {
  return Math.round(ms * (0.75 + 0.25 * env.random()));
}

/** RFC 4271 §8.2.2: the hold timer while waiting for the peer's OPEN ("4 minutes suggested"). */
export const OPEN_SENT_HOLD_TIME = 240;
/** RFC 4271 §10 default ConnectRetryTime. */
export const DEFAULT_CONNECT_RETRY_TIME = 120;
/** RFC 4271 §10 suggested HoldTime. */
export const DEFAULT_HOLD_TIME = 90;
/** RFC 9687 §3.4: the suggested SendHoldTime is the greater of 8 minutes and 2 × HoldTime. */
export const DEFAULT_SEND_HOLD_TIME = 480;
/** Seconds between two answers to a peer's ROUTE-REFRESH for one family (more are merged). */
export const DEFAULT_ROUTE_REFRESH_INTERVAL = 5;
/** Output bytes not yet written to TCP above which a session is congested (the speaker holds its UPDATEs). */
export const OUTPUT_HIGH_WATER = 4 * 1024 * 1024;
/** RFC 8654 §5: NOTIFICATION data is cut so the message fits the 4096 octets every peer reads. */
const NOTIFICATION_MAX_DATA = BGP_MAX_MESSAGE_LENGTH - BGP_HEADER_LENGTH - 2;

export interface ConnectionConfig extends OpenConfig {
  /** The AS the peer must present (RFC 4271 §6.2; 4-octet, RFC 6793). */
  peerAs: number;
  remoteAddress: string;
  remotePort: number;
  localAddress?: string;
  localPort?: number;
  /** Seconds; capped at hold/3. Default hold/3. */
  keepaliveInterval?: number;
  /** Seconds (RFC 4271 §10: 120 by default). */
  connectRetryTime: number;
  /** 'local': we open the TCP connection (and retry); 'remote': an accepted one. */
  initiator: 'local' | 'remote';
  /** RFC 9687 SendHoldTime, seconds; 0 = off. Default max(480, 2 × hold); never at or below the hold time. */
  sendHoldTime?: number;
  /** Seconds between two ROUTE-REFRESH answers per family (default 5; 0 = no limit, still merged while pending). */
  routeRefreshInterval?: number;
}

export interface NotificationReport {
  code: number;
  subcode: number;
  /** describeNotification(): 'Cease / Administrative Shutdown: "maintenance"'. */
  text: string;
  data: Buffer;
  shutdownMessage?: string;
}

export interface SessionDown {
  reason: string;
  /** The connection had reached Established (its routes are in the RIB). */
  wasEstablished: boolean;
  notificationSent: NotificationReport | null;
  notificationReceived: NotificationReport | null;
  /**
   * RFC 4724 §4.2: keep the peer's routes as stale (for gracefulRestart's
   * families, for its restart time) instead of withdrawing them. True when
   * the peer announced Graceful Restart with at least one negotiated family
   * and the session ended without a NOTIFICATION from the peer and without
   * one from us other than Hold Timer Expired: TCP reset, hold expiry, a new
   * connection from a restarting peer. (No NOTIFICATION-based GR: vxswitch
   * does not announce RFC 8538's N bit, so a Hard Reset or any other
   * NOTIFICATION ends GR.)
   */
  gracefulRestartApplies: boolean;
  gracefulRestart: { restartTime: number; families: Family[] } | null;
}

export type ConnectionEvent =
  /** ManualStart (Event 1), or ManualStart_with_PassiveTcpEstablishment (4) for 'remote'. */
  | { type: 'start' }
  /** ManualStop (Event 2): Cease with this subcode (default Administrative Shutdown) and RFC 9003 text or data. */
  | { type: 'stop'; subcode?: number; message?: string; data?: Buffer }
  /** Tcp_CR_Acked (16) for 'local', TcpConnectionConfirmed (17) for 'remote'. */
  | { type: 'tcp-connected' }
  /** TcpConnectionFails (18): connect failed, or the connection closed or reset. */
  | { type: 'tcp-failed'; reason?: string }
  | { type: 'bytes'; data: Buffer }
  | { type: 'timer'; timer: TimerName }
  /**
   * Whole UPDATE messages encoded with negotiated.ctxOut, or UPDATE values
   * to encode; pre-encoded BoRR / EoRR markers (RFC 7313) may sit among them.
   */
  | { type: 'send-update'; updates: ReadonlyArray<Buffer | BgpUpdate> }
  | { type: 'send-route-refresh'; afi: number; safi: number; subtype?: number }
  /** The transport handed `bytes` of what was sent to TCP (RFC 9687: the peer is reading). */
  | { type: 'written'; bytes: number }
  /** OpenCollisionDump (Event 23): Cease / Connection Collision Resolution. */
  | { type: 'collision-dump' };

export type ConnectionAction =
  | { type: 'connect'; remoteAddress: string; remotePort: number; localAddress?: string; localPort?: number }
  | { type: 'close' }
  | { type: 'send'; data: Buffer }
  /** Start (or restart) a timer; the same name replaces the running one. */
  | { type: 'start-timer'; timer: TimerName; ms: number }
  | { type: 'stop-timer'; timer: TimerName }
  | { type: 'state'; from: SessionState; to: SessionState }
  /** The peer's OPEN was accepted (now OpenConfirm): time for collision detection (§6.8). */
  | { type: 'open-received'; bgpId: string; peerAs: number }
  | { type: 'established'; negotiated: Negotiated }
  /** A decoded UPDATE (with its RFC 7606 problems); `bytes` is the whole message. */
  | { type: 'update'; update: BgpUpdate; bytes: Buffer }
  | { type: 'route-refresh'; afi: number; safi: number; subtype: number }
  /** The output queue drained below half of OUTPUT_HIGH_WATER after being congested: flush again. */
  | { type: 'writable' }
  /** RFC 7606 §2 AFI/SAFI disable: drop this family's routes from the peer; later ones are ignored. */
  | { type: 'family-disabled'; family: Family; reason: string }
  | ({ type: 'down' } & SessionDown)
  | { type: 'log'; level: LogLevel; message: string };

export interface ConnectionStats {
  messagesIn: number;
  messagesOut: number;
  updatesIn: number;
  updatesOut: number;
  connectRetryCounter: number;
  /** Peer ROUTE-REFRESH requests merged into one already deferred (rate limit). */
  routeRefreshesMerged: number;
  /** Sessions ended by the send hold timer (RFC 9687). */
  sendHoldExpired: number;
  /** Sessions reset because handling the peer's input failed unexpectedly (a bug; logged with its stack). */
  internalErrors: number;
}

const EMPTY = Buffer.alloc(0);

const KEEPALIVE_BYTES: Buffer = bgpMessage.encode(bgpMessage.KEEPALIVE);

const TYPE_NAMES: Record<number, string> = {
  [MessageType.Open]: 'OPEN',
  [MessageType.Update]: 'UPDATE',
  [MessageType.Notification]: 'NOTIFICATION',
  [MessageType.Keepalive]: 'KEEPALIVE',
  [MessageType.RouteRefresh]: 'ROUTE-REFRESH',
};

function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `type ${type}`;
}

export function notificationReport(n: BgpNotification): NotificationReport {
  const r: NotificationReport = { code: n.code, subcode: n.subcode, text: describeNotification(n), data: n.data };
  if (n.shutdownMessage !== undefined) r.shutdownMessage = n.shutdownMessage;
  return r;
}

/** A connected state: a TCP connection carries BGP messages. */
function isConnected(s: SessionState): boolean {
  return s === 'OpenSent' || s === 'OpenConfirm' || s === 'Established';
}

export class BgpConnection {
  readonly config: ConnectionConfig;
  readonly stats: ConnectionStats = {
    messagesIn: 0,
    messagesOut: 0,
    updatesIn: 0,
    updatesOut: 0,
    connectRetryCounter: 0,
    routeRefreshesMerged: 0,
    sendHoldExpired: 0,
    internalErrors: 0,
  };
  private readonly env: SessionEnv;
  private readonly open: BgpOpen;
  private readonly openBytes: Buffer;
  private _state: SessionState = 'Idle';
  private _negotiated: Negotiated | null = null;
  private _establishedAt: number | null = null;
  private _peerOpen: BgpOpen | null = null;
  private ctxIn: BgpContext = DEFAULT_CONTEXT;
  private ctxOut: BgpContext = DEFAULT_CONTEXT;
  private readonly disabled = new Set<Family>();
  /** Received bytes not yet a whole message (stream framing). */
  private rxChunks: Buffer[] = [];
  private rxLength = 0;
  /** Bytes the buffered message needs in total (0: header not complete yet). */
  private rxNeed = 0;
  private holdRestart = false;
  private out: ConnectionAction[] = [];
  /** Bytes handed out in 'send' actions and not yet reported 'written'. */
  private queued = 0;
  private congestedNow = false;
  private readonly refreshLimit: RouteRefreshLimit;

  constructor(config: ConnectionConfig, env: SessionEnv = DEFAULT_ENV) {
    this.config = config;
    this.env = env;
    this.open = localOpen(config);
    this.openBytes = bgpMessage.encode({ type: 'open', open: this.open });
    this.refreshLimit = new RouteRefreshLimit((config.routeRefreshInterval ?? DEFAULT_ROUTE_REFRESH_INTERVAL) * 1000);
  }

  get state(): SessionState {
    return this._state;
  }

  /** Set from the peer's accepted OPEN on; kept after the session ends (for display). */
  get negotiated(): Negotiated | null {
    return this._negotiated;
  }

  /** The peer's OPEN, once accepted. */
  get peerOpen(): BgpOpen | null {
    return this._peerOpen;
  }

  /** env.now() when Established was reached; null when not Established. */
  get establishedAt(): number | null {
    return this._establishedAt;
  }

  get disabledFamilies(): ReadonlySet<Family> {
    return this.disabled;
  }

  /** Our OPEN message, as sent. */
  get openMessage(): Buffer {
    return this.openBytes;
  }

  /** Bytes sent and not yet written to TCP (the peer is slow or not reading). */
  get outputQueued(): number {
    return this.queued;
  }

  /** More than OUTPUT_HIGH_WATER bytes wait for the peer: hold further UPDATEs until 'writable'. */
  get congested(): boolean {
    return this.congestedNow;
  }

  handle(event: ConnectionEvent): ConnectionAction[] {
    this.out = [];
    try {
      this.dispatch(event);
    } catch (e) {
      // A caller's bad request (send-update with a message that is not one)
      // is the caller's bug and throws before anything is sent.
      if (event.type === 'send-update' || event.type === 'send-route-refresh') {
        this.out = [];
        throw e;
      }
      this.internalError(event.type, e);
    }
    const actions = this.out;
    this.out = [];
    return actions;
  }

  private dispatch(event: ConnectionEvent): void {
    switch (event.type) {
      case 'start':
        this.onStart();
        break;
      case 'stop':
        this.onStop(event.subcode ?? CeaseSubcode.AdministrativeShutdown, event.message, event.data);
        break;
      case 'tcp-connected':
        this.onTcpConnected();
        break;
      case 'tcp-failed':
        this.onTcpFailed(event.reason ?? 'TCP connection closed');
        break;
      case 'bytes':
        this.onBytes(event.data);
        break;
      case 'timer':
        this.onTimer(event.timer);
        break;
      case 'send-update':
        this.onSendUpdates(event.updates);
        break;
      case 'send-route-refresh':
        this.onSendRouteRefresh(event.afi, event.safi, event.subtype ?? RouteRefreshSubtype.Normal);
        break;
      case 'written':
        this.onWritten(event.bytes);
        break;
      case 'collision-dump':
        if (isConnected(this._state)) {
          this.notifyAndIdle(
            notification(ErrorCode.Cease, CeaseSubcode.ConnectionCollisionResolution),
            'connection collision resolution (RFC 4271 §6.8)',
          );
        }
        break;
    }
  }

  /**
   * Handling the peer's input failed with something that is not a
   * WireError: a bug of ours. The session is reset (Cease / Out of
   * Resources, RFC 4486 §4: we cannot go on with this peer) and the stack
   * logged; the process and the other sessions carry on.
   */
  private internalError(what: string, e: unknown): void {
    this.stats.internalErrors++;
    const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
    this.log('error', `internal error while handling ${what}: ${text}`);
    if (!isConnected(this._state)) return;
    try {
      this.notifyAndIdle(notification(ErrorCode.Cease, CeaseSubcode.OutOfResources), `internal error while handling ${what}`);
    } catch {
      // Even the reset failed: drop the connection without a NOTIFICATION.
      this.release();
      this.setState('Idle');
    }
  }

  // ------------------------------------------------------------ helpers

  private emit(a: ConnectionAction): void {
    this.out.push(a);
  }

  private log(level: LogLevel, message: string): void {
    this.emit({ type: 'log', level, message });
  }

  private setState(to: SessionState): void {
    const from = this._state;
    if (from === to) return;
    this._state = to;
    this.emit({ type: 'state', from, to });
  }

  private send(data: Buffer): void {
    this.stats.messagesOut++;
    this.queued += data.length;
    if (!this.congestedNow && this.queued > OUTPUT_HIGH_WATER) this.congestedNow = true;
    this.emit({ type: 'send', data });
  }

  /** RFC 9687 §3.3: the peer took bytes, so the SendHoldTimer starts over. */
  private onWritten(bytes: number): void {
    this.queued = Math.max(0, this.queued - bytes);
    if (this._state !== 'Established') return;
    this.startSendHold();
    if (this.congestedNow && this.queued <= OUTPUT_HIGH_WATER / 2) {
      this.congestedNow = false;
      this.emit({ type: 'writable' });
    }
  }

  /** SendHoldTime in ms (0: off): never at or below the hold time (RFC 9687 §3.4); off with hold time 0 (§3.3). */
  private sendHoldMs(): number {
    const hold = this._negotiated?.holdTime ?? 0;
    const configured = this.config.sendHoldTime;
    if (hold === 0 || configured === 0) return 0;
    return Math.max(configured ?? Math.max(DEFAULT_SEND_HOLD_TIME, 2 * hold), hold + 1) * 1000;
  }

  private startSendHold(): void {
    const ms = this.sendHoldMs();
    if (ms > 0) this.startTimer('send-hold', ms);
  }

  private startTimer(timer: TimerName, ms: number): void {
    this.emit({ type: 'start-timer', timer, ms });
  }

  private stopTimer(timer: TimerName): void {
    this.emit({ type: 'stop-timer', timer });
  }

  private startConnectRetry(): void {
    this.startTimer('connect-retry', jittered(this.config.connectRetryTime * 1000, this.env));
  }

  private startKeepalive(): void {
    const n = this._negotiated;
    if (n !== null && n.keepaliveInterval > 0) this.startTimer('keepalive', jittered(n.keepaliveInterval * 1000, this.env));
  }

  private connect(): void {
    const c = this.config;
    const a: ConnectionAction = { type: 'connect', remoteAddress: c.remoteAddress, remotePort: c.remotePort };
    if (c.localAddress !== undefined) a.localAddress = c.localAddress;
    if (c.localPort !== undefined) a.localPort = c.localPort;
    this.emit(a);
  }

  private resetReceive(): void {
    this.rxChunks = [];
    this.rxLength = 0;
    this.rxNeed = 0;
    this.holdRestart = false;
  }

  /** Release the connection: timers, TCP, buffers (every path to Idle or back to Active). */
  private release(): void {
    this.stopTimer('connect-retry');
    this.stopTimer('hold');
    this.stopTimer('keepalive');
    this.stopTimer('send-hold');
    this.stopTimer('route-refresh');
    this.emit({ type: 'close' });
    this.resetReceive();
    // The socket and what waited in it go with the connection.
    this.queued = 0;
    this.congestedNow = false;
    this.refreshLimit.clear();
    this.ctxIn = DEFAULT_CONTEXT;
    this.ctxOut = DEFAULT_CONTEXT;
  }

  /**
   * Leave a connected state: release everything, report 'down', go to
   * `to` (Idle, or Active for a local connection that will retry).
   */
  private end(reason: string, sent: BgpNotification | null, received: BgpNotification | null, to: SessionState = 'Idle'): void {
    const wasEstablished = this._state === 'Established';
    const connected = isConnected(this._state);
    this.release();
    this._establishedAt = null;
    this.setState(to);
    if (to === 'Active') this.startConnectRetry();
    if (!connected) {
      this.log('info', reason);
      return;
    }
    const gr = this._negotiated?.gracefulRestart ?? null;
    const grFamilies = gr?.families.map((f) => f.family) ?? [];
    const noNotification = received === null && (sent === null || sent.code === ErrorCode.HoldTimerExpired);
    const applies = wasEstablished && gr !== null && grFamilies.length > 0 && noNotification;
    if (wasEstablished) this.log('warn', `session down: ${reason}`);
    this.emit({
      type: 'down',
      reason,
      wasEstablished,
      notificationSent: sent === null ? null : notificationReport(sent),
      notificationReceived: received === null ? null : notificationReport(received),
      gracefulRestartApplies: applies,
      gracefulRestart: applies && gr !== null ? { restartTime: gr.restartTime, families: grFamilies } : null,
    });
  }

  /** Send a NOTIFICATION (RFC 4271 §6), then close and go Idle. */
  private notifyAndIdle(full: BgpNotification, reason: string): void {
    // RFC 8654 §5: the data (often the offending message or attribute) is
    // cut so the NOTIFICATION fits 4096 octets; it is encoded without the
    // session's context for the same reason.
    const n = truncated(full, NOTIFICATION_MAX_DATA);
    this.send(bgpMessage.encode({ type: 'notification', notification: n }));
    this.end(`${reason}; sent NOTIFICATION ${describeNotification(n)}`, n, null);
  }

  // ------------------------------------------------------------ events

  private onStart(): void {
    if (this._state !== 'Idle') return;
    this.stats.connectRetryCounter = 0;
    if (this.config.initiator === 'remote') {
      // An accepted connection: nothing to dial; tcp-connected follows.
      this.setState('Active');
      return;
    }
    this.startConnectRetry();
    this.connect();
    this.setState('Connect');
  }

  private onStop(subcode: number, message: string | undefined, data: Buffer | undefined): void {
    switch (this._state) {
      case 'Idle':
        return;
      case 'Connect':
      case 'Active':
        this.release();
        this.setState('Idle');
        this.log('info', 'stopped');
        return;
      default: {
        const n =
          message !== undefined && (subcode === CeaseSubcode.AdministrativeShutdown || subcode === CeaseSubcode.AdministrativeReset)
            ? shutdownNotification(subcode, message)
            : notification(ErrorCode.Cease, subcode, data);
        this.notifyAndIdle(n, 'stopped');
      }
    }
  }

  private onTcpConnected(): void {
    if (this._state !== 'Connect' && this._state !== 'Active') {
      // A late connection after a stop or a retry: not ours any more.
      this.log('debug', `TCP connection confirmed in ${this._state}: closed`);
      if (this._state === 'Idle') this.emit({ type: 'close' });
      return;
    }
    this.stopTimer('connect-retry');
    this.resetReceive();
    this.send(this.openBytes);
    // RFC 4271 §8.2.2: a large hold timer until the peer's OPEN arrives.
    this.startTimer('hold', OPEN_SENT_HOLD_TIME * 1000);
    this.setState('OpenSent');
  }

  private onTcpFailed(reason: string): void {
    switch (this._state) {
      case 'Idle':
        return;
      case 'Connect':
        // Deviation (see the header): Active, retried by the ConnectRetryTimer.
        this.stats.connectRetryCounter++;
        this.emit({ type: 'close' });
        this.startConnectRetry();
        this.setState('Active');
        this.log('info', `connect to ${this.config.remoteAddress}:${this.config.remotePort} failed: ${reason}`);
        return;
      case 'Active':
        if (this.config.initiator === 'remote') {
          this.release();
          this.setState('Idle');
        }
        return;
      case 'OpenSent':
        // RFC 4271 §8.2.2 OpenSent, Event 18: back to Active (a local
        // connection then retries; an accepted one has nothing to retry).
        this.stats.connectRetryCounter++;
        this.end(reason, null, null, this.config.initiator === 'local' ? 'Active' : 'Idle');
        return;
      default:
        this.stats.connectRetryCounter++;
        this.end(reason, null, null);
    }
  }

  private onTimer(timer: TimerName): void {
    switch (timer) {
      case 'connect-retry':
        if (this.config.initiator !== 'local') return;
        if (this._state === 'Connect') {
          // RFC 4271 §8.2.2 Connect, Event 9: drop the attempt, dial again.
          this.emit({ type: 'close' });
          this.stats.connectRetryCounter++;
        } else if (this._state !== 'Active') {
          return;
        }
        this.startConnectRetry();
        this.connect();
        this.setState('Connect');
        return;
      case 'hold':
        if (isConnected(this._state)) {
          this.notifyAndIdle(notification(ErrorCode.HoldTimerExpired, 0), 'hold timer expired');
        }
        return;
      case 'keepalive':
        if (this._state === 'OpenConfirm' || this._state === 'Established') {
          this.send(KEEPALIVE_BYTES);
          this.startKeepalive();
        }
        return;
      case 'send-hold':
        if (this._state === 'Established') {
          // RFC 9687 §3.3: NOTIFICATION (it will likely not get through), error log, Idle.
          this.stats.sendHoldExpired++;
          const s = Math.round(this.sendHoldMs() / 1000);
          this.log('error', `send hold timer expired: the peer read nothing for ${s} s; ${this.queued} bytes unsent (RFC 9687)`);
          this.notifyAndIdle(notification(ErrorCode.SendHoldTimerExpired, 0), `send hold timer expired (${s} s)`);
        }
        return;
      case 'route-refresh':
        if (this._state === 'Established') this.releaseDeferredRefreshes();
        return;
      case 'idle-hold':
      case 'restart':
        return;
    }
  }

  // ------------------------------------------------------------ receiving

  private onBytes(data: Buffer): void {
    if (!isConnected(this._state)) {
      this.log('debug', `${data.length} bytes received in ${this._state}: ignored`);
      return;
    }
    if (data.length === 0) return;
    this.rxChunks.push(data);
    this.rxLength += data.length;
    // A long message still arriving: wait for all of it before copying.
    if (this.rxNeed > this.rxLength) return;
    const buf = this.rxChunks.length === 1 ? this.rxChunks[0]! : Buffer.concat(this.rxChunks, this.rxLength);
    this.rxChunks = [];
    this.rxLength = 0;
    this.rxNeed = 0;
    let off = 0;
    while (isConnected(this._state) && off < buf.length) {
      let length: number | undefined;
      try {
        // Validates marker, length and type against the session's maximum
        // before waiting for a body (bgp-header.ts).
        length = messageLengthAt(buf, off, this.ctxIn);
      } catch (e) {
        this.malformed(e, buf, off);
        break;
      }
      if (length === undefined || off + length > buf.length) {
        if (length !== undefined) this.rxNeed = length;
        break;
      }
      this.onMessage(buf, off, length);
      off += length;
    }
    if (!isConnected(this._state)) return;
    if (off < buf.length) {
      const rest = buf.subarray(off);
      this.rxChunks = [rest];
      this.rxLength = rest.length;
    }
    if (this.holdRestart) {
      this.holdRestart = false;
      const hold = this._negotiated?.holdTime ?? 0;
      if (hold > 0) this.startTimer('hold', hold * 1000);
    }
  }

  /** A message that cannot be decoded: RFC 4271 §6 NOTIFICATION (none for a bad NOTIFICATION, §6.4). */
  private malformed(e: unknown, buf: Buffer, off: number): void {
    if (!(e instanceof WireError)) throw e;
    const type = buf.length >= off + BGP_HEADER_LENGTH ? buf[off + BGP_MARKER_LENGTH + 2]! : 0;
    if (type === MessageType.Notification && e.code !== ErrorCode.MessageHeader) {
      this.end(`received a malformed NOTIFICATION (${e.message})`, null, null);
      return;
    }
    this.notifyAndIdle(notification(e.code, e.subcode, e.data ?? EMPTY), `received a malformed ${typeName(type)}: ${e.message}`);
  }

  private onMessage(buf: Buffer, off: number, length: number): void {
    const type = buf[off + BGP_MARKER_LENGTH + 2]!;
    this.stats.messagesIn++;
    // RFC 6608: a message the state does not expect is an FSM error,
    // whatever its content; the data is the unexpected message's type.
    const state = this._state;
    if (state === 'OpenSent' && type !== MessageType.Open && type !== MessageType.Notification) {
      return this.fsmError(FsmSubcode.UnexpectedMessageInOpenSent, type);
    }
    if (state === 'OpenConfirm' && type !== MessageType.Keepalive && type !== MessageType.Notification) {
      return this.fsmError(FsmSubcode.UnexpectedMessageInOpenConfirm, type);
    }
    if (state === 'Established' && type === MessageType.Open) {
      return this.fsmError(FsmSubcode.UnexpectedMessageInEstablished, type);
    }
    let message: BgpMessage;
    try {
      message = bgpMessage.decode(buf, off, this.ctxIn);
    } catch (e) {
      if (type === MessageType.Update && e instanceof WireError && this.disableFamilyFor(e, buf, off)) return;
      this.malformed(e, buf, off);
      return;
    }
    switch (message.type) {
      case 'open':
        this.onOpen(message.open);
        return;
      case 'keepalive':
        this.holdRestart = true;
        if (this._state === 'OpenConfirm') this.onEstablished();
        return;
      case 'notification':
        this.end(`received NOTIFICATION ${describeNotification(message.notification)}`, null, message.notification);
        return;
      case 'update':
        this.onUpdate(message.update, buf, off, length);
        return;
      case 'route-refresh':
        this.onRouteRefresh(message.routeRefresh.afi, message.routeRefresh.safi, message.routeRefresh.subtype);
        return;
    }
  }

  private fsmError(subcode: number, type: number): void {
    const state = this._state;
    this.notifyAndIdle(notification(ErrorCode.Fsm, subcode, Buffer.of(type)), `unexpected ${typeName(type)} in ${state}`);
  }

  /** RFC 4271 §6.2 checks the codec cannot make (it knows no configuration). */
  private onOpen(open: BgpOpen): void {
    const c = this.config;
    const unknown = open.optionalParameters.find((p) => p.type === 'unknown');
    if (unknown !== undefined && unknown.type === 'unknown') {
      return this.notifyAndIdle(
        notification(ErrorCode.Open, OpenSubcode.UnsupportedOptionalParameter),
        `OPEN carries optional parameter ${unknown.code}`,
      );
    }
    const peerAs = effectiveAs(open);
    if (peerAs !== c.peerAs) {
      return this.notifyAndIdle(
        notification(ErrorCode.Open, OpenSubcode.BadPeerAs),
        `peer AS ${peerAs}, configured ${c.peerAs}`,
      );
    }
    // RFC 6286 §2.2: an internal peer must not have our BGP Identifier.
    if (peerAs === c.localAs && open.bgpId === c.routerId) {
      return this.notifyAndIdle(
        notification(ErrorCode.Open, OpenSubcode.BadBgpIdentifier),
        `iBGP peer has our BGP Identifier ${open.bgpId}`,
      );
    }
    const n = negotiate(this.open, open, c.keepaliveInterval === undefined ? {} : { keepaliveInterval: c.keepaliveInterval });
    this._peerOpen = open;
    this._negotiated = n;
    this.disabled.clear();
    this.ctxIn = n.ctxIn;
    this.ctxOut = n.ctxOut;
    this.send(KEEPALIVE_BYTES);
    if (n.holdTime === 0) this.stopTimer('hold');
    else this.holdRestart = true;
    this.startKeepalive();
    this.setState('OpenConfirm');
    this.emit({ type: 'open-received', bgpId: open.bgpId, peerAs });
  }

  private onEstablished(): void {
    const n = this._negotiated!;
    this._establishedAt = this.env.now();
    this.setState('Established');
    const families = n.families.length > 0 ? n.families.join(', ') : 'none';
    // RFC 9687 §3.3: OpenConfirm, KEEPALIVE received: set the SendHoldTimer.
    this.startSendHold();
    this.log(
      'info',
      `established with AS ${n.peerAs} (${n.peerRouterId}): hold ${n.holdTime} s, keepalive ${n.keepaliveInterval} s, families ${families}`,
    );
    if (n.missingFamilies.length > 0) {
      this.log('warn', `peer did not announce ${n.missingFamilies.join(', ')}: no routes of those families on this session`);
    }
    this.emit({ type: 'established', negotiated: n });
  }

  private onUpdate(update: BgpUpdate, buf: Buffer, off: number, length: number): void {
    this.stats.updatesIn++;
    this.holdRestart = true;
    if (bgpUpdate.action(update) === 'afi-safi-disable') {
      const worst = bgpUpdate.worstProblem(update)!;
      if (!this.disableFamilyFor(worst, buf, off)) this.malformed(worst.withAction('session-reset'), buf, off);
      return;
    }
    const family = this.updateFamily(update);
    if (family !== undefined && this.disabled.has(family)) {
      this.log('debug', `UPDATE for disabled family ${family} ignored`);
      return;
    }
    this.emit({ type: 'update', update, bytes: buf.subarray(off, off + length) });
  }

  /** The family of an UPDATE's MP attribute, when it carries nothing else (no IPv4 NLRI field). */
  private updateFamily(update: BgpUpdate): Family | undefined {
    if (update.nlri.length > 0 || update.withdrawn.length > 0) return undefined;
    const mp = findAttribute(update.attributes, 'mp-reach-nlri') ?? findAttribute(update.attributes, 'mp-unreach-nlri');
    return mp === undefined ? undefined : familyOf(mp.value.afi, mp.value.safi);
  }

  /**
   * RFC 7606 §2 / RFC 4760 §7: an error inside one family's MP attribute
   * disables that family instead of resetting the session, when the session
   * has another family left. Returns false when a reset is needed.
   */
  private disableFamilyFor(e: WireError, buf: Buffer, off: number): boolean {
    const n = this._negotiated;
    if (n === null || e.code !== ErrorCode.Update) return false;
    const where = mpFamilyAt(buf, off, e.offset);
    const family = where === null ? undefined : familyOf(where.afi, where.safi);
    if (family === undefined || !n.families.includes(family)) return false;
    if (this.disabled.has(family)) {
      this.log('debug', `malformed UPDATE for disabled family ${family} ignored: ${e.message}`);
      return true;
    }
    const enabled = n.families.filter((f) => !this.disabled.has(f));
    if (enabled.length <= 1) return false;
    this.disabled.add(family);
    const reason = `malformed ${family} UPDATE (${e.codeText}: ${e.message})`;
    this.log('warn', `family ${family} disabled on this session: ${reason}`);
    this.emit({ type: 'family-disabled', family, reason });
    return true;
  }

  private onRouteRefresh(afi: number, safi: number, subtype: number): void {
    const family = familyOf(afi, safi);
    const n = this._negotiated!;
    if (family === undefined || !n.families.includes(family)) {
      // RFC 2918 §4: a family we did not announce is ignored.
      this.log('warn', `ROUTE-REFRESH for AFI ${afi} SAFI ${safi}, not negotiated: ignored`);
      return;
    }
    if (subtype > RouteRefreshSubtype.EndOfRouteRefresh) {
      // RFC 7313 §5: unknown subtypes are ignored.
      this.log('warn', `ROUTE-REFRESH subtype ${subtype} for ${family}: ignored`);
      return;
    }
    if (subtype === RouteRefreshSubtype.Normal) {
      this.requestRefresh(family, afi, safi);
      return;
    }
    this.emit({ type: 'route-refresh', afi, safi, subtype });
  }

  /** A peer's request for the family's routes, through the rate limit (route-refresh-limit.ts). */
  private requestRefresh(family: Family, afi: number, safi: number): void {
    const d = this.refreshLimit.request(family, this.env.now());
    this.stats.routeRefreshesMerged = this.refreshLimit.merged;
    if (d.kind === 'now') {
      this.emit({ type: 'route-refresh', afi, safi, subtype: RouteRefreshSubtype.Normal });
    } else if (d.kind === 'deferred') {
      this.log('info', `ROUTE-REFRESH for ${family} again within the rate limit: answered in ${d.inMs} ms`);
      if (d.startTimer) this.startTimer('route-refresh', d.inMs);
    } else {
      this.log('debug', `ROUTE-REFRESH for ${family} merged into the one already waiting`);
    }
  }

  /** The route-refresh timer fired: pass up the deferred requests that are due; wait again for the rest. */
  private releaseDeferredRefreshes(): void {
    const { families, nextInMs } = this.refreshLimit.due(this.env.now());
    for (const f of families) this.emit({ type: 'route-refresh', ...familyAfiSafi(f), subtype: RouteRefreshSubtype.Normal });
    if (nextInMs !== undefined) this.startTimer('route-refresh', nextInMs);
  }

  // ------------------------------------------------------------ sending

  private onSendUpdates(updates: ReadonlyArray<Buffer | BgpUpdate>): void {
    if (this._state !== 'Established') {
      if (updates.length > 0) this.log('debug', `${updates.length} UPDATE(s) not sent: session is ${this._state}`);
      return;
    }
    if (updates.length === 0) return;
    // Encode and check them all first: a caller's bad message throws before anything is sent.
    const messages = updates.map((u) =>
      Buffer.isBuffer(u) ? this.checkedUpdate(u) : bgpMessage.encode({ type: 'update', update: u }, undefined, 0, this.ctxOut),
    );
    for (const data of messages) {
      this.send(data);
      if (data[BGP_MARKER_LENGTH + 2] === MessageType.Update) this.stats.updatesOut++;
    }
    // RFC 4271 §8.2.2 Established: sending an UPDATE restarts the KeepaliveTimer.
    this.startKeepalive();
  }

  /**
   * A pre-encoded UPDATE must be one whole message this session allows (a
   * caller's bug otherwise). The BoRR / EoRR markers that frame an
   * enhanced route refresh (RFC 7313 §4) travel in the same ordered batch
   * as the UPDATEs between them, so they are accepted here too, when the
   * peer negotiated enhanced route refresh.
   */
  private checkedUpdate(data: Buffer): Buffer {
    if (data.length >= BGP_HEADER_LENGTH && data[BGP_MARKER_LENGTH + 2] === MessageType.RouteRefresh) return this.checkedMarker(data);
    if (data.length < BGP_HEADER_LENGTH || data[BGP_MARKER_LENGTH + 2] !== MessageType.Update) {
      throw new RangeError('send-update: not an UPDATE message');
    }
    const length = data.readUInt16BE(BGP_MARKER_LENGTH);
    if (length !== data.length) throw new RangeError(`send-update: Length field ${length} but ${data.length} bytes`);
    const max = maxMessageLength(MessageType.Update, this.ctxOut);
    if (length > max) throw new RangeError(`send-update: ${length}-byte UPDATE; this session allows ${max}`);
    return data;
  }

  private checkedMarker(data: Buffer): Buffer {
    const length = data.readUInt16BE(BGP_MARKER_LENGTH);
    const subtype = data[BGP_HEADER_LENGTH + 2];
    if (length !== data.length || length !== BGP_HEADER_LENGTH + 4) throw new RangeError(`send-update: ${data.length}-byte ROUTE-REFRESH`);
    if (subtype !== RouteRefreshSubtype.BeginningOfRouteRefresh && subtype !== RouteRefreshSubtype.EndOfRouteRefresh) {
      throw new RangeError(`send-update: ROUTE-REFRESH subtype ${String(subtype)} is not a BoRR / EoRR marker`);
    }
    if (this._negotiated?.enhancedRouteRefresh !== true) {
      throw new RangeError('send-update: BoRR / EoRR to a peer without enhanced route refresh (RFC 7313 §4)');
    }
    return data;
  }

  private onSendRouteRefresh(afi: number, safi: number, subtype: number): void {
    const n = this._negotiated;
    if (this._state !== 'Established' || n === null) {
      this.log('debug', `ROUTE-REFRESH not sent: session is ${this._state}`);
      return;
    }
    const family = familyOf(afi, safi);
    if (!n.routeRefresh || (subtype !== RouteRefreshSubtype.Normal && !n.enhancedRouteRefresh)) {
      // RFC 2918 §4 / RFC 7313 §4: only to a peer that announced the capability.
      this.log('warn', `ROUTE-REFRESH not sent: the peer did not announce ${subtype === 0 ? 'route refresh' : 'enhanced route refresh'}`);
      return;
    }
    if (family === undefined || !n.families.includes(family)) {
      this.log('warn', `ROUTE-REFRESH not sent: AFI ${afi} SAFI ${safi} is not negotiated`);
      return;
    }
    this.send(bgpMessage.encode({ type: 'route-refresh', routeRefresh: { afi, safi, subtype } }));
  }
}

/** ROUTE-REFRESH for a family (convenience for callers holding a Family). */
export function routeRefreshEvent(family: Family, subtype: number = RouteRefreshSubtype.Normal): ConnectionEvent {
  return { type: 'send-route-refresh', ...familyAfiSafi(family), subtype };
}
