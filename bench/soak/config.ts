// The soak daemon's TOML (src/daemon/config-file.ts keys): one iBGP
// neighbor (the injector, passive: it connects and reconnects after each
// flap), underlay ul0, every VNI an evpn VNI on one trunk port (VLAN v+1 ->
// VNI FIRST_VNI+v, `vlan-members`), the metrics listener on (heap from
// prom-client's default metrics), an FDB sized for the remote MACs.

import { FIRST_VNI, UNDERLAY, vlanOfIndex, type SoakShape } from './plan.js';

export interface SoakDaemonConfig {
  shape: SoakShape;
  as: number;
  holdS: number;
  /** The trunk port carrying every VNI's VLAN. */
  trunk: string;
  metricsListen: string;
}

/** The smallest power of two >= twice the remote MACs, at least the default 65,536 (learning keeps its shares of it). */
export function maxEntriesFor(macs: number): number {
  let m = 65536;
  while (m < 2 * macs) m *= 2;
  return m;
}

export function soakToml(c: SoakDaemonConfig): string {
  const q = JSON.stringify;
  const l = ['[global.config]', `  as = ${c.as}`, `  router-id = ${q(UNDERLAY.daemon)}`, '  port = 179', `  local-address-list = [${q(UNDERLAY.daemon)}]`];
  l.push('', '[[neighbors]]', '  [neighbors.config]', `    neighbor-address = ${q(UNDERLAY.injector)}`, `    peer-as = ${c.as}`);
  l.push('  [neighbors.timers.config]', '    connect-retry = 1', `    hold-time = ${c.holdS}`, `    keepalive-interval = ${Math.floor(c.holdS / 3)}`);
  l.push('  [neighbors.transport.config]', `    local-address = ${q(UNDERLAY.daemon)}`, '    passive-mode = true');
  l.push('  [[neighbors.afi-safis]]', '    [neighbors.afi-safis.config]', '      afi-safi-name = "l2vpn-evpn"');
  l.push('', '[metrics]', `  listen = ${q(c.metricsListen)}`);
  l.push('', '[dataplane]', '  type = "userspace"', `  vtep-address = ${q(UNDERLAY.daemon)}`, '  underlay-interface = "ul0"');
  l.push(`  max-entries = ${maxEntriesFor(c.shape.macs)}`);
  for (let v = 0; v < c.shape.vnis; v++) {
    l.push('', '[[dataplane.virtual-network-list]]', `  vni = ${FIRST_VNI + v}`, '  mode = "evpn"');
    l.push(`  vlan-members = [{ interface = ${q(c.trunk)}, vlan = ${vlanOfIndex(v)} }]`);
  }
  return `${l.join('\n')}\n`;
}
