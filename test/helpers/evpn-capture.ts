// The EVPN pieces of the captured sessions, as tshark decodes them: every
// EVPN NLRI (from MP_REACH_NLRI and MP_UNREACH_NLRI) and every extended
// community, each as its exact bytes plus tshark's field tree, grouped by
// UPDATE message. Tests decode the bytes with our codecs and compare with
// the tree read here, so no value is ever copied by hand.
import path from 'node:path';
import { FIXTURES, capturePath } from './fixtures.js';
import { asList, fieldOffset, findAll, rawBytes, tsharkFrames } from './tshark.js';
import type { TsharkTree, TsharkValue } from './tshark.js';

export interface CapturedItem {
  /** The exact bytes tshark shows for the field. */
  bytes: Buffer;
  /** Offset of those bytes in tshark's (reassembled) data, for the field offsets in `tree`. */
  offset: number;
  tree: TsharkTree;
}

export interface CapturedUpdate {
  capture: string;
  frame: number;
  /** EVPN NLRIs of MP_REACH_NLRI. */
  reach: CapturedItem[];
  /** EVPN NLRIs of MP_UNREACH_NLRI. */
  unreach: CapturedItem[];
  /** EXTENDED_COMMUNITIES, in wire order. */
  extCommunities: CapturedItem[];
}

/** The EVPN captures: the three interop sessions and the GoBGP all-route-types session. */
export const EVPN_CAPTURES = [
  'frr-frr-evpn-session',
  'gobgp-frr-evpn-session',
  'pyspeaker-frr-evpn-session',
  'gobgp-evpn-route-types',
] as const;
export type EvpnCaptureName = (typeof EVPN_CAPTURES)[number];

/** gobgp-evpn-route-types is made by scripts/capture-gobgp-evpn-route-types.sh, with two listings beside it. */
export function evpnCapturePath(name: EvpnCaptureName): string {
  return name === 'gobgp-evpn-route-types' ? path.join(FIXTURES, `${name}.pcap`) : capturePath(name);
}

export function fixtureTextPath(file: string): string {
  return path.join(FIXTURES, file);
}

/** A `_raw` value may hold one [hex, offset, length, ...] entry or a list of them. */
function rawEntries(v: TsharkValue): TsharkValue[][] {
  if (!Array.isArray(v)) return [];
  if (typeof v[0] === 'string') return [v];
  return v.flatMap((x) => rawEntries(x));
}

function trees(v: TsharkValue): TsharkTree[] {
  if (Array.isArray(v)) return v.flatMap((x) => trees(x));
  return typeof v === 'object' ? [v] : [];
}

/** Pair `<field>_raw` byte entries with `<field>` trees by offset. */
function items(container: TsharkValue, field: string, firstField: string): CapturedItem[] {
  const raws = findAll(container, `${field}_raw`).flatMap(rawEntries);
  const byOffset = new Map<number, TsharkTree>();
  for (const t of findAll(container, field).flatMap(trees)) byOffset.set(fieldOffset(t, firstField), t);
  return raws.map((r) => {
    const offset = Number(r[1]);
    const tree = byOffset.get(offset);
    if (!tree) throw new Error(`no tshark tree for ${field} at offset ${offset}`);
    return { bytes: rawBytes(r), offset, tree };
  });
}

function str(tree: TsharkTree, field: string): string | undefined {
  const v = tree[field];
  return typeof v === 'string' ? v : undefined;
}

const cache = new Map<string, CapturedUpdate[]>();

/** Every UPDATE of a capture that carries EVPN NLRI or extended communities. */
export function evpnUpdates(name: EvpnCaptureName): CapturedUpdate[] {
  const hit = cache.get(name);
  if (hit) return hit;
  const out: CapturedUpdate[] = [];
  for (const frame of tsharkFrames(evpnCapturePath(name), 'bgp')) {
    for (const msg of asList(frame.layers['bgp'])) {
      if (typeof msg !== 'object' || Array.isArray(msg) || str(msg, 'bgp.type') !== '2') continue;
      const update: CapturedUpdate = { capture: name, frame: frame.number, reach: [], unreach: [], extCommunities: [] };
      for (const attr of findAll(msg, 'bgp.update.path_attribute').flatMap(trees)) {
        const code = str(attr, 'bgp.update.path_attribute.type_code');
        if (code === '14') update.reach.push(...items(attr, 'bgp.evpn.nlri', 'bgp.evpn.nlri.rt'));
        if (code === '15') update.unreach.push(...items(attr, 'bgp.evpn.nlri', 'bgp.evpn.nlri.rt'));
        if (code === '16') update.extCommunities.push(...items(attr, 'bgp.ext_community', 'bgp.ext_com.type'));
      }
      if (update.reach.length + update.unreach.length + update.extCommunities.length > 0) out.push(update);
    }
  }
  cache.set(name, out);
  return out;
}

/** Every EVPN NLRI of every EVPN capture (reach and unreach). */
export function allEvpnNlris(): Array<CapturedItem & { capture: string; frame: number; withdrawn: boolean }> {
  return EVPN_CAPTURES.flatMap((c) =>
    evpnUpdates(c).flatMap((u) => [
      ...u.reach.map((n) => ({ ...n, capture: c, frame: u.frame, withdrawn: false })),
      ...u.unreach.map((n) => ({ ...n, capture: c, frame: u.frame, withdrawn: true })),
    ]),
  );
}

/** Every extended community of every EVPN capture. */
export function allExtCommunities(): Array<CapturedItem & { capture: string; frame: number }> {
  return EVPN_CAPTURES.flatMap((c) =>
    evpnUpdates(c).flatMap((u) => u.extCommunities.map((e) => ({ ...e, capture: c, frame: u.frame }))),
  );
}

/** A string field of a tshark tree, searched at any depth (first hit), or undefined. */
export function field(tree: TsharkValue, name: string): string | undefined {
  const v = findAll(tree, name)[0];
  return typeof v === 'string' ? v : undefined;
}

/** The [hex, offset, length] entry of `<name>_raw` at any depth, or undefined. */
export function fieldRaw(tree: TsharkValue, name: string): { offset: number; length: number } | undefined {
  const v = findAll(tree, `${name}_raw`)[0];
  if (!Array.isArray(v) || typeof v[1] !== 'number' || typeof v[2] !== 'number') return undefined;
  return { offset: v[1], length: v[2] };
}
