// The decode pipeline: capture frames -> link/IP/transport -> either
//   TCP to/from a BGP port -> per-direction stream reassembly -> BGP messages
//       decoded with the session's negotiated context, or
//   UDP to/from a VXLAN port -> VXLAN header -> inner Ethernet frame summary.
// Records come out in capture order (a message that spans segments comes out
// at the frame that completed it, as in tshark).

import type { BgpContext } from '../../wire/bgp-context.js';
import { ErrorCode, HeaderSubcode } from '../../wire/bgp-error-codes.js';
import { BGP_HEADER_LENGTH, BGP_MARKER_LENGTH } from '../../wire/bgp-header.js';
import { IpProtocol } from '../../wire/ipv4.js';
import * as bgpMessage from '../../wire/bgp-message.js';
import type { BgpMessage } from '../../wire/bgp-message.js';
import { capabilities } from '../../wire/bgp-open.js';
import type { PcapFile, PcapRecord } from '../../wire/pcap.js';
import { TcpFlag } from '../../wire/tcp.js';
import * as vxlan from '../../wire/vxlan.js';
import { WireError } from '../../wire/wire-error.js';
import { BgpMessageCutter, type CutEvent } from './bgp-stream.js';
import { walkFrame, type TcpSegment, type UdpDatagram } from './frame-walker.js';
import { describeInnerFrame, type InnerFrame } from './inner-frame.js';
import type { BgpMessageName, BgpMessageRecord, BgpRecord, DecodedRecord, VxlanRecord } from './records.js';
import { SessionContext } from './session-context.js';
import { TcpStream, connectionKey, directionKey, endpoint } from './tcp-reassembly.js';

export interface DecodeOptions {
  bgpPorts: ReadonlySet<number>;
  vxlanPorts: ReadonlySet<number>;
}

interface FrameTag {
  frame: number;
  time: number;
}

interface Direction {
  key: string;
  src: string;
  dst: string;
  stream: TcpStream<FrameTag>;
  cutter: BgpMessageCutter<FrameTag>;
  session: SessionContext;
}

const MESSAGE_NAMES: Record<number, BgpMessageName> = {
  1: 'open',
  2: 'update',
  3: 'notification',
  4: 'keepalive',
  5: 'route-refresh',
};

export class CaptureDecoder {
  private readonly directions = new Map<string, Direction>();
  private readonly sessions = new Map<string, SessionContext>();

  constructor(
    private readonly linkType: number,
    private readonly options: DecodeOptions,
  ) {}

  /** Records completed by this frame. */
  frame(record: PcapRecord): DecodedRecord[] {
    const walked = walkFrame(this.linkType, record.data);
    const tag = { frame: record.number, time: record.time };
    if (walked.kind === 'tcp') {
      if (!this.options.bgpPorts.has(walked.dstPort) && !this.options.bgpPorts.has(walked.srcPort)) return [];
      return this.tcp(walked, tag);
    }
    if (walked.kind === 'udp') {
      if (!this.options.vxlanPorts.has(walked.dstPort) && !this.options.vxlanPorts.has(walked.srcPort)) return [];
      return [this.vxlan(walked, tag)];
    }
    return [];
  }

  /** End of capture: what was held behind holes in the TCP streams. */
  finish(): DecodedRecord[] {
    const out: DecodedRecord[] = [];
    for (const dir of this.directions.values()) {
      for (const ev of dir.stream.finish()) this.cut(dir, dir.cutter.push(ev), out);
    }
    return out;
  }

  private tcp(seg: TcpSegment, tag: FrameTag): DecodedRecord[] {
    const dir = this.direction(seg);
    const out: DecodedRecord[] = [];
    for (const ev of dir.stream.push(seg.seq, seg.payload, seg.syn, tag)) {
      // A new connection on the same 4-tuple: forget the old session's OPENs.
      if (ev.kind === 'restart') dir.session.reset();
      this.cut(dir, dir.cutter.push(ev), out);
    }
    // What this segment acknowledges tells whether a hole in the other direction will ever fill.
    if ((seg.flags & TcpFlag.Ack) !== 0) {
      const back = this.directions.get(directionKey(seg.ip.dst, seg.dstPort, seg.ip.src, seg.srcPort));
      if (back) for (const ev of back.stream.acknowledged(seg.ack, tag)) this.cut(back, back.cutter.push(ev), out);
    }
    return out;
  }

  private direction(seg: TcpSegment): Direction {
    const key = directionKey(seg.ip.src, seg.srcPort, seg.ip.dst, seg.dstPort);
    let dir = this.directions.get(key);
    if (dir) return dir;
    const conn = connectionKey(seg.ip.src, seg.srcPort, seg.ip.dst, seg.dstPort);
    let session = this.sessions.get(conn);
    if (!session) {
      session = new SessionContext(key, directionKey(seg.ip.dst, seg.dstPort, seg.ip.src, seg.srcPort));
      this.sessions.set(conn, session);
    }
    const stream = new TcpStream<FrameTag>();
    // A capture that starts after the SYN may start mid-message: look for a marker first.
    const d: Direction = {
      key,
      src: endpoint(seg.ip.src, seg.srcPort),
      dst: endpoint(seg.ip.dst, seg.dstPort),
      stream,
      cutter: new BgpMessageCutter<FrameTag>(() => d.session.contextFor(key), !seg.syn),
      session,
    };
    dir = d;
    this.directions.set(key, dir);
    return dir;
  }

