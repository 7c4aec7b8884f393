// Every BGP message of the captured sessions, with tshark's decode of it.
// Several BGP messages may share one TCP segment: tshark then gives `bgp`
// and `bgp_raw` as lists, in the same order.
import { CAPTURES, capturePath, type CaptureName } from './fixtures.js';
import { asList, rawBytes, tsharkFrames, type TsharkTree, type TsharkValue } from './tshark.js';

export interface CapturedBgpMessage {
  capture: CaptureName;
  frame: number;
  /** Index of the message within its frame. */
  index: number;
  /** The whole message, header included. */
  bytes: Buffer;
  /** tshark's `bgp` tree for this message. */
  tree: TsharkTree;
  /** tshark's bgp.type. */
  type: number;
}

function isRaw(v: TsharkValue): boolean {
  return Array.isArray(v) && typeof v[0] === 'string';
}

export function bgpMessages(captures: readonly CaptureName[] = CAPTURES): CapturedBgpMessage[] {
  const out: CapturedBgpMessage[] = [];
  for (const capture of captures) {
    for (const f of tsharkFrames(capturePath(capture), 'bgp')) {
      const trees = asList(f.layers['bgp']);
      const rawField = f.layers['bgp_raw'];
      const raws = rawField === undefined ? [] : isRaw(rawField) ? [rawField] : asList(rawField);
      if (trees.length !== raws.length) {
        throw new Error(`${capture} frame ${f.number}: ${trees.length} bgp trees but ${raws.length} bgp_raw`);
      }
      trees.forEach((tree, index) => {
        if (typeof tree !== 'object' || Array.isArray(tree)) throw new Error(`${capture} frame ${f.number}: odd bgp tree`);
        out.push({
          capture,
          frame: f.number,
          index,
          bytes: rawBytes(raws[index]!),
          tree,
          type: Number(tree['bgp.type']),
        });
      });
    }
  }
  return out;
}

/** A string field of a tshark tree (throws when absent, so a renamed field is noticed). */
export function field(tree: TsharkValue, name: string): string {
  if (typeof tree !== 'object' || Array.isArray(tree)) throw new Error(`not a tshark tree looking for ${name}`);
  const v = tree[name];
  if (typeof v !== 'string') throw new Error(`tshark field ${name} missing: ${JSON.stringify(Object.keys(tree))}`);
  return v;
}

/** Keys of a tshark tree that start with `prefix` (tshark names minor codes per major code). */
export function fieldsStartingWith(tree: TsharkValue, prefix: string): Array<[string, TsharkValue]> {
  if (typeof tree !== 'object' || Array.isArray(tree)) return [];
  return Object.entries(tree).filter(([k]) => k.startsWith(prefix) && !k.endsWith('_raw'));
}
