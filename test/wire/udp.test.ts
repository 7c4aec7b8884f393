import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import * as ethernet from '../../src/wire/ethernet.js';
import * as ipv4 from '../../src/wire/ipv4.js';
import { IpProtocol } from '../../src/wire/ipv4.js';
import * as ipv6 from '../../src/wire/ipv6.js';
import * as pcap from '../../src/wire/pcap.js';
import * as udp from '../../src/wire/udp.js';
import type { UdpHeader } from '../../src/wire/udp.js';
import * as vxlan from '../../src/wire/vxlan.js';
import { WireError } from '../../src/wire/wire-error.js';
import { capturePath, readCapture } from '../helpers/fixtures.js';
import { bytesArbitrary, mutationArbitrary, onlyWireError, runs } from '../helpers/property.js';
import { reencodes, roundTrip } from '../helpers/round-trip.js';
import { tsharkFrames, type TsharkTree } from '../helpers/tshark.js';

/** Offset and length of every instance of a layer, from tshark's `<layer>_raw`. */
function rawLayers(layers: TsharkTree, name: string): Array<{ offset: number; length: number }> {
  const raw = layers[`${name}_raw`];
  if (raw === undefined) return [];
  const list = Array.isArray(raw) && Array.isArray(raw[0]) ? raw : [raw];
  return list.map((r) => {
    assert.ok(Array.isArray(r));
    return { offset: Number(r[1]), length: Number(r[2]) };
  });
}

/**
 * tshark fields (one row per frame; the first occurrence of each, i.e. the
 * outer layer) with preferences set, e.g. checksum verification on.
 */
function tsharkFields(file: string, prefs: string[], fields: string[]): string[][] {
  const args = ['-r', file, ...prefs.flatMap((p) => ['-o', p]), '-T', 'fields', '-E', 'separator=,', '-E', 'occurrence=f'];
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  return out
    .trim()
    .split('\n')
    .map((line) => line.split(','));
}

const CAPTURE = 'vxlan-kernel-arp-icmp';

interface Captured {
  number: number;
  frame: Buffer;
  ipOffset: number;
  offset: number;
  bytes: Buffer;
  tshark: TsharkTree;
}

/** The outer UDP header of every VXLAN datagram in the capture. */
function capturedHeaders(): Captured[] {
  const records = readCapture(CAPTURE).records;
  return tsharkFrames(capturePath(CAPTURE)).map((f, i) => {
    const [{ offset, length }] = rawLayers(f.layers, 'udp') as [{ offset: number; length: number }];
    const [ip] = rawLayers(f.layers, 'ip');
    const frame = records[i]!.data;
    return {
      number: f.number,
      frame,
      ipOffset: ip!.offset,
      offset,
      bytes: frame.subarray(offset, offset + length),
      tshark: f.layers['udp'] as TsharkTree,
    };
  });
}

test('UDP: captured headers re-encode and match tshark', () => {
  const headers = capturedHeaders();
  assert.equal(headers.length, 8);
  for (const h of headers) {
    const v = reencodes(udp, h.bytes);
    const t = h.tshark;
    const where = `#${h.number}`;
    assert.equal(v.srcPort, Number(t['udp.srcport']), where);
    assert.equal(v.dstPort, Number(t['udp.dstport']), where);
    assert.equal(v.length, Number(t['udp.length']), where);
    assert.equal(v.checksum, parseInt(t['udp.checksum'] as string, 16), where);
    assert.equal(v.dstPort, vxlan.VXLAN_PORT_IANA, where);
    // In-place readers, and the chain outer Ethernet -> IPv4 -> UDP -> VXLAN.
    assert.equal(udp.readSrcPort(h.frame, h.offset), v.srcPort, where);
    assert.equal(udp.readDstPort(h.frame, h.offset), v.dstPort, where);
    assert.equal(udp.readLength(h.frame, h.offset), v.length, where);
    assert.equal(udp.readChecksum(h.frame, h.offset), v.checksum, where);
    assert.equal(ethernet.payloadOffset(h.frame, 0), h.ipOffset);
    assert.equal(ipv4.readProtocol(h.frame, h.ipOffset), IpProtocol.Udp);
    assert.equal(h.ipOffset + ipv4.readHeaderLength(h.frame, h.ipOffset), h.offset);
    assert.equal(ipv4.readTotalLength(h.frame, h.ipOffset) - ipv4.readHeaderLength(h.frame, h.ipOffset), v.length);
    assert.equal(vxlan.decode(h.frame, h.offset + udp.UDP_HEADER_LENGTH).vni, 100);
  }
});

