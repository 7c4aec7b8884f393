// `npm run bench`: every benchmark of the project, printed as tables.
// Micro benchmarks measure this process only; the end-to-end section runs
// the kernel's vxlan driver, Open vSwitch's userspace datapath and vxswitch
// on the same veth topology in the same run, prints ratios and writes the
// chart docs/bench/e2e.svg (docs/benchmarking.md).
import { benchWire } from './wire.bench.js';
import { benchFdb } from './fdb.bench.js';
import { benchForwarder } from './forwarder.bench.js';
import { benchEndToEnd } from './e2e/index.js';
import { benchControlPlane, printControlPlane } from './control-plane.bench.js';
import { measureRibMemory, printRibMemory } from './rib-memory.bench.js';

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function table(rows: Array<[string, string]>): void {
  const width = Math.max(...rows.map((r) => r[0].length));
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
}

async function main(): Promise<void> {
  console.log(`vxswitch bench — node ${process.version}, ${process.arch}`);

  console.log('\n## Wire codecs (tinybench, median ops/s)');
  table(
    (await benchWire()).map((r) => {
      const routes = r.name.startsWith('UPDATE 100') ? `, ${fmt(r.opsPerSecond * 100)} routes/s` : '';
      const extra = r.bytes !== undefined ? `  (${r.bytes} bytes${routes})` : '';
      return [r.name, `${fmt(r.opsPerSecond).padStart(14)} ops/s${extra}`];
    }),
  );

  console.log('\n## FDB at 1,000,000 entries (tinybench, median of batches of 1024)');
  const fdb = await benchFdb({ quiet: true });
  table([
    ...fdb.rows.map((r): [string, string] => [r.name, `${fmt(r.opsPerSecond).padStart(14)} ops/s  (${r.nsPerOp.toFixed(0)} ns/op)`]),
    ['one default sweep() call', `${fdb.sweepCallMs.toFixed(3)} ms over ${fmt(fdb.sweepSlots)} slots`],
  ]);

  console.log('\n## Forwarder decisions only (ports cost nothing), heap over the run');
  if (typeof global.gc !== 'function') console.log('(run with node --expose-gc for exact heap figures; npm run bench does)');
  table(
    (await benchForwarder()).map((r): [string, string] => [
      `${r.path} ${r.frameSize} B`,
      `${fmt(r.framesPerSecond).padStart(12)} frames/s over ${fmt(r.frames)} frames` +
        (r.segmentsPerFrame > 1 ? ` (${fmt(r.framesPerSecond * r.segmentsPerFrame)} segments/s over ${fmt(r.frames * r.segmentsPerFrame)})` : '') +
        `, heap growth ${fmt(r.heapGrowthBytes)} bytes`,
    ]),
  );

  console.log('\n## Memory per route: where a Type 2 route\'s bytes go, stage by stage (docs/memory.md)');
  if (typeof global.gc === 'function') printRibMemory(100_000, measureRibMemory(100_000, global.gc));
  else console.log('(needs node --expose-gc; npm run bench gives it)');

  console.log('\n## Control plane: 100,000 EVPN Type 2 routes into vxswitch and into FRR, same injection, same run');
  console.log('(root only; `node --expose-gc dist/bench/control-plane.bench.js` for medians of 3)');
  // Issue 10's scale row: 1,000,000 routes too (a few minutes more; FRR bounded at 120 s).
  printControlPlane(await benchControlPlane({ runs: 1, millionRoutes: 1_000_000 }));

  console.log('\n## End to end: vxswitch next to the kernel vxlan driver and OVS userspace, same veth topology, same run');
  console.log('(root only; about 6 minutes; `node dist/bench/e2e/index.js --runs 3` for medians of 3)');
  await benchEndToEnd({ runs: 1, command: 'npm run bench' });
}

await main();
