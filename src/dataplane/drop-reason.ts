// Why the dataplane dropped a frame or datagram. Counters are kept per
// reason (globally, per VNI and per port) and exported by name.

export const Drop = {
  /** VXLAN header with the I flag clear (RFC 7348 §5: the VNI is not valid). */
  VxlanFlags: 0,
  /** A VNI this switch does not serve (or serves on another UDP port). */
  VxlanUnknownVni: 1,
  /** Datagram shorter than the 8-byte VXLAN header. */
  VxlanTruncated: 2,
  /** Inner frame shorter than an Ethernet header (14 bytes), or a local runt. */
  InnerRunt: 3,
  /** evpn mode: the datagram came from a VTEP the control plane did not place in this VNI (flood list or a Type 2 next hop). */
  UnknownVtep: 4,
  /** Inner frame too large for the underlay MTU once encapsulated (never fragmented, RFC 7348 §4.3). */
  Mtu: 5,
  /** Frame on a port (or a VLAN of a trunk port) that belongs to no VNI. */
  NoVni: 6,
  /** Frame larger than the receive slot (a super-frame on a port without virtio-net headers, or above 64 KiB). */
  RxTruncated: 7,
  /** The kernel refused the frame on send (errno per frame). */
  TxError: 8,
  /** The kernel's send queue was full. */
  TxQueueFull: 9,
  /** A datagram from our own VTEP address (our own multicast looped back). */
  OwnVtep: 10,
  /** Destination is behind the port the frame came in on (a bridge filters it). */
  SamePort: 11,
  /** A decapsulated frame for a MAC this switch knows behind another VTEP: never back to the underlay (split horizon). */
  SplitHorizon: 12,
  /** BUM frame with nowhere to go (no flood list and no other local port). */
  NoFloodTarget: 13,
  /**
   * A virtio_net_hdr that does not fit its frame (checksum or header offsets
   * outside it), or a GSO type that cannot be cut (UFO, unknown).
   */
  BadOffload: 14,
  /**
   * A VXLAN datagram that reached the underlay socket through a member port
   * (or any interface but the underlay one): a host in one VNI must not
   * inject frames into another by addressing our VTEP (issue 9 item 1).
   */
  NotUnderlay: 15,
  /**
   * A VLAN-tagged frame where none is taken: on an access port, a trunk
   * port's untagged (native) VNI, a second tag behind a trunk's own (no VLAN
   * hopping into another VNI's trunk), or an inner tag in a decapsulated
   * frame (RFC 7348 §6.1). PortConfig.tagged 'pass' allows them.
   */
  UnexpectedTag: 16,
} as const;

export type DropReasonCode = (typeof Drop)[keyof typeof Drop];

export const DROP_REASON_COUNT = 17;

/** Names used in counters, metrics and the CLI (index = code). */
export const DROP_REASON_NAMES: readonly string[] = [
  'vxlan-flags',
  'vxlan-unknown-vni',
  'vxlan-truncated',
  'inner-runt',
  'unknown-vtep',
  'mtu',
  'no-vni',
  'rx-truncated',
  'tx-error',
  'tx-queue-full',
  'own-vtep',
  'same-port',
  'split-horizon',
  'no-flood-target',
  'bad-offload',
  'not-underlay',
  'unexpected-tag',
];

/** Counters by reason as a plain object, e.g. { 'vxlan-flags': 3, ... }. */
export function dropsByName(counts: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  for (let i = 0; i < DROP_REASON_COUNT; i++) out[DROP_REASON_NAMES[i]!] = counts[i]!;
  return out;
}
