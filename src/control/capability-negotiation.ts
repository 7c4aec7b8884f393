// What a BGP session may use, from our OPEN and the peer's (RFC 5492 §3:
// a capability is in effect only when both sides announced it, except where
// its own RFC says otherwise), and the capabilities vxswitch announces.
//
// Unknown capabilities (FQDN, LLGR, Cisco route refresh, ...) are ignored
// (RFC 5492 §3): nothing here rejects an OPEN. A family we want that the peer
// did not announce is not an error either: the session comes up without it
// (RFC 4760 §8 leaves that to the speaker; `missingFamilies` lets the caller
// say so in its log).

import { afiSafiKey, type BgpContext } from '../wire/bgp-context.js';
import {
  AddPathDirection,
  GR_FORWARDING_FLAG,
  GracefulRestartFlag,
  type AddPathFamily,
  type AddPathMode as WireAddPathMode,
  type Capability,
} from '../wire/bgp-capability.js';
import { buildOpen, capabilities, effectiveAs, type BgpOpen } from '../wire/bgp-open.js';
import { FAMILIES, familyAfiSafi, familyOf } from './afi-safi-family.js';
import type { Family } from './route.js';

/** RFC 7911 §4 per family: receive path identifiers, send them, or both. */
export type AddPathMode = 'receive' | 'send' | 'both';

/** What we announce (the `[[neighbors]]` settings that become capabilities). */
export interface LocalCapabilityConfig {
  /** Our AS (the 4-octet AS capability carries it). */
  localAs: number;
  /** `afi-safis`: one multiprotocol capability each (RFC 4760 §8). */
  families: readonly Family[];
  /** RFC 8654 Extended Message capability: announced only when true. */
  extendedMessage?: boolean;
  /**
   * RFC 4724 Graceful Restart as a helper (Receiving Speaker): the restart
   * time we announce, in seconds (0..4095); null = do not announce GR.
   * Default 120.
   */
  gracefulRestartTime?: number | null;
  /** RFC 7911: families for which we announce ADD-PATH (none by default). */
  addPath?: ReadonlyArray<{ family: Family; mode: AddPathMode }>;
}

export const DEFAULT_GRACEFUL_RESTART_TIME = 120;

export interface OpenConfig extends LocalCapabilityConfig {
  routerId: string;
  /** Seconds: 0 or ≥ 3 (RFC 4271 §4.2). */
  holdTime: number;
}

const WIRE_ADD_PATH: Readonly<Record<AddPathMode, WireAddPathMode>> = {
  receive: AddPathDirection.Receive,
  send: AddPathDirection.Send,
  both: AddPathDirection.Both,
};

/**
 * The capabilities vxswitch announces, in this order: multiprotocol per
 * configured family, route refresh (RFC 2918), enhanced route refresh
 * (RFC 7313), 4-octet AS (RFC 6793), graceful restart with a restart time
 * and no families (RFC 4724 §3: a speaker that only helps its peers restart
 * lists no AFI/SAFI, since it preserves no forwarding state of its own),
 * extended message when configured (RFC 8654), ADD-PATH when configured.
 */
export function localCapabilities(config: LocalCapabilityConfig): Capability[] {
  const caps: Capability[] = [];
  for (const family of config.families) caps.push({ type: 'multiprotocol', ...familyAfiSafi(family) });
  caps.push({ type: 'route-refresh' }, { type: 'enhanced-route-refresh' }, { type: 'four-octet-as', as: config.localAs });
  const restartTime = config.gracefulRestartTime === undefined ? DEFAULT_GRACEFUL_RESTART_TIME : config.gracefulRestartTime;
  if (restartTime !== null) caps.push({ type: 'graceful-restart', flags: 0, restartTime, families: [] });
  if (config.extendedMessage === true) caps.push({ type: 'extended-message' });
  if (config.addPath !== undefined && config.addPath.length > 0) {
    caps.push({
      type: 'add-path',
      families: config.addPath.map((a) => ({ ...familyAfiSafi(a.family), sendReceive: WIRE_ADD_PATH[a.mode] })),
    });
  }
  return caps;
}

