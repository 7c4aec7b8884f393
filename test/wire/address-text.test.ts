import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv4 } from 'node:net';
import fc from 'fast-check';
import { formatIpv4, formatIpv6, isIp, parseIp, parseIpv4, parseIpv6 } from '../../src/wire/ip-address.js';
import { formatMac, isGroupMac, isMac, parseMac } from '../../src/wire/mac-address.js';
import { runs } from '../helpers/property.js';

test('IPv4 text: round trip of every generated address', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 4, maxLength: 4 }), (b) => {
      const text = formatIpv4(b);
      assert.deepEqual([...parseIpv4(text)], [...b]);
      assert.deepEqual([...parseIp(text)], [...b]);
    }),
    runs(0.1),
  );
});

test('IPv4 text: the hand-rolled parser accepts exactly what node:net accepts', () => {
  const chars = fc.constantFrom('0', '1', '2', '5', '9', '.', 'a', ' ', '-');
  fc.assert(
    fc.property(fc.string({ unit: chars, maxLength: 16 }), (text) => {
      let ok = true;
      try {
        parseIpv4(text);
      } catch (e) {
        assert.ok(e instanceof TypeError);
        ok = false;
      }
      assert.equal(ok, isIPv4(text), text);
    }),
    runs(0.1),
  );
  for (const bad of ['1.2.3', '1.2.3.4.', '256.1.1.1', '01.2.3.4', '', '1..2.3', '1.2.3.4 ']) {
    assert.throws(() => parseIpv4(bad), TypeError, bad);
  }
});

test('IPv6 text: RFC 5952 canonical output and round trip', () => {
  assert.equal(formatIpv6(parseIpv6('2001:DB8:0:0:0:0:0:1')), '2001:db8::1');
  assert.equal(formatIpv6(parseIpv6('1:0:0:2:0:0:0:3')), '1:0:0:2::3');
  assert.equal(formatIpv6(parseIpv6('::ffff:10.0.0.1')), '::ffff:10.0.0.1');
  fc.assert(
    fc.property(fc.ipV6(), (text) => {
      const b = parseIpv6(text);
      assert.deepEqual(parseIpv6(formatIpv6(b)), b);
      assert.ok(isIp(formatIpv6(b)));
    }),
    runs(0.1),
  );
});

test('MAC text: round trip, separators, errors, group bit', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (b) => {
      const text = formatMac(b);
      assert.match(text, /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/);
      assert.deepEqual([...parseMac(text)], [...b]);
      assert.deepEqual([...parseMac(text.toUpperCase().replaceAll(':', '-'))], [...b]);
      assert.ok(isMac(text));
    }),
    runs(0.1),
  );
  assert.equal(formatMac(parseMac('2:0:0:0:1:1')), '02:00:00:00:01:01');
  for (const bad of ['', 'aa:bb:cc:dd:ee', 'aa:bb:cc:dd:ee:ff:00', 'aa:bb:cc:dd:ee:fg', 'aaa:bb:cc:dd:ee:ff', 'aa::cc:dd:ee:ff', 'aa:bb:cc:dd:ee:ff:']) {
    assert.throws(() => parseMac(bad), TypeError, bad);
    assert.equal(isMac(bad), false, bad);
  }
  assert.equal(isGroupMac(parseMac('ff:ff:ff:ff:ff:ff')), true);
  assert.equal(isGroupMac(parseMac('33:33:00:00:00:01')), true);
  assert.equal(isGroupMac(parseMac('02:00:00:00:01:01')), false);
});
