// SIGHUP: re-read the config file(s) and apply what changed without
// disturbing the rest (issue 5). An invalid file is rejected as a whole —
// one log line per problem — and the running config stays. A valid one is
// diffed against the running config: neighbors by neighbor-address, VNIs by
// number; an entry whose settings changed is removed and added again. What
// cannot change at runtime (AS, router-id, the VTEP address, listen
// sockets, dataplane globals) is logged as needing a restart and left as is.

import type { NeighborConfig } from '../control/speaker.js';
import type { EvpnInstanceConfig } from '../control/evpn-instance.js';
import type { VniConfig } from '../dataplane/dataplane-config.js';
import { ConfigError, loadConfig, type VtepConfig } from './config-file.js';
import type { Logger } from './logger.js';
import type { Vtep } from './vtep.js';

export interface ConfigDiff {
  neighbors: { added: NeighborConfig[]; removed: string[]; changed: NeighborConfig[] };
  vnis: { added: number[]; removed: number[]; changed: number[] };
  /** Settings that only take effect after a restart, as "key: old -> new". */
  needRestart: string[];
}

// Both configs are built by toVtepConfig in the same key order, so JSON
// equality is settings equality.
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

function vniSettings(c: VtepConfig, vni: number): { dp: VniConfig | undefined; evpn: EvpnInstanceConfig | undefined } {
  return { dp: c.dataplane.vnis.find((v) => v.vni === vni), evpn: c.speaker.vnis.find((v) => v.vni === vni) };
}

/** What changed from the running config `old` to `next` (pure; the tests call it directly). */
export function diffConfig(old: VtepConfig, next: VtepConfig): ConfigDiff {
  const oldN = new Map(old.speaker.neighbors.map((n) => [n.neighborAddress, n]));
  const nextN = new Map(next.speaker.neighbors.map((n) => [n.neighborAddress, n]));
  const neighbors: ConfigDiff['neighbors'] = { added: [], removed: [], changed: [] };
  for (const [a, n] of nextN) {
    const was = oldN.get(a);
    if (was === undefined) neighbors.added.push(n);
    else if (!same(was, n)) neighbors.changed.push(n);
  }
  for (const a of oldN.keys()) if (!nextN.has(a)) neighbors.removed.push(a);

  const oldV = new Set(old.dataplane.vnis.map((v) => v.vni));
  const nextV = new Set(next.dataplane.vnis.map((v) => v.vni));
  const vnis: ConfigDiff['vnis'] = { added: [], removed: [], changed: [] };
  for (const v of nextV) {
    if (!oldV.has(v)) vnis.added.push(v);
    else if (!same(vniSettings(old, v), vniSettings(next, v))) vnis.changed.push(v);
  }
  for (const v of oldV) if (!nextV.has(v)) vnis.removed.push(v);

  const needRestart: string[] = [];
  const check = (key: string, a: unknown, b: unknown): void => {
    if (!same(a, b)) needRestart.push(`${key}: ${JSON.stringify(a) ?? 'unset'} -> ${JSON.stringify(b) ?? 'unset'}`);
  };
  check('global.config.as', old.speaker.asn, next.speaker.asn);
  check('global.config.router-id', old.speaker.routerId, next.speaker.routerId);
  check('global.config.port', old.speaker.listenPort, next.speaker.listenPort);
  check('global.config.local-address-list', old.speaker.listenAddress, next.speaker.listenAddress);
  check('dynamic-neighbors / peer-groups', old.speaker.dynamicNeighbors, next.speaker.dynamicNeighbors);
  check('route-reflector-cluster-id', old.speaker.clusterId, next.speaker.clusterId);
  check('dataplane.vtep-address', old.dataplane.vtepAddress, next.dataplane.vtepAddress);
  check('dataplane.underlay-interface', old.dataplane.underlayInterface, next.dataplane.underlayInterface);
  check('dataplane.underlay-mtu', old.dataplane.underlayMtu, next.dataplane.underlayMtu);
  check('dataplane.aging-time', old.dataplane.agingSeconds, next.dataplane.agingSeconds);
  check('dataplane.max-entries', old.dataplane.maxEntries, next.dataplane.maxEntries);
  check('dataplane.max-entries-per-vni', old.dataplane.maxEntriesPerVni, next.dataplane.maxEntriesPerVni);
  check('dataplane.control-reserve', old.dataplane.controlReserve, next.dataplane.controlReserve);
  check('dataplane.learn-rate', old.dataplane.learnRate, next.dataplane.learnRate);
  check('dataplane.learn-burst', old.dataplane.learnBurst, next.dataplane.learnBurst);
  check('dataplane.source-port-range', old.dataplane.sourcePortRange, next.dataplane.sourcePortRange);
  check('dataplane.rx-mode', old.dataplane.rxMode, next.dataplane.rxMode);
  check('dataplane.underlay-sender', old.dataplane.underlaySender, next.dataplane.underlaySender);
  check('api.socket', old.apiSocket, next.apiSocket);
  return { neighbors, vnis, needRestart };
}

