// The daemon's TOML config, with gobgpd.conf and goplaned.conf key names
// (DESIGN.md "Operator surface"), validated by a schema: a bad file stops
// start-up with one line per problem naming the file, the key path, the
// value and what is expected.

import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import type { DataplaneConfig, PortConfig, VniConfig } from '../dataplane/dataplane-config.js';
import { MAX_WORKERS } from '../dataplane/dataplane-config.js';
import type { EvpnInstanceConfig } from '../control/evpn-instance.js';
import type { DynamicNeighborRange, NeighborConfig, SpeakerConfig } from '../control/speaker.js';
import type { PrefixLimit } from '../control/prefix-limit.js';
import { isFamily } from '../control/afi-safi-family.js';
import type { Family } from '../control/route.js';
import { isMac } from '../wire/mac-address.js';
import { parseListenAddress } from './listen-address.js';
import { parseRd } from '../wire/route-distinguisher.js';
import { parseRtMatcher } from '../control/route-target-match.js';
import { crossKeyProblems, dryRunProblems } from './config-cross-checks.js';

export interface VtepConfig {
  speaker: SpeakerConfig;
  dataplane: DataplaneConfig;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  apiSocket?: string;
  /** [metrics] listen: Prometheus text at http://host:port/metrics (absent: no listener). */
  metricsListen?: string;
  /** [log] drop-summary-interval: seconds between the "dropped N frames" log lines (default 60). */
  dropSummarySeconds?: number;
  /** [api] socket-group: the group (name or number) that may use the API socket (default: the daemon's own group). */
  apiSocketGroup?: string;
  /** [api] client-buffer: bytes of unread responses a client may hold before it is dropped (default 16 MiB). */
  apiClientBuffer?: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** An integer in lo..hi; every failure (wrong type, missing, fraction, range) says the same thing. */
const intRange = (lo: number, hi: number, what: string) =>
  z.number({ error: what }).int({ error: what }).min(lo, { error: what }).max(hi, { error: what });
const ipv4 = z.string({ error: 'an IPv4 address' }).refine((s) => isIPv4(s), 'an IPv4 address');
const ip = z.string({ error: 'an IP address' }).refine((s) => isIPv4(s) || isIPv6(s), 'an IP address');
const port = intRange(1, 65535, 'a UDP/TCP port 1..65535');
const asn = intRange(1, 4294967295, 'an AS number 1..4294967295');
// RFC 7348 §5: the VNI is 24 bits; 0 is not used.
const vniNumber = intRange(1, 16777215, 'a VNI 1..16777215 (24 bits)');
/**
 * A value the add at runtime parses again (EvpnInstance, the speaker): the
 * schema runs the same parser, so a reload never removes an entry only to
 * fail adding it back (issue 9 item 13). Two expected-texts: one for the
 * wrong form, one for the right form out of range.
 */
const parsedBy = (form: RegExp, formText: string, parse: (s: string) => unknown, rangeText: string) =>
  z.string({ error: formText }).superRefine((s, ctx) => {
    if (!form.test(s)) {
      ctx.addIssue({ code: 'custom', message: formText, input: s });
      return;
    }
    try {
      parse(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: rangeText, input: s });
    }
  });
const RD_FORMS = 'ASN:NN with ASN <= 65535 and NN < 2^32, IPv4:NN or 4-byte-ASN:NN with NN <= 65535';
const rd = parsedBy(
  /^(\d+|\d+\.\d+\.\d+\.\d+|\d+\.\d+):\d+$/,
  'a route distinguisher like "65000:10" or "10.0.0.1:5"',
  parseRd,
  `a route distinguisher in range (${RD_FORMS}; RFC 4364 §4.2)`,
);
/**
 * A gobgpd / goplane key vxswitch cannot honour: present means an error
 * naming what to do instead, never a silently ignored setting.
 */
