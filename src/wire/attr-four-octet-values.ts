// Path attribute values made of 4-octet fields: exactly one field
// (MULTI_EXIT_DISC and LOCAL_PREF, an unsigned integer; NEXT_HOP and
// ORIGINATOR_ID, an IPv4 address or BGP Identifier) or a non-empty list of
// them (COMMUNITIES; CLUSTER_LIST, of CLUSTER_IDs). Their codecs differ only
// in the attribute's name, the kind of field, and what RFC 7606 makes of a
// value of the wrong length; each attribute's own module (attr-med.ts, ...)
// gives those, with the RFC rules that set them.
//
// As for every attribute value, decode reads from `offset` to the END of
// `buf`: the caller passes a view that ends where the attribute ends.

import { ErrorCode } from './bgp-error-codes.js';
import type { Codec } from './codec.js';
import { checkUint } from './field-range.js';
import { formatIpv4, parseIpv4 } from './ip-address.js';
import type { ErrorAction } from './wire-error.js';
import { WireError } from './wire-error.js';

const FIELD_LENGTH = 4;

/** How one 4-octet field reads and writes. */
export interface FourOctetField<T> {
  read(buf: Buffer, offset: number): T;
  /** Throws RangeError or TypeError, before writing, for a value the field cannot hold; `what` names it. */
  write(value: T, buf: Buffer, offset: number, what: string): void;
}

/** A 32-bit unsigned integer. */
export const UINT32: FourOctetField<number> = {
  read: (buf, offset) => buf.readUInt32BE(offset),
  write: (value, buf, offset, what) => {
    checkUint(value, 0xffffffff, what);
    buf.writeUInt32BE(value, offset);
  },
};

/** An IPv4 address or BGP Identifier, as dotted-quad text. */
export const IPV4: FourOctetField<string> = {
  read: (buf, offset) => formatIpv4(buf, offset),
  write: (value, buf, offset) => {
    parseIpv4(value).copy(buf, offset);
  },
};

export interface FourOctetAttribute<T> {
  /** The attribute's name in messages, e.g. 'LOCAL_PREF'. */
  name: string;
  field: FourOctetField<T>;
  /** RFC 4271 §6.3 subcode and RFC 7606 action when the value's length is wrong. */
  malformed: { subcode: number; action: ErrorAction };
}

function malformedLength(attr: FourOctetAttribute<unknown>, message: string, offset: number): WireError {
  return new WireError(`${attr.name}: ${message}`, {
    code: ErrorCode.Update,
    subcode: attr.malformed.subcode,
    action: attr.malformed.action,
    offset,
  });
}

/** The codec of an attribute whose value is exactly one 4-octet field. */
export function fourOctetValue<T>(attr: FourOctetAttribute<T>): Codec<T> {
  function decode(buf: Buffer, offset = 0): T {
    const length = buf.length - offset;
    if (length !== FIELD_LENGTH) throw malformedLength(attr, `length ${length}, expected ${FIELD_LENGTH}`, offset);
    decode.bytes = FIELD_LENGTH;
    return attr.field.read(buf, offset);
  }
  decode.bytes = 0;

  function encode(value: T, buf?: Buffer, offset = 0): Buffer {
    const out = buf ?? Buffer.alloc(offset + FIELD_LENGTH);
    if (offset < 0 || offset + FIELD_LENGTH > out.length) throw new RangeError(`${attr.name}: no room at offset ${offset}`);
    attr.field.write(value, out, offset, attr.name);
    encode.bytes = FIELD_LENGTH;
    return out;
  }
  encode.bytes = 0;

  return { decode, encode, encodingLength: () => FIELD_LENGTH };
}

/**
 * The codec of an attribute whose value is a non-empty list of 4-octet
 * fields; `item` names one field in messages (e.g. 'CLUSTER_ID').
 */
export function fourOctetList<T>(attr: FourOctetAttribute<T> & { item: string }): Codec<T[]> {
  function decode(buf: Buffer, offset = 0): T[] {
    const length = buf.length - offset;
    if (length <= 0 || length % FIELD_LENGTH !== 0) {
      throw malformedLength(attr, `length ${length} is not a non-zero multiple of ${FIELD_LENGTH}`, offset);
    }
    const items: T[] = [];
    for (let o = offset; o < buf.length; o += FIELD_LENGTH) items.push(attr.field.read(buf, o));
    decode.bytes = length;
    return items;
  }
  decode.bytes = 0;

  function encodingLength(value: readonly T[]): number {
    return value.length * FIELD_LENGTH;
  }

  function encode(value: readonly T[], buf?: Buffer, offset = 0): Buffer {
    // An empty list would decode as malformed (see decode).
    if (value.length === 0) throw new RangeError(`${attr.name}: at least one ${attr.item}`);
    const length = encodingLength(value);
    const out = buf ?? Buffer.alloc(offset + length);
    if (offset < 0 || offset + length > out.length) throw new RangeError(`${attr.name}: no room for ${length} octets at ${offset}`);
    value.forEach((item, i) => attr.field.write(item, out, offset + i * FIELD_LENGTH, `${attr.name} ${attr.item}`));
    encode.bytes = length;
    return out;
  }
  encode.bytes = 0;

  return { decode, encode, encodingLength };
}
