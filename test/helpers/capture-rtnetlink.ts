// Records the rtnetlink fixture test/fixtures/netlink/rtnetlink-resolver.pcap (and
// the iproute2 view of the same moments, rtnetlink-resolver.json) from this
// kernel, in two namespaces it makes and removes:
//
//   npm run build && node dist/test/helpers/capture-rtnetlink.js [OUT_DIR]   (root)
//
// The pcap is LINKTYPE_NETLINK (253): each record is a 16-byte Linux cooked
// header (packet type 4 "outgoing" for our requests, 0 for what the kernel
// sent; ARPHRD_NETLINK; protocol 0 = NETLINK_ROUTE) and one datagram as it
// crossed our socket, so tshark dissects it (netlink-route). Netlink is in
// host byte order: the file holds this host's (little-endian x86-64).
//
// What it holds, in order (the JSON's `steps` name the frames of each):
//   a link dump; RTM_NEWNEIGH NTF_USE nudges of the peer's IPv4 and IPv6
//   addresses, their acknowledgements and the neighbour notifications they
//   cause (the requests are the resolver's own, rtnetlink-requests.ts); neighbour dumps
//   (IPv4, IPv6); an IPv4 multipath route added (notification); RTM_GETROUTE
//   for an on-link address, one behind a gateway (IPv4 and IPv6), an
//   unreachable one (NLMSG_ERROR) and the multipath route's; notifications
//   of an IPv6 multipath route added, an IPv4 route via an IPv6 next hop
//   (RTA_VIA), the IPv4 multipath route deleted, an MTU change, a neighbour
//   replaced by hand and deleted.

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NetlinkSocket } from '../../src/dataplane/netlink-socket.js';
import * as pcap from '../../src/wire/pcap.js';
import { AddressFamily } from '../../src/wire/rtnetlink-route.js';
import { RtnlGroup, type RtnetlinkMessage } from '../../src/wire/rtnetlink-message.js';
import { linkDump, neighbourDump, neighbourUse, routeGet } from '../../src/dataplane/rtnetlink-requests.js';
import * as rtnetlinkMessage from '../../src/wire/rtnetlink-message.js';
import { delay, exec, inNs, run, Topology } from './netns.js';
import { FIXTURES } from './fixtures.js';

/** Addresses of the capture (and of the resolver test's topology). */
export const CAPTURE = {
  macA0: '02:13:fe:00:00:a0',
  macA1: '02:13:fe:00:00:a1',
  macB0: '02:13:fe:00:00:b0',
  macB1: '02:13:fe:00:00:b1',
  a0: '10.213.250.1',
  b0: '10.213.250.2',
  a1: '10.213.251.1',
  b1: '10.213.251.2',
  a0v6: 'fd00:213:250::1',
  b0v6: 'fd00:213:250::2',
  a1v6: 'fd00:213:251::1',
  b1v6: 'fd00:213:251::2',
  behindGateway: '10.213.252.7',
  behindGatewayV6: 'fd00:213:252::7',
  unreachable: '10.213.99.1',
  multipath: '10.213.253.7',
} as const;

export interface CaptureStep {
  what: string;
  /** Frame numbers (from 1, as tshark's) of this step: first..last inclusive. */
  first: number;
  last: number;
  /** iproute2's JSON view right after the step (ip -j ...), when it has one. */
  iproute2?: unknown;
}

// Apart from the network captures in test/fixtures: `vxswitch decode` and its
// tshark comparison read those, and a netlink capture is not theirs.
export const NETLINK_FIXTURES = path.join(FIXTURES, 'netlink');
export const CAPTURE_FILE = path.join(NETLINK_FIXTURES, 'rtnetlink-resolver.pcap');
export const CAPTURE_STEPS_FILE = path.join(NETLINK_FIXTURES, 'rtnetlink-resolver.json');

/** One datagram of the capture and the messages in it. */
export interface CapturedDatagram {
  /** Frame number, from 1 (tshark's). */
  frame: number;
  /** Sent by us (a request) rather than by the kernel. */
  outgoing: boolean;
  /** Each message's bytes (views into the file), in order. */
  messages: Buffer[];
}

