import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { VtepTable } from '../../src/dataplane/vtep-table.js';
import { VniIndex } from '../../src/dataplane/vni-index.js';
import { runs } from '../helpers/property.js';

test('VTEP table: text and bytes intern to the same index, both families', () => {
  const t = new VtepTable();
  const a = t.intern('10.0.0.2');
  const b = t.intern('2001:db8::2');
  assert.notEqual(a, b);
  assert.equal(t.intern('10.0.0.2'), a);
  // The outer source address straight from a datagram buffer, at an offset.
  const pkt = Buffer.from([0xff, 0xff, 10, 0, 0, 2]);
  assert.equal(t.findBytes(pkt, 2, 4), a);
  assert.equal(t.internBytes(pkt, 2, 4), a);
  const v6 = Buffer.from('20010db8000000000000000000000002', 'hex');
  assert.equal(t.findBytes(v6, 0, 16), b);
  assert.equal(t.address(a), '10.0.0.2');
  assert.equal(t.address(b), '2001:db8::2');
  assert.equal(t.isIpv4(a), true);
  assert.equal(t.isIpv4(b), false);
  assert.equal(t.ipv4(a), 0x0a000002);
  const out = Buffer.alloc(20);
  assert.equal(t.writeAddress(b, out, 2), 16);
  assert.deepEqual(out.subarray(2, 18), v6);
  assert.equal(t.writeAddress(a, out, 0), 4);
  assert.deepEqual([...out.subarray(0, 4)], [10, 0, 0, 2]);
  assert.equal(t.find('10.0.0.3'), -1);
  assert.equal(t.size, 2);
  assert.throws(() => t.intern('10.0.0.300'), TypeError);
  assert.throws(() => t.internBytes(pkt, 0, 5), RangeError);
});

test('VTEP table: full table returns -1; reference counts; reclaim recycles', () => {
  const t = new VtepTable(2);
  const a = t.intern('10.0.0.1');
  const b = t.intern('10.0.0.2');
  assert.equal(t.intern('10.0.0.3'), -1);
  t.retain(a);
  t.retain(a);
  t.retain(b);
  assert.equal(t.reclaim(), 0);
  t.release(a);
  t.release(b);
  assert.equal(t.refs(a), 1);
  assert.equal(t.refs(b), 0);
  // b keeps its address until reclaim() (an index read earlier in a batch stays valid).
  assert.equal(t.address(b), '10.0.0.2');
  assert.equal(t.intern('10.0.0.3'), -1);
  assert.equal(t.reclaim(), 1);
  assert.equal(t.has(b), false);
  assert.throws(() => t.address(b), RangeError);
  const c = t.intern('10.0.0.3');
  assert.equal(c, b, 'the freed index is handed out again');
  assert.equal(t.address(c), '10.0.0.3');
  // Interned but never retained: reclaimable.
  assert.equal(t.reclaim(), 1);
  assert.equal(t.find('10.0.0.3'), -1);
  // Retained again before reclaim: survives.
  const d = t.intern('10.0.0.4');
  t.retain(d);
  t.release(d);
  t.retain(d);
  assert.equal(t.reclaim(), 0);
  assert.equal(t.address(d), '10.0.0.4');
});

test('VTEP table property: agrees with a Map model through intern/release/reclaim', () => {
  const addr = fc.oneof(
    fc.integer({ min: 1, max: 40 }).map((i) => `10.0.${i >> 4}.${i}`),
    fc.integer({ min: 1, max: 20 }).map((i) => `2001:db8::${i.toString(16)}`),
  );
  const op = fc.oneof(
    fc.record({ op: fc.constant('intern' as const), addr }),
    fc.record({ op: fc.constant('release' as const), addr }),
    fc.record({ op: fc.constant('reclaim' as const) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const cap = 6;
      const t = new VtepTable(cap);
      // address -> refs, for addresses currently held (retained or pending).
      const held = new Map<string, number>();
      for (const o of ops) {
        if (o.op === 'intern') {
          const idx = t.intern(o.addr);
          if (held.has(o.addr)) {
            assert.ok(idx >= 0);
          } else if (held.size >= cap) {
            assert.equal(idx, -1);
            continue;
          }
          assert.ok(idx >= 0);
          t.retain(idx);
          held.set(o.addr, (held.get(o.addr) ?? 0) + 1);
        } else if (o.op === 'release') {
          const n = held.get(o.addr) ?? 0;
          if (n === 0) continue;
          t.release(t.find(o.addr));
          held.set(o.addr, n - 1);
        } else {
          t.reclaim();
          for (const [a, n] of held) if (n === 0) held.delete(a);
        }
        assert.equal(t.size, held.size);
        for (const [a, n] of held) {
          const idx = t.find(a);
          assert.ok(idx >= 0, `${a} is held`);
          assert.equal(t.refs(idx), n);
          assert.equal(t.address(idx), a);
        }
      }
    }),
    runs(0.01),
  );
});

test('VNI index: dense slots, remove and reuse, capacity', () => {
  const x = new VniIndex(3);
  assert.equal(x.add(10), 0);
  assert.equal(x.add(0xffffff), 1);
  assert.equal(x.add(0), 2);
  assert.equal(x.add(10), 0);
  assert.equal(x.add(11), -1, 'full');
  assert.equal(x.find(0xffffff), 1);
  assert.equal(x.remove(0xffffff), true);
  assert.equal(x.remove(0xffffff), false);
  assert.equal(x.find(0xffffff), -1);
  assert.equal(x.vniAt(1), -1);
  assert.equal(x.add(11), 1);
  assert.equal(x.vniAt(1), 11);
  assert.equal(x.size, 3);
  assert.throws(() => new VniIndex(0), RangeError);
});

test('VNI index property: agrees with a Map model (backward-shift deletion)', () => {
  const vni = fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constantFrom(0xffffff, 0x800000, 0x7fffff));
  const op = fc.record({ add: fc.boolean(), vni });
  fc.assert(
    fc.property(fc.array(op, { maxLength: 100 }), (ops) => {
      const cap = 8;
      const x = new VniIndex(cap);
      const model = new Map<number, number>();
      for (const o of ops) {
        if (o.add) {
          const s = x.add(o.vni);
          if (model.has(o.vni)) assert.equal(s, model.get(o.vni));
          else if (model.size >= cap) assert.equal(s, -1);
          else {
            assert.ok(s >= 0 && s < cap);
            assert.ok(![...model.values()].includes(s), 'slot not shared');
            model.set(o.vni, s);
          }
        } else {
          assert.equal(x.remove(o.vni), model.delete(o.vni));
        }
        assert.equal(x.size, model.size);
        for (const [v, s] of model) {
          assert.equal(x.find(v), s);
          assert.equal(x.vniAt(s), v);
        }
      }
    }),
    runs(0.01),
  );
});