/** Our OPEN: My AS = AS_TRANS when the AS needs 4 octets (bgp-open.ts buildOpen). */
export function localOpen(config: OpenConfig): BgpOpen {
  return buildOpen({
    as: config.localAs,
    holdTime: config.holdTime,
    bgpId: config.routerId,
    capabilities: localCapabilities(config),
  });
}

export interface AddPathNegotiated {
  family: Family;
  /** We send path identifiers (we announced send, the peer receive). */
  send: boolean;
  /** We receive path identifiers (we announced receive, the peer send). */
  receive: boolean;
}

/** The peer's Graceful Restart capability (RFC 4724 §3): we are its helper. */
export interface PeerGracefulRestart {
  /** Seconds to keep its routes as stale after the session drops. */
  restartTime: number;
  /** R bit: the peer has just restarted. */
  restartState: boolean;
  /** N bit (RFC 8538 §2); vxswitch does not announce it, so it is informational. */
  notification: boolean;
  /** Families it preserves forwarding for; only negotiated families are listed. */
  families: Array<{ family: Family; forwardingPreserved: boolean }>;
}

export interface Negotiated {
  /** The peer's real AS (RFC 6793 §4.1: the 4-octet AS capability when present). */
  peerAs: number;
  peerRouterId: string;
  /** Seconds: min(ours, theirs) (RFC 4271 §4.2), 0 or ≥ 3. */
  holdTime: number;
  /** Seconds between our KEEPALIVEs; 0 when the hold time is 0 (RFC 4271 §4.4). */
  keepaliveInterval: number;
  /** RFC 6793: both announced 4-octet AS. */
  as4: boolean;
  /** Families both announced, in our configured order. */
  families: Family[];
  /** Families we configured that the peer did not announce. */
  missingFamilies: Family[];
  /** RFC 2918: the peer announced route refresh (we may send ROUTE-REFRESH). */
  routeRefresh: boolean;
  /** RFC 7313: both announced enhanced route refresh. */
  enhancedRouteRefresh: boolean;
  /** RFC 8654: both announced extended messages (we send up to 65535 bytes). */
  extendedMessage: boolean;
  /** RFC 7911, per negotiated family where either direction is on. */
  addPath: AddPathNegotiated[];
  gracefulRestart: PeerGracefulRestart | null;
  /** Decoding what the peer sends. */
  ctxIn: BgpContext;
  /** Encoding what we send. */
  ctxOut: BgpContext;
  localCapabilities: Capability[];
  remoteCapabilities: Capability[];
}

export interface NegotiateOptions {
  /** Configured keepalive interval, seconds; capped at hold/3. Default hold/3. */
  keepaliveInterval?: number;
}

/**
 * RFC 4760 §8 / RFC 4271: a speaker that announces no multiprotocol
 * capability speaks IPv4 unicast only. (FRR 8.4 instead assumes such a peer
 * supports every family FRR has configured for it, as the interop tests
 * found; vxswitch follows the RFC, and always
 * announces its families, so this only matters for peers that announce none.)
 */
function announcedFamilies(caps: readonly Capability[]): Set<Family> {
  const out = new Set<Family>();
  let anyMp = false;
  for (const c of caps) {
    if (c.type !== 'multiprotocol') continue;
    anyMp = true;
    const f = familyOf(c.afi, c.safi);
    if (f !== undefined) out.add(f);
  }
  if (!anyMp) out.add('ipv4-unicast');
  return out;
}

function addPathModes(caps: readonly Capability[]): Map<Family, WireAddPathMode> {
  const out = new Map<Family, WireAddPathMode>();
  for (const c of caps) {
    if (c.type !== 'add-path') continue;
    for (const f of c.families as AddPathFamily[]) {
      const family = familyOf(f.afi, f.safi);
      // RFC 7911 §4: the first tuple of a family counts.
      if (family !== undefined && !out.has(family)) out.set(family, f.sendReceive);
    }
  }
  return out;
}

const sends = (m: WireAddPathMode | undefined): boolean => m === AddPathDirection.Send || m === AddPathDirection.Both;
const receives = (m: WireAddPathMode | undefined): boolean => m === AddPathDirection.Receive || m === AddPathDirection.Both;

