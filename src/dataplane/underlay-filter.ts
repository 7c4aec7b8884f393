// The classic BPF program the underlay link's AF_PACKET socket runs in the
// kernel (SO_ATTACH_FILTER), so only VXLAN datagrams for this VTEP reach
// userspace: untagged Ethernet, IPv4 (not a fragment: a VXLAN datagram is
// never fragmented, RFC 7348 §4.3) or IPv6 (UDP right after the fixed
// header), UDP, to our address or one of our multicast groups, to one of our
// VXLAN ports. Everything else the interface sees (BGP, ARP, other traffic)
// stays with the kernel alone.
//
// Instructions are `struct sock_filter` (linux/filter.h): u16 code, u8 jt,
// u8 jf, u32 k, in host byte order; jumps are relative and forward only.

import { parseIp } from '../wire/ip-address.js';

// linux/bpf_common.h
const BPF_LD = 0x00;
const BPF_LDX = 0x01;
const BPF_JMP = 0x05;
const BPF_RET = 0x06;
const BPF_W = 0x00;
const BPF_H = 0x08;
const BPF_B = 0x10;
const BPF_ABS = 0x20;
const BPF_IND = 0x40;
const BPF_MSH = 0xa0;
const BPF_JEQ = 0x10;
const BPF_JSET = 0x40;
const BPF_K = 0x00;

const ACCEPT_ALL = 0xffffffff;

interface Insn {
  code: number;
  k: number;
  /** Jump targets by label (conditional jumps); undefined = next instruction. */
  jt?: string;
  jf?: string;
  /** This instruction's own label. */
  label?: string;
}

export interface UnderlayFilterSpec {
  family: 4 | 6;
  /** Our VTEP address. */
  address: string;
  /** Multicast groups of multicast-mode VNIs. */
  groups: readonly string[];
  /** VXLAN destination ports in use. */
  ports: readonly number[];
}

/** The program as bytes for openPacket({ filter }) / setFilter. */
export function underlayFilter(spec: UnderlayFilterSpec): Uint8Array {
  if (spec.ports.length === 0) throw new RangeError('underlay filter: no VXLAN port');
  const dsts = [spec.address, ...spec.groups].map((a) => parseIp(a));
  for (const d of dsts) {
    if (d.length !== (spec.family === 4 ? 4 : 16)) throw new TypeError(`underlay filter: ${spec.family === 4 ? 'IPv4' : 'IPv6'} addresses expected`);
  }
  const p: Insn[] = [];
  const ld = (size: number, k: number, label?: string): void => {
    p.push({ code: BPF_LD | size | BPF_ABS, k, ...(label !== undefined ? { label } : {}) });
  };
  const jeq = (k: number, jt: string | undefined, jf: string | undefined): void => {
    p.push({ code: BPF_JMP | BPF_JEQ | BPF_K, k, ...(jt !== undefined ? { jt } : {}), ...(jf !== undefined ? { jf } : {}) });
  };
  ld(BPF_H, 12);
  if (spec.family === 4) {
    jeq(0x0800, undefined, 'drop');
    ld(BPF_B, 14 + 9);
    jeq(17, undefined, 'drop');
    ld(BPF_H, 14 + 6);
    // More-fragments flag or a fragment offset: not ours.
    p.push({ code: BPF_JMP | BPF_JSET | BPF_K, k: 0x3fff, jt: 'drop' });
    ld(BPF_W, 14 + 16);
    dsts.forEach((d, i) => jeq(d.readUInt32BE(0), 'port', i === dsts.length - 1 ? 'drop' : undefined));
    // X = IHL * 4; the UDP destination port is at 14 + X + 2.
    p.push({ code: BPF_LDX | BPF_B | BPF_MSH, k: 14, label: 'port' });
    p.push({ code: BPF_LD | BPF_H | BPF_IND, k: 14 + 2 });
    spec.ports.forEach((port, i) => jeq(port, 'accept', i === spec.ports.length - 1 ? 'drop' : undefined));
  } else {
    jeq(0x86dd, undefined, 'drop');
    ld(BPF_B, 14 + 6);
    jeq(17, undefined, 'drop');
    dsts.forEach((d, i) => {
      const next = i === dsts.length - 1 ? 'drop' : `dst${i + 1}`;
      for (let w = 0; w < 4; w++) {
        ld(BPF_W, 14 + 24 + w * 4, w === 0 ? `dst${i}` : undefined);
        jeq(d.readUInt32BE(w * 4), w === 3 ? 'port' : undefined, next);
      }
    });
    ld(BPF_H, 14 + 40 + 2, 'port');
    spec.ports.forEach((port, i) => jeq(port, 'accept', i === spec.ports.length - 1 ? 'drop' : undefined));
  }
  p.push({ code: BPF_RET | BPF_K, k: ACCEPT_ALL, label: 'accept' });
  p.push({ code: BPF_RET | BPF_K, k: 0, label: 'drop' });
  return assemble(p);
}

function assemble(p: Insn[]): Uint8Array {
  const at = new Map<string, number>();
  p.forEach((insn, i) => {
    if (insn.label !== undefined) at.set(insn.label, i);
  });
  const out = new Uint8Array(p.length * 8);
  const view = new DataView(out.buffer);
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  p.forEach((insn, i) => {
    const rel = (label: string | undefined): number => {
      if (label === undefined) return 0;
      const to = at.get(label);
      if (to === undefined || to <= i || to - i - 1 > 255) throw new RangeError(`underlay filter: bad jump to ${label} at ${i}`);
      return to - i - 1;
    };
    view.setUint16(i * 8, insn.code, little);
    view.setUint8(i * 8 + 2, rel(insn.jt));
    view.setUint8(i * 8 + 3, rel(insn.jf));
    view.setUint32(i * 8 + 4, insn.k >>> 0, little);
  });
  return out;
}
