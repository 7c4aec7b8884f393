// Session state that changes how BGP messages are decoded and encoded
// (after the holo routing suite's DecodeCxt/EncodeCxt): which capabilities
// were negotiated with this peer.

export interface BgpContext {
  /** RFC 6793: both sides announced 4-octet AS; AS_PATH carries 4-byte ASNs. */
  as4: boolean;
  /** RFC 8654: extended messages negotiated; maximum length 65535 instead of 4096. */
  extendedMessage: boolean;
  /**
   * RFC 7911: families for which we receive (decode) or send (encode) a
   * 4-byte path identifier before each NLRI, as "afi/safi" keys, e.g. "25/70".
   */
  addPath: ReadonlySet<string>;
}

/** What a session assumes before capabilities are negotiated: RFC 4271 only. */
export const DEFAULT_CONTEXT: BgpContext = {
  as4: false,
  extendedMessage: false,
  addPath: new Set<string>(),
};

/** The context of a modern peer (FRR, GoBGP): 4-octet AS, no add-path. */
export const AS4_CONTEXT: BgpContext = {
  as4: true,
  extendedMessage: false,
  addPath: new Set<string>(),
};

export function afiSafiKey(afi: number, safi: number): string {
  return `${afi}/${safi}`;
}

export function hasAddPath(ctx: BgpContext, afi: number, safi: number): boolean {
  return ctx.addPath.has(afiSafiKey(afi, safi));
}
