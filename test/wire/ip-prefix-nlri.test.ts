import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Codec } from '../../src/wire/codec.js';
import { formatIpv4, formatIpv6 } from '../../src/wire/ip-address.js';
import * as prefix from '../../src/wire/ip-prefix-nlri.js';
import type { IpPrefixNlri, IpPrefixNlriContext } from '../../src/wire/ip-prefix-nlri.js';
import { isNlriError } from '../helpers/bgp-errors.js';
import { bytesArbitrary, mutationArbitrary, onlyWireError, runs } from '../helpers/property.js';
import { reencodes, roundTrip } from '../helpers/round-trip.js';

const codec: Codec<IpPrefixNlri, IpPrefixNlriContext> = prefix;
const V4: IpPrefixNlriContext = { afi: 1, addPath: false };
const V6: IpPrefixNlriContext = { afi: 2, addPath: false };

test('IP prefix: RFC 4271 §4.3 length + fewest bytes', () => {
  const cases: Array<[IpPrefixNlriContext, IpPrefixNlri, string]> = [
    [V4, { prefix: '0.0.0.0', length: 0 }, '00'],
    [V4, { prefix: '10.0.0.0', length: 8 }, '080a'],
    [V4, { prefix: '10.212.0.0', length: 16 }, '100ad4'],
    [V4, { prefix: '10.212.100.0', length: 23 }, '170ad464'],
    [V4, { prefix: '192.0.2.1', length: 32 }, '20c0000201'],
    [V6, { prefix: '::', length: 0 }, '00'],
    [V6, { prefix: '2001:db8::', length: 32 }, '2020010db8'],
    [V6, { prefix: '2001:db8:0:1::', length: 64 }, '4020010db800000001'],
    [V6, { prefix: '2001:db8::1', length: 128 }, '8020010db8000000000000000000000001'],
    [{ afi: 1, addPath: true }, { pathId: 7, prefix: '10.0.0.0', length: 8 }, '00000007080a'],
  ];
  for (const [ctx, value, hex] of cases) assert.equal(roundTrip(codec, value, ctx).toString('hex'), hex);
});

test('IP prefix: host bits are masked in `prefix` and kept in `raw` for exact re-encoding', () => {
  const v = reencodes(codec, Buffer.from('170ad465', 'hex'), V4); // 10.212.101.0/23: bit 24 set
  assert.equal(v.prefix, '10.212.100.0');
  assert.equal(v.length, 23);
  assert.equal(v.raw?.toString('hex'), '0ad465');
  // Without host bits no raw is kept, and encode masks what it is given.
  assert.equal(prefix.decode(Buffer.from('170ad464', 'hex'), 0, V4).raw, undefined);
  assert.equal(prefix.encode({ prefix: '10.0.0.1', length: 8 }, undefined, 0, V4).toString('hex'), '080a');
  const v6 = reencodes(codec, Buffer.from('0c20ff', 'hex'), V6);
  assert.equal(v6.prefix, '20f0::');
  assert.equal(prefix.formatIpPrefix(v6), '20f0::/12');
  assert.equal(v6.raw?.toString('hex'), '20ff');
});

test('IP prefix: bad lengths and truncation are Invalid Network Field', () => {
  assert.throws(() => prefix.decode(Buffer.from('21', 'hex'), 0, V4), isNlriError, 'IPv4 /33');
  assert.throws(() => prefix.decode(Buffer.from('81' + '00'.repeat(17), 'hex'), 0, V6), isNlriError, 'IPv6 /129');
  assert.throws(() => prefix.decode(Buffer.from('180a00', 'hex'), 0, V4), isNlriError, '/24 with 2 bytes');
  assert.throws(() => prefix.decode(Buffer.alloc(0), 0, V4), isNlriError, 'empty');
  assert.throws(() => prefix.decode(Buffer.from('000000', 'hex'), 0, { afi: 1, addPath: true }), isNlriError, 'short path id');
  assert.throws(() => prefix.encode({ prefix: '10.0.0.0', length: 33 }, undefined, 0, V4), RangeError);
  assert.throws(() => prefix.encode({ prefix: '2001:db8::', length: 32 }, undefined, 0, V4), TypeError);
  assert.throws(() => prefix.encode({ prefix: '10.0.0.0', length: 8, raw: Buffer.alloc(2) }, undefined, 0, V4), RangeError);
});

test('IP prefix: a run of prefixes walks by decode.bytes', () => {
  const run = Buffer.from('080a' + '100ad4' + '00' + '20c0000201', 'hex');
  const got: string[] = [];
  for (let at = 0; at < run.length; at += prefix.decode.bytes) got.push(prefix.formatIpPrefix(prefix.decode(run, at, V4)));
  assert.deepEqual(got, ['10.0.0.0/8', '10.212.0.0/16', '0.0.0.0/0', '192.0.2.1/32']);
});

function prefixArb(afi: 1 | 2): fc.Arbitrary<IpPrefixNlri> {
  const bits = afi === 1 ? 32 : 128;
  return fc
    .tuple(fc.uint8Array({ minLength: bits / 8, maxLength: bits / 8 }), fc.integer({ min: 0, max: bits }))
    .map(([a, length]) => {
      const b = Buffer.from(a);
      // Mask to the canonical decoded form.
      for (let i = 0; i < b.length; i++) {
        const keep = Math.max(0, Math.min(8, length - i * 8));
        b[i] = b[i]! & ((0xff << (8 - keep)) & 0xff);
      }
      return { prefix: afi === 1 ? formatIpv4(b) : formatIpv6(b), length };
    });
}

const ctxArb = fc.record({ afi: fc.constantFrom(1 as const, 2 as const), addPath: fc.boolean() }, { noNullPrototype: true });

test('IP prefix: property: round trip; random and mutated bytes', () => {
  fc.assert(
    fc.property(
      ctxArb.chain((ctx) =>
        fc.tuple(fc.constant(ctx), prefixArb(ctx.afi), fc.integer({ min: 0, max: 0xffffffff })),
      ),
      ([ctx, value, pathId]) => {
        roundTrip(codec, ctx.addPath ? { pathId, ...value } : value, ctx);
      },
    ),
    runs(0.4),
  );
  const exact = (bytes: Buffer, ctx: IpPrefixNlriContext): void =>
    onlyWireError(() => {
      const v = prefix.decode(bytes, 0, ctx);
      assert.deepEqual(prefix.encode(v, undefined, 0, ctx), bytes.subarray(0, prefix.decode.bytes));
    });
  fc.assert(
    fc.property(bytesArbitrary(24), ctxArb, (bytes, ctx) => exact(bytes, ctx)),
    runs(0.3),
  );
  const samples = [Buffer.from('170ad464', 'hex'), Buffer.from('4020010db800000001', 'hex'), Buffer.from('00000007080a', 'hex')];
  fc.assert(
    fc.property(fc.constantFrom(...samples).chain((b) => mutationArbitrary(b)), ctxArb, (bytes, ctx) => exact(bytes, ctx)),
    runs(0.3),
  );
});
