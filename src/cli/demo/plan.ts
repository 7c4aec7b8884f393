// The goplane demo topology, as names and addresses: three VTEPs (eBGP full
// mesh, AS 65001..65003) on one underlay bridge, two tenants (VNI 10: h1..h3,
// VNI 20: j1..j3) whose hosts have the same IP and MAC pairs, hN and jN
// behind switch N. Every name starts with "vxd-" so `vxswitch demo --down`
// and a leftover check find exactly the demo's namespaces (the tests use
// "vxt"); addresses are in 10.216.0.0/16.
//
//   vxd-ul: bridge br0 — ports u1..u3 — vxd-vxN ul0 10.216.0.N/24
//   vxd-vxN: hp10 — vxd-hN eth0 10.216.10.N/24 02:16:10:00:00:0N (VNI 10)
//            hp20 — vxd-jN eth0 10.216.10.N/24 02:16:10:00:00:0N (VNI 20)
import path from 'node:path';

export const PREFIX = 'vxd-';
export const UNDERLAY_NS = `${PREFIX}ul`;
export const SWITCHES = [1, 2, 3] as const;
/** The runtime directory: configs, API sockets, daemon logs, the state file. */
export const RUN_DIR = '/run/vxswitch-demo';
export const STATE_FILE = path.join(RUN_DIR, 'state.json');

export interface Tenant {
  vni: number;
  /** Host name letter: h (VNI 10) or j (VNI 20). */
  letter: string;
  /** The member port in each switch's namespace. */
  port: string;
}

export const TENANTS: readonly Tenant[] = [
  { vni: 10, letter: 'h', port: 'hp10' },
  { vni: 20, letter: 'j', port: 'hp20' },
];

export const switchNs = (n: number): string => `${PREFIX}vx${n}`;
export const switchAs = (n: number): number => 65000 + n;
export const underlayIp = (n: number): string => `10.216.0.${n}`;
export const hostName = (t: Tenant, n: number): string => `${t.letter}${n}`;
export const hostNs = (t: Tenant, n: number): string => `${PREFIX}${hostName(t, n)}`;
/** The same in both tenants: that is the point of the demo. */
export const hostIp = (n: number): string => `10.216.10.${n}`;
export const hostMac = (n: number): string => `02:16:10:00:00:0${n}`;
export const apiSocket = (n: number): string => path.join(RUN_DIR, `vx${n}.sock`);
export const configPath = (n: number): string => path.join(RUN_DIR, `vx${n}.toml`);
export const logPath = (n: number): string => path.join(RUN_DIR, `vx${n}.log`);

/** Every namespace the demo makes, in creation order. */
export function allNamespaces(): string[] {
  return [UNDERLAY_NS, ...SWITCHES.map(switchNs), ...TENANTS.flatMap((t) => SWITCHES.map((n) => hostNs(t, n)))];
}

/** vxswitch N's config: gobgpd / goplaned key names (DESIGN.md "Operator surface"). */
export function switchToml(n: number): string {
  const q = JSON.stringify;
  const l = ['[global.config]', `  as = ${switchAs(n)}`, `  router-id = ${q(underlayIp(n))}`, '  port = 179', `  local-address-list = [${q(underlayIp(n))}]`];
  for (const m of SWITCHES.filter((m) => m !== n)) {
    l.push('', '[[neighbors]]', '  [neighbors.config]', `    neighbor-address = ${q(underlayIp(m))}`, `    peer-as = ${switchAs(m)}`);
    // Short timers: the three switches start at about the same time, and a
    // refused first connect should be retried within a second.
    l.push('  [neighbors.timers.config]', '    connect-retry = 1', '    hold-time = 9', '    keepalive-interval = 3');
    l.push('  [neighbors.transport.config]', `    local-address = ${q(underlayIp(n))}`);
    l.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', '      afi-safi-name = "l2vpn-evpn"');
  }
  l.push('', '[dataplane]', '  type = "userspace"', `  vtep-address = ${q(underlayIp(n))}`, '  underlay-interface = "ul0"');
  for (const t of TENANTS) {
    l.push('', '[[dataplane.virtual-network-list]]', `  vni = ${t.vni}`, '  vxlan-port = 4789', '  mode = "evpn"');
    l.push(`  member-interfaces = [${q(t.port)}]`);
  }
  return l.join('\n') + '\n';
}
