// Forwarding in worker threads (docs/workers.md), in the real Dataplane
// against the Linux vxlan driver: with `workers = 3` the kernel's fanout
// spreads flows over three workers, both ways (member port and underlay
// link), the main thread forwards no frame (issue 10), every frame arrives once, what the workers learn reaches
// the FDB, and a worker that throws is restarted and counted while the
// others keep forwarding; a VNI added at runtime starts the workers over.
//
// Namespaces come from Topology and always go; every traffic loop is bounded
// in count and time and only talks to the hosts made here
// (10.214.0.0/24 underlay, 10.214.1.0/24 hosts).

import { test } from 'node:test';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { Dataplane } from '../../src/dataplane/dataplane.js';
import { Topology, flushNeighbours, needsRoot, ping, run, waitFor, type HostOptions } from '../helpers/netns.js';

const S_VTEP = '10.214.0.1';
const K_VTEP = '10.214.0.2';
const VNI = 100;
const HOST_A: HostOptions = { ip: '10.214.1.1/24', mac: '02:14:00:00:00:0a' };
const HOST_B: HostOptions = { ip: '10.214.1.2/24', mac: '02:14:00:00:00:0b' };
const FLOWS = 64;

/** Receive `count` datagrams on UDP port 9 (bounded by `seconds`), printing how many came; `ready` is created once bound. */
const RECEIVER = (count: number, seconds: number, ready: string): string =>
  `import socket,time\ns=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\ns.bind(('0.0.0.0',9))\nopen('${ready}','w').close()\ns.settimeout(0.2)\nn=0\nend=time.time()+${seconds}\nwhile n<${count} and time.time()<end:\n  try:\n    s.recv(2048); n+=1\n  except socket.timeout:\n    pass\nprint(n)`;
/** One datagram from each of `count` source ports to `ip`:9. */
const SENDER = (ip: string, count: number): string =>
  `import socket\nfor p in range(${count}):\n  s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n  s.bind(('0.0.0.0',40000+p))\n  s.sendto(b'x'*100,('${ip}',9))\n  s.close()`;

let readySeq = 0;

async function flows(fromNs: string, toNs: string, toIp: string): Promise<number> {
  const ready = join(tmpdir(), `vx-fw-ready-${process.pid}-${readySeq++}`);
  const received = run(toNs, 'timeout', '10', 'python3', '-c', RECEIVER(FLOWS, 5, ready));
  // The sender starts once the receiver is bound (a datagram before would be refused, not forwarded late).
  await waitFor('receiver bound', () => existsSync(ready), 5_000);
  rmSync(ready, { force: true });
  await run(fromNs, 'timeout', '10', 'python3', '-c', SENDER(toIp, FLOWS));
  return Number((await received).trim());
}

