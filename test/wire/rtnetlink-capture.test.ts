// The rtnetlink codecs against real bytes from this kernel:
// test/fixtures/netlink/rtnetlink-resolver.pcap, recorded by
// test/helpers/capture-rtnetlink.ts (its header says what each step holds).
// Every message must decode and re-encode to the very same bytes; the header
// fields, and the body fields tshark's netlink-route dissector knows, are
// compared with tshark's decode of the same file; the addresses tshark does
// not decode (gateways, neighbour addresses) with what iproute2 said at the
// same moment (rtnetlink-resolver.json). The fixture was recorded on a
// little-endian host, as netlink is in host byte order.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { endianness } from 'node:os';
import { constants } from 'node:os';
import * as rtnetlinkMessage from '../../src/wire/rtnetlink-message.js';
import type { RtnetlinkMessage } from '../../src/wire/rtnetlink-message.js';
import { attributeValue } from '../../src/wire/rtnetlink-attribute.js';
import { NetlinkFlag } from '../../src/wire/netlink-header.js';
import { NeighbourFlag, NudState } from '../../src/wire/rtnetlink-neighbour.js';
import { AddressFamily, RouteFlag, RouteType } from '../../src/wire/rtnetlink-route.js';
import { LinkFlag, OperState } from '../../src/wire/rtnetlink-link.js';
import { CAPTURE, CAPTURE_FILE, readRtnetlinkCapture, type CaptureStep } from '../helpers/capture-rtnetlink.js';
import { hasTshark } from '../helpers/tshark.js';
import { reencodes } from '../helpers/round-trip.js';

const skip = endianness() !== 'LE' ? 'the fixture was recorded on a little-endian host (netlink is host byte order)' : false;
const { datagrams, steps } = readRtnetlinkCapture();

interface Decoded {
  frame: number;
  outgoing: boolean;
  messages: RtnetlinkMessage[];
}

const decoded: Decoded[] = skip
  ? []
  : datagrams.map((d) => ({ frame: d.frame, outgoing: d.outgoing, messages: d.messages.map((m) => rtnetlinkMessage.decode(m)) }));

function step(what: string): CaptureStep {
  const s = steps.find((x) => x.what === what);
  assert.ok(s, `the capture has a step "${what}"`);
  return s;
}

/** The messages of a step's frames that the kernel sent. */
function received(s: CaptureStep): RtnetlinkMessage[] {
  return decoded.filter((d) => !d.outgoing && d.frame >= s.first && d.frame <= s.last).flatMap((d) => d.messages);
}

test('rtnetlink capture: every message decodes and re-encodes to the same bytes (also at an offset)', { skip }, () => {
  let n = 0;
  for (const d of datagrams) {
    for (const bytes of d.messages) {
      reencodes(rtnetlinkMessage, bytes);
      n++;
    }
  }
  assert.ok(n >= 30, `${n} messages`);
  const kinds = new Set(decoded.flatMap((d) => d.messages.map((m) => m.kind)));
  assert.deepEqual([...kinds].sort(), ['done', 'error', 'link', 'neighbour', 'route']);
});

// ------------------------------------------------------------------ tshark

const TSHARK_FIELDS = [
  'netlink.hdr_len',
  'netlink.hdr_seq',
  'netlink.hdr_pid',
  'netlink-route.nltype',
  'netlink-route.ifi_index',
  'netlink-route.ifla_ifname',
  'netlink-route.ifla_mtu',
  'netlink-route.ifla_hwaddr',
  'netlink-route.ifla_operstate',
  'netlink-route.rt_family',
  'netlink-route.rt_dst_len',
  'netlink-route.rt_table',
  'netlink-route.rt_type',
  'netlink-route.rt_flags',
  'netlink-route.rta_oif',
  'netlink-route.nd_family',
  'netlink-route.nd_index',
  'netlink-route.nd_state',
  'netlink-route.nd_flags',
  'netlink.error',
] as const;
type Field = (typeof TSHARK_FIELDS)[number];

/** tshark's values of every field, per frame, every occurrence in order. */
function tsharkValues(): Map<number, Record<Field, string[]>> {
  const args = ['-r', CAPTURE_FILE, '-T', 'fields', '-E', 'separator=|', '-E', 'occurrence=a', '-E', 'aggregator=;', '-e', 'frame.number'];
  for (const f of TSHARK_FIELDS) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const frames = new Map<number, Record<Field, string[]>>();
  for (const line of out.trim().split('\n')) {
    const [frame, ...values] = line.split('|');
    const row = {} as Record<Field, string[]>;
    TSHARK_FIELDS.forEach((f, i) => (row[f] = values[i] ? values[i]!.split(';') : []));
    frames.set(Number(frame), row);
  }
  return frames;
}

const hex = (n: number, width: number): string => `0x${n.toString(16).padStart(width, '0')}`;

