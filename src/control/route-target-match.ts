// Route-target import matching (RFC 4364 §4.3.1, RFC 7432 §7.10): an EVPN
// route is imported into every instance one of whose import route targets
// equals one of the route's route targets. Never by Ethernet Tag or RD
// (EVPN-NOTES: goplane filtered by Ethernet Tag and lost FRR's routes; FRR
// RDs are "<router-id>:<n>", unrelated to the VNI).
//
// "*:N" imports any route target whose assigned (local administrator)
// number is N, whatever its global administrator and layout: FRR's
// `route-target import *:100` and its automatic import (RFC 8365 §5.1.2.1),
// which masks the global administrator (bgp_evpn.c mask_ecom_global_admin).
//
// RtIndex answers "which instances import any of these route targets" with
// two map lookups per route target, whatever the number of instances.

import type { RouteTarget } from '../wire/extended-community.js';
import { formatAdministrator, parseRouteTarget } from '../wire/extended-community.js';
import type { PathAttribute } from '../wire/path-attribute.js';

export type RtMatcher = { kind: 'exact'; rt: RouteTarget } | { kind: 'any-as'; assigned: number };

/** Lossless text key of a route target: layout + value ("as2:65000:100"). */
export function rtKey(rt: RouteTarget): string {
  return `${rt.format}:${formatAdministrator(rt)}`;
}

/** "*:100" or a route target ("65000:100", "10.0.0.1:5", "4200000000:5"). TypeError otherwise. */
export function parseRtMatcher(text: string): RtMatcher {
  const t = text.trim();
  if (t.startsWith('*:')) {
    const n = t.slice(2);
    if (!/^\d{1,10}$/.test(n) || Number(n) > 0xffffffff) {
      throw new TypeError(`not a route target pattern: "${text}" (expected *:N with N < 2^32, e.g. *:100)`);
    }
    return { kind: 'any-as', assigned: Number(n) };
  }
  return { kind: 'exact', rt: parseRouteTarget(t) };
}

export function formatRtMatcher(m: RtMatcher): string {
  return m.kind === 'any-as' ? `*:${m.assigned}` : formatAdministrator(m.rt);
}

/** Route targets of a route's EXTENDED_COMMUNITIES (transitive ones only: the codec keeps 0x40/0x02 'unknown'). */
export function routeTargetsOf(attributes: readonly PathAttribute[]): RouteTarget[] {
  for (const a of attributes) {
    if (a.type !== 'extended-communities') continue;
    const out: RouteTarget[] = [];
    for (const ec of a.value) if (ec.kind === 'route-target') out.push(ec);
    return out;
  }
  return [];
}

export class RtIndex<T> {
  private readonly exact = new Map<string, Set<T>>();
  private readonly anyAs = new Map<number, Set<T>>();

  add(matcher: RtMatcher, value: T): void {
    const [map, key] = this.slot(matcher);
    let set = (map as Map<string | number, Set<T>>).get(key);
    if (set === undefined) {
      set = new Set();
      (map as Map<string | number, Set<T>>).set(key, set);
    }
    set.add(value);
  }

  remove(matcher: RtMatcher, value: T): void {
    const [map, key] = this.slot(matcher);
    const m = map as Map<string | number, Set<T>>;
    const set = m.get(key);
    if (set === undefined) return;
    set.delete(value);
    if (set.size === 0) m.delete(key);
  }

  private slot(matcher: RtMatcher): [Map<string, Set<T>> | Map<number, Set<T>>, string | number] {
    return matcher.kind === 'exact' ? [this.exact, rtKey(matcher.rt)] : [this.anyAs, matcher.assigned];
  }

  /** Every value one of whose matchers accepts one of `rts`, each once, in a stable order. */
  match(rts: readonly RouteTarget[]): T[] {
    const out: T[] = [];
    const add = (set: Set<T> | undefined): void => {
      if (set === undefined) return;
      for (const v of set) if (!out.includes(v)) out.push(v);
    };
    for (const rt of rts) {
      add(this.exact.get(rtKey(rt)));
      add(this.anyAs.get(rt.assigned));
    }
    return out;
  }
}
