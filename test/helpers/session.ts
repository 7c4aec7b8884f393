// Helpers for the sans-IO session tests (test/control): a deterministic
// SessionEnv, configs, peer messages built with the wire encoders, and
// filters over the actions a BgpConnection or BgpPeer returns.
import assert from 'node:assert/strict';
import type { Capability } from '../../src/wire/bgp-capability.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import type { BgpMessage } from '../../src/wire/bgp-message.js';
import { buildOpen, type BgpOpen } from '../../src/wire/bgp-open.js';
import { DEFAULT_CONTEXT, type BgpContext } from '../../src/wire/bgp-context.js';
import type { BgpUpdate } from '../../src/wire/bgp-update.js';
import type { ConnectionAction, ConnectionConfig, SessionEnv } from '../../src/control/bgp-fsm.js';

/** A clock the test moves by hand, and a random source that replays `randoms` (then 0.5). */
export class TestEnv implements SessionEnv {
  time = 1_000_000;
  private readonly randoms: number[];
  constructor(randoms: readonly number[] = []) {
    this.randoms = [...randoms];
  }
  now(): number {
    return this.time;
  }
  random(): number {
    return this.randoms.length > 0 ? this.randoms.shift()! : 0.5;
  }
  /** Every later random() returns r. */
  fixRandom(r: number): void {
    this.randoms.length = 0;
    this.randoms.push(...new Array<number>(10_000).fill(r));
  }
}

export const LOCAL_ID = '10.0.0.1';
export const PEER_ID = '10.0.0.2';

export function connectionConfig(overrides: Partial<ConnectionConfig> = {}): ConnectionConfig {
  return {
    localAs: 65000,
    routerId: LOCAL_ID,
    holdTime: 90,
    families: ['l2vpn-evpn'],
    peerAs: 65000,
    remoteAddress: '192.0.2.2',
    remotePort: 179,
    connectRetryTime: 120,
    initiator: 'local',
    ...overrides,
  };
}

/** The peer's capabilities by default: what FRR announces for EVPN, minus the extras. */
export function peerCapabilities(as = 65000): Capability[] {
  return [
    { type: 'multiprotocol', afi: 25, safi: 70 },
    { type: 'route-refresh' },
    { type: 'four-octet-as', as },
  ];
}

export function peerOpen(init: Partial<{ as: number; holdTime: number; bgpId: string; capabilities: Capability[] }> = {}): BgpOpen {
  const as = init.as ?? 65000;
  return buildOpen({
    as,
    holdTime: init.holdTime ?? 90,
    bgpId: init.bgpId ?? PEER_ID,
    capabilities: init.capabilities ?? peerCapabilities(as),
  });
}

export function encode(message: BgpMessage, ctx: BgpContext = DEFAULT_CONTEXT): Buffer {
  return bgpMessage.encode(message, undefined, 0, ctx);
}

export function openBytes(open: BgpOpen = peerOpen()): Buffer {
  return encode({ type: 'open', open });
}

export const KEEPALIVE = encode({ type: 'keepalive' });

export function notificationBytes(code: number, subcode: number, data: Buffer = Buffer.alloc(0)): Buffer {
  return encode({ type: 'notification', notification: { code, subcode, data } });
}

export function updateBytes(update: Omit<BgpUpdate, 'problems'>, ctx: BgpContext = DEFAULT_CONTEXT): Buffer {
  return encode({ type: 'update', update: { ...update, problems: [] } }, ctx);
}

type ActionOf<A extends { type: string }, T extends A['type']> = Extract<A, { type: T }>;

export function ofType<A extends { type: string }, T extends A['type']>(actions: readonly A[], type: T): Array<ActionOf<A, T>> {
  return actions.filter((a): a is ActionOf<A, T> => a.type === type);
}

export function only<A extends { type: string }, T extends A['type']>(actions: readonly A[], type: T): ActionOf<A, T> {
  const found = ofType(actions, type);
  assert.equal(found.length, 1, `expected one ${type} action, got ${found.length}: ${JSON.stringify(actions.map((a) => a.type))}`);
  return found[0]!;
}

/** The BGP messages in 'send' actions, decoded. */
export function sent(actions: readonly { type: string }[], ctx: BgpContext = DEFAULT_CONTEXT): BgpMessage[] {
  return actions
    .filter((a): a is { type: 'send'; data: Buffer } => a.type === 'send')
    .map((a) => bgpMessage.decode(a.data, 0, ctx));
}

/** The bytes of every 'send' action, concatenated. */
export function sentBytes(actions: readonly { type: string }[]): Buffer {
  return Buffer.concat(actions.filter((a): a is { type: 'send'; data: Buffer } => a.type === 'send').map((a) => a.data));
}

export function timers(actions: readonly ConnectionAction[]): Array<[string, string, number?]> {
  return actions
    .filter((a) => a.type === 'start-timer' || a.type === 'stop-timer')
    .map((a) => (a.type === 'start-timer' ? ['start', a.timer, a.ms] : ['stop', (a as { timer: string }).timer]));
}
