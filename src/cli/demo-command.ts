// `vxswitch demo [--keep | --down]` (`npm run demo`): the goplane demo
// topology in network namespaces — three vxswitch VTEPs peering over BGP EVPN
// (eBGP, AS 65001..65003; no kernel vxlan device anywhere), tenant VNI 10
// (h1..h3) and tenant VNI 20 (j1..j3) with the same IP and MAC pairs — then
// pings across both tenants, prints the loss per tenant and vx1's
// `neighbor`, `global rib -a evpn` and `fdb`, and tears everything down,
// also on failure and on Ctrl-C / SIGTERM. Exit 0 only with 0% loss in both
// tenants. --keep leaves it up; --down removes a kept one.
import type { Command } from 'commander';
import { fileURLToPath } from 'node:url';
import { CliError } from './cli-error.js';
import { DemoLab, TCP_SECONDS, demoNamespaces, teardown, type TenantResult } from './demo/lab.js';
import { RUN_DIR, SWITCHES, TENANTS, apiSocket, hostIp, hostName, hostNs, logPath, switchAs, switchNs, underlayIp } from './demo/plan.js';
import { StoppedError } from './demo/runner.js';

interface DemoOptions {
  keep?: boolean;
  down?: boolean;
}

/** bin/vxswitch.js, from dist/src/cli/. */
const BIN = fileURLToPath(new URL('../../../bin/vxswitch.js', import.meta.url));
/** Sessions up and flood lists complete: a few seconds normally. */
const UP_TIMEOUT_MS = 20_000;

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('the goplane demo in network namespaces: 3 VTEPs over BGP EVPN, 2 tenants with the same IPs and MACs, pings, tables (root)')
    .option('--keep', 'leave the topology up and print how to reach it')
    .option('--down', 'tear down a demo left up by --keep')
    .action(async (opts: DemoOptions) => {
      if (process.getuid?.() !== 0) {
        throw new CliError('demo needs root (network namespaces, veth pairs, AF_PACKET sockets): run it as root, e.g. sudo npm run demo');
      }
      if (opts.down === true) return down();
      await demo(opts.keep === true);
    });
}

const out = (s = ''): void => {
  process.stdout.write(`${s}\n`);
};

async function down(): Promise<void> {
  const r = await teardown();
  if (r.namespaces.length === 0 && r.processes === 0) out('vxswitch demo: nothing to tear down');
  else out(`vxswitch demo: stopped ${r.processes} process(es), removed ${r.namespaces.length} namespaces (${r.namespaces.join(' ')}) and ${RUN_DIR}`);
}

