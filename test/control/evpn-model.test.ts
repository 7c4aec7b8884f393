// The EVPN manager against a naive model: random sequences of remote
// announcements and withdrawals (Type 2 MAC-only / MAC+IP, Type 3 with or
// without PMSI), local learning and aging, over a few MACs and VTEPs. The
// model keeps every claim in one flat list and rescans it for each event;
// after every step the FDB (remote entries, flood list, neighbors) and our
// advertisements must be what the model says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { zeroEsi } from '../../src/wire/esi.js';
import type { EvpnRoute } from '../../src/wire/evpn-nlri.js';
import { evpnRouteKey } from '../../src/wire/evpn-nlri.js';
import type { ExtendedCommunity } from '../../src/wire/extended-community.js';
import type { PathAttribute } from '../../src/wire/path-attribute.js';
import { parseRd } from '../../src/wire/route-distinguisher.js';
import { EvpnManager } from '../../src/control/evpn-manager.js';
import { ipv4ToNumber } from '../../src/control/ip-order.js';
import type { Route } from '../../src/control/route.js';
import { runs } from '../helpers/property.js';
import { FRR_RR, RecordingFdb, RecordingSink } from './control-helpers.js';

const SELF = '10.0.0.1';
const MACS = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03', '33:33:00:00:00:01'];
const VTEPS = ['10.0.0.2', '10.0.0.3', '10.0.0.10', SELF];
const IPS = ['192.168.0.1', '192.168.0.2'];

type Op =
  | { op: 'announce'; mac: number; vtep: number; ip: number; seq: number; sticky: boolean; rd: number }
  | { op: 'withdraw'; mac: number; vtep: number; ip: number; rd: number }
  | { op: 'learn'; mac: number; ip: number }
  | { op: 'age'; mac: number }
  | { op: 'type3'; vtep: number; pmsi: boolean; rd: number }
  | { op: 'type3-withdraw'; vtep: number; rd: number };

const idx = (n: number): fc.Arbitrary<number> => fc.integer({ min: 0, max: n - 1 });
/** ip: 0 = MAC-only, 1..IPS.length = that IP. */
const ipIdx = fc.integer({ min: 0, max: IPS.length });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('announce' as const), mac: idx(MACS.length), vtep: idx(VTEPS.length), ip: ipIdx, seq: fc.integer({ min: 0, max: 4 }), sticky: fc.integer({ min: 0, max: 9 }).map((n) => n < 2), rd: idx(2) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('withdraw' as const), mac: idx(MACS.length), vtep: idx(VTEPS.length), ip: ipIdx, rd: idx(2) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('learn' as const), mac: idx(MACS.length), ip: ipIdx }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('age' as const), mac: idx(MACS.length) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('type3' as const), vtep: idx(VTEPS.length), pmsi: fc.boolean(), rd: idx(2) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('type3-withdraw' as const), vtep: idx(VTEPS.length), rd: idx(2) }) },
);

// ------------------------------------------------------------ routes

function attributes(seq: number, sticky: boolean, pmsi: { vtep: string } | null): PathAttribute[] {
  const ecs: ExtendedCommunity[] = [{ kind: 'route-target', format: 'as2', asn: 65000, assigned: 100 }, { kind: 'encapsulation', tunnelType: 8 }];
  if (seq > 0 || sticky) ecs.push({ kind: 'mac-mobility', sticky, sequence: seq });
  const attrs: PathAttribute[] = [{ type: 'origin', value: 'igp' }, { type: 'as-path', value: [] }, { type: 'extended-communities', value: ecs }];
  if (pmsi !== null) attrs.push({ type: 'pmsi-tunnel', value: { flags: 0, tunnelType: 6, label: 100, tunnelId: pmsi.vtep } });
  return attrs;
}

function route(r: EvpnRoute, nextHop: string, attrs: PathAttribute[]): Route {
  return { family: 'l2vpn-evpn', key: evpnRouteKey(r), nlri: { family: 'l2vpn-evpn', nlri: { route: r } }, nextHop, attributes: attrs, peer: FRR_RR, stale: false, since: 0 };
}

