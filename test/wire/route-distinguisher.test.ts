import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Codec } from '../../src/wire/codec.js';
import * as rd from '../../src/wire/route-distinguisher.js';
import type { RouteDistinguisher } from '../../src/wire/route-distinguisher.js';
import { WireError } from '../../src/wire/wire-error.js';
import { allEvpnNlris, field } from '../helpers/evpn-capture.js';
import { rdArb } from '../helpers/evpn-arbitraries.js';
import { bytesArbitrary, onlyWireError, runs } from '../helpers/property.js';
import { reencodes, roundTrip } from '../helpers/round-trip.js';

const codec: Codec<RouteDistinguisher> = rd;

test('RD: the three RFC 4364 §4.2 layouts and an opaque type', () => {
  const cases: Array<[RouteDistinguisher, string]> = [
    [{ type: 0, asn: 65000, assigned: 10 }, '0000fde80000000a'],
    [{ type: 0, asn: 1, assigned: 0xffffffff }, '00000001ffffffff'],
    [{ type: 1, ip: '10.212.0.1', assigned: 2 }, '00010ad400010002'],
    [{ type: 2, asn: 4200000000, assigned: 5 }, '0002fa56ea000005'],
    [{ type: 'unknown', code: 0x1234, raw: Buffer.from('a1a2a3a4a5a6', 'hex') }, '1234a1a2a3a4a5a6'],
  ];
  for (const [value, hex] of cases) {
    assert.equal(roundTrip(codec, value).toString('hex'), hex);
  }
});

test('RD: every RD in the captured NLRIs re-encodes to its bytes', () => {
  let n = 0;
  for (const nlri of allEvpnNlris()) {
    const hex = field(nlri.tree, 'bgp.evpn.nlri.rd');
    assert.ok(hex, 'tshark shows the RD');
    const bytes = Buffer.from(hex.replace(/:/g, ''), 'hex');
    reencodes(codec, bytes);
    n++;
  }
  assert.ok(n > 20, `expected many captured RDs, got ${n}`);
  // FRR's RD = router-id:index, the type 1 layout (interop README: "10.212.0.1:2").
  const frr = rd.decode(Buffer.from('00010ad400010002', 'hex'));
  assert.equal(rd.formatRd(frr), '10.212.0.1:2');
});

test('RD: decode reads at its offset and returns a view for the opaque value', () => {
  const buf = Buffer.from('ff' + '0009' + '010203040506' + 'ee', 'hex');
  const value = rd.decode(buf, 1);
  assert.equal(rd.decode.bytes, 8);
  assert.ok(value.type === 'unknown');
  assert.equal(value.code, 9);
  assert.equal(value.raw.buffer, buf.buffer, 'a view, not a copy');
  assert.throws(() => rd.decode(buf, 3), (e: unknown) => e instanceof WireError && e.code === 3 && e.subcode === 10);
});

test('RD: text forms as FRR and GoBGP print them', () => {
  assert.equal(rd.formatRd({ type: 0, asn: 65000, assigned: 10 }), '65000:10');
  assert.equal(rd.formatRd({ type: 1, ip: '192.0.2.1', assigned: 5 }), '192.0.2.1:5');
  assert.equal(rd.formatRd({ type: 2, asn: 4200000000, assigned: 5 }), '4200000000:5');
  // GoBGP 3.10 prints a 4-byte-AS RD in asdot (seen in gobgp-evpn-route-types.rib.txt).
  assert.equal(rd.formatRdGobgp({ type: 2, asn: 4200000000, assigned: 5 }), '64086.59904:5');
  assert.equal(rd.formatRdGobgp({ type: 0, asn: 65000, assigned: 10 }), '65000:10');
  assert.equal(rd.formatRd({ type: 'unknown', code: 7, raw: Buffer.alloc(6) }), 'Unknown Type: 7');
});

test('RD: parseRd picks the layout from the text', () => {
  assert.deepEqual(rd.parseRd('65000:10'), { type: 0, asn: 65000, assigned: 10 });
  assert.deepEqual(rd.parseRd('65535:4294967295'), { type: 0, asn: 65535, assigned: 4294967295 });
  assert.deepEqual(rd.parseRd('192.0.2.1:5'), { type: 1, ip: '192.0.2.1', assigned: 5 });
  assert.deepEqual(rd.parseRd('4200000000:5'), { type: 2, asn: 4200000000, assigned: 5 });
  assert.deepEqual(rd.parseRd('65536:1'), { type: 2, asn: 65536, assigned: 1 });
  assert.deepEqual(rd.parseRd('64086.59904:5'), { type: 2, asn: 4200000000, assigned: 5 });
  for (const bad of ['', '65000', ':10', '65000:', 'x:1', '65000:-1', '70000:70000', '1.2.3.4:65536', '4294967296:1', '65000:4294967296', '*:100', '1.2.3:4', ' 65000:10']) {
    assert.throws(
      () => rd.parseRd(bad),
      (e: unknown) => e instanceof TypeError && e.message.includes(`"${bad}"`) && e.message.includes('65000:10'),
      bad,
    );
  }
});

test('RD: encode rejects out-of-range fields and an opaque form of a known type', () => {
  assert.throws(() => rd.encode({ type: 0, asn: 65536, assigned: 0 }), RangeError);
  assert.throws(() => rd.encode({ type: 1, ip: '10.0.0.1', assigned: 65536 }), RangeError);
  assert.throws(() => rd.encode({ type: 2, asn: 2 ** 32, assigned: 0 }), RangeError);
  assert.throws(() => rd.encode({ type: 1, ip: '10.0.0', assigned: 1 }), TypeError);
  assert.throws(() => rd.encode({ type: 'unknown', code: 1, raw: Buffer.alloc(6) }), RangeError);
  assert.throws(() => rd.encode({ type: 'unknown', code: 5, raw: Buffer.alloc(5) }), RangeError);
});

test('RD: property: round trip, text round trip, random bytes', () => {
  fc.assert(
    fc.property(rdArb, (value) => {
      roundTrip(codec, value);
      // A type 2 RD with a 2-byte ASN prints like a type 0 one; its asdot form is exact.
      if (value.type === 2) assert.deepEqual(rd.parseRd(rd.formatRdGobgp(value)), value);
      else if (value.type !== 'unknown') assert.deepEqual(rd.parseRd(rd.formatRd(value)), value);
    }),
    runs(0.5),
  );
  fc.assert(
    fc.property(bytesArbitrary(12), fc.integer({ min: 0, max: 12 }), (bytes, offset) => {
      onlyWireError(() => {
        const v = rd.decode(bytes, offset);
        assert.deepEqual(rd.encode(v), bytes.subarray(offset, offset + 8));
      });
    }),
    runs(0.5),
  );
});
