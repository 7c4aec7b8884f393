// Netlink attributes, struct nlattr (struct rtattr in rtnetlink) (RFC 3549
// §2.3.2.2; include/uapi/linux/netlink.h "Netlink attributes layout"):
//
//   |   Length (16)   |    Type (16)    | Value ... | pad to 4 bytes |
//
// Length counts the 4-byte header and the value, not the padding; the next
// attribute starts at the aligned length (NLA_ALIGN). Both fields are in host
// byte order, as is every number in a value unless the type carries
// NLA_F_NET_BYTEORDER. The top two type bits are flags (NLA_F_NESTED,
// NLA_F_NET_BYTEORDER).
//
// Each rtnetlink family (rtnetlink-route.ts, -neighbour.ts, -link.ts) lists
// the attributes it interprets in an AttributeTable: type number, a name
// (`kind`), and a ValueCodec. Decoding keeps every attribute in the order the
// kernel sent it, the ones a table does not know as { kind: 'other', type,
// value }, so a decoded message re-encodes to the very same bytes. A value of
// the wrong size for its type is malformed (WireError); text that is not
// NUL-terminated UTF-8 is kept as bytes ('other') rather than guessed at.

import { isIPv4 } from 'node:net';
import { exactUtf8 } from './exact-utf8.js';
import { checkUint } from './field-range.js';
import { readU16, readU32, writeU16, writeU32 } from './host-order.js';
import { formatIp, parseIp } from './ip-address.js';
import { align4 } from './netlink-header.js';
import { ensureBytes, frameError } from './wire-error.js';

export const ATTRIBUTE_HEADER_LENGTH = 4;
/** Link-layer addresses are at most MAX_ADDR_LEN (32) bytes (include/linux/netdevice.h). */
export const MAX_LINK_ADDRESS_LENGTH = 32;

/** An attribute kept as its bytes: a table does not know its type (or it is not in the form the table expects). */
export interface OtherAttribute {
  kind: 'other';
  /** The full 16-bit type, flags (NLA_F_NESTED 0x8000, NLA_F_NET_BYTEORDER 0x4000) included. */
  type: number;
  value: Buffer;
}

/** An attribute a table interprets. */
export interface TypedAttribute {
  kind: string;
  value: unknown;
}

/** An uninterpreted attribute inside a nested one (RTA_METRICS, extended ACK). */
export interface RawAttribute {
  type: number;
  value: Buffer;
}

/**
 * How one attribute's value is read and written. decode gets the value's
 * bytes and their offset in the message (for errors); it throws WireError
 * on a malformed value, or returns undefined to keep the attribute as bytes.
 */
export interface ValueCodec<V> {
  decode(value: Buffer, at: number, what: string): V | undefined;
  length(value: V): number;
  encode(value: V, buf: Buffer, offset: number): void;
}

interface Entry {
  type: number;
  kind: string;
  codec: ValueCodec<unknown>;
}

/** The attributes of one family a codec interprets (see the top of this file). */
export class AttributeTable<A extends TypedAttribute> {
  private readonly byType = new Map<number, Entry>();
  private readonly byKind = new Map<string, Entry>();

  /** entries: [type, kind, codec]; `name` says whose attributes these are, in errors. */
  constructor(
    readonly name: string,
    entries: ReadonlyArray<readonly [number, A['kind'], ValueCodec<unknown>]>,
  ) {
    for (const [type, kind, codec] of entries) {
      const e: Entry = { type, kind, codec };
      this.byType.set(type, e);
      this.byKind.set(kind, e);
    }
  }

