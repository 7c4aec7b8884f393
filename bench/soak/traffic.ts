// The soak's traffic: a bounded, rate-limited generator in the bench process
// sending VLAN-tagged frames from the host behind the trunk to a sample of
// the remote MACs (each in its VNI's VLAN), through the project's native
// AF_PACKET port. One source MAC per VNI of the sample (the daemon learns a
// few hundred local MACs, well inside its learn rate). Paced by the clock on
// a timer: at most `rate` frames a second, none after `seconds`.

import * as ethernet from '../../src/wire/ethernet.js';
import { EtherType } from '../../src/wire/ethernet.js';
import { FrameTx, loadNativeIo, type PacketPort } from '../../src/dataplane/native-io.js';
import { evenSample, macText, vlanOfIndex, type SoakShape } from './plan.js';

const FRAME = 64;
const TICK_MS = 10;
/** IEEE 802 local experimental EtherType: the payload means nothing to anyone. */
const ETHERTYPE_EXPERIMENTAL = 0x88b5;

export interface TrafficOptions {
  /** Namespace and interface of the host end of the trunk. */
  netns: string;
  ifname: string;
  shape: SoakShape;
  /** Remote MACs in the sample. */
  sample: number;
  /** Frames per second. */
  rate: number;
  seconds: number;
}

/** The sample's frames, FRAME bytes apart in one buffer: to remote MAC i, VLAN of its VNI, from 02:5b:00:00:VV:VV. */
export function sampleFrames(shape: SoakShape, sample: number): { frames: Buffer; count: number } {
  const macs = evenSample(shape.macs, sample);
  const frames = Buffer.alloc(macs.length * FRAME);
  macs.forEach((i, j) => {
    const vlan = vlanOfIndex(i % shape.vnis);
    const src = `02:5b:00:00:${((vlan >>> 8) & 0xff).toString(16).padStart(2, '0')}:${(vlan & 0xff).toString(16).padStart(2, '0')}`;
    ethernet.encode({ dst: macText(i), src, vlans: [{ tpid: EtherType.Vlan, pcp: 0, dei: false, vid: vlan }], etherType: ETHERTYPE_EXPERIMENTAL }, frames, j * FRAME);
  });
  return { frames, count: macs.length };
}

export class Traffic {
  offered = 0;
  sent = 0;
  private timer: NodeJS.Timeout | undefined;
  private port: PacketPort | undefined;

  start(o: TrafficOptions): void {
    const { frames, count } = sampleFrames(o.shape, o.sample);
    const batch = Math.max(1, Math.ceil((o.rate * TICK_MS) / 1000) * 2);
    const port = loadNativeIo().openPacket(o.ifname, { netns: o.netns, receive: false, promiscuous: false, batchSize: Math.min(4096, batch) });
    this.port = port;
    const tx = new FrameTx(batch, Buffer.alloc(0));
    tx.src = frames;
    tx.lengths.fill(FRAME);
    const started = Date.now();
    const limit = Math.floor(o.rate * o.seconds);
    let next = 0;
    this.timer = setInterval(() => {
      const elapsed = (Date.now() - started) / 1000;
      if (elapsed >= o.seconds || this.offered >= limit) {
        this.stop();
        return;
      }
      const due = Math.min(batch, Math.floor(elapsed * o.rate) - this.offered);
      if (due <= 0) return;
      for (let k = 0; k < due; k++) {
        tx.offsets[k] = next * FRAME;
        next = (next + 1) % count;
      }
      tx.count = due;
      this.offered += due;
      this.sent += port.send(tx);
    }, TICK_MS);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.port?.close();
    this.port = undefined;
  }
}
