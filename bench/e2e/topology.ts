// The end-to-end bench's veth topology (docs/benchmarking.md "Topology"),
// built once per run and shared by every engine, hosts at their default
// offloads:
//
//   gen ns                 switch ns (VTEP under test)               rx ns
//   vxg0 ---------------- vxs0   [kernel br0+vxlan | OVS | vxswitch]
//   192.168.77.1/24       (member port)        vxu0 10.99.0.1/24 --- vxr0 (no address
//   generator, host A                           MTU 1550              during frame runs)
//
// RPS steers vxs0's and vxu0's receive work to CPU 1 (the switch's core) and
// vxg0's and vxr0's to CPU 0 (generator/receiver). IPv6 is off in every
// namespace so no ND or MLD traffic pollutes the counters. The switch
// namespace has a permanent neighbour entry for 10.99.0.2 (the receiver has
// no address to answer ARP with during the frame runs).

import { execFileSync } from 'node:child_process';
import { ipn, nsRun, nsWrite, run } from './netns.js';

export const VNI = 100;
export const VXLAN_PORT = 4789;
export const LOCAL_VTEP = '10.99.0.1';
export const REMOTE_VTEP = '10.99.0.2';
export const UNDERLAY_MTU = 1550;
/** Host A (generator namespace) and the host behind the receiver's kernel VTEP. */
export const HOST_A_IP = '192.168.77.1';
export const HOST_B_IP = '192.168.77.2';
/** The generator's frames: from SRC_MAC to DST_MAC, a MAC the VTEP has a static remote entry for. */
export const SRC_MAC = '02:00:00:00:01:01';
export const DST_MAC = '02:00:00:00:02:02';
export const INNER_DST_IP = '192.168.77.200';

export const GEN_IF = 'vxg0';
export const MEMBER_IF = 'vxs0';
export const UNDERLAY_IF = 'vxu0';
export const RX_IF = 'vxr0';

export interface Topology {
  gen: string;
  sw: string;
  rx: string;
  /** vxr0's MAC, for the switch namespace's static neighbour entry. */
  rxMac: string;
}

export function topologyNames(tag: string): Topology {
  return { gen: `vxe-gen-${tag}`, sw: `vxe-sw-${tag}`, rx: `vxe-rx-${tag}`, rxMac: '' };
}

async function disableIpv6(ns: string): Promise<void> {
  await nsWrite(ns, '/proc/sys/net/ipv6/conf/all/disable_ipv6', '1');
  await nsWrite(ns, '/proc/sys/net/ipv6/conf/default/disable_ipv6', '1');
}

export async function createTopology(tag: string): Promise<Topology> {
  const t = topologyNames(tag);
  for (const ns of [t.gen, t.sw, t.rx]) {
    await run('ip', ['netns', 'add', ns]);
    await disableIpv6(ns);
    await ipn(ns, 'link', 'set', 'lo', 'up');
  }
  await ipn(t.gen, 'link', 'add', GEN_IF, 'type', 'veth', 'peer', 'name', MEMBER_IF, 'netns', t.sw);
  await ipn(t.sw, 'link', 'add', UNDERLAY_IF, 'mtu', String(UNDERLAY_MTU), 'type', 'veth', 'peer', 'name', RX_IF, 'mtu', String(UNDERLAY_MTU), 'netns', t.rx);
  await ipn(t.gen, 'addr', 'add', `${HOST_A_IP}/24`, 'dev', GEN_IF);
  await ipn(t.sw, 'addr', 'add', `${LOCAL_VTEP}/24`, 'dev', UNDERLAY_IF);
  for (const [ns, dev] of [[t.gen, GEN_IF], [t.sw, MEMBER_IF], [t.sw, UNDERLAY_IF], [t.rx, RX_IF]] as const) {
    await ipn(ns, 'link', 'set', dev, 'up');
  }
  await nsWrite(t.sw, `/sys/class/net/${MEMBER_IF}/queues/rx-0/rps_cpus`, '2');
  await nsWrite(t.sw, `/sys/class/net/${UNDERLAY_IF}/queues/rx-0/rps_cpus`, '2');
  await nsWrite(t.gen, `/sys/class/net/${GEN_IF}/queues/rx-0/rps_cpus`, '1');
  await nsWrite(t.rx, `/sys/class/net/${RX_IF}/queues/rx-0/rps_cpus`, '1');
  const link = JSON.parse(await ipn(t.rx, '-j', 'link', 'show', 'dev', RX_IF)) as Array<{ address: string }>;
  t.rxMac = link[0]!.address;
  await ipn(t.sw, 'neigh', 'replace', REMOTE_VTEP, 'lladdr', t.rxMac, 'dev', UNDERLAY_IF, 'nud', 'permanent');
  return t;
}

/** Delete the namespaces (and with them every veth and device in them). */
export async function destroyTopology(t: Topology): Promise<void> {
  for (const ns of [t.gen, t.sw, t.rx]) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
}

/** Synchronous variant for exit handlers. */
export function destroyTopologySync(t: Topology): void {
  for (const ns of [t.gen, t.sw, t.rx]) {
    try {
      execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore', timeout: 5000 });
    } catch {
      // already gone
    }
  }
}
