// A minimal BGP speaker of the project's own, for fault and interop tests,
// built only from the src/wire codecs: it sends an OPEN (AS, BGP ID, hold
// time, capabilities of the test's choosing), answers the peer's OPEN with a
// KEEPALIVE and keeps sending KEEPALIVEs every negotiated hold time / 3,
// decodes and timestamps every message it receives, and sends whatever the
// test asks for: well-formed UPDATEs built from values, or raw bytes (an
// UPDATE with a deliberately malformed attribute, see malformedUpdate).
//
// It keeps no FSM beyond that: no hold timer of its own, no collision
// detection, no reaction to what it receives except the one KEEPALIVE. The
// test decides everything else, which is the point.
//
// Namespaces: a process cannot put one of its sockets into another network
// namespace, so the TCP connection lives in a child process started with
// `ip netns exec NS node dist/test/helpers/test-speaker-main.js <config>`
// (test-speaker-main.ts), which frames the byte stream into BGP messages
// and talks JSON lines over stdin/stdout. The BGP logic stays here, in the
// test process. ns = null runs the child in the test process's namespace.
// The child is a Topology child: destroy() kills it.

import { spawn, type ChildProcess } from 'node:child_process';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Afi, Safi } from '../../src/wire/afi-safi.js';
import type { EvpnReach } from '../../src/wire/attr-mp-reach-nlri.js';
import type { AsPathSegment } from '../../src/wire/attr-as-path.js';
import type { Origin } from '../../src/wire/attr-origin.js';
import type { Capability } from '../../src/wire/bgp-capability.js';
import { AddPathDirection } from '../../src/wire/bgp-capability.js';
import { AS4_CONTEXT, afiSafiKey, DEFAULT_CONTEXT, type BgpContext } from '../../src/wire/bgp-context.js';
import * as bgpHeader from '../../src/wire/bgp-header.js';
import { BGP_HEADER_LENGTH, MessageType } from '../../src/wire/bgp-header.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import type { BgpMessage } from '../../src/wire/bgp-message.js';
import { notification, type BgpNotification } from '../../src/wire/bgp-notification.js';
import { buildOpen, capabilities as openCapabilities, type BgpOpen } from '../../src/wire/bgp-open.js';
import { action as updateAction, isEndOfRib, type BgpUpdate } from '../../src/wire/bgp-update.js';
import { zeroEsi, type Esi } from '../../src/wire/esi.js';
import type { EvpnNlri, EvpnRoute, InclusiveMulticastRoute, MacIpAdvertisementRoute } from '../../src/wire/evpn-nlri.js';
import { evpnRouteKey } from '../../src/wire/evpn-nlri.js';
import { parseRouteTarget, TunnelType, type ExtendedCommunity } from '../../src/wire/extended-community.js';
import * as pathAttribute from '../../src/wire/path-attribute.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { PmsiTunnelType } from '../../src/wire/attr-pmsi-tunnel.js';
import { parseRd } from '../../src/wire/route-distinguisher.js';
import { inNs, type Topology } from './netns.js';

// ---------------------------------------------------------------- options and records

export interface TestSpeakerOptions {
  as: number;
  bgpId: string;
  /** Hold time we offer (default 9, like FRR's datacenter profile). */
  holdTime?: number;
  /** Default: MP l2vpn-evpn (25/70), route refresh, 4-octet AS (what FRR accepts from a third-party VTEP). */
  capabilities?: Capability[];
  /** Send exactly these bytes as our OPEN instead of the one built from the fields above. */
  rawOpen?: Buffer;
  /** Send our OPEN as soon as TCP is up (default true). */
  sendOpen?: boolean;
  /** Answer the peer's OPEN with a KEEPALIVE and send KEEPALIVEs every hold/3 (default true). */
  keepalives?: boolean;
}

/** The capabilities of a plain EVPN speaker: MP 25/70, route refresh, 4-octet AS. */
export function evpnCapabilities(as: number): Capability[] {
  return [
    { type: 'multiprotocol', afi: Afi.L2vpn, safi: Safi.Evpn },
    { type: 'route-refresh' },
    { type: 'four-octet-as', as },
  ];
}

