// The control plane's view of the dataplane's FDB API (DESIGN.md): what an
// EVPN instance drives. src/control does not import src/dataplane (layers
// point down; control and dataplane are siblings): the daemon passes an
// object with these methods (the Dataplane's own addRemote / removeRemote /
// setFloodList, plus the neighbor table used for ARP suppression).

export interface FdbPort {
  /**
   * `mac` in `vni` lives behind remote VTEP `vtep` (EVPN Type 2), with its
   * RFC 7432 §15 mobility state. `false`: the FDB had no room (a limit) and
   * nothing changed; the manager keeps the route pending and calls again
   * later (EvpnManager.retryPending). Anything else: done.
   */
  addRemote(vni: number, mac: string, vtep: string, opts: { seq: number; sticky: boolean }): boolean | void;
  /** Withdraw; with `vtep`, only if the entry still points there. */
  removeRemote(vni: number, mac: string, vtep?: string): unknown;
  /** The VTEPs that receive BUM frames of `vni` (from Type 3 routes); replaces the previous list. */
  setFloodList(vni: number, vteps: readonly string[]): void;
  /** ARP suppression: `ip` in `vni` resolves to `mac` (from a remote MAC+IP Type 2 route). */
  addRemoteNeighbor(vni: number, ip: string, mac: string): void;
  removeRemoteNeighbor(vni: number, ip: string): void;
}
