// KEEPALIVE message body, RFC 4271 §4.4: empty. The message is the 19-byte
// header alone; the header codec rejects any other length (Bad Message
// Length, RFC 4271 §6.1), so there is nothing left to check here.

/** A KEEPALIVE has no fields. */
export type BgpKeepalive = Record<string, never>;

export function decode(_buf: Buffer, _offset = 0): BgpKeepalive {
  decode.bytes = 0;
  return {};
}
decode.bytes = 0;

export function encode(_value: BgpKeepalive, buf?: Buffer, offset = 0): Buffer {
  encode.bytes = 0;
  return buf ?? Buffer.alloc(offset);
}
encode.bytes = 0;

export function encodingLength(_value: BgpKeepalive): number {
  return 0;
}
