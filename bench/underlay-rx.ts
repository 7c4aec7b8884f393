// Underlay receive: how VXLAN datagrams for this VTEP reach the dataplane.
// A UDP socket read with recvmmsg (the path before the underlay link), against
// the underlay link: an AF_PACKET socket on the underlay interface with
// virtio-net headers and the BPF filter of src/dataplane/underlay-filter.ts,
// read from a TPACKET_V3 ring (the default) or with recvmmsg, while a UDP
// socket with a drop-all filter holds the port (so the kernel sends no ICMP
// port unreachable). Same rig as bench/afpacket-rx.ts (bench/veth-rig.ts:
// one veth pair, generator on CPU 0, receiver + its softirq on CPU 1, hosts
// at default offloads); the generator sends whole Ethernet/IPv4/UDP/VXLAN
// frames to the receiving end's address and port.
//
//   node dist/bench/underlay-rx.js [--seconds 3] [--runs 3] [--rate 100000] [--sizes 64,1400]
//
// The frame size is the inner frame's; each datagram is 50 bytes more.
// Needs root. The namespace is removed at the end, also on failure.

import { fileURLToPath } from 'node:url';
import { createRxBatch, GSO_FRAME_MAX, loadNativeIo, type RxBatch, type UdpUnderlay } from '../src/dataplane/native-io.js';
import { underlayFilter } from '../src/dataplane/underlay-filter.js';
import { benchArgs, generate, measureRun, printTable, runOptions, serveReceiver, summarise, withVethNamespace, type RunResult } from './veth-rig.js';

const arg = benchArgs();
const hasJson = process.argv.includes('--json');
const SELF = fileURLToPath(import.meta.url);
const RX_ADDR = '10.77.7.2';
// Not an address of the namespace: a datagram from one of its own addresses
// would be a martian to the kernel's UDP path (dropped before the socket).
const TX_ADDR = '10.77.7.3';
const PORT = 4789;
/** IPv4 source and destination, as the header carries them. */
const ADDRS = Buffer.from([...TX_ADDR.split('.'), ...RX_ADDR.split('.')].map(Number));
const OUTER = 14 + 20 + 8 + 8;

type Mode = 'udp' | 'link-ring' | 'link-recvmmsg';
const MODES: Mode[] = ['udp', 'link-ring', 'link-recvmmsg'];

/** The generator's frame i: Ethernet to vxb0, IPv4 TX_ADDR -> RX_ADDR, UDP 4789 (source port per flow), VXLAN VNI 100, the rest an inner frame. */
function vxlanFrame(dstMac: Buffer): (buf: Buffer, o: number, size: number, i: number) => void {
  // `total` is the whole frame: the generator sends inner size + OUTER bytes.
  return (buf, o, total, i) => {
    dstMac.copy(buf, o);
    buf.set([0x02, 0, 0, 0, 0, 0xaa], o + 6);
    buf.writeUInt16BE(0x0800, o + 12);
    const ip = o + 14;
    buf.set([0x45, 0], ip);
    buf.writeUInt16BE(total - 14, ip + 2);
    buf.writeUInt32BE(0x4000, ip + 4);
    buf[ip + 8] = 64;
    buf[ip + 9] = 17;
    buf.set(ADDRS, ip + 12);
    // The slot is reused: the checksum field still holds the last frame's.
    buf.writeUInt16BE(0, ip + 10);
    let sum = 0;
    for (let k = 0; k < 20; k += 2) sum += buf.readUInt16BE(ip + k);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    buf.writeUInt16BE(~sum & 0xffff, ip + 10);
    const udp = ip + 20;
    buf.writeUInt16BE(49152 + (i % 256), udp);
    buf.writeUInt16BE(PORT, udp + 2);
    buf.writeUInt16BE(total - 34, udp + 4);
    buf.writeUInt16BE(0, udp + 6);
    buf.set([0x08, 0, 0, 0, 0, 0, 100, 0], udp + 8);
    buf.set([0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 1, i & 0xff], udp + 16);
    buf.writeUInt16BE(0x88b5, udp + 28);
  };
}

function generator(): void {
  const ns = arg('ns', '');
  const port = loadNativeIo().openPacket('vxa0', { netns: ns, qdiscBypass: true, promiscuous: false, receive: false, sndbuf: 4 << 20 });
  const mac = Buffer.from(arg('mac', '').split(':').map((x) => parseInt(x, 16)));
  const r = generate(port, Number(arg('size', '64')) + OUTER, Number(arg('seconds', '3')), Number(arg('rate', '0')), vxlanFrame(mac));
  port.close();
  process.stdout.write(JSON.stringify(r) + '\n');
}

