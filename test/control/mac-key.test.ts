import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatMac, isGroupMac } from '../../src/wire/mac-address.js';
import { isGroupMacKey, macKey, macKeyText } from '../../src/control/mac-key.js';

test('mac key: 6 characters, one per octet; back to the canonical text; the group bit as isGroupMac reads it', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (octets) => {
      const text = formatMac(octets);
      const key = macKey(text);
      assert.equal(key.length, 6);
      assert.deepEqual(Array.from(key, (c) => c.charCodeAt(0)), Array.from(octets));
      assert.equal(macKeyText(key), text);
      assert.equal(isGroupMacKey(key), isGroupMac(octets));
      // Every text form of one MAC gives one key (the manager's Map must not hold it twice).
      assert.equal(macKey(text.toUpperCase().replaceAll(':', '-')), key);
    }),
    { numRuns: 500 },
  );
  assert.equal(macKeyText(macKey('2:0:0:0:a:1')), '02:00:00:00:0a:01');
  assert.equal(isGroupMacKey(macKey('33:33:00:00:00:01')), true);
  assert.equal(isGroupMacKey(macKey('02:00:00:00:00:01')), false);
  assert.throws(() => macKey('02:00:00:00:00'), TypeError);
});
