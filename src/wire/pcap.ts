// Classic libpcap capture files (the format tcpdump -w writes): a 24-byte
// global header, then records of a 16-byte header and the captured bytes.
// Both byte orders and both timestamp resolutions (µs magic 0xa1b2c3d4,
// ns magic 0xa1b23c4d) are read. Packet data are subarray views of the file.

import { ensureBytes, frameError } from './wire-error.js';

export const LinkType = {
  Null: 0,
  Ethernet: 1,
  Raw: 101,
  LinuxSll: 113,
  LinuxSll2: 276,
  /** Netlink messages behind a 16-byte Linux cooked header (ARPHRD_NETLINK, protocol = netlink family). */
  Netlink: 253,
} as const;

export interface PcapHeader {
  littleEndian: boolean;
  nanoseconds: boolean;
  versionMajor: number;
  versionMinor: number;
  snapLength: number;
  linkType: number;
}

export interface PcapRecord {
  /** Index of the record in the file, from 1 (as tshark numbers frames). */
  number: number;
  /** Seconds since the epoch, with the file's resolution. */
  time: number;
  capturedLength: number;
  originalLength: number;
  data: Buffer;
}

export interface PcapFile {
  header: PcapHeader;
  records: PcapRecord[];
}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const GLOBAL_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;

export function decodeHeader(buf: Buffer, offset = 0): PcapHeader {
  ensureBytes(buf, offset, GLOBAL_HEADER_LENGTH, 'pcap global header');
  const be = buf.readUInt32BE(offset);
  const le = buf.readUInt32LE(offset);
  let littleEndian: boolean;
  let nanoseconds: boolean;
  if (be === MAGIC_US || be === MAGIC_NS) {
    littleEndian = false;
    nanoseconds = be === MAGIC_NS;
  } else if (le === MAGIC_US || le === MAGIC_NS) {
    littleEndian = true;
    nanoseconds = le === MAGIC_NS;
  } else {
    throw frameError(
      `not a pcap file (magic 0x${be.toString(16).padStart(8, '0')}; pcapng is not read: convert with editcap -F pcap)`,
      offset,
    );
  }
  const u16 = (o: number): number => (littleEndian ? buf.readUInt16LE(offset + o) : buf.readUInt16BE(offset + o));
  const u32 = (o: number): number => (littleEndian ? buf.readUInt32LE(offset + o) : buf.readUInt32BE(offset + o));
  return {
    littleEndian,
    nanoseconds,
    versionMajor: u16(4),
    versionMinor: u16(6),
    snapLength: u32(16),
    linkType: u32(20) & 0x0fffffff,
  };
}

/** Decode a whole capture file held in memory. */
export function decode(buf: Buffer): PcapFile {
  const header = decodeHeader(buf, 0);
  const records: PcapRecord[] = [];
  const u32 = (o: number): number => (header.littleEndian ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  let offset = GLOBAL_HEADER_LENGTH;
  while (offset < buf.length) {
    ensureBytes(buf, offset, RECORD_HEADER_LENGTH, `pcap record ${records.length + 1} header`);
    const sec = u32(offset);
    const frac = u32(offset + 4);
    const capturedLength = u32(offset + 8);
    const originalLength = u32(offset + 12);
    offset += RECORD_HEADER_LENGTH;
    ensureBytes(buf, offset, capturedLength, `pcap record ${records.length + 1} data`);
    records.push({
      number: records.length + 1,
      time: sec + frac / (header.nanoseconds ? 1e9 : 1e6),
      capturedLength,
      originalLength,
      data: buf.subarray(offset, offset + capturedLength),
    });
    offset += capturedLength;
  }
  return { header, records };
}

/** Write a capture file (microsecond resolution, little-endian, as tcpdump does). */
export function encode(linkType: number, packets: ReadonlyArray<{ time: number; data: Buffer }>): Buffer {
  const size = GLOBAL_HEADER_LENGTH + packets.reduce((n, p) => n + RECORD_HEADER_LENGTH + p.data.length, 0);
  const out = Buffer.alloc(size);
  out.writeUInt32LE(MAGIC_US, 0);
  out.writeUInt16LE(2, 4);
  out.writeUInt16LE(4, 6);
  out.writeUInt32LE(262144, 16);
  out.writeUInt32LE(linkType, 20);
  let offset = GLOBAL_HEADER_LENGTH;
  for (const p of packets) {
    const sec = Math.floor(p.time);
    out.writeUInt32LE(sec, offset);
    out.writeUInt32LE(Math.round((p.time - sec) * 1e6), offset + 4);
    out.writeUInt32LE(p.data.length, offset + 8);
    out.writeUInt32LE(p.data.length, offset + 12);
    p.data.copy(out, offset + RECORD_HEADER_LENGTH);
    offset += RECORD_HEADER_LENGTH + p.data.length;
  }
  return out;
}
