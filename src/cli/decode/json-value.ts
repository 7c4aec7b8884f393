// Decoded values made safe for JSON lines: bytes become hex strings (not
// Buffer's {"type":"Buffer","data":[...]}), BigInts become decimal strings (or
// numbers when exact), Sets become arrays, Maps objects, errors their fields;
// undefined members are left out. Cycles cannot occur in decoded messages,
// but depth is bounded anyway.

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const MAX_DEPTH = 64;

export function toJsonValue(value: unknown, depth = 0): JsonValue | undefined {
  if (depth > MAX_DEPTH) return '[too deep]';
  if (value === null) return null;
  switch (typeof value) {
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    case 'boolean':
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)
        ? Number(value)
        : value.toString();
    default:
      break;
  }
  if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex');
  if (Array.isArray(value)) return value.map((v) => toJsonValue(v, depth + 1) ?? null);
  if (value instanceof Set) return [...value].map((v) => toJsonValue(v, depth + 1) ?? null);
  if (value instanceof Map) {
    const obj: { [key: string]: JsonValue } = {};
    for (const [k, v] of value) {
      const j = toJsonValue(v, depth + 1);
      if (j !== undefined) obj[String(k)] = j;
    }
    return obj;
  }
  if (value instanceof Error) {
    const obj: { [key: string]: JsonValue } = { message: value.message };
    for (const [k, v] of Object.entries(value)) {
      const j = toJsonValue(v, depth + 1);
      if (j !== undefined) obj[k] = j;
    }
    return obj;
  }
  const obj: { [key: string]: JsonValue } = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const j = toJsonValue(v, depth + 1);
    if (j !== undefined) obj[k] = j;
  }
  return obj;
}
