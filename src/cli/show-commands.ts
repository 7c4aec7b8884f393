// `vxswitch neighbor`, `vxswitch global rib -a evpn`, `vxswitch fdb`,
// `vxswitch vni`: tables shaped like `gobgp neighbor`, `gobgp global rib -a
// evpn` and `bridge fdb show`, or --json; all read from the daemon's API.
import type { Command } from 'commander';
import { DEFAULT_API_SOCKET } from '../daemon/api-socket-path.js';
import type { RouteView } from '../daemon/route-view.js';
import type { NeighborStatus } from '../control/speaker.js';
import type { DataplaneFdbEntry } from '../dataplane/dataplane.js';
import { apiCall } from './api-client.js';
import { CliError } from './cli-error.js';

interface GlobalOpts {
  apiSocket?: string;
  json?: boolean;
}

function socketOf(cmd: Command): string {
  return cmd.optsWithGlobals<GlobalOpts>().apiSocket ?? DEFAULT_API_SOCKET;
}

function print(json: boolean | undefined, value: unknown, text: () => string): void {
  process.stdout.write(json === true ? `${JSON.stringify(value, null, 2)}\n` : text());
}

/** gobgp's Up/Down and Age form: "00:01:23", "1d 02:03:04". */
export function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  const hms = [h, m, s].map((n) => String(n).padStart(2, '0')).join(':');
  return d > 0 ? `${d}d ${hms}` : hms;
}

function columns(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join(' ').trimEnd()).join('\n') + '\n';
}

const STATE_SHORT: Record<string, string> = { established: 'Establ', idle: 'Idle', connect: 'Connect', active: 'Active', opensent: 'OpenSent', openconfirm: 'OpenConf' };

export function neighborTable(list: NeighborStatus[]): string {
  const rows = [['Peer', 'AS', 'Up/Down', 'State', '|#Received', 'Accepted']];
  for (const n of list) {
    const state = STATE_SHORT[n.state.toLowerCase()] ?? n.state;
    rows.push([n.address, String(n.peerAs), n.state.toLowerCase() === 'established' ? duration(n.since) : 'never', state, `|${String(n.received).padStart(9)}`, String(n.accepted).padStart(8)]);
  }
  return columns(rows);
}

export function ribTable(routes: RouteView[]): string {
  const rows = [['   Network', 'Labels', 'Next Hop', 'AS_PATH', 'Age', 'Attrs']];
  for (const r of routes) {
    const attrs: string[] = [`{Origin: ${r.origin === 'igp' ? 'i' : r.origin === 'egp' ? 'e' : '?'}}`];
    if (r.localPref !== undefined) attrs.push(`{LocalPref: ${r.localPref}}`);
    if (r.med !== undefined) attrs.push(`{Med: ${r.med}}`);
    if (r.extendedCommunitiesGobgp.length > 0) attrs.push(`{Extcomms: ${r.extendedCommunitiesGobgp.map((c) => `[${c}]`).join(', ')}}`);
    if (r.pmsi !== undefined) attrs.push(`{Pmsi: type: ${r.pmsi.tunnelType === 6 ? 'ingress-repl' : r.pmsi.tunnelType}, label: ${r.pmsi.label}, tunnel-id: ${r.pmsi.tunnelId}}`);
    if (r.originatorId !== undefined) attrs.push(`{Originator: ${r.originatorId}}`);
    if (r.clusterList !== undefined) attrs.push(`{ClusterList: [${r.clusterList.join(', ')}]}`);
    rows.push([`${r.best ? '*>' : '* '} ${r.nlri}`, r.labels, r.peer === null ? '0.0.0.0' : r.nextHop, r.asPath, duration(r.age), `[${attrs.join(' ')}]`]);
  }
  return rows.length === 1 ? 'Network not in table\n' : columns(rows);
}

export function fdbTable(entries: DataplaneFdbEntry[]): string {
  const lines = entries.map((e) => {
    const flags = e.origin === 'control' ? ' extern_learn' : e.origin === 'static' ? ' static' : '';
    return e.kind === 'local'
      ? `${e.mac} dev ${e.port ?? '?'} vni ${e.vni}${flags}${e.origin === 'learned' ? ` age ${e.age}` : ''}`
      : `${e.mac} dst ${e.vtep ?? '?'} vni ${e.vni} self${flags}${e.origin === 'learned' ? ` age ${e.age}` : ''}`;
  });
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

export function registerShowCommands(program: Command): void {
  program
    .command('neighbor')
    .description('BGP neighbors, like `gobgp neighbor`')
    .argument('[address]', 'one neighbor')
    .option('--json', 'JSON instead of a table')
    .action(async (address: string | undefined, opts: GlobalOpts, cmd: Command) => {
      let list = await apiCall<NeighborStatus[]>(socketOf(cmd), 'neighbors');
      if (address !== undefined) {
        list = list.filter((n) => n.address === address);
        if (list.length === 0) throw new CliError(`no neighbor ${address}`);
      }
      print(opts.json, address !== undefined ? list[0] : list, () => neighborTable(list));
    });

  const global = program.command('global').description('the global RIB');
  global
    .command('rib')
    .description('Loc-RIB routes, like `gobgp global rib -a evpn`')
    .option('-a, --address-family <family>', 'evpn, ipv4 or ipv6', 'evpn')
    .option('--json', 'JSON instead of a table')
    .action(async (opts: GlobalOpts & { addressFamily: string }, cmd: Command) => {
      const family = { evpn: 'l2vpn-evpn', ipv4: 'ipv4-unicast', ipv6: 'ipv6-unicast' }[opts.addressFamily] ?? opts.addressFamily;
      const routes = await apiCall<RouteView[]>(socketOf(cmd), 'rib', { family });
      print(opts.json, routes, () => ribTable(routes));
    });

  program
    .command('fdb')
    .description('MAC table, like `bridge fdb show`')
    .option('--vni <vni>', 'only this VNI', (v) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 1 || n > 16777215) throw new CliError(`--vni ${v}: expected 1..16777215`);
      return n;
    })
    .option('--json', 'JSON instead of text')
    .action(async (opts: GlobalOpts & { vni?: number }, cmd: Command) => {
      const entries = await apiCall<DataplaneFdbEntry[]>(socketOf(cmd), 'fdb', opts.vni !== undefined ? { vni: opts.vni } : {});
      print(opts.json, entries, () => fdbTable(entries));
    });

  program
    .command('vni')
    .description('VNIs: mode, RD, route targets, flood list, ports')
    .option('--json', 'JSON instead of a table')
    .action(async (opts: GlobalOpts, cmd: Command) => {
      const vnis = await apiCall<Array<{ vni: number; mode: string; vxlanPort: number; rd: string | null; importRts: string[]; exportRts: string[]; floodList: string[]; ports: string[]; macs: number }>>(socketOf(cmd), 'vnis');
      print(opts.json, vnis, () =>
        columns([
          ['VNI', 'Mode', 'Port', 'RD', 'Import RT', 'Export RT', 'MACs', 'Ports', 'Flood list'],
          ...vnis.map((v) => [String(v.vni), v.mode, String(v.vxlanPort), v.rd ?? '-', v.importRts.join(',') || '-', v.exportRts.join(',') || '-', String(v.macs), v.ports.join(',') || '-', v.floodList.join(',') || '-']),
        ]),
      );
    });
}
