// Path-attribute sets interned: every route that carries the same
// attributes (a remote VTEP sends the same ORIGIN, AS_PATH, LOCAL_PREF and
// extended communities with each of its MACs, over hundreds of UPDATEs)
// holds one shared, frozen array, keyed by the attributes' encoding. Held
// weakly (interner.ts): when the last route with a set is withdrawn, the set
// goes. Sharing also makes the per-set caches keyed by array identity (the
// EVPN manager's route-target match, the export policy's transform, the
// Adj-RIB-Out's grouping) hit across UPDATEs, not only within one.

import { AS4_CONTEXT } from '../wire/bgp-context.js';
import * as pathAttribute from '../wire/path-attribute.js';
import type { PathAttribute } from '../wire/path-attribute.js';
import { Interner } from './interner.js';

const sets = new Interner<PathAttribute[]>();

/** Room for a typical attribute set; a larger one gets its own buffer. */
let scratch = Buffer.alloc(4096);

/** The content key of a set: its attributes encoded (4-octet AS numbers, so every value fits), as latin1. */
function contentKey(attributes: readonly PathAttribute[]): string | null {
  try {
    let length = 0;
    for (const a of attributes) length += pathAttribute.encodingLength(a, AS4_CONTEXT);
    if (length > scratch.length) scratch = Buffer.alloc(length);
    let at = 0;
    for (const a of attributes) {
      pathAttribute.encode(a, scratch, at, AS4_CONTEXT);
      at += pathAttribute.encodingLength(a, AS4_CONTEXT);
    }
    return scratch.toString('latin1', 0, at);
  } catch {
    // A value the encoder refuses (built by hand in a test, say) is kept unshared.
    return null;
  }
}

/**
 * The shared set equal to `attributes` (frozen; `attributes` itself, frozen,
 * when it is the first of its content). Callers hand over the array.
 */
export function internAttributes(attributes: PathAttribute[]): PathAttribute[] {
  const key = contentKey(attributes);
  if (key === null) return attributes;
  return sets.intern(key, Object.freeze(attributes) as PathAttribute[]);
}

/** Distinct attribute sets held now (for tests and the memory bench). */
export function attributeSetCount(): number {
  return sets.size;
}
