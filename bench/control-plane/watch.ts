// Watching receivers fill up: each watch turns samples of a count into
// "first above the baseline" and "all in" times (epoch ms). vxswitch is read
// through its API, FRR through vtysh, the kernel FDB through netlink
// notifications stamped by `ip monitor`. A sample's time is when it was
// read, so polled figures are upper bounds by one interval plus the reader's
// latency; the kernel's are exact to ip's scheduling.

import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { delay, exec, inNs, waitFor, type Topology } from '../../test/helpers/netns.js';
import type { FrrInstance } from '../../test/helpers/frr.js';
import { now } from './clock.js';
import type { Vxswitch } from './vxswitch-daemon.js';

const VX_POLL_MS = 100;
const FRR_POLL_MS = 250;

export interface Progress {
  /** Epoch ms when the count first rose above the baseline / reached the target. */
  first?: number;
  all?: number;
  count: number;
}

/** Track (count - base) against target; a sample's time is when it was read. */
export function track(p: Progress, value: number, base: number, target: number, t: number): void {
  p.count = Math.max(0, value - base);
  if (p.first === undefined && p.count > 0) p.first = t;
  if (p.all === undefined && p.count >= target) p.all = t;
}

/** Run sample() every intervalMs (sequentially: a slow answer delays the next) until done() or the deadline. */
async function poll(intervalMs: number, deadline: number, sample: () => Promise<void>, done: () => boolean): Promise<void> {
  while (!done() && Date.now() < deadline) {
    const started = Date.now();
    await sample();
    const wait = intervalMs - (Date.now() - started);
    if (wait > 0 && !done()) await delay(wait);
  }
}

/** Race p against the deadline (so a stuck API call cannot hold the bench). */
async function beforeDeadline<T>(p: Promise<T>, deadline: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - Date.now()))));
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** vxswitch's RIB (accepted from `peer`) and FDB entries, from its API every 100 ms. */
export class VxswitchWatch {
  readonly rib: Progress = { count: 0 };
  readonly fdb: Progress = { count: 0 };
  maxLatencyMs = 0;
  /** BGP messages received from peer at the last sample. */
  messages = 0;
  constructor(
    private readonly vx: Vxswitch,
    private readonly peer: string,
    private readonly base: { rib: number; fdb: number },
    private readonly target: number,
  ) {}
  get done(): boolean {
    return this.rib.all !== undefined && this.fdb.all !== undefined;
  }
  async run(deadline: number): Promise<void> {
    await poll(
      VX_POLL_MS,
      deadline,
      async () => {
        const sent = now();
        const r = await beforeDeadline(Promise.all([this.vx.neighbor(this.peer), this.vx.fdbEntries()]), deadline);
        const t = now();
        this.maxLatencyMs = Math.max(this.maxLatencyMs, t - sent);
        if (r === undefined) return;
        this.messages = r[0]?.messages.received ?? this.messages;
        track(this.rib, r[0]?.accepted ?? 0, this.base.rib, this.target, t);
        track(this.fdb, r[1], this.base.fdb, this.target, t);
      },
      () => this.done,
    );
  }
}

/** pfxRcd of `peer` in l2vpn evpn at an FRR instance. */
export async function frrReceived(frr: FrrInstance, peer: string): Promise<number> {
  const p = (await frr.summary()).find((x) => x.address === peer && x.family === 'l2VpnEvpn');
  return p?.prefixesReceived ?? 0;
}

/** An FRR instance's pfxRcd from `peer`, every 250 ms. */
export class FrrWatch {
  readonly rib: Progress = { count: 0 };
  constructor(
    private readonly frr: FrrInstance,
    private readonly peer: string,
    private readonly base: number,
    private readonly target: number,
  ) {}
  async run(deadline: number): Promise<void> {
    await poll(
      FRR_POLL_MS,
      deadline,
      async () => {
        const n = await beforeDeadline(frrReceived(this.frr, this.peer).catch(() => undefined), deadline);
        if (n !== undefined) track(this.rib, n, this.base, this.target, now());
      },
      () => this.rib.all !== undefined,
    );
  }
}