/** The committed capture, split into messages by their nlmsghdr lengths. */
export function readRtnetlinkCapture(): { datagrams: CapturedDatagram[]; steps: CaptureStep[] } {
  const file = pcap.decode(readFileSync(CAPTURE_FILE));
  const datagrams = file.records.map((r) => {
    const data = r.data.subarray(16);
    const messages: Buffer[] = [];
    for (let o = 0; o < data.length; ) {
      const length = data.readUInt32LE(o);
      messages.push(data.subarray(o, o + length));
      o += (length + 3) & ~3;
    }
    return { frame: r.number, outgoing: r.data.readUInt16BE(0) === 4, messages };
  });
  const steps = (JSON.parse(readFileSync(CAPTURE_STEPS_FILE, 'utf8')) as { steps: CaptureStep[] }).steps;
  return { datagrams, steps };
}

function cooked(outgoing: boolean, datagram: Buffer): Buffer {
  const h = Buffer.alloc(16);
  h.writeUInt16BE(outgoing ? 4 : 0, 0);
  h.writeUInt16BE(824, 2); // ARPHRD_NETLINK
  h.writeUInt16BE(0, 14); // NETLINK_ROUTE
  return Buffer.concat([h, datagram]);
}

async function main(): Promise<void> {
  const out = process.argv[2] ?? NETLINK_FIXTURES;
  const topo = new Topology();
  const records: Array<{ time: number; data: Buffer }> = [];
  const steps: CaptureStep[] = [];
  try {
    const a = await topo.addNamespace({ ipv6: true });
    const b = await topo.addNamespace({ ipv6: true });
    await topo.veth(a, 'a0', b, 'b0', { up: false });
    await topo.veth(a, 'a1', b, 'b1', { up: false });
    for (const [ns, ifname, mac] of [[a, 'a0', CAPTURE.macA0], [a, 'a1', CAPTURE.macA1], [b, 'b0', CAPTURE.macB0], [b, 'b1', CAPTURE.macB1]] as const) {
      await topo.setMac(ns, ifname, mac);
    }
    await topo.address(a, 'a0', `${CAPTURE.a0}/24`);
    await topo.address(b, 'b0', `${CAPTURE.b0}/24`);
    await topo.address(a, 'a1', `${CAPTURE.a1}/24`);
    await topo.address(b, 'b1', `${CAPTURE.b1}/24`);
    await topo.address(a, 'a0', `${CAPTURE.a0v6}/64`);
    await topo.address(b, 'b0', `${CAPTURE.b0v6}/64`);
    await topo.address(a, 'a1', `${CAPTURE.a1v6}/64`);
    await topo.address(b, 'b1', `${CAPTURE.b1v6}/64`);
    for (const [ns, ifname] of [[a, 'a0'], [a, 'a1'], [b, 'b0'], [b, 'b1']] as const) await topo.linkUp(ns, ifname);
    await run(a, 'ip', 'route', 'add', '10.213.252.0/24', 'via', CAPTURE.b0);
    await run(a, 'ip', '-6', 'route', 'add', 'fd00:213:252::/64', 'via', CAPTURE.b0v6);

    const sock = NetlinkSocket.open([RtnlGroup.Link, RtnlGroup.Neigh, RtnlGroup.Ipv4Route, RtnlGroup.Ipv6Route], { netns: a });
    const buf = Buffer.alloc(64 * 1024);
    sock.onReadable(() => {
      for (;;) {
        const n = sock.receive(buf);
        if (n === 0) break;
        records.push({ time: Date.now() / 1000, data: cooked(false, Buffer.from(buf.subarray(0, n))) });
      }
    });
    const send = (...messages: RtnetlinkMessage[]): void => {
      for (const m of messages) {
        records.push({ time: Date.now() / 1000, data: cooked(true, rtnetlinkMessage.encode(m)) });
        sock.queue(m);
        sock.flush();
      }
    };
    const step = async (what: string, action: () => Promise<unknown> | void, view?: () => Promise<unknown>, settleMs = 300): Promise<void> => {
      const first = records.length + 1;
      await action();
      await delay(settleMs);
      const s: CaptureStep = { what, first, last: records.length };
      if (view) s.iproute2 = await view();
      steps.push(s);
    };
    const json = async (ns: string, ...args: string[]): Promise<unknown> => JSON.parse(await run(ns, 'ip', '-j', ...args)) as unknown;

    await step('link dump', () => send(linkDump(sock.nextSeq())), () => json(a, 'link', 'show'));
    const a0 = ((await json(a, 'link', 'show', 'a0')) as Array<{ ifindex: number }>)[0]!.ifindex;
    // IPv6 takes up to a retransmission (1 s) longer here: wait for both answers.
    await step('nudge (NTF_USE) of the peer, IPv4 and IPv6', () => send(neighbourUse(CAPTURE.b0, a0, sock.nextSeq()), neighbourUse(CAPTURE.b0v6, a0, sock.nextSeq())), undefined, 2000);
    await step('neighbour dump, IPv4', () => send(neighbourDump(AddressFamily.Inet, sock.nextSeq())), () => json(a, '-4', 'neigh', 'show'));
    await step('neighbour dump, IPv6', () => send(neighbourDump(AddressFamily.Inet6, sock.nextSeq())), () => json(a, '-6', 'neigh', 'show'));

    await step('notification: IPv4 multipath route added', () =>
      run(a, 'ip', 'route', 'add', '10.213.253.0/24', 'nexthop', 'via', CAPTURE.b0, 'nexthop', 'via', CAPTURE.b1),
    );
    for (const address of [CAPTURE.b0, CAPTURE.behindGateway, CAPTURE.behindGatewayV6, CAPTURE.unreachable, CAPTURE.multipath]) {
      await step(`route get ${address}`, () => send(routeGet(address, sock.nextSeq())), () => ipRouteGet(a, address));
    }
    await step('notification: IPv6 multipath route added', () =>
      run(a, 'ip', '-6', 'route', 'add', 'fd00:213:253::/64', 'nexthop', 'via', CAPTURE.b0v6, 'dev', 'a0', 'nexthop', 'via', CAPTURE.b1v6, 'dev', 'a1', 'weight', '2'),
    );
    await step('notification: IPv4 route via an IPv6 next hop (RTA_VIA)', () =>
      run(a, 'ip', 'route', 'add', '10.213.254.0/24', 'via', 'inet6', CAPTURE.b0v6, 'dev', 'a0'),
    );
    await step('notification: IPv4 multipath route deleted', () => run(a, 'ip', 'route', 'del', '10.213.253.0/24'));
    await step('notification: a1 MTU 1400', () => run(a, 'ip', 'link', 'set', 'a1', 'mtu', '1400'), () => json(a, 'link', 'show', 'a1'));
    await step('notification: neighbour replaced by hand', () =>
      run(a, 'ip', 'neigh', 'replace', CAPTURE.b1, 'dev', 'a1', 'lladdr', '02:13:fe:00:00:ee', 'nud', 'permanent'),
      () => json(a, 'neigh', 'show', CAPTURE.b1),
    );
    await step('notification: neighbour deleted', () => run(a, 'ip', 'neigh', 'del', CAPTURE.b1, 'dev', 'a1'));
    sock.close();
  } finally {
    await topo.destroy();
  }
  writeFileSync(path.join(out, 'rtnetlink-resolver.pcap'), pcap.encode(pcap.LinkType.Netlink, records));
  writeFileSync(path.join(out, 'rtnetlink-resolver.json'), JSON.stringify({ capture: CAPTURE, steps }, null, 1) + '\n');
  console.log(`${records.length} datagrams, ${steps.length} steps -> ${out}`);
}

/** `ip -j route get`, or its exit code and message when the kernel refuses. */
async function ipRouteGet(ns: string, address: string): Promise<unknown> {
  const r = await exec(inNs(ns, ['ip', '-j', 'route', 'get', address]), { allowFailure: true });
  return r.code === 0 ? (JSON.parse(r.stdout) as unknown) : { exit: r.code, stderr: r.stderr.trim() };
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
