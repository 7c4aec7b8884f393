// Assertions on the WireErrors the BGP decoders throw: the NOTIFICATION
// code/subcode (RFC 4271 §6) and the RFC 7606 action.
import assert from 'node:assert/strict';
import { ErrorCode, UpdateSubcode } from '../../src/wire/bgp-error-codes.js';
import { WireError } from '../../src/wire/wire-error.js';

/**
 * Run `fn`: it must throw a session-reset WireError with this code and
 * subcode (and this NOTIFICATION data, when given). Returns the error.
 */
export function assertWireError(fn: () => unknown, code: number, subcode: number, data?: Buffer): WireError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof WireError, `expected a WireError, got ${String(caught)}`);
  assert.equal(caught.code, code, `code (${caught.message})`);
  assert.equal(caught.subcode, subcode, `subcode (${caught.message})`);
  assert.equal(caught.action, 'session-reset');
  if (data !== undefined) assert.deepEqual(caught.data, data, 'NOTIFICATION data');
  return caught;
}

/** For assert.throws: a session-reset WireError with this code and subcode. */
export function isSessionReset(code: number, subcode: number): (e: unknown) => boolean {
  return (e) => e instanceof WireError && e.code === code && e.subcode === subcode && e.action === 'session-reset';
}

/** An NLRI (or RD, ESI, prefix) that cannot be parsed: UPDATE Message Error / Invalid Network Field, session reset (nlri-error.ts). */
export const isNlriError = isSessionReset(ErrorCode.Update, UpdateSubcode.InvalidNetworkField);
