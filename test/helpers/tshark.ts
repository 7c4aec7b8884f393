// tshark's decode of a capture, read in the test itself (never hand-copied):
// `tshark -T json -x --no-duplicate-keys` gives, per frame, every field and
// every field's raw bytes ("<field>_raw": [hex, offset, length, ...]).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';

export type TsharkValue = string | TsharkTree | TsharkValue[];
export interface TsharkTree {
  [field: string]: TsharkValue;
}

export interface TsharkFrame {
  number: number;
  layers: TsharkTree;
}

const cache = new Map<string, TsharkFrame[]>();

/** Decode a capture with tshark (cached per file and display filter). */
export function tsharkFrames(file: string, displayFilter?: string): TsharkFrame[] {
  const key = `${file}\0${displayFilter ?? ''}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const args = ['-r', file, '-T', 'json', '-x', '--no-duplicate-keys', '-o', 'tcp.desegment_tcp_streams:TRUE'];
  if (displayFilter) args.push('-Y', displayFilter);
  const out = execFileSync('tshark', args, { maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  const parsed = JSON.parse(out.toString('utf8')) as Array<{ _source: { layers: TsharkTree } }>;
  const frames = parsed.map((p) => {
    const num = p._source.layers['frame'];
    const n = typeof num === 'object' && !Array.isArray(num) ? Number(num['frame.number']) : NaN;
    return { number: n, layers: p._source.layers };
  });
  cache.set(key, frames);
  return frames;
}

export interface TsharkFieldsOptions {
  /** tshark preferences (`-o name:value`), e.g. 'udp.check_checksum:TRUE'. */
  prefs?: readonly string[];
}

/**
 * `tshark -T fields`: one row per frame, the values of `fields` in order
 * (the first occurrence of each, i.e. the outer layer's).
 */
export function tsharkFields(file: string, fields: readonly string[], options: TsharkFieldsOptions = {}): string[][] {
  const args = ['-r', file, ...(options.prefs ?? []).flatMap((p) => ['-o', p])];
  args.push('-T', 'fields', '-E', 'separator=,', '-E', 'occurrence=f');
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  return out
    .trim()
    .split('\n')
    .map((line) => line.split(','));
}

/** A layer (or list of them: several BGP messages in one segment) as an array. */
export function asList(v: TsharkValue | undefined): TsharkValue[] {
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}

/**
 * Every value of `field` anywhere below `tree`, depth first, in order.
 * tshark nests fields under label nodes whose names vary by version; a
 * search by field name is robust to that.
 */
export function findAll(tree: TsharkValue, field: string): TsharkValue[] {
  const found: TsharkValue[] = [];
  const walk = (node: TsharkValue): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n);
      return;
    }
    if (typeof node !== 'object') return;
    for (const [k, v] of Object.entries(node)) {
      if (k === field) {
        if (Array.isArray(v) && !k.endsWith('_raw')) found.push(...v);
        else found.push(v);
      } else {
        walk(v);
      }
    }
  };
  walk(tree);
  return found;
}

/**
 * Offset and length in the frame of every instance of a layer (outermost
 * first, e.g. the outer and the VXLAN-inner `eth`), from tshark's `<layer>_raw`.
 */
export function rawLayers(layers: TsharkTree, name: string): Array<{ offset: number; length: number }> {
  const raw = layers[`${name}_raw`];
  if (raw === undefined) return [];
  const list = Array.isArray(raw) && Array.isArray(raw[0]) ? raw : [raw];
  return list.map((r) => {
    assert.ok(Array.isArray(r));
    return { offset: Number(r[1]), length: Number(r[2]) };
  });
}

/** Where `name` (a field of `tree` itself) starts in tshark's data: the offset of its `<name>_raw` entry. */
export function fieldOffset(tree: TsharkTree, name: string): number {
  const raw = tree[`${name}_raw`];
  if (!Array.isArray(raw) || typeof raw[1] !== 'number') throw new Error(`tshark ${name}_raw missing (have ${Object.keys(tree).join(', ')})`);
  return raw[1];
}

/** The bytes of a `<field>_raw` entry ([hex, offset, length, bitmask, type]). */
export function rawBytes(raw: TsharkValue): Buffer {
  if (Array.isArray(raw) && typeof raw[0] === 'string') return Buffer.from(raw[0], 'hex');
  throw new Error(`not a tshark _raw value: ${JSON.stringify(raw).slice(0, 80)}`);
}

export function hasTshark(): boolean {
  try {
    execFileSync('tshark', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
