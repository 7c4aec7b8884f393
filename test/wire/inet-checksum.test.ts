// The Internet checksum's two forms give the same sum at every offset and
// length (the DataView one reads 4 bytes at a time, misaligned or not).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checksum, fold, onesComplementSum, onesComplementSumView, replaceInSum } from '../../src/wire/inet-checksum.js';
import { runs } from '../helpers/property.js';

test('RFC 1071 §3 example: the sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2', () => {
  const b = Buffer.from('0001f203f4f5f6f7', 'hex');
  assert.equal(onesComplementSum(b, 0, 8), 0xddf2);
  assert.equal(onesComplementSumView(new DataView(b.buffer, b.byteOffset, 8), 0, 8), 0xddf2);
  assert.equal(checksum(b, 0, 8), ~0xddf2 & 0xffff);
});

test('inet checksum property: the DataView sum equals the byte-pair sum at any offset and length', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 3000 }), fc.nat(), fc.nat(), fc.integer({ min: 0, max: 0xffff }), (bytes, a, b, initial) => {
      const buf = Buffer.from(bytes);
      const start = buf.length === 0 ? 0 : a % buf.length;
      const len = buf.length - start === 0 ? 0 : b % (buf.length - start + 1);
      const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
      assert.equal(onesComplementSumView(view, start, len, initial), onesComplementSum(buf, start, len, initial));
    }),
    runs(0.05),
  );
});

test('replaceInSum: changing one 16-bit word updates the sum as recomputing would (RFC 1624)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 0xffff }), (bytes, word, to) => {
      const buf = Buffer.from(bytes);
      const before = onesComplementSum(buf, 0, 20);
      const from = buf.readUInt16BE(word * 2);
      buf.writeUInt16BE(to, word * 2);
      // 0x0000 and 0xffff are the same number in ones' complement.
      assert.equal(fold(replaceInSum(before, from, to)) % 0xffff, onesComplementSum(buf, 0, 20) % 0xffff);
    }),
    runs(0.05),
  );
});
