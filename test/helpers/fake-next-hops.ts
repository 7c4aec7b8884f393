// A next-hop source the caller drives (Dataplane.open's `nextHops`): every
// watched VTEP resolves to one MAC on the underlay link unless set
// otherwise, so the forwarder writes outer headers without rtnetlink.
import { EventEmitter } from 'node:events';
import type { NextHop, NextHopSource } from '../../src/dataplane/next-hop-source.js';

export class FakeNextHops extends EventEmitter<{ change: [NextHop] }> implements NextHopSource {
  readonly hops = new Map<string, NextHop>();
  constructor(
    private readonly ifindex: number,
    private readonly nextHopMac: string,
    private readonly linkMac: string,
    private readonly ifname = 'ul0',
  ) {
    super();
  }
  watch(address: string): NextHop {
    const hop = this.hops.get(address) ?? { address, state: 'resolved', ifindex: this.ifindex, ifname: this.ifname, dstMac: this.nextHopMac, srcMac: this.linkMac };
    this.hops.set(address, hop);
    return hop;
  }
  unwatch(address: string): void {
    this.hops.delete(address);
  }
  /** The next hop of `address` changes (undefined: no longer resolved). */
  set(address: string, dstMac: string | undefined): void {
    const hop: NextHop =
      dstMac === undefined
        ? { address, state: 'unresolved', ifindex: this.ifindex, ifname: this.ifname }
        : { address, state: 'resolved', ifindex: this.ifindex, ifname: this.ifname, dstMac, srcMac: this.linkMac };
    this.hops.set(address, hop);
    this.emit('change', hop);
  }
  close(): void {}
}
