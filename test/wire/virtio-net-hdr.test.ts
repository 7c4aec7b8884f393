// The virtio_net_hdr codec: round trips (also at an offset), the host byte
// order of its 16-bit fields, and the header the kernel really writes (read
// back from a TAP with IFF_VNET_HDR in test/dataplane/offload-interop.test.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import * as vnetHdr from '../../src/wire/virtio-net-hdr.js';
import { onlyWireError, runs } from '../helpers/property.js';
import { roundTrip } from '../helpers/round-trip.js';

test('virtio_net_hdr: round trips; 16-bit fields in host order, as a Uint16Array reads them', () => {
  const value: vnetHdr.VnetHeader = { needsChecksum: true, dataValid: false, gsoType: vnetHdr.VNET_GSO_TCPV4, ecn: true, hdrLen: 66, gsoSize: 1448, csumStart: 34, csumOffset: 16 };
  const bytes = roundTrip(vnetHdr, value);
  assert.equal(bytes[0], vnetHdr.VNET_F_NEEDS_CSUM);
  assert.equal(bytes[1], vnetHdr.VNET_GSO_TCPV4 | vnetHdr.VNET_GSO_ECN);
  const words = new Uint16Array(bytes.buffer, bytes.byteOffset, 5);
  assert.deepEqual([words[vnetHdr.VNET_HDR_LEN_WORD], words[vnetHdr.VNET_GSO_SIZE_WORD], words[vnetHdr.VNET_CSUM_START_WORD], words[vnetHdr.VNET_CSUM_OFFSET_WORD]], [66, 1448, 34, 16]);
});

test('virtio_net_hdr property: every header round-trips; random bytes only throw WireError', () => {
  fc.assert(
    fc.property(
      fc.record({
        needsChecksum: fc.boolean(),
        dataValid: fc.boolean(),
        gsoType: fc.constantFrom(0, 1, 3, 4, 5),
        ecn: fc.boolean(),
        hdrLen: fc.integer({ min: 0, max: 0xffff }),
        gsoSize: fc.integer({ min: 0, max: 0xffff }),
        csumStart: fc.integer({ min: 0, max: 0xffff }),
        csumOffset: fc.integer({ min: 0, max: 0xffff }),
      }),
      (v) => {
        roundTrip(vnetHdr, { ...v });
      },
    ),
    runs(0.05),
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 16 }), (b) => onlyWireError(() => vnetHdr.decode(Buffer.from(b)))),
    runs(0.05),
  );
});

test('virtio_net_hdr: encode refuses values that do not fit', () => {
  const ok: vnetHdr.VnetHeader = { needsChecksum: false, dataValid: false, gsoType: 0, ecn: false, hdrLen: 0, gsoSize: 0, csumStart: 0, csumOffset: 0 };
  assert.throws(() => vnetHdr.encode({ ...ok, gsoSize: 0x10000 }), /gso_size must be an integer 0\.\.65535/);
  assert.throws(() => vnetHdr.encode({ ...ok, gsoType: 0x80 }), /gso_type/);
  assert.throws(() => vnetHdr.decode(Buffer.from([8, 0, 0, 0, 0, 0, 0, 0, 0, 0])), /unknown flags 0x8/);
});
