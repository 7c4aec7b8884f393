// Issue 9 item 15: the management API socket. A daemon started with umask
// 000 used to create it 0777 (any local user could read the FDB and RIB);
// a client that sent requests without reading the answers made the daemon
// buffer them without limit; `fdb` with vni -5 or 1e300 went through to the
// dataplane. Now: mode 0660 whatever the umask, the group configurable
// ([api] socket-group), a non-reading client dropped at [api] client-buffer
// with a log line, every request field checked by the daemon.
//
// One daemon in a namespace (started under `umask 000`); requests are
// written to its socket directly, not through the CLI, which checks its
// own options.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { stat } from 'node:fs/promises';
import { needsRoot, Topology } from '../helpers/netns.js';
import { startVxswitch, type VxConfig, type Vxswitch } from '../control/vxswitch-lab.js';

const VX = '10.220.0.1';
const config: VxConfig = { as: 65001, routerId: VX, port: -1, neighbors: [], vnis: [{ vni: 10, members: ['hp10'] }] };
const UMASK_000 = ['sh', '-c', 'umask 000 && exec "$@"', 'sh'];

/** Send one line on a fresh connection, resolve with the parsed answer line. */
function ask(socketPath: string, line: string): Promise<{ ok: boolean; error?: string; result?: unknown }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(socketPath);
    let buf = '';
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer to ${line} within 5 s`));
    }, 5_000);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(`${line}\n`));
    s.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      s.destroy();
      resolve(JSON.parse(buf.slice(0, nl)) as { ok: boolean; error?: string });
    });
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

describe('the management API socket', { skip: needsRoot, timeout: 90_000 }, () => {
  const topo = new Topology();
  let vx: Vxswitch;
  let ns: string;

  before(async () => {
    const ul = await topo.addNamespace();
    const br = await topo.bridge(ul);
    ns = await topo.addNamespace();
    await topo.underlayPort(ul, br, ns, `${VX}/24`);
    await topo.host(ns, { ip: '10.220.1.1/24', mac: '02:20:10:00:00:01', peerName: 'hp10' });
    vx = await startVxswitch(topo, { name: 'vxapi', ns, config, launcher: UMASK_000 });
  });

  after(async () => {
    await topo.destroy();
  });

  test('the socket is 0660 though the daemon runs with umask 000', async () => {
    const st = await stat(vx.apiSocket);
    assert.ok(st.isSocket());
    assert.equal((st.mode & 0o777).toString(8), '660');
    assert.equal(st.uid, 0);
  });

  test('every request field is checked by the daemon, errors name the field', async () => {
    const cases: Array<[string, string]> = [
      ['{"method":"fdb","params":{"vni":-5}}', 'params.vni = -5: expected an integer 1..16777215 (a VNI)'],
      ['{"method":"fdb","params":{"vni":1e300}}', 'params.vni = 1e+300: expected an integer 1..16777215 (a VNI)'],
      ['{"method":"fdb","params":{"vni":16777216}}', 'params.vni = 16777216: expected an integer 1..16777215 (a VNI)'],
      ['{"method":"fdb","params":{"vni":10.5}}', 'params.vni = 10.5: expected an integer 1..16777215 (a VNI)'],
      ['{"method":"fdb","params":{"vni":"10"}}', 'params.vni = "10": expected an integer 1..16777215 (a VNI)'],
      ['{"method":"fdb","params":{"vin":10}}', 'params.vin: unknown parameter (fdb takes vni)'],
      ['{"method":"neighbors","params":{"address":"x"}}', 'params.address: unknown parameter (neighbors takes none)'],
      ['{"method":"rib","params":{"family":"l3vpn"}}', 'params.family = "l3vpn": expected l2vpn-evpn, ipv4-unicast or ipv6-unicast'],
      ['{"method":"rib","params":{"family":7}}', 'params.family = 7: expected l2vpn-evpn, ipv4-unicast or ipv6-unicast'],
      ['{"method":"vnis","params":[]}', 'params = []: expected an object'],
      ['{"method":"vnis","extra":1}', 'extra: unknown request key (a request is {"method": ..., "params": {...}})'],
      ['{"method":"nope"}', 'unknown method "nope" (neighbors, rib, fdb, vnis, counters)'],
      ['{"method":5}', 'method = 5: expected one of neighbors, rib, fdb, vnis, counters'],
      ['[1,2]', 'a request is {"method": ..., "params": {...}}'],
    ];
    for (const [line, error] of cases) assert.deepEqual(await ask(vx.apiSocket, line), { ok: false, error }, line);
    const good = await ask(vx.apiSocket, '{"method":"fdb","params":{"vni":10}}');
    assert.equal(good.ok, true);
    assert.ok(Array.isArray(good.result));
    assert.equal((await ask(vx.apiSocket, '{"method":"rib","params":{"family":"ipv4-unicast"}}')).ok, true);
  });

  test('a client that sends requests but never reads is dropped at the client-buffer limit (16 MiB), with a log line', async () => {
    const s = net.connect(vx.apiSocket);
    await new Promise<void>((resolve, reject) => s.once('connect', resolve).once('error', reject));
    s.pause();
    let closed = false;
    s.on('error', () => undefined);
    const gone = new Promise<void>((resolve) => s.once('close', () => ((closed = true), resolve())));
    // Bounded: at most 400,000 requests (each `counters` answer is hundreds of bytes) and 30 s.
    const line = '{"method":"counters"}\n'.repeat(1000);
    const t0 = performance.now();
    let sent = 0;
    while (!closed && sent < 400 && performance.now() - t0 < 30_000) {
      if (!s.write(line)) await Promise.race([new Promise((r) => s.once('drain', r)), gone, new Promise((r) => setTimeout(r, 200))]);
      sent++;
    }
    await Promise.race([gone, new Promise((r) => setTimeout(r, 5_000))]);
    assert.ok(closed, `the daemon still holds the connection after ${sent}k requests`);
    const dropped = await vx.until('the drop logged', async () => vx.logsMatching(/^management API client dropped: \d+ bytes of answers unread \(limit 16777216, \[api\] client-buffer\)$/)[0]);
    assert.ok(Number(dropped['unread']) > 16 << 20);
    // Everyone else is still served.
    assert.equal((await ask(vx.apiSocket, '{"method":"vnis"}')).ok, true);
  });

  test('at most 64 connections at a time: the 65th and later are closed at once, logged once, the others still served', async () => {
    const conns: net.Socket[] = [];
    let closedEarly = 0;
    try {
      for (let i = 0; i < 70; i++) {
        const c = net.connect(vx.apiSocket);
        c.on('error', () => undefined);
        c.on('close', () => closedEarly++);
        conns.push(c);
        await new Promise<void>((resolve) => c.once('connect', () => resolve()).once('close', () => resolve()));
      }
      await vx.until('the extra connections closed', async () => closedEarly >= 6 || undefined, 5_000);
      assert.equal(closedEarly, 6);
      const refused = await vx.until('the refusal logged', async () => vx.logsMatching(/^management API: \d+ connection\(s\) refused, 64 clients at a time$/)[0]);
      assert.ok(Number(refused['refused']) >= 1);
      // One of the 64 still gets its answer.
      const first = conns[0]!;
      const answer = new Promise<string>((resolve) => first.once('data', (d: Buffer) => resolve(d.toString('utf8'))));
      first.write('{"method":"vnis"}\n');
      assert.match(await answer, /^\{"ok":true/);
    } finally {
      for (const c of conns) c.destroy();
    }
    // Once they are gone, new clients are served again.
    await vx.until('a new client served', async () => (await ask(vx.apiSocket, '{"method":"vnis"}').catch(() => ({ ok: false }))).ok || undefined, 5_000);
  });

  test('[api] socket-group gives the socket that group', async () => {
    await vx.stop();
    const grouped = await startVxswitch(topo, { name: 'vxgrp', ns, config, launcher: UMASK_000, extraToml: '\n[api]\nsocket-group = "nogroup"\n' });
    try {
      const st = await stat(grouped.apiSocket);
      assert.equal(st.gid, 65534);
      assert.equal((st.mode & 0o777).toString(8), '660');
    } finally {
      await grouped.stop();
    }
  });
});