function type2(o: { mac: number; vtep: number; ip: number; rd: number }, seq = 0, sticky = false): Route {
  const vtep = VTEPS[o.vtep]!;
  const r: EvpnRoute = { type: 2, rd: parseRd(`${vtep}:${o.rd + 1}`), esi: zeroEsi(), etag: 0, mac: MACS[o.mac]!, labels: [100] };
  if (o.ip > 0) r.ip = IPS[o.ip - 1]!;
  return route(r, vtep, attributes(seq, sticky, null));
}

function type3(o: { vtep: number; rd: number }, pmsi: boolean): Route {
  const vtep = VTEPS[o.vtep]!;
  return route({ type: 3, rd: parseRd(`${vtep}:${o.rd + 1}`), etag: 0, originatorIp: vtep }, vtep, attributes(0, false, pmsi ? { vtep } : null));
}

// ------------------------------------------------------------ the naive model

interface Claim {
  mac: string;
  vtep: string;
  seq: number;
  sticky: boolean;
  ip: string | undefined;
}

type Where = 'local' | { vtep: string; seq: number; sticky: boolean };

/** (sticky, seq, lower IP): the bigger tuple wins. */
function better(a: { vtep: string; seq: number; sticky: boolean }, b: { vtep: string; seq: number; sticky: boolean }): boolean {
  if (a.sticky !== b.sticky) return a.sticky;
  if (a.seq !== b.seq) return a.seq > b.seq;
  return ipv4ToNumber(a.vtep) < ipv4ToNumber(b.vtep);
}

class Model {
  claims = new Map<string, Claim>();
  seen = new Map<string, Set<string>>();
  adv = new Map<string, number>();
  fdb = new Map<string, Where>();
  type3 = new Map<string, { vtep: string; ir: boolean }>();

  private best(mac: string): Claim | undefined {
    let best: Claim | undefined;
    for (const c of this.claims.values()) if (c.mac === mac && (best === undefined || better(c, best))) best = c;
    return best;
  }

  settle(mac: string): void {
    if (mac.startsWith('33:')) return;
    const best = this.best(mac);
    const all = [...this.claims.values()].filter((c) => c.mac === mac);
    if (this.seen.has(mac)) {
      const seq = this.adv.get(mac);
      if (seq !== undefined) {
        if (best !== undefined && better(best, { vtep: SELF, seq, sticky: false })) {
          this.adv.delete(mac);
          this.seen.delete(mac);
          this.fdb.set(mac, { vtep: best.vtep, seq: best.seq, sticky: best.sticky });
        }
      } else if (best?.sticky) {
        this.seen.delete(mac);
        this.fdb.set(mac, { vtep: best.vtep, seq: best.seq, sticky: best.sticky });
      } else {
        this.adv.set(mac, all.length > 0 ? Math.max(...all.map((c) => c.seq)) + 1 : 0);
        this.fdb.set(mac, 'local');
      }
    } else {
      this.adv.delete(mac);
      if (best !== undefined) this.fdb.set(mac, { vtep: best.vtep, seq: best.seq, sticky: best.sticky });
      else this.fdb.delete(mac);
    }
  }

  neighbor(ip: string): string | undefined {
    let best: Claim | undefined;
    for (const c of this.claims.values()) if (c.ip === ip && !c.mac.startsWith('33:') && (best === undefined || better(c, best))) best = c;
    return best?.mac;
  }

  flood(): string[] {
    const set = new Set<string>();
    for (const t of this.type3.values()) if (t.ir) set.add(t.vtep);
    return [...set].sort((a, b) => ipv4ToNumber(a) - ipv4ToNumber(b));
  }
}

