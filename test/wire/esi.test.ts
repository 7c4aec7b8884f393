import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Codec } from '../../src/wire/codec.js';
import * as esi from '../../src/wire/esi.js';
import type { Esi } from '../../src/wire/esi.js';
import { esiArb } from '../helpers/evpn-arbitraries.js';
import { allEvpnNlris, field } from '../helpers/evpn-capture.js';
import { isNlriError } from '../helpers/bgp-errors.js';
import { bytesArbitrary, onlyWireError, runs } from '../helpers/property.js';
import { reencodes, roundTrip } from '../helpers/round-trip.js';

const codec: Codec<Esi> = esi;

test('ESI: each RFC 7432 §5 type', () => {
  const cases: Array<[Esi, string]> = [
    [{ type: 0, value: Buffer.alloc(9) }, '00000000000000000000'],
    [{ type: 0, value: Buffer.from('112233445566778899', 'hex') }, '00112233445566778899'],
    [{ type: 1, ceMac: 'aa:bb:cc:dd:ee:ff', portKey: 100 }, '01aabbccddeeff006400'],
    [{ type: 2, bridgeMac: 'aa:bb:cc:dd:ee:ff', priority: 32768 }, '02aabbccddeeff800000'],
    [{ type: 3, systemMac: 'aa:bb:cc:dd:ee:ff', discriminator: 9 }, '03aabbccddeeff000009'],
    [{ type: 4, routerId: '10.99.0.1', discriminator: 5 }, '040a6300010000000500'],
    [{ type: 5, asn: 65000, discriminator: 7 }, '050000fde80000000700'],
    [{ type: 1, ceMac: '00:00:00:00:00:01', portKey: 1, reserved: 0xff }, '010000000000010001ff'],
    [{ type: 'unknown', code: 7, value: Buffer.from('010203040506070809', 'hex') }, '07010203040506070809'],
  ];
  for (const [value, hex] of cases) assert.equal(roundTrip(codec, value).toString('hex'), hex);
});

test('ESI: the captured ESIs decode like tshark decodes them and re-encode exactly', () => {
  const types = new Set<string>();
  for (const nlri of allEvpnNlris()) {
    const hex = field(nlri.tree, 'bgp.evpn.nlri.esi');
    if (hex === undefined) continue; // type 3 has no ESI
    const bytes = Buffer.from(hex.replace(/:/g, ''), 'hex');
    const value = reencodes(codec, bytes);
    const t = field(nlri.tree, 'bgp.evpn.nlri.esi.type');
    assert.equal(value.type === 'unknown' ? value.code : value.type, Number(t));
    types.add(String(t));
    if (value.type === 1) {
      assert.equal(value.ceMac, field(nlri.tree, 'bgp.evpn.nlri.esi.lacp_mac'));
      assert.equal(value.portKey, Number(field(nlri.tree, 'bgp.evpn.nlri.esi.lacp_portkey')));
    }
    if (value.type === 4) assert.equal(value.routerId, field(nlri.tree, 'bgp.evpn.nlri.esi.router_id'));
    if (value.type === 5) assert.equal(value.asn, Number(field(nlri.tree, 'bgp.evpn.nlri.esi.asn')));
    assert.equal(esi.formatEsiFrr(value), hex, "FRR's esi_to_str is tshark's colon hex");
  }
  for (const t of ['0', '1', '2', '3', '4', '5', '7']) assert.ok(types.has(t), `captures hold an ESI of type ${t}`);
});

test('ESI: zero ESI, GoBGP and FRR text', () => {
  const zero = esi.zeroEsi();
  assert.ok(esi.isZeroEsi(zero));
  assert.ok(!esi.isZeroEsi({ type: 0, value: Buffer.from('000000000000000001', 'hex') }));
  assert.ok(!esi.isZeroEsi({ type: 3, systemMac: '00:00:00:00:00:00', discriminator: 0 }));
  assert.equal(esi.formatEsiGobgp(zero), 'single-homed');
  assert.equal(esi.formatEsiFrr(zero), '00:00:00:00:00:00:00:00:00:00');
  // The GoBGP forms below are the ones gobgp 3.10 printed for the same ESIs
  // (test/fixtures/gobgp-evpn-route-types.rib.txt; evpn-route-text.test.ts checks them against the file).
  assert.equal(
    esi.formatEsiGobgp({ type: 1, ceMac: 'aa:bb:cc:dd:ee:ff', portKey: 100 }),
    'ESI_LACP | system mac aa:bb:cc:dd:ee:ff, port key 100',
  );
  assert.equal(esi.formatEsiGobgp({ type: 5, asn: 65000, discriminator: 7 }), 'ESI_AS | as 65000, local discriminator 7');
  assert.equal(
    esi.formatEsiGobgp({ type: 'unknown', code: 7, value: Buffer.from('010203040506070809', 'hex') }),
    'ESIType(7) | 01:02:03:04:05:06:07:08:09',
  );
  assert.deepEqual(esi.parseEsi('single-homed'), zero);
  assert.deepEqual(esi.parseEsi('01:aa:bb:cc:dd:ee:ff:00:64:00'), { type: 1, ceMac: 'aa:bb:cc:dd:ee:ff', portKey: 100 });
  assert.throws(() => esi.parseEsi('01:aa'), (e: unknown) => e instanceof TypeError && e.message.includes('"01:aa"'));
});

test('ESI: errors', () => {
  assert.throws(() => esi.decode(Buffer.alloc(9)), isNlriError);
  assert.throws(() => esi.encode({ type: 0, value: Buffer.alloc(8) }), RangeError);
  assert.throws(() => esi.encode({ type: 3, systemMac: 'aa:bb:cc:dd:ee:ff', discriminator: 0x1000000 }), RangeError);
  assert.throws(() => esi.encode({ type: 'unknown', code: 5, value: Buffer.alloc(9) }), RangeError);
  assert.throws(() => esi.encode({ type: 1, ceMac: 'not-a-mac', portKey: 1 }), TypeError);
});

test('ESI: property: round trip and FRR text round trip; random bytes', () => {
  fc.assert(
    fc.property(esiArb, (value) => {
      roundTrip(codec, value);
      assert.deepEqual(esi.parseEsi(esi.formatEsiFrr(value)), value);
    }),
    runs(0.5),
  );
  fc.assert(
    fc.property(bytesArbitrary(14), fc.integer({ min: 0, max: 14 }), (bytes, offset) => {
      onlyWireError(() => {
        const v = esi.decode(bytes, offset);
        assert.deepEqual(esi.encode(v), bytes.subarray(offset, offset + 10));
      });
    }),
    runs(0.5),
  );
});
