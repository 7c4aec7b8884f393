// Integers in the host's byte order, for netlink: unlike every other
// protocol in src/wire, netlink and rtnetlink carry their integers in the
// byte order of the machine (netlink(7): "in host byte order"; the kernel
// writes its structs as they are in memory). Little-endian is used only
// where the host is little-endian (x86-64, arm64, armv7 as Raspberry Pi OS
// runs them), big-endian elsewhere. Callers check bounds first
// (ensureBytes); these only pick the order.

import { endianness } from 'node:os';

const LE = endianness() === 'LE';

export function readU16(buf: Buffer, offset: number): number {
  return LE ? buf.readUInt16LE(offset) : buf.readUInt16BE(offset);
}

export function readU32(buf: Buffer, offset: number): number {
  return LE ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset);
}

export function readS32(buf: Buffer, offset: number): number {
  return LE ? buf.readInt32LE(offset) : buf.readInt32BE(offset);
}

export function writeU16(buf: Buffer, value: number, offset: number): void {
  if (LE) buf.writeUInt16LE(value, offset);
  else buf.writeUInt16BE(value, offset);
}

export function writeU32(buf: Buffer, value: number, offset: number): void {
  if (LE) buf.writeUInt32LE(value, offset);
  else buf.writeUInt32BE(value, offset);
}

export function writeS32(buf: Buffer, value: number, offset: number): void {
  if (LE) buf.writeInt32LE(value, offset);
  else buf.writeInt32BE(value, offset);
}
