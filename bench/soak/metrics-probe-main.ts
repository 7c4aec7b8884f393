// Reads the daemon's /metrics from inside its namespace (the listener is on
// the namespace's loopback, out of the bench process' reach) once a second
// and prints what the soak plots, one JSON line per scrape:
//
//   ip netns exec NS node dist/bench/soak/metrics-probe-main.js '{"url": "http://127.0.0.1:9273/metrics", "seconds": 600}'
//   {"t": <epoch ms>, "heapUsed": <bytes>, "heapTotal": <bytes>, "fdb": <entries, all kinds>}
//   {"t": <epoch ms>, "error": "..."}
//
// Bounded: `seconds` of scrapes, each with a 900 ms timeout (the bench's
// Topology also kills it when it ends, and on its way out).

import { parseExposition, samples, value } from '../../test/helpers/prom-text.js';

interface ProbeConfig {
  url: string;
  seconds: number;
}

function emit(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function scrape(url: string): Promise<void> {
  const t = Date.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(900) });
    const e = parseExposition(await res.text());
    const fdb = samples(e, 'vxswitch_fdb_entries').reduce((s, x) => s + x.value, 0);
    emit({ t, heapUsed: value(e, 'nodejs_heap_size_used_bytes'), heapTotal: value(e, 'nodejs_heap_size_total_bytes'), fdb });
  } catch (err) {
    emit({ t, error: (err as Error).message });
  }
}

async function main(): Promise<void> {
  const c = JSON.parse(process.argv[2] ?? '{}') as ProbeConfig;
  const end = Date.now() + c.seconds * 1000;
  while (Date.now() < end) {
    const started = Date.now();
    await scrape(c.url);
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
  }
  process.exit(0);
}

void main();
