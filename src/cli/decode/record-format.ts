// Records as output lines.
//
// Text (tcpdump/tshark style): seconds since the first frame of the capture
// with 6 decimals (tshark's default time column), endpoints, protocol, then
// the message:
//   0.000079 10.212.0.40:56085 > 10.212.0.254:179 BGP OPEN v4 as 65000 ...
//   0.000000 10.212.0.1:52717 > 10.212.0.2:4789 VXLAN vni 100 02:00:00:00:01:01 > ff:ff:ff:ff:ff:ff ARP who-has ...
//
// JSON lines: one object per record with frame, time (absolute epoch
// seconds), src, dst, proto, type, the decoded fields (bytes as hex) and
// `summary`, the text line's message part.

import type { WireError } from '../../wire/wire-error.js';
import { toJsonValue, type JsonValue } from './json-value.js';
import { formatMessage, updateRoutes } from './message-format.js';
import { afiSafiName } from '../../wire/afi-safi.js';
import { action, isEndOfRib } from '../../wire/bgp-update.js';
import type { BgpRecord, DecodedRecord, VxlanRecord } from './records.js';

/** Bytes of a bad message shown in text mode; JSON carries all of them. */
const TEXT_RAW_LIMIT = 96;

export function formatRecordText(r: DecodedRecord, firstTime: number): string {
  const t = (r.time - firstTime).toFixed(6);
  return `${t} ${r.src} > ${r.dst} ${summary(r)}`;
}

/** The message part of a text line: "BGP UPDATE ...", "VXLAN vni 100 ...". */
export function summary(r: DecodedRecord): string {
  return r.proto === 'bgp' ? `BGP ${bgpSummary(r)}` : `VXLAN ${vxlanSummary(r)}`;
}

function bgpSummary(r: BgpRecord): string {
  switch (r.type) {
    case 'out-of-sync':
      return `!! out of sync: skipped ${r.skipped} bytes to the next marker${r.error ? ` (${errorText(r.error)})` : ''}`;
    case 'lost':
      return (
        `!! ${r.missing} bytes missing from the capture` +
        (r.partial ? `; dropped ${r.partial} bytes of a partial message before the hole` : '')
      );
    default: {
      let text: string;
      if (r.message) {
        text = formatMessage(r.message);
      } else {
        const raw = r.raw ?? Buffer.alloc(0);
        const hex = raw.subarray(0, TEXT_RAW_LIMIT).toString('hex') + (raw.length > TEXT_RAW_LIMIT ? '...' : '');
        text = `${r.type.toUpperCase()} length ${r.length} !! ${r.error ? errorText(r.error) : 'not decoded'} bytes ${hex}`;
      }
      if (r.as4Assumed) text += ' (4-octet AS assumed: OPENs not in the capture)';
      if (r.frames) text += ` [reassembled from frames ${r.frames.join(',')}]`;
      return text;
    }
  }
}

/** "session-reset: UPDATE Message Error / Malformed Attribute List: <message> (offset 23)". */
export function errorText(e: WireError): string {
  const code = e.codeText;
  return `${e.action}: ${code ? `${code}: ` : ''}${e.message} (offset ${e.offset})`;
}

function vxlanSummary(r: VxlanRecord): string {
  if (r.vni === undefined) return `!! ${r.error ? r.error.message : 'bad header'} flags 0x${r.flags.toString(16).padStart(2, '0')}`;
  const inner = r.inner;
  if (!inner) return `vni ${r.vni}`;
  if (inner.src === '') return `vni ${r.vni} ${inner.summary}`;
  const vlans = inner.vlans.length ? ` vlan ${inner.vlans.join('.')}` : '';
  return `vni ${r.vni} ${inner.src} > ${inner.dst}${vlans} ${inner.summary}`;
}

/** One JSON object (a line of JSONL). */
export function formatRecordJson(r: DecodedRecord): string {
  const obj: { [key: string]: JsonValue } = {
    frame: r.frame,
    time: r.time,
    src: r.src,
    dst: r.dst,
    proto: r.proto,
    type: r.type,
  };
  const rest: Record<string, unknown> = { ...r };
  for (const k of ['frame', 'time', 'src', 'dst', 'proto', 'type']) delete rest[k];
  if (r.proto === 'bgp' && 'message' in r && r.message) {
    // {type:'update', update:{...}}: the body under its type's name; the type is already there.
    const { type: _type, ...body } = r.message;
    delete rest['message'];
    Object.assign(rest, body);
    if (r.message.type === 'update') {
      // Ready-made answers to the usual questions (what was announced or withdrawn, and what happens next).
      const u = r.message.update;
      const eor = isEndOfRib(u);
      if (eor) rest['endOfRib'] = afiSafiName(eor.afi, eor.safi);
      rest['routes'] = updateRoutes(u);
      const act = action(u);
      if (act) rest['action'] = act;
    }
  }
  for (const [k, v] of Object.entries(rest)) {
    const j = k === 'error' && v ? errorJson(v as WireError) : toJsonValue(v);
    if (j !== undefined) obj[k] = j;
  }
  obj['summary'] = summary(r);
  return JSON.stringify(obj);
}

function errorJson(e: WireError): JsonValue {
  const o: { [key: string]: JsonValue } = {
    message: e.message,
    code: e.code,
    subcode: e.subcode,
    action: e.action,
    offset: e.offset,
  };
  if (e.codeText) o['codeText'] = e.codeText;
  if (e.data !== undefined) o['data'] = e.data.toString('hex');
  return o;
}