/** What tshark should show for our decode of one datagram, field by field. */
function expectedFields(messages: RtnetlinkMessage[]): Record<Field, string[]> {
  const row = Object.fromEntries(TSHARK_FIELDS.map((f) => [f, [] as string[]])) as Record<Field, string[]>;
  const push = (f: Field, v: string | number | undefined): void => {
    if (v !== undefined) row[f].push(String(v));
  };
  for (const m of messages) {
    push('netlink.hdr_len', rtnetlinkMessage.encodingLength(m));
    push('netlink.hdr_seq', m.seq);
    push('netlink.hdr_pid', m.pid);
    switch (m.kind) {
      case 'link': {
        push('netlink-route.nltype', m.type);
        const a = m.body.attributes;
        push('netlink-route.ifi_index', m.body.index);
        push('netlink-route.ifla_ifname', attributeValue(a, 'ifname'));
        push('netlink-route.ifla_mtu', attributeValue(a, 'mtu'));
        push('netlink-route.ifla_hwaddr', attributeValue(a, 'address'));
        push('netlink-route.ifla_operstate', attributeValue(a, 'operstate'));
        break;
      }
      case 'route':
        push('netlink-route.nltype', m.type);
        push('netlink-route.rt_family', m.body.family);
        push('netlink-route.rt_dst_len', m.body.dstLength);
        push('netlink-route.rt_table', m.body.table);
        push('netlink-route.rt_type', hex(m.body.type, 2));
        push('netlink-route.rt_flags', hex(m.body.flags, 8));
        push('netlink-route.rta_oif', attributeValue(m.body.attributes, 'oif'));
        break;
      case 'neighbour':
        push('netlink-route.nltype', m.type);
        push('netlink-route.nd_family', m.body.family);
        push('netlink-route.nd_index', m.body.ifindex);
        push('netlink-route.nd_state', m.body.state);
        push('netlink-route.nd_flags', hex(m.body.flags, 2));
        break;
      case 'error':
        // tshark also shows the header of the request the error answers (but not its type).
        push('netlink.hdr_len', m.body.request.length);
        push('netlink.hdr_seq', m.body.request.seq);
        push('netlink.hdr_pid', m.body.request.pid);
        push('netlink.error', m.body.error);
        break;
      default:
        break;
    }
  }
  return row;
}

test('rtnetlink capture: header and body fields agree with tshark', { skip: skip || (!hasTshark() && 'needs tshark') }, () => {
  const tshark = tsharkValues();
  assert.equal(tshark.size, decoded.length);
  for (const d of decoded) {
    const theirs = tshark.get(d.frame)!;
    const ours = expectedFields(d.messages);
    for (const f of TSHARK_FIELDS) {
      assert.deepEqual(ours[f], theirs[f], `frame ${d.frame}: ${f}`);
    }
  }
});

// ------------------------------------------------------------------ iproute2

interface IpLink {
  ifindex: number;
  ifname: string;
  mtu: number;
  address: string;
  operstate: string;
  flags: string[];
}

test('rtnetlink capture: the link dump says what `ip -j link show` says', { skip }, () => {
  const s = step('link dump');
  const links = received(s).filter((m) => m.kind === 'link');
  const ip = s.iproute2 as IpLink[];
  assert.equal(links.length, ip.length);
  const opername = Object.fromEntries(Object.entries(OperState).map(([k, v]) => [v, k.toUpperCase()]));
  for (const m of links) {
    if (m.kind !== 'link') continue;
    const want = ip.find((l) => l.ifindex === m.body.index);
    assert.ok(want, `ifindex ${m.body.index}`);
    assert.equal(attributeValue(m.body.attributes, 'ifname'), want.ifname);
    assert.equal(attributeValue(m.body.attributes, 'mtu'), want.mtu);
    assert.equal(attributeValue(m.body.attributes, 'address'), want.address);
    assert.equal(opername[attributeValue(m.body.attributes, 'operstate')!], want.operstate);
    assert.equal((m.body.flags & LinkFlag.Up) !== 0, want.flags.includes('UP'));
  }
  const done = received(s).at(-1)!;
  assert.equal(done.kind, 'done');
  assert.equal(done.seq, links[0]!.seq, 'the dump ends with a Done of the same sequence number');
});

interface IpRoute {
  dst: string;
  gateway?: string;
  dev: string;
  prefsrc: string;
}

test('rtnetlink capture: route answers say what `ip -j route get` says', { skip }, () => {
  const links = new Map<number, string>();
  for (const m of received(step('link dump'))) if (m.kind === 'link') links.set(m.body.index, attributeValue(m.body.attributes, 'ifname')!);
  for (const address of [CAPTURE.b0, CAPTURE.behindGateway, CAPTURE.behindGatewayV6, CAPTURE.multipath]) {
    const s = step(`route get ${address}`);
    const [answer] = received(s);
    assert.ok(answer?.kind === 'route', `an RTM_NEWROUTE answers ${address}`);
    assert.equal(answer.type, rtnetlinkMessage.RtmType.NewRoute);
    const [want] = s.iproute2 as IpRoute[];
    const a = answer.body.attributes;
    assert.equal(attributeValue(a, 'dst'), want!.dst);
    assert.equal(attributeValue(a, 'gateway'), want!.gateway);
    assert.equal(links.get(attributeValue(a, 'oif')!), want!.dev);
    assert.equal(attributeValue(a, 'prefsrc'), want!.prefsrc);
    assert.equal(answer.body.type, RouteType.Unicast);
    // The IPv4 answer is a cached clone (RTM_F_CLONED), the IPv6 one the route itself.
    assert.equal((answer.body.flags & RouteFlag.Cloned) !== 0, answer.body.family === AddressFamily.Inet);
  }
  const s = step(`route get ${CAPTURE.unreachable}`);
  const [err] = received(s);
  assert.ok(err?.kind === 'error');
  assert.equal(err.body.error, -constants.errno.ENETUNREACH);
  assert.match((s.iproute2 as { stderr: string }).stderr, /Network is unreachable/);
  assert.equal(err.flags & NetlinkFlag.Capped, NetlinkFlag.Capped, 'NETLINK_CAP_ACK: the request is not echoed');
});

