// PMSI_TUNNEL path attribute (type 22), RFC 6514 §5:
//
//   Flags (1 octet) | Tunnel Type (1 octet) | MPLS Label (3 octets) | Tunnel Identifier (variable)
//
// Optional transitive. EVPN (RFC 7432 §11.2) attaches it to every Inclusive
// Multicast Ethernet Tag (Type 3) route. For VXLAN the 3 label octets carry
// the whole 24-bit VNI (RFC 8365 §5.1.3), so `label` is the raw 24-bit
// number: the VNI for VXLAN, (MPLS label << 4 | bottom-of-stack) for MPLS.
// For Ingress Replication (tunnel type 6) the identifier is the unicast
// address of the receiving tunnel endpoint (RFC 6514 §5), kept as text; for
// every other tunnel type it is kept opaque.
//
// This module codes the attribute value; decode reads to the end of `buf`.

import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import { checkUint } from './field-range.js';
import { formatIp, parseIp } from './ip-address.js';
import { WireError } from './wire-error.js';

/** IANA "P-Multicast Service Interface Tunnel (PMSI Tunnel) Tunnel Types". */
export const PmsiTunnelType = {
  NoTunnelInformation: 0,
  RsvpTeP2mpLsp: 1,
  MldpP2mpLsp: 2,
  PimSsmTree: 3,
  PimSmTree: 4,
  BidirPimTree: 5,
  IngressReplication: 6,
  MldpMp2mpLsp: 7,
} as const;

/** RFC 6514 §5: the L (Leaf Information Required) flag. */
export const PMSI_FLAG_LEAF_INFO_REQUIRED = 0x01;

export interface PmsiTunnel {
  /** The attribute's own flags octet (bit 0x01 = Leaf Information Required). */
  flags: number;
  tunnelType: number;
  /** The 3 label octets as one 24-bit number (the VNI for VXLAN, RFC 8365 §5.1.3). */
  label: number;
  /**
   * Ingress Replication (type 6): the tunnel endpoint's IPv4 or IPv6 address
   * as text. Any other tunnel type: the identifier's bytes, opaque.
   */
  tunnelId: string | Buffer;
}

const FIXED_LENGTH = 5;

function malformed(message: string, offset: number): WireError {
  // RFC 6514 defines no error handling of its own; like the attributes of
  // RFC 7606 §7 that affect route installation, a malformed PMSI Tunnel
  // attribute makes the UPDATE treat-as-withdraw (GoBGP does the same).
  return new WireError(`PMSI_TUNNEL: ${message}`, {
    code: ErrorCode.Update,
    subcode: UpdateSubcode.AttributeLengthError,
    action: 'treat-as-withdraw',
    offset,
  });
}

export function decode(buf: Buffer, offset = 0): PmsiTunnel {
  const length = buf.length - offset;
  if (length < FIXED_LENGTH) throw malformed(`length ${length}, at least ${FIXED_LENGTH}`, offset);
  const flags = buf[offset]!;
  const tunnelType = buf[offset + 1]!;
  const label = (buf[offset + 2]! << 16) | (buf[offset + 3]! << 8) | buf[offset + 4]!;
  const id = buf.subarray(offset + FIXED_LENGTH);
  let tunnelId: string | Buffer = id;
  if (tunnelType === PmsiTunnelType.IngressReplication) {
    // An ingress replication identifier is one IPv4 or IPv6 address: total
    // length 9 or 21, the only lengths FRR accepts.
    if (id.length !== 4 && id.length !== 16) {
      throw malformed(`ingress replication tunnel identifier of ${id.length} octets, expected 4 or 16`, offset + FIXED_LENGTH);
    }
    tunnelId = formatIp(id);
  }
  decode.bytes = length;
  return { flags, tunnelType, label, tunnelId };
}
decode.bytes = 0;

function idBytes(value: PmsiTunnel): Buffer {
  const ir = value.tunnelType === PmsiTunnelType.IngressReplication;
  if (typeof value.tunnelId === 'string') {
    // A string id is only meaningful (and only decoded back) for ingress replication.
    if (!ir) throw new TypeError(`PMSI_TUNNEL: tunnel type ${value.tunnelType} takes an opaque Buffer identifier`);
    return parseIp(value.tunnelId);
  }
  if (ir) throw new TypeError('PMSI_TUNNEL: ingress replication takes the endpoint address as text');
  return value.tunnelId;
}

export function encodingLength(value: PmsiTunnel): number {
  return FIXED_LENGTH + idBytes(value).length;
}

export function encode(value: PmsiTunnel, buf?: Buffer, offset = 0): Buffer {
  checkUint(value.flags, 0xff, 'PMSI_TUNNEL flags');
  checkUint(value.tunnelType, 0xff, 'PMSI_TUNNEL tunnel type');
  checkUint(value.label, 0xffffff, 'PMSI_TUNNEL label');
  const id = idBytes(value);
  const length = FIXED_LENGTH + id.length;
  const out = buf ?? Buffer.alloc(offset + length);
  if (offset < 0 || offset + length > out.length) throw new RangeError(`PMSI_TUNNEL: no room for ${length} octets at ${offset}`);
  out[offset] = value.flags;
  out[offset + 1] = value.tunnelType;
  out[offset + 2] = (value.label >>> 16) & 0xff;
  out[offset + 3] = (value.label >>> 8) & 0xff;
  out[offset + 4] = value.label & 0xff;
  id.copy(out, offset + FIXED_LENGTH);
  encode.bytes = length;
  return out;
}
encode.bytes = 0;
