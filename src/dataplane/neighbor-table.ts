// Remote neighbors for ARP suppression: per VNI, IPv4 address -> MAC, filled
// by the control plane from remote EVPN Type 2 MAC+IP routes (RFC 7432 §10).
// The forwarder answers a local ARP request for such an address itself
// instead of flooding it to every VTEP of the VNI.
//
// Lookups are on the fast path: a Map per VNI keyed by the address as an
// unsigned 32-bit number (Map.get on a number allocates nothing), the MAC
// in a 6-byte cell of one preallocated pool.

import { isIPv4 } from 'node:net';
import { parseIpv4 } from '../wire/ip-address.js';
import { formatMac, isGroupMac, parseMac } from '../wire/mac-address.js';

export class NeighborTable {
  private readonly byVni = new Map<number, Map<number, number>>();
  private macs: Uint8Array;
  private readonly free: number[] = [];
  private used = 0;
  /** Told of every change (mac null: deleted), so forwarding workers hold the same (table-replica.ts). */
  onChange: ((vni: number, ip: string, mac: string | null) => void) | null = null;

  constructor(initialCapacity = 1024) {
    this.macs = new Uint8Array(initialCapacity * 6);
  }

  /** Fast path: cell index of the MAC for (vni, ipv4), or -1. */
  lookup(vni: number, ipv4: number): number {
    const m = this.byVni.get(vni);
    if (m === undefined) return -1;
    const cell = m.get(ipv4);
    return cell === undefined ? -1 : cell;
  }

  /** Copy the MAC of `cell` to buf[offset..offset+6). */
  writeMac(cell: number, buf: Uint8Array, offset: number): void {
    const m = this.macs;
    const o = cell * 6;
    for (let i = 0; i < 6; i++) buf[offset + i] = m[o + i]!;
  }

  /** Control plane: `ip` in `vni` is at `mac` (a remote host). Throws TypeError on bad input. */
  set(vni: number, ip: string, mac: string): void {
    if (!isIPv4(ip)) throw new TypeError(`ARP suppression: "${ip}" is not an IPv4 address`);
    const bytes = parseMac(mac);
    if (isGroupMac(bytes)) throw new TypeError(`ARP suppression: ${mac} is a group MAC`);
    const key = parseIpv4(ip).readUInt32BE(0);
    let m = this.byVni.get(vni);
    if (m === undefined) {
      m = new Map();
      this.byVni.set(vni, m);
    }
    let cell = m.get(key);
    if (cell === undefined) {
      cell = this.allocate();
      m.set(key, cell);
    }
    this.macs.set(bytes, cell * 6);
    this.onChange?.(vni, ip, mac);
  }

  delete(vni: number, ip: string): boolean {
    if (!isIPv4(ip)) return false;
    const m = this.byVni.get(vni);
    const key = parseIpv4(ip).readUInt32BE(0);
    const cell = m?.get(key);
    if (m === undefined || cell === undefined) return false;
    m.delete(key);
    this.free.push(cell);
    if (m.size === 0) this.byVni.delete(vni);
    this.onChange?.(vni, ip, null);
    return true;
  }

  /** Every entry, for the CLI. */
  entries(vni?: number): Array<{ vni: number; ip: string; mac: string }> {
    const out: Array<{ vni: number; ip: string; mac: string }> = [];
    for (const [v, m] of this.byVni) {
      if (vni !== undefined && v !== vni) continue;
      for (const [ip, cell] of m) {
        out.push({ vni: v, ip: `${ip >>> 24}.${(ip >>> 16) & 0xff}.${(ip >>> 8) & 0xff}.${ip & 0xff}`, mac: formatMac(this.macs, cell * 6) });
      }
    }
    return out;
  }

  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if ((this.used + 1) * 6 > this.macs.length) {
      const bigger = new Uint8Array(this.macs.length * 2);
      bigger.set(this.macs);
      this.macs = bigger;
    }
    return this.used++;
  }
}