function run(ops: Op[]): void {
  const fdb = new RecordingFdb();
  const sink = new RecordingSink();
  const manager = new EvpnManager({ speaker: { asn: 65000, routerId: SELF, vtep: SELF }, instances: [{ vni: 100 }], fdb, routes: sink, duplicateDetection: false });
  fdb.manager = manager;
  manager.start();
  const model = new Model();
  // As the Loc-RIB does: each change carries the previous best path of the key.
  const current = new Map<string, Route>();
  const best = (r: Route): void => {
    manager.onLocRibChange({ type: 'best', family: r.family, key: r.key, route: r, previous: current.get(r.key) ?? null });
    current.set(r.key, r);
  };
  const gone = (r: Route): void => {
    const previous = current.get(r.key);
    if (previous === undefined) return;
    manager.onLocRibChange({ type: 'withdrawn', family: r.family, key: r.key, previous });
    current.delete(r.key);
  };

  ops.forEach((o, step) => {
    switch (o.op) {
      case 'announce': {
        const r = type2(o, o.seq, o.sticky);
        best(r);
        if (VTEPS[o.vtep] !== SELF) model.claims.set(r.key, { mac: MACS[o.mac]!, vtep: VTEPS[o.vtep]!, seq: o.seq, sticky: o.sticky, ip: o.ip > 0 ? IPS[o.ip - 1] : undefined });
        model.settle(MACS[o.mac]!);
        break;
      }
      case 'withdraw': {
        const r = type2(o);
        // The Loc-RIB only reports withdrawals of keys it holds.
        if (!model.claims.has(r.key) && VTEPS[o.vtep] !== SELF) break;
        gone(r);
        model.claims.delete(r.key);
        model.settle(MACS[o.mac]!);
        break;
      }
      case 'learn': {
        const mac = MACS[o.mac]!;
        const ip = o.ip > 0 ? IPS[o.ip - 1] : undefined;
        fdb.learnLocal(100, mac, ip);
        if (mac.startsWith('33:')) {
          model.fdb.set(mac, 'local');
          break;
        }
        const s = model.seen.get(mac) ?? new Set<string>();
        if (ip !== undefined) s.add(ip);
        model.seen.set(mac, s);
        model.fdb.set(mac, 'local');
        model.settle(mac);
        break;
      }
      case 'age': {
        const mac = MACS[o.mac]!;
        fdb.ageLocal(100, mac);
        if (model.fdb.get(mac) === 'local') model.fdb.delete(mac);
        model.seen.delete(mac);
        model.settle(mac);
        break;
      }
      case 'type3': {
        const r = type3(o, o.pmsi);
        best(r);
        model.type3.set(r.key, { vtep: VTEPS[o.vtep]!, ir: o.pmsi && VTEPS[o.vtep] !== SELF });
        break;
      }
      case 'type3-withdraw': {
        const r = type3(o, true);
        if (!model.type3.has(r.key)) break;
        gone(r);
        model.type3.delete(r.key);
        break;
      }
    }
    const where = `step ${step} ${JSON.stringify(o)}`;
    for (const mac of MACS) {
      const e = fdb.entry(100, mac);
      const expected = model.fdb.get(mac);
      const actual = e === undefined ? undefined : e.kind === 'local' ? 'local' : { vtep: e.vtep, seq: e.seq, sticky: e.sticky };
      assert.deepEqual(actual, expected, `${where}: FDB ${mac}`);
      const ours = [...sink.routes.values()].filter((r) => r.nlri.family === 'l2vpn-evpn' && r.nlri.nlri.route.type === 2 && r.nlri.nlri.route.mac === mac);
      const seq = model.adv.get(mac);
      if (seq === undefined) {
        assert.equal(ours.length, 0, `${where}: we advertise ${mac}`);
      } else {
        const ips = ours.map((r) => (r.nlri.family === 'l2vpn-evpn' && r.nlri.nlri.route.type === 2 ? (r.nlri.nlri.route.ip ?? '') : '?'));
        assert.deepEqual(ips.sort(), ['', ...(model.seen.get(mac) ?? [])].sort(), `${where}: our routes for ${mac}`);
        for (const r of ours) {
          const ec = r.attributes.find((a) => a.type === 'extended-communities')?.value as ExtendedCommunity[];
          const mm = ec.find((x) => x.kind === 'mac-mobility');
          assert.equal(mm?.kind === 'mac-mobility' ? mm.sequence : 0, seq, `${where}: our sequence for ${mac}`);
        }
      }
    }
    for (const ip of IPS) assert.equal(fdb.neighbors.get(`100|${ip}`), model.neighbor(ip), `${where}: neighbor ${ip}`);
    assert.deepEqual(fdb.flood.get(100) ?? [], model.flood(), `${where}: flood list`);
    assert.deepEqual(new Set([...manager.originated()].map((r) => r.key)), new Set(sink.routes.keys()), `${where}: originated = announced`);
  });
}

test('EVPN manager = naive model over random event sequences', () => {
  fc.assert(
    fc.property(fc.array(opArb, { minLength: 1, maxLength: 60 }), (ops) => run(ops)),
    runs(0.1),
  );
});
