import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as bgpOpen from '../../src/wire/bgp-open.js';
import { AS_TRANS, buildOpen, capabilities, effectiveAs, type BgpOpen } from '../../src/wire/bgp-open.js';
import * as capability from '../../src/wire/bgp-capability.js';
import { capabilityCode, type Capability } from '../../src/wire/bgp-capability.js';
import { BGP_HEADER_LENGTH } from '../../src/wire/bgp-header.js';
import { assertRoundTrips, reencodes, roundTrip } from '../helpers/round-trip.js';
import { bytesArbitrary, mutationArbitrary, onlyWireError, runs } from '../helpers/property.js';
import { assertWireError } from '../helpers/bgp-errors.js';
import { bgpMessages, field } from '../helpers/bgp-captures.js';
import { capabilityArbitrary, openArbitrary } from '../helpers/bgp-arbitraries.js';
import { findAll, type TsharkValue } from '../helpers/tshark.js';

const capturedOpens = bgpMessages().filter((m) => m.type === 1);

/** Numbers of a tshark field below `tree` (a list when a capability has several tuples). */
function numbers(tree: TsharkValue, name: string): number[] {
  return findAll(tree, name).map((v) => Number(v));
}

/** Compare one of our capabilities with tshark's `bgp.cap` tree. */
function compareCapability(ours: Capability, theirs: TsharkValue, where: string): void {
  assert.equal(capabilityCode(ours), Number(field(theirs, 'bgp.cap.type')), `${where}: code`);
  assert.equal(capability.encodingLength(ours) - 2, Number(field(theirs, 'bgp.cap.length')), `${where}: length`);
  switch (ours.type) {
    case 'multiprotocol':
      assert.equal(ours.afi, Number(field(theirs, 'bgp.cap.mp.afi')), `${where}: MP AFI`);
      assert.equal(ours.safi, Number(field(theirs, 'bgp.cap.mp.safi')), `${where}: MP SAFI`);
      assert.equal(ours.reserved ?? 0, parseInt(field(theirs, 'bgp.cap.reserved'), 16), `${where}: MP reserved`);
      break;
    case 'four-octet-as':
      assert.equal(ours.as, Number(field(theirs, 'bgp.cap.4as')), `${where}: 4-octet AS`);
      break;
    case 'graceful-restart': {
      assert.equal(ours.restartTime, numbers(theirs, 'bgp.cap.gr.timers.restart_time')[0], `${where}: GR time`);
      assert.equal((ours.flags >> 3) & 1, numbers(theirs, 'bgp.cap.gr.timers.restart_flag')[0], `${where}: GR R flag`);
      assert.equal((ours.flags >> 2) & 1, numbers(theirs, 'bgp.cap.gr.timers.notification_flag')[0], `${where}: GR N flag`);
      assert.deepEqual(ours.families.map((f) => f.afi), numbers(theirs, 'bgp.cap.gr.afi'), `${where}: GR AFIs`);
      assert.deepEqual(ours.families.map((f) => f.safi), numbers(theirs, 'bgp.cap.gr.safi'), `${where}: GR SAFIs`);
      break;
    }
    case 'add-path':
      assert.deepEqual(ours.families.map((f) => f.afi), numbers(theirs, 'bgp.cap.ap.afi'), `${where}: add-path AFIs`);
      assert.deepEqual(ours.families.map((f) => f.safi), numbers(theirs, 'bgp.cap.ap.safi'), `${where}: add-path SAFIs`);
      assert.deepEqual(
        ours.families.map((f) => f.sendReceive),
        numbers(theirs, 'bgp.cap.ap.sendreceive'),
        `${where}: add-path send/receive`,
      );
      break;
    case 'extended-next-hop':
      assert.deepEqual(ours.families.map((f) => f.afi), numbers(theirs, 'bgp.cap.enh.afi'), `${where}: ENH AFIs`);
      assert.deepEqual(ours.families.map((f) => f.safi), numbers(theirs, 'bgp.cap.enh.safi'), `${where}: ENH SAFIs`);
      assert.deepEqual(ours.families.map((f) => f.nextHopAfi), numbers(theirs, 'bgp.cap.enh.nhafi'), `${where}: ENH NH AFIs`);
      break;
    case 'fqdn':
      assert.equal(ours.hostname, field(theirs, 'bgp.cap.orf.fqdn.hostname'), `${where}: FQDN hostname`);
      assert.equal(ours.domain, field(theirs, 'bgp.cap.orf.fqdn.domain_name'), `${where}: FQDN domain`);
      break;
    case 'long-lived-graceful-restart': {
      // tshark 4.0 shows LLGR as opaque bytes: compare our re-encoded value with them.
      const value = capability.encode(ours).subarray(2);
      assert.equal(value.toString('hex'), field(theirs, 'bgp.cap.unknown').replaceAll(':', ''), `${where}: LLGR value`);
      assert.ok(ours.families.length > 0);
      break;
    }
    default:
      break;
  }
}

