// Recorded session event logs: the events a BgpConnection was (or would
// have been) handed, as JSON (bytes as hex), built from a captured session,
// and a compact transcript of the actions that came out, to compare in a test.
import type { ConnectionAction, ConnectionEvent, TimerName } from '../../src/control/bgp-fsm.js';
import { bgpMessages, type CapturedBgpMessage } from './bgp-captures.js';
import { capturePath, type CaptureName } from './fixtures.js';
import { tsharkFields } from './tshark.js';

/** One event in JSON: like ConnectionEvent, with `hex` in place of a Buffer. */
export type LoggedEvent =
  | { type: 'start' }
  | { type: 'stop'; subcode?: number; message?: string }
  | { type: 'tcp-connected' }
  | { type: 'tcp-failed'; reason?: string }
  | { type: 'bytes'; hex: string; note?: string }
  | { type: 'timer'; timer: TimerName };

export function eventFromLog(e: LoggedEvent): ConnectionEvent {
  if (e.type === 'bytes') return { type: 'bytes', data: Buffer.from(e.hex, 'hex') };
  return e;
}

export function parseEventLog(json: string): ConnectionEvent[] {
  return (JSON.parse(json) as LoggedEvent[]).map(eventFromLog);
}

/**
 * The bytes `peerAddress` sent in a captured session, one event per TCP
 * segment (so FRR's several UPDATEs per segment stay together), each noted
 * with the frame number and message types.
 */
export function peerSegments(capture: CaptureName, peerAddress: string): LoggedEvent[] {
  const byFrame = new Map<number, { hex: string[]; types: number[] }>();
  for (const m of peerMessages(capture, peerAddress)) {
    const entry = byFrame.get(m.frame) ?? { hex: [], types: [] };
    entry.hex.push(m.bytes.toString('hex'));
    entry.types.push(m.type);
    byFrame.set(m.frame, entry);
  }
  return [...byFrame].map(([frame, e]) => ({ type: 'bytes', hex: e.hex.join(''), note: `frame ${frame}: types ${e.types.join(',')}` }));
}

/** The BGP messages `address` sent in a captured session, in order. */
export function peerMessages(capture: CaptureName, address: string): CapturedBgpMessage[] {
  const sources = new Map<number, string>();
  for (const [frame, src] of tsharkFields(capturePath(capture), ['frame.number', 'ip.src'])) sources.set(Number(frame), src ?? '');
  return bgpMessages([capture]).filter((m) => sources.get(m.frame) === address);
}

const TYPE_NAMES = ['?', 'OPEN', 'UPDATE', 'NOTIFICATION', 'KEEPALIVE', 'ROUTE-REFRESH'];

/** Actions as short lines, without timers and logs: what a reader checks a scenario by. */
export function transcript(actions: readonly ConnectionAction[]): string[] {
  const lines: string[] = [];
  for (const a of actions) {
    switch (a.type) {
      case 'state':
        lines.push(`${a.from} > ${a.to}`);
        break;
      case 'send': {
        const type = TYPE_NAMES[a.data[18]!] ?? `type ${a.data[18]}`;
        lines.push(a.data[18] === 3 ? `send ${type} ${a.data[19]}/${a.data[20]}` : `send ${type}`);
        break;
      }
      case 'connect':
        lines.push(`connect ${a.remoteAddress}:${a.remotePort}`);
        break;
      case 'close':
        lines.push('close');
        break;
      case 'open-received':
        lines.push(`open-received ${a.bgpId}`);
        break;
      case 'established':
        lines.push('established');
        break;
      case 'update':
        lines.push('update');
        break;
      case 'route-refresh':
        lines.push(`route-refresh ${a.afi}/${a.safi}`);
        break;
      case 'family-disabled':
        lines.push(`family-disabled ${a.family}`);
        break;
      case 'down':
        lines.push(`down: ${a.reason}`);
        break;
      case 'start-timer':
      case 'stop-timer':
      case 'log':
        break;
    }
  }
  return lines;
}