export interface ReceivedMessage {
  /** Milliseconds since the epoch when the child read it (sub-ms resolution). */
  t: number;
  /** The whole message, header included. */
  raw: Buffer;
  /** Decoded with the session's context; absent when decoding threw. */
  message?: BgpMessage;
  /** What the decoder threw (a WireError for malformed input). */
  error?: Error;
}

export interface SentMessage {
  /** When the test asked for it (the child reports when the kernel took it in `events`). */
  t: number;
  raw: Buffer;
}

export type SpeakerEvent =
  | { type: 'listening'; address: string; port: number }
  | { type: 'connected'; t: number; local: string; remote: string }
  | { type: 'sent'; t: number; length: number }
  | { type: 'unframed'; t: number; raw: Buffer }
  | { type: 'error'; t: number; message: string }
  | { type: 'closed'; t: number };

export interface AdjRibInEntry {
  nlri: EvpnNlri;
  nextHop: string;
  /** The UPDATE's attributes other than MP_REACH_NLRI. */
  attributes: PathAttribute[];
  /** When it arrived. */
  t: number;
}

function now(): number {
  return performance.timeOrigin + performance.now();
}

const MAIN = fileURLToPath(new URL('./test-speaker-main.js', import.meta.url));

// ---------------------------------------------------------------- the speaker

/** One test speaker session; made by connectSpeaker() or listenSpeaker(). */
export class TestSpeaker {
  /** Every message received, in order. */
  readonly received: ReceivedMessage[] = [];
  readonly sent: SentMessage[] = [];
  readonly events: SpeakerEvent[] = [];
  /** The OPEN we send (undefined with rawOpen). */
  readonly localOpen: BgpOpen | undefined;
  peerOpen: BgpOpen | undefined;
  /** The decoding context after both OPENs: 4-octet AS, extended message, ADD-PATH receive. */
  context: BgpContext = DEFAULT_CONTEXT;
  /** Negotiated hold time in seconds, once the peer's OPEN arrived. */
  holdTime: number | undefined;
  /**
   * Our view of what the peer announced: EVPN NLRIs by evpnRouteKey,
   * updated by every decoded UPDATE (MP_REACH adds, MP_UNREACH removes,
   * an UPDATE to treat as withdraw removes what its MP_REACH carries).
   */
  readonly adjRibIn = new Map<string, AdjRibInEntry>();

  private readonly child: ChildProcess;
  private readonly options: TestSpeakerOptions;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private keepalivesOn: boolean;
  private readonly listeners = new Set<() => void>();
  private closedAt: number | undefined;

  constructor(child: ChildProcess, options: TestSpeakerOptions) {
    this.child = child;
    this.options = options;
    this.keepalivesOn = options.keepalives ?? true;
    this.localOpen =
      options.rawOpen === undefined
        ? buildOpen({
            as: options.as,
            holdTime: options.holdTime ?? 9,
            bgpId: options.bgpId,
            capabilities: options.capabilities ?? evpnCapabilities(options.as),
          })
        : undefined;
    const lines = readline.createInterface({ input: child.stdout! });
    lines.on('line', (line) => this.onLine(line));
    child.stderr!.on('data', (d: Buffer) => this.record({ type: 'error', t: now(), message: d.toString('utf8').trim() }));
    child.on('exit', () => {
      if (this.closedAt === undefined) this.record({ type: 'closed', t: now() });
    });
  }

  // ------------------------------------------------------------ child protocol