test('OPEN: every captured OPEN decodes to what tshark reads and re-encodes byte for byte', () => {
  assert.ok(capturedOpens.length >= 6, `found ${capturedOpens.length} OPENs`);
  const seen = new Set<string>();
  for (const m of capturedOpens) {
    const where = `${m.capture} frame ${m.frame}`;
    const open = reencodes(bgpOpen, m.bytes.subarray(BGP_HEADER_LENGTH));
    assert.equal(open.version, Number(field(m.tree, 'bgp.open.version')), `${where}: version`);
    assert.equal(open.myAs, Number(field(m.tree, 'bgp.open.myas')), `${where}: My AS`);
    assert.equal(open.holdTime, Number(field(m.tree, 'bgp.open.holdtime')), `${where}: hold time`);
    assert.equal(open.bgpId, field(m.tree, 'bgp.open.identifier'), `${where}: BGP identifier`);
    assert.equal(open.extendedParameters, undefined);

    // Grouping of capabilities into parameters is kept.
    const params = findAll(m.tree, 'bgp.open.opt.param');
    assert.equal(open.optionalParameters.length, params.length, `${where}: parameter count`);
    open.optionalParameters.forEach((p, i) => {
      assert.equal(p.type === 'capabilities' ? 2 : p.code, Number(field(params[i]!, 'bgp.open.opt.param.type')));
      if (p.type === 'capabilities') {
        assert.equal(p.capabilities.length, findAll(params[i]!, 'bgp.cap').length, `${where}: capabilities in parameter ${i}`);
      }
    });

    const ours = capabilities(open);
    const theirs = findAll(m.tree, 'bgp.cap');
    assert.equal(ours.length, theirs.length, `${where}: capability count`);
    ours.forEach((c, i) => {
      compareCapability(c, theirs[i]!, `${where} capability ${i}`);
      seen.add(c.type);
    });
    assert.equal(effectiveAs(open), Number(findAll(m.tree, 'bgp.cap.4as')[0]));
  }
  // The captures exercise all these typed capabilities.
  for (const t of [
    'multiprotocol',
    'route-refresh',
    'route-refresh-cisco',
    'enhanced-route-refresh',
    'four-octet-as',
    'extended-message',
    'add-path',
    'fqdn',
    'graceful-restart',
    'long-lived-graceful-restart',
    'extended-next-hop',
  ]) {
    assert.ok(seen.has(t), `no captured ${t} capability`);
  }
});

test('OPEN: FRR puts one capability per parameter, GoBGP all in one; both re-encode as received', () => {
  const frr = bgpOpen.decode(capturedOpens.find((m) => m.capture === 'frr-frr-evpn-session')!.bytes, BGP_HEADER_LENGTH);
  assert.ok(frr.optionalParameters.every((p) => p.type === 'capabilities' && p.capabilities.length === 1));
  const gobgp = capturedOpens.map((m) => bgpOpen.decode(m.bytes, BGP_HEADER_LENGTH)).find((o) => o.bgpId === '10.212.0.30')!;
  assert.equal(gobgp.optionalParameters.length, 1);
  const p = gobgp.optionalParameters[0]!;
  assert.ok(p.type === 'capabilities' && p.capabilities.length === 5);
});

