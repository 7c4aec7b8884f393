// The soak (issue 9 item 18; not CI): vxswitch in its own namespace with
// --vnis evpn VNIs on one trunk port, peering with the project's own test
// speaker, which announces --macs Type 2 routes across the VNIs behind
// --vteps VTEP addresses plus a Type 3 per VNI per VTEP; frames to a sample of
// the remote MACs; a MAC move storm (bursts re-announcing MACs behind another
// VTEP with the next MAC Mobility sequence number, RFC 7432 §15); the peer
// flapping every --flap-every seconds. RSS, heap, FDB entries and API latency
// are sampled every second, written as JSON lines, drawn as an SVG and
// judged "bounded" or "grows" (verdict.ts). Method: docs/benchmarking.md.
//
//   node dist/bench/soak/index.js [--minutes 10] [--vnis 1000] [--macs 100000] [--vteps 200]
//        [--rate 2000] [--sample 256] [--move-burst 1000] [--move-every 5] [--flap-every 30]
//        [--chart docs/bench/soak.svg] [--samples docs/bench/soak.jsonl]
//
//   injector ns                     vxswitch ns                   host ns
//   eth0 10.218.0.2/16 ---veth--- ul0 10.218.0.1/16
//   + the VTEP addresses (/32)      trunk (vlan-members) ---veth--- eth0 (traffic)
//
// Everything it starts is a child of one Topology: stopped and its
// namespaces removed in a finally, on Ctrl-C/SIGTERM too (the loops end at
// the next tick), and by the Topology's exit hook as a last resort.

import { mkdirSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { delay, run, Topology } from '../../test/helpers/netns.js';
import { Vxswitch } from '../control-plane/vxswitch-daemon.js';
import { soakToml } from './config.js';
import { SoakPeer } from './peer.js';
import { prng } from '../../test/helpers/prng.js';
import { checkShape, MacTable, UNDERLAY, vtepAddress, type SoakShape } from './plan.js';
import { renderSoakChart, summaries, summaryLines } from './report.js';
import { takeSample, type ProbeLine, type SoakSample } from './sampler.js';
import { Traffic } from './traffic.js';

export const DEFAULT_CHART = fileURLToPath(new URL('../../../docs/bench/soak.svg', import.meta.url));
export const DEFAULT_SAMPLES = fileURLToPath(new URL('../../../docs/bench/soak.jsonl', import.meta.url));
const PROBE_MAIN = fileURLToPath(new URL('./metrics-probe-main.js', import.meta.url));
const AS = 65000;
const HOLD_S = 90;
const METRICS = '127.0.0.1:9273';

export interface SoakOptions {
  shape: SoakShape;
  minutes: number;
  /** Frames per second to the sample. */
  rate: number;
  sample: number;
  moveBurst: number;
  moveEveryS: number;
  flapEveryS: number;
  chart: string;
  samples: string;
  command: string;
}

export interface SoakRun {
  samples: SoakSample[];
  flapsAt: number[];
  runS: number;
  notes: string[];
  interrupted: boolean;
}

let interrupted = false;

/** Sleep up to ms, cut short when interrupted. */
async function tick(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!interrupted && Date.now() < end) await delay(Math.min(100, end - Date.now()));
}

async function addVtepAddresses(topo: Topology, ns: string, vteps: number): Promise<void> {
  const dir = await topo.tempDir();
  const file = path.join(dir, 'vteps.batch');
  await writeFile(file, Array.from({ length: vteps }, (_, k) => `address add ${vtepAddress(k)}/32 dev eth0\n`).join(''));
  await run(null, 'ip', '-n', ns, '-batch', file);
}

