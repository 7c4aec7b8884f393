// Issue 9 item 9: the max-prefixes guard alone (prefix-limit.ts, counts
// in, verdicts out): warning threshold, teardown, prevent-teardown,
// re-arming, and RFC 4486 §4's NOTIFICATION data. The session side is in
// max-prefix-session.test.ts, a real peer in prefix-limit-gobgp.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxPrefixesData, PrefixLimitGuard, warningThreshold, type PrefixLimit } from '../../src/control/prefix-limit.js';
import type { Family } from '../../src/control/route.js';

const guard = (limit: PrefixLimit, family: Family = 'l2vpn-evpn'): PrefixLimitGuard => new PrefixLimitGuard(new Map([[family, limit]]));

test('prefix-limit guard: one warning above the threshold, then exceeded above the maximum', () => {
  const g = guard({ maxPrefixes: 100, warningThresholdPct: 80, restartTimer: 30 });
  assert.deepEqual([g.check('l2vpn-evpn', 50), g.check('l2vpn-evpn', 80)].map((v) => v.type), ['ok', 'ok'], '80 of 100 is at the threshold, not above');
  const w = g.check('l2vpn-evpn', 81);
  assert.equal(w.type, 'warning');
  assert.equal(g.check('l2vpn-evpn', 90).type, 'ok', 'warned once');
  assert.equal(g.check('l2vpn-evpn', 100).type, 'ok', 'the maximum itself is allowed (FRR and GoBGP: count > max)');
  const x = g.check('l2vpn-evpn', 101);
  assert.ok(x.type === 'exceeded' && x.teardown && x.count === 101);
  assert.equal(g.check('ipv4-unicast', 1_000_000).type, 'ok', 'no limit on a family without one');
  g.reset();
  assert.equal(g.check('l2vpn-evpn', 85).type, 'warning', 'a new session warns again');
});

test('prefix-limit guard: the warning re-arms below the threshold; 0 % means no warning; default 75 %', () => {
  const g = guard({ maxPrefixes: 10, warningThresholdPct: 50 });
  assert.equal(g.check('l2vpn-evpn', 6).type, 'warning');
  assert.equal(g.check('l2vpn-evpn', 3).type, 'ok');
  assert.equal(g.check('l2vpn-evpn', 6).type, 'warning', 'after falling back, a second crossing warns again');
  assert.equal(warningThreshold({ maxPrefixes: 10, warningThresholdPct: 0 }), null);
  assert.equal(guard({ maxPrefixes: 10, warningThresholdPct: 0 }).check('l2vpn-evpn', 10).type, 'ok');
  assert.equal(warningThreshold({ maxPrefixes: 1000 }), 750, "FRR's default threshold");
});

test('prefix-limit guard: prevent-teardown reports the excess once per crossing and keeps the session', () => {
  const g = guard({ maxPrefixes: 4, preventTeardown: true });
  const x = g.check('l2vpn-evpn', 5);
  assert.ok(x.type === 'exceeded' && !x.teardown);
  assert.equal(g.check('l2vpn-evpn', 6).type, 'ok', 'not one line per UPDATE');
  assert.equal(g.check('l2vpn-evpn', 4).type, 'ok');
  assert.equal(g.check('l2vpn-evpn', 5).type, 'exceeded');
});

test('RFC 4486 §4 data: AFI (2 octets), SAFI (1 octet), the upper bound (4 octets)', () => {
  assert.equal(maxPrefixesData('l2vpn-evpn', 300_000).toString('hex'), '0019' + '46' + '000493e0');
  assert.equal(maxPrefixesData('ipv4-unicast', 0xffffffff).toString('hex'), '0001' + '01' + 'ffffffff');
});
