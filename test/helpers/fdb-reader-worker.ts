// A reader thread for the shared-FDB tests (test/dataplane/fdb-shared.test.ts):
// looks keys up through FdbView over the writer's SharedArrayBuffer, without
// pause, and checks every answer against what the main thread said the
// writer may hold. Control messages are taken between passes with
// receiveMessageOnPort, so the loop never waits on the event loop.

import { parentPort, receiveMessageOnPort } from 'node:worker_threads';
import type { FdbShare } from '../../src/dataplane/fdb.js';
import { FdbView } from '../../src/dataplane/fdb-view.js';

/** A key: VNI and MAC bytes. */
export interface ReaderKey {
  vni: number;
  mac: number[];
}

/** -1: absent; else kind << 24 | target. */
export type ReaderState = number;

export type ReaderCommand =
  | { type: 'table'; share: FdbShare; keys: ReaderKey[] }
  /** Every answer for key k must be one of allowed[k] until the next command. */
  | { type: 'phase'; allowed: ReaderState[][] }
  /** The writer is idle: every key must be exactly final[k]. */
  | { type: 'check'; final: ReaderState[] }
  | { type: 'stop' };

export type ReaderReply =
  | { type: 'ack' }
  | { type: 'checked'; violations: string[]; passes: number; lookups: number; retries: number; gaveUp: number }
  | { type: 'stopped' };

const port = parentPort!;
let view: FdbView | undefined;
let keys: ReaderKey[] = [];
let macs: Uint8Array[] = [];
let allowed: Set<number>[] | undefined;
let violations: string[] = [];
let passes = 0;
let lookups = 0;

function stateOf(k: number): ReaderState {
  const v = view!;
  const key = keys[k]!;
  const slot = v.lookup(key.vni, macs[k]!, 0);
  lookups++;
  return slot < 0 ? -1 : (v.kindAt(slot) << 24) | v.targetAt(slot);
}

function describe(k: number, s: ReaderState): string {
  const key = keys[k]!;
  const mac = key.mac.map((b) => b.toString(16).padStart(2, '0')).join(':');
  return `${key.vni} ${mac}: ${s < 0 ? 'absent' : `kind ${s >>> 24} target ${s & 0xffffff}`}`;
}

for (;;) {
  const m = receiveMessageOnPort(port);
  if (m !== undefined) {
    const cmd = m.message as ReaderCommand;
    if (cmd.type === 'stop') {
      port.postMessage({ type: 'stopped' } satisfies ReaderReply);
      break;
    }
    if (cmd.type === 'table') {
      view = new FdbView(cmd.share);
      keys = cmd.keys;
      macs = keys.map((k) => Uint8Array.from(k.mac));
      allowed = undefined;
      port.postMessage({ type: 'ack' } satisfies ReaderReply);
    } else if (cmd.type === 'phase') {
      allowed = cmd.allowed.map((a) => new Set(a));
      port.postMessage({ type: 'ack' } satisfies ReaderReply);
    } else {
      allowed = undefined;
      for (let k = 0; k < keys.length; k++) {
        const s = stateOf(k);
        if (s !== cmd.final[k]) violations.push(`idle: ${describe(k, s)}, expected ${describe(k, cmd.final[k]!)}`);
      }
      const v = view!;
      port.postMessage({ type: 'checked', violations, passes, lookups, retries: v.retries, gaveUp: v.gaveUp } satisfies ReaderReply);
      violations = [];
    }
    continue;
  }
  if (allowed === undefined || view === undefined) {
    // Nothing to check: wait a little without burning the core the writer needs.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    continue;
  }
  for (let k = 0; k < keys.length; k++) {
    const gaveUp = view.gaveUp;
    const s = stateOf(k);
    // A lookup that gave up answers "absent" by design (the frame is flooded); anything else must be allowed.
    if (!allowed[k]!.has(s) && !(s === -1 && view.gaveUp > gaveUp) && violations.length < 20) {
      violations.push(`during writes: ${describe(k, s)}, allowed ${[...allowed[k]!].map((a) => describe(k, a)).join(' | ')}`);
    }
  }
  passes++;
}
