// Cuts one direction's reassembled TCP byte stream into BGP messages
// (RFC 4271 §4.1: a 19-byte header whose Length counts the whole message).
// A message may span segments and a segment may hold several messages; each
// message is reported with the frame that completed it (as tshark does) and
// every frame that carried a part of it.
//
// When the header is bad (marker not all ones, impossible length) or bytes
// were lost in a capture hole, the reader is out of step with the peer. A
// real speaker would reset the session (RFC 4271 §6.1); a decoder reports the
// error and looks for the next marker, so the rest of the capture is read.

import type { BgpContext } from '../../wire/bgp-context.js';
import { BGP_HEADER_LENGTH, BGP_MARKER_LENGTH, messageLengthAt } from '../../wire/bgp-header.js';
import { WireError } from '../../wire/wire-error.js';
import type { StreamEvent } from './tcp-reassembly.js';

export type CutEvent<T> =
  | {
      kind: 'message';
      /** The whole message, header included. */
      bytes: Buffer;
      /** The segment whose arrival completed the message (tshark shows it there). */
      info: T;
      /** Every segment that carried part of it, in stream order. */
      parts: T[];
    }
  | {
      kind: 'framing-error';
      /** The header error, when a header was there to be read (not when looking for a marker after a hole). */
      error?: WireError;
      /** Bytes thrown away to find the next marker. */
      skipped: number;
      info: T;
    }
  | {
      kind: 'lost';
      /** Bytes of a partial message dropped because a hole followed it. */
      partial: number;
      /** Bytes the capture never had. */
      missing: number;
      info: T;
    };

interface Part<T> {
  /** Stream offset (within `buf`) where this part's bytes end. */
  end: number;
  info: T;
}

export class BgpMessageCutter<T> {
  private buf: Buffer = Buffer.alloc(0);
  private parts: Part<T>[] = [];
  /** Looking for a marker: after a hole, a framing error, or a capture started mid-stream. */
  private resync: boolean;
  /** Bytes skipped so far while looking for a marker (reported once, when it is found). */
  private skipped = 0;

  constructor(
    private readonly context: () => BgpContext,
    midstream = false,
  ) {
    this.resync = midstream;
  }

  /** Bytes held that do not make a whole message yet. */
  get pendingBytes(): number {
    return this.buf.length;
  }

  push(event: StreamEvent<T>): CutEvent<T>[] {
    const out: CutEvent<T>[] = [];
    if (event.kind === 'restart') {
      this.clear();
      this.resync = false;
      return out;
    }
    if (event.kind === 'gap') {
      out.push({ kind: 'lost', partial: this.buf.length, missing: event.missing, info: event.info });
      this.clear();
      this.resync = true;
      return out;
    }
    // Only a partial message is ever copied; a segment of whole messages stays a view.
    this.buf = this.buf.length === 0 ? event.data : Buffer.concat([this.buf, event.data]);
    this.parts.push({ end: this.buf.length, info: event.info });
    this.cut(out, event.at);
    return out;
  }

  private clear(): void {
    this.buf = Buffer.alloc(0);
    this.parts = [];
    this.skipped = 0;
  }

  private cut(out: CutEvent<T>[], info: T): void {
    let offset = 0;
    for (;;) {
      if (this.resync) {
        const at = findMarker(this.buf, offset);
        this.skipped += at - offset;
        offset = at;
        if (this.buf.length - offset < BGP_HEADER_LENGTH) break;
        this.resync = false;
        if (this.skipped > 0) out.push({ kind: 'framing-error', skipped: this.skipped, info });
        this.skipped = 0;
      }
      let length: number | undefined;
      try {
        length = messageLengthAt(this.buf, offset, this.context());
      } catch (e) {
        if (!(e instanceof WireError)) throw e;
        // Skip this marker and look for the next one.
        const next = findMarker(this.buf, offset + 1);
        out.push({ kind: 'framing-error', error: e, skipped: next - offset, info });
        offset = next;
        continue;
      }
      if (length === undefined || this.buf.length - offset < length) break;
      const end = offset + length;
      out.push({ kind: 'message', bytes: this.buf.subarray(offset, end), info, parts: this.partsBetween(offset, end) });
      offset = end;
    }
    this.consume(offset);
  }

  private partsBetween(start: number, end: number): T[] {
    const infos: T[] = [];
    let begin = 0;
    for (const p of this.parts) {
      if (p.end > start && begin < end && !infos.includes(p.info)) infos.push(p.info);
      begin = p.end;
    }
    return infos;
  }

  private consume(n: number): void {
    if (n === 0) return;
    this.buf = this.buf.subarray(n);
    this.parts = this.parts.filter((p) => p.end > n).map((p) => ({ end: p.end - n, info: p.info }));
  }
}

/**
 * Offset of the next 16 × 0xff marker at or after `from`, or, when there is
 * none, of the longest tail of 0xff bytes (a marker may be arriving), so the
 * caller keeps at most 15 bytes while it waits.
 */
export function findMarker(buf: Buffer, from: number): number {
  let run = 0;
  for (let i = from; i < buf.length; i++) {
    run = buf[i] === 0xff ? run + 1 : 0;
    if (run === BGP_MARKER_LENGTH) return i - BGP_MARKER_LENGTH + 1;
  }
  return buf.length - run;
}
