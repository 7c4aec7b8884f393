// What the dataplane is told to do: the VTEP, its underlay, and per VNI the
// mode, the local ports and (static / multicast mode) how remote VTEPs are
// reached. The daemon builds this from the TOML config (issue 5); tests and
// the bench build it directly.

import type { RxMode } from './native-io.js';
import { availableParallelism } from 'node:os';

export type UnderlaySender = 'socket' | 'tx-ring' | 'af-xdp';

/** How a VNI learns its remote VTEPs (DESIGN.md "Modes"). */
export type VniMode = 'evpn' | 'static' | 'multicast';

/**
 * A local port of a VNI. An access port carries untagged frames of this VNI;
 * with `vlan`, only frames tagged with that VID belong to this VNI (the tag
 * is removed on the way into the VNI and added back on the way out), so one
 * trunk interface can serve several VNIs (a VLAN -> VNI map).
 */
export interface PortConfig {
  /** Interface name (AF_PACKET member) or TAP name. */
  name: string;
  kind: 'packet' | 'tap';
  vlan?: number;
  /**
   * VLAN-tagged frames where this port takes none (untagged VNI: an access
   * port or a trunk's native VNI; a second tag behind a trunk's own):
   * 'drop' (default, counted as unexpected-tag) or 'pass' (they enter the
   * VNI with their tag, as a QinQ customer port wants). 'pass' on any port
   * of a VNI also lets that VNI's decapsulated frames keep an inner tag
   * (RFC 7348 §6.1 says discard them unless configured otherwise).
   */
  tagged?: 'drop' | 'pass';
}

export interface VniConfig {
  /** 1..16777215 (RFC 7348 §5: 24 bits). */
  vni: number;
  mode: VniMode;
  /** UDP destination port of this VNI's tunnels: 4789 (IANA, default) or 8472 (Linux). */
  vxlanPort?: number;
  ports: PortConfig[];
  /** static mode: remote VTEPs for head-end replication. */
  floodList?: string[];
  /** multicast mode: BUM goes to this group (e.g. 239.1.1.1), joined on the underlay interface. */
  multicastGroup?: string;
  /**
   * evpn mode: answer local ARP requests for remote hosts known from Type 2
   * MAC+IP routes instead of flooding them (default true).
   */
  arpSuppression?: boolean;
  /** Learned-entry limit for this VNI (default: the dataplane's maxEntriesPerVni). */
  maxEntries?: number;
}

export interface DataplaneConfig {
  /** Source address of every VXLAN datagram, and the address the underlay listens on. */
  vtepAddress: string;
  /** Underlay interface: multicast joins and sends, and the MTU (default: the kernel's route). */
  underlayInterface?: string;
  /**
   * Underlay MTU: an inner frame longer than mtu - 50 (IPv4 underlay) is
   * dropped and counted, never fragmented (RFC 7348 §4.3). Default: read
   * from underlayInterface, else 1500.
   */
  underlayMtu?: number;
  /** Open every socket in this network namespace (tests, the demo). */
  netns?: string;
  /** Aging of data-plane-learned entries in seconds (default 300; 0 = never). */
  agingSeconds?: number;
  /** Global FDB limit (default 65536). */
  maxEntries?: number;
  /** Default learned-entry limit of a VNI (default a quarter of maxEntries; a VNI's maxEntries overrides it). */
  maxEntriesPerVni?: number;
  /** FDB entries kept free of learning for EVPN and static entries (default an eighth of maxEntries). */
  controlReserve?: number;
  /** New source MACs a local port may learn per second; 0 = no limit (default 100). */
  learnRate?: number;
  /** New source MACs a quiet local port may learn at once (default 10 x learnRate). */
  learnBurst?: number;
  /** UDP source port range for the inner-flow hash (default 49152..65535, RFC 7348 §5). */
  sourcePortRange?: [number, number];
  /** AF_PACKET receive mode (default 'ring'). */
  rxMode?: RxMode;
  /** Frames per receive batch (default 64). */
  batchSize?: number;
  /**
   * Virtio-net headers on local ports (default true): GSO super-frames and
   * partial checksums from hosts at their default offloads are taken as
   * they are. false only for kernels without PACKET_VNET_HDR / IFF_VNET_HDR;
   * hosts must then turn their offloads off.
   */
  vnetHeaders?: boolean;
  /**
   * Send and receive on an AF_PACKET socket on underlayInterface (default
   * true when it is set): outer headers written by vxswitch from the
   * kernel's route and neighbour tables, offload state of received
   * datagrams known. false: everything through the UDP socket.
   */
  underlayLink?: boolean;
  /**
   * How the underlay link sends datagrams the kernel has nothing to finish
   * (IPv4, not a GSO run): 'socket' (sendmmsg on the link's own socket),
   * 'tx-ring' (a send-only AF_PACKET socket with a PACKET_TX_RING of small
   * slots) or 'af-xdp' (a send-only AF_XDP socket). GSO runs and IPv6
   * datagrams always go through the link's socket. Measured by
   * bench/e2e (--vxswitch-config); default: see dataplane.ts.
   */
  underlaySender?: UnderlaySender;
  /**
   * Forwarding threads (`workers` in [dataplane], docs/workers.md): 1 is
   * this thread alone; N > 1 is N workers, flows spread by the kernel's
   * fanout, while this thread forwards nothing (BGP cannot stall a frame). Default 1
   * (the main thread alone); defaultWorkers() is what the issue asks for
   * once the worker path has its bench figures.
   */
  workers?: number;
  vnis: VniConfig[];
}

/** Most forwarding workers a config may ask for. */
export const MAX_WORKERS = 64;

/** One forwarding worker per core beyond the first (the main thread keeps BGP, the API, metrics and logs), at least one. */
export function defaultWorkers(cores = availableParallelism()): number {
  return Math.max(1, cores - 1);
}