test('UDP: writeHeader rebuilds the captured headers in place', () => {
  for (const h of capturedHeaders()) {
    const v = udp.decode(h.bytes);
    const out = Buffer.alloc(12, 0xa5);
    udp.writeHeader(out, 2, v.srcPort, v.dstPort, v.length, v.checksum);
    assert.deepEqual(out.subarray(2, 10), h.bytes);
    assert.equal(out[1], 0xa5);
    assert.equal(out[10], 0xa5);
  }
});

test('UDP: captured checksums are the IPv4 pseudo-header sum (checksum offload), as tshark sees them', () => {
  // The capture was taken on a veth where the kernel hands the checksum to
  // "hardware" (CHECKSUM_PARTIAL): the field holds the folded pseudo-header
  // sum, not yet complemented and without the datagram. That is a real-bytes
  // check of pseudoHeaderSum; tshark (checking) calls these checksums bad,
  // and so must verifyChecksumOverIpv4.
  const status = tsharkFields(capturePath(CAPTURE), ['udp.check_checksum:TRUE'], ['udp.checksum.status']);
  for (const [i, h] of capturedHeaders().entries()) {
    const v = udp.decode(h.bytes);
    assert.equal(ipv4.pseudoHeaderSum(h.frame, h.ipOffset, IpProtocol.Udp, v.length), v.checksum, `#${h.number}`);
    const ok = udp.verifyChecksumOverIpv4(h.frame, h.ipOffset, h.offset, v.length);
    assert.equal(ok, status[i]![0] === '1', `#${h.number}: ours ${ok}, tshark status ${status[i]![0]}`);
    assert.equal(ok, false);
  }
});

/** The captured VXLAN datagrams re-sent over IPv4 and IPv6 with checksums computed here. */
function builtDatagrams(): { frames: Buffer[]; expect: Array<{ family: 4 | 6; checksum: number }> } {
  const frames: Buffer[] = [];
  const expect: Array<{ family: 4 | 6; checksum: number }> = [];
  const payloads = capturedHeaders().map((h) => h.frame.subarray(h.offset + 8, h.offset + udp.decode(h.bytes).length));
  // Odd lengths and a tiny one exercise the pad byte.
  payloads.push(Buffer.from('0800000000006400ab', 'hex'), Buffer.from([0x42]), Buffer.alloc(0));
  for (const [i, payload] of payloads.entries()) {
    const length = 8 + payload.length;
    for (const family of [4, 6] as const) {
      const eth = ethernet.encode({
        dst: '02:00:00:00:00:02',
        src: '02:00:00:00:00:01',
        vlans: [],
        etherType: family === 4 ? ethernet.EtherType.Ipv4 : ethernet.EtherType.Ipv6,
      });
      const ip =
        family === 4
          ? ipv4.encode({
              dscp: 0, ecn: 0, totalLength: 20 + length, identification: i, reservedFlag: false,
              dontFragment: false, moreFragments: false, fragmentOffset: 0, ttl: 64,
              protocol: IpProtocol.Udp, src: '10.212.0.1', dst: '10.212.0.2', options: Buffer.alloc(0),
            })
          : ipv6.encode({
              trafficClass: 0, flowLabel: i, payloadLength: length, nextHeader: IpProtocol.Udp, hopLimit: 64,
              src: '2001:db8::1', dst: '2001:db8::2:0:0:2',
            });
      const header = udp.encode({ srcPort: 49152 + i, dstPort: vxlan.VXLAN_PORT_IANA, length, checksum: 0 });
      const frame = Buffer.concat([eth, ip, header, payload]);
      const ipOff = 14;
      const udpOff = 14 + ip.length;
      const sum =
        family === 4
          ? udp.computeChecksumOverIpv4(frame, ipOff, udpOff, length)
          : udp.computeChecksumOverIpv6(frame, ipOff, udpOff, length);
      frame.writeUInt16BE(sum, udpOff + udp.UDP_CHECKSUM_OFFSET);
      const verify = family === 4 ? udp.verifyChecksumOverIpv4 : udp.verifyChecksumOverIpv6;
      assert.equal(verify(frame, ipOff, udpOff, length), true);
      frames.push(frame);
      expect.push({ family, checksum: sum });
    }
  }
  return { frames, expect };
}