  private onLine(line: string): void {
    let msg: Record<string, Record<string, unknown> | undefined> & { t?: number };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      this.record({ type: 'error', t: now(), message: `speaker child printed: ${line}` });
      return;
    }
    if (msg['received']) {
      const r = msg['received'] as { hex: string; t: number };
      this.onMessage(Buffer.from(r.hex, 'hex'), r.t);
    } else if (msg['connected']) {
      const c = msg['connected'] as { local: string; remote: string };
      this.record({ type: 'connected', t: msg.t ?? now(), local: c.local, remote: c.remote });
      if (this.options.sendOpen ?? true) this.sendOpen();
    } else if (msg['listening']) {
      const l = msg['listening'] as { address: string; port: number };
      this.record({ type: 'listening', address: l.address, port: l.port });
    } else if (msg['sent']) {
      const s = msg['sent'] as { length: number; t: number };
      this.record({ type: 'sent', t: s.t, length: s.length });
    } else if (msg['unframed']) {
      const u = msg['unframed'] as { hex: string; t: number };
      this.record({ type: 'unframed', t: u.t, raw: Buffer.from(u.hex, 'hex') });
    } else if (msg['error']) {
      const e = msg['error'] as { message: string; t: number };
      this.record({ type: 'error', t: e.t, message: e.message });
    } else if (msg['closed']) {
      const c = msg['closed'] as { t: number };
      this.record({ type: 'closed', t: c.t });
    }
  }

  private record(event: SpeakerEvent): void {
    this.events.push(event);
    if (event.type === 'closed') {
      this.closedAt ??= event.t;
      this.stopKeepalives();
    }
    this.wake();
  }

  private wake(): void {
    for (const l of [...this.listeners]) l();
  }

  private onMessage(raw: Buffer, t: number): void {
    const r: ReceivedMessage = { t, raw };
    try {
      r.message = bgpMessage.decode(raw, 0, this.context);
    } catch (e) {
      r.error = e instanceof Error ? e : new Error(String(e));
    }
    this.received.push(r);
    const m = r.message;
    if (m?.type === 'open') this.onOpen(m.open);
    else if (m?.type === 'update') this.applyUpdate(m.update, t);
    this.wake();
  }

  private onOpen(open: BgpOpen): void {
    this.peerOpen = open;
    const ours = this.localOpen === undefined ? [] : openCapabilities(this.localOpen);
    const theirs = openCapabilities(open);
    const both = (type: Capability['type']): boolean => ours.some((c) => c.type === type) && theirs.some((c) => c.type === type);
    // RFC 7911 §4: path identifiers arrive where we said we receive and the peer said it sends.
    const addPath = new Set<string>();
    for (const c of ours) {
      if (c.type !== 'add-path') continue;
      for (const f of c.families) {
        if (!(f.sendReceive & AddPathDirection.Receive)) continue;
        const peerSends = theirs.some(
          (p) => p.type === 'add-path' && p.families.some((g) => g.afi === f.afi && g.safi === f.safi && g.sendReceive & AddPathDirection.Send),
        );
        if (peerSends) addPath.add(afiSafiKey(f.afi, f.safi));
      }
    }
    this.context = { ...(both('four-octet-as') ? AS4_CONTEXT : DEFAULT_CONTEXT), extendedMessage: both('extended-message'), addPath };
    // RFC 4271 §4.2: the hold time is the smaller of the two offers.
    this.holdTime = Math.min(open.holdTime, this.localOpen?.holdTime ?? open.holdTime);
    if (this.keepalivesOn) {
      this.sendMessage(bgpMessage.KEEPALIVE);
      this.startKeepalives();
    }
  }

  private applyUpdate(update: BgpUpdate, t: number): void {
    // RFC 7606 §2: treat-as-withdraw removes the UPDATE's routes, attribute-discard uses it without the bad attribute.
    const withdrawAll = updateAction(update) === 'treat-as-withdraw';
    const attributes = update.attributes.filter((a) => a.type !== 'mp-reach-nlri' && a.type !== 'mp-unreach-nlri');
    for (const a of update.attributes) {
      if (a.type === 'mp-unreach-nlri' && a.value.kind === 'evpn') {
        for (const n of a.value.withdrawn) this.adjRibIn.delete(nlriKey(n));
      }
      if (a.type === 'mp-reach-nlri' && a.value.kind === 'evpn') {
        for (const n of a.value.nlri) {
          if (withdrawAll) this.adjRibIn.delete(nlriKey(n));
          else this.adjRibIn.set(nlriKey(n), { nlri: n, nextHop: a.value.nextHop, attributes, t });
        }
      }
    }
  }

  // ------------------------------------------------------------ sending

  /** Send bytes as they are. */
  send(raw: Buffer): void {
    this.sent.push({ t: now(), raw });
    this.child.stdin!.write(`${JSON.stringify({ send: raw.toString('hex') })}\n`);
  }

  /** Encode with the session's context and send. */
  sendMessage(message: BgpMessage): void {
    this.send(bgpMessage.encode(message, undefined, 0, this.context));
  }

  sendUpdate(update: BgpUpdate): void {
    this.sendMessage({ type: 'update', update });
  }

  sendNotification(n: BgpNotification): void {
    this.sendMessage({ type: 'notification', notification: n });
  }

  /** Our OPEN (sent by itself on connect unless sendOpen: false). */
  sendOpen(): void {
    if (this.options.rawOpen !== undefined) this.send(this.options.rawOpen);
    else this.sendMessage({ type: 'open', open: this.localOpen! });
  }

  /** Periodic KEEPALIVEs every negotiated hold/3 s (from the peer's OPEN on, by default). */
  startKeepalives(): void {
    this.keepalivesOn = true;
    this.stopTimer();
    const hold = this.holdTime;
    if (hold === undefined || hold === 0 || this.closedAt !== undefined) return;
    this.keepaliveTimer = setInterval(() => this.sendMessage(bgpMessage.KEEPALIVE), (hold * 1000) / 3);
    this.keepaliveTimer.unref();
  }

  /** Stop sending KEEPALIVEs: the peer's hold timer then expires. */
  stopKeepalives(): void {
    this.keepalivesOn = false;
    this.stopTimer();
  }

  private stopTimer(): void {
    if (this.keepaliveTimer !== undefined) clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = undefined;
  }

  /** Half-close (FIN). */
  end(): void {
    this.child.stdin!.write(`${JSON.stringify({ end: true })}\n`);
  }

  /** Reset the connection (RST). */
  reset(): void {
    this.child.stdin!.write(`${JSON.stringify({ destroy: true })}\n`);
  }

  /** Close the connection and end the child; resolves when it has exited (bounded). */
  async close(timeoutMs = 3_000): Promise<void> {
    this.stopKeepalives();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  // ------------------------------------------------------------ reading

  get closed(): boolean {
    return this.closedAt !== undefined;
  }

  /** Every decoded message of a type, in order. */
  messages<T extends BgpMessage['type']>(type: T, from = 0): Array<Extract<BgpMessage, { type: T }> & { t: number }> {
    const out: Array<Extract<BgpMessage, { type: T }> & { t: number }> = [];
    for (const r of this.received.slice(from)) {
      if (r.message?.type === type) out.push({ ...(r.message as Extract<BgpMessage, { type: T }>), t: r.t });
    }
    return out;
  }

  get updates(): BgpUpdate[] {
    return this.messages('update').map((m) => m.update);
  }

  get notifications(): BgpNotification[] {
    return this.messages('notification').map((m) => m.notification);
  }

  /** True once the peer's OPEN and a KEEPALIVE after it arrived (RFC 4271 §8.2.2 OpenConfirm -> Established). */
  get established(): boolean {
    const i = this.received.findIndex((r) => r.message?.type === 'open');
    return i >= 0 && this.received.slice(i + 1).some((r) => r.message?.type === 'keepalive');
  }

  /**
   * Resolve with check()'s first value other than undefined/false, checked
   * now and after every event; reject after timeoutMs (nothing polls).
   */
  until<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const test = (): boolean => {
        let v: T | undefined | false;
        try {
          v = check();
        } catch (e) {
          done();
          reject(e instanceof Error ? e : new Error(String(e)));
          return true;
        }
        if (v === undefined || v === false) return false;
        done();
        resolve(v);
        return true;
      };
      const listener = (): void => void test();
      const timer = setTimeout(() => {
        done();
        reject(new Error(`test speaker: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        this.listeners.delete(listener);
      };
      this.listeners.add(listener);
      test();
    });
  }

  /** The first received message from index `from` on that satisfies predicate. */
  waitForMessage(what: string, predicate: (r: ReceivedMessage) => boolean, options: { from?: number; timeoutMs?: number } = {}): Promise<ReceivedMessage> {
    return this.until(what, () => this.received.slice(options.from ?? 0).find(predicate), options.timeoutMs);
  }

  waitEstablished(timeoutMs = 10_000): Promise<true> {
    return this.until('the session to be established', () => {
      if (this.closed) throw new Error(`test speaker: connection closed before Established; events: ${JSON.stringify(this.events)}`);
      return this.established;
    }, timeoutMs);
  }

  /** An End-of-RIB (RFC 4724) for l2vpn evpn from index `from` on. */
  waitEndOfRib(timeoutMs = 10_000, from = 0): Promise<ReceivedMessage> {
    return this.waitForMessage(
      'End-of-RIB (l2vpn evpn)',
      (r) => {
        if (r.message?.type !== 'update') return false;
        const eor = isEndOfRib(r.message.update);
        return eor !== null && eor.afi === Afi.L2vpn && eor.safi === Safi.Evpn;
      },
      { from, timeoutMs },
    );
  }

  waitClosed(timeoutMs = 10_000): Promise<number> {
    return this.until('the connection to close', () => this.closedAt, timeoutMs);
  }
}

function nlriKey(n: EvpnNlri): string {
  return `${n.pathId ?? ''}#${evpnRouteKey(n.route)}`;
}

// ---------------------------------------------------------------- starting one

export interface ConnectTarget {
  host: string;
  /** Default 179. */
  port?: number;
  localAddress?: string;
}

export interface ListenTarget {
  address: string;
  /** Default 179. */
  port?: number;
}

/**
 * The socket child. Not Topology.spawn: that one gives children no stdin.
 * The Topology still kills it: a cleanup registered with it.
 */
function spawnChild(topo: Topology, ns: string | null, config: object): ChildProcess {
  const [cmd, ...args] = inNs(ns, [process.execPath, MAIN, JSON.stringify(config)]);
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  // A write after the child died must not become an unhandled 'error'.
  child.stdin!.on('error', () => {});
  child.on('error', () => {});
  topo.addCleanup(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

/** Open TCP from ns to target and send our OPEN; resolves once connected (rejects if the connection fails). */
export async function connectSpeaker(
  topo: Topology,
  ns: string | null,
  target: ConnectTarget,
  options: TestSpeakerOptions,
  timeoutMs = 10_000,
): Promise<TestSpeaker> {
  const connect: ConnectTarget & { port: number } = { host: target.host, port: target.port ?? 179 };
  if (target.localAddress !== undefined) connect.localAddress = target.localAddress;
  const child = spawnChild(topo, ns, { connect });
  const speaker = new TestSpeaker(child, options);
  await speaker.until(
    `a connection to ${connect.host}:${connect.port}`,
    () => {
      const e = speaker.events.find((x) => x.type === 'connected' || x.type === 'closed');
      if (e?.type === 'closed') throw new Error(`test speaker could not connect: ${JSON.stringify(speaker.events)}`);
      return e !== undefined;
    },
    timeoutMs,
  );
  return speaker;
}

/** Listen in ns for one connection (our OPEN goes out when it comes); resolves once listening. */
export async function listenSpeaker(
  topo: Topology,
  ns: string | null,
  target: ListenTarget,
  options: TestSpeakerOptions,
  timeoutMs = 10_000,
): Promise<TestSpeaker> {
  const child = spawnChild(topo, ns, { listen: { address: target.address, port: target.port ?? 179 } });
  const speaker = new TestSpeaker(child, options);
  await speaker.until(
    `listening on ${target.address}`,
    () => {
      const e = speaker.events.find((x) => x.type === 'listening' || x.type === 'closed');
      if (e?.type === 'closed') throw new Error(`test speaker could not listen: ${JSON.stringify(speaker.events)}`);
      return e !== undefined;
    },
    timeoutMs,
  );
  return speaker;
}

// ---------------------------------------------------------------- well-formed UPDATEs from values

export interface EvpnPathInit {
  /** "10.214.0.40:100" or "65000:100". */
  rd: string;
  /** MP_REACH next hop = the VTEP address. */
  nextHop: string;
  /** "65000:100" ... */
  routeTargets: string[];
  /** Encapsulation extended community, tunnel type VXLAN (default true; RFC 8365 §5.1.3). */
  vxlanEncapsulation?: boolean;
  /** Default 'igp'. */
  origin?: Origin;
  /** AS_PATH (default: empty, as an iBGP originator sends it). */
  asPath?: AsPathSegment[];
  /** LOCAL_PREF (iBGP; default: none). */
  localPref?: number;
  /** More extended communities (e.g. MAC mobility). */
  extraCommunities?: ExtendedCommunity[];
  etag?: number;
}

export interface MacIpInit extends EvpnPathInit {
  mac: string;
  ip?: string;
  /** Label 1 = the VNI (RFC 8365 §5.1.3). */
  vni: number;
  esi?: Esi;
}

export interface ImetInit extends EvpnPathInit {
  /** Originating router's IP (default: nextHop): the flood target at the receivers. */
  originatorIp?: string;
  /** PMSI ingress replication label = the VNI; null = no PMSI attribute. */
  vni: number | null;
  /** PMSI tunnel id (default: originatorIp). */
  tunnelId?: string;
}

export function macIpRoute(init: Pick<MacIpInit, 'rd' | 'mac' | 'ip' | 'vni' | 'esi' | 'etag'>): MacIpAdvertisementRoute {
  const route: MacIpAdvertisementRoute = {
    type: 2,
    rd: parseRd(init.rd),
    esi: init.esi ?? zeroEsi(),
    etag: init.etag ?? 0,
    mac: init.mac.toLowerCase(),
    labels: [init.vni],
  };
  if (init.ip !== undefined) route.ip = init.ip;
  return route;
}

export function imetRoute(init: { rd: string; originatorIp: string; etag?: number }): InclusiveMulticastRoute {
  return { type: 3, rd: parseRd(init.rd), etag: init.etag ?? 0, originatorIp: init.originatorIp };
}

function commonAttributes(init: EvpnPathInit, routes: EvpnRoute[]): PathAttribute[] {
  const communities: ExtendedCommunity[] = init.routeTargets.map(parseRouteTarget);
  if (init.vxlanEncapsulation ?? true) communities.push({ kind: 'encapsulation', tunnelType: TunnelType.Vxlan });
  communities.push(...(init.extraCommunities ?? []));
  const reach: EvpnReach = { kind: 'evpn', afi: 25, safi: 70, nextHop: init.nextHop, nlri: routes.map((route) => ({ route })) };
  const attrs: PathAttribute[] = [
    { type: 'mp-reach-nlri', value: reach },
    { type: 'origin', value: init.origin ?? 'igp' },
    { type: 'as-path', value: init.asPath ?? [] },
  ];
  if (init.localPref !== undefined) attrs.push({ type: 'local-pref', value: init.localPref });
  attrs.push({ type: 'extended-communities', value: communities });
  return attrs;
}

/** An UPDATE announcing one MAC/IP Advertisement route (Type 2). */
export function macIpUpdate(init: MacIpInit): BgpUpdate {
  return { withdrawn: [], nlri: [], problems: [], attributes: commonAttributes(init, [macIpRoute(init)]) };
}

/** An UPDATE announcing one Inclusive Multicast Ethernet Tag route (Type 3) with PMSI ingress replication. */
export function imetUpdate(init: ImetInit): BgpUpdate {
  const originatorIp = init.originatorIp ?? init.nextHop;
  const update: BgpUpdate = {
    withdrawn: [],
    nlri: [],
    problems: [],
    attributes: commonAttributes(init, [imetRoute({ rd: init.rd, originatorIp, etag: init.etag ?? 0 })]),
  };
  if (init.vni !== null) {
    // RFC 7432 §11.2 / RFC 8365 §5.1.3: ingress replication, label = VNI, tunnel id = VTEP address.
    update.attributes.push({
      type: 'pmsi-tunnel',
      value: { flags: 0, tunnelType: PmsiTunnelType.IngressReplication, label: init.vni, tunnelId: init.tunnelId ?? originatorIp },
    });
  }
  return update;
}

/** An UPDATE withdrawing EVPN routes (MP_UNREACH_NLRI only). */
export function evpnWithdrawUpdate(routes: EvpnRoute[]): BgpUpdate {
  return {
    withdrawn: [],
    nlri: [],
    problems: [],
    attributes: [{ type: 'mp-unreach-nlri', value: { kind: 'evpn', afi: 25, safi: 70, withdrawn: routes.map((route) => ({ route })) } }],
  };
}

/** RFC 4724 §2 End-of-RIB for l2vpn evpn: an empty MP_UNREACH_NLRI. */
export function evpnEndOfRib(): BgpUpdate {
  return evpnWithdrawUpdate([]);
}

/** Cease / Administrative Shutdown. */
export function ceaseNotification(subcode = 2): BgpNotification {
  return notification(6, subcode);
}

// ---------------------------------------------------------------- malformed UPDATEs (raw bytes)

/**
 * A malformation applied to one encoded attribute (flags, type, length and
 * value bytes): returns the bytes to send instead.
 */
export type AttributeFault = (bytes: Buffer) => Buffer;

/** The offset of an encoded attribute's value (after flags, type and a 1- or 2-byte length). */
function valueOffset(bytes: Buffer): number {
  return bytes[0]! & pathAttribute.AttributeFlag.ExtendedLength ? 4 : 3;
}

/** Rewrite the length field of an encoded attribute. */
function withLength(bytes: Buffer, length: number): Buffer {
  const out = Buffer.from(bytes);
  if (bytes[0]! & pathAttribute.AttributeFlag.ExtendedLength) out.writeUInt16BE(length, 2);
  else out[2] = length;
  return out;
}

/** ORIGIN with value `value` (7 by default): RFC 7606 §7.1, treat-as-withdraw. */
export function originValue(value = 7): AttributeFault {
  return (bytes) => {
    const out = Buffer.from(bytes);
    out[valueOffset(bytes)] = value;
    return out;
  };
}

/**
 * Cut `by` bytes off the end of the value and lower the length to match
 * (e.g. a PMSI tunnel attribute of 8 bytes instead of 9: the IPv4 tunnel
 * id is one byte short).
 */
export function truncateValue(by = 1): AttributeFault {
  return (bytes) => withLength(bytes.subarray(0, bytes.length - by), bytes.length - by - valueOffset(bytes));
}

/**
 * AS_PATH whose first segment claims `extra` more ASNs than the attribute
 * holds (RFC 7606 §7.2 segment overrun: treat-as-withdraw). The attribute
 * must have at least one segment.
 */
export function asPathOverrun(extra = 2): AttributeFault {
  return (bytes) => {
    const out = Buffer.from(bytes);
    const o = valueOffset(bytes);
    if (out.length < o + 2) throw new RangeError('asPathOverrun: the AS_PATH has no segment to overrun');
    out[o + 1] = out[o + 1]! + extra;
    return out;
  };
}

/** The encoded attributes of update, in order (flags, type, length, value each). */
export function encodeAttributes(update: BgpUpdate, ctx: BgpContext): Array<{ typeCode: number; bytes: Buffer }> {
  return update.attributes.map((a) => ({
    typeCode: pathAttribute.attributeTypeCode(a),
    bytes: pathAttribute.encode(a, undefined, 0, ctx),
  }));
}

/**
 * A whole UPDATE message (header included) from already encoded attribute
 * bytes, so the attribute block can hold anything: the Total Path Attribute
 * Length is the sum of what is given. No withdrawn routes, no IPv4 NLRI.
 */
export function rawUpdate(attributes: readonly Buffer[]): Buffer {
  const block = Buffer.concat(attributes);
  const length = BGP_HEADER_LENGTH + 4 + block.length;
  const out = Buffer.alloc(length);
  bgpHeader.encode({ length, type: MessageType.Update }, out, 0);
  out.writeUInt16BE(0, BGP_HEADER_LENGTH);
  out.writeUInt16BE(block.length, BGP_HEADER_LENGTH + 2);
  block.copy(out, BGP_HEADER_LENGTH + 4);
  return out;
}

/**
 * update encoded with ctx, with `fault` applied to its attribute of type
 * code `typeCode` (AttributeTypeCode.Origin, .AsPath, .PmsiTunnel ...).
 * Throws if the UPDATE has no such attribute.
 */
export function malformedUpdate(update: BgpUpdate, typeCode: number, fault: AttributeFault, ctx: BgpContext): Buffer {
  const attrs = encodeAttributes(update, ctx);
  const target = attrs.find((a) => a.typeCode === typeCode);
  if (target === undefined) throw new RangeError(`malformedUpdate: the UPDATE has no attribute of type ${typeCode}`);
  return rawUpdate(attrs.map((a) => (a === target ? fault(a.bytes) : a.bytes)));
}
