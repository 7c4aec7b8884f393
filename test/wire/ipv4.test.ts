import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as ethernet from '../../src/wire/ethernet.js';
import { formatIpv4 } from '../../src/wire/ip-address.js';
import * as ipv4 from '../../src/wire/ipv4.js';
import { IpProtocol, type Ipv4Header } from '../../src/wire/ipv4.js';
import { WireError } from '../../src/wire/wire-error.js';
import { capturedLayers, type CapturedLayer } from '../helpers/captured-layers.js';
import { CAPTURES, tempCapture } from '../helpers/fixtures.js';
import { assertOnlyWireError, bytesArbitrary, mutationArbitrary, runs } from '../helpers/property.js';
import { assertRoundTrips, reencodes, roundTrip } from '../helpers/round-trip.js';
import { tsharkFields, type TsharkTree } from '../helpers/tshark.js';

/** Every IPv4 header of every capture (outer, and inner behind VXLAN), with tshark's fields. */
const capturedHeaders = (): CapturedLayer[] => capturedLayers(CAPTURES, 'ip');

const ipU32 = (text: string): number => text.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);

test('IPv4: captured headers (outer and inner) re-encode and match tshark', () => {
  const headers = capturedHeaders();
  assert.ok(headers.some((h) => h.offset === 64), 'inner IPv4 headers behind VXLAN are included');
  for (const h of headers) {
    const v = reencodes(ipv4, h.bytes);
    const t = h.tshark;
    const flags = t['ip.flags_tree'] as TsharkTree;
    const ds = t['ip.dsfield_tree'] as TsharkTree;
    assert.equal(Number(t['ip.version']), 4, h.where);
    assert.equal(ipv4.encodingLength(v), Number(t['ip.hdr_len']), h.where);
    assert.equal(v.dscp, Number(ds['ip.dsfield.dscp']), h.where);
    assert.equal(v.ecn, Number(ds['ip.dsfield.ecn']), h.where);
    assert.equal(v.totalLength, Number(t['ip.len']), h.where);
    assert.equal(v.identification, parseInt(t['ip.id'] as string, 16), h.where);
    assert.equal(v.reservedFlag, flags['ip.flags.rb'] === '1', h.where);
    assert.equal(v.dontFragment, flags['ip.flags.df'] === '1', h.where);
    assert.equal(v.moreFragments, flags['ip.flags.mf'] === '1', h.where);
    assert.equal(v.fragmentOffset, Number(t['ip.frag_offset']), h.where);
    assert.equal(v.ttl, Number(t['ip.ttl']), h.where);
    assert.equal(v.protocol, Number(t['ip.proto']), h.where);
    assert.equal(v.checksum, parseInt(t['ip.checksum'] as string, 16), h.where);
    assert.equal(v.src, t['ip.src'], h.where);
    assert.equal(v.dst, t['ip.dst'], h.where);
    assert.equal(v.options.length, 0, h.where);
  }
});

test('IPv4: hot-path readers agree with tshark on captured packets', () => {
  for (const h of capturedHeaders()) {
    const { frame, offset, tshark: t } = h;
    assert.equal(ipv4.readVersion(frame, offset), 4, h.where);
    assert.equal(ipv4.readHeaderLength(frame, offset), Number(t['ip.hdr_len']), h.where);
    assert.equal(ipv4.readTotalLength(frame, offset), Number(t['ip.len']), h.where);
    assert.equal(ipv4.readProtocol(frame, offset), Number(t['ip.proto']), h.where);
    assert.equal(ipv4.readSrcU32(frame, offset), ipU32(t['ip.src'] as string), h.where);
    assert.equal(ipv4.readDstU32(frame, offset), ipU32(t['ip.dst'] as string), h.where);
    assert.equal(ipv4.isFragment(frame, offset), false, h.where);
    if (offset === ethernet.ETH_HEADER_LENGTH) {
      assert.equal(ethernet.readEtherType(frame, 0), ethernet.EtherType.Ipv4);
      assert.equal(ethernet.payloadOffset(frame, 0), offset);
    }
  }
});

