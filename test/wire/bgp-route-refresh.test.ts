import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as bgpRouteRefresh from '../../src/wire/bgp-route-refresh.js';
import { RouteRefreshSubtype } from '../../src/wire/bgp-route-refresh.js';
import * as bgpMessage from '../../src/wire/bgp-message.js';
import { WireError } from '../../src/wire/wire-error.js';
import { roundTrip } from '../helpers/round-trip.js';
import { bytesArbitrary, onlyWireError, runs } from '../helpers/property.js';
import { routeRefreshArbitrary } from '../helpers/bgp-arbitraries.js';

// None of the captured sessions sent a ROUTE-REFRESH: the cases are hand-built.

test('ROUTE-REFRESH: normal, BoRR and EoRR for L2VPN EVPN', () => {
  for (const subtype of [RouteRefreshSubtype.Normal, RouteRefreshSubtype.BeginningOfRouteRefresh, RouteRefreshSubtype.EndOfRouteRefresh]) {
    const bytes = roundTrip(bgpRouteRefresh, { afi: 25, subtype, safi: 70 });
    assert.deepEqual(bytes, Buffer.from([0x00, 0x19, subtype, 0x46]));
  }
  // RFC 7313 §5: other subtypes are kept (the session ignores the message).
  assert.deepEqual(bgpRouteRefresh.decode(Buffer.from('00010701', 'hex')), { afi: 1, subtype: 7, safi: 1 });
});

test('ROUTE-REFRESH: whole message; a wrong length is 7/1 with the whole message as data', () => {
  const msg = Buffer.from('ffffffffffffffffffffffffffffffff' + '0017' + '05' + '00190046', 'hex');
  assert.deepEqual(bgpMessage.decode(msg), { type: 'route-refresh', routeRefresh: { afi: 25, subtype: 0, safi: 70 } });
  // Length 24 (a 5-byte body).
  const long = Buffer.from('ffffffffffffffffffffffffffffffff' + '0018' + '05' + '0019004600', 'hex');
  // Length 22 (a 3-byte body).
  const short = Buffer.from('ffffffffffffffffffffffffffffffff' + '0016' + '05' + '001900', 'hex');
  for (const bad of [long, short]) {
    assert.throws(
      () => bgpMessage.decode(bad),
      (e: unknown) =>
        e instanceof WireError &&
        e.code === 7 &&
        e.subcode === 1 &&
        e.action === 'session-reset' &&
        e.data !== undefined &&
        e.data.equals(bad),
    );
  }
  // The body codec alone, short of 4 bytes.
  assert.throws(() => bgpRouteRefresh.decode(Buffer.from('0019', 'hex')), (e: unknown) => e instanceof WireError && e.code === 7 && e.subcode === 1);
  assert.throws(() => bgpRouteRefresh.encode({ afi: 65536, subtype: 0, safi: 1 }), RangeError);
  assert.throws(() => bgpRouteRefresh.encode({ afi: 1, subtype: 256, safi: 1 }), RangeError);
});

test('ROUTE-REFRESH property: round trip', () => {
  fc.assert(
    fc.property(routeRefreshArbitrary, (rr) => {
      roundTrip(bgpRouteRefresh, rr);
      roundTrip(bgpMessage, { type: 'route-refresh', routeRefresh: rr });
    }),
    runs(),
  );
});

test('ROUTE-REFRESH property: random bodies throw only WireError', () => {
  fc.assert(
    fc.property(bytesArbitrary(8), (bytes) => {
      onlyWireError(() => bgpRouteRefresh.decode(bytes));
      const msg = Buffer.concat([Buffer.alloc(16, 0xff), Buffer.from([0, 19 + bytes.length, 5]), bytes]);
      onlyWireError(() => bgpMessage.decode(msg));
    }),
    runs(),
  );
});
