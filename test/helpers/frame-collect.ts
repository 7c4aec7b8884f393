// Receiving and sending in tests: a batch whose bytes are filled with a
// marker, a collector that drains a port through onReadable until enough
// frames came or the time is up (checking on the way that no frame's
// headroom was written: encapsulation writes the VXLAN header there), and
// one-call senders for the native handles.

import { createRxBatch, DatagramTx, FrameTx, type FramePort, type RxBatch, type UdpUnderlay } from '../../src/dataplane/native-io.js';

export const HEADROOM_FILL = 0xee;

/** A batch with every byte set to HEADROOM_FILL. */
export function freshBatch(slots: number, frameMax = 1984, headroom = 64): RxBatch {
  const b = createRxBatch({ slots, frameMax, headroom });
  b.buffer.fill(HEADROOM_FILL);
  return b;
}

/**
 * Receive through onReadable until `want` accepted frames arrived or
 * timeoutMs passed; returns copies. Checks that nothing was written into a
 * frame's headroom.
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
        // Frames are packed anew by each call: fill first, so the check below sees only this call's writes.
        batch.buffer.fill(HEADROOM_FILL);
        const n = receive(batch);
        if (n === 0) break;
        for (let i = 0; i < n; i++) {
          const len = batch.lengths[i]!;
          if (len === 0) continue;
          const off = batch.offsets[i]!;
          const head = batch.buffer.subarray(off - batch.headroom, off);
          if (!head.every((b) => b === HEADROOM_FILL)) return finish(new Error(`slot ${i}: headroom was written`));
          const frame = Buffer.from(batch.buffer.subarray(off, off + len));
          if (accept(frame, i)) got.push(frame);
        }
        if (got.length >= want) return finish();
      }
      return undefined;
    });
  });
}

/** One send call of frames i < count, lengths[i] bytes at offsets[i] of buffer (no arena parts, no virtio_net_hdr). */
export function sendFrames(port: Pick<FramePort, 'send'>, buffer: Buffer, offsets: Uint32Array, lengths: Uint32Array, count: number): number {
  const tx = new FrameTx(Math.max(count, 1), Buffer.alloc(0));
  tx.src = buffer;
  tx.offsets.set(offsets.subarray(0, count));
  tx.lengths.set(lengths.subarray(0, count));
  tx.count = count;
  return port.send(tx);
}

/** One send call through a UDP underlay (payloads from buffer). */
export function sendDatagrams(
  u: UdpUnderlay,
  buffer: Buffer,
  offsets: Uint32Array,
  lengths: Uint32Array,
  dst: Uint32Array,
  dports: Uint32Array,
  sports: Uint32Array,
  count: number,
): number {
  const tx = new DatagramTx(Math.max(count, 1), Buffer.alloc(0), u.addressStride);
  tx.src = buffer;
  tx.offsets.set(offsets.subarray(0, count));
  tx.lengths.set(lengths.subarray(0, count));
  tx.dstAddrs.set(dst.subarray(0, count * u.addressStride));
  tx.dstPorts.set(dports.subarray(0, count));
  tx.srcPorts.set(sports.subarray(0, count));
  tx.count = count;
  return u.send(tx);
}