/**
 * The kernel FDB of an FRR VTEP as zebra fills it. An FDB entry is an
 * AF_BRIDGE neighbour, so `ip monitor neigh` in its namespace prints one line
 * per entry installed as the netlink notification arrives ("DST dev VXLAN
 * lladdr MAC extern_learn ..."), stamped by ip itself (-ts), into a file: no
 * pipe to this process can slow it down. It runs at nice -20 with a large
 * receive buffer because 100k notifications within seconds overrun the
 * default one (ENOBUFS: lost, and ip says so on stderr). Entries of the vxlan
 * device toward the injector with the injected MAC prefix are counted (a
 * Set: a replaced entry counts once); the file is read every 200 ms.
 */
export class KernelFdbWatch {
  readonly fdb: Progress = { count: 0 };
  readonly macs = new Set<string>();
  private readonly child: ChildProcess;
  private offset = 0;
  private partial = '';
  errors = '';
  private constructor(
    topo: Topology,
    ns: string,
    private readonly file: string,
    private readonly dev: string,
    private readonly dst: string,
    private readonly macPrefix: string,
    private readonly target: number,
  ) {
    const ip = `exec nice -n -20 ip -ts -rcvbuf ${64 << 20} monitor neigh > ${file}`;
    this.child = topo.spawn(ns, ['sh', '-c', ip]);
    this.child.stdout!.resume();
    this.child.stderr!.on('data', (d: Buffer) => (this.errors = (this.errors + d.toString('utf8')).slice(-2048)));
  }

  static async start(topo: Topology, ns: string, dev: string, dst: string, macPrefix: string, target: number): Promise<KernelFdbWatch> {
    const file = path.join(await topo.tempDir(), 'monitor.txt');
    const w = new KernelFdbWatch(topo, ns, file, dev, dst, macPrefix, target);
    await waitFor('ip monitor to start', () => existsSync(file) || undefined, 5_000, 20);
    // The file exists once the shell opened it; give ip a moment to subscribe.
    await delay(200);
    return w;
  }

  /** "[2026-11-21T07:18:39.687764] " (local time) -> epoch ms. */
  private static stamp(line: string): number | undefined {
    const m = /^\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?\] /.exec(line);
    if (m === null) return undefined;
    return new Date(m[1]!).getTime() + Number(m[2] ?? 0) * 1000;
  }

  private onLine(line: string): void {
    const t = KernelFdbWatch.stamp(line);
    const m = /\] (\S+) dev (\S+) lladdr (\S+)/.exec(line);
    if (t === undefined || m === null || m[1] !== this.dst || m[2] !== this.dev || !m[3]!.startsWith(this.macPrefix)) return;
    const mac = m[3]!;
    if (this.macs.has(mac)) return;
    this.macs.add(mac);
    track(this.fdb, this.macs.size, 0, this.target, t);
  }

  /** Parse what ip wrote since the last read. */
  async read(): Promise<void> {
    const fh = await open(this.file, 'r');
    try {
      for (;;) {
        const buf = Buffer.alloc(1 << 20);
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        const text = this.partial + buf.toString('utf8', 0, bytesRead);
        const lines = text.split('\n');
        this.partial = lines.pop() ?? '';
        for (const l of lines) this.onLine(l);
      }
    } finally {
      await fh.close();
    }
  }

  get done(): boolean {
    return this.fdb.all !== undefined;
  }

  /** Wait until all are in, or the deadline. */
  async run(deadline: number): Promise<void> {
    while (!this.done && Date.now() < deadline && this.child.exitCode === null) {
      await delay(200);
      await this.read();
    }
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** Entries of dev toward dst with the injected MAC prefix, from one `bridge fdb show` dump, and how long the dump took. */
export async function kernelFdbCount(ns: string, dev: string, dst: string, macPrefix: string): Promise<{ count: number; ms: number }> {
  const t = Date.now();
  const r = await exec(inNs(ns, ['bridge', 'fdb', 'show', 'dev', dev]), { timeoutMs: 60_000 });
  let count = 0;
  for (const line of r.stdout.split('\n')) if (line.startsWith(macPrefix) && line.includes(` dst ${dst}`)) count++;
  return { count, ms: Date.now() - t };
}