const unsupported = (what: string) => z.unknown().refine(() => false, what).optional();
const ifname = z.string().regex(/^[^\s/]{1,15}$/, 'an interface name (1..15 characters, no "/" or spaces)');
const rt = parsedBy(
  /^(\*|\d+|\d+\.\d+\.\d+\.\d+|\d+\.\d+):\d+$/,
  'a route target like "65000:10" (import may use "*:10")',
  parseRtMatcher,
  `a route target in range (${RD_FORMS}; "*:NN" with NN < 2^32; RFC 4360 §4)`,
);
/** RFC 2385 keys are at most TCP_MD5SIG_MAXKEYLEN (80) bytes on Linux (include/uapi/linux/tcp.h). */
const md5Password = z
  .string({ error: 'a password of 1..80 bytes' })
  .min(1, { error: 'a password of 1..80 bytes' })
  .refine((s) => Buffer.byteLength(s, 'utf8') <= 80, 'a password of 1..80 bytes (TCP_MD5SIG_MAXKEYLEN; UTF-8 counts bytes)');
/** A per-VNI or global FDB bound: the table holds at most 2^24 entries (fdb.ts). */
const fdbLimit = intRange(1, 16777216, 'an entry count 1..16777216');

// ---- peer limits (issue 9): prefix-limit per family, dynamic neighbors by prefix.
// GoBGP's keys ([neighbors.afi-safis.prefix-limit.config], [[peer-groups]],
// [[dynamic-neighbors]]); OpenConfig's prevent-teardown is FRR's warning-only.
const prefixLimitSchema = z
  .object({
    config: z
      .object({
        'max-prefixes': intRange(1, 4294967295, 'a number of routes 1..4294967295'),
        'shutdown-threshold-pct': intRange(0, 100, 'a percentage 0..100 of max-prefixes (0: no warning)').optional(),
        'restart-timer': intRange(0, 65535, 'seconds 0..65535 (0: stay down)').optional(),
        'prevent-teardown': z.boolean().optional(),
      })
      .strict(),
  })
  .strict();
const ipPrefix = z.string({ error: 'an IP prefix like "10.0.0.0/24" or "2001:db8::/64"' }).refine((s) => {
  const [net, len, more] = s.split('/');
  if (net === undefined || len === undefined || more !== undefined || !/^\d{1,3}$/.test(len)) return false;
  return (isIPv4(net) && Number(len) <= 32) || (isIPv6(net) && Number(len) <= 128);
}, 'an IP prefix like "10.0.0.0/24" or "2001:db8::/64"');
const dynamicNeighborSchema = z
  .object({
    config: z
      .object({
        prefix: ipPrefix,
        'peer-group': z.string().min(1),
        'max-neighbors': intRange(1, 65535, 'a number of neighbors 1..65535 (default 100)').optional(),
      })
      .strict(),
  })
  .strict();

type PrefixLimitShape = z.infer<typeof prefixLimitSchema>;

function prefixLimitOf(p: PrefixLimitShape): PrefixLimit {
  const c = p.config;
  const out: PrefixLimit = { maxPrefixes: c['max-prefixes'] };
  if (c['shutdown-threshold-pct'] !== undefined) out.warningThresholdPct = c['shutdown-threshold-pct'];
  if (c['restart-timer'] !== undefined) out.restartTimer = c['restart-timer'];
  if (c['prevent-teardown'] !== undefined) out.preventTeardown = c['prevent-teardown'];
  return out;
}

/** afi-safis entries with a prefix-limit, as NeighborConfig.prefixLimits (undefined: none). */
function prefixLimitsOf(afiSafis: ReadonlyArray<{ config: { 'afi-safi-name': string }; 'prefix-limit'?: PrefixLimitShape | undefined }> | undefined): NeighborConfig['prefixLimits'] {
  const out: Partial<Record<Family, PrefixLimit>> = {};
  let any = false;
  for (const a of afiSafis ?? []) {
    if (a['prefix-limit'] === undefined) continue;
    out[a.config['afi-safi-name'] as Family] = prefixLimitOf(a['prefix-limit']);
    any = true;
  }
  return any ? out : undefined;
}
// ---- end of peer limits