export async function runSoak(o: SoakOptions, log: (line: string) => void): Promise<SoakRun> {
  const out: SoakRun = { samples: [], flapsAt: [], runS: o.minutes * 60, notes: [], interrupted: false };
  const topo = new Topology();
  const traffic = new Traffic();
  let vx: Vxswitch | undefined;
  let peer: SoakPeer | undefined;
  try {
    const injNs = await topo.addNamespace();
    const vxNs = await topo.addNamespace();
    await topo.veth(injNs, 'eth0', vxNs, 'ul0', { mtu: 1600 });
    await topo.address(injNs, 'eth0', `${UNDERLAY.injector}/${UNDERLAY.prefix}`);
    await topo.address(vxNs, 'ul0', `${UNDERLAY.daemon}/${UNDERLAY.prefix}`);
    await addVtepAddresses(topo, injNs, o.shape.vteps);
    const host = await topo.host(vxNs, {});
    const table = new MacTable(o.shape);
    vx = await Vxswitch.start(topo, vxNs, soakToml({ shape: o.shape, as: AS, holdS: HOLD_S, trunk: host.peer, metricsListen: METRICS }), undefined);
    const v = vx;
    const t0 = Date.now();
    const end = t0 + out.runS * 1000;
    log(`vxswitch up (pid ${v.pid}) with ${o.shape.vnis} VNIs; sampling every second for ${o.minutes} min`);

    const probe = topo.spawn(vxNs, [process.execPath, PROBE_MAIN, JSON.stringify({ url: `http://${METRICS}/metrics`, seconds: out.runS + 120 })]);
    let lastProbe: ProbeLine | undefined;
    readline.createInterface({ input: probe.stdout! }).on('line', (line) => {
      try {
        lastProbe = JSON.parse(line) as ProbeLine;
      } catch {
        out.notes.push(`metrics probe printed: ${line.slice(0, 200)}`);
      }
    });

    const sampling = (async () => {
      while (!interrupted && Date.now() < end) {
        const started = Date.now();
        const s = await takeSample(v, lastProbe, t0);
        out.samples.push(s);
        if (out.samples.length % 30 === 0) log(`  t=${s.t.toFixed(0)} s  RSS ${s.rssMiB?.toFixed(0)} MiB  heap ${s.heapMiB?.toFixed(0)} MiB  FDB ${s.fdbEntries}  API ${s.apiMs?.toFixed(1)} ms  peer ${s.peerState} (${s.accepted})`);
        await tick(1000 - (Date.now() - started));
      }
    })();

    const p = new SoakPeer({ topo, ns: injNs, as: AS, holdS: HOLD_S, table, random: prng(9) });
    peer = p;
    const churn = (async () => {
      await p.connect(60_000);
      log(`peer established: ${o.shape.macs} Type 2 + Type 3s sent at t=${((Date.now() - t0) / 1000).toFixed(1)} s`);
      traffic.start({ netns: host.ns, ifname: host.ifname, shape: o.shape, sample: o.sample, rate: o.rate, seconds: out.runS });
      let nextMove = Date.now() + o.moveEveryS * 1000;
      let nextFlap = Date.now() + o.flapEveryS * 1000;
      while (!interrupted && Date.now() < end) {
        const now = Date.now();
        if (now >= nextFlap) {
          nextFlap += o.flapEveryS * 1000;
          out.flapsAt.push((now - t0) / 1000);
          await p.flap(20_000).catch((e: unknown) => out.notes.push(`flap at t=${((now - t0) / 1000).toFixed(0)} s: ${(e as Error).message.split('\n')[0]}`));
        } else if (!p.up) {
          // A flap that could not reconnect: try again, once a tick.
          await p.connect(20_000).catch(() => undefined);
        } else if (now >= nextMove) {
          nextMove += o.moveEveryS * 1000;
          p.moveBurst(o.moveBurst);
        }
        await tick(250);
      }
    })();
    await Promise.all([sampling, churn]);
    out.notes.push(
      `peer: ${p.sessions} sessions (${p.failures} attempts that did not come up), ${out.flapsAt.length} flaps, ${p.moves} MAC moves; traffic: ${traffic.offered} frames offered, ${traffic.sent} sent`,
    );
  } catch (e) {
    out.notes.push(`error: ${(e as Error).message}${vx !== undefined ? `\nvxswitch log tail:\n${vx.log.slice(-1500)}` : ''}`);
  } finally {
    traffic.stop();
    await peer?.close().catch(() => undefined);
    await vx?.stop().catch(() => undefined);
    await topo.destroy().catch((e: unknown) => out.notes.push(`cleanup: ${(e as Error).message}`));
  }
  out.interrupted = interrupted;
  return out;
}

