// The one error class every decoder in src/wire throws.
//
// It carries what the control plane needs to act on a malformed message
// without re-parsing anything: the RFC 4271 §6 NOTIFICATION code/subcode to
// send if the session must go down, the RFC 7606 §2 action that applies, and
// the offset in the buffer where decoding failed.

import { errorCodeName, errorSubcodeName } from './bgp-error-codes.js';

/**
 * RFC 7606 §2 error-handling approaches, plus `drop` for data-plane codecs
 * (a bad frame or VXLAN datagram is counted and dropped; there is no session).
 */
export type ErrorAction =
  | 'session-reset'
  | 'afi-safi-disable'
  | 'treat-as-withdraw'
  | 'attribute-discard'
  | 'drop';

export interface WireErrorInit {
  /** RFC 4271 §4.5 error code; 0 for data-plane codecs. */
  code: number;
  /** RFC 4271 §6 error subcode; 0 when unspecific. */
  subcode: number;
  action: ErrorAction;
  /** Offset in the decoded buffer where the problem was found. */
  offset: number;
  /** Data field for the NOTIFICATION (e.g. the bad attribute), if any. */
  data?: Buffer;
}

export class WireError extends Error {
  readonly code: number;
  readonly subcode: number;
  readonly action: ErrorAction;
  readonly offset: number;
  readonly data: Buffer | undefined;

  constructor(message: string, init: WireErrorInit) {
    super(message);
    this.name = 'WireError';
    this.code = init.code;
    this.subcode = init.subcode;
    this.action = init.action;
    this.offset = init.offset;
    this.data = init.data;
  }

  /** "UPDATE Message Error / Malformed AS_PATH" (or "" for data-plane errors). */
  get codeText(): string {
    if (this.code === 0) return '';
    return `${errorCodeName(this.code)} / ${errorSubcodeName(this.code, this.subcode)}`;
  }

  /** Same error, with a stricter action (RFC 7606 §3: the most severe wins). */
  withAction(action: ErrorAction): WireError {
    return new WireError(this.message, { ...this.init(), action });
  }

  private init(): WireErrorInit {
    const init: WireErrorInit = {
      code: this.code,
      subcode: this.subcode,
      action: this.action,
      offset: this.offset,
    };
    if (this.data !== undefined) init.data = this.data;
    return init;
  }
}

/** A data-plane decoding error (bad frame or datagram): dropped and counted. */
export function frameError(message: string, offset: number): WireError {
  return new WireError(message, { code: 0, subcode: 0, action: 'drop', offset });
}

/**
 * Throw unless `buf` holds `length` bytes from `offset`. `fail` builds the
 * error for the codec's own failure mode (frame drop, treat-as-withdraw, ...).
 */
export function ensureBytes(
  buf: Buffer,
  offset: number,
  length: number,
  what: string,
  fail: (message: string, offset: number) => WireError = frameError,
): void {
  if (offset < 0 || length < 0 || offset + length > buf.length) {
    throw fail(
      `${what}: need ${length} bytes at offset ${offset}, have ${Math.max(0, buf.length - offset)}`,
      offset,
    );
  }
}
