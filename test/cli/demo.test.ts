// `vxswitch demo` (`npm run demo`, the README's main command) end to end:
// the built CLI brings up the goplane topology (three vxswitches, eBGP EVPN,
// tenants VNI 10 and VNI 20 with the same IP/MAC pairs), pings, prints vx1's
// tables and tears everything down. Asserts the exit code, 0% loss in both
// tenants, the three tables, and that no vxd- namespace, daemon or runtime
// directory is left. A second test interrupts a run with SIGINT half-way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../helpers/fixtures.js';
import { listNamespaces, needsRoot } from '../helpers/netns.js';

const BIN = path.join(PROJECT_ROOT, 'bin', 'vxswitch.js');
const RUN_DIR = '/run/vxswitch-demo';

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** `node bin/vxswitch.js demo ...args`; interruptAfterMs sends SIGINT then. Bounded by a 60 s SIGKILL. */
function demo(args: string[] = [], interruptAfterMs?: number): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, 'demo', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const kill = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const interrupt = interruptAfterMs === undefined ? undefined : setTimeout(() => child.kill('SIGINT'), interruptAfterMs);
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      if (interrupt) clearTimeout(interrupt);
      resolve({ code, signal, stdout, stderr, ms: Math.round(performance.now() - t0) });
    });
  });
}

async function demoNamespaces(): Promise<string[]> {
  return (await listNamespaces()).filter((n) => n.startsWith('vxd-'));
}

/** Processes running bin/vxswitch.js with a config under the demo's runtime directory. */
function demoDaemons(): Promise<string[]> {
  return new Promise((resolve) =>
    execFile('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' }, (_e, out) =>
      resolve(out.split('\n').filter((l) => l.includes('vxswitch.js') && l.includes(RUN_DIR))),
    ),
  );
}

async function assertNothingLeft(): Promise<void> {
  assert.deepEqual(await demoNamespaces(), [], 'no vxd- namespace left');
  assert.deepEqual(await demoDaemons(), [], 'no demo daemon left');
  assert.equal(existsSync(RUN_DIR), false, `${RUN_DIR} removed`);
}

/** The lines of stdout between the "== vx1: <title> ==" heading and the next blank line. */
function section(stdout: string, title: string): string[] {
  const lines = stdout.split('\n');
  const start = lines.findIndex((l) => l.startsWith(`== vx1: ${title} ==`));
  assert.ok(start >= 0, `section "${title}" printed:\n${stdout}`);
  const end = lines.findIndex((l, i) => i > start && l.trim() === '');
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

test('vxswitch demo: both tenants 0% loss, the three tables, nothing left afterwards', { skip: needsRoot, timeout: 90_000 }, async (t) => {
  assert.deepEqual(await demoNamespaces(), [], 'no demo up before the test (else: vxswitch demo --down)');
  const r = await demo();
  const all = `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
  t.diagnostic(`demo ran ${r.ms} ms`);
  assert.equal(r.code, 0, all);
  assert.ok(r.ms < 30_000, `demo took ${r.ms} ms (≤ 30 s)`);
  assert.match(r.stdout, /^tenant VNI 10 \(h1 h2 h3\): 6 pairs, 18\/18 replies, 0% loss$/m, all);
  assert.match(r.stdout, /^tenant VNI 20 \(j1 j2 j3\): 6 pairs, 18\/18 replies, 0% loss$/m, all);
  // TCP with the hosts at their default offloads (it hung before virtio-net headers): data crossed.
  const tcp = /^h1 -> h2: (\d+) Mbit\/s, (\d+) retransmits$/m.exec(r.stdout);
  assert.ok(tcp, `TCP line printed:\n${all}`);
  assert.ok(Number(tcp[1]) > 0, `TCP moved data: ${tcp[0]}`);
  t.diagnostic(`demo TCP: ${tcp[0]}`);

  const neighbor = section(r.stdout, 'vxswitch neighbor');
  assert.match(neighbor[0] ?? '', /^Peer\s+AS\s+Up\/Down\s+State\s+\|#Received\s+Accepted$/, all);
  assert.deepEqual(
    neighbor.slice(1).map((l) => l.split(/\s+/).slice(0, 2).concat(l.split(/\s+/)[3] ?? '')),
    [
      ['10.216.0.2', '65002', 'Establ'],
      ['10.216.0.3', '65003', 'Establ'],
    ],
    all,
  );

  const rib = section(r.stdout, 'vxswitch global rib -a evpn');
  assert.match(rib[0] ?? '', /^\s+Network\s+Labels\s+Next Hop\s+AS_PATH\s+Age\s+Attrs$/, all);
  const multicast = rib.filter((l) => l.includes('[type:multicast]'));
  const macadv = rib.filter((l) => l.includes('[type:macadv]'));
  // Best paths: one Type 3 per switch and VNI (6); a MAC and a MAC/IP
  // route per host (12). eBGP full mesh: the remote ones also via the third AS.
  assert.equal(multicast.filter((l) => l.startsWith('*>')).length, 6, all);
  assert.equal(macadv.filter((l) => l.startsWith('*>')).length, 12, all);
  for (const vni of [10, 20]) {
    for (const n of [1, 2, 3]) {
      assert.ok(
        macadv.some((l) => l.startsWith('*>') && l.includes(`[mac:02:16:10:00:00:0${n}][ip:10.216.10.${n}]`) && l.includes(`[${vni}]`)),
        `vx1 rib: h${n}/j${n} MAC/IP route in VNI ${vni}\n${all}`,
      );
    }
  }

  const fdb = section(r.stdout, 'vxswitch fdb');
  for (const vni of [10, 20]) {
    assert.ok(fdb.some((l) => new RegExp(`^02:16:10:00:00:01 dev hp${vni} vni ${vni}\\b`).test(l)), `fdb: local host 1 in VNI ${vni}\n${all}`);
    for (const n of [2, 3]) {
      assert.ok(
        fdb.includes(`02:16:10:00:00:0${n} dst 10.216.0.${n} vni ${vni} self extern_learn`),
        `fdb: host ${n} behind 10.216.0.${n} in VNI ${vni}, from EVPN\n${all}`,
      );
    }
  }
  assert.match(r.stdout, /torn down \(3 processes stopped, 10 namespaces/, all);
  await assertNothingLeft();
});

test('vxswitch demo interrupted by SIGINT while it runs: exit 130, nothing left', { skip: needsRoot, timeout: 90_000 }, async () => {
  // 0.8 s: the daemons are started and the sessions coming up (a whole run takes ~2 s).
  const r = await demo([], 800);
  const all = `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
  assert.equal(r.code, 130, all);
  assert.match(r.stderr, /interrupted by SIGINT/, all);
  await assertNothingLeft();
});
