import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FloodLists } from '../../src/dataplane/flood-list.js';
import { VtepTable } from '../../src/dataplane/vtep-table.js';
import { Fdb } from '../../src/dataplane/fdb.js';
import { runs } from '../helpers/property.js';

test('flood list: set, get (indexes in order, duplicates dropped), addresses', () => {
  const vteps = new VtepTable();
  const fl = new FloodLists(vteps);
  fl.set(10, ['10.0.0.2', '10.0.0.3', '10.0.0.2', '2001:db8::4']);
  assert.deepEqual(fl.addresses(10), ['10.0.0.2', '10.0.0.3', '2001:db8::4']);
  const list = fl.get(10);
  assert.ok(list instanceof Int32Array);
  assert.deepEqual(Array.from(list), [vteps.find('10.0.0.2'), vteps.find('10.0.0.3'), vteps.find('2001:db8::4')]);
  assert.equal(fl.get(11).length, 0, 'unknown VNI: empty list');
  assert.equal(fl.get(11), fl.get(12), 'one shared empty array, nothing allocated');
  assert.deepEqual(fl.vniList(), [10]);
});

test('flood list: VNIs are independent (never flood to another VNI)', () => {
  const fl = new FloodLists(new VtepTable());
  fl.set(10, ['10.0.0.2']);
  fl.set(20, ['10.0.0.3']);
  assert.deepEqual(fl.addresses(10), ['10.0.0.2']);
  assert.deepEqual(fl.addresses(20), ['10.0.0.3']);
  fl.clear(10);
  assert.equal(fl.get(10).length, 0);
  assert.deepEqual(fl.addresses(20), ['10.0.0.3']);
  assert.deepEqual(fl.vniList(), [20]);
});

test('flood list: a published list is never modified (safe to hold mid-batch)', () => {
  const fl = new FloodLists(new VtepTable());
  fl.set(10, ['10.0.0.2', '10.0.0.3']);
  const held = fl.get(10);
  const copy = Array.from(held);
  fl.add(10, '10.0.0.4');
  fl.remove(10, '10.0.0.2');
  fl.set(10, ['10.0.0.9']);
  fl.clear(10);
  assert.deepEqual(Array.from(held), copy);
});

test('flood list: add and remove one VTEP (Type 3 routes arriving and withdrawn)', () => {
  const fl = new FloodLists(new VtepTable());
  assert.equal(fl.add(10, '10.0.0.2'), true);
  assert.equal(fl.add(10, '10.0.0.3'), true);
  assert.equal(fl.add(10, '10.0.0.2'), false);
  assert.deepEqual(fl.addresses(10), ['10.0.0.2', '10.0.0.3']);
  assert.equal(fl.remove(10, '10.0.0.2'), true);
  assert.equal(fl.remove(10, '10.0.0.2'), false);
  assert.equal(fl.remove(10, '192.0.2.1'), false, 'never-seen address');
  assert.equal(fl.remove(99, '10.0.0.3'), false, 'other VNI');
  assert.equal(fl.remove(10, '10.0.0.3'), true);
  assert.deepEqual(fl.vniList(), []);
});

test('flood list: holds VTEP references; freed ones are recycled only by reclaim()', () => {
  const vteps = new VtepTable();
  const fl = new FloodLists(vteps);
  fl.set(10, ['10.0.0.2', '10.0.0.3']);
  fl.set(20, ['10.0.0.3']);
  const a = vteps.find('10.0.0.2');
  const b = vteps.find('10.0.0.3');
  assert.deepEqual([vteps.refs(a), vteps.refs(b)], [1, 2]);
  // Replacing a list with one sharing a VTEP never drops that VTEP to zero.
  fl.set(10, ['10.0.0.3']);
  assert.deepEqual([vteps.refs(a), vteps.refs(b)], [0, 2]);
  assert.equal(vteps.address(a), '10.0.0.2', 'still resolvable until reclaim');
  assert.equal(vteps.reclaim(), 1);
  assert.equal(vteps.find('10.0.0.2'), -1);
  fl.clear(10);
  fl.clear(20);
  assert.equal(vteps.reclaim(), 1);
  assert.equal(vteps.size, 0);
});

