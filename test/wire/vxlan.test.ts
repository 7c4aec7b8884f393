import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as vxlan from '../../src/wire/vxlan.js';
import { WireError } from '../../src/wire/wire-error.js';
import { roundTrip } from '../helpers/round-trip.js';

test('VXLAN: round trip at offsets, VNI range ends', () => {
  for (const vni of [0, 1, 100, 0x123456, vxlan.VXLAN_MAX_VNI]) {
    const bytes = roundTrip(vxlan, { vni });
    assert.equal(bytes[0], 0x08, 'only the I flag is set on send');
    assert.equal(bytes[7], 0, 'reserved byte is zero on send');
  }
});

test('VXLAN: reserved bits are ignored on receive, I flag is required', () => {
  const withReserved = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x64, 0xff]);
  assert.deepEqual(vxlan.decode(withReserved), { vni: 100 });
  const noI = Buffer.from([0xf7, 0, 0, 0, 0, 0, 0x64, 0]);
  assert.throws(() => vxlan.decode(noI), (e: unknown) => e instanceof WireError && e.action === 'drop');
  assert.throws(() => vxlan.decode(Buffer.alloc(7, 0x08)), WireError);
});

test('VXLAN: encode rejects a VNI outside 24 bits', () => {
  assert.throws(() => vxlan.encode({ vni: 0x1000000 }), RangeError);
  assert.throws(() => vxlan.encode({ vni: -1 }), RangeError);
});
