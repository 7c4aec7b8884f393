// One direction of a TCP connection as a byte stream, rebuilt from captured
// segments (RFC 9293 §3.4 sequence numbers): segments are put back in
// sequence order, retransmissions and overlaps are delivered once (the first
// copy wins, as tshark does), and a hole that is never filled is reported as a
// gap when the capture ends, so what follows it can still be read.
//
// The stream does not know what it carries; `info` is the caller's tag for
// the segment (the capture frame), handed back with the bytes it delivered.

/** Sequence numbers are modulo 2^32 (RFC 9293 §3.4): a - b as a signed 32-bit distance. */
function seqDiff(a: number, b: number): number {
  return (a - b) | 0;
}

export type StreamEvent<T> =
  /**
   * Contiguous new bytes of the stream (a view of the segment's payload):
   * `info` is the segment that carried them, `at` the segment whose arrival
   * made them deliverable (a later one when they waited behind a hole).
   */
  | { kind: 'data'; data: Buffer; info: T; at: T }
  /** `missing` bytes were never captured; the next data follows the hole. */
  | { kind: 'gap'; missing: number; info: T }
  /** A SYN with a new initial sequence number: a new connection on the same addresses and ports. */
  | { kind: 'restart'; info: T };

interface Pending<T> {
  seq: number;
  data: Buffer;
  info: T;
}

export interface StreamCounters {
  /** Segments whose bytes had all been delivered already. */
  retransmissions: number;
  /** Segments that partly repeated delivered bytes (only the new tail was used). */
  overlaps: number;
  /** Segments that arrived ahead of a hole and waited for it to fill. */
  outOfOrder: number;
}

/**
 * Segments held behind a hole before it is declared lost anyway: a capture
 * that dropped a segment must not hold the rest of a long session in memory
 * and print it at the very end.
 */
export const MAX_PENDING_SEGMENTS = 1024;

export class TcpStream<T> {
  /** The next sequence number expected; undefined until the first segment. */
  private next: number | undefined;
  private isn: number | undefined;
  /** Segments waiting behind a hole, sorted by sequence number. */
  private pending: Pending<T>[] = [];
  /** True when the capture started after the SYN: the first bytes may be mid-message. */
  midstream = false;
  readonly counters: StreamCounters = { retransmissions: 0, overlaps: 0, outOfOrder: 0 };

  /**
   * Add one captured segment. `seq` is its sequence number field, `syn` its
   * SYN flag (which takes one sequence number before the data, RFC 9293 §3.4).
   * Returns what became deliverable, in stream order.
   */
  push(seq: number, payload: Buffer, syn: boolean, info: T): StreamEvent<T>[] {
    const events: StreamEvent<T>[] = [];
    let dataSeq = seq >>> 0;
    if (syn) {
      if (this.isn !== undefined && this.isn !== dataSeq) {
        // Same 4-tuple, new ISN: the old connection is over.
        events.push(...this.finish(), { kind: 'restart', info });
        this.reset();
      }
      if (this.isn === undefined) {
        this.isn = dataSeq;
        this.next = (dataSeq + 1) >>> 0;
        this.midstream = false;
      }
      dataSeq = (dataSeq + 1) >>> 0;
    }
    if (this.next === undefined) {
      // No SYN seen: start where the capture starts.
      this.next = dataSeq;
      this.midstream = true;
    }
    if (payload.length === 0) return events;
    const rel = seqDiff(dataSeq, this.next);
    if (rel + payload.length <= 0) {
      this.counters.retransmissions++;
      return events;
    }
    if (rel > 0) this.counters.outOfOrder++;
    this.insert({ seq: dataSeq, data: payload, info });
    this.drain(events, info);
    if (this.pending.length > MAX_PENDING_SEGMENTS) this.skipHole(events, undefined, info);
    return events;
  }