test('IPv4: recomputed header checksums of every captured packet equal the captured ones', () => {
  const headers = capturedHeaders();
  assert.ok(headers.length > 100);
  for (const h of headers) {
    const captured = h.bytes.readUInt16BE(ipv4.IPV4_CHECKSUM_OFFSET);
    assert.equal(ipv4.computeHeaderChecksum(h.frame, h.offset), captured, h.where);
    assert.equal(ipv4.isHeaderChecksumValid(h.frame, h.offset), true, h.where);
    // encode computes it when the value has none: the captured bytes again.
    const v = ipv4.decode(h.bytes);
    assert.deepEqual(ipv4.encode({ ...v, checksum: undefined }), h.bytes, h.where);
    const bad = Buffer.from(h.bytes);
    bad[ipv4.IPV4_TTL_OFFSET] = bad[ipv4.IPV4_TTL_OFFSET]! - 1;
    assert.equal(ipv4.isHeaderChecksumValid(bad, 0), false, h.where);
  }
});

test('IPv4: writeHeader rebuilds the captured outer headers in place', () => {
  let rebuilt = 0;
  for (const h of capturedHeaders().filter((c) => c.offset === ethernet.ETH_HEADER_LENGTH)) {
    const v = ipv4.decode(h.bytes);
    assert.equal(v.options.length, 0);
    const out = Buffer.alloc(24, 0xa5);
    ipv4.writeHeader(
      out,
      2,
      v.totalLength,
      v.identification,
      v.ttl,
      v.protocol,
      ipv4.readSrcU32(h.bytes, 0),
      ipv4.readDstU32(h.bytes, 0),
      v.dontFragment,
      (v.dscp << 2) | v.ecn,
    );
    assert.deepEqual(out.subarray(2, 22), h.bytes, h.where);
    rebuilt++;
    assert.equal(out[1], 0xa5);
    assert.equal(out[22], 0xa5);
  }
  assert.ok(rebuilt > 100);
  const tos = Buffer.alloc(20);
  ipv4.writeHeader(tos, 0, 100, 1, 64, IpProtocol.Udp, 0x0a000001, 0xffffffff, true, 0xb8 | 1);
  assert.deepEqual(ipv4.decode(tos), {
    dscp: 46,
    ecn: 1,
    totalLength: 100,
    identification: 1,
    reservedFlag: false,
    dontFragment: true,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: 64,
    protocol: 17,
    checksum: ipv4.computeHeaderChecksum(tos, 0),
    src: '10.0.0.1',
    dst: '255.255.255.255',
    options: Buffer.alloc(0),
  });
  assert.equal(ipv4.isHeaderChecksumValid(tos, 0), true);
});

test('IPv4: RFC 1071 checksum (the RFC §3 example, odd lengths, initial sums)', () => {
  // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0xddf2 (ones' complement).
  const ex = Buffer.from('0001f203f4f5f6f7', 'hex');
  assert.equal(ipv4.onesComplementSum(ex, 0, 8), 0xddf2);
  assert.equal(ipv4.checksum(ex, 0, 8), 0x220d);
  // An odd last byte is padded with zero on the right (RFC 1071 §4.1).
  assert.equal(ipv4.onesComplementSum(Buffer.from([0xab]), 0, 1), 0xab00);
  assert.equal(ipv4.onesComplementSum(ex, 0, 7), ipv4.onesComplementSum(Buffer.from('0001f203f4f5f600', 'hex'), 0, 8));
  // Split sums add up (that is how pseudo-header and segment sums combine).
  assert.equal(ipv4.onesComplementSum(ex, 4, 4, ipv4.onesComplementSum(ex, 0, 4)), 0xddf2);
  assert.equal(ipv4.fold(0x2ffff), 0x0002);
  assert.equal(ipv4.checksum(Buffer.alloc(0), 0, 0), 0xffff);
});