function has(caps: readonly Capability[], type: Capability['type']): boolean {
  return caps.some((c) => c.type === type);
}

/** The keepalive interval for a negotiated hold time (RFC 4271 §10: hold / 3 suggested). */
export function keepaliveFor(holdTime: number, configured?: number): number {
  if (holdTime === 0) return 0;
  const third = Math.max(1, Math.floor(holdTime / 3));
  if (configured === undefined || configured <= 0) return third;
  return Math.min(configured, third);
}

export function negotiate(local: BgpOpen, remote: BgpOpen, options: NegotiateOptions = {}): Negotiated {
  const ours = capabilities(local);
  const theirs = capabilities(remote);

  const ourFamilies = announcedFamilies(ours);
  const theirFamilies = announcedFamilies(theirs);
  // Our configured order (the MP capabilities' order), then FAMILIES' order.
  const ordered: Family[] = [];
  for (const c of ours) {
    if (c.type !== 'multiprotocol') continue;
    const f = familyOf(c.afi, c.safi);
    if (f !== undefined && !ordered.includes(f)) ordered.push(f);
  }
  for (const f of FAMILIES) if (ourFamilies.has(f) && !ordered.includes(f)) ordered.push(f);
  const families = ordered.filter((f) => theirFamilies.has(f));
  const missingFamilies = ordered.filter((f) => !theirFamilies.has(f));

  const as4 = has(ours, 'four-octet-as') && has(theirs, 'four-octet-as');
  const weOfferExtended = has(ours, 'extended-message');
  const extendedMessage = weOfferExtended && has(theirs, 'extended-message');

  const ourAddPath = addPathModes(ours);
  const theirAddPath = addPathModes(theirs);
  const addPath: AddPathNegotiated[] = [];
  const addPathIn = new Set<string>();
  const addPathOut = new Set<string>();
  for (const family of families) {
    const send = sends(ourAddPath.get(family)) && receives(theirAddPath.get(family));
    const receive = receives(ourAddPath.get(family)) && sends(theirAddPath.get(family));
    if (!send && !receive) continue;
    addPath.push({ family, send, receive });
    const { afi, safi } = familyAfiSafi(family);
    if (send) addPathOut.add(afiSafiKey(afi, safi));
    if (receive) addPathIn.add(afiSafiKey(afi, safi));
  }

  let gracefulRestart: PeerGracefulRestart | null = null;
  const gr = theirs.find((c): c is Extract<Capability, { type: 'graceful-restart' }> => c.type === 'graceful-restart');
  if (gr !== undefined) {
    const grFamilies: PeerGracefulRestart['families'] = [];
    for (const f of gr.families) {
      const family = familyOf(f.afi, f.safi);
      if (family === undefined || !families.includes(family)) continue;
      if (grFamilies.some((g) => g.family === family)) continue;
      grFamilies.push({ family, forwardingPreserved: (f.flags & GR_FORWARDING_FLAG) !== 0 });
    }
    gracefulRestart = {
      restartTime: gr.restartTime,
      restartState: (gr.flags & GracefulRestartFlag.Restart) !== 0,
      notification: (gr.flags & GracefulRestartFlag.Notification) !== 0,
      families: grFamilies,
    };
  }

  const holdTime = Math.min(local.holdTime, remote.holdTime);
  return {
    peerAs: effectiveAs(remote),
    peerRouterId: remote.bgpId,
    holdTime,
    keepaliveInterval: keepaliveFor(holdTime, options.keepaliveInterval),
    as4,
    families,
    missingFamilies,
    routeRefresh: has(theirs, 'route-refresh'),
    enhancedRouteRefresh: has(ours, 'enhanced-route-refresh') && has(theirs, 'enhanced-route-refresh'),
    extendedMessage,
    addPath,
    gracefulRestart,
    // RFC 8654 §3: having announced the capability we MUST accept messages
    // up to 65535 bytes, whatever the peer announced; we send them only when
    // both did (as FRR and GoBGP do).
    ctxIn: { as4, extendedMessage: weOfferExtended, addPath: addPathIn },
    ctxOut: { as4, extendedMessage, addPath: addPathOut },
    localCapabilities: ours,
    remoteCapabilities: theirs,
  };
}
