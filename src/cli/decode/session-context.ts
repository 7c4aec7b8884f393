// What a decoder must know about a BGP session to read its UPDATEs the way
// the peers did: the capabilities both OPENs announced on this connection.
//
// - RFC 6793 §4: AS_PATH carries 4-octet ASNs only when BOTH speakers
//   announced capability 65.
// - RFC 8654 §3: messages up to 65535 bytes only when BOTH announced
//   capability 6 (extended message).
// - RFC 7911 §4: the sender puts a path identifier before each NLRI of a
//   family when it announced Send (2/3) and its peer announced Receive (1/3)
//   for that family.
//
// Before both OPENs are seen (a capture that starts mid-session), the
// context is RFC 4271's default (but accepting RFC 8654 lengths); the
// caller retries an UPDATE with 4-octet ASNs (fallbackFor) when 2-octet
// ones do not make a clean UPDATE (capture-decoder.ts).

import type { BgpContext } from '../../wire/bgp-context.js';
import { AS4_CONTEXT, DEFAULT_CONTEXT, afiSafiKey } from '../../wire/bgp-context.js';
import type { AddPathFamily, Capability } from '../../wire/bgp-capability.js';
import { AddPathDirection } from '../../wire/bgp-capability.js';

const UNKNOWN_CONTEXT: BgpContext = { ...DEFAULT_CONTEXT, extendedMessage: true };
const UNKNOWN_AS4_CONTEXT: BgpContext = { ...AS4_CONTEXT, extendedMessage: true };

interface Announced {
  as4: boolean;
  extendedMessage: boolean;
  addPath: AddPathFamily[];
}

export class SessionContext {
  /** Per direction key ("src:port>dst:port"): what that side's OPEN announced. */
  private readonly opens = new Map<string, Announced>();
  private readonly cache = new Map<string, BgpContext>();

  constructor(
    /** Direction keys of the two sides: [a→b, b→a]. */
    private readonly forward: string,
    private readonly reverse: string,
  ) {}

  /** Record the capabilities of an OPEN sent in direction `from`. */
  open(from: string, caps: readonly Capability[]): void {
    const addPath: AddPathFamily[] = [];
    for (const c of caps) if (c.type === 'add-path') addPath.push(...c.families);
    this.opens.set(from, {
      as4: caps.some((c) => c.type === 'four-octet-as'),
      extendedMessage: caps.some((c) => c.type === 'extended-message'),
      addPath,
    });
    this.cache.clear();
  }

  /** A new connection on the same addresses and ports: nothing negotiated yet. */
  reset(): void {
    this.opens.clear();
    this.cache.clear();
  }

  /** Both sides' OPENs have been seen. */
  get negotiated(): boolean {
    return this.opens.has(this.forward) && this.opens.has(this.reverse);
  }

  /** The context for decoding messages sent in direction `from`. */
  contextFor(from: string): BgpContext {
    const hit = this.cache.get(from);
    if (hit) return hit;
    const to = from === this.forward ? this.reverse : this.forward;
    const sender = this.opens.get(from);
    const receiver = this.opens.get(to);
    // Not negotiated (yet, or the OPENs are not in the capture): RFC 4271's
    // context, but lenient on length (RFC 8654 may have been negotiated).
    let ctx: BgpContext = UNKNOWN_CONTEXT;
    if (sender && receiver) {
      const addPath = new Set<string>();
      for (const f of sender.addPath) {
        if ((f.sendReceive & AddPathDirection.Send) === 0) continue;
        const peer = receiver.addPath.find((g) => g.afi === f.afi && g.safi === f.safi);
        if (peer && (peer.sendReceive & AddPathDirection.Receive) !== 0) addPath.add(afiSafiKey(f.afi, f.safi));
      }
      ctx = {
        as4: sender.as4 && receiver.as4,
        extendedMessage: sender.extendedMessage && receiver.extendedMessage,
        addPath,
      };
    }
    this.cache.set(from, ctx);
    return ctx;
  }

  /** The context to retry an UPDATE with when the OPENs were not captured. */
  fallbackFor(_from: string): BgpContext | undefined {
    return this.negotiated ? undefined : UNKNOWN_AS4_CONTEXT;
  }
}