test('IPv4: options are kept as a view and re-encoded', (t) => {
  // IHL 6: Router Alert (RFC 2113: 94 04 00 00), as IGMP and RSVP send it.
  const withOptions = ipv4.encode({
    dscp: 48,
    ecn: 0,
    totalLength: 32,
    identification: 0,
    reservedFlag: false,
    dontFragment: true,
    moreFragments: false,
    fragmentOffset: 0,
    ttl: 1,
    protocol: 2,
    src: '10.212.100.1',
    dst: '224.0.0.22',
    options: Buffer.from('94040000', 'hex'),
  });
  assert.equal(withOptions[0], 0x46);
  assert.equal(ipv4.isHeaderChecksumValid(withOptions, 0), true);
  const packet = Buffer.concat([withOptions, Buffer.from('16000000e0000016', 'hex')]);
  const v = ipv4.decode(packet);
  assert.equal(ipv4.decode.bytes, 24);
  assert.deepEqual(v.options, Buffer.from('94040000', 'hex'));
  assert.equal(v.options.buffer, packet.buffer, 'options are a view, not a copy');
  roundTrip(ipv4, v);

  // tshark reads the same header (and agrees the checksum is good).
  const eth = ethernet.encode({ dst: '01:00:5e:00:00:16', src: '02:00:00:00:01:01', vlans: [], etherType: 0x0800 });
  const file = tempCapture(t, 'options.pcap', [Buffer.concat([eth, packet])]);
  const rows = tsharkFields(file, ['ip.hdr_len', 'ip.opt.type', 'ip.checksum', 'ip.checksum.status', 'ip.dsfield.dscp'], {
    prefs: ['ip.check_checksum:TRUE'],
  });
  assert.equal(rows.length, 1);
  const [hdrLen, optType, sum, status, dscp] = rows[0]!;
  assert.equal(Number(hdrLen), 24);
  assert.equal(Number(optType), 0x94);
  assert.equal(parseInt(sum!, 16), v.checksum);
  assert.equal(status, '1', 'tshark: checksum good');
  assert.equal(Number(dscp), 48);
});

test('IPv4: malformed headers throw WireError (drop)', () => {
  const good = capturedHeaders()[0]!.bytes;
  const isDrop = (e: unknown): boolean => e instanceof WireError && e.action === 'drop' && e.code === 0;
  const edit = (i: number, v: number): Buffer => {
    const b = Buffer.from(good);
    b[i] = v;
    return b;
  };
  assert.throws(() => ipv4.decode(edit(0, 0x65)), isDrop, 'version 6');
  assert.throws(() => ipv4.decode(edit(0, 0x44)), isDrop, 'IHL 4');
  assert.throws(() => ipv4.decode(edit(0, 0x40)), isDrop, 'IHL 0');
  assert.throws(() => ipv4.decode(edit(0, 0x46)), isDrop, 'IHL 6 but only 20 bytes');
  const short = Buffer.from(good);
  short.writeUInt16BE(19, 2);
  assert.throws(() => ipv4.decode(short), isDrop, 'total length 19 < header');
  short.writeUInt16BE(20, 2);
  assert.equal(ipv4.decode(short).totalLength, 20, 'total length = header is fine (empty payload)');
  for (const len of [0, 1, 19]) assert.throws(() => ipv4.decode(good.subarray(0, len)), isDrop, `length ${len}`);
});

test('IPv4: encode rejects bad values', () => {
  const v = ipv4.decode(capturedHeaders()[0]!.bytes);
  const bad: Array<Partial<Ipv4Header>> = [
    { dscp: 64 },
    { ecn: 4 },
    { totalLength: 19 },
    { totalLength: 0x10000 },
    { identification: -1 },
    { fragmentOffset: 0x2000 },
    { ttl: 256 },
    { protocol: 1.5 },
    { checksum: 0x10000 },
    { options: Buffer.alloc(3) },
    { options: Buffer.alloc(44) },
  ];
  for (const b of bad) assert.throws(() => ipv4.encode({ ...v, ...b }), RangeError, JSON.stringify(b));
  assert.throws(() => ipv4.encode({ ...v, src: '10.0.0' }), TypeError);
});

// ---------------------------------------------------------------------------
// Properties

const ipArb = fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => formatIpv4(b));
const optionsArb = fc
  .integer({ min: 0, max: 10 })
  .chain((words) => fc.uint8Array({ minLength: words * 4, maxLength: words * 4 }))
  .map((a) => Buffer.from(a));
const headerArb = (withChecksum: boolean): fc.Arbitrary<Ipv4Header> =>
  fc
    .record(
      {
        dscp: fc.integer({ min: 0, max: 63 }),
        ecn: fc.integer({ min: 0, max: 3 }),
        extra: fc.integer({ min: 0, max: 0xffff - 60 }),
        identification: fc.integer({ min: 0, max: 0xffff }),
        reservedFlag: fc.boolean(),
        dontFragment: fc.boolean(),
        moreFragments: fc.boolean(),
        fragmentOffset: fc.integer({ min: 0, max: 0x1fff }),
        ttl: fc.integer({ min: 0, max: 255 }),
        protocol: fc.oneof(fc.constantFrom(1, 6, 17), fc.integer({ min: 0, max: 255 })),
        checksum: fc.integer({ min: 0, max: 0xffff }),
        src: ipArb,
        dst: ipArb,
        options: optionsArb,
      },
      { noNullPrototype: true },
    )
    .map(({ extra, checksum, ...rest }) => {
      const value: Ipv4Header = { ...rest, totalLength: 20 + rest.options.length + extra };
      if (withChecksum) value.checksum = checksum;
      return value;
    });

