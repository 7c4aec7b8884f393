// What `vxswitch decode` finds in a capture: one record per BGP message or
// VXLAN datagram (plus the stream problems a reader must know about), in
// capture order. Text and JSON output are both made from these.

import type { BgpMessage } from '../../wire/bgp-message.js';
import type { WireError } from '../../wire/wire-error.js';
import type { InnerFrame } from './inner-frame.js';

export interface RecordBase {
  /** The capture frame (from 1, as tshark numbers them) that completed this record. */
  frame: number;
  /** Absolute time of that frame, seconds since the epoch. */
  time: number;
  /** "ip:port" ("[v6]:port"). */
  src: string;
  dst: string;
}

export type BgpMessageName = 'open' | 'update' | 'notification' | 'keepalive' | 'route-refresh';

export interface BgpMessageRecord extends RecordBase {
  proto: 'bgp';
  type: BgpMessageName;
  /** The header's Type field (1..5). */
  typeCode: number;
  /** The header's Length field: the whole message. */
  length: number;
  /** Frames that carried bytes of this message, when it spanned more than one. */
  frames?: number[];
  /** The decoded message; absent when decoding failed. */
  message?: BgpMessage;
  /** Why decoding failed, with its RFC 4271 code/subcode and RFC 7606 action. */
  error?: WireError;
  /** The message's bytes, kept when decoding failed. */
  raw?: Buffer;
  /** The OPENs were not captured; the message was read with 4-octet AS numbers. */
  as4Assumed?: boolean;
}

/** A stream problem: bytes that are not a BGP message, or bytes the capture never had. */
export interface BgpStreamRecord extends RecordBase {
  proto: 'bgp';
  type: 'out-of-sync' | 'lost';
  /** out-of-sync: the header error, and how many bytes were skipped to the next marker. */
  error?: WireError;
  skipped?: number;
  /** lost: bytes of a partial message dropped, and bytes missing from the capture. */
  partial?: number;
  missing?: number;
}

export type BgpRecord = BgpMessageRecord | BgpStreamRecord;

export interface VxlanRecord extends RecordBase {
  proto: 'vxlan';
  /** The inner frame's protocol: arp, icmp, icmpv6, tcp, udp, ipv4, ipv6, ethernet, or malformed. */
  type: string;
  /** Absent when the VXLAN header itself is bad. */
  vni?: number;
  /** The flags octet (0x08 = I, RFC 7348 §5). */
  flags: number;
  inner?: InnerFrame;
  error?: WireError;
}

export type DecodedRecord = BgpRecord | VxlanRecord;
