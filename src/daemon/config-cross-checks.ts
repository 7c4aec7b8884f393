// Config that every key accepts on its own but that cannot work as a whole
// (issue 9 item 14): one interface serving two VNIs, a flood list naming
// ourselves or a broadcast address, a neighbor that is our own router-id,
// two VNIs whose routes would collide. Each problem is one line in the
// config loader's format: file: key path = value: expected ...
//
// Then a dry run of what the speaker does with the values at start and on a
// SIGHUP reload (validatePeerConfig, the EvpnInstance constructor), so that
// what the schema accepts the add accepts too (item 13): a reload never
// removes an entry only to fail adding it back.

import { isIPv6 } from 'node:net';
import { EvpnInstance } from '../control/evpn-instance.js';
import { validatePeerConfig, type PeerConfig } from '../control/bgp-peer.js';
import type { Family } from '../control/route.js';
import { notAHostReason } from './address-role.js';
import type { FileShape, OriginOf } from './config-file.js';

const show = (v: unknown): string => JSON.stringify(v);

/** Per-VNI keys that one mode reads (DESIGN.md "Modes"), and what that mode does with them. */
const MODE_KEYS = [
  ['flood-list', 'static', 'evpn learns its VTEPs from Type 3 routes, multicast floods to its group'],
  ['multicast-group', 'multicast', 'the group BUM frames go to'],
  ['rd', 'evpn', 'the RD of its EVPN routes'],
  ['etag', 'evpn', 'the Ethernet Tag of its EVPN routes'],
  ['import-route-targets', 'evpn', 'which EVPN routes it imports'],
  ['export-route-targets', 'evpn', 'the route targets of its EVPN routes'],
] as const;

/** One problem line per cross-key conflict, in file order. */
export function crossKeyProblems(f: FileShape, fileOf: OriginOf, exists: (name: string) => boolean): string[] {
  const problems: string[] = [];
  const g = f.global.config;
  const dp = f.dataplane;
  const vtep = dp?.['vtep-address'] ?? g['router-id'];
  const vtepKey = dp?.['vtep-address'] !== undefined ? 'dataplane.vtep-address' : 'global.config.router-id';
  const underlay = dp?.['underlay-interface'];

  if (g['router-id'] === '0.0.0.0') {
    problems.push(`${fileOf(['global', 'config', 'router-id'])}: global.config.router-id = "0.0.0.0": expected a non-zero IPv4 address (RFC 6286 §2.1)`);
  }
  const vtepWhy = notAHostReason(vtep, { allowLoopback: true });
  if (vtepWhy !== undefined && vtepKey === 'dataplane.vtep-address') {
    problems.push(`${fileOf(['dataplane', 'vtep-address'])}: dataplane.vtep-address = ${show(vtep)}: expected a unicast address of this host, not ${vtepWhy}`);
  }
  if (underlay !== undefined && !exists(underlay)) {
    problems.push(`${fileOf(['dataplane', 'underlay-interface'])}: dataplane.underlay-interface = ${show(underlay)}: expected an existing interface`);
  }
  // Each of these is a listen address (one BGP listener per address) and one of our own addresses.
  const listen = g['local-address-list'] ?? [];

  // Ports: an untagged interface belongs to one VNI, an interface+VLAN to one VNI.
  const untagged = new Map<string, string>();
  const tagged = new Map<string, string>();
  const claim = (owners: Map<string, string>, key: string, at: string, file: string, value: string, what: string): void => {
    const owner = owners.get(key);
    if (owner === undefined) owners.set(key, at);
    else problems.push(`${file}: ${at} = ${value}: expected ${what} that no other port uses (already ${owner})`);
  };
  const notUnderlay = (name: string, at: string, file: string): void => {
    if (underlay !== undefined && name === underlay) {
      problems.push(`${file}: ${at} = ${show(name)}: expected an interface other than dataplane.underlay-interface (it carries the tunnels, not a VNI's hosts)`);
    }
  };
  // RFC 7432 §7.3 (Type 3) and §7.2 (Type 2): RD and Ethernet Tag key the routes of an instance.
  const routeKeys = new Map<string, string>();

  (dp?.['virtual-network-list'] ?? []).forEach((v, i) => {
    const at = `dataplane.virtual-network-list[${i}]`;
    const file = fileOf(['dataplane', 'virtual-network-list', i]);
    // A key only one mode reads would be ignored in the others: refused, not ignored.
    const mode = v.mode ?? 'evpn';
    for (const [key, only, why] of MODE_KEYS) {
      if (v[key] !== undefined && mode !== only) {
        problems.push(`${file}: ${at}.${key} = ${show(v[key])}: expected no ${key} on a VNI in mode "${mode}" (only mode "${only}" uses it: ${why})`);
      }
    }
    const inThisList = new Set<string>();
    (v['member-interfaces'] ?? []).forEach((name, j) => {
      notUnderlay(name, `${at}.member-interfaces[${j}]`, file);
      // The same name twice in one list is one port (deduplicated), not a conflict.
      if (inThisList.has(name)) return;
      inThisList.add(name);
      claim(untagged, name, `${at}.member-interfaces[${j}]`, file, show(name), 'an untagged interface');
    });
    (v['tap-interfaces'] ?? []).forEach((name, j) => {
      claim(untagged, name, `${at}.tap-interfaces[${j}]`, file, show(name), 'an untagged interface');
    });
    (v['vlan-members'] ?? []).forEach((m, j) => {
      const mAt = `${at}.vlan-members[${j}]`;
      if (!exists(m.interface)) problems.push(`${file}: ${mAt}.interface = ${show(m.interface)}: expected an existing interface`);
      notUnderlay(m.interface, `${mAt}.interface`, file);
      claim(tagged, `${m.interface}.${m.vlan}`, mAt, file, show(m), 'an interface+VLAN');
    });

    const flood = new Set<string>();
    (v['flood-list'] ?? []).forEach((a, j) => {
      const fAt = `${at}.flood-list[${j}]`;
      const why = notAHostReason(a);
      if (why !== undefined) problems.push(`${file}: ${fAt} = ${show(a)}: expected a remote VTEP's unicast address, not ${why}`);
      else if (a === vtep) problems.push(`${file}: ${fAt} = ${show(a)}: expected a remote VTEP, not our own (${vtepKey})`);
      else if (isIPv6(a) !== isIPv6(vtep)) {
        problems.push(`${file}: ${fAt} = ${show(a)}: expected an IPv${isIPv6(vtep) ? 6 : 4} address, the family of ${vtepKey} (the underlay's)`);
      }
      else if (flood.has(a)) problems.push(`${file}: ${fAt} = ${show(a)}: expected each VTEP once`);
      flood.add(a);
    });

    if ((v.mode ?? 'evpn') === 'evpn' && v.rd !== undefined) {
      const key = `${v.rd} ${v.etag ?? 0}`;
      const owner = routeKeys.get(key);
      if (owner === undefined) routeKeys.set(key, `${at}.rd`);
      else problems.push(`${file}: ${at}.rd = ${show(v.rd)}: expected an RD (with this etag) no other VNI uses (already ${owner}; the two VNIs' routes would be one)`);
    }
  });

  // Neighbors: a peer is a remote unicast host, never one of our own addresses.
  const own = new Map<string, string>([[g['router-id'], 'global.config.router-id']]);
  own.set(vtep, vtepKey);
  listen.forEach((a, k) => own.set(a, `global.config.local-address-list[${k}]`));
  (f.neighbors ?? []).forEach((n, i) => {
    const at = `neighbors[${i}]`;
    const file = fileOf(['neighbors', i]);
    const a = n.config['neighbor-address'];
    const why = notAHostReason(a, { allowLoopback: true });
    if (why !== undefined) problems.push(`${file}: ${at}.config.neighbor-address = ${show(a)}: expected a peer's unicast address, not ${why}`);
    else if (own.has(a)) problems.push(`${file}: ${at}.config.neighbor-address = ${show(a)}: expected a peer's address, not our own (${own.get(a)!})`);
    const local = n.transport?.config['local-address'];
    const localWhy = local === undefined ? undefined : notAHostReason(local, { allowLoopback: true });
    if (localWhy !== undefined) problems.push(`${file}: ${at}.transport.config.local-address = ${show(local)}: expected a unicast address of this host, not ${localWhy}`);
  });
  return problems;
}