test('OPEN: FRR graceful restart and LLGR values', () => {
  const frr = bgpOpen.decode(capturedOpens[0]!.bytes, BGP_HEADER_LENGTH);
  const gr = capabilities(frr).find((c) => c.type === 'graceful-restart');
  assert.ok(gr?.type === 'graceful-restart');
  assert.equal(gr.restartTime, 120);
  assert.deepEqual(gr.families, []);
  const llgr = capabilities(frr).find((c) => c.type === 'long-lived-graceful-restart');
  assert.deepEqual(llgr, {
    type: 'long-lived-graceful-restart',
    families: [{ afi: 25, safi: 70, flags: 0x80, staleTime: 0 }],
  });
});

function openBytes(fields: Partial<{ version: number; myAs: number; holdTime: number; id: number[] }>, params = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(10);
  b[0] = fields.version ?? 4;
  b.writeUInt16BE(fields.myAs ?? 65000, 1);
  b.writeUInt16BE(fields.holdTime ?? 90, 3);
  Buffer.from(fields.id ?? [10, 0, 0, 1]).copy(b, 5);
  b[9] = params.length;
  return Buffer.concat([b, params]);
}

test('OPEN errors: version, hold time, BGP identifier, AS 0', () => {
  assert.deepEqual(bgpOpen.decode(openBytes({})), { version: 4, myAs: 65000, holdTime: 90, bgpId: '10.0.0.1', optionalParameters: [] });
  // RFC 4271 §6.2: Unsupported Version Number, data = the version we support.
  assertWireError(() => bgpOpen.decode(openBytes({ version: 3 })), 2, 1, Buffer.from([0, 4]));
  assertWireError(() => bgpOpen.decode(openBytes({ version: 5 })), 2, 1, Buffer.from([0, 4]));
  assertWireError(() => bgpOpen.decode(openBytes({ holdTime: 1 })), 2, 6);
  assertWireError(() => bgpOpen.decode(openBytes({ holdTime: 2 })), 2, 6);
  assert.equal(bgpOpen.decode(openBytes({ holdTime: 0 })).holdTime, 0);
  assert.equal(bgpOpen.decode(openBytes({ holdTime: 3 })).holdTime, 3);
  assertWireError(() => bgpOpen.decode(openBytes({ id: [0, 0, 0, 0] })), 2, 3);
  assert.equal(bgpOpen.decode(openBytes({ id: [255, 255, 255, 255] })).bgpId, '255.255.255.255');
  assertWireError(() => bgpOpen.decode(openBytes({ myAs: 0 })), 2, 2);
  assertWireError(() => bgpOpen.decode(openBytes({ myAs: AS_TRANS }, Buffer.from('02064104' + '00000000', 'hex'))), 2, 2);
});

test('OPEN errors: malformed parameters and capabilities are OPEN Message Error / Unspecific', () => {
  const cases: Array<[string, string]> = [
    ['parameter length overruns', '0205010400'],
    ['parameter header cut', '02'],
    ['capability length overruns its parameter', '0203010400'],
    ['MP capability of 3 bytes', '02050103001900'],
    ['MP capability of 5 bytes', '02070105001900460a'],
    ['route refresh with a value', '0203020100'],
    ['4-octet AS of 2 bytes', '02044102fde8'],
    ['graceful restart of 1 byte', '0203400100'],
    ['graceful restart of 2 + 3 bytes', '02074005007800194' + '6'],
    ['add-path of 3 bytes', '02054503001946'],
    ['LLGR of 6 bytes', '02084706001946800000'],
    ['FQDN hostname overruns', '020449020500'],
    ['FQDN lengths do not fill the value', '0206490400000000'],
    ['extended message with a value', '0203060100'],
  ];
  for (const [what, hex] of cases) {
    const e = assertWireError(() => bgpOpen.decode(openBytes({}, Buffer.from(hex, 'hex'))), 2, 0);
    assert.ok(e.message.length > 0, what);
  }
  // Opt Parm Len longer than the message.
  const b = openBytes({}, Buffer.from('02020200', 'hex'));
  assertWireError(() => bgpOpen.decode(b.subarray(0, b.length - 1)), 2, 0);
  // Cut fixed part.
  assertWireError(() => bgpOpen.decode(b.subarray(0, 9)), 2, 0);
});

