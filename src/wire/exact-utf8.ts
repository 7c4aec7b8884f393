// Text fields that carry UTF-8 (the FQDN capability's hostname and domain,
// an RFC 9003 shutdown communication) are decoded to a string only when the
// string re-encodes to the very same bytes; otherwise the caller keeps the
// bytes, so that every decoded message re-encodes byte for byte.

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of `bytes`, or undefined when it would not re-encode to the same bytes. */
export function exactUtf8(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return undefined;
  }
  // Valid UTF-8 re-encodes to the same bytes (the BOM is kept: ignoreBOM); checked anyway.
  return Buffer.byteLength(text) === bytes.length ? text : undefined;
}
