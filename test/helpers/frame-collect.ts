// Receiving in tests: a batch whose headroom is filled with a marker, and a
// collector that drains a port through onReadable until enough frames came
// or the time is up, checking on the way that no slot's headroom was written
// (encapsulation writes the VXLAN header there).

import { createRxBatch, frameOffset, type FramePort, type RxBatch } from '../../src/dataplane/native-io.js';

export const HEADROOM_FILL = 0xee;

/** A batch with every byte set to HEADROOM_FILL. */
export function freshBatch(slots: number, slotSize = 2048, headroom = 64): RxBatch {
  const b = createRxBatch(slots, slotSize, headroom);
  b.buffer.fill(HEADROOM_FILL);
  return b;
}

/**
 * Receive through onReadable until `want` accepted frames arrived or
 * timeoutMs passed; returns copies. Checks that nothing was written into a
 * slot's headroom.
 */
export function collect(
  port: { onReadable: FramePort['onReadable']; stopReadable(): void },
  receive: (batch: RxBatch) => number,
  batch: RxBatch,
  accept: (frame: Buffer, slot: number) => boolean,
  want: number,
  timeoutMs: number,
): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const got: Buffer[] = [];
    const finish = (err?: Error): void => {
      clearTimeout(timer);
      port.stopReadable();
      if (err) reject(err);
      else resolve(got);
    };
    const timer = setTimeout(() => finish(), timeoutMs);
    port.onReadable((err) => {
      if (err) return finish(err);
      for (let round = 0; round < 64; round++) {
        const n = receive(batch);
        if (n === 0) break;
        for (let i = 0; i < n; i++) {
          const len = batch.lengths[i]!;
          if (len === 0) continue;
          const start = i * batch.slotSize;
          const head = batch.buffer.subarray(start, start + batch.headroom);
          if (!head.every((b) => b === HEADROOM_FILL)) return finish(new Error(`slot ${i}: headroom was written`));
          const off = frameOffset(batch, i);
          const frame = Buffer.from(batch.buffer.subarray(off, off + len));
          if (accept(frame, i)) got.push(frame);
        }
        if (got.length >= want) return finish();
      }
      return undefined;
    });
  });
}