export interface ReloadOutcome {
  /** false: the new file(s) were rejected, nothing changed. */
  applied: boolean;
  problems: string[];
  diff?: ConfigDiff;
  /** Changes that could not be applied (a port that does not open, ...), one line each. */
  failures: string[];
}

/**
 * Apply `next` to the running `vtep`. Neighbors first removed, then VNIs
 * removed, then VNIs added, then neighbors added: a new peer's initial
 * update already carries the new VNIs' Type 3 routes.
 */
export async function applyConfig(vtep: Vtep, next: VtepConfig, log: Logger): Promise<ReloadOutcome> {
  const old = vtep.config;
  const diff = diffConfig(old, next);
  const failures: string[] = [];
  for (const line of diff.needRestart) log.warn({ change: line }, 'config change needs a restart; running value kept');

  for (const a of [...diff.neighbors.removed, ...diff.neighbors.changed.map((n) => n.neighborAddress)]) {
    vtep.speaker.removeNeighbor(a);
    log.info({ neighbor: a }, 'reload: neighbor removed');
  }
  // The VNIs that end up running: start from the old list, apply removals and additions.
  const running = new Map(old.dataplane.vnis.map((v) => [v.vni, v]));
  for (const vni of [...diff.vnis.removed, ...diff.vnis.changed]) {
    vtep.removeVni(vni);
    running.delete(vni);
    log.info({ vni }, 'reload: VNI removed');
  }
  for (const vni of [...diff.vnis.changed, ...diff.vnis.added]) {
    const { dp, evpn } = vniSettings(next, vni);
    if (dp === undefined) continue;
    // Instances are built with the running VTEP address (a vtep-address change needs a restart).
    const instance = evpn !== undefined ? { ...evpn, vtep: old.speaker.vtep } : undefined;
    try {
      await vtep.addVni(dp, instance);
      running.set(vni, dp);
      log.info({ vni }, 'reload: VNI added');
    } catch (e) {
      const line = `VNI ${vni}: not added: ${(e as Error).message}`;
      failures.push(line);
      log.error({ vni }, line);
    }
  }
  for (const n of [...diff.neighbors.changed, ...diff.neighbors.added]) {
    try {
      vtep.speaker.addNeighbor(n);
      log.info({ neighbor: n.neighborAddress }, 'reload: neighbor added');
    } catch (e) {
      const line = `neighbor ${n.neighborAddress}: not added: ${(e as Error).message}`;
      failures.push(line);
      log.error({ neighbor: n.neighborAddress }, line);
    }
  }
  if (next.logLevel !== old.logLevel) log.level = next.logLevel;

  // The running config as it now is: the new neighbors and VNIs, the old
  // values of everything that needs a restart.
  const vnis = [...running.values()].sort((a, b) => a.vni - b.vni);
  const evpnVnis = new Set(vnis.map((v) => v.vni));
  vtep.config = {
    ...next,
    speaker: {
      ...old.speaker,
      neighbors: next.speaker.neighbors,
      vnis: next.speaker.vnis.filter((i) => evpnVnis.has(i.vni)).map((i) => ({ ...i, vtep: old.speaker.vtep })),
    },
    dataplane: { ...old.dataplane, vnis },
  };
  if (old.apiSocket !== undefined) vtep.config.apiSocket = old.apiSocket;
  else delete vtep.config.apiSocket;
  return { applied: true, problems: [], diff, failures };
}

/**
 * SIGHUP: re-read `files`; invalid → log one error per problem and keep
 * running unchanged; valid → apply the difference.
 */
export async function reload(vtep: Vtep, files: readonly string[], log: Logger): Promise<ReloadOutcome> {
  let next: VtepConfig;
  try {
    next = await loadConfig(files);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    for (const p of e.problems) log.error({ problem: p }, `reload rejected: ${p}`);
    log.error({ files }, 'reload rejected: the running config stays');
    return { applied: false, problems: e.problems, failures: [] };
  }
  log.info({ files }, 'reloading config');
  const out = await applyConfig(vtep, next, log);
  const d = out.diff!;
  log.info(
    {
      neighborsAdded: d.neighbors.added.length,
      neighborsRemoved: d.neighbors.removed.length,
      neighborsChanged: d.neighbors.changed.length,
      vnisAdded: d.vnis.added.length,
      vnisRemoved: d.vnis.removed.length,
      vnisChanged: d.vnis.changed.length,
      failures: out.failures.length,
    },
    'config reloaded',
  );
  return out;
}
