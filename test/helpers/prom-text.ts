// A strict reader of the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/), written
// from the format description rather than with prom-client, so a test of
// vxswitch's /metrics checks what a Prometheus server would accept:
//   # HELP name text
//   # TYPE name counter|gauge|histogram|summary|untyped
//   name{label="value",...} value [timestamp]
// Every sample belongs to a family declared by a TYPE line before it
// (histogram/summary samples carry _bucket/_sum/_count suffixes); a family
// is declared once; label values use only the \\ \" \n escapes.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  /** Family name -> type. */
  types: Map<string, string>;
  help: Map<string, string>;
  samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL_NAME = '[a-zA-Z_][a-zA-Z0-9_]*';
const sampleRe = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: (-?\\d+))?$`);
const labelRe = new RegExp(`^(${LABEL_NAME})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"(,|$)`);
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * A sample value as Prometheus reads it: Go's strconv.ParseFloat, which
 * takes NaN and Inf in any case (prom-client writes "Nan" for a NaN, e.g.
 * nodejs_eventloop_lag_mean_seconds before the first loop-delay sample).
 */
function parseValue(s: string, line: number): number {
  if (/^[-+]?nan$/i.test(s)) return NaN;
  if (/^[-+]?inf(inity)?$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`line ${line}: bad sample value "${s}"`);
  return Number(s);
}

function parseLabels(text: string, line: number): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const m = labelRe.exec(rest);
    if (m === null) throw new Error(`line ${line}: bad label set "{${text}}" at "${rest}"`);
    const [whole, name, raw] = m;
    if (name! in labels) throw new Error(`line ${line}: label ${name} twice`);
    labels[name!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(whole.length);
  }
  return labels;
}

/** The family a sample name belongs to, given the declared types. */
function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const t = types.get(base);
    if (t === 'histogram' || (t === 'summary' && suffix !== '_bucket')) return base;
  }
  return undefined;
}

/** Parse the text; throws naming the first line that breaks the format. */
export function parseExposition(text: string): Exposition {
  if (text !== '' && !text.endsWith('\n')) throw new Error('exposition does not end with a newline');
  const out: Exposition = { types: new Map(), help: new Map(), samples: [] };
  const seen = new Set<string>();
  text.split('\n').forEach((l, i) => {
    const line = i + 1;
    if (l === '') return;
    if (l.startsWith('#')) {
      const m = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(l);
      if (m === null) return; // a plain comment
      const [, kind, name, rest] = m;
      if (kind === 'TYPE') {
        if (!TYPES.has(rest!)) throw new Error(`line ${line}: unknown type "${rest}"`);
        if (out.types.has(name!)) throw new Error(`line ${line}: TYPE of ${name} twice`);
        if (out.samples.some((s) => familyOf(s.name, new Map([[name!, rest!]])) === name)) throw new Error(`line ${line}: TYPE of ${name} after its samples`);
        out.types.set(name!, rest!);
      } else {
        out.help.set(name!, rest!);
      }
      return;
    }
    const m = sampleRe.exec(l);
    if (m === null) throw new Error(`line ${line}: not a sample line: ${l}`);
    const [, name, labelText, value] = m;
    if (familyOf(name!, out.types) === undefined) throw new Error(`line ${line}: sample ${name} without a TYPE line before it`);
    const labels = parseLabels(labelText ?? '', line);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`line ${line}: series ${name}${labelText ? `{${labelText}}` : ''} twice`);
    seen.add(key);
    out.samples.push({ name: name!, labels, value: parseValue(value!, line) });
  });
  return out;
}

/** The samples of metric `name` whose labels include `labels`. */
export function samples(e: Exposition, name: string, labels: Record<string, string> = {}): Sample[] {
  return e.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

/** The one sample of `name` with `labels` (throws when there is none or several). */
export function value(e: Exposition, name: string, labels: Record<string, string> = {}): number {
  const found = samples(e, name, labels);
  if (found.length !== 1) throw new Error(`${name}${JSON.stringify(labels)}: ${found.length} samples, expected 1`);
  return found[0]!.value;
}
