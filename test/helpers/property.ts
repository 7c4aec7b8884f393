// Property-test settings shared by every codec family.
//
// CI runs at least 100,000 cases per codec family (the issue's floor). A
// developer can run fewer locally with PROPERTY_RUNS=2000 npm test.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { WireError } from '../../src/wire/wire-error.js';

export const PROPERTY_RUNS = Number(process.env['PROPERTY_RUNS'] ?? 100_000);

/** fast-check parameters for one property; a fixed seed can be given to replay. */
export function runs(share = 1): fc.Parameters<unknown> {
  const seed = process.env['PROPERTY_SEED'];
  const params: fc.Parameters<unknown> = { numRuns: Math.max(1, Math.ceil(PROPERTY_RUNS * share)) };
  if (seed !== undefined) params.seed = Number(seed);
  return params;
}

/** Run `fn`; it may return or throw WireError, and nothing else. */
export function onlyWireError(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof WireError)) {
      assert.fail(`threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)} instead of WireError`);
    }
  }
}

/** The robustness property: `check` of every generated input returns or throws WireError, nothing else. */
export function assertOnlyWireError<T>(inputs: fc.Arbitrary<T>, check: (input: T) => unknown, share = 1): void {
  fc.assert(
    fc.property(inputs, (input) => {
      onlyWireError(() => check(input));
    }),
    runs(share),
  );
}

/**
 * Mutations of a real message: truncations, single bit flips, and every
 * one-byte length-ish field off by one (a byte +1 or -1).
 */
export function mutationArbitrary(bytes: Buffer): fc.Arbitrary<Buffer> {
  const n = bytes.length;
  const truncate = fc.integer({ min: 0, max: Math.max(0, n - 1) }).map((len) => bytes.subarray(0, len));
  const flip = fc
    .tuple(fc.integer({ min: 0, max: Math.max(0, n - 1) }), fc.integer({ min: 0, max: 7 }))
    .map(([i, bit]) => {
      const b = Buffer.from(bytes);
      if (n > 0) b[i] = b[i]! ^ (1 << bit);
      return b;
    });
  const offByOne = fc
    .tuple(fc.integer({ min: 0, max: Math.max(0, n - 1) }), fc.constantFrom(1, -1))
    .map(([i, d]) => {
      const b = Buffer.from(bytes);
      if (n > 0) b[i] = (b[i]! + d) & 0xff;
      return b;
    });
  const several = fc
    .array(fc.tuple(fc.integer({ min: 0, max: Math.max(0, n - 1) }), fc.integer({ min: 0, max: 255 })), {
      minLength: 1,
      maxLength: 4,
    })
    .map((edits) => {
      const b = Buffer.from(bytes);
      if (n > 0) for (const [i, v] of edits) b[i] = v;
      return b;
    });
  return fc.oneof(truncate, flip, offByOne, several);
}

/** Arbitrary bytes as a Buffer. */
export function bytesArbitrary(maxLength = 256): fc.Arbitrary<Buffer> {
  return fc.uint8Array({ maxLength }).map((a) => Buffer.from(a.buffer, a.byteOffset, a.byteLength));
}