test('IPv4 property: encode then decode is the identity', () => {
  assertRoundTrips(ipv4, headerArb(true));
});

test('IPv4 property: without a checksum, encode computes a valid one', () => {
  fc.assert(
    fc.property(headerArb(false), (v) => {
      const bytes = ipv4.encode(v);
      assert.equal(ipv4.isHeaderChecksumValid(bytes, 0), true);
      const d = ipv4.decode(bytes);
      assert.equal(d.checksum, ipv4.computeHeaderChecksum(bytes, 0));
      assert.deepEqual(d, { ...v, checksum: d.checksum });
    }),
    runs(),
  );
});

/** Reference RFC 1071 sum: 16-bit words added modulo 0xffff with end-around carry, one at a time. */
function referenceSum(b: Uint8Array): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) {
    s += (b[i]! << 8) | (b[i + 1] ?? 0);
    if (s > 0xffff) s -= 0xffff;
  }
  return s;
}

test('IPv4 property: checksum matches a reference sum, and data carrying it sums to zero', () => {
  fc.assert(
    fc.property(bytesArbitrary(64), fc.nat(), (data, at) => {
      assert.equal(ipv4.onesComplementSum(data, 0, data.length), referenceSum(data));
      // Put the checksum of the data (with a zero slot) in a 16-bit aligned slot.
      const buf = Buffer.alloc(data.length + (data.length % 2) + 2);
      data.copy(buf);
      const slot = 2 * (at % (buf.length / 2));
      buf.writeUInt16BE(0, slot);
      buf.writeUInt16BE(ipv4.checksum(buf, 0, buf.length), slot);
      assert.equal(ipv4.checksum(buf, 0, buf.length), 0);
    }),
    runs(),
  );
});

test('IPv4 property: the pseudo-header sum is the RFC 768 pseudo-header, summed', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 20, maxLength: 20 }).map((a) => Buffer.from(a)),
      fc.integer({ min: 0, max: 0xffff }),
      fc.integer({ min: 0, max: 255 }),
      (hdr, length, protocol) => {
        // src (4) | dst (4) | zero | protocol | length (2)
        const pseudo = Buffer.alloc(12);
        hdr.copy(pseudo, 0, ipv4.IPV4_SRC_OFFSET, 20);
        pseudo[9] = protocol;
        pseudo.writeUInt16BE(length, 10);
        assert.equal(ipv4.pseudoHeaderSum(hdr, 0, protocol, length), ipv4.onesComplementSum(pseudo, 0, 12));
      },
    ),
    runs(),
  );
});

function checkDecodable(buf: Buffer): void {
  const v = ipv4.decode(buf);
  const n = ipv4.decode.bytes;
  assert.deepEqual(ipv4.encode(v), buf.subarray(0, n), 'what decodes re-encodes exactly');
  assert.equal(ipv4.readHeaderLength(buf, 0), n);
  assert.equal(ipv4.readTotalLength(buf, 0), v.totalLength);
}

test('IPv4 property: random bytes throw only WireError; what decodes re-encodes exactly', () => {
  const arb = fc.oneof(
    bytesArbitrary(64),
    // Version 4 and a plausible IHL, so the success path is exercised.
    fc.tuple(fc.integer({ min: 0x40, max: 0x4f }), bytesArbitrary(64)).map(([b0, rest]) => Buffer.concat([Buffer.from([b0]), rest])),
  );
  assertOnlyWireError(arb, checkDecodable);
});

test('IPv4 property: mutated captured headers throw only WireError', () => {
  const headers = capturedHeaders();
  const samples = [headers[0]!, headers.find((h) => h.offset === 64)!].map((h) => h.frame.subarray(h.offset, h.offset + 28));
  assertOnlyWireError(fc.oneof(...samples.map((s) => mutationArbitrary(s))), checkDecodable);
});
