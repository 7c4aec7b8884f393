// The daemon's TOML config, with gobgpd.conf and goplaned.conf key names
// (DESIGN.md "Operator surface"), validated by a schema: a bad file stops
// start-up with one line per problem naming the file, the key path, the
// value and what is expected.

import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import type { DataplaneConfig, PortConfig, VniConfig } from '../dataplane/dataplane-config.js';
import type { EvpnInstanceConfig } from '../control/evpn-instance.js';
import type { NeighborConfig, SpeakerConfig } from '../control/speaker.js';
import { isFamily } from '../control/afi-safi-family.js';
import type { Family } from '../control/route.js';
import { isMac } from '../wire/mac-address.js';

export interface VtepConfig {
  speaker: SpeakerConfig;
  dataplane: DataplaneConfig;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  apiSocket?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

const ipv4 = z.string().refine((s) => isIPv4(s), 'an IPv4 address');
const ip = z.string().refine((s) => isIPv4(s) || isIPv6(s), 'an IP address');
const port = z.number().int().min(1).max(65535);
const asn = z.number().int().min(1).max(4294967295);
const vniNumber = z.number().int().min(1).max(16777215);
const rd = z.string().regex(/^(\d+|\d+\.\d+\.\d+\.\d+):\d+$/, 'a route distinguisher like "65000:10" or "10.0.0.1:5"');
const rt = z.string().regex(/^(\*|\d+|\d+\.\d+\.\d+\.\d+):\d+$/, 'a route target like "65000:10" (import may use "*:10")');

const neighborSchema = z
  .object({
    config: z
      .object({
        'neighbor-address': ip,
        'peer-as': asn,
        'auth-password': z.string().min(1).optional(),
        description: z.string().optional(),
      })
      .strict(),
    timers: z
      .object({
        config: z
          .object({
            'connect-retry': z.number().int().min(1).max(65535).optional(),
            'hold-time': z.number().int().refine((h) => h === 0 || (h >= 3 && h <= 65535), '0 or 3..65535 (RFC 4271 §4.2)').optional(),
            'keepalive-interval': z.number().int().min(0).max(21845).optional(),
            'idle-hold-time-after-reset': z.number().int().min(0).max(3600).optional(),
          })
          .strict(),
      })
      .strict()
      .optional(),
    transport: z
      .object({
        config: z
          .object({
            'local-address': ip.optional(),
            'passive-mode': z.boolean().optional(),
            'remote-port': port.optional(),
          })
          .strict(),
      })
      .strict()
      .optional(),
    'route-reflector': z
      .object({ config: z.object({ 'route-reflector-client': z.boolean().optional(), 'route-reflector-cluster-id': ipv4.optional() }).strict() })
      .strict()
      .optional(),
    'graceful-restart': z
      .object({ config: z.object({ enabled: z.boolean().optional(), 'restart-time': z.number().int().min(1).max(4095).optional() }).strict() })
      .strict()
      .optional(),
    'ttl-security': z.object({ config: z.object({ enabled: z.boolean().optional() }).strict() }).strict().optional(),
    'afi-safis': z
      .array(
        z
          .object({
            config: z
              .object({ 'afi-safi-name': z.string().refine((s) => isFamily(s), 'l2vpn-evpn, ipv4-unicast or ipv6-unicast') })
              .strict(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

const vniSchema = z
  .object({
    vni: vniNumber,
    'vxlan-port': port.optional(),
    rd: rd.optional(),
    etag: z.number().int().min(0).max(4294967295).optional(),
    mode: z.enum(['evpn', 'static', 'multicast']).optional(),
    'member-interfaces': z.array(z.string().min(1).max(15)).optional(),
    'sniff-interfaces': z.array(z.string().min(1).max(15)).optional(),
    'vtep-interface': z.string().optional(),
    'tap-interfaces': z.array(z.string().min(1).max(15)).optional(),
    'vlan-members': z.array(z.object({ interface: z.string().min(1).max(15), vlan: z.number().int().min(1).max(4094) }).strict()).optional(),
    'flood-list': z.array(ipv4).optional(),
    'multicast-group': ipv4.refine((s) => Number(s.split('.')[0]) >= 224 && Number(s.split('.')[0]) <= 239, 'an IPv4 multicast group (224.0.0.0/4)').optional(),
    'import-route-targets': z.array(rt).optional(),
    'export-route-targets': z.array(rt.refine((s) => !s.startsWith('*'), 'a route target without "*"')).optional(),
    'arp-suppression': z.boolean().optional(),
    'max-entries': z.number().int().min(1).optional(),
    'static-macs': z.array(z.string().refine(isMac, 'a MAC address')).optional(),
  })
  .strict();

const fileSchema = z
  .object({
    global: z
      .object({
        config: z
          .object({
            as: asn,
            'router-id': ipv4,
            port: z.number().int().min(-1).max(65535).optional(),
            'local-address-list': z.array(ip).optional(),
          })
          .strict(),
      })
      .strict(),
    neighbors: z.array(neighborSchema).optional(),
    dataplane: z
      .object({
        type: z.literal('userspace', { message: 'type must be "userspace" (vxswitch is the dataplane)' }),
        'vtep-address': ipv4.optional(),
        'underlay-interface': z.string().min(1).max(15).optional(),
        'underlay-mtu': z.number().int().min(576).max(65535).optional(),
        'aging-time': z.number().int().min(0).max(1000000).optional(),
        'max-entries': z.number().int().min(1).max(16777216).optional(),
        'source-port-range': z.tuple([port, port]).optional(),
        'rx-mode': z.enum(['ring', 'recvmmsg']).optional(),
        'virtual-network-list': z.array(vniSchema).optional(),
      })
      .strict()
      .optional(),
    log: z.object({ level: z.enum(['debug', 'info', 'warn', 'error']).optional() }).strict().optional(),
    api: z.object({ socket: z.string().min(1).optional() }).strict().optional(),
  })
  .strict();

type FileShape = z.infer<typeof fileSchema>;

function keyPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

function valueAt(doc: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let v: unknown = doc;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** One line per schema problem: file: key: value: what is expected. */
function describeIssues(file: string, doc: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) lines.push(`${file}: ${keyPath([...issue.path, k])}: unknown key`);
      continue;
    }
    const at = keyPath(issue.path);
    const value = valueAt(doc, issue.path);
    const shown = value === undefined ? 'missing' : JSON.stringify(value);
    lines.push(`${file}: ${at === '' ? '(top level)' : at} = ${shown}: expected ${issue.message.replace(/^Invalid input: expected /, '')}`);
  }
  return lines;
}

/** Build the runtime config from a validated file, checking what spans keys. */
export function toVtepConfig(file: string, f: FileShape): VtepConfig {
  const problems: string[] = [];
  const g = f.global.config;
  const dp = f.dataplane;
  const vtep = dp?.['vtep-address'] ?? g['router-id'];
  const vnis: VniConfig[] = [];
  const instances: EvpnInstanceConfig[] = [];
  const seen = new Set<number>();
  (dp?.['virtual-network-list'] ?? []).forEach((v, i) => {
    const at = `dataplane.virtual-network-list[${i}]`;
    if (seen.has(v.vni)) problems.push(`${file}: ${at}.vni = ${v.vni}: expected a VNI not configured twice`);
    seen.add(v.vni);
    const mode = v.mode ?? 'evpn';
    if (mode === 'multicast' && v['multicast-group'] === undefined) problems.push(`${file}: ${at}.multicast-group = missing: expected a group for mode "multicast"`);
    const ports: PortConfig[] = [
      ...(v['member-interfaces'] ?? []).map((name): PortConfig => ({ name, kind: 'packet' })),
      ...(v['sniff-interfaces'] ?? []).map((name): PortConfig => ({ name, kind: 'packet' })),
      ...(v['tap-interfaces'] ?? []).map((name): PortConfig => ({ name, kind: 'tap' })),
      ...(v['vlan-members'] ?? []).map((m): PortConfig => ({ name: m.interface, kind: 'packet', vlan: m.vlan })),
    ];
    const vc: VniConfig = { vni: v.vni, mode, ports };
    if (v['vxlan-port'] !== undefined) vc.vxlanPort = v['vxlan-port'];
    if (v['flood-list'] !== undefined) vc.floodList = v['flood-list'];
    if (v['multicast-group'] !== undefined) vc.multicastGroup = v['multicast-group'];
    if (v['arp-suppression'] !== undefined) vc.arpSuppression = v['arp-suppression'];
    if (v['max-entries'] !== undefined) vc.maxEntries = v['max-entries'];
    vnis.push(vc);
    if (mode === 'evpn') {
      const ic: EvpnInstanceConfig = { vni: v.vni, vtep };
      if (v.rd !== undefined) ic.rd = v.rd;
      if (v.etag !== undefined) ic.etag = v.etag;
      if (v['import-route-targets'] !== undefined) ic.importRts = v['import-route-targets'];
      if (v['export-route-targets'] !== undefined) ic.exportRts = v['export-route-targets'];
      if (v['arp-suppression'] !== undefined) ic.arpSuppression = v['arp-suppression'];
      instances.push(ic);
    }
  });
  const addresses = new Set<string>();
  const neighbors: NeighborConfig[] = (f.neighbors ?? []).map((n, i) => {
    const at = `neighbors[${i}]`;
    const c = n.config;
    if (addresses.has(c['neighbor-address'])) problems.push(`${file}: ${at}.config.neighbor-address = "${c['neighbor-address']}": expected a neighbor not configured twice`);
    addresses.add(c['neighbor-address']);
    const families = (n['afi-safis'] ?? []).map((a) => a.config['afi-safi-name'] as Family);
    const out: NeighborConfig = { neighborAddress: c['neighbor-address'], peerAs: c['peer-as'] };
    if (families.length > 0) out.families = families;
    const t = n.timers?.config;
    if (t?.['hold-time'] !== undefined) out.holdTime = t['hold-time'];
    if (t?.['keepalive-interval'] !== undefined) out.keepaliveInterval = t['keepalive-interval'];
    if (t?.['connect-retry'] !== undefined) out.connectRetry = t['connect-retry'];
    if (t?.['idle-hold-time-after-reset'] !== undefined) out.idleHoldTime = t['idle-hold-time-after-reset'];
    const tr = n.transport?.config;
    if (tr?.['local-address'] !== undefined) out.localAddress = tr['local-address'];
    if (tr?.['passive-mode'] !== undefined) out.passive = tr['passive-mode'];
    if (tr?.['remote-port'] !== undefined) out.remotePort = tr['remote-port'];
    if (c['auth-password'] !== undefined) out.authPassword = c['auth-password'];
    if (n['ttl-security']?.config.enabled === true) out.ttlSecurity = true;
    const gr = n['graceful-restart']?.config;
    if (gr?.enabled === false) out.gracefulRestartTime = null;
    else if (gr?.['restart-time'] !== undefined) out.gracefulRestartTime = gr['restart-time'];
    if (n['route-reflector']?.config['route-reflector-client'] === true) out.routeReflectorClient = true;
    return out;
  });
  if (problems.length > 0) throw new ConfigError(problems);
  const speaker: SpeakerConfig = { asn: g.as, routerId: g['router-id'], vtep, neighbors, vnis: instances };
  if (g.port !== undefined) speaker.listenPort = g.port;
  const listen = g['local-address-list']?.[0];
  if (listen !== undefined) speaker.listenAddress = listen;
  const clusterId = f.neighbors?.find((n) => n['route-reflector']?.config['route-reflector-cluster-id'] !== undefined)?.['route-reflector']?.config[
    'route-reflector-cluster-id'
  ];
  if (clusterId !== undefined) speaker.clusterId = clusterId;
  const dataplane: DataplaneConfig = { vtepAddress: vtep, vnis };
  if (dp?.['underlay-interface'] !== undefined) dataplane.underlayInterface = dp['underlay-interface'];
  if (dp?.['underlay-mtu'] !== undefined) dataplane.underlayMtu = dp['underlay-mtu'];
  if (dp?.['aging-time'] !== undefined) dataplane.agingSeconds = dp['aging-time'];
  if (dp?.['max-entries'] !== undefined) dataplane.maxEntries = dp['max-entries'];
  if (dp?.['source-port-range'] !== undefined) dataplane.sourcePortRange = dp['source-port-range'];
  if (dp?.['rx-mode'] !== undefined) dataplane.rxMode = dp['rx-mode'];
  const out: VtepConfig = { speaker, dataplane, logLevel: f.log?.level ?? 'info' };
  if (f.api?.socket !== undefined) out.apiSocket = f.api.socket;
  return out;
}

/** Parse and validate TOML text; throws ConfigError listing every problem. */
export function parseConfig(file: string, text: string): VtepConfig {
  let doc: unknown;
  try {
    doc = parseToml(text);
  } catch (e) {
    const m = e as { message?: string; line?: number; column?: number };
    const where = m.line !== undefined ? `:${m.line}:${m.column ?? 0}` : '';
    throw new ConfigError([`${file}${where}: TOML syntax error: ${(m.message ?? String(e)).split('\n')[0]}`]);
  }
  const result = fileSchema.safeParse(doc);
  if (!result.success) throw new ConfigError(describeIssues(file, doc, result.error.issues));
  return toVtepConfig(file, result.data);
}

export async function loadConfig(file: string): Promise<VtepConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ConfigError([`${file}: cannot read the config file (${code === 'ENOENT' ? 'no such file' : (code ?? String(e))})`]);
  }
  return parseConfig(file, text);
}
