// Open vSwitch for the end-to-end bench, installed on demand: when
// ovs-vswitchd is missing, `npm run bench` (as root) installs Debian's
// openvswitch-switch with apt-get, noninteractive, and without starting its
// services (the bench starts its own ovsdb-server and ovs-vswitchd in a temp
// dir inside the switch namespace, ovs-engine.ts; a system-wide OVS would
// only be in the way). Not in scripts/install-deps.sh: CI does not run the
// bench. docs/benchmarking.md "Open vSwitch".

import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { onPath, run } from './netns.js';

export const OVS_TOOLS = ['ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'ovs-vsctl', 'ovs-ofctl', 'ovs-appctl'] as const;
export const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';
const PACKAGE = 'openvswitch-switch';
/**
 * invoke-rc.d and deb-systemd-invoke ask this script whether a package's
 * maintainer scripts may start services; exit 101 = no (Debian Policy
 * §9.3.3.1, /usr/share/doc/init-system-helpers/README.policy-rc.d).
 */
const POLICY_RC_D = '/usr/sbin/policy-rc.d';

/** What is missing for the OVS engine, or undefined when everything is there. */
export function ovsMissing(): string | undefined {
  const tool = OVS_TOOLS.find((t) => !onPath(t));
  if (tool !== undefined) return `${tool} is not installed`;
  if (!existsSync(OVS_SCHEMA)) return `${OVS_SCHEMA} is missing`;
  return undefined;
}

/**
 * Make sure Open vSwitch is installed; install it when it is not. Resolves
 * undefined when it is ready, or why the OVS engine cannot run (the bench
 * then runs without it and says so).
 */
export async function ensureOvs(log: (line: string) => void): Promise<string | undefined> {
  const missing = ovsMissing();
  if (missing === undefined) return undefined;
  if (process.getuid?.() !== 0) return `${missing}; installing ${PACKAGE} needs root`;
  if (!onPath('apt-get')) return `${missing}, and there is no apt-get to install ${PACKAGE} with`;
  log(`Open vSwitch: ${missing}; installing Debian's ${PACKAGE} (apt-get, services not started) ...`);
  const ownPolicy = !existsSync(POLICY_RC_D);
  try {
    if (ownPolicy) writeFileSync(POLICY_RC_D, '#!/bin/sh\n# vxswitch bench: installing openvswitch-switch without starting it\nexit 101\n', { mode: 0o755 });
    const started = Date.now();
    await run('apt-get', ['update', '-qq'], 180_000);
    await run(
      'env',
      ['DEBIAN_FRONTEND=noninteractive', 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', PACKAGE],
      300_000,
    );
    log(`Open vSwitch: ${PACKAGE} installed in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  } catch (e) {
    return `${missing}; installing ${PACKAGE} failed: ${(e as Error).message.split('\n').slice(-3).join(' ')}`;
  } finally {
    if (ownPolicy) rmSync(POLICY_RC_D, { force: true });
  }
  const still = ovsMissing();
  return still === undefined ? undefined : `${PACKAGE} installed, but ${still}`;
}
