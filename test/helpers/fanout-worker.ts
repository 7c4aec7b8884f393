// A worker for test/dataplane/worker-pool.test.ts: opens its own AF_PACKET
// socket on an interface in a fanout group (as a forwarding worker does)
// and counts the UDP datagrams it receives into its cell of a shared
// counter array (per-worker counters, summed by the reader). The message
// 'throw' makes it throw from its event loop: the test hook for a worker
// that fails.

import { parentPort, workerData } from 'node:worker_threads';
import { loadNativeIo, createRxBatch } from '../../src/dataplane/native-io.js';

export interface FanoutWorkerData {
  index: number;
  counters: SharedArrayBuffer;
  ifname: string;
  netns: string;
  fanoutGroup: number;
}

const d = workerData as FanoutWorkerData;
const counts = new Int32Array(d.counters);
const io = loadNativeIo();
const port = io.openPacket(d.ifname, { netns: d.netns, fanoutGroup: d.fanoutGroup, rxMode: 'recvmmsg', promiscuous: false });
const batch = createRxBatch({ slots: 64, headroom: 0 });
port.onReadable((err) => {
  if (err) throw err;
  for (;;) {
    const n = port.receive(batch);
    if (n <= 0) break;
    let udp = 0;
    for (let i = 0; i < n; i++) {
      const o = batch.offsets[i]!;
      // IPv4 (EtherType 0x0800) carrying UDP (protocol 17).
      if (batch.buffer[o + 12] === 0x08 && batch.buffer[o + 13] === 0 && batch.buffer[o + 23] === 17) udp++;
    }
    Atomics.add(counts, d.index, udp);
  }
});
parentPort!.on('message', (m: unknown) => {
  if (m === 'throw') {
    setImmediate(() => {
      throw new Error(`test hook: worker ${d.index} throws`);
    });
  }
});
parentPort!.postMessage('ready');
