// The management API's requests, validated in the daemon whatever the
// client (the CLI checks its options too, but any process with access to
// the socket can write to it): a known method, params an object with only
// the keys that method takes, each value in range. Errors name the field,
// the value and what is expected, like the config file's.

import { z } from 'zod';
import { isFamily } from '../control/afi-safi-family.js';
import type { Family } from '../control/route.js';

export type ApiQuery =
  | { method: 'neighbors' }
  | { method: 'rib'; family: Family }
  | { method: 'fdb'; vni?: number }
  | { method: 'vnis' }
  | { method: 'counters' };

// RFC 7348 §5: a VNI is 24 bits; 0 is not used.
const VNI = 'an integer 1..16777215 (a VNI)';
const FAMILIES = 'l2vpn-evpn, ipv4-unicast or ipv6-unicast';

const paramsOf = {
  neighbors: z.object({}).strict(),
  rib: z.object({ family: z.string({ error: FAMILIES }).refine(isFamily, FAMILIES).optional() }).strict(),
  fdb: z.object({ vni: z.number({ error: VNI }).int({ error: VNI }).min(1, { error: VNI }).max(16777215, { error: VNI }).optional() }).strict(),
  vnis: z.object({}).strict(),
  counters: z.object({}).strict(),
} as const;

type Method = keyof typeof paramsOf;
const METHODS = Object.keys(paramsOf) as Method[];
const isMethod = (m: string): m is Method => Object.hasOwn(paramsOf, m);

const show = (v: unknown): string => (v === undefined ? 'missing' : (JSON.stringify(v) ?? String(v)));

/** A request line's JSON value as a query, or the error to answer with. */
export function parseApiRequest(req: unknown): ApiQuery | { error: string } {
  if (req === null || typeof req !== 'object' || Array.isArray(req)) return { error: 'a request is {"method": ..., "params": {...}}' };
  const r = req as Record<string, unknown>;
  const extra = Object.keys(r).filter((k) => k !== 'method' && k !== 'params');
  if (extra.length > 0) return { error: `${extra[0]}: unknown request key (a request is {"method": ..., "params": {...}})` };
  const method = r['method'];
  if (typeof method !== 'string') return { error: `method = ${show(method)}: expected one of ${METHODS.join(', ')}` };
  if (!isMethod(method)) return { error: `unknown method "${method}" (${METHODS.join(', ')})` };
  const params = r['params'] ?? {};
  if (params === null || typeof params !== 'object' || Array.isArray(params)) return { error: `params = ${show(params)}: expected an object` };
  const parsed = paramsOf[method].safeParse(params);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (issue.code === 'unrecognized_keys') {
      const takes = Object.keys(paramsOf[method].shape);
      return { error: `params.${issue.keys[0]}: unknown parameter (${method} takes ${takes.length === 0 ? 'none' : takes.join(', ')})` };
    }
    const key = String(issue.path[0]);
    return { error: `params.${key} = ${show((params as Record<string, unknown>)[key])}: expected ${issue.message}` };
  }
  switch (method) {
    case 'rib':
      return { method, family: ((parsed.data as { family?: string }).family ?? 'l2vpn-evpn') as Family };
    case 'fdb': {
      const vni = (parsed.data as { vni?: number }).vni;
      return vni === undefined ? { method } : { method, vni };
    }
    default:
      return { method };
  }
}