/**
 * What the speaker's own validation says of each neighbor and EVPN
 * instance, run before anything starts or changes. Problems are the
 * speaker's messages, prefixed with the file and the entry's key path.
 */
export function dryRunProblems(f: FileShape, fileOf: OriginOf): string[] {
  const problems: string[] = [];
  const g = f.global.config;
  const vtep = f.dataplane?.['vtep-address'] ?? g['router-id'];
  (f.neighbors ?? []).forEach((n, i) => {
    const c = n.config;
    const t = n.timers?.config;
    const pc: PeerConfig = {
      neighborAddress: c['neighbor-address'],
      peerAs: c['peer-as'],
      localAs: g.as,
      routerId: g['router-id'],
      families: (n['afi-safis'] ?? []).map((a) => a.config['afi-safi-name'] as Family),
    };
    if (t?.['hold-time'] !== undefined) pc.holdTime = t['hold-time'];
    if (t?.['keepalive-interval'] !== undefined) pc.keepaliveInterval = t['keepalive-interval'];
    if (t?.['connect-retry'] !== undefined) pc.connectRetry = t['connect-retry'];
    if (t?.['idle-hold-time-after-reset'] !== undefined) pc.idleHoldTime = t['idle-hold-time-after-reset'];
    const tr = n.transport?.config;
    if (tr?.['local-address'] !== undefined) pc.localAddress = tr['local-address'];
    if (tr?.['remote-port'] !== undefined) pc.remotePort = tr['remote-port'];
    if (c['auth-password'] !== undefined) pc.authPassword = c['auth-password'];
    const restart = n['graceful-restart']?.config['restart-time'];
    if (restart !== undefined) pc.gracefulRestartTime = restart;
    try {
      validatePeerConfig(pc);
    } catch (e) {
      problems.push(`${fileOf(['neighbors', i])}: neighbors[${i}]: ${(e as Error).message}`);
    }
  });
  let index = 1;
  (f.dataplane?.['virtual-network-list'] ?? []).forEach((v, i) => {
    if ((v.mode ?? 'evpn') !== 'evpn') return;
    const ic: ConstructorParameters<typeof EvpnInstance>[0] = { vni: v.vni, vtep };
    if (v.rd !== undefined) ic.rd = v.rd;
    if (v.etag !== undefined) ic.etag = v.etag;
    if (v['import-route-targets'] !== undefined) ic.importRts = v['import-route-targets'];
    if (v['export-route-targets'] !== undefined) ic.exportRts = v['export-route-targets'];
    try {
      new EvpnInstance(ic, { asn: g.as, routerId: g['router-id'], vtep }, index++);
    } catch (e) {
      problems.push(`${fileOf(['dataplane', 'virtual-network-list', i])}: dataplane.virtual-network-list[${i}]: ${(e as Error).message}`);
    }
  });
  return problems;
}