test('workers = 3: flows spread over the threads both ways, each frame once; a worker that throws is restarted and counted, the others keep forwarding; a VNI added starts the workers over', { skip: needsRoot, timeout: 90_000 }, async (t) => {
  const topo = new Topology();
  let dp: Dataplane | undefined;
  const warnings: string[] = [];
  try {
    const s = await topo.addNamespace();
    const k = await topo.addNamespace();
    const su = topo.name();
    const ku = topo.name();
    await topo.veth(s, su, k, ku, { mtu: 1550 });
    await topo.address(s, su, `${S_VTEP}/24`);
    await topo.address(k, ku, `${K_VTEP}/24`);
    const hA = await topo.host(s, HOST_A);
    const kv = await topo.kernelVtep({ ns: k, vni: VNI, dstport: 4789, local: K_VTEP, flood: [S_VTEP], hosts: [HOST_B] });
    const hB = kv.hosts[0]!;
    dp = await Dataplane.open(
      { vtepAddress: S_VTEP, underlayInterface: su, netns: s, workers: 3, vnis: [{ vni: VNI, mode: 'static', ports: [{ name: hA.peer, kind: 'packet' }], floodList: [K_VTEP] }] },
      { warn: (m) => warnings.push(m) },
    );
    t.after(() => {
      for (const w of warnings) t.diagnostic(`dataplane warning: ${w}`);
    });
    assert.equal(dp.workerCount, 3, 'workers = 3: three worker threads forward, the main thread none');

    await flushNeighbours(hA.ns);
    await flushNeighbours(hB.ns);
    assert.equal((await ping(hA.ns, '10.214.1.2', { count: 3 })).received, 3, 'A -> B through the flood and back');

    const before = dp.threadFrames();
    assert.equal(await flows(hA.ns, hB.ns, '10.214.1.2'), FLOWS, 'A -> B: every datagram of every flow arrived');
    assert.equal(await flows(hB.ns, hA.ns, '10.214.1.1'), FLOWS, 'B -> A: every datagram of every flow arrived');
    const after = dp.threadFrames();
    const per = after.map((n, i) => n - before[i]!);
    t.diagnostic(`frames per thread (main, worker 0, worker 1, worker 2): ${per.join(', ')}`);
    assert.equal(per.length, 4);
    assert.equal(after[0], 0, 'the main thread forwarded no frame (issue 10: BGP cannot stall one)');
    assert.ok(per.filter((n) => n > 0).length >= 2, `the fanout used more than one worker: ${per.join(', ')}`);
    // Each datagram was taken in once (no thread saw a copy): 2 x FLOWS, plus the odd ARP.
    const total = per.reduce((a, b) => a + b, 0);
    assert.ok(total >= 2 * FLOWS && total < 2 * FLOWS + 16, `each frame once: ${total} for ${2 * FLOWS} datagrams`);
    // counters() reports the workers' sums: the VNI took in what the threads took in.
    const vc = dp.counters().vnis.find((v) => v.vni === VNI)!;
    assert.equal(vc.rxFrames + vc.decapsulated, after.reduce((a, b) => a + b, 0), 'counters() sums the workers');
    // Learned by whichever thread: both hosts are in the FDB (workers' learns drained by the main thread).
    const macs = dp.fdbEntries(VNI).map((e) => e.mac);
    assert.ok(macs.includes(hA.mac) && macs.includes(hB.mac), JSON.stringify(macs));

    // Worker 0 throws: restarted and counted; the others forward meanwhile and after.
    dp.crashWorker(0);
    const down = flows(hA.ns, hB.ns, '10.214.1.2');
    await waitFor('worker 0 restarted', () => dp!.workerRestarts === 1, 10_000);
    assert.ok((await down) > 0, 'frames were forwarded while worker 0 was down');
    assert.ok(warnings.some((w) => /forwarder-0/.test(w) || /worker 0/.test(w)), `the failure was logged: ${warnings.join(' | ')}`);
    await new Promise((r) => setTimeout(r, 500));
    const mid = dp.threadFrames();
    assert.equal(await flows(hA.ns, hB.ns, '10.214.1.2'), FLOWS, 'after the restart every datagram arrives again');
    const end = dp.threadFrames();
    t.diagnostic(`after the restart, frames per thread: ${end.map((n, i) => n - mid[i]!).join(', ')}`);
    assert.equal(end[0], 0, 'the main thread forwarded no frame while a worker was down');
    assert.equal(dp.workerRestarts, 1);

    // A VNI added at runtime (SIGHUP): the workers start over with its port; forwarding goes on in all threads.
    const hC = await topo.host(s, { ip: '10.214.2.1/24', mac: '02:14:00:00:00:0c' });
    await dp.addVni({ vni: 200, mode: 'static', ports: [{ name: hC.peer, kind: 'packet' }], floodList: [K_VTEP] });
    assert.equal(dp.workerCount, 3, 'workers = 3: three worker threads forward, the main thread none');
    const beforeAdd = dp.threadFrames();
    assert.equal(await flows(hA.ns, hB.ns, '10.214.1.2'), FLOWS, 'after the workers started over every datagram arrives');
    const afterAdd = dp.threadFrames().map((n, i) => n - beforeAdd[i]!);
    t.diagnostic(`after adding VNI 200, frames per thread: ${afterAdd.join(', ')}`);
    assert.equal(afterAdd[0], 0, 'the main thread forwards no frame after the workers started over');
    assert.ok(afterAdd[1]! + afterAdd[2]! + afterAdd[3]! >= FLOWS, 'the new workers forward every datagram');
  } finally {
    await dp?.close();
    await topo.destroy();
  }
});
