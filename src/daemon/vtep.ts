// One vxswitch VTEP: the dataplane and the EVPN speaker, wired together.
// The only module that knows both (DESIGN.md "Layers"): dataplane events
// (a MAC learned or aged on a local port) go to the speaker's EVPN
// instances; the instances drive the dataplane through its FDB API.

import { Dataplane } from '../dataplane/dataplane.js';
import { nativeAddonPath } from '../dataplane/native-io.js';
import type { FdbPort } from '../control/fdb-port.js';
import { Speaker } from '../control/speaker.js';
import { setNativeAddonPath } from '../control/tcp-security.js';
import type { Family } from '../control/route.js';
import type { VtepConfig } from './config-file.js';
import type { VniConfig } from '../dataplane/dataplane-config.js';
import type { EvpnInstanceConfig } from '../control/evpn-instance.js';
import type { Logger } from './logger.js';
import { startDropSummary } from './drop-summary.js';
import { routeView, type RouteView } from './route-view.js';
import { formatRd } from '../wire/route-distinguisher.js';
import { formatAdministrator } from '../wire/extended-community.js';
import { formatRtMatcher } from '../control/route-target-match.js';

export class Vtep {
  private constructor(
    /** The running config; a SIGHUP reload (reload.ts) replaces it once applied. */
    public config: VtepConfig,
    readonly dataplane: Dataplane,
    readonly speaker: Speaker,
    private readonly log: Logger,
    /** VNIs with an EVPN instance: dataplane learn/age events go to the speaker only for these. */
    private readonly evpnVnis: Set<number>,
  ) {}

  static async start(config: VtepConfig, log: Logger): Promise<Vtep> {
    setNativeAddonPath(nativeAddonPath());
    const dataplane = await Dataplane.open(config.dataplane, { warn: (m) => log.warn(m) });
    const fdb: FdbPort = {
      addRemote: (vni, mac, vtep, opts) => dataplane.addRemote(vni, mac, vtep, opts ?? {}),
      removeRemote: (vni, mac, vtep) => void dataplane.removeRemote(vni, mac, vtep),
      setFloodList: (vni, vteps) => dataplane.setFloodList(vni, vteps),
      addRemoteNeighbor: (vni, ip, mac) => {
        // IPv6 neighbors (ND suppression) are not answered by the dataplane yet.
        if (!ip.includes(':')) dataplane.addRemoteNeighbor(vni, ip, mac);
      },
      removeRemoteNeighbor: (vni, ip) => void dataplane.removeRemoteNeighbor(vni, ip),
    };
    const speaker = new Speaker(config.speaker, fdb);
    speaker.on('log', (level, message, fields) => log[level]({ ...fields }, message));
    const evpnVnis = new Set(config.speaker.vnis.map((v) => v.vni));
    dataplane.on('localLearned', (vni, mac, ip) => {
      if (evpnVnis.has(vni)) speaker.localLearned(vni, mac, ip);
    });
    dataplane.on('localAged', (vni, mac) => {
      if (evpnVnis.has(vni)) speaker.localAged(vni, mac);
    });
    try {
      await speaker.start();
    } catch (e) {
      await dataplane.close();
      throw e;
    }
    // Remote MACs the FDB had no room for are installed again as room frees,
    // a bounded number a second (EvpnManager.retryPending).
    const retry = setInterval(() => speaker.evpn.retryPending(), 1000);
    retry.unref();
    log.info({ vtep: config.dataplane.vtepAddress, vnis: config.dataplane.vnis.map((v) => v.vni), neighbors: config.speaker.neighbors.length }, 'vxswitch started');
    const vtep = new Vtep(config, dataplane, speaker, log, evpnVnis);
    vtep.stopRetry = () => clearInterval(retry);
    vtep.stopDropSummary = startDropSummary(
      () => dataplane.counters().drops,
      (delta, total) => log.warn({ drops: delta, intervalSeconds: config.dropSummarySeconds ?? 60 }, `dropped ${total} frame(s) in the last ${config.dropSummarySeconds ?? 60} s`),
      (config.dropSummarySeconds ?? 60) * 1000,
    );
    return vtep;
  }

  private stopDropSummary: () => void = () => undefined;
  private stopRetry: () => void = () => undefined;

  // ---- runtime changes (SIGHUP reload) ----

  /** Serve a new VNI: dataplane first, so the instance's FDB calls find it. */
  async addVni(vni: VniConfig, instance: EvpnInstanceConfig | undefined): Promise<void> {
    await this.dataplane.addVni(vni);
    if (instance !== undefined) {
      try {
        this.speaker.evpn.addInstance(instance, this.speaker.locRib.bests('l2vpn-evpn'));
      } catch (e) {
        this.dataplane.removeVni(vni.vni);
        throw e;
      }
      this.evpnVnis.add(vni.vni);
    }
  }

  /** Stop serving a VNI: routes withdrawn first, then the dataplane lets go of it. */
  removeVni(vni: number): void {
    this.evpnVnis.delete(vni);
    this.speaker.evpn.removeInstance(vni);
    this.dataplane.removeVni(vni);
  }

  // ---- read-out for the API ----

  neighbors(): ReturnType<Speaker['neighbors']> {
    return this.speaker.neighbors();
  }

  rib(family: Family): RouteView[] {
    const now = performance.now();
    return this.speaker.rib(family).map((e) => routeView(e.route, e.best, now));
  }

  fdb(vni?: number): ReturnType<Dataplane['fdbEntries']> {
    return this.dataplane.fdbEntries(vni);
  }

  vnis(): Array<{ vni: number; mode: string; vxlanPort: number; floodList: string[]; rd: string | null; importRts: string[]; exportRts: string[]; ports: string[]; macs: number }> {
    return this.config.dataplane.vnis.map((v) => {
      const inst = this.speaker.evpn.instance(v.vni);
      return {
        vni: v.vni,
        mode: v.mode,
        vxlanPort: v.vxlanPort ?? 4789,
        floodList: this.dataplane.floodList(v.vni),
        rd: inst !== undefined ? formatRd(inst.rd) : null,
        importRts: inst !== undefined ? inst.importRts.map(formatRtMatcher) : [],
        exportRts: inst !== undefined ? inst.exportRts.map(formatAdministrator) : [],
        ports: v.ports.map((p) => (p.vlan !== undefined ? `${p.name}.${p.vlan}` : p.name)),
        macs: this.dataplane.fdb.count(v.vni),
      };
    });
  }

  counters(): ReturnType<Dataplane['counters']> {
    return this.dataplane.counters();
  }

  evpn(): ReturnType<Speaker['evpn']['counters']> {
    return this.speaker.evpn.counters();
  }

  /** Cease to every peer, close ports (TAPs vanish with their fd). */
  async stop(): Promise<void> {
    this.stopDropSummary();
    this.stopRetry();
    await this.speaker.stop();
    await this.dataplane.close();
    this.log.info('vxswitch stopped');
  }
}
