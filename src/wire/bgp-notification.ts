// NOTIFICATION message body, RFC 4271 §4.5:
//
//   Error code (1) | Error subcode (1) | Data (variable, to the message end)
//
// The data is always kept as received (a view) so the message re-encodes
// byte for byte; what can be read out of it is derived on decode:
// - RFC 9003 (was RFC 8203) Shutdown Communication: for Cease /
//   Administrative Shutdown (2) and Administrative Reset (4), the data may
//   be a length byte and that many bytes of UTF-8 text.
// - RFC 8538 §3 Hard Reset (Cease 9): the data is the code, subcode and data
//   of the NOTIFICATION that caused the hard reset (FRR sends Hard Reset
//   wrapping Cease / Administrative Shutdown).
//
// The body ends at buf.length: callers pass a subarray ending where the
// message ends (bgp-message.ts does).

import { CeaseSubcode, ErrorCode, HeaderSubcode, errorCodeName, errorSubcodeName } from './bgp-error-codes.js';
import { exactUtf8 } from './exact-utf8.js';
import { checkUint } from './field-range.js';
import { WireError } from './wire-error.js';

export interface BgpNotification {
  code: number;
  subcode: number;
  /** The data field as received (a view into the message). */
  data: Buffer;
  /**
   * RFC 9003 Shutdown Communication, when the data holds a well-formed,
   * non-empty one (also inside an RFC 8538 Hard Reset). Derived from `data`:
   * encode writes `data` and ignores this field.
   */
  shutdownMessage?: string;
}

/** RFC 9003 §2: the message is at most 255 bytes of UTF-8. */
export const SHUTDOWN_MESSAGE_MAX_BYTES = 255;

function isShutdownSubcode(code: number, subcode: number): boolean {
  return (
    code === ErrorCode.Cease &&
    (subcode === CeaseSubcode.AdministrativeShutdown || subcode === CeaseSubcode.AdministrativeReset)
  );
}

/**
 * The Shutdown Communication carried by a NOTIFICATION's data, or undefined
 * when there is none or it is malformed (RFC 9003 §2: a bad length or bad
 * UTF-8 is logged, and the NOTIFICATION is otherwise processed as usual).
 */
export function shutdownCommunication(code: number, subcode: number, data: Buffer): string | undefined {
  if (code === ErrorCode.Cease && subcode === CeaseSubcode.HardReset && data.length >= 2) {
    // RFC 8538 §3: the inner NOTIFICATION's code and subcode, then its data.
    // One level only: a hard reset wrapping a hard reset means nothing, and
    // a 64 KiB chain of them must not recurse.
    return shutdownText(data[0]!, data[1]!, data.subarray(2));
  }
  return shutdownText(code, subcode, data);
}

function shutdownText(code: number, subcode: number, data: Buffer): string | undefined {
  if (!isShutdownSubcode(code, subcode) || data.length < 2) return undefined;
  const length = data[0]!;
  if (length === 0 || 1 + length !== data.length) return undefined;
  return exactUtf8(data.subarray(1));
}

export function decode(buf: Buffer, offset = 0): BgpNotification {
  if (offset < 0 || offset + 2 > buf.length) {
    // RFC 4271 §6.1: a NOTIFICATION is at least 21 bytes long. No NOTIFICATION
    // answers a bad NOTIFICATION (§6.4); the session closes either way.
    throw new WireError(`NOTIFICATION: need 2 bytes at offset ${offset}, have ${Math.max(0, buf.length - offset)}`, {
      code: ErrorCode.MessageHeader,
      subcode: HeaderSubcode.BadMessageLength,
      action: 'session-reset',
      offset,
    });
  }
  const code = buf[offset]!;
  const subcode = buf[offset + 1]!;
  const data = buf.subarray(offset + 2);
  const n: BgpNotification = { code, subcode, data };
  const message = shutdownCommunication(code, subcode, data);
  if (message !== undefined) n.shutdownMessage = message;
  decode.bytes = buf.length - offset;
  return n;
}
decode.bytes = 0;

export function encodingLength(value: BgpNotification): number {
  return 2 + value.data.length;
}

export function encode(value: BgpNotification, buf?: Buffer, offset = 0): Buffer {
  checkUint(value.code, 0xff, 'NOTIFICATION error code');
  checkUint(value.subcode, 0xff, 'NOTIFICATION error subcode');
  const length = encodingLength(value);
  const out = buf ?? Buffer.alloc(length + offset);
  if (offset < 0 || offset + length > out.length) {
    throw new RangeError(`NOTIFICATION (encode): need ${length} bytes at offset ${offset}, have ${out.length - offset}`);
  }
  out[offset] = value.code;
  out[offset + 1] = value.subcode;
  value.data.copy(out, offset + 2);
  encode.bytes = length;
  return out;
}
encode.bytes = 0;

/** A NOTIFICATION with no shutdown communication: code, subcode, data. */
export function notification(code: number, subcode: number, data: Buffer = Buffer.alloc(0)): BgpNotification {
  const n: BgpNotification = { code, subcode, data };
  const message = shutdownCommunication(code, subcode, data);
  if (message !== undefined) n.shutdownMessage = message;
  return n;
}

/**
 * The NOTIFICATION with its data cut to at most `maxDataLength` octets.
 * RFC 8654 §5 lets a speaker truncate a NOTIFICATION's data so that the
 * message fits what the peer can read: an error about an extended message
 * (a 5,000-byte attribute echoed back as data) must still go out as one
 * message a peer that never agreed to extended messages can parse. The
 * shutdown communication is derived again from what is left.
 */
export function truncated(value: BgpNotification, maxDataLength: number): BgpNotification {
  if (value.data.length <= maxDataLength) return value;
  return notification(value.code, value.subcode, value.data.subarray(0, Math.max(0, maxDataLength)));
}

/**
 * Cease / Administrative Shutdown (or Reset) with an RFC 9003 Shutdown
 * Communication. Text longer than 255 UTF-8 bytes is a RangeError.
 */
export function shutdownNotification(
  subcode: typeof CeaseSubcode.AdministrativeShutdown | typeof CeaseSubcode.AdministrativeReset,
  message: string,
): BgpNotification {
  const bytes = Buffer.from(message, 'utf8');
  if (bytes.length > SHUTDOWN_MESSAGE_MAX_BYTES) {
    throw new RangeError(`shutdown communication is ${bytes.length} bytes of UTF-8, at most ${SHUTDOWN_MESSAGE_MAX_BYTES}`);
  }
  if (bytes.length === 0) return { code: ErrorCode.Cease, subcode, data: Buffer.alloc(0) };
  return notification(ErrorCode.Cease, subcode, Buffer.concat([Buffer.from([bytes.length]), bytes]));
}

/**
 * "Cease / Administrative Shutdown", with the hard-reset cause and the
 * shutdown communication when there are:
 * 'Cease / Hard Reset (Cease / Administrative Shutdown): "maintenance"'.
 */
export function describeNotification(n: BgpNotification): string {
  let text = `${errorCodeName(n.code)} / ${errorSubcodeName(n.code, n.subcode)}`;
  if (n.code === ErrorCode.Cease && n.subcode === CeaseSubcode.HardReset && n.data.length >= 2) {
    text += ` (${errorCodeName(n.data[0]!)} / ${errorSubcodeName(n.data[0]!, n.data[1]!)})`;
  }
  if (n.shutdownMessage !== undefined) text += `: ${JSON.stringify(n.shutdownMessage)}`;
  return text;
}
