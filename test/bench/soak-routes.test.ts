// The soak injector's route plan and UPDATEs (bench/soak/plan.ts, routes.ts),
// decoded back with the project's codec: every MAC announced once behind its
// VTEP, a move announces the next VTEP with the next MAC Mobility sequence
// number (RFC 7432 §15) and withdraws the old route.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AS4_CONTEXT } from '../../src/wire/bgp-context.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import type { ExtendedCommunity } from '../../src/wire/extended-community.js';
import { evenSample, FIRST_VNI, MacTable, macText, pickMacs, slotsPerVni, vtepAddress, vtepOfSlot } from '../../bench/soak/plan.js';
import { prng } from '../helpers/prng.js';
import { fullTable, moveBurst } from '../../bench/soak/routes.js';
import { soakToml } from '../../bench/soak/config.js';
import { parseConfig } from '../../src/daemon/config-file.js';

interface Seen {
  type: number;
  mac?: string;
  nextHop: string;
  seq: number;
  vni?: number;
}

function decodeAll(bufs: readonly Buffer[]): { announced: Seen[]; withdrawn: string[] } {
  const announced: Seen[] = [];
  const withdrawn: string[] = [];
  for (const b of bufs) {
    assert.ok(b.length <= 4096, 'fits a standard BGP message');
    const m = bgpMessage.decode(b, 0, AS4_CONTEXT);
    assert.equal(m.type, 'update');
    if (m.type !== 'update') continue;
    const ecs = (m.update.attributes.find((a) => a.type === 'extended-communities')?.value ?? []) as ExtendedCommunity[];
    const mm = ecs.find((e) => e.kind === 'mac-mobility');
    for (const a of m.update.attributes) {
      if (a.type === 'mp-reach-nlri' && a.value.kind === 'evpn') {
        for (const n of a.value.nlri) {
          const r = n.route;
          const seen: Seen = { type: Number(r.type), nextHop: a.value.nextHop, seq: mm?.kind === 'mac-mobility' ? mm.sequence : 0 };
          if (r.type === 2) {
            seen.mac = r.mac;
            seen.vni = Number(r.labels[0]);
          }
          announced.push(seen);
        }
      }
      if (a.type === 'mp-unreach-nlri' && a.value.kind === 'evpn') for (const n of a.value.withdrawn) if (n.route.type === 2) withdrawn.push(n.route.mac);
    }
  }
  return { announced, withdrawn };
}

const shape = { vnis: 10, macs: 1000, vteps: 7 };

test('plan: MACs spread over the VNIs and each VNI\'s VTEP slots', () => {
  const t = new MacTable(shape);
  assert.equal(slotsPerVni(shape), 4);
  assert.equal(macText(0x0a0b0c), '02:5a:00:0a:0b:0c');
  assert.equal(vtepAddress(0), '10.218.1.0');
  assert.equal(vtepAddress(257), '10.218.2.1');
  const used = new Set<number>();
  for (let i = 0; i < shape.macs; i++) used.add(t.vtepOf(i));
  assert.equal(used.size, 7, 'every VTEP hosts MACs');
  assert.equal(vtepOfSlot(shape, 1, 0), 4);
  assert.deepEqual(evenSample(1000, 4), [0, 250, 500, 750]);
  const picked = pickMacs(1000, 100, prng(1));
  assert.equal(new Set(picked).size, 100);
  assert.deepEqual(pickMacs(1000, 100, prng(1)), picked, 'seeded: the same picks');
});

test('fullTable: a Type 3 per VNI per slot, every MAC once behind its VTEP in its VNI, no mobility yet', () => {
  const t = new MacTable(shape);
  const { announced, withdrawn } = decodeAll(fullTable(t, 65000));
  assert.equal(withdrawn.length, 0);
  assert.equal(announced.filter((a) => a.type === 3).length, shape.vnis * 4);
  const t2 = announced.filter((a) => a.type === 2);
  assert.equal(t2.length, shape.macs);
  assert.equal(new Set(t2.map((a) => a.mac)).size, shape.macs);
  const m17 = t2.find((a) => a.mac === macText(17))!;
  assert.equal(m17.vni, FIRST_VNI + 7);
  assert.equal(m17.nextHop, vtepAddress(t.vtepOf(17)));
  assert.ok(t2.every((a) => a.seq === 0));
});

test('moveBurst: the next VTEP with sequence + 1, then the old route withdrawn; the table remembers', () => {
  const t = new MacTable(shape);
  const before = t.vtepOf(5);
  const first = decodeAll(moveBurst(t, 65000, [5, 6]));
  assert.deepEqual(first.announced.map((a) => [a.mac, a.seq]).sort(), [[macText(5), 1], [macText(6), 1]]);
  assert.equal(first.announced.find((a) => a.mac === macText(5))!.nextHop, vtepAddress(t.vtepOf(5)));
  assert.notEqual(t.vtepOf(5), before);
  assert.deepEqual(first.withdrawn.sort(), [macText(5), macText(6)]);
  const again = decodeAll(moveBurst(t, 65000, [5]));
  assert.equal(again.announced[0]!.seq, 2);
  // After a flap the whole table carries each MAC's current sequence.
  const full = decodeAll(fullTable(t, 65000)).announced.filter((a) => a.type === 2);
  assert.equal(full.find((a) => a.mac === macText(5))!.seq, 2);
  assert.equal(full.find((a) => a.mac === macText(6))!.seq, 1);
  assert.equal(full.find((a) => a.mac === macText(7))!.seq, 0);
});

test('soakToml: the daemon accepts the generated config (1,000 VNIs on one trunk)', () => {
  const toml = soakToml({ shape: { vnis: 1000, macs: 100_000, vteps: 200 }, as: 65000, holdS: 90, trunk: 'trunk0', metricsListen: '127.0.0.1:9273' });
  const c = parseConfig('soak.toml', toml, { interfaceExists: (name) => name === 'trunk0' || name === 'ul0' });
  assert.equal(c.dataplane.vnis.length, 1000);
  assert.equal(c.metricsListen, '127.0.0.1:9273');
  assert.ok(c.dataplane.vnis.every((v, i) => v.vni === FIRST_VNI + i && v.ports.length === 1 && v.ports[0]!.vlan === i + 1));
});
