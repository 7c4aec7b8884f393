// The addon's rtnetlink socket (src/dataplane/native/netlink.c) through its
// wrapper (netlink-socket.ts), in a namespace this test makes and removes:
// the calls' contracts, not the resolver's logic (next-hop-resolver.test.ts).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { NetlinkSocket, isOverrun } from '../../src/dataplane/netlink-socket.js';
import { linkDump } from '../../src/dataplane/rtnetlink-requests.js';
import * as rtnetlinkMessage from '../../src/wire/rtnetlink-message.js';
import { RtnlGroup } from '../../src/wire/rtnetlink-message.js';
import { align4 } from '../../src/wire/netlink-header.js';
import { needsRoot, run, Topology, waitFor } from '../helpers/netns.js';

const topo = new Topology();
let ns = '';
let other = '';
before(async () => {
  if (needsRoot) return;
  ns = await topo.addNamespace();
  other = await topo.addNamespace();
});
after(() => topo.destroy());

test('netlink socket: opens in a namespace, answers a dump, hears that namespace only', { skip: needsRoot, timeout: 10_000 }, async (t) => {
  const sock = NetlinkSocket.open([RtnlGroup.Link], { netns: ns });
  t.after(() => sock.close());
  assert.ok(sock.portId > 0, 'the kernel gave it a port id');
  const buf = Buffer.alloc(64 * 1024);
  assert.equal(sock.receive(buf), 0, 'nothing waiting: 0, not an error');

  const messages: rtnetlinkMessage.RtnetlinkMessage[] = [];
  sock.onReadable((err) => {
    assert.equal(err, null);
    for (let n = sock.receive(buf); n > 0; n = sock.receive(buf)) {
      for (let o = 0; o < n; o += align4(rtnetlinkMessage.decode.bytes)) messages.push(rtnetlinkMessage.decode(buf.subarray(0, n), o));
    }
  });
  const seq = sock.nextSeq();
  sock.queue(linkDump(seq));
  sock.flush();
  await waitFor('the dump to end', () => messages.some((m) => m.kind === 'done'), 3_000);
  const links = messages.filter((m) => m.kind === 'link');
  assert.equal(links.length, 1, 'a fresh namespace has lo only');
  assert.ok(links.every((m) => m.seq === seq && m.pid === sock.portId));

  // A link made in that namespace is announced; one made in another is not.
  messages.length = 0;
  await run(null, 'ip', '-n', other, 'link', 'add', 'elsewhere0', 'type', 'veth', 'peer', 'name', 'elsewhere1');
  await run(null, 'ip', '-n', ns, 'link', 'add', 'nl0', 'type', 'veth', 'peer', 'name', 'nl1');
  const named = (name: string) => messages.some((m) => m.kind === 'link' && m.body.attributes.some((a) => a.kind === 'ifname' && a.value === name));
  await waitFor('the new links', () => named('nl0') && named('nl1'), 3_000);
  assert.equal(named('elsewhere0') || named('elsewhere1'), false);
  assert.ok(messages.every((m) => m.pid !== sock.portId), 'notifications, not answers');
});

test('netlink socket: argument and state errors', { skip: needsRoot }, () => {
  assert.throws(() => NetlinkSocket.open([0]), RangeError);
  assert.throws(() => NetlinkSocket.open([1024]), RangeError);
  assert.throws(() => NetlinkSocket.open([1], { netns: 'vxt-no-such-namespace' }), /ENOENT/);
  const sock = NetlinkSocket.open([], { netns: ns });
  sock.close();
  assert.equal(sock.closed, true);
  assert.throws(() => sock.receive(Buffer.alloc(16)), /EBADF/);
  assert.equal(isOverrun(Object.assign(new Error('x'), { code: 'ENOBUFS' })), true);
  assert.equal(isOverrun(new Error('x')), false);
});