test('flood list: bad input changes nothing', () => {
  const vteps = new VtepTable(2);
  const fl = new FloodLists(vteps);
  fl.set(10, ['10.0.0.2']);
  assert.throws(() => fl.set(10, ['10.0.0.3', 'not-an-ip']), TypeError);
  assert.deepEqual(fl.addresses(10), ['10.0.0.2']);
  assert.throws(() => fl.set(10, ['10.0.0.3', '10.0.0.4', '10.0.0.5']), RangeError, 'VTEP table full');
  assert.deepEqual(fl.addresses(10), ['10.0.0.2']);
  assert.throws(() => fl.set(0x1000000, ['10.0.0.2']), RangeError);
  assert.throws(() => fl.add(-1, '10.0.0.2'), RangeError);
  // The half-interned addresses of the failed calls are reclaimed.
  vteps.reclaim();
  assert.equal(vteps.size, 1);
});

test('flood list: reached through the FDB API (setFloodList)', () => {
  const fdb = new Fdb();
  fdb.setFloodList(100, ['10.0.0.2', '10.0.0.3']);
  assert.deepEqual(fdb.floodLists.addresses(100), ['10.0.0.2', '10.0.0.3']);
  assert.equal(fdb.vteps.address(fdb.floodLists.get(100)[1]!), '10.0.0.3');
  fdb.setFloodList(100, []);
  assert.equal(fdb.floodLists.get(100).length, 0);
});

test('flood list property: agrees with a Map<vni, string[]> model', () => {
  const addrs = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '2001:db8::1', '2001:db8::2'];
  const vni = fc.constantFrom(1, 2, 3, 0xffffff);
  const addr = fc.constantFrom(...addrs);
  const op = fc.oneof(
    fc.record({ op: fc.constant('set' as const), vni, list: fc.array(addr, { maxLength: 6 }) }),
    fc.record({ op: fc.constant('add' as const), vni, addr }),
    fc.record({ op: fc.constant('remove' as const), vni, addr }),
    fc.record({ op: fc.constant('clear' as const), vni }),
    fc.record({ op: fc.constant('reclaim' as const) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
      const vteps = new VtepTable(8);
      const fl = new FloodLists(vteps, 8);
      const model = new Map<number, string[]>();
      for (const o of ops) {
        switch (o.op) {
          case 'set':
            fl.set(o.vni, o.list);
            model.set(o.vni, [...new Set(o.list)]);
            break;
          case 'add': {
            const cur = model.get(o.vni) ?? [];
            assert.equal(fl.add(o.vni, o.addr), !cur.includes(o.addr));
            if (!cur.includes(o.addr)) model.set(o.vni, [...cur, o.addr]);
            break;
          }
          case 'remove': {
            const cur = model.get(o.vni) ?? [];
            assert.equal(fl.remove(o.vni, o.addr), cur.includes(o.addr));
            model.set(
              o.vni,
              cur.filter((a) => a !== o.addr),
            );
            break;
          }
          case 'clear':
            fl.clear(o.vni);
            model.delete(o.vni);
            break;
          case 'reclaim':
            vteps.reclaim();
            break;
        }
        for (const v of [1, 2, 3, 0xffffff]) assert.deepEqual(fl.addresses(v), model.get(v) ?? []);
        // References: one per list naming the address.
        for (const a of addrs) {
          const idx = vteps.find(a);
          const holders = [...model.values()].filter((l) => l.includes(a)).length;
          assert.equal(idx < 0 ? 0 : vteps.refs(idx), holders);
        }
      }
    }),
    runs(0.01),
  );
});