test('UDP: checksums computed over IPv4 and IPv6 are the ones tshark verifies as good', (t) => {
  const { frames, expect } = builtDatagrams();
  const dir = mkdtempSync(path.join(tmpdir(), 'vxswitch-udp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'udp.pcap');
  writeFileSync(file, pcap.encode(pcap.LinkType.Ethernet, frames.map((data, i) => ({ time: i, data }))));
  const rows = tsharkFields(file, ['udp.check_checksum:TRUE'], ['ip.version', 'udp.checksum', 'udp.checksum.status']);
  assert.equal(rows.length, frames.length);
  rows.forEach(([version, sum, status], i) => {
    assert.equal(Number(version), expect[i]!.family, `frame ${i + 1}`);
    assert.equal(parseInt(sum!, 16), expect[i]!.checksum, `frame ${i + 1}`);
    assert.equal(status, '1', `frame ${i + 1}: tshark says the checksum is good`);
  });
});

test('UDP: zero checksum is "none" over IPv4 (RFC 7348 §5) and invalid over IPv6 (RFC 8200 §8.1)', () => {
  const { frames, expect } = builtDatagrams();
  for (const [i, frame] of frames.entries()) {
    const ipOff = 14;
    const family = expect[i]!.family;
    const udpOff = ipOff + (family === 4 ? 20 : 40);
    const length = udp.readLength(frame, udpOff);
    const zero = Buffer.from(frame);
    zero.writeUInt16BE(0, udpOff + udp.UDP_CHECKSUM_OFFSET);
    if (family === 4) assert.equal(udp.verifyChecksumOverIpv4(zero, ipOff, udpOff, length), true);
    else assert.equal(udp.verifyChecksumOverIpv6(zero, ipOff, udpOff, length), false);
    // Any corruption of the payload is caught.
    if (length > 8) {
      const bad = Buffer.from(frame);
      bad[udpOff + length - 1] = bad[udpOff + length - 1]! ^ 0x10;
      const verify = family === 4 ? udp.verifyChecksumOverIpv4 : udp.verifyChecksumOverIpv6;
      assert.equal(verify(bad, ipOff, udpOff, length), false);
    }
  }
});

test('UDP: a computed checksum of 0 is sent as 0xffff (RFC 768)', () => {
  // Choose the last payload word so the datagram's checksum comes out 0.
  const { frames } = builtDatagrams();
  const frame = Buffer.from(frames[0]!);
  const ipOff = 14;
  const udpOff = 34;
  const length = udp.readLength(frame, udpOff);
  assert.equal(length % 2, 0);
  frame.writeUInt16BE(0, udpOff + length - 2);
  const c = udp.computeChecksumOverIpv4(frame, ipOff, udpOff, length);
  frame.writeUInt16BE(c === 0xffff ? 0 : c, udpOff + length - 2);
  assert.equal(udp.computeChecksumOverIpv4(frame, ipOff, udpOff, length), 0xffff);
  frame.writeUInt16BE(0xffff, udpOff + udp.UDP_CHECKSUM_OFFSET);
  assert.equal(udp.verifyChecksumOverIpv4(frame, ipOff, udpOff, length), true);
});

test('UDP: malformed headers throw WireError (drop); encode rejects bad values', () => {
  const isDrop = (e: unknown): boolean => e instanceof WireError && e.action === 'drop' && e.code === 0;
  const good = capturedHeaders()[0]!.bytes;
  for (const len of [0, 1, 7]) assert.throws(() => udp.decode(good.subarray(0, len)), isDrop, `length ${len}`);
  for (const length of [0, 7]) {
    const b = Buffer.from(good);
    b.writeUInt16BE(length, udp.UDP_LENGTH_OFFSET);
    assert.throws(() => udp.decode(b), isDrop, `UDP length ${length}`);
  }
  const v = udp.decode(good);
  const bad: Array<Partial<UdpHeader>> = [{ srcPort: 0x10000 }, { dstPort: -1 }, { length: 7 }, { length: 0x10000 }, { checksum: 1.5 }];
  for (const b of bad) assert.throws(() => udp.encode({ ...v, ...b }), RangeError, JSON.stringify(b));
  roundTrip(udp, { ...v, length: 8, checksum: 0 });
});

// ---------------------------------------------------------------------------
// Properties

const headerArb: fc.Arbitrary<UdpHeader> = fc.record(
  {
    srcPort: fc.integer({ min: 0, max: 0xffff }),
    dstPort: fc.oneof(fc.constantFrom(4789, 8472), fc.integer({ min: 0, max: 0xffff })),
    length: fc.integer({ min: 8, max: 0xffff }),
    checksum: fc.integer({ min: 0, max: 0xffff }),
  },
  { noNullPrototype: true },
);

test('UDP property: encode then decode is the identity', () => {
  fc.assert(
    fc.property(headerArb, (v) => {
      roundTrip(udp, v);
    }),
    runs(),
  );
});

test('UDP property: a computed checksum verifies, over IPv4 and IPv6', () => {
  fc.assert(
    fc.property(
      fc.boolean(),
      fc.uint8Array({ minLength: 40, maxLength: 40 }),
      bytesArbitrary(64),
      (over4, ipBytes, payload) => {
        const ipLength = over4 ? 20 : 40;
        const length = 8 + payload.length;
        const buf = Buffer.alloc(ipLength + length);
        Buffer.from(ipBytes).copy(buf, 0, 0, ipLength);
        udp.writeHeader(buf, ipLength, 1, 2, length, 0);
        payload.copy(buf, ipLength + 8);
        const sum = over4
          ? udp.computeChecksumOverIpv4(buf, 0, ipLength, length)
          : udp.computeChecksumOverIpv6(buf, 0, ipLength, length);
        assert.notEqual(sum, 0);
        buf.writeUInt16BE(sum, ipLength + udp.UDP_CHECKSUM_OFFSET);
        const ok = over4 ? udp.verifyChecksumOverIpv4(buf, 0, ipLength, length) : udp.verifyChecksumOverIpv6(buf, 0, ipLength, length);
        assert.equal(ok, true);
      },
    ),
    runs(),
  );
});

function checkDecodable(buf: Buffer): void {
  const v = udp.decode(buf);
  assert.deepEqual(udp.encode(v), buf.subarray(0, 8), 'what decodes re-encodes exactly');
}

test('UDP property: random bytes throw only WireError; what decodes re-encodes exactly', () => {
  fc.assert(
    fc.property(bytesArbitrary(16), (buf) => {
      onlyWireError(() => checkDecodable(buf));
    }),
    runs(),
  );
});

test('UDP property: mutated captured headers throw only WireError', () => {
  const h = capturedHeaders()[0]!;
  fc.assert(
    fc.property(mutationArbitrary(h.frame.subarray(h.offset, h.offset + 16)), (buf) => {
      onlyWireError(() => checkDecodable(buf));
    }),
    runs(),
  );
});