async function demo(keep: boolean): Promise<void> {
  const leftovers = await demoNamespaces();
  if (leftovers.length > 0) {
    throw new CliError(`a demo is already up (namespaces ${leftovers.join(' ')}): tear it down first with: vxswitch demo --down`);
  }
  const t0 = Date.now();
  const lab = new DemoLab(BIN);
  let signalled: NodeJS.Signals | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    if (signalled !== undefined) return;
    signalled = sig;
    process.stderr.write(`\nvxswitch demo: ${sig}, tearing down\n`);
    // Kills what is in flight; the step waiting on it throws StoppedError
    // and the finally below removes everything.
    void lab.runner.stop();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let keptUp = false;
  let failed = false;
  let results: TenantResult[] = [];
  try {
    out(`vxswitch demo: building the goplane topology (namespaces ${switchNs(1)}..3, hosts ${hostNs(TENANTS[0]!, 1)}..3 and ${hostNs(TENANTS[1]!, 1)}..3)`);
    await lab.build();
    await lab.startSwitches();
    out(`vxswitch demo: started vx1..vx3 (AS ${switchAs(1)}..${switchAs(3)}, VTEPs ${underlayIp(1)}..${underlayIp(3)}), waiting for BGP EVPN`);
    const upMs = await lab.waitUp(UP_TIMEOUT_MS);
    out(`vxswitch demo: eBGP full mesh Established, flood lists complete (${(upMs / 1000).toFixed(1)} s)`);
    results = await lab.pingTenants();
    out();
    out('== ping: every host to every other host of its tenant (3 packets each) ==');
    for (const r of results) out(summaryLine(r));
    for (const r of results) {
      for (const p of r.pairs.filter((x) => x.received !== x.transmitted)) out(`  lost: ${p.from} -> ${p.to} ${p.received}/${p.transmitted} replies`);
    }
    out();
    out(`== TCP: iperf3 ${TCP_SECONDS} s in tenant VNI ${TENANTS[0]!.vni}, hosts at their default offloads (checksum offload, TSO, GSO on) ==`);
    const tcp = await lab.tcp(TENANTS[0]!);
    out(`${tcp.from} -> ${tcp.to}: ${(tcp.bitsPerSecond / 1e6).toFixed(0)} Mbit/s, ${tcp.retransmits} retransmits`);
    if (tcp.bitsPerSecond <= 0) throw new Error(`TCP ${tcp.from} -> ${tcp.to} transferred nothing`);
    for (const [title, args] of [
      ['vxswitch neighbor', ['neighbor']],
      ['vxswitch global rib -a evpn', ['global', 'rib', '-a', 'evpn']],
      ['vxswitch fdb', ['fdb']],
    ] as const) {
      out();
      out(`== vx1: ${title} ==  (vxswitch --api-socket ${apiSocket(1)} ${args.join(' ')})`);
      process.stdout.write(await lab.cli(1, ...args));
    }
    out();
    if (keep && signalled === undefined) {
      keptUp = true;
      printKeep();
    }
  } catch (e) {
    if (!(e instanceof StoppedError) && signalled === undefined) {
      failed = true;
      // Before the teardown: it removes the logs with RUN_DIR.
      process.stderr.write(`vxswitch demo: failed: ${(e as Error).message}\n`);
      for (const n of SWITCHES) {
        const tail = await lab.logTail(n, 8);
        if (tail !== '') process.stderr.write(`--- vx${n}: last lines of ${logPath(n)} ---\n${tail}\n`);
      }
    }
  } finally {
    if (!keptUp) {
      await lab.runner.stop();
      const r = await teardown();
      out(`vxswitch demo: torn down (${r.processes} processes stopped, ${r.namespaces.length} namespaces and ${RUN_DIR} removed) after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    // Only now: a second Ctrl-C during the teardown must not cut it short.
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (signalled !== undefined) throw new CliError(`interrupted by ${signalled} (everything torn down)`, signalled === 'SIGINT' ? 130 : 143);
  if (failed) throw new CliError('demo failed (everything torn down)');
  const lossy = results.filter((r) => r.received !== r.transmitted);
  if (lossy.length > 0) throw new CliError(`loss in ${lossy.map((r) => `tenant VNI ${r.tenant.vni}`).join(' and ')}`);
}

function summaryLine(r: TenantResult): string {
  const lost = r.transmitted - r.received;
  const pct = r.transmitted === 0 ? 100 : (100 * lost) / r.transmitted;
  const hosts = SWITCHES.map((n) => hostName(r.tenant, n)).join(' ');
  return `tenant VNI ${r.tenant.vni} (${hosts}): ${r.pairs.length} pairs, ${r.received}/${r.transmitted} replies, ${Number(pct.toFixed(1))}% loss`;
}

function printKeep(): void {
  out('== left up (--keep) ==');
  for (const t of TENANTS) {
    out(`tenant VNI ${t.vni}:`);
    for (const n of SWITCHES) {
      const other = SWITCHES.find((m) => m !== n)!;
      out(`  ${hostName(t, n)} ${hostIp(n)} behind vx${n}: ip netns exec ${hostNs(t, n)} ping ${hostIp(other)}`);
    }
  }
  out('switches (the CLI talks to each over its API socket):');
  for (const n of SWITCHES) {
    out(`  vx${n} AS ${switchAs(n)} ${underlayIp(n)} in ${switchNs(n)}: vxswitch --api-socket ${apiSocket(n)} neighbor   (log: ${logPath(n)})`);
  }
  out('tear it down: vxswitch demo --down   (or: node bin/vxswitch.js demo --down)');
}
