// The kernel's link and neighbour tables as the next-hop resolver mirrors
// them: filled by a dump (RTM_GETLINK / RTM_GETNEIGH with NLM_F_DUMP) and
// kept current by the notifications of RTNLGRP_LINK and RTNLGRP_NEIGH
// (rtnetlink(7)).
//
// A dump may also be a re-read after lost notifications (ENOBUFS): an entry
// deleted while they were lost would linger, so an entry that neither the
// dump nor a notification during it mentioned is dropped when the dump
// completes. Notifications interleave with dump messages in the order the
// kernel made them (a dump is generated as the socket is read), so applying
// both as they come keeps the newest state. An incomplete dump (failed,
// or flagged NLM_F_DUMP_INTR: the table changed while it ran) drops
// nothing; the resolver runs it again.

import { AddressFamily } from '../wire/rtnetlink-route.js';
import { attributeValue } from '../wire/rtnetlink-attribute.js';
import { DeviceType, type LinkMessage } from '../wire/rtnetlink-link.js';
import type { NeighbourMessage } from '../wire/rtnetlink-neighbour.js';
import type { LinkInfo, NeighbourInfo } from './next-hop.js';

export type DumpTable = 'links' | 'neighbours4' | 'neighbours6';

const MAC_TEXT_LENGTH = 17;

function neighbourKey(ifindex: number, address: string): string {
  return `${ifindex} ${address}`;
}

function neighbourTable(key: string): DumpTable {
  return key.includes(':') ? 'neighbours6' : 'neighbours4';
}

export class KernelTables {
  private readonly links = new Map<number, LinkInfo>();
  private readonly neighbours = new Map<string, NeighbourInfo>();
  /** Keys mentioned since each running dump started. */
  private readonly seen = new Map<DumpTable, Set<number | string>>();

  link(ifindex: number): LinkInfo | undefined {
    return this.links.get(ifindex);
  }

  neighbour(ifindex: number, address: string): NeighbourInfo | undefined {
    return this.neighbours.get(neighbourKey(ifindex, address));
  }

  get linkCount(): number {
    return this.links.size;
  }

  get neighbourCount(): number {
    return this.neighbours.size;
  }

  /** RTM_NEWLINK (deleted false) or RTM_DELLINK (true). */
  applyLink(m: LinkMessage, deleted: boolean): void {
    this.seen.get('links')?.add(m.index);
    if (deleted) {
      this.links.delete(m.index);
      return;
    }
    // The kernel sends the whole link every time (rtnl_fill_ifinfo), not what changed.
    const mac = attributeValue(m.attributes, 'address');
    const mtu = attributeValue(m.attributes, 'mtu');
    this.links.set(m.index, {
      name: attributeValue(m.attributes, 'ifname') ?? '',
      ...(m.deviceType === DeviceType.Ether && mac?.length === MAC_TEXT_LENGTH && { mac }),
      ...(mtu !== undefined && { mtu }),
    });
  }

  /** RTM_NEWNEIGH (deleted false) or RTM_DELNEIGH (true); other families than IPv4/IPv6 (bridge FDB) are ignored. */
  applyNeighbour(m: NeighbourMessage, deleted: boolean): void {
    if (m.family !== AddressFamily.Inet && m.family !== AddressFamily.Inet6) return;
    const dst = attributeValue(m.attributes, 'dst');
    if (dst === undefined) return;
    const key = neighbourKey(m.ifindex, dst);
    this.seen.get(neighbourTable(key))?.add(key);
    if (deleted) {
      this.neighbours.delete(key);
      return;
    }
    const lladdr = attributeValue(m.attributes, 'lladdr');
    this.neighbours.set(key, { state: m.state, ...(lladdr !== undefined && { lladdr }) });
  }

  /** A dump of `table` starts (see the top of this file). */
  startDump(table: DumpTable): void {
    this.seen.set(table, new Set());
  }

  /** The dump of `table` ended; complete: it ran to NLMSG_DONE without NLM_F_DUMP_INTR. */
  endDump(table: DumpTable, complete: boolean): void {
    const seen = this.seen.get(table);
    this.seen.delete(table);
    if (!complete || !seen) return;
    if (table === 'links') {
      for (const index of this.links.keys()) if (!seen.has(index)) this.links.delete(index);
      return;
    }
    for (const key of this.neighbours.keys()) {
      if (neighbourTable(key) === table && !seen.has(key)) this.neighbours.delete(key);
    }
  }
}