/** A UDP socket as a Receiver: its datagrams land in the batch like frames. */
function udpReceiver(u: UdpUnderlay, slots: number): Parameters<typeof serveReceiver>[0] {
  const addrs = new Uint32Array(slots);
  const ports = new Uint32Array(slots);
  return {
    receive: (batch: RxBatch) => u.receive(batch, addrs, ports),
    onReadable: (cb) => u.onReadable(cb),
    stopReadable: () => u.stopReadable(),
    close: () => u.close(),
  };
}

async function receiver(): Promise<void> {
  const ns = arg('ns', '');
  const mode = arg('mode', 'udp') as Mode;
  const io = loadNativeIo();
  const udp = await io.openUdp({ address: RX_ADDR, port: PORT, netns: ns, rcvbuf: 4 << 20, receive: mode === 'udp' });
  if (mode === 'udp') {
    // As the dataplane opens it without a link: room for a kernel VTEP's 64 KiB datagrams.
    serveReceiver(udpReceiver(udp, 64), () => 0, 0, createRxBatch({ slots: 64, frameMax: GSO_FRAME_MAX, headroom: 0 }));
    return;
  }
  const rxMode = mode === 'link-ring' ? 'ring' : 'recvmmsg';
  const link = io.openPacket('vxb0', {
    netns: ns,
    rxMode,
    vnetHdr: true,
    promiscuous: false,
    filter: underlayFilter({ family: 4, address: RX_ADDR, groups: [], ports: [PORT] }),
  });
  const batch = createRxBatch({ slots: 64, vnet: true, headroom: 0, ...(rxMode === 'ring' ? { bytes: 512 << 10 } : {}) });
  serveReceiver({ ...link, receive: (b) => link.receive(b), onReadable: (cb) => link.onReadable(cb), stopReadable: () => link.stopReadable(), close: () => { link.close(); udp.close(); } }, () => link.stats().kernelDrops, 0, batch);
}

function oneRun(ns: string, mac: string, mode: Mode, size: number, seconds: number, rate: number): Promise<RunResult> {
  return measureRun({
    self: SELF,
    rxArgs: ['--ns', ns, '--mode', mode],
    txArgs: ['--ns', ns, '--mac', mac, '--size', String(size), '--seconds', String(seconds), '--rate', String(rate)],
  });
}

async function orchestrate(): Promise<void> {
  const { seconds, runs, rate, sizes } = runOptions(arg, 'underlay-rx (namespaces, AF_PACKET)');
  const ns = `vxu-${process.pid}`;
  await withVethNamespace(ns, 'vxa0', 'vxb0', async () => {
    const { execFileSync } = await import('node:child_process');
    const ip = (...a: string[]): string => execFileSync('ip', ['-n', ns, ...a], { encoding: 'utf8' });
    ip('addr', 'add', `${RX_ADDR}/24`, 'dev', 'vxb0');
    const mac = (JSON.parse(ip('-j', 'link', 'show', 'dev', 'vxb0')) as Array<{ address: string }>)[0]!.address;
    console.log(`Underlay receive, UDP socket vs the AF_PACKET link: ${runs} runs of ${seconds} s each, medians; inner frame sizes ${sizes.join(', ')} B (+${OUTER} B outer).`);
    console.log(`generator on CPU 0 (AF_PACKET sendmmsg, qdisc bypassed), receiver + vxb0 softirq on CPU 1; fixed rate ${rate} datagrams/s.`);
    const rows: string[][] = [['mode', 'inner B', 'overload: offered/s', 'delivered/s', 'loss %', `at ${rate / 1000}k/s: loss %`, 'rx ns/datagram', 'CPU1 ns/datagram']];
    const summary: Record<string, unknown>[] = [];
    for (const size of sizes) {
      for (const mode of MODES) {
        const over: RunResult[] = [];
        const fixed: RunResult[] = [];
        for (let r = 0; r < runs; r++) {
          over.push(await oneRun(ns, mac, mode, size, seconds, 0));
          fixed.push(await oneRun(ns, mac, mode, size, seconds, rate));
        }
        const p = summarise(over, fixed);
        rows.push([mode, String(size), p.offered.toFixed(0), p.delivered.toFixed(0), p.loss.toFixed(1), p.fixedLoss.toFixed(2), p.rxNsPerFrame.toFixed(0), p.cpu1NsPerFrame.toFixed(0)]);
        summary.push({ mode, size, ...p, runs: { over, fixed } });
      }
    }
    printTable(rows);
    if (hasJson) console.log(JSON.stringify(summary));
  });
}

const role = arg('role', 'main');
if (role === 'tx') generator();
else if (role === 'rx') await receiver();
else await orchestrate();