function numberOption(values: Record<string, string | boolean | undefined>, name: string, fallback: number): number {
  const v = values[name];
  if (v === undefined) return fallback;
  const n = Number(v);
  if (typeof v !== 'string' || !Number.isFinite(n) || n <= 0) throw new RangeError(`--${name} ${String(v)}: expected a positive number`);
  return n;
}

export function parseSoakArgs(argv: string[]): SoakOptions {
  const { values } = parseArgs({
    args: argv,
    options: Object.fromEntries(
      ['minutes', 'vnis', 'macs', 'vteps', 'rate', 'sample', 'move-burst', 'move-every', 'flap-every', 'chart', 'samples'].map((k) => [k, { type: 'string' as const }]),
    ),
    strict: true,
  });
  const shape = { vnis: numberOption(values, 'vnis', 1000), macs: numberOption(values, 'macs', 100_000), vteps: numberOption(values, 'vteps', 200) };
  checkShape(shape);
  const minutes = numberOption(values, 'minutes', 10);
  if (minutes > 24 * 60) throw new RangeError(`--minutes ${minutes}: at most a day`);
  return {
    shape,
    minutes,
    rate: Math.min(numberOption(values, 'rate', 2000), 100_000),
    sample: Math.round(numberOption(values, 'sample', 256)),
    moveBurst: Math.round(numberOption(values, 'move-burst', 1000)),
    moveEveryS: numberOption(values, 'move-every', 5),
    flapEveryS: numberOption(values, 'flap-every', 30),
    chart: path.resolve(values['chart'] ?? DEFAULT_CHART),
    samples: path.resolve(values['samples'] ?? DEFAULT_SAMPLES),
    command: `node dist/bench/soak/index.js ${argv.join(' ')}`.trim(),
  };
}

async function main(): Promise<void> {
  const o = parseSoakArgs(process.argv.slice(2));
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  const onSignal = (sig: NodeJS.Signals): void => {
    if (interrupted) return;
    interrupted = true;
    log(`interrupted (${sig}): stopping the daemon and the peer, removing the namespaces`);
    // A second signal, or a cleanup that hangs: the Topology's exit hook removes what is left.
    process.once(sig, () => process.exit(130));
    setTimeout(() => process.exit(130), 30_000).unref();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const s = o.shape;
  const setup = `${s.vnis} evpn VNIs, ${s.macs} remote MACs behind ${s.vteps} VTEPs; ${o.rate} frames/s to ${o.sample} of them; ${o.moveBurst} MACs moved every ${o.moveEveryS} s; peer flap every ${o.flapEveryS} s; ${o.minutes} min`;
  log(`soak: ${setup}`);
  const r = await runSoak(o, log);
  const runS = r.samples.length > 0 ? r.samples[r.samples.length - 1]!.t : r.runS;
  const rows = summaries(r.samples, runS, o.flapEveryS);
  for (const l of [...r.notes, '', ...summaryLines(rows, runS, o.flapEveryS)]) log(l);
  mkdirSync(path.dirname(o.samples), { recursive: true });
  writeFileSync(o.samples, r.samples.map((x) => JSON.stringify(x)).join('\n') + '\n');
  mkdirSync(path.dirname(o.chart), { recursive: true });
  writeFileSync(o.chart, renderSoakChart(r.samples, rows, { date: new Date().toISOString().slice(0, 10), command: o.command, runS, lines: [setup], flapsAt: r.flapsAt, windowS: o.flapEveryS }));
  log(`samples: ${o.samples}\nchart: ${o.chart}`);
  const failed = r.interrupted || r.notes.some((n) => n.startsWith('error:')) || rows.some((x) => x.verdict !== 'bounded');
  process.exitCode = r.interrupted ? 130 : failed ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
