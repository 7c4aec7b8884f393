// fast-check generators for the BGP messages other than UPDATE (capabilities,
// OPEN, NOTIFICATION, ROUTE-REFRESH). Values are kept small so 100,000 runs
// stay fast, and are generated in the exact form decode returns (so
// decode(encode(v)) deep-equals v).
import fc from 'fast-check';
import type { Capability } from '../../src/wire/bgp-capability.js';
import * as capability from '../../src/wire/bgp-capability.js';
import { CapabilityCode } from '../../src/wire/bgp-capability.js';
import type { BgpOpen, OptionalParameter } from '../../src/wire/bgp-open.js';
import { notification, type BgpNotification } from '../../src/wire/bgp-notification.js';
import type { BgpRouteRefresh } from '../../src/wire/bgp-route-refresh.js';

const bytes = (maxLength: number): fc.Arbitrary<Buffer> =>
  fc.uint8Array({ maxLength }).map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));

/** fc.record with plain objects (decode builds plain objects; deepEqual checks prototypes). */
const record = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true }) as fc.Arbitrary<T>;

const afi = fc.integer({ min: 0, max: 0xffff });
const safi = fc.integer({ min: 0, max: 0xff });
const families = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T[]> => fc.array(arb, { maxLength: 3 });
const KNOWN_CODES = new Set<number>(Object.values(CapabilityCode));
const text = fc.oneof(fc.string({ unit: 'grapheme-ascii', maxLength: 12 }), fc.string({ unit: 'grapheme', maxLength: 6 }));

export const capabilityArbitrary: fc.Arbitrary<Capability> = fc.oneof(
  record({ afi, safi, reserved: fc.integer({ min: 0, max: 255 }) })
    .map(({ afi, safi, reserved }): Capability =>
      reserved === 0 ? { type: 'multiprotocol', afi, safi } : { type: 'multiprotocol', afi, safi, reserved },
    ),
  fc.constant<Capability>({ type: 'route-refresh' }),
  fc.constant<Capability>({ type: 'route-refresh-cisco' }),
  fc.constant<Capability>({ type: 'enhanced-route-refresh' }),
  fc.constant<Capability>({ type: 'extended-message' }),
  fc.integer({ min: 1, max: 0xffffffff }).map((as): Capability => ({ type: 'four-octet-as', as })),
  record({
      flags: fc.integer({ min: 0, max: 15 }),
      restartTime: fc.integer({ min: 0, max: 0xfff }),
      families: families(record({ afi, safi, flags: fc.integer({ min: 0, max: 255 }) })),
    })
    .map((v): Capability => ({ type: 'graceful-restart', ...v })),
  families(record({ afi, safi, sendReceive: fc.constantFrom(1 as const, 2 as const, 3 as const) })).map(
    (f): Capability => ({ type: 'add-path', families: f }),
  ),
  families(
    record({ afi, safi, flags: fc.integer({ min: 0, max: 255 }), staleTime: fc.integer({ min: 0, max: 0xffffff }) }),
  ).map((f): Capability => ({ type: 'long-lived-graceful-restart', families: f })),
  families(record({ afi, safi: fc.integer({ min: 0, max: 0xffff }), nextHopAfi: afi })).map(
    (f): Capability => ({ type: 'extended-next-hop', families: f }),
  ),
  record({ hostname: text, domain: text })
    .filter((v) => Buffer.byteLength(v.hostname) + Buffer.byteLength(v.domain) <= 253)
    .map((v): Capability => ({ type: 'fqdn', ...v })),
  record({ code: fc.integer({ min: 0, max: 255 }).filter((c) => !KNOWN_CODES.has(c)), value: bytes(12) })
    .map((v): Capability => ({ type: 'unknown', ...v })),
);

const parameterArbitrary: fc.Arbitrary<OptionalParameter> = fc.oneof(
  { weight: 4, arbitrary: fc.array(capabilityArbitrary, { maxLength: 4 }).map((c): OptionalParameter => ({ type: 'capabilities', capabilities: c })) },
  {
    weight: 1,
    arbitrary: record({ code: fc.integer({ min: 0, max: 254 }).filter((c) => c !== 2), value: bytes(8) })
      .map((v): OptionalParameter => ({ type: 'unknown', ...v })),
  },
);

function parametersNeedExtended(params: OptionalParameter[]): boolean {
  let total = 0;
  for (const p of params) {
    const n = p.type === 'unknown' ? p.value.length : p.capabilities.reduce((s, c) => s + capability.encodingLength(c), 0);
    if (n > 255) return true;
    total += 2 + n;
  }
  return total > 255;
}

const bgpId = fc
  .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
  .filter((q) => q.some((b) => b !== 0))
  .map((q) => q.join('.'));

export const openArbitrary: fc.Arbitrary<BgpOpen> = record({
    myAs: fc.integer({ min: 1, max: 0xffff }),
    holdTime: fc.oneof(fc.constant(0), fc.integer({ min: 3, max: 0xffff })),
    bgpId,
    optionalParameters: fc.array(parameterArbitrary, { maxLength: 5 }),
    extended: fc.boolean(),
  })
  .map(({ extended, ...v }) => {
    const open: BgpOpen = { version: 4, ...v };
    // RFC 9072 form when asked for, and whenever the parameters need it (the
    // encoder switches by itself; the decoded value then says so).
    if (extended || parametersNeedExtended(v.optionalParameters)) open.extendedParameters = true;
    return open;
  });

const utf8Bytes = (s: string): Buffer => Buffer.from(s, 'utf8');

/** NOTIFICATIONs, with RFC 9003 shutdown communications and RFC 8538 hard resets now and then. */
export const notificationArbitrary: fc.Arbitrary<BgpNotification> = fc.oneof(
  record({ code: fc.integer({ min: 0, max: 255 }), subcode: fc.integer({ min: 0, max: 255 }), data: bytes(24) })
    .map(({ code, subcode, data }) => notification(code, subcode, data)),
  record({ subcode: fc.constantFrom(2, 4), message: text, hard: fc.boolean() })
    .map(({ subcode, message, hard }) => {
      const m = utf8Bytes(message);
      const inner = Buffer.concat([Buffer.from([m.length]), m]);
      return hard ? notification(6, 9, Buffer.concat([Buffer.from([6, subcode]), inner])) : notification(6, subcode, inner);
    }),
);

export const routeRefreshArbitrary: fc.Arbitrary<BgpRouteRefresh> = record({
  afi,
  subtype: fc.oneof(fc.constantFrom(0, 1, 2), fc.integer({ min: 0, max: 255 })),
  safi,
});