  /**
   * The attributes in buf[start, end). The last one may lack its padding
   * (the kernel's nla_for_each tolerates it); anything else that does not
   * fit is malformed. `at` is where buf[start] is in the message (errors
   * name offsets in the message; nested attributes are decoded from a view).
   */
  decode(buf: Buffer, start: number, end: number, at = start): Array<A | OtherAttribute> {
    const out: Array<A | OtherAttribute> = [];
    const shift = at - start;
    let o = start;
    while (o < end) {
      if (end - o < ATTRIBUTE_HEADER_LENGTH) throw frameError(`${this.name}: ${end - o} stray bytes after the attributes`, o + shift);
      const length = readU16(buf, o);
      const type = readU16(buf, o + 2);
      if (length < ATTRIBUTE_HEADER_LENGTH || o + length > end) {
        throw frameError(`${this.name} ${type}: length ${length} does not fit the ${end - o} bytes left`, o + shift);
      }
      const value = buf.subarray(o + ATTRIBUTE_HEADER_LENGTH, o + length);
      const entry = this.byType.get(type);
      const decoded = entry?.codec.decode(value, o + shift + ATTRIBUTE_HEADER_LENGTH, `${this.name} ${entry.kind}`);
      out.push(decoded === undefined ? { kind: 'other', type, value } : ({ kind: entry!.kind, value: decoded } as A));
      o = Math.min(end, o + align4(length));
    }
    return out;
  }

  /** Bytes the attributes take, padding included. */
  encodingLength(attributes: ReadonlyArray<A | OtherAttribute>): number {
    let n = 0;
    for (const a of attributes) n += align4(ATTRIBUTE_HEADER_LENGTH + this.valueLength(a));
    return n;
  }

  /** Write the attributes at offset (padding zeroed); returns the bytes written. */
  encode(attributes: ReadonlyArray<A | OtherAttribute>, buf: Buffer, offset: number): number {
    let o = offset;
    for (const a of attributes) {
      const length = ATTRIBUTE_HEADER_LENGTH + this.valueLength(a);
      ensureBytes(buf, o, align4(length), `${this.name} (encode)`);
      writeU16(buf, length, o);
      if (a.kind === 'other') {
        const other = a as OtherAttribute;
        writeU16(buf, other.type, o + 2);
        other.value.copy(buf, o + ATTRIBUTE_HEADER_LENGTH);
      } else {
        const e = this.entry(a.kind);
        writeU16(buf, e.type, o + 2);
        e.codec.encode(a.value, buf, o + ATTRIBUTE_HEADER_LENGTH);
      }
      buf.fill(0, o + length, o + align4(length));
      o += align4(length);
    }
    return o - offset;
  }

  private valueLength(a: A | OtherAttribute): number {
    if (a.kind === 'other') {
      const other = a as OtherAttribute;
      checkUint(other.type, 0xffff, `${this.name} type`);
      return other.value.length;
    }
    const n = this.entry(a.kind).codec.length(a.value);
    checkUint(n, 0xffff - ATTRIBUTE_HEADER_LENGTH, `${this.name} ${a.kind} length`);
    return n;
  }

  private entry(kind: string): Entry {
    const e = this.byKind.get(kind);
    if (!e) throw new RangeError(`${this.name}: no attribute kind "${kind}"`);
    return e;
  }
}

type ValueOf<A, K> = A extends { kind: infer AK; value: infer V } ? (K extends AK ? V : never) : never;

/** The value of the first attribute of `kind`, or undefined. */
export function attributeValue<A extends { kind: string; value: unknown }, K extends A['kind']>(
  attributes: readonly A[],
  kind: K,
): ValueOf<A, K> | undefined {
  for (const a of attributes) if (a.kind === kind) return a.value as ValueOf<A, K>;
  return undefined;
}

// ---------------------------------------------------------------- value codecs

function fixed<V>(size: number, read: (b: Buffer, o: number) => V, write: (b: Buffer, v: V, o: number) => void, check: (v: V, what: string) => void): ValueCodec<V> {
  return {
    decode(value, at, what) {
      if (value.length !== size) throw frameError(`${what}: ${value.length} bytes, expected ${size}`, at);
      return read(value, 0);
    },
    length: () => size,
    encode(v, buf, offset) {
      check(v, 'attribute value');
      write(buf, v, offset);
    },
  };
}

