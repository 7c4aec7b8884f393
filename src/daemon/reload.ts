// SIGHUP: re-read the config file(s) and apply what changed without
// disturbing the rest (issue 5). An invalid file is rejected as a whole —
// one log line per problem — and the running config stays. A valid one is
// diffed against the running config: neighbors by neighbor-address, VNIs by
// number; an entry whose settings changed is removed and added again, and
// put back as it was when the new settings fail to apply. What
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
  check('dataplane.workers', old.dataplane.workers, next.dataplane.workers);
  check('api.socket', old.apiSocket, next.apiSocket);
  check('api.socket-group', old.apiSocketGroup, next.apiSocketGroup);
  check('api.client-buffer', old.apiClientBuffer, next.apiClientBuffer);
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
 *
 * A changed entry is replaced (removed, then added with its new settings);
 * when the add fails at runtime (a port that does not open, a socket that
 * needs a restart), the old settings are added back, so a failed change
 * leaves the entry running as it was (issue 9 item 13). The config loader
 * ran the speaker's own checks already, so such failures are the ones only
 * the system can report.
 */
export async function applyConfig(vtep: Vtep, next: VtepConfig, log: Logger): Promise<ReloadOutcome> {
  const old = vtep.config;
  const diff = diffConfig(old, next);
  const failures: string[] = [];
  const fail = (line: string, fields: Record<string, unknown>): void => {
    failures.push(line);
    log.error(fields, line);
  };
  for (const line of diff.needRestart) log.warn({ change: line }, 'config change needs a restart; running value kept');

  // What ends up running, neighbor by address and VNI by number: the old
  // entries, with each change and addition recorded once it took effect.
  const runningNeighbors = new Map(old.speaker.neighbors.map((n) => [n.neighborAddress, n]));
  const runningVnis = new Map(old.dataplane.vnis.map((v) => [v.vni, vniSettings(old, v.vni)]));

  for (const a of [...diff.neighbors.removed, ...diff.neighbors.changed.map((n) => n.neighborAddress)]) {
    vtep.speaker.removeNeighbor(a);
    log.info({ neighbor: a }, 'reload: neighbor removed');
  }
  for (const a of diff.neighbors.removed) runningNeighbors.delete(a);
  for (const vni of diff.vnis.removed) {
    vtep.removeVni(vni);
    runningVnis.delete(vni);
    log.info({ vni }, 'reload: VNI removed');
  }
  // Instances are built with the running VTEP address (a vtep-address change needs a restart).
  const addVni = async (s: ReturnType<typeof vniSettings>): Promise<void> =>
    vtep.addVni(s.dp!, s.evpn !== undefined ? { ...s.evpn, vtep: old.speaker.vtep } : undefined);
  for (const vni of diff.vnis.changed) {
    const was = runningVnis.get(vni)!;
    vtep.removeVni(vni);
    try {
      await addVni(vniSettings(next, vni));
      runningVnis.set(vni, vniSettings(next, vni));
      log.info({ vni }, 'reload: VNI changed');
    } catch (e) {
      const why = (e as Error).message;
      try {
        await addVni(was);
        fail(`VNI ${vni}: change not applied: ${why}; the previous settings keep running`, { vni });
      } catch (e2) {
        runningVnis.delete(vni);
        fail(`VNI ${vni}: change not applied: ${why}; and the previous settings could not be restored: ${(e2 as Error).message}`, { vni });
      }
    }
  }
  for (const vni of diff.vnis.added) {
    try {
      await addVni(vniSettings(next, vni));
      runningVnis.set(vni, vniSettings(next, vni));
      log.info({ vni }, 'reload: VNI added');
    } catch (e) {
      fail(`VNI ${vni}: not added: ${(e as Error).message}`, { vni });
    }
  }
  for (const n of diff.neighbors.changed) {
    const was = runningNeighbors.get(n.neighborAddress)!;
    try {
      vtep.speaker.addNeighbor(n);
      runningNeighbors.set(n.neighborAddress, n);
      log.info({ neighbor: n.neighborAddress }, 'reload: neighbor changed');
    } catch (e) {
      const why = (e as Error).message;
      try {
        vtep.speaker.addNeighbor(was);
        fail(`neighbor ${n.neighborAddress}: change not applied: ${why}; the previous settings keep running`, { neighbor: n.neighborAddress });
      } catch (e2) {
        runningNeighbors.delete(n.neighborAddress);
        fail(`neighbor ${n.neighborAddress}: change not applied: ${why}; and the previous settings could not be restored: ${(e2 as Error).message}`, { neighbor: n.neighborAddress });
      }
    }
  }
  for (const n of diff.neighbors.added) {
    try {
      vtep.speaker.addNeighbor(n);
      runningNeighbors.set(n.neighborAddress, n);
      log.info({ neighbor: n.neighborAddress }, 'reload: neighbor added');
    } catch (e) {
      fail(`neighbor ${n.neighborAddress}: not added: ${(e as Error).message}`, { neighbor: n.neighborAddress });
    }
  }
  if (next.logLevel !== old.logLevel) log.level = next.logLevel;

  // The running config as it now is: the neighbors and VNIs that run, the
  // old values of everything that needs a restart.
  const vnis = [...runningVnis.values()].sort((a, b) => a.dp!.vni - b.dp!.vni);
  vtep.config = {
    ...next,
    speaker: {
      ...old.speaker,
      neighbors: [...runningNeighbors.values()],
      vnis: vnis.flatMap((v) => (v.evpn !== undefined ? [{ ...v.evpn, vtep: old.speaker.vtep }] : [])),
    },
    dataplane: { ...old.dataplane, vnis: vnis.map((v) => v.dp!) },
  };
  // The API socket keeps what it was opened with (a change needs a restart).
  const c = vtep.config;
  delete c.apiSocket;
  delete c.apiSocketGroup;
  delete c.apiClientBuffer;
  if (old.apiSocket !== undefined) c.apiSocket = old.apiSocket;
  if (old.apiSocketGroup !== undefined) c.apiSocketGroup = old.apiSocketGroup;
  if (old.apiClientBuffer !== undefined) c.apiClientBuffer = old.apiClientBuffer;
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
