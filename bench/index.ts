// `npm run bench`: every benchmark of the project, printed as a table.
// Micro benchmarks only measure this process; end-to-end ones (issue 3 on)
// run the kernel next to vxswitch in the same run and print ratios.
import { benchWire } from './wire.bench.js';

function fmt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

async function main(): Promise<void> {
  console.log(`vxswitch bench — node ${process.version}, ${process.arch}`);
  console.log('\n## Wire codecs (tinybench, median ops/s)');
  const rows = await benchWire();
  const width = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows) {
    const routes = r.name.startsWith('UPDATE 100') ? `, ${fmt(r.opsPerSecond * 100)} routes/s` : '';
    const extra = r.bytes !== undefined ? `  (${r.bytes} bytes${routes})` : '';
    console.log(`${r.name.padEnd(width)}  ${fmt(r.opsPerSecond).padStart(14)} ops/s${extra}`);
  }
}

await main();
