// `vxswitch neighbor`, `vxswitch global rib -a evpn`, `vxswitch fdb`,
// `vxswitch vni`: tables shaped like `gobgp neighbor`, `gobgp global rib -a
// evpn` and `bridge fdb show`, or --json; all read from the daemon's API.
import type { Command } from 'commander';
import { clientApiSocket } from '../daemon/api-socket-path.js';
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
  return cmd.optsWithGlobals<GlobalOpts>().apiSocket ?? clientApiSocket();
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

const pad = (s: string, n: number): string => s.padEnd(n);
const padLeft = (s: string, n: number): string => s.padStart(n);

/** gobgp 3.10's formatFsm (cmd/gobgp/neighbor.go): "Establ", "Sent", "Confirm", ... */
const GOBGP_STATE: Record<string, string> = {
  idle: 'Idle',
  connect: 'Connect',
  active: 'Active',
  opensent: 'Sent',
  openconfirm: 'Confirm',
  established: 'Establ',
};

/** IPv4 before IPv6, then numerically, as gobgp sorts its neighbor list. */
function addressOrder(a: string, b: string): number {
  const key = (s: string): string =>
    s.includes(':') ? `6${s}` : `4${s.split('.').map((o) => o.padStart(3, '0')).join('.')}`;
  return key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0;
}

/**
 * `gobgp neighbor`'s table (showNeighbors in gobgp 3.10): Peer left-aligned
 * to the longest address, AS and Up/Down right-aligned, State in 11
 * columns, then "|%9s %9s" for #Received and Accepted.
 */
export function neighborTable(list: NeighborStatus[]): string {
  const sorted = [...list].sort((x, y) => addressOrder(x.address, y.address));
  // gobgp shows the time since the session went up (Established) or down;
  // "never" for a peer that never came up.
  const times = sorted.map((n) => (n.state.toLowerCase() === 'established' || n.lastDown !== null ? duration(n.since) : 'never'));
  const wAddr = Math.max(0, ...sorted.map((n) => n.address.length));
  const wAs = Math.max(2, ...sorted.map((n) => String(n.peerAs).length));
  const wTime = Math.max('Up/Down'.length, ...times.map((t) => t.length));
  const line = (peer: string, as: string, time: string, state: string, rcvd: string, acc: string): string =>
    `${pad(peer, wAddr)} ${padLeft(as, wAs)} ${padLeft(time, wTime)} ${pad(state, 11)} |${padLeft(rcvd, 9)} ${padLeft(acc, 9)}\n`;
  let out = line('Peer', 'AS', 'Up/Down', 'State', '#Received', 'Accepted');
  sorted.forEach((n, i) => {
    const state = GOBGP_STATE[n.state.toLowerCase()] ?? n.state;
    out += line(n.address, String(n.peerAs), times[i]!, state, String(n.received), String(n.accepted));
  });
  return out + prefixLimitLines(sorted);
}

/** Below gobgp's table (its columns stay gobgp's): each max-prefixes with the count held, and dynamic neighbors' ranges. */
function prefixLimitLines(list: readonly NeighborStatus[]): string {
  let out = '';
  for (const n of list) {
    for (const l of n.prefixLimits ?? []) {
      const warn = l.warningThreshold === null ? 'no warning' : `warning above ${l.warningThreshold}`;
      out += `${n.address} ${l.family}: ${l.received} of max-prefixes ${l.maxPrefixes} (${warn}; exceeded ${l.exceeded} time(s))\n`;
    }
    if (n.dynamicRange) out += `${n.address}: dynamic neighbor (${n.dynamicRange})\n`;
  }
  return out;
}

/**
 * `gobgp global rib -a evpn`'s table (showRoute in gobgp 3.10): a 3-wide
 * best-path mark, then Network, Labels, Next Hop and AS_PATH each padded
 * to its longest value (at least 20, 10, 20, 20), Age in 10, Attrs.
 */
export function ribTable(routes: RouteView[]): string {
  if (routes.length === 0) return 'Network not in table\n';
  const evpn = routes.some((r) => r.family === 'l2vpn-evpn');
  const wNet = Math.max(20, ...routes.map((r) => r.nlri.length));
  const wLabel = Math.max(10, ...routes.map((r) => r.labels.length));
  const wHop = Math.max(20, ...routes.map((r) => r.nextHop.length));
  const wPath = Math.max(20, ...routes.map((r) => r.asPath.length));
  const line = (mark: string, net: string, label: string, hop: string, path: string, age: string, attrs: string): string =>
    `${pad(mark, 3)}${pad(net, wNet)} ${evpn ? `${pad(label, wLabel)} ` : ''}${pad(hop, wHop)} ${pad(path, wPath)} ${pad(age, 10)} ${attrs}\n`;
  let out = line('', 'Network', 'Labels', 'Next Hop', 'AS_PATH', 'Age', 'Attrs');
  for (const r of routes) {
    // gobgp: "S" for stale, then "*>" for the best path, "* " otherwise.
    const mark = `${r.stale ? 'S' : ''}${r.best ? '*>' : '* '}`;
    out += line(mark, r.nlri, r.labels, r.nextHop, r.asPath, duration(r.age), r.gobgpAttrs);
  }
  return out;
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
