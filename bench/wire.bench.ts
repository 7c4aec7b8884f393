// Wire codec micro-benchmarks: encode and decode ops/s for an UPDATE carrying
// 100 EVPN Type 2 routes (as FRR packs them), an OPEN as FRR sends it, and the
// VXLAN header (the in-place view the forwarder uses, and the codec).
import { Bench } from 'tinybench';
import * as bgpMessage from '../src/wire/bgp-message.js';
import type { BgpMessage } from '../src/wire/bgp-message.js';
import { buildOpen } from '../src/wire/bgp-open.js';
import { AS4_CONTEXT } from '../src/wire/bgp-context.js';
import type { EvpnNlri } from '../src/wire/evpn-nlri.js';
import { zeroEsi } from '../src/wire/esi.js';
import * as vxlan from '../src/wire/vxlan.js';

export function update100Type2(): BgpMessage {
  const nlri: EvpnNlri[] = [];
  for (let i = 0; i < 100; i++) {
    const mac = `02:00:00:00:${((i >> 8) & 0xff).toString(16).padStart(2, '0')}:${(i & 0xff).toString(16).padStart(2, '0')}`;
    nlri.push({
      route: {
        type: 2,
        rd: { type: 1, ip: '10.212.0.40', assigned: 100 },
        esi: zeroEsi(),
        etag: 0,
        mac,
        ip: `10.212.100.${i + 1}`,
        labels: [100],
      },
    });
  }
  return {
    type: 'update',
    update: {
      withdrawn: [],
      nlri: [],
      problems: [],
      attributes: [
        { type: 'mp-reach-nlri', value: { kind: 'evpn', afi: 25, safi: 70, nextHop: '10.212.0.40', nlri } },
        { type: 'origin', value: 'igp' },
        { type: 'as-path', value: [] },
        { type: 'local-pref', value: 100 },
        {
          type: 'extended-communities',
          value: [
            { kind: 'route-target', format: 'as2', asn: 65000, assigned: 100 },
            { kind: 'encapsulation', tunnelType: 8 },
          ],
        },
      ],
    },
  };
}

export function frrOpen(): BgpMessage {
  return {
    type: 'open',
    open: buildOpen({
      as: 65000,
      holdTime: 9,
      bgpId: '10.212.0.1',
      capabilities: [
        { type: 'multiprotocol', afi: 25, safi: 70 },
        { type: 'route-refresh' },
        { type: 'enhanced-route-refresh' },
        { type: 'four-octet-as', as: 65000 },
        { type: 'add-path', families: [{ afi: 25, safi: 70, sendReceive: 1 }] },
        { type: 'graceful-restart', flags: 0, restartTime: 120, families: [] },
        { type: 'fqdn', hostname: 'pi-v1', domain: '' },
      ],
    }),
  };
}

const VX_BATCH = 1000;

export interface BenchRow {
  name: string;
  opsPerSecond: number;
  bytes?: number;
}

export async function benchWire(time = 500): Promise<BenchRow[]> {
  const ctx = AS4_CONTEXT;
  const update = update100Type2();
  const updateBytes = bgpMessage.encode(update, undefined, 0, ctx);
  const updateOut = Buffer.alloc(updateBytes.length);
  const open = frrOpen();
  const openBytes = bgpMessage.encode(open, undefined, 0, ctx);
  const openOut = Buffer.alloc(openBytes.length);
  const vx = Buffer.alloc(64);
  vxlan.writeHeader(vx, 0, 100);
  let sink = 0;

  const bench = new Bench({ name: 'wire codecs', time });
  bench
    .add('UPDATE 100×Type 2: decode', () => {
      const m = bgpMessage.decode(updateBytes, 0, ctx);
      sink += m.type.length;
    })
    .add('UPDATE 100×Type 2: encode', () => {
      bgpMessage.encode(update, updateOut, 0, ctx);
    })
    .add('OPEN: decode', () => {
      const m = bgpMessage.decode(openBytes, 0, ctx);
      sink += m.type.length;
    })
    .add('OPEN: encode', () => {
      bgpMessage.encode(open, openOut, 0, ctx);
    })
    // One call is shorter than the timer's resolution: time batches of
    // VX_BATCH headers and scale (as the forwarder handles batches anyway).
    .add('VXLAN header: view (readVni + flag check)', () => {
      for (let i = 0; i < VX_BATCH; i++) if (vxlan.hasValidFlags(vx, 0)) sink += vxlan.readVni(vx, 0);
    })
    .add('VXLAN header: writeHeader in place', () => {
      for (let i = 0; i < VX_BATCH; i++) vxlan.writeHeader(vx, 0, i & 0xffffff);
    })
    .add('VXLAN header: decode (codec)', () => {
      for (let i = 0; i < VX_BATCH; i++) sink += vxlan.decode(vx, 0).vni;
    })
    .add('VXLAN header: encode (codec)', () => {
      for (let i = 0; i < VX_BATCH; i++) vxlan.encode({ vni: i & 0xffffff }, vx, 0);
    });
  await bench.run();
  if (sink === -1) console.log(sink); // keep the results alive
  const sizes: Record<string, number> = {
    'UPDATE 100×Type 2: decode': updateBytes.length,
    'UPDATE 100×Type 2: encode': updateBytes.length,
    'OPEN: decode': openBytes.length,
    'OPEN: encode': openBytes.length,
  };
  return bench.tasks.map((t) => {
    const r = t.result as { throughput?: { mean?: number; p50?: number } } | undefined;
    const perCall = t.name.startsWith('VXLAN') ? VX_BATCH : 1;
    const row: BenchRow = { name: t.name, opsPerSecond: perCall * (r?.throughput?.p50 ?? r?.throughput?.mean ?? 0) };
    const bytes = sizes[t.name];
    if (bytes !== undefined) row.bytes = bytes;
    return row;
  });
}