test('OPEN: unknown parameter types and capabilities stay opaque (RFC 5492 §3)', () => {
  // Parameter type 1 (deprecated authentication); a capability parameter with
  // an unknown capability 9 and an empty add-path; an add-path with
  // send/receive 7.
  const bytes = openBytes({}, Buffer.from('0103aabbcc' + '0206' + '0902aabb' + '4500' + '0206' + '4504' + '00194607', 'hex'));
  const open = reencodes(bgpOpen, bytes);
  assert.deepEqual(open.optionalParameters[0], { type: 'unknown', code: 1, value: Buffer.from('aabbcc', 'hex') });
  assert.deepEqual(open.optionalParameters[1], {
    type: 'capabilities',
    capabilities: [
      { type: 'unknown', code: 9, value: Buffer.from('aabb', 'hex') },
      { type: 'add-path', families: [] },
    ],
  });
  // RFC 7911 §4: a send/receive value other than 1..3 makes the capability "not understood".
  assert.deepEqual(open.optionalParameters[2], {
    type: 'capabilities',
    capabilities: [{ type: 'unknown', code: 69, value: Buffer.from('00194607', 'hex') }],
  });
  // A non-UTF-8 hostname stays opaque too (and re-encodes as received).
  const fqdn = reencodes(bgpOpen, openBytes({}, Buffer.from('020649040280ff00', 'hex')));
  assert.deepEqual(capabilities(fqdn), [{ type: 'unknown', code: 73, value: Buffer.from('0280ff00', 'hex') }]);
});

test('OPEN: RFC 9072 extended optional parameters', () => {
  // The reference speaker's capabilities, in the extended form.
  const caps = Buffer.from('010400190046' + '0200' + '41040000fde8', 'hex');
  const param = Buffer.concat([Buffer.from([2, 0, caps.length]), caps]);
  const ext = Buffer.concat([Buffer.from([0xff, 0x00, param.length]), param]);
  const fixed = openBytes({}, Buffer.alloc(0));
  fixed[9] = 255;
  const bytes = Buffer.concat([fixed, ext]);
  const open = reencodes(bgpOpen, bytes);
  assert.equal(open.extendedParameters, true);
  assert.deepEqual(capabilities(open), [
    { type: 'multiprotocol', afi: 25, safi: 70 },
    { type: 'route-refresh' },
    { type: 'four-octet-as', as: 65000 },
  ]);
  // Without the flag the same OPEN encodes in the RFC 4271 form...
  const plain = bgpOpen.encode({ ...open, extendedParameters: false });
  assert.equal(plain[9], caps.length + 2);
  // ...unless it does not fit: then the encoder switches by itself.
  const many: BgpOpen = buildOpen({
    as: 65000,
    holdTime: 90,
    bgpId: '10.0.0.1',
    capabilities: Array.from({ length: 50 }, (_, i): Capability => ({ type: 'multiprotocol', afi: 1, safi: i })),
  });
  const big = bgpOpen.encode(many);
  assert.equal(big[9], 255);
  assert.equal(big[10], 255);
  assert.equal(big.readUInt16BE(11), 50 * 9);
  assert.deepEqual(bgpOpen.decode(big), { ...many, extendedParameters: true });
  // A single capability parameter over 255 bytes also needs it.
  const fat = bgpOpen.encode({ ...many, optionalParameters: [{ type: 'capabilities', capabilities: capabilities(many) }] });
  assert.equal(fat[10], 255);
  assert.equal(fat.readUInt16BE(14), 50 * 6, 'the parameter length is 2 bytes in the extended form');
  // Extended marker with a cut length field.
  const cut = Buffer.concat([fixed, Buffer.from([0xff, 0x00])]);
  assertWireError(() => bgpOpen.decode(cut), 2, 0);
});

