// The link-layer header of a captured frame, by the capture's link type
// (tcpdump.org "LINK-LAYER HEADER TYPES"): where the network-layer packet
// starts and which EtherType it has. Handles Ethernet (with 802.1Q/QinQ tags),
// Linux cooked captures v1 and v2 (`tcpdump -i any`), raw IP, and BSD
// loopback (DLT_NULL).

import * as ethernet from '../../wire/ethernet.js';
import type { EthernetHeader } from '../../wire/ethernet.js';
import { EtherType } from '../../wire/ethernet.js';
import { LinkType } from '../../wire/pcap.js';
import { ensureBytes, frameError } from '../../wire/wire-error.js';

/** LINKTYPE_IPV4 / LINKTYPE_IPV6: raw IP of one version. */
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;

const SLL_HEADER_LENGTH = 16;
const SLL2_HEADER_LENGTH = 20;

export interface LinkLayer {
  /** EtherType of what follows (0x0800 IPv4, 0x86dd IPv6, 0x0806 ARP, ...). */
  etherType: number;
  /** Offset of the network-layer packet in the frame. */
  offset: number;
  /** The Ethernet header, for Ethernet captures. */
  ethernet?: EthernetHeader;
}

export function isSupportedLinkType(linkType: number): boolean {
  return (
    linkType === LinkType.Ethernet ||
    linkType === LinkType.LinuxSll ||
    linkType === LinkType.LinuxSll2 ||
    linkType === LinkType.Raw ||
    linkType === LinkType.Null ||
    linkType === LINKTYPE_IPV4 ||
    linkType === LINKTYPE_IPV6
  );
}

/** Throws WireError (action 'drop') when the frame cannot hold its link header. */
export function decodeLinkLayer(linkType: number, frame: Buffer): LinkLayer {
  switch (linkType) {
    case LinkType.Ethernet: {
      const eth = ethernet.decode(frame, 0);
      return { etherType: eth.etherType, offset: ethernet.decode.bytes, ethernet: eth };
    }
    case LinkType.LinuxSll: {
      // packet type 2, ARPHRD 2, address length 2, address 8, protocol 2
      ensureBytes(frame, 0, SLL_HEADER_LENGTH, 'Linux cooked (SLL) header');
      return vlanTagsAfter(frame, frame.readUInt16BE(14), SLL_HEADER_LENGTH);
    }
    case LinkType.LinuxSll2: {
      // protocol 2, reserved 2, ifindex 4, ARPHRD 2, packet type 1, address length 1, address 8
      ensureBytes(frame, 0, SLL2_HEADER_LENGTH, 'Linux cooked v2 (SLL2) header');
      return vlanTagsAfter(frame, frame.readUInt16BE(0), SLL2_HEADER_LENGTH);
    }
    case LinkType.Raw: {
      ensureBytes(frame, 0, 1, 'raw IP packet');
      const version = frame[0]! >> 4;
      if (version === 4) return { etherType: EtherType.Ipv4, offset: 0 };
      if (version === 6) return { etherType: EtherType.Ipv6, offset: 0 };
      throw frameError(`raw IP packet: version ${version}`, 0);
    }
    case LINKTYPE_IPV4:
      return { etherType: EtherType.Ipv4, offset: 0 };
    case LINKTYPE_IPV6:
      return { etherType: EtherType.Ipv6, offset: 0 };
    case LinkType.Null: {
      // 4-byte address family in the capturing host's byte order.
      ensureBytes(frame, 0, 4, 'loopback header');
      const le = frame.readUInt32LE(0);
      const family = le < 0x10000 ? le : frame.readUInt32BE(0);
      // AF_INET is 2 everywhere; AF_INET6 is 10 (Linux), 24 (NetBSD/OpenBSD), 28 (FreeBSD), 30 (macOS).
      if (family === 2) return { etherType: EtherType.Ipv4, offset: 4 };
      if (family === 10 || family === 24 || family === 28 || family === 30) return { etherType: EtherType.Ipv6, offset: 4 };
      throw frameError(`loopback header: address family ${family}`, 0);
    }
    default:
      throw frameError(`link type ${linkType} is not decoded`, 0);
  }
}

/**
 * Cooked captures keep an 802.1Q tag in the payload when the protocol field
 * says 0x8100 (the kernel did not strip it): skip up to two tags.
 */
function vlanTagsAfter(frame: Buffer, protocol: number, offset: number): LinkLayer {
  let type = protocol;
  let o = offset;
  for (let tags = 0; tags < ethernet.ETH_MAX_VLAN_TAGS && ethernet.isOuterTpid(type); tags++) {
    ensureBytes(frame, o, ethernet.VLAN_TAG_LENGTH, 'VLAN tag');
    type = frame.readUInt16BE(o + 2);
    o += ethernet.VLAN_TAG_LENGTH;
  }
  return { etherType: type, offset: o };
}