export const u8Value: ValueCodec<number> = fixed(
  1,
  (b, o) => b[o]!,
  (b, v, o) => void (b[o] = v),
  (v, what) => checkUint(v, 0xff, what),
);
export const u32Value: ValueCodec<number> = fixed(4, readU32, writeU32, (v, what) => checkUint(v, 0xffffffff, what));

/** An IPv4 (4 bytes) or IPv6 (16 bytes) address, in network byte order as always. */
export const ipAddressValue: ValueCodec<string> = {
  decode(value, at, what) {
    if (value.length !== 4 && value.length !== 16) throw frameError(`${what}: ${value.length} bytes is not an IP address`, at);
    return formatIp(value);
  },
  length: (v) => (isIPv4(v) ? 4 : 16),
  encode(v, buf, offset) {
    parseIp(v).copy(buf, offset);
  },
};

/** A link-layer address of any length ("02:00:00:00:00:01" for Ethernet), as iproute2 prints it. */
export const linkAddressValue: ValueCodec<string> = {
  decode(value, at, what) {
    if (value.length > MAX_LINK_ADDRESS_LENGTH) throw frameError(`${what}: ${value.length} bytes, at most ${MAX_LINK_ADDRESS_LENGTH}`, at);
    return formatLinkAddress(value);
  },
  length: (v) => parseLinkAddress(v).length,
  encode(v, buf, offset) {
    parseLinkAddress(v).copy(buf, offset);
  },
};

/** NUL-terminated UTF-8 text (interface names); anything else stays bytes. */
export const stringValue: ValueCodec<string> = {
  decode(value) {
    if (value.length === 0 || value[value.length - 1] !== 0) return undefined;
    const body = value.subarray(0, value.length - 1);
    if (body.includes(0)) return undefined;
    return exactUtf8(body);
  },
  length: (v) => Buffer.byteLength(v) + 1,
  encode(v, buf, offset) {
    if (v.includes('\0')) throw new RangeError(`an attribute string cannot hold NUL: ${JSON.stringify(v)}`);
    buf[offset + buf.write(v, offset, 'utf8')] = 0;
  },
};

const rawTable = new AttributeTable<never>('nested attribute', []);

/** Nested attributes kept as type + bytes (RTA_METRICS, the extended ACK). */
export const rawAttributesValue: ValueCodec<RawAttribute[]> = {
  decode(value, at) {
    return decodeRawAttributes(value, 0, value.length, at);
  },
  length: (v) => rawTable.encodingLength(v.map(asOther)),
  encode(v, buf, offset) {
    rawTable.encode(v.map(asOther), buf, offset);
  },
};

function asOther(a: RawAttribute): OtherAttribute {
  return { kind: 'other', type: a.type, value: a.value };
}

/** Attributes in buf[start, end) kept as type + bytes; `at` as for AttributeTable.decode. */
export function decodeRawAttributes(buf: Buffer, start: number, end: number, at = start): RawAttribute[] {
  return rawTable.decode(buf, start, end, at).map((a) => ({ type: a.type, value: a.value }));
}

// ---------------------------------------------------------------- link-layer address text

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Bytes as lowercase colon-separated hex ('' for none). */
export function formatLinkAddress(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += (i ? ':' : '') + HEX[bytes[i]!]!;
  return s;
}

/** "aa:bb:..." (two hex digits a byte, up to 32 bytes) or '' as bytes; TypeError otherwise. */
export function parseLinkAddress(text: string): Buffer {
  if (text === '') return Buffer.alloc(0);
  const parts = text.split(':');
  if (parts.length > MAX_LINK_ADDRESS_LENGTH || parts.some((p) => !/^[0-9a-fA-F]{2}$/.test(p))) {
    throw new TypeError(`not a link-layer address: "${text}" (expected hex bytes like 02:00:00:00:00:01)`);
  }
  return Buffer.from(parts.map((p) => parseInt(p, 16)));
}
