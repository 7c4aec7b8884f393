// Every instance of one protocol layer in the captured frames: tshark finds
// it (`<layer>_raw` gives its offset and length in the frame) and decodes it;
// the bytes are the frame as pcap.ts reads it.
import assert from 'node:assert/strict';
import { capturePath, readCapture, type CaptureName } from './fixtures.js';
import { asList, rawLayers, tsharkFrames, type TsharkTree } from './tshark.js';

export interface CapturedLayer {
  /** "<capture> #<frame number> <layer>[<instance>]", for assertion messages. */
  where: string;
  capture: CaptureName;
  /** Index of the frame in the capture (0-based, as pcap.ts and `tshark -T fields` rows count). */
  index: number;
  /** tshark's frame number. */
  number: number;
  /** The whole frame. */
  frame: Buffer;
  /** 0 for the outermost instance of the layer in its frame, 1 for the next (behind VXLAN), ... */
  instance: number;
  /** Where the layer starts in `frame`. */
  offset: number;
  /** The layer's bytes, a view into `frame`. */
  bytes: Buffer;
  /** tshark's decode of this instance. */
  tshark: TsharkTree;
  /** tshark's decode of the whole frame. */
  layers: TsharkTree;
}

/** Every instance of `layer` (a tshark protocol name: 'eth', 'ip', 'udp', ...) in the captures' frames, in order. */
export function capturedLayers(captures: readonly CaptureName[], layer: string): CapturedLayer[] {
  const out: CapturedLayer[] = [];
  for (const capture of captures) {
    const records = readCapture(capture).records;
    const frames = tsharkFrames(capturePath(capture));
    assert.equal(frames.length, records.length, `${capture}: tshark and pcap.ts see as many frames`);
    for (const [index, f] of frames.entries()) {
      const trees = asList(f.layers[layer]);
      const raws = rawLayers(f.layers, layer);
      assert.equal(trees.length, raws.length, `${capture} #${f.number}: one ${layer}_raw per ${layer}`);
      const frame = records[index]!.data;
      raws.forEach(({ offset, length }, instance) => {
        out.push({
          where: `${capture} #${f.number} ${layer}[${instance}]`,
          capture,
          index,
          number: f.number,
          frame,
          instance,
          offset,
          bytes: frame.subarray(offset, offset + length),
          tshark: trees[instance] as TsharkTree,
          layers: f.layers,
        });
      });
    }
  }
  return out;
}

export interface CapturedTransport extends CapturedLayer {
  /** Where the IP header that carries this transport header starts in `frame`. */
  ipOffset: number;
}

/** The outermost transport header ('tcp', 'udp') of every frame of the captures, with its IP header's offset. */
export function capturedTransport(captures: readonly CaptureName[], layer: 'tcp' | 'udp'): CapturedTransport[] {
  return capturedLayers(captures, layer)
    .filter((h) => h.instance === 0)
    .map((h) => {
      const [ip] = rawLayers(h.layers, 'ip');
      assert.ok(ip !== undefined && ip.offset < h.offset, `${h.where}: an IP header before it`);
      return { ...h, ipOffset: ip.offset };
    });
}