interface IpNeigh {
  dst: string;
  dev: string;
  lladdr?: string;
  state: string[];
}

test('rtnetlink capture: neighbour dumps say what `ip -j neigh show` says', { skip }, () => {
  const statename = Object.fromEntries(Object.entries(NudState).map(([k, v]) => [v, k.toUpperCase()]));
  for (const what of ['neighbour dump, IPv4', 'neighbour dump, IPv6']) {
    const s = step(what);
    const ip = s.iproute2 as IpNeigh[];
    const entries = received(s).filter((m) => m.kind === 'neighbour');
    // iproute2 leaves out NOARP multicast entries unless asked for them.
    const shown = entries.filter((m) => m.kind === 'neighbour' && !(m.body.state & NudState.Noarp));
    assert.equal(shown.length, ip.length, what);
    for (const m of shown) {
      if (m.kind !== 'neighbour') continue;
      const want = ip.find((n) => n.dst === attributeValue(m.body.attributes, 'dst'));
      assert.ok(want, `${what}: ${attributeValue(m.body.attributes, 'dst')}`);
      assert.equal(attributeValue(m.body.attributes, 'lladdr'), want.lladdr);
      assert.deepEqual([statename[m.body.state]], want.state);
    }
  }
});

test('rtnetlink capture: the NTF_USE nudge resolved both neighbours', { skip }, () => {
  const s = step('nudge (NTF_USE) of the peer, IPv4 and IPv6');
  const sent = decoded.filter((d) => d.outgoing && d.frame >= s.first && d.frame <= s.last).flatMap((d) => d.messages);
  assert.equal(sent.length, 2);
  for (const m of sent) {
    assert.ok(m.kind === 'neighbour');
    assert.equal(m.body.flags, NeighbourFlag.Use);
    assert.equal(m.flags, NetlinkFlag.Request | NetlinkFlag.Ack | NetlinkFlag.Create | NetlinkFlag.Replace);
  }
  const acks = received(s).filter((m) => m.kind === 'error');
  assert.deepEqual(
    acks.map((m) => (m.kind === 'error' ? [m.seq, m.body.error] : [])),
    sent.map((m) => [m.seq, 0]),
    'each nudge is acknowledged (error 0)',
  );
  const reachable = received(s).filter((m) => m.kind === 'neighbour' && m.body.state === NudState.Reachable);
  assert.deepEqual(
    reachable.map((m) => (m.kind === 'neighbour' ? [attributeValue(m.body.attributes, 'dst'), attributeValue(m.body.attributes, 'lladdr')] : [])),
    [
      [CAPTURE.b0, CAPTURE.macB0],
      [CAPTURE.b0v6, CAPTURE.macB0],
    ],
  );
});

test('rtnetlink capture: multipath and RTA_VIA notifications', { skip }, () => {
  const [v4] = received(step('notification: IPv4 multipath route added'));
  assert.ok(v4?.kind === 'route');
  assert.deepEqual(attributeValue(v4.body.attributes, 'multipath'), [
    { flags: 0, hops: 0, ifindex: 2, attributes: [{ kind: 'gateway', value: CAPTURE.b0 }] },
    { flags: 0, hops: 0, ifindex: 3, attributes: [{ kind: 'gateway', value: CAPTURE.b1 }] },
  ]);
  const [v6] = received(step('notification: IPv6 multipath route added'));
  assert.ok(v6?.kind === 'route');
  const paths = attributeValue(v6.body.attributes, 'multipath')!;
  assert.deepEqual(
    paths.map((p) => [p.ifindex, p.hops, attributeValue(p.attributes, 'gateway')]),
    [
      [2, 0, CAPTURE.b0v6],
      [3, 1, CAPTURE.b1v6],
    ],
    'weight 2 is rtnh_hops 1',
  );
  const [via] = received(step('notification: IPv4 route via an IPv6 next hop (RTA_VIA)'));
  assert.ok(via?.kind === 'route');
  assert.equal(via.body.family, AddressFamily.Inet);
  assert.deepEqual(attributeValue(via.body.attributes, 'via'), { family: AddressFamily.Inet6, address: CAPTURE.b0v6 });
  const [del] = received(step('notification: IPv4 multipath route deleted'));
  assert.equal(del?.type, rtnetlinkMessage.RtmType.DelRoute);
});