const neighborSchema = z
  .object({
    config: z
      .object({
        'neighbor-address': ip,
        'peer-as': asn,
        // gobgpd.conf as goplane's demo writes it: local-as repeats global as.
        'local-as': asn.optional(),
        'neighbor-interface': unsupported('neighbor-address (BGP unnumbered peering over an interface is not supported)'),
        'peer-type': z.enum(['internal', 'external']).optional(),
        'auth-password': md5Password.optional(),
        description: z.string().optional(),
      })
      .strict(),
    timers: z
      .object({
        config: z
          .object({
            'connect-retry': z.number().int().min(1).max(65535).optional(),
            'hold-time': z.number().int().refine((h) => h === 0 || (h >= 3 && h <= 65535), '0 or 3..65535 (RFC 4271 §4.2)').optional(),
            // validatePeerConfig (bgp-peer.ts) takes 1..65535; 0 would pass here and fail on the add.
            'keepalive-interval': intRange(1, 21845, 'seconds 1..21845 (at most hold-time / 3, RFC 4271 §10)').optional(),
            'idle-hold-time-after-reset': z.number().int().min(0).max(3600).optional(),
            // RFC 9687: 0 = off; default max(480, 2 × hold time).
            'send-hold-time': z.number().int().min(0).max(65535).optional(),
            'route-refresh-interval': z.number().int().min(0).max(3600).optional(),
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
    'route-server': unsupported('no route-server section (vxswitch is not a route server; use route-reflector)'),
    'ttl-security': z.object({ config: z.object({ enabled: z.boolean().optional() }).strict() }).strict().optional(),
    'afi-safis': z
      .array(
        z
          .object({
            config: z
              .object({ 'afi-safi-name': z.string().refine((s) => isFamily(s), 'l2vpn-evpn, ipv4-unicast or ipv6-unicast') })
              .strict(),
            'prefix-limit': prefixLimitSchema.optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

const peerGroupSchema = z
  .object({
    config: z.object({ 'peer-group-name': z.string().min(1), 'peer-as': asn, description: z.string().optional() }).strict(),
    timers: neighborSchema.shape.timers,
    'afi-safis': neighborSchema.shape['afi-safis'],
    'route-reflector': z.object({ config: z.object({ 'route-reflector-client': z.boolean().optional() }).strict() }).strict().optional(),
  })
  .strict();

const vniSchema = z
  .object({
    vni: vniNumber,
    'vxlan-port': port.optional(),
    rd: rd.optional(),
    etag: z.number().int().min(0).max(4294967295).optional(),
    mode: z.enum(['evpn', 'static', 'multicast']).optional(),
    'member-interfaces': z.array(ifname).optional(),
    'sniff-interfaces': z.array(ifname).optional(),
    'vtep-interface': ifname.optional(),
    'tap-interfaces': z.array(ifname).optional(),
    'vlan-members': z.array(z.object({ interface: ifname, vlan: intRange(1, 4094, 'a VLAN ID 1..4094 (IEEE 802.1Q)') }).strict()).optional(),
    'flood-list': z.array(ip).optional(),
    'multicast-group': ipv4.refine((s) => Number(s.split('.')[0]) >= 224 && Number(s.split('.')[0]) <= 239, 'an IPv4 multicast group (224.0.0.0/4)').optional(),
    'import-route-targets': z.array(rt).optional(),
    'export-route-targets': z.array(rt.refine((s) => !s.startsWith('*'), 'a route target without "*"')).optional(),
    'arp-suppression': z.boolean().optional(),
    'max-entries': fdbLimit.optional(),
    // VLAN-tagged frames on this VNI's untagged ports (and second tags on its vlan-members): dropped by default.
    'tagged-frames': z.enum(['drop', 'pass']).optional(),
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
        // goplane's demo turns this on; an EVPN MAC lives behind one VTEP, so
        // one best path per route is what forwarding uses either way.
        'use-multiple-paths': z.object({ config: z.object({ enabled: z.boolean().optional() }).strict() }).strict().optional(),
      })
      .strict(),
    neighbors: z.array(neighborSchema).optional(),
    'peer-groups': z.array(peerGroupSchema).optional(),
    'dynamic-neighbors': z.array(dynamicNeighborSchema).optional(),
    dataplane: z
      .object({
        type: z.literal('userspace', { message: '"userspace" (vxswitch is the dataplane; goplane\'s "netlink" does not apply)' }),
        // IPv4 or IPv6: the underlay's family (a flood list must match it).
        'vtep-address': ip.optional(),
        'underlay-interface': z.string().min(1).max(15).optional(),
        'underlay-mtu': z.number().int().min(576).max(65535).optional(),
        'aging-time': z.number().int().min(0).max(1000000).optional(),
        'max-entries': fdbLimit.optional(),
        // FDB shares (docs/fdb-limits.md): a VNI's default share of learned
        // entries, the room kept for EVPN/static entries, the per-port learning rate.
        'max-entries-per-vni': z.number().int().min(0).max(16777216).optional(),
        'control-reserve': z.number().int().min(0).max(16777215).optional(),
        'learn-rate': z.number().int().min(0).max(16777216).optional(),
        'learn-burst': z.number().int().min(0).max(16777216).optional(),
        'source-port-range': z
          .tuple([port, port])
          .refine(([lo, hi]) => lo <= hi, 'a range [low, high] with low <= high (RFC 7348 §5 suggests [49152, 65535])')
          .optional(),
        'rx-mode': z.enum(['ring', 'recvmmsg']).optional(),
        'underlay-sender': z.enum(['af-xdp', 'tx-ring', 'socket']).optional(),
        // Forwarding threads (docs/workers.md): 1 = the main thread alone, N > 1 = N workers (the main thread forwards none); default 1.
        workers: intRange(1, MAX_WORKERS, `a number of forwarding threads 1..${MAX_WORKERS}`).optional(),
        'virtual-network-list': z.array(vniSchema).optional(),
      })
      .strict()
      .optional(),
    log: z
      .object({
        level: z.enum(['debug', 'info', 'warn', 'error']).optional(),
        'drop-summary-interval': z.number().int().min(1).max(86400).optional(),
      })
      .strict()
      .optional(),
    api: z
      .object({
        socket: z.string().min(1).optional(),
        'socket-group': z.union([z.string().regex(/^[a-z_][a-z0-9_-]*\$?$/i, 'a group name or number'), intRange(0, 4294967294, 'a group name or number')]).optional(),
        'client-buffer': intRange(65536, 1 << 30, 'bytes 65536..1073741824').optional(),
      })
      .strict()
      .optional(),
    metrics: z
      .object({ listen: z.string().refine((s) => parseListenAddress(s) !== null, 'host:port with an IP host, e.g. "127.0.0.1:9273" or "[::1]:9273"') })
      .strict()
      .optional(),
  })
  .strict();

export type FileShape = z.infer<typeof fileSchema>;

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

/** The keys the schema knows for the table at `path` (array indexes and wrappers looked through). */
function knownKeys(schema: z.core.$ZodType, path: ReadonlyArray<PropertyKey>): string[] {
  let t: z.core.$ZodType | undefined = schema;
  let i = 0;
  while (t !== undefined) {
    const def = t._zod.def as { type: string; innerType?: z.core.$ZodType; element?: z.core.$ZodType; shape?: Record<string, z.core.$ZodType>; in?: z.core.$ZodType };
    if (def.type === 'optional' || def.type === 'nullable' || def.type === 'default') t = def.innerType;
    else if (def.type === 'pipe') t = def.in;
    else if (def.type === 'array') {
      t = def.element;
      if (typeof path[i] === 'number') i++;
    } else if (def.type === 'object' && def.shape !== undefined) {
      if (i === path.length) return Object.keys(def.shape);
      t = def.shape[String(path[i++])];
    } else return [];
  }
  return [];
}

/** Levenshtein distance, for did-you-mean on unknown keys. */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest known key, if it is close enough to be a typo (or a British spelling). */
export function didYouMean(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k);
    if (d < bestD) [best, bestD] = [k, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Which file a key path came from (several -f files are merged). */
export type OriginOf = (path: ReadonlyArray<PropertyKey>) => string;

/** One line per schema problem: file: key: value: what is expected. */
function describeIssues(origin: OriginOf, doc: unknown, issues: readonly z.core.$ZodIssue[]): string[] {
  const lines: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeys(fileSchema, issue.path);
      for (const k of issue.keys) {
        const near = didYouMean(k, known);
        lines.push(`${origin([...issue.path, k])}: ${keyPath([...issue.path, k])}: unknown key${near !== undefined ? `; did you mean "${near}"?` : ''}`);
      }
      continue;
    }
    const at = keyPath(issue.path);
    const value = valueAt(doc, issue.path);
    // A password is never echoed into a log or a terminal.
    const secret = issue.path[issue.path.length - 1] === 'auth-password' && value !== undefined;
    const shown = value === undefined ? 'missing' : secret ? '"…"' : JSON.stringify(value);
    // zod words an enum's refusal "Invalid option: expected one of ..."; the line already says "expected".
    const what = issue.code === 'invalid_value' && issue.message.startsWith('Invalid option') ? `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` : issue.message.replace(/^Invalid input: expected /, '');
    lines.push(`${origin(issue.path)}: ${at === '' ? '(top level)' : at} = ${shown}: expected ${what}`);
  }
  return lines;
}

export interface ParseOptions {
  /**
   * Does a member / sniff interface exist? Default: /sys/class/net/NAME in
   * the current network namespace (the daemon runs inside the one it serves).
   * TAP interfaces are exempt: vxswitch creates them.
   */
  interfaceExists?: (name: string) => boolean;
}

const sysInterfaceExists = (name: string): boolean => existsSync(`/sys/class/net/${name}`);

/** Build the runtime config from a validated file, checking what spans keys. */
export function toVtepConfig(source: string | OriginOf, f: FileShape, options: ParseOptions = {}): VtepConfig {
  const fileOf = typeof source === 'string' ? (): string => source : source;
  const exists = options.interfaceExists ?? sysInterfaceExists;
  const problems: string[] = [];
  const g = f.global.config;
  const dp = f.dataplane;
  const vtep = dp?.['vtep-address'] ?? g['router-id'];
  const vnis: VniConfig[] = [];
  const instances: EvpnInstanceConfig[] = [];
  const seen = new Set<number>();
  (dp?.['virtual-network-list'] ?? []).forEach((v, i) => {
    const at = `dataplane.virtual-network-list[${i}]`;
    const file = fileOf(['dataplane', 'virtual-network-list', i]);
    if (seen.has(v.vni)) problems.push(`${file}: ${at}.vni = ${v.vni}: expected a VNI not configured twice`);
    seen.add(v.vni);
    const mode = v.mode ?? 'evpn';
    if (mode === 'multicast' && v['multicast-group'] === undefined) problems.push(`${file}: ${at}.multicast-group = missing: expected a group for mode "multicast"`);
    const members = v['member-interfaces'] ?? [];
    members.forEach((name, j) => {
      if (!exists(name)) problems.push(`${file}: ${at}.member-interfaces[${j}] = ${JSON.stringify(name)}: expected an existing interface`);
    });
    // goplane sniffs local MACs on these; vxswitch learns on every member
    // port, so a sniff interface must be a member (goplane's demo lists the
    // same interfaces in both) and adds no second port.
    (v['sniff-interfaces'] ?? []).forEach((name, j) => {
      if (!members.includes(name)) problems.push(`${file}: ${at}.sniff-interfaces[${j}] = ${JSON.stringify(name)}: expected one of member-interfaces (vxswitch learns on every member port)`);
    });
    const ports: PortConfig[] = [
      ...[...new Set(members)].map((name): PortConfig => ({ name, kind: 'packet' })),
      ...(v['tap-interfaces'] ?? []).map((name): PortConfig => ({ name, kind: 'tap' })),
      ...(v['vlan-members'] ?? []).map((m): PortConfig => ({ name: m.interface, kind: 'packet', vlan: m.vlan })),
    ];
    if (v['tagged-frames'] === 'pass') for (const p of ports) p.tagged = 'pass';
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
    const file = fileOf(['neighbors', i]);
    const c = n.config;
    if (c['local-as'] !== undefined && c['local-as'] !== g.as) {
      problems.push(`${file}: ${at}.config.local-as = ${c['local-as']}: expected the global as ${g.as} (a per-neighbor local AS is not supported)`);
    }
    const pt = c['peer-type'];
    if (pt !== undefined && (pt === 'internal') !== (c['peer-as'] === g.as)) {
      problems.push(`${file}: ${at}.config.peer-type = "${pt}": expected "${c['peer-as'] === g.as ? 'internal' : 'external'}" (peer-as ${c['peer-as']}, global as ${g.as})`);
    }
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
    if (t?.['send-hold-time'] !== undefined) out.sendHoldTime = t['send-hold-time'];
    if (t?.['route-refresh-interval'] !== undefined) out.routeRefreshInterval = t['route-refresh-interval'];
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
    const limits = prefixLimitsOf(n['afi-safis']);
    if (limits !== undefined) out.prefixLimits = limits;
    return out;
  });
  const fdbMax = dp?.['max-entries'] ?? 65536;
  if (dp?.['control-reserve'] !== undefined && dp['control-reserve'] >= fdbMax) {
    problems.push(`${fileOf(['dataplane', 'control-reserve'])}: dataplane.control-reserve = ${dp['control-reserve']}: expected less than dataplane.max-entries (${fdbMax})`);
  }
  if (dp?.['learn-rate'] !== undefined && dp['learn-rate'] > 0 && dp['learn-burst'] === 0) {
    problems.push(`${fileOf(['dataplane', 'learn-burst'])}: dataplane.learn-burst = 0: expected at least 1 while dataplane.learn-rate is set`);
  }
  const dynamicNeighbors = dynamicNeighborRanges(fileOf, f, problems);
  problems.push(...crossKeyProblems(f, fileOf, exists));
  // The speaker's own checks only once the file is otherwise sound (one line per problem, not two).
  if (problems.length === 0) problems.push(...dryRunProblems(f, fileOf));
  if (problems.length > 0) throw new ConfigError(problems);
  const speaker: SpeakerConfig = { asn: g.as, routerId: g['router-id'], vtep, neighbors, vnis: instances };
  if (g.port !== undefined) speaker.listenPort = g.port;
  // GoBGP's local-address-list: one BGP listener per address.
  const listen = g['local-address-list'];
  if (listen !== undefined && listen.length > 0) speaker.listenAddress = listen.length === 1 ? listen[0]! : listen;
  if (dynamicNeighbors.length > 0) speaker.dynamicNeighbors = dynamicNeighbors;
  const clusterId = f.neighbors?.find((n) => n['route-reflector']?.config['route-reflector-cluster-id'] !== undefined)?.['route-reflector']?.config[
    'route-reflector-cluster-id'
  ];
  if (clusterId !== undefined) speaker.clusterId = clusterId;
  const dataplane: DataplaneConfig = { vtepAddress: vtep, vnis };
  if (dp?.['underlay-interface'] !== undefined) dataplane.underlayInterface = dp['underlay-interface'];
  if (dp?.['underlay-mtu'] !== undefined) dataplane.underlayMtu = dp['underlay-mtu'];
  if (dp?.['aging-time'] !== undefined) dataplane.agingSeconds = dp['aging-time'];
  if (dp?.['max-entries'] !== undefined) dataplane.maxEntries = dp['max-entries'];
  if (dp?.['max-entries-per-vni'] !== undefined) dataplane.maxEntriesPerVni = dp['max-entries-per-vni'];
  if (dp?.['control-reserve'] !== undefined) dataplane.controlReserve = dp['control-reserve'];
  if (dp?.['learn-rate'] !== undefined) dataplane.learnRate = dp['learn-rate'];
  if (dp?.['learn-burst'] !== undefined) dataplane.learnBurst = dp['learn-burst'];
  if (dp?.['source-port-range'] !== undefined) dataplane.sourcePortRange = dp['source-port-range'];
  if (dp?.['rx-mode'] !== undefined) dataplane.rxMode = dp['rx-mode'];
  if (dp?.['underlay-sender'] !== undefined) dataplane.underlaySender = dp['underlay-sender'];
  if (dp?.workers !== undefined) dataplane.workers = dp.workers;
  const out: VtepConfig = { speaker, dataplane, logLevel: f.log?.level ?? 'info' };
  if (f.log?.['drop-summary-interval'] !== undefined) out.dropSummarySeconds = f.log['drop-summary-interval'];
  if (f.api?.socket !== undefined) out.apiSocket = f.api.socket;
  if (f.api?.['socket-group'] !== undefined) out.apiSocketGroup = String(f.api['socket-group']);
  if (f.api?.['client-buffer'] !== undefined) out.apiClientBuffer = f.api['client-buffer'];
  if (f.metrics !== undefined) out.metricsListen = f.metrics.listen;
  return out;
}

/** [[dynamic-neighbors]] with their [[peer-groups]] as the speaker's templates; problems name the key. */
function dynamicNeighborRanges(fileOf: OriginOf, f: FileShape, problems: string[]): DynamicNeighborRange[] {
  const groups = new Map<string, DynamicNeighborRange['template']>();
  (f['peer-groups'] ?? []).forEach((pg, i) => {
    const name = pg.config['peer-group-name'];
    if (groups.has(name)) problems.push(`${fileOf(['peer-groups', i])}: peer-groups[${i}].config.peer-group-name = ${JSON.stringify(name)}: expected a name not used twice`);
    const t: DynamicNeighborRange['template'] = { peerAs: pg.config['peer-as'] };
    const families = (pg['afi-safis'] ?? []).map((a) => a.config['afi-safi-name'] as Family);
    if (families.length > 0) t.families = families;
    const tc = pg.timers?.config;
    if (tc?.['hold-time'] !== undefined) t.holdTime = tc['hold-time'];
    if (tc?.['keepalive-interval'] !== undefined) t.keepaliveInterval = tc['keepalive-interval'];
    if (tc?.['idle-hold-time-after-reset'] !== undefined) t.idleHoldTime = tc['idle-hold-time-after-reset'];
    const limits = prefixLimitsOf(pg['afi-safis']);
    if (limits !== undefined) t.prefixLimits = limits;
    if (pg['route-reflector']?.config['route-reflector-client'] === true) t.routeReflectorClient = true;
    groups.set(name, t);
  });
  const out: DynamicNeighborRange[] = [];
  (f['dynamic-neighbors'] ?? []).forEach((d, i) => {
    const c = d.config;
    const template = groups.get(c['peer-group']);
    if (template === undefined) {
      const known = [...groups.keys()].map((k) => JSON.stringify(k)).join(', ');
      problems.push(`${fileOf(['dynamic-neighbors', i])}: dynamic-neighbors[${i}].config.peer-group = ${JSON.stringify(c['peer-group'])}: expected a peer-group-name of [[peer-groups]]${known === '' ? ' (none configured)' : ` (${known})`}`);
      return;
    }
    const r: DynamicNeighborRange = { prefix: c.prefix, template };
    if (c['max-neighbors'] !== undefined) r.maxNeighbors = c['max-neighbors'];
    out.push(r);
  });
  return out;
}

export interface ConfigSource {
  file: string;
  text: string;
}

function parseTomlFile(src: ConfigSource): Record<string, unknown> {
  try {
    return parseToml(src.text) as Record<string, unknown>;
  } catch (e) {
    const m = e as { message?: string; line?: number; column?: number };
    const where = m.line !== undefined ? `:${m.line}:${m.column ?? 0}` : '';
    throw new ConfigError([`${src.file}${where}: TOML syntax error: ${(m.message ?? String(e)).split('\n')[0]}`]);
  }
}

const isTable = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date);

/**
 * Merge several TOML documents (a goplane user's gobgpd.conf and
 * goplaned.conf) into one: tables merge key by key; a key that both files
 * set is a problem, not a silent override. `origins` records which file
 * each merged key path came from, for the error messages.
 */
function mergeDocs(
  into: Record<string, unknown>,
  from: Record<string, unknown>,
  file: string,
  path: string[],
  origins: Map<string, string>,
  problems: string[],
): void {
  for (const [k, v] of Object.entries(from)) {
    const p = [...path, k];
    const have = into[k];
    if (have === undefined) {
      into[k] = v;
      origins.set(p.join('.'), file);
    } else if (isTable(have) && isTable(v)) {
      mergeDocs(have, v, file, p, origins, problems);
    } else {
      problems.push(`${file}: ${keyPath(p)}: also set in ${origins.get(p.join('.')) ?? originFor(origins, p, '?')}; expected each key in one file only`);
    }
  }
}

function originFor(origins: Map<string, string>, path: ReadonlyArray<PropertyKey>, fallback: string): string {
  const names = path.filter((p) => typeof p === 'string') as string[];
  for (let n = names.length; n > 0; n--) {
    const f = origins.get(names.slice(0, n).join('.'));
    if (f !== undefined) return f;
  }
  return fallback;
}

/**
 * Parse and validate one or more TOML documents (merged in order); throws
 * ConfigError listing every problem, each naming its file.
 */
export function parseConfigs(sources: readonly ConfigSource[], options: ParseOptions = {}): VtepConfig {
  if (sources.length === 0) throw new ConfigError(['no config file given']);
  const docs = sources.map(parseTomlFile);
  const doc: Record<string, unknown> = {};
  const origins = new Map<string, string>();
  const problems: string[] = [];
  sources.forEach((src, i) => mergeDocs(doc, docs[i]!, src.file, [], origins, problems));
  if (problems.length > 0) throw new ConfigError(problems);
  const first = sources[0]!.file;
  const origin: OriginOf = sources.length === 1 ? () => first : (path) => originFor(origins, path, first);
  const result = fileSchema.safeParse(doc);
  if (!result.success) throw new ConfigError(describeIssues(origin, doc, result.error.issues));
  return toVtepConfig(origin, result.data, options);
}

/** Parse and validate TOML text; throws ConfigError listing every problem. */
export function parseConfig(file: string, text: string, options: ParseOptions = {}): VtepConfig {
  return parseConfigs([{ file, text }], options);
}

/** Read and validate the config file(s): `vxswitch run -f a.conf [-f b.conf]`. */
export async function loadConfig(files: string | readonly string[], options: ParseOptions = {}): Promise<VtepConfig> {
  const names = typeof files === 'string' ? [files] : files;
  const sources: ConfigSource[] = [];
  const problems: string[] = [];
  for (const file of names) {
    try {
      sources.push({ file, text: await readFile(file, 'utf8') });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      problems.push(`${file}: cannot read the config file (${code === 'ENOENT' ? 'no such file' : (code ?? String(e))})`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return parseConfigs(sources, options);
}