  private cut(dir: Direction, events: CutEvent<FrameTag>[], out: DecodedRecord[]): void {
    for (const ev of events) {
      const base = { proto: 'bgp' as const, frame: ev.info.frame, time: ev.info.time, src: dir.src, dst: dir.dst };
      if (ev.kind === 'framing-error') {
        out.push(ev.error ? { ...base, type: 'out-of-sync', error: ev.error, skipped: ev.skipped } : { ...base, type: 'out-of-sync', skipped: ev.skipped });
      } else if (ev.kind === 'lost') {
        out.push({ ...base, type: 'lost', partial: ev.partial, missing: ev.missing });
      } else {
        const rec = this.message(dir, ev.bytes, base);
        // Name the carrying frames when they are not just the one the message is shown at.
        if (ev.parts.length > 1 || ev.parts[0] !== ev.info) rec.frames = ev.parts.map((p) => p.frame);
        out.push(rec);
      }
    }
  }

  private message(dir: Direction, bytes: Buffer, base: Omit<BgpRecord, 'type'> & { proto: 'bgp' }): BgpMessageRecord {
    const typeCode = bytes[BGP_MARKER_LENGTH + 2]!;
    const length = bytes.readUInt16BE(BGP_MARKER_LENGTH);
    const rec: BgpMessageRecord = { ...base, type: MESSAGE_NAMES[typeCode] ?? 'update', typeCode, length };
    const first = attempt(bytes, dir.session.contextFor(dir.key));
    let chosen = first;
    // OPENs not captured: the peers may well have negotiated 4-octet ASNs
    // (RFC 6793). Read with them when 2-octet ASNs do not make a clean UPDATE
    // and 4-octet ones do (a 4-octet AS_PATH read 2 octets at a time is
    // malformed, and the other way round).
    const fallback = typeCode === 2 ? dir.session.fallbackFor(dir.key) : undefined;
    if (fallback && !isClean(first)) {
      const second = attempt(bytes, fallback);
      if (isClean(second)) {
        chosen = second;
        rec.as4Assumed = true;
      }
    }
    if (chosen instanceof WireError) {
      rec.error = chosen;
      rec.raw = bytes;
    } else {
      rec.message = chosen;
    }
    if (rec.message?.type === 'open') dir.session.open(dir.key, capabilities(rec.message.open));
    return rec;
  }

  private vxlan(dgram: UdpDatagram, tag: FrameTag): VxlanRecord {
    const rec: VxlanRecord = {
      proto: 'vxlan',
      frame: tag.frame,
      time: tag.time,
      src: endpoint(dgram.ip.src, dgram.srcPort),
      dst: endpoint(dgram.ip.dst, dgram.dstPort),
      type: 'malformed',
      flags: dgram.payload.length > 0 ? dgram.payload[0]! : 0,
    };
    try {
      rec.vni = vxlan.decode(dgram.payload, 0).vni;
    } catch (e) {
      if (!(e instanceof WireError)) throw e;
      rec.error = e;
      return rec;
    }
    rec.inner = describeInnerFrame(dgram.payload.subarray(vxlan.VXLAN_HEADER_LENGTH));
    rec.type = innerType(rec.inner);
    return rec;
  }
}

function decodeMessage(bytes: Buffer, ctx: BgpContext): BgpMessage {
  const m = bgpMessage.decode(bytes, 0, ctx);
  if (bgpMessage.decode.bytes !== bytes.length || bytes.length < BGP_HEADER_LENGTH) {
    throw new WireError('BGP message: decoded length differs from the header', {
      code: ErrorCode.MessageHeader,
      subcode: HeaderSubcode.BadMessageLength,
      action: 'session-reset',
      offset: BGP_MARKER_LENGTH,
    });
  }
  return m;
}

/** The decoded message, or the WireError that stopped it. */
function attempt(bytes: Buffer, ctx: BgpContext): BgpMessage | WireError {
  try {
    return decodeMessage(bytes, ctx);
  } catch (e) {
    if (e instanceof WireError) return e;
    throw e;
  }
}

/** Decoded, and (for an UPDATE) without RFC 7606 problems. */
function isClean(m: BgpMessage | WireError): boolean {
  if (m instanceof WireError) return false;
  return m.type !== 'update' || m.update.problems.length === 0;
}

function innerType(inner: InnerFrame): string {
  if (inner.arp) return 'arp';
  if (inner.ip) {
    switch (inner.ip.protocol) {
      case IpProtocol.Icmp:
        return 'icmp';
      case IpProtocol.Icmpv6:
        return 'icmpv6';
      case IpProtocol.Tcp:
        return 'tcp';
      case IpProtocol.Udp:
        return 'udp';
      default:
        return inner.ip.version === 4 ? 'ipv4' : 'ipv6';
    }
  }
  return inner.error !== undefined && inner.src === '' ? 'malformed' : 'ethernet';
}

/** Decode a whole capture into records, in capture order. */
export function decodeCapture(file: PcapFile, options: DecodeOptions): DecodedRecord[] {
  const decoder = new CaptureDecoder(file.header.linkType, options);
  const out: DecodedRecord[] = [];
  for (const r of file.records) out.push(...decoder.frame(r));
  out.push(...decoder.finish());
  return out;
}
