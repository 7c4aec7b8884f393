// Shared pieces of the control-plane tests: peers, a recording FDB that
// behaves like the dataplane's (including its synchronous localAged when a
// remote entry replaces a local one), a route sink, and the receive
// pipeline reader -> Adj-RIB-In -> Loc-RIB -> EVPN manager.
import { AS4_CONTEXT } from '../../src/wire/bgp-context.js';
import type { BgpContext } from '../../src/wire/bgp-context.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import type { BgpUpdate } from '../../src/wire/bgp-update.js';
import type { Fdb } from '../../src/dataplane/fdb.js';
import { AdjRibIn } from '../../src/control/adj-rib-in.js';
import type { EvpnManager } from '../../src/control/evpn-manager.js';
import type { FdbPort } from '../../src/control/fdb-port.js';
import type { ImportPolicyConfig } from '../../src/control/import-policy.js';
import { applyUpdate } from '../../src/control/inbound.js';
import { LocRib } from '../../src/control/loc-rib.js';
import type { PeerRef, Route } from '../../src/control/route.js';
import { readUpdate } from '../../src/control/update-reader.js';
import { bgpMessages, type CapturedBgpMessage } from '../helpers/bgp-captures.js';
import { capturePath, type CaptureName } from '../helpers/fixtures.js';
import { tsharkFrames } from '../helpers/tshark.js';

export function peer(address: string, over: Partial<PeerRef> = {}): PeerRef {
  return { address, asn: 65000, routerId: address, ibgp: true, rrClient: false, ...over };
}

/** The FRR route reflector of the interop lab. */
export const FRR_RR = peer('10.212.0.254');

export function decodeUpdate(bytes: Buffer, ctx: BgpContext = AS4_CONTEXT): BgpUpdate {
  const m = bgpMessage.decode(bytes, 0, ctx);
  if (m.type !== 'update') throw new Error(`not an UPDATE: ${m.type}`);
  return m.update;
}

type FdbCall =
  | ['addRemote', number, string, string, { seq: number; sticky: boolean }]
  | ['removeRemote', number, string, string | undefined]
  | ['setFloodList', number, string[]]
  | ['addRemoteNeighbor', number, string, string]
  | ['removeRemoteNeighbor', number, string];

export type FdbEntry = { kind: 'remote'; vtep: string; seq: number; sticky: boolean } | { kind: 'local' };

/** An FDB that records calls and keeps the resulting state, like src/dataplane's. */
export class RecordingFdb implements FdbPort {
  calls: FdbCall[] = [];
  readonly entries = new Map<string, FdbEntry>();
  readonly flood = new Map<number, string[]>();
  readonly neighbors = new Map<string, string>();
  /** The manager the dataplane reports local events to (set it to emulate the echo). */
  manager: EvpnManager | null = null;
  /** Scale tests: no call log, no entries, only a count of remote entries. */
  quiet = false;
  remoteCount = 0;

  addRemote(vni: number, mac: string, vtep: string, opts: { seq: number; sticky: boolean }): void {
    if (this.quiet) {
      this.remoteCount++;
      return;
    }
    this.calls.push(['addRemote', vni, mac, vtep, opts]);
    const k = `${vni}|${mac}`;
    const was = this.entries.get(k);
    this.entries.set(k, { kind: 'remote', vtep, seq: opts.seq, sticky: opts.sticky });
    // The dataplane emits localAged when a control-plane entry replaces a local one.
    if (was?.kind === 'local') this.manager?.localAged(vni, mac);
  }

  removeRemote(vni: number, mac: string, vtep?: string): boolean {
    if (this.quiet) {
      this.remoteCount--;
      return true;
    }
    this.calls.push(['removeRemote', vni, mac, vtep]);
    const k = `${vni}|${mac}`;
    const e = this.entries.get(k);
    if (e?.kind !== 'remote' || (vtep !== undefined && e.vtep !== vtep)) return false;
    this.entries.delete(k);
    return true;
  }

  setFloodList(vni: number, vteps: readonly string[]): void {
    if (!this.quiet) this.calls.push(['setFloodList', vni, [...vteps]]);
    this.flood.set(vni, [...vteps]);
  }

  addRemoteNeighbor(vni: number, ip: string, mac: string): void {
    if (!this.quiet) this.calls.push(['addRemoteNeighbor', vni, ip, mac]);
    this.neighbors.set(`${vni}|${ip}`, mac);
  }

  removeRemoteNeighbor(vni: number, ip: string): void {
    if (!this.quiet) this.calls.push(['removeRemoteNeighbor', vni, ip]);
    this.neighbors.delete(`${vni}|${ip}`);
  }

