// The error of an NLRI (or a field inside one: RD, ESI, prefix) that cannot
// be parsed: UPDATE Message Error / Invalid Network Field (RFC 4271 §6.3),
// action 'session-reset'. RFC 7606 §5.3: such an NLRI cannot be treated as
// withdrawn, since its length is what delimits the next one; the caller may
// soften the action to 'afi-safi-disable' (RFC 7606 §2, RFC 4760 §7).

import { ErrorCode, UpdateSubcode } from './bgp-error-codes.js';
import { WireError } from './wire-error.js';

export function nlriError(message: string, offset: number): WireError {
  return new WireError(message, {
    code: ErrorCode.Update,
    subcode: UpdateSubcode.InvalidNetworkField,
    action: 'session-reset',
    offset,
  });
}