test('OPEN: buildOpen and effectiveAs (RFC 6793 §4.1)', () => {
  const small = buildOpen({ as: 65000, holdTime: 9, bgpId: '10.212.0.40', capabilities: [{ type: 'four-octet-as', as: 65000 }] });
  assert.equal(small.myAs, 65000);
  assert.equal(effectiveAs(small), 65000);
  const big = buildOpen({ as: 4200000000, holdTime: 9, bgpId: '10.212.0.40', capabilities: [{ type: 'four-octet-as', as: 4200000000 }] });
  assert.equal(big.myAs, AS_TRANS);
  assert.equal(effectiveAs(big), 4200000000);
  assert.deepEqual(roundTrip(bgpOpen, big).subarray(1, 3), Buffer.from([0x5b, 0xa0]));
  const old = buildOpen({ as: 64512, holdTime: 9, bgpId: '10.0.0.1', capabilities: [] });
  assert.equal(effectiveAs(old), 64512);
});

test('OPEN encode rejects values that cannot be sent', () => {
  const ok = buildOpen({ as: 65000, holdTime: 9, bgpId: '10.0.0.1', capabilities: [] });
  assert.throws(() => bgpOpen.encode({ ...ok, myAs: 70000 }), RangeError);
  assert.throws(() => bgpOpen.encode({ ...ok, holdTime: -1 }), RangeError);
  assert.throws(() => bgpOpen.encode({ ...ok, bgpId: 'router1' }), TypeError);
  assert.throws(() => capability.encode({ type: 'graceful-restart', flags: 16, restartTime: 0, families: [] }), RangeError);
  assert.throws(() => capability.encode({ type: 'graceful-restart', flags: 0, restartTime: 4096, families: [] }), RangeError);
  assert.throws(() => capability.encode({ type: 'add-path', families: [{ afi: 1, safi: 1, sendReceive: 4 as never }] }), RangeError);
  assert.throws(() => capability.encode({ type: 'unknown', code: 200, value: Buffer.alloc(256) }), RangeError);
  assert.throws(() => capability.encode({ type: 'fqdn', hostname: 'x'.repeat(200), domain: 'y'.repeat(60) }), RangeError);
});

test('capability property: encode then decode is the identity', () => {
  assertRoundTrips(capability, capabilityArbitrary);
});

test('OPEN property: generated OPENs (random capability sets) round-trip', () => {
  assertRoundTrips(bgpOpen, openArbitrary);
});

test('OPEN property: random bytes and mutated real OPENs throw only WireError', () => {
  const bodies = capturedOpens.map((m) => m.bytes.subarray(BGP_HEADER_LENGTH));
  // Random parameters behind a valid fixed part, so the parameter and
  // capability parsers see random input too (Opt Parm Len right or random).
  const randomParams = fc
    .tuple(bytesArbitrary(64), fc.boolean(), fc.nat(255))
    .map(([params, exact, len]) => Buffer.concat([openBytes({}), params]).fill(exact ? params.length : len, 9, 10));
  const arb = fc.oneof(
    bytesArbitrary(64),
    randomParams,
    fc.constantFrom(...bodies).chain((b) => mutationArbitrary(b)),
  );
  fc.assert(
    fc.property(arb, (bytes) => {
      onlyWireError(() => bgpOpen.decode(bytes));
      onlyWireError(() => capability.decode(bytes.subarray(10)));
    }),
    runs(),
  );
});