  /** The dataplane learned a MAC on a local port: the entry turns local, then the event. */
  learnLocal(vni: number, mac: string, ip?: string): void {
    this.entries.set(`${vni}|${mac}`, { kind: 'local' });
    this.manager?.localLearned(vni, mac, ip);
  }

  /** The local entry aged. */
  ageLocal(vni: number, mac: string): void {
    const k = `${vni}|${mac}`;
    if (this.entries.get(k)?.kind === 'local') this.entries.delete(k);
    this.manager?.localAged(vni, mac);
  }

  entry(vni: number, mac: string): FdbEntry | undefined {
    return this.entries.get(`${vni}|${mac}`);
  }
}

/**
 * The FDB API over a real FDB, as the daemon wires the dataplane's:
 * addRemote is false when the FDB had no room (Dataplane.addRemote).
 * Neighbors (ARP suppression) are kept in a map.
 */
export function fdbPortOver(fdb: Fdb, neighbors = new Map<string, string>()): FdbPort {
  return {
    addRemote: (vni, mac, vtep, opts) => fdb.addRemote(vni, mac, vtep, opts) !== 'refused-limit',
    removeRemote: (vni, mac, vtep) => fdb.removeRemote(vni, mac, vtep),
    setFloodList: (vni, vteps) => fdb.setFloodList(vni, vteps),
    addRemoteNeighbor: (vni, ip, mac) => void neighbors.set(`${vni}|${ip}`, mac),
    removeRemoteNeighbor: (vni, ip) => void neighbors.delete(`${vni}|${ip}`),
  };
}

/** Our routes as the speaker would hold them (key -> route), plus the call log. */
export class RecordingSink {
  readonly routes = new Map<string, Route>();
  log: Array<['announce' | 'withdraw', Route]> = [];
  /** Loc-RIB to feed (as the speaker does), optional. */
  locRib: LocRib | null = null;

  announce(route: Route): void {
    this.log.push(['announce', route]);
    this.routes.set(route.key, route);
    this.locRib?.update(route);
  }

  withdraw(route: Route): void {
    this.log.push(['withdraw', route]);
    this.routes.delete(route.key);
    this.locRib?.withdraw(route.family, route.key, null);
  }
}

/** One peer's receive path into a Loc-RIB. */
export class Receiver {
  readonly adjRibIn: AdjRibIn;
  constructor(
    readonly from: PeerRef,
    readonly locRib: LocRib,
    readonly policy: ImportPolicyConfig,
    readonly ctx: BgpContext = AS4_CONTEXT,
  ) {
    this.adjRibIn = new AdjRibIn(from);
  }

  receive(bytes: Buffer, now = 0): ReturnType<typeof applyUpdate> {
    const read = readUpdate(decodeUpdate(bytes, this.ctx), this.from, now, { as4: this.ctx.as4 });
    return applyUpdate(read, this.adjRibIn, this.locRib, this.policy);
  }
}

/** Split a batch of concatenated or separate messages into single messages. */
export function splitMessages(batch: readonly Buffer[]): Buffer[] {
  const out: Buffer[] = [];
  for (const b of batch) {
    for (let o = 0; o < b.length; ) {
      const len = b.readUInt16BE(o + 16);
      out.push(b.subarray(o, o + len));
      o += len;
    }
  }
  return out;
}

/** The UPDATEs of a capture sent from `source` (read from tshark's ip.src), in order. */
export function updatesFrom(capture: CaptureName, source: string): CapturedBgpMessage[] {
  const src = new Map<number, string>();
  for (const f of tsharkFrames(capturePath(capture), 'bgp')) {
    const ip = f.layers['ip'];
    if (typeof ip === 'object' && !Array.isArray(ip) && typeof ip['ip.src'] === 'string') src.set(f.number, ip['ip.src']);
  }
  return bgpMessages([capture]).filter((m) => m.type === 2 && src.get(m.frame) === source);
}

/** The raw bytes (header included) of each path attribute of an UPDATE message, by type code. */
export function attributeBytes(message: Buffer): Map<number, Buffer> {
  const withdrawnLength = message.readUInt16BE(19);
  let o = 21 + withdrawnLength;
  const end = o + 2 + message.readUInt16BE(o);
  o += 2;
  const out = new Map<number, Buffer>();
  while (o < end) {
    const flags = message[o]!;
    const ext = (flags & 0x10) !== 0;
    const len = ext ? message.readUInt16BE(o + 2) : message[o + 2]!;
    const total = (ext ? 4 : 3) + len;
    out.set(message[o + 1]!, message.subarray(o, o + total));
    o += total;
  }
  return out;
}
