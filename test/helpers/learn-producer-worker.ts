// A producer thread for test/dataplane/learn-ring.test.ts: pushes `count`
// local learns of distinct MACs (MAC = the sequence number) as fast as it
// can, posting 'wake' whenever push() asks for it, then 'done'.

import { parentPort, workerData } from 'node:worker_threads';
import { LearnProducer, LEARN_KIND_LOCAL, LEARN_KIND_REMOTE } from '../../src/dataplane/learn-ring.js';

export interface ProducerData {
  buffer: SharedArrayBuffer;
  count: number;
}

const { buffer, count } = workerData as ProducerData;
const p = new LearnProducer(buffer);
const mac = new Uint8Array(6);
const addr = Uint8Array.of(0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7);
let wakes = 0;
for (let i = 0; i < count; i++) {
  mac[0] = 0x02;
  mac[2] = i >>> 24;
  mac[3] = i >>> 16;
  mac[4] = i >>> 8;
  mac[5] = i;
  const woke = i % 3 === 0 ? p.push(LEARN_KIND_REMOTE, 100, mac, 0, -1, 1, addr, 0, 16) : p.push(LEARN_KIND_LOCAL, 100 + (i % 7), mac, 0, i % 5, 1);
  if (woke) {
    wakes++;
    parentPort!.postMessage('wake');
  }
}
parentPort!.postMessage({ done: true, wakes, dropped: p.dropped });
