// The RFC 7911 §3 path identifier: once ADD-PATH is negotiated for a family
// (BgpContext.addPath), every NLRI of that family starts with a 4-octet
// identifier that tells apart several paths to the same destination. It
// belongs to the NLRI encoding, so a truncated one is an NLRI that cannot be
// parsed (nlri-error.ts).

import { checkUint } from './field-range.js';
import { nlriError } from './nlri-error.js';
import { ensureBytes } from './wire-error.js';

const PATH_ID_LENGTH = 4;

/** Bytes the path identifier takes before an NLRI: 4 with ADD-PATH, none without. */
export function pathIdLength(addPath: boolean): number {
  return addPath ? PATH_ID_LENGTH : 0;
}

/** The path identifier at `offset` of an NLRI (`what` names the NLRI in the error). */
export function readPathId(buf: Buffer, offset: number, what: string): number {
  ensureBytes(buf, offset, PATH_ID_LENGTH, `${what} path identifier`, nlriError);
  return buf.readUInt32BE(offset);
}

/** Write a path identifier (RangeError, before writing, unless it fits 4 octets). */
export function writePathId(pathId: number, buf: Buffer, offset: number): void {
  checkUint(pathId, 0xffffffff, 'path identifier');
  buf.writeUInt32BE(pathId, offset);
}
