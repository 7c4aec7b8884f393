// The body of an rtnetlink message after its nlmsghdr: a fixed struct
// (struct ifinfomsg, ndmsg, rtmsg: rtnetlink(7)) followed by attributes
// (rtnetlink-attribute.ts) up to the end of the message. Each family module
// (rtnetlink-link.ts, -neighbour.ts, -route.ts) describes its struct in a
// BodyLayout and gets the house's decode / encode / encodingLength trio
// (codec.ts) from bodyCodec(). decode reads to the end of the buffer it is
// given: the message codec passes a view that ends with the message.

import type { Decoder, Encoder } from './codec.js';
import type { AttributeTable, TypedAttribute } from './rtnetlink-attribute.js';
import { ensureBytes } from './wire-error.js';

export interface BodyLayout<T extends { attributes: A[] }, A extends TypedAttribute> {
  /** The struct's C name, in errors. */
  readonly what: string;
  /** Its size in bytes (a multiple of 4). */
  readonly length: number;
  /** The struct's fields at offset (bounds already checked). */
  read(buf: Buffer, offset: number): Omit<T, 'attributes'>;
  /** Check the fields (RangeError) and write the struct at offset, padding zeroed. */
  write(value: T, buf: Buffer, offset: number): void;
  /** The attributes the struct's family interprets. */
  table(fields: Omit<T, 'attributes'>): AttributeTable<A>;
}

export interface BodyCodec<T> {
  decode: Decoder<T, undefined>;
  encode: Encoder<T, undefined>;
  encodingLength(value: T): number;
}

export function bodyCodec<T extends { attributes: A[] }, A extends TypedAttribute>(layout: BodyLayout<T, A>): BodyCodec<T> {
  const decode = (buf: Buffer, offset = 0): T => {
    ensureBytes(buf, offset, layout.length, layout.what);
    const fields = layout.read(buf, offset);
    const attributes = layout.table(fields).decode(buf, offset + layout.length, buf.length) as A[];
    decode.bytes = buf.length - offset;
    return { ...fields, attributes } as T;
  };
  decode.bytes = 0;
  const encodingLength = (value: T): number => layout.length + layout.table(value).encodingLength(value.attributes);
  const encode = (value: T, buf?: Buffer, offset = 0): Buffer => {
    const length = encodingLength(value);
    const out = buf ?? Buffer.alloc(offset + length);
    ensureBytes(out, offset, length, `${layout.what} (encode)`);
    layout.write(value, out, offset);
    layout.table(value).encode(value.attributes, out, offset + layout.length);
    encode.bytes = length;
    return out;
  };
  encode.bytes = 0;
  return { decode, encode, encodingLength };
}