  /**
   * The peer acknowledged up to `ack` (the other direction's ACK field): the
   * bytes before it were received, so a hole before it will not be filled by
   * a retransmission; the capture just missed them (tshark: "ACKed segment
   * that wasn't captured"). Skip the hole now instead of at the end.
   */
  acknowledged(ack: number, info: T): StreamEvent<T>[] {
    const events: StreamEvent<T>[] = [];
    const a = ack >>> 0;
    // A FIN takes one sequence number (RFC 9293 §3.4): an ACK one past the
    // data is the FIN's, not a lost byte, unless data waits behind a hole.
    while (this.next !== undefined && seqDiff(a, this.next) > (this.pending.length > 0 ? 0 : 1)) {
      const before = this.next;
      this.skipHole(events, a, info);
      if (this.next === before) break;
    }
    return events;
  }

  /**
   * End of capture: skip every hole that was never filled (reporting it as a
   * gap) and deliver what was buffered behind it.
   */
  finish(): StreamEvent<T>[] {
    const events: StreamEvent<T>[] = [];
    while (this.pending.length > 0) this.skipHole(events, undefined, undefined);
    return events;
  }

  /** Bytes held behind a hole. */
  get bufferedBytes(): number {
    return this.pending.reduce((n, p) => n + p.data.length, 0);
  }

  private reset(): void {
    this.next = undefined;
    this.isn = undefined;
    this.pending = [];
    this.midstream = false;
  }

  /**
   * Declare the hole at `next` lost: up to the first pending segment, or up
   * to `upTo` (an acknowledged sequence number) when nothing is pending
   * before it. Then deliver what follows.
   */
  private skipHole(events: StreamEvent<T>[], upTo: number | undefined, at: T | undefined): void {
    const next = this.next!;
    const first = this.pending[0];
    let to: number;
    if (first !== undefined && (upTo === undefined || seqDiff(first.seq, upTo) <= 0)) to = first.seq;
    else if (upTo !== undefined) to = upTo;
    else return;
    const missing = seqDiff(to, next);
    const info = at ?? first?.info;
    if (missing > 0 && info !== undefined) {
      events.push({ kind: 'gap', missing, info });
      this.next = to;
    }
    this.drain(events, at);
  }

  /** Binary insertion by sequence number (all pending segments lie within 2^31 of `next`). */
  private insert(seg: Pending<T>): void {
    let lo = 0;
    let hi = this.pending.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (seqDiff(this.pending[mid]!.seq, seg.seq) <= 0) lo = mid + 1;
      else hi = mid;
    }
    this.pending.splice(lo, 0, seg);
  }

  /**
   * Deliver pending segments while the earliest one starts at or before
   * `next`. `at`: the segment being pushed (undefined at the end of the
   * capture: each part is then its own).
   */
  private drain(events: StreamEvent<T>[], at: T | undefined): void {
    let i = 0;
    for (; i < this.pending.length; i++) {
      const seg = this.pending[i]!;
      const next = this.next!;
      const rel = seqDiff(seg.seq, next);
      if (rel > 0) break; // a hole before it
      const skip = -rel;
      if (skip >= seg.data.length) {
        this.counters.retransmissions++;
        continue;
      }
      if (skip > 0) this.counters.overlaps++;
      const data = skip > 0 ? seg.data.subarray(skip) : seg.data;
      this.next = (next + data.length) >>> 0;
      events.push({ kind: 'data', data, info: seg.info, at: at ?? seg.info });
    }
    if (i > 0) this.pending.splice(0, i);
  }
}

/** Key of one direction of a connection: "src:port>dst:port" (IPv6 in brackets). */
export function directionKey(src: string, srcPort: number, dst: string, dstPort: number): string {
  return `${endpoint(src, srcPort)}>${endpoint(dst, dstPort)}`;
}

/** Key of the connection, the same for both directions. */
export function connectionKey(src: string, srcPort: number, dst: string, dstPort: number): string {
  const a = endpoint(src, srcPort);
  const b = endpoint(dst, dstPort);
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

/** "10.0.0.1:179" or "[2001:db8::1]:179", as tshark and ss print endpoints. */
export function endpoint(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}
